// A lab stack's template for its stack tests: synthesized once per test file, with construct paths in Metadata.
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

/** A resource of the template, as the stack tests read it. */
export type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[]; Metadata?: Record<string, string> };
/** The template as JSON. */
export type Json = { Resources: Record<string, Resource>; Outputs: Record<string, { Value: unknown }> };

/**
 * `built()`: the lab's stack (from its `addLabStack`) as a Template and as JSON, synthesized at the first call;
 * `idOf(type, prefix)`: the logical id of the one resource of that type whose id starts with prefix (asserts there is one).
 */
export function labTemplate(addLabStack: (app: App) => Stack): { built: () => { template: Template; json: Json }; idOf: (type: string, prefix?: string) => string } {
  let cached: { template: Template; json: Json } | undefined;
  const built = () => {
    if (!cached) {
      const template = Template.fromStack(addLabStack(new App({ context: { 'aws:cdk:enable-path-metadata': true } })));
      cached = { template, json: template.toJSON() as Json };
    }
    return cached;
  };
  const idOf = (type: string, prefix = ''): string => {
    const { json } = built();
    const ids = Object.keys(json.Resources).filter((id) => json.Resources[id].Type === type && id.startsWith(prefix));
    expect(ids).toHaveLength(1);
    return ids[0];
  };
  return { built, idOf };
}
