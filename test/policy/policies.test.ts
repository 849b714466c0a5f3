// The policy proofs (issue 10): every IAM policy of every doplab template validated against the Service
// Authorization Reference, every role's declared calls simulated, every service delivery simulated against its
// resource policy. Runs over LABS: a new lab with a calls.ts is covered without new code here.
import { cloudFormationCalls, type ResourceCall } from '../../lib/policy/cfn-actions';
import { expiryRoleCalls, expiryServiceCalls, graderRoleCalls } from '../../lib/policy/platform-calls';
import { proveRoleCalls, proveServiceCalls } from '../../lib/policy/proof';
import { describeFinding, validatePolicies } from '../../lib/policy/validate';
import { acceptWarnings, type AcceptedWarning } from '../../lib/policy/warnings';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labPaths } from '../../lib/lab';
import { roleAt } from '../../lib/policy/proof';
import { LABS } from '../../labs';
import { labCalls, labTargets, loadTemplateFile, platformTargets, type LabTarget, type PlatformTarget } from '../support/policy-targets';
import { recordCalls, staticActions, undeclaredIn } from '../support/sdk-recorder';
import { withHelpers } from '../../lib/cdk/inline-cleanup';

let labs: LabTarget[];
let platform: ReturnType<typeof platformTargets>;

beforeAll(async () => {
  labs = await labTargets();
  platform = platformTargets();
});

const labTitles = () => labs.map((t) => t.title);

describe('every IAM policy fits the Service Authorization Reference', () => {
  it('in every lab stack, in each context it declares and with an expiry schedule', async () => {
    expect(labTitles().length).toBeGreaterThan(LABS.length);
    // Errors always fail; a warning fails unless its lab's calls.ts accepts it (acceptedPolicyWarnings, with a reason);
    // an accepted entry that matches no warning in any context fails too.
    const unaccepted: string[] = [];
    const used = new Set<AcceptedWarning>();
    for (const t of labs) {
      const result = acceptWarnings(t.policies, await validatePolicies(t.title, t.policies.policies), labCalls(t.lab).acceptedPolicyWarnings ?? []);
      unaccepted.push(...result.unaccepted.map(describeFinding));
      result.used.forEach((entry) => used.add(entry));
    }
    expect(unaccepted).toEqual([]);
    const stale = LABS.flatMap((lab) => (labCalls(lab).acceptedPolicyWarnings ?? []).filter((entry) => !used.has(entry)).map((entry) => `${lab.id}: ${entry.policy} ${entry.resource}`));
    expect(stale).toEqual([]);
    // Something was validated: every lab has at least one role policy.
    for (const t of labs) expect([t.title, t.policies.policies.filter((p) => p.kind === 'identity').length > 0]).toEqual([t.title, true]);
  });

  it('in DopLab-Base, the grader role stack and the grader role StackSet template', async () => {
    const targets = [platform.base, platform.graderStack, platform.graderTemplate];
    const findings = (await Promise.all(targets.map((t) => validatePolicies(t.title, t.policies.policies)))).flat();
    expect(findings.map(describeFinding)).toEqual([]);
    for (const t of targets) expect([t.title, t.policies.roles.length]).toEqual([t.title, 1]);
  });
});

describe('every role can make the calls it declares, and nothing undeclared hides in a template', () => {
  it.each(LABS.map((lab) => [lab.id]))('lab %s: each role, in each context', async (id) => {
    const { roleCalls } = labCalls({ id });
    const failures: string[] = [];
    for (const t of labs.filter((x) => x.lab.id === id)) {
      failures.push(...(await proveRoleCalls(t.title, t.policies, [...roleCalls, expiryRoleCalls], t.env, loadTemplateFile)));
    }
    expect(failures).toEqual([]);
  });

  it('the expiry schedule role may delete its own stack, and no other', async () => {
    const t = labs.find((x) => x.policies.roles.some((r) => r.path === 'DopLabExpiry/Role'));
    expect(t).toBeDefined();
    const other = { ...expiryRoleCalls, calls: () => [{ action: 'cloudformation:DeleteStack', resource: t!.env.stackId.replace(t!.env.stackName, 'DopLab-other'), deniedBecause: 'only its own stack' }] };
    const { roleCalls } = labCalls(t!.lab);
    expect(await proveRoleCalls(t!.title, t!.policies, [...roleCalls, other], t!.env)).toEqual([]);
  });

  it('the grader role may call every action the checkers declare (stack and StackSet template)', async () => {
    const declared = graderRoleCalls(LABS);
    expect(declared.calls(platform.graderStack.env).length).toBeGreaterThan(LABS.length);
    for (const t of [platform.graderStack, platform.graderTemplate]) expect(await proveRoleCalls(t.title, t.policies, [declared], t.env)).toEqual([]);
  });

  it("DopLab-Base's CloudFormation role may create and delete every lab resource of every context", async () => {
    const calls: ResourceCall[] = [];
    const unknown = new Set<string>();
    for (const t of labs) {
      const found = await cloudFormationCalls(t.policies.resolver);
      calls.push(...found.calls.map((c) => ({ ...c, logicalId: `${t.title} ${c.logicalId}` })));
      found.unknownTypes.forEach((type) => unknown.add(`${t.title}: ${type}`));
    }
    // A type CloudFormation's calls are not known for: add its row to CFN_ACTIONS in lib/policy/cfn-actions.ts.
    expect([...unknown]).toEqual([]);
    expect(calls.length).toBeGreaterThan(50);
    // The calls are made in the lab's account and region, with the base role: resolve them in that environment.
    const failures = await proveRoleCalls(platform.base.title, platform.base.policies, [{ role: 'ExecutionRole', purpose: 'CloudFormation service role of lab stacks', calls: () => dedupe(calls) }], platform.base.env);
    expect(failures).toEqual([]);
  });

  it("DopLab-Base's CloudFormation role may not touch IAM roles outside DopLab-*", async () => {
    const env = platform.base.env;
    const outside = { role: 'ExecutionRole', purpose: 'CloudFormation service role', calls: () => [{ action: 'iam:PutRolePolicy', resource: `arn:aws:iam::${env.account}:role/Admin`, deniedBecause: 'only lab roles DopLab-*' }] };
    expect(await proveRoleCalls(platform.base.title, platform.base.policies, [outside], env)).toEqual([]);
  });
});

describe('the service deliveries labs rely on are allowed by the resource policies', () => {
  it.each(LABS.map((lab) => [lab.id]))('lab %s: each service principal, in each context', async (id) => {
    const { servicePrincipalCalls } = labCalls({ id });
    const failures: string[] = [];
    let count = 0;
    for (const t of labs.filter((x) => x.lab.id === id)) {
      const calls = [...(servicePrincipalCalls?.(t.env) ?? []), ...(t.policies.roles.some((r) => r.path === 'DopLabExpiry/Role') ? expiryServiceCalls(t.env) : [])];
      count += calls.length;
      failures.push(...(await proveServiceCalls(t.title, t.policies, calls, t.env)));
    }
    expect(failures).toEqual([]);
    expect(count).toBeGreaterThan(0);
  });

  it('CloudFormation may assume DopLab-Base and nothing else can', async () => {
    const t: PlatformTarget = platform.base;
    const roleArn = t.policies.roles[0].arn;
    expect(await proveServiceCalls(t.title, t.policies, [{ principal: 'cloudformation.amazonaws.com', purpose: 'lab stacks deploy with it', action: 'sts:AssumeRole', resource: roleArn, context: { 'aws:SourceAccount': t.env.account } }], t.env)).toEqual([]);
    expect(await proveServiceCalls(t.title, t.policies, [{ principal: 'lambda.amazonaws.com', purpose: 'control', action: 'sts:AssumeRole', resource: roleArn, context: {} }], t.env)).toEqual([
      expect.stringContaining('ImplicitlyDenied'),
    ]);
  });
});

describe("the cleanup role's declared calls cannot drift from its handler", () => {
  it.each(LABS.map((lab) => [lab.id]))('lab %s: every command the cleanup handler sends (run against mocks) or can send (in its source) is declared', async (id) => {
    const handlerFile = join(labPaths(id).dir, 'cleanup.handler.js');
    expect(existsSync(handlerFile)).toBe(true);
    // With the shared helpers it takes (cleanup-helpers.js), as they are inlined: their commands are the handler's too.
    const source = withHelpers(readFileSync(handlerFile, 'utf8'));
    const { roleCalls } = labCalls({ id });
    const declaredInSomeContext = new Set<string>();
    for (const t of labs.filter((x) => x.lab.id === id)) {
      // The cleanup's role: Custom::DopLabCleanup → its function → the function's role.
      const [cleanup] = Object.values(t.template.Resources).filter((r) => r.Type === 'Custom::DopLabCleanup');
      const fnId = (cleanup.Properties?.ServiceToken as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
      const roleId = (t.template.Resources[fnId].Properties?.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
      const declaration = roleCalls.find((d) => roleAt(t.policies, d.role)?.logicalId === roleId);
      expect([t.title, roleId, declaration !== undefined]).toEqual([t.title, roleId, true]);
      const declared = new Set(declaration!.calls(t.env).map((c) => c.action));
      declared.forEach((a) => declaredInSomeContext.add(a));

      const { stubs, actions } = recordCalls(source);
      try {
        const handler = require(handlerFile) as { onDelete: (props: Record<string, string>, log: () => void, sleep: () => Promise<void>) => Promise<void> };
        // The properties CloudFormation sends, resolved in the proof environment; every read answers empty.
        const { ServiceToken: _token, ServiceTimeout: _timeout, ...props } = t.policies.resolver.resolve(cleanup.Properties) as Record<string, string>;
        await handler.onDelete({ ...props, PollSeconds: '0' }, () => undefined, async () => undefined).catch(() => undefined);
        const sent = actions();
        expect(sent.length).toBeGreaterThan(0);
        expect({ stack: t.title, undeclared: undeclaredIn(sent, declared) }).toEqual({ stack: t.title, undeclared: [] });
      } finally {
        stubs.forEach((s) => s.restore());
      }
    }
    // Every command the source can send, reached by these runs or not (some only in one context, e.g. the lab's own recorder).
    expect(undeclaredIn(staticActions(source), declaredInSomeContext)).toEqual([]);
  });
});

function dedupe<T extends { action: string; resource: string }>(calls: readonly T[]): T[] {
  const seen = new Set<string>();
  return calls.filter((c) => {
    const key = `${c.action} ${c.resource} ${JSON.stringify((c as { context?: unknown }).context ?? {})}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
