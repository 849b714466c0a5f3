// The calls each role of the scaling-self-healing stack must be able to make (policy proofs, issue 10), formed as the
// code forms them. No aws-cdk-lib import: plain data.
import { lambdaAssumesRole, type CallEnv, type DeclaredCall, type LabRoleCalls, type LabServicePrincipalCalls } from '../../lib/policy/calls';
import { GROUP_NAME, LAB_ID } from './contract';

/** A group's ARN as AWS forms it: a generated id, then the name. */
const groupArn = (env: CallEnv, name: string = GROUP_NAME) =>
  `arn:${env.partition}:autoscaling:${env.region}:${env.account}:autoScalingGroup:4f1c2e3d-5a6b-4c7d-8e9f-0a1b2c3d4e5f:autoScalingGroupName/${name}`;

/** What the Lambda runtime writes with every function's role: its own log group (InlineFunction). */
function logCalls(env: CallEnv, name: string): DeclaredCall[] {
  const stream = `arn:${env.partition}:logs:${env.region}:${env.account}:log-group:/doplab/${LAB_ID}/lambda/${name}:log-stream:2026/11/27/[$LATEST]0f1e2d3c4b5a69788796a5b4c3d2e1f0`;
  return [
    { action: 'logs:CreateLogStream', resource: stream },
    { action: 'logs:PutLogEvents', resource: stream },
  ];
}

export const roleCalls: LabRoleCalls = [
  {
    role: 'Cleanup/Handler/Role',
    purpose: 'in-stack cleanup handler (cleanup.handler.js)',
    calls: (env) => [
      ...logCalls(env, 'cleanup'),
      { action: 'autoscaling:DescribeInstanceRefreshes', resource: '*' },
      { action: 'autoscaling:CancelInstanceRefresh', resource: groupArn(env) },
      { action: 'autoscaling:DescribeScheduledActions', resource: '*' },
      { action: 'autoscaling:DeleteScheduledAction', resource: groupArn(env) },
      { action: 'autoscaling:DescribeLifecycleHooks', resource: '*' },
      { action: 'autoscaling:DeleteLifecycleHook', resource: groupArn(env) },
      { action: 'autoscaling:DescribeWarmPool', resource: '*' },
      { action: 'autoscaling:DeleteWarmPool', resource: groupArn(env) },
      { action: 'autoscaling:DescribePolicies', resource: '*' },
      { action: 'autoscaling:DeletePolicy', resource: groupArn(env) },
      // The learner names the alarms of a step or simple policy; the policy lists them.
      { action: 'cloudwatch:DeleteAlarms', resource: `arn:${env.partition}:cloudwatch:${env.region}:${env.account}:alarm:orders-cpu-high` },
      { action: 'autoscaling:DeletePolicy', resource: groupArn(env, 'production-web'), deniedBecause: "only the lab's group" },
    ],
  },
];

/**
 * The service deliveries the lab relies on: Lambda running the cleanup function. Auto Scaling and Elastic Load
 * Balancing act through their service-linked roles (no resource policy of the stack is involved); the instances
 * have no role.
 */
export const servicePrincipalCalls: LabServicePrincipalCalls = (env) => [lambdaAssumesRole(env, 'Cleanup/Handler/Role')];

/** What the reference solution sends, with the learner's credentials (not a role of the stack). */
export const solutionActions: readonly string[] = [
  'autoscaling:UpdateAutoScalingGroup',
  'autoscaling:PutScalingPolicy',
  'autoscaling:DescribeAutoScalingGroups',
  'autoscaling:StartInstanceRefresh',
  'autoscaling:DescribeInstanceRefreshes',
  'autoscaling:DescribeScalingActivities',
  'ec2:DescribeLaunchTemplateVersions',
  'ec2:CreateLaunchTemplateVersion',
];
