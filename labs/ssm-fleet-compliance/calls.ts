// The calls each role of the ssm-fleet-compliance stack must be able to make (policy proofs, issue 10).
import { lambdaAssumesRole, type CallEnv, type DeclaredCall, type LabRoleCalls, type LabServicePrincipalCalls } from '../../lib/policy/calls';
import { LAB_ID } from './contract';

const arn = (env: CallEnv, service: string, resource: string) => `arn:${env.partition}:${service}:${env.region}:${env.account}:${resource}`;

/** What an inline function writes to its own log group (lib/cdk/inline-cleanup.ts). */
function ownLogs(env: CallEnv, name: string): DeclaredCall[] {
  const group = arn(env, 'logs', `log-group:/doplab/${LAB_ID}/lambda/${name}`);
  const stream = `${group}:log-stream:2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef`;
  return [
    { action: 'logs:CreateLogStream', resource: stream },
    { action: 'logs:PutLogEvents', resource: stream },
  ];
}

/** Examples of what the learner makes. */
const ASSOCIATION_ID = '8dfe3659-4309-493a-8755-0123456789ab';
const BASELINE_ID = 'pb-0c10e65780EXAMPLE';
const WINDOW_ID = 'mw-0c50858d01EXAMPLE';
const INSTANCE_ID = 'i-0a1b2c3d4e5f60718';

export const roleCalls: LabRoleCalls = [
  {
    // Its only policy is the AWS-managed AmazonSSMManagedInstanceCore (what the SSM Agent calls), which the proofs
    // simulate from its vendored document (test/policy/managed/).
    role: 'InstanceRole',
    purpose: 'fleet instances (SSM Agent, through AmazonSSMManagedInstanceCore)',
    calls: (env) => [
      { action: 'ssm:UpdateInstanceInformation', resource: arn(env, 'ec2', `instance/${INSTANCE_ID}`) },
      { action: 'ssm:ListInstanceAssociations', resource: arn(env, 'ec2', `instance/${INSTANCE_ID}`) },
      { action: 'ssm:PutComplianceItems', resource: arn(env, 'ec2', `instance/${INSTANCE_ID}`) },
      { action: 'ssm:GetDocument', resource: arn(env, 'ssm', 'document/AWS-RunPatchBaseline') },
      { action: 'ssm:DescribeAssociation', resource: arn(env, 'ssm', `association/${ASSOCIATION_ID}`) },
      { action: 'ec2messages:GetMessages', resource: '*' },
      { action: 'ssmmessages:CreateControlChannel', resource: '*' },
    ],
  },
  {
    role: 'Cleanup/Handler/Role',
    purpose: 'in-stack cleanup handler',
    calls: (env) => [
      ...ownLogs(env, 'cleanup'),
      { action: 'ssm:ListAssociations', resource: '*' },
      { action: 'ssm:DeleteAssociation', resource: arn(env, 'ssm', `association/${ASSOCIATION_ID}`) },
      { action: 'ssm:DescribeMaintenanceWindows', resource: '*' },
      { action: 'ssm:DescribeMaintenanceWindowTargets', resource: arn(env, 'ssm', `maintenancewindow/${WINDOW_ID}`) },
      { action: 'ssm:DeleteMaintenanceWindow', resource: arn(env, 'ssm', `maintenancewindow/${WINDOW_ID}`) },
      { action: 'ssm:DescribePatchGroups', resource: '*' },
      { action: 'ssm:DeregisterPatchBaselineForPatchGroup', resource: arn(env, 'ssm', `patchbaseline/${BASELINE_ID}`) },
      { action: 'ssm:GetPatchBaseline', resource: arn(env, 'ssm', `patchbaseline/${BASELINE_ID}`) },
      { action: 'ssm:DeletePatchBaseline', resource: arn(env, 'ssm', `patchbaseline/${BASELINE_ID}`) },
    ],
  },
];

/**
 * The service deliveries the lab relies on: EC2 assuming the instance role (through the instance profile) and Lambda
 * running the cleanup function. The SSM Agent then calls Systems Manager with the instance role's credentials (roleCalls).
 */
export const servicePrincipalCalls: LabServicePrincipalCalls = (env) => [
  { principal: 'ec2.amazonaws.com', purpose: 'EC2 gives the fleet instances the instance role', action: 'sts:AssumeRole', resource: '@{InstanceRole.Arn}', context: { 'aws:SourceAccount': env.account } },
  lambdaAssumesRole(env, 'Cleanup/Handler/Role'),
];

/** What the reference solution calls, with the learner's own credentials (no role of the stack). */
export const solutionActions: readonly string[] = [
  'ssm:ListAssociations',
  'ssm:CreateAssociation',
  'ssm:UpdateAssociation',
  'ssm:AddTagsToResource',
  'ssm:DescribePatchBaselines',
  'ssm:CreatePatchBaseline',
  'ssm:RegisterPatchBaselineForPatchGroup',
  'ec2:CreateTags',
];
