import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import * as yaml from 'yaml';
import { addBaseStack } from '../../lib/cdk/base-stack';
import { EXPIRES_AT_CONTEXT } from '../../lib/cdk/expiry';
import { stackNameFor } from '../../lib/contract';
import { addGraderRoleStackFromContext } from '../../lib/grade/grader-role-stack';
import { GRADER_CONTEXT, graderRoleTemplate } from '../../lib/grade/grader-role';
import { labPaths, labRegions, type Lab } from '../../lib/lab';
import type { CallEnv, LabRoleCalls, LabServicePrincipalCalls } from '../../lib/policy/calls';
import type { Template } from '../../lib/policy/intrinsics';
import type { LabAcceptedWarnings } from '../../lib/policy/warnings';
import { proofEnv } from '../../lib/policy/proof';
import { templatePolicies, type TemplatePolicies } from '../../lib/policy/template-policies';
import { LABS } from '../../labs';
import { managedPolicy } from './managed-policies';
import { contextName, stackContexts, synthLab, type StackContext } from './lab-synth';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- labs differ in outputs and facts types
export type AnyLab = Lab<any, any>;

/** What a lab's calls.ts exports. */
export interface LabCalls {
  readonly roleCalls: LabRoleCalls;
  readonly servicePrincipalCalls?: LabServicePrincipalCalls;
  readonly solutionActions?: readonly string[];
  /** Policy-validation warnings the lab accepts, each with its reason (lib/policy/warnings.ts). */
  readonly acceptedPolicyWarnings?: LabAcceptedWarnings;
}

/** A lab's calls.ts (labs/<id>/calls.ts), or an error naming the file it expected. */
export function labCalls(lab: Pick<AnyLab, 'id'>): LabCalls {
  const file = join(labPaths(lab.id).dir, 'calls');
  if (!existsSync(`${file}.ts`) && !existsSync(`${file}.js`)) throw new Error(`Lab ${lab.id} has no ${file}.ts exporting roleCalls (see lib/policy/calls.ts).`);
  const module = require(file) as Partial<LabCalls>;
  if (!module.roleCalls) throw new Error(`${file}.ts does not export roleCalls.`);
  return module as LabCalls;
}

/** One lab stack variant, resolved in the proof environment. */
export interface LabTarget {
  readonly title: string;
  readonly lab: AnyLab;
  readonly context: StackContext;
  readonly env: CallEnv;
  readonly template: Template;
  readonly policies: TemplatePolicies;
}

/** A template file a role deploys (`deploysTemplate`): JSON, or YAML in long form. */
export function loadTemplateFile(path: string): Template {
  const text = readFileSync(path, 'utf8');
  return (path.endsWith('.json') ? JSON.parse(text) : yaml.parse(text)) as Template;
}

/** An expiry instant, for the variant that carries the expiry schedule. */
export const EXPIRY_CONTEXT: StackContext = { [EXPIRES_AT_CONTEXT]: '2026-12-01T17:00:00Z' };

/** Every lab stack in each context it declares, plus the first lab with an expiry schedule (every stack gets the same one). */
export async function labTargets(labs: readonly AnyLab[] = LABS): Promise<LabTarget[]> {
  const variants = labs.flatMap((lab) => stackContexts(lab).map((context) => ({ lab, context })));
  if (labs.length > 0) variants.push({ lab: labs[0], context: { ...stackContexts(labs[0])[0], ...EXPIRY_CONTEXT } });
  return Promise.all(
    variants.map(async ({ lab, context }) => {
      const { template } = await synthLab(lab, context);
      const stackName = stackNameFor(lab.id);
      const region = 'eu-west-1';
      const env = proofEnv(stackName, { region, regions: labRegions(lab, region), context });
      return {
        title: `${lab.id} (${contextName(context)})`,
        lab,
        context,
        env,
        template: template as unknown as Template,
        policies: templatePolicies(template as unknown as Template, env, { managedPolicy }),
      };
    }),
  );
}

/** A doplab stack that is not a lab's: DopLab-Base, the grader role stack, the grader role's plain template. */
export interface PlatformTarget {
  readonly title: string;
  readonly env: CallEnv;
  readonly template: Template;
  readonly policies: TemplatePolicies;
}

/** The instructor account and external id the grader role is synthesized with. */
export const GRADER_INPUTS = { instructorAccount: '444455556666', externalId: 'doplab-class-2026' };

export function platformTargets(labs: readonly AnyLab[] = LABS): { base: PlatformTarget; graderStack: PlatformTarget; graderTemplate: PlatformTarget } {
  const synth = (build: (app: App) => unknown, name: string, context: Record<string, string> = {}): PlatformTarget => {
    const app = new App({ context: { ...context, 'aws:cdk:enable-path-metadata': true } });
    build(app);
    const template = app.synth().getStackByName(name).template as Template;
    const env = proofEnv(name);
    return { title: name, env, template, policies: templatePolicies(template, env, { managedPolicy }) };
  };
  const base = synth((app) => addBaseStack(app), 'DopLab-Base');
  const graderStack = synth((app) => addGraderRoleStackFromContext(app), 'DopLab-GraderRole', {
    [GRADER_CONTEXT.instructorAccount]: GRADER_INPUTS.instructorAccount,
    [GRADER_CONTEXT.externalId]: GRADER_INPUTS.externalId,
  });
  const plain = graderRoleTemplate(labs, GRADER_INPUTS) as unknown as Template;
  const plainEnv = proofEnv('DopLab-GraderRole-StackSet');
  return { base, graderStack, graderTemplate: { title: 'grader role StackSet template', env: plainEnv, template: plain, policies: templatePolicies(plain, plainEnv, { managedPolicy }) } };
}
