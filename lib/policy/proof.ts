// The policy proofs over one synthesized template: every declared role call simulated against the role's policies,
// every service-principal delivery against the resource policy, every template role declared. Returns one line per
// failure (empty: proven). No aws-cdk-lib import.
import { cloudFormationCalls } from './cfn-actions';
import type { CallEnv, DeclaredCall, RoleCalls, ServicePrincipalCall } from './calls';
import { TemplateResolver, type Template } from './intrinsics';
import { simulateRoleCall, simulateServiceCall } from './simulate';
import type { RoleModel, TemplatePolicies } from './template-policies';

/** The environment the proofs resolve templates in: a documentation account and a European region. */
export function proofEnv(
  stackName: string,
  options: { partition?: string; region?: string; regions?: readonly string[]; context?: Readonly<Record<string, string>> } = {},
): CallEnv {
  const region = options.region ?? 'eu-west-1';
  const account = '111122223333';
  const partition = options.partition ?? 'aws';
  return {
    partition,
    account,
    region,
    regions: options.regions ?? [region],
    stackName,
    stackId: `arn:${partition}:cloudformation:${region}:${account}:stack/${stackName}/6c3f0e50-ab12-11ef-9f1b-0a1b2c3d4e5f`,
    context: options.context ?? {},
  };
}

/** The logical id of the resource at construct path `path` (below the stack), else the resource whose logical id is `path`. */
export function logicalIdAt(tp: TemplatePolicies, path: string): string | undefined {
  for (const [id, resource] of Object.entries(tp.resolver.template.Resources)) {
    const full = resource.Metadata?.['aws:cdk:path'];
    if (typeof full === 'string' && full.split('/').slice(1).join('/').replace(/\/Resource$/, '') === path) return id;
  }
  return tp.resolver.template.Resources[path] ? path : undefined;
}

/** `text` with every `@{<construct path>.<attribute>}` replaced by what the template gives for it. */
export function resolveRefs(tp: TemplatePolicies, text: string): string {
  return text.replace(/@\{([^}]+)\.([A-Za-z]+)\}/g, (_, path: string, attribute: string) => {
    const id = logicalIdAt(tp, path);
    if (!id) throw new Error(`${text}: no resource at construct path ${path}`);
    return attribute === 'Ref' ? String(tp.resolver.ref(id)) : tp.resolver.attribute(id, attribute);
  });
}

function resolveCall<C extends DeclaredCall | ServicePrincipalCall>(tp: TemplatePolicies, call: C): C {
  const context = Object.fromEntries(
    Object.entries(call.context ?? {}).map(([k, v]) => [k, typeof v === 'string' ? resolveRefs(tp, v) : (v as readonly string[]).map((x) => resolveRefs(tp, x))]),
  );
  return { ...call, resource: resolveRefs(tp, call.resource), context };
}

/** The role a declaration names: by construct path, else by logical id. */
export function roleAt(tp: TemplatePolicies, path: string): RoleModel | undefined {
  return tp.roles.find((r) => r.path === path) ?? tp.roles.find((r) => r.logicalId === path);
}

/**
 * Simulates every declared call of every role; fails on a call AWS would refuse (or allow, when `deniedBecause`), on
 * a template role nobody declared, on a declared role with calls that the template lacks, and on a role whose AWS
 * managed policies are unknown.
 */
export async function proveRoleCalls(
  stack: string,
  tp: TemplatePolicies,
  declarations: readonly RoleCalls[],
  env: CallEnv,
  /** Reads a `deploysTemplate` file. */
  loadTemplate: (path: string) => Template = () => {
    throw new Error('no template loader given');
  },
): Promise<string[]> {
  const failures: string[] = [];
  for (const role of tp.roles) {
    if (!declarations.some((d) => d.role === role.path || d.role === role.logicalId)) {
      failures.push(`${stack} role ${role.path} (${role.logicalId}) declares no calls: add it to the lab's calls.ts roleCalls`);
    }
  }
  for (const declaration of declarations) {
    const calls = [...declaration.calls(env), ...(declaration.deploysTemplate ? await deployCalls(loadTemplate(declaration.deploysTemplate), env, failures, stack) : [])];
    const role = roleAt(tp, declaration.role);
    if (!role) {
      if (calls.length > 0) failures.push(`${stack} has no role ${declaration.role}, yet calls.ts declares ${calls.length} calls for it`);
      continue;
    }
    if (role.unknownManagedPolicies.length > 0) {
      failures.push(`${stack} role ${role.path}: AWS managed policies without a document (vendor them under test/policy/managed/): ${role.unknownManagedPolicies.join(', ')}`);
      continue;
    }
    for (const declared of calls) {
      const call = resolveCall(tp, declared);
      const { decision, detail } = await simulateRoleCall(role, call, env, tp.resourcePolicies);
      const expected = call.deniedBecause ? 'denied' : 'Allowed';
      const ok = call.deniedBecause ? decision === 'ExplicitlyDenied' || decision === 'ImplicitlyDenied' : decision === 'Allowed';
      if (!ok) {
        const context = Object.keys(call.context ?? {}).length > 0 ? ` with ${JSON.stringify(call.context)}` : '';
        failures.push(
          `${stack} role ${role.path} (${declaration.purpose}): ${call.action} on ${call.resource}${context} is ${decision}, expected ${expected}` +
            `${call.deniedBecause ? ` (${call.deniedBecause})` : ''}${detail ? `: ${detail}` : ''}`,
        );
      }
    }
  }
  return failures;
}

/** What CloudFormation calls, in each region of `env`, to create and delete the resources of `template`. */
async function deployCalls(template: Template, env: CallEnv, failures: string[], stack: string): Promise<DeclaredCall[]> {
  const calls: DeclaredCall[] = [];
  for (const region of env.regions) {
    const stackName = `${env.stackName}-deployed`;
    const resolver = new TemplateResolver(template, { ...env, region, stackName, stackId: `arn:${env.partition}:cloudformation:${region}:${env.account}:stack/${stackName}/6c3f0e50-ab12-11ef-9f1b-0a1b2c3d4e5f` });
    const found = await cloudFormationCalls(resolver);
    for (const type of found.unknownTypes) failures.push(`${stack}: a deployed template declares ${type}, which CFN_ACTIONS in lib/policy/cfn-actions.ts lacks`);
    calls.push(...found.calls.map(({ action, resource, context }) => ({ action, resource, context: { 'aws:RequestedRegion': region, ...context } })));
  }
  return calls;
}

/** Simulates every service-principal call against the resource policy of its target; fails on each refused one. */
export async function proveServiceCalls(stack: string, tp: TemplatePolicies, calls: readonly ServicePrincipalCall[], env: CallEnv): Promise<string[]> {
  const failures: string[] = [];
  for (const declared of calls) {
    const call = resolveCall(tp, declared);
    const { decision, detail, policy } = await simulateServiceCall(call, env, tp.resourcePolicies);
    if (decision !== 'Allowed') {
      failures.push(`${stack} ${call.principal} (${call.purpose}): ${call.action} on ${call.resource} is ${decision} by ${policy ?? 'no policy'}${detail ? `: ${detail}` : ''}`);
    }
  }
  return failures;
}
