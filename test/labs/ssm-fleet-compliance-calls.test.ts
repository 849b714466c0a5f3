// The lab's roles against labs/ssm-fleet-compliance/calls.ts: every declared call is allowed by the role's
// synthesized policy, as AWS would decide (iam-simulate), and every action and ARN exists in the Service Authorization
// Reference (the instance role, with only an AWS-managed policy, excepted). A stand-in until the shared policy proofs (issue 10) cover every lab.
import { App } from 'aws-cdk-lib';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { roleCalls } from '../../labs/ssm-fleet-compliance/calls';
import { LAB_ID } from '../../labs/ssm-fleet-compliance/contract';
import { addLabStack } from '../../labs/ssm-fleet-compliance/stack';
import type { CallEnv } from '../../lib/policy/calls';

const ENV: CallEnv = {
  partition: 'aws',
  account: '111122223333',
  region: 'us-east-1',
  regions: ['us-east-1'],
  stackName: `DopLab-${LAB_ID}`,
  stackId: `arn:aws:cloudformation:us-east-1:111122223333:stack/DopLab-${LAB_ID}/7c1d2e30-cb7a-11f0-9e3f-0a1b2c3d4e5f`,
};

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> }>;

/** Resolves the intrinsics the lab's policies use, in ENV. */
function resolver(resources: Resources) {
  const arnOf = (id: string): string => {
    const r = resources[id];
    const p = r.Properties;
    const at = `${ENV.region}:${ENV.account}`;
    switch (r.Type) {
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${at}:log-group:${String(p.LogGroupName)}:*`;
      default:
        throw new Error(`no ARN for ${r.Type} ${id}`);
    }
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const v = value as Record<string, unknown>;
    if ('Ref' in v) return { 'AWS::Partition': ENV.partition, 'AWS::Region': ENV.region, 'AWS::AccountId': ENV.account }[v.Ref as string] ?? (() => { throw new Error(`Ref ${String(v.Ref)}`); })();
    if ('Fn::Join' in v) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(resolve).join(sep);
    }
    if ('Fn::GetAtt' in v) return arnOf((v['Fn::GetAtt'] as string[])[0]);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
  };
  return resolve;
}

describe('ssm-fleet-compliance roles and calls.ts', () => {
  const app = new App({ context: { 'aws:cdk:enable-path-metadata': true } });
  const stack = addLabStack(app);
  const template = app.synth().getStackByName(stack.stackName).template as { Resources: Resources };
  const resolve = resolver(template.Resources);
  const roles = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Role');
  const pathOf = (id: string) => (template.Resources[id].Metadata?.['aws:cdk:path'] ?? '').replace(`${stack.stackName}/`, '').replace(/\/Resource$/, '');

  it('declares every role of the stack, and only those', () => {
    expect(roles.map(([id]) => pathOf(id)).sort()).toEqual(roleCalls.map((r) => r.role).sort());
  });

  it('gives the instance role AmazonSSMManagedInstanceCore only (its agent calls are declared for the shared proofs)', () => {
    const [, role] = roles.find(([id]) => pathOf(id) === 'InstanceRole')!;
    expect(role.Properties.Policies).toBeUndefined();
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain(':iam::aws:policy/AmazonSSMManagedInstanceCore');
  });

  // The AWS-managed policy's document is not in the template: only roles with inline policies are simulated here.
  it.each(roleCalls.filter((r) => r.role !== 'InstanceRole').map((r) => [r.role, r] as const))('lets %s make every call it declares', async (_, declared) => {
    const [roleId] = roles.find(([id]) => pathOf(id) === declared.role)!;
    const policies = (template.Resources[roleId].Properties.Policies as { PolicyName: string; PolicyDocument: unknown }[]).map((p) => ({
      name: p.PolicyName,
      policy: resolve(p.PolicyDocument),
    }));
    for (const call of declared.calls(ENV)) {
      const result = await runSimulation(
        {
          request: {
            principal: `arn:aws:sts::${ENV.account}:assumed-role/${roleId}/session`,
            action: call.action,
            resource: { resource: call.resource, accountId: ENV.account },
            contextVariables: { ...(call.context as Record<string, string> | undefined) },
          },
          identityPolicies: policies,
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      const decision = result.resultType === 'error' ? `error ${JSON.stringify(result.errors)}` : result.overallResult;
      expect([call.action, call.resource, decision]).toEqual([call.action, call.resource, call.deniedBecause ? 'ImplicitlyDenied' : 'Allowed']);
    }
  });
});
