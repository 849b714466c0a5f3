import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import type { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import * as yaml from 'yaml';
import * as yamlTypes from 'yaml/types';
import { stackNameFor } from '../../lib/contract';
import type { CfnTemplate } from '../../lib/cost-gate';
import type { Lab } from '../../lib/lab';

/** CDK context a lab's stack is synthesized with. */
export type StackContext = Readonly<Record<string, string>>;

/** A resource of a synthesized template, as the invariants read it. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** A synthesized template, as the invariants read it. */
export type LabTemplate = CfnTemplate & {
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, unknown>;
  Parameters?: Record<string, unknown>;
  Rules?: Record<string, unknown>;
};

/** One lab stack synthesized as the CDK CLI does for `cdk deploy` (path metadata and version reporting on). */
export interface SynthesizedLab {
  readonly app: App;
  readonly stack: Stack;
  readonly artifact: CloudFormationStackArtifact;
  readonly template: LabTemplate;
}

/** The context variants of a lab's stack: what it declares, else none. */
export function stackContexts(lab: Pick<Lab, 'stackContexts'>): readonly StackContext[] {
  return lab.stackContexts ?? [{}];
}

/** A readable name of a context variant, for test titles. */
export function contextName(context: StackContext): string {
  const entries = Object.entries(context);
  return entries.length === 0 ? 'no context' : entries.map(([k, v]) => `${k}=${v}`).join(' ');
}

/** Adds the lab's stack to `app` and returns it. */
export async function addStack(lab: Lab, app: App): Promise<Stack> {
  const { addLabStack } = await lab.loadStack();
  addLabStack(app);
  return app.node.findChild(stackNameFor(lab.id)) as Stack;
}

const cache = new Map<string, Promise<SynthesizedLab>>();

/** The lab's stack under `context`, synthesized once per test file as the CDK CLI would for `cdk deploy`. */
export function synthLab(lab: Lab, context: StackContext = {}): Promise<SynthesizedLab> {
  const key = `${lab.id} ${JSON.stringify(context)}`;
  let synthesized = cache.get(key);
  if (!synthesized) {
    synthesized = (async () => {
      const app = new App({ context: { ...context, 'aws:cdk:enable-path-metadata': true, 'aws:cdk:version-reporting': true } });
      const stack = await addStack(lab, app);
      const artifact = app.synth().getStackByName(stack.stackName);
      return { app, stack, artifact, template: artifact.template as LabTemplate };
    })();
    cache.set(key, synthesized);
  }
  return synthesized;
}

/** The template body the CDK CLI sends when there is no bootstrap bucket to upload it to: YAML 1.1, lines never folded. */
export function templateBody(template: CfnTemplate): string {
  const fold = yamlTypes.strOptions.fold.lineWidth;
  yamlTypes.strOptions.fold.lineWidth = 0;
  try {
    return yaml.stringify(template, { schema: 'yaml-1.1' });
  } finally {
    yamlTypes.strOptions.fold.lineWidth = fold;
  }
}

/** One rule acknowledged on one construct (cdk-nag suppressions are acknowledgments of `Annotation::<rule>`). */
export interface Acknowledgment {
  readonly path: string;
  readonly rule: string;
  readonly reason: string;
}

/** Every acknowledgment made in `scope`, construct by construct. */
export function acknowledgments(scope: Stack): Acknowledgment[] {
  const found: Acknowledgment[] = [];
  for (const construct of scope.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ path: construct.node.path, rule: id.replace(/^annotation::/i, ''), reason });
      }
    }
  }
  return found;
}

/** Runs `build` with every acknowledgment ignored, so what it reports shows what they silence. */
export async function withoutAcknowledgments<T>(build: () => T | Promise<T>): Promise<T> {
  const spy = jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
  try {
    return await build();
  } finally {
    spy.mockRestore();
  }
}

/** What aws-cdk-lib's built-in CloudFormation validation reported: violations and the lines it printed. */
export interface ValidationResult {
  readonly violations: { ruleName: string; severity: string }[];
  readonly stderr: string[];
}

/**
 * Synthesizes what `build` adds with aws-cdk-lib's built-in CloudFormation validation on (~2 s a synth) and
 * returns what it reported; an error-level violation throws, as `cdk synth` fails.
 */
export async function validateBuiltin(build: (app: App) => unknown, context: StackContext = {}): Promise<ValidationResult> {
  const outdir = mkdtempSync(join(tmpdir(), 'doplab-validate-'));
  const saved = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'true';
  const stderr = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    // Without this flag aws-cdk-lib downgrades errors to warnings, prints them on stderr, and synth succeeds.
    const strict = new App({ outdir, builtinCloudFormationValidation: true, context: { ...context, '@aws-cdk/core:validateAgainstDefaultRules': true } });
    await build(strict);
    const assembly = strict.synth();
    const reportFile = join(assembly.directory, 'validation-report.json');
    if (!existsSync(reportFile)) throw new Error(`aws-cdk-lib wrote no ${reportFile}: was the validation on?`);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { pluginReports: { violations: ValidationResult['violations'] }[] };
    return { violations: report.pluginReports.flatMap((r) => r.violations), stderr: stderr.mock.calls.map((c) => c.join(' ')) };
  } finally {
    stderr.mockRestore();
    if (saved === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = saved;
    rmSync(outdir, { recursive: true, force: true });
  }
}
