// Simulates declared calls with @cloud-copilot/iam-simulate against a template's policies: a role's identity
// policies, permissions boundary and the target's resource policy; a service principal against the resource
// policy alone. No aws-cdk-lib import.
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { DeclaredCall, ServicePrincipalCall } from './calls';
import { resourcePolicyFor, type ResourcePolicy, type RoleModel } from './template-policies';

/** AWS's decision on one call, and why when it is not what was expected. */
export interface CallDecision {
  readonly decision: 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied' | 'Invalid';
  /** The simulator's validation errors, or the denying statements. */
  readonly detail: string;
}

function accountOf(arn: string, fallback: string): string {
  const account = arn.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : fallback;
}

/** What every real request carries: TLS (AWS SDKs and services use HTTPS) and the region it is sent to. */
function requestDefaults(env: { readonly region: string }): Record<string, string> {
  return { 'aws:SecureTransport': 'true', 'aws:RequestedRegion': env.region };
}

async function decide(simulation: Parameters<typeof runSimulation>[0]): Promise<CallDecision> {
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') return { decision: 'Invalid', detail: JSON.stringify(result.errors) };
  const analyses = result.resultType === 'single' ? [result.result.analysis] : result.results.map((r) => r.analysis);
  const denies = analyses.flatMap((a) => [
    ...(a.identityAnalysis?.denyStatements ?? []).map((s) => `identity ${JSON.stringify(s.statement)}`),
    ...(a.resourceAnalysis?.denyStatements ?? []).map((s) => `resource ${JSON.stringify(s.statement)}`),
  ]);
  return { decision: result.overallResult as CallDecision['decision'], detail: denies.join('; ') };
}

/** Simulates `call` by `role` in `account`, with the resource policy of the call's target when the template has one. */
export function simulateRoleCall(
  role: RoleModel,
  call: DeclaredCall,
  env: { readonly account: string; readonly region: string },
  resourcePolicies: readonly ResourcePolicy[],
): Promise<CallDecision> {
  const { account } = env;
  const resourcePolicy = call.resourcePolicy ?? (call.resource === '*' ? undefined : resourcePolicyFor(resourcePolicies, call.resource)?.policy);
  return decide({
    request: {
      principal: role.arn.replace(/:role\/(.+)$/, (_, name: string) => `:assumed-role/${name.split('/').pop()}/proof`).replace(':iam::', ':sts::'),
      action: call.action,
      resource: { resource: call.resource, accountId: accountOf(call.resource, account) },
      contextVariables: { ...requestDefaults(env), 'aws:PrincipalArn': role.arn, 'aws:PrincipalAccount': account, ...(call.context as Record<string, string | string[]>) },
    },
    identityPolicies: role.identityPolicies.map((p) => ({ name: p.name, policy: p.policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(resourcePolicy ? { resourcePolicy } : {}),
    ...(role.boundary ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: role.boundary }] } : {}),
  });
}

/** Simulates a service principal's call on a lab resource against that resource's policy (none: implicitly denied). */
export async function simulateServiceCall(
  call: ServicePrincipalCall,
  env: { readonly account: string; readonly region: string },
  resourcePolicies: readonly ResourcePolicy[],
): Promise<CallDecision & { policy?: string }> {
  const { account } = env;
  const found = resourcePolicyFor(resourcePolicies, call.resource);
  if (!found) return { decision: 'ImplicitlyDenied', detail: `no resource policy in the template governs ${call.resource}` };
  const decision = await decide({
    request: {
      principal: call.principal,
      action: call.action,
      resource: { resource: call.resource, accountId: accountOf(call.resource, account) },
      contextVariables: { ...requestDefaults(env), ...(call.context as Record<string, string | string[]>) },
    },
    identityPolicies: [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: found.policy,
  });
  return { ...decision, policy: found.logicalId };
}
