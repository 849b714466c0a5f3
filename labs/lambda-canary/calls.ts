// The calls each role of the lambda-canary stack must be able to make (policy proofs, issue 10), formed as the
// code forms them. No aws-cdk-lib import: plain data.
import { lambdaAssumesRole, ruleInvokes, type CallEnv, type DeclaredCall, type LabRoleCalls, type LabServicePrincipalCalls } from '../../lib/policy/calls';
import { ALIAS_NAME, APPLICATION_NAME, FUNCTION_NAME, HOOK_FUNCTION_NAME, LAB_ID } from './contract';
import { SOLUTION_ALARM_NAME, SOLUTION_GROUP_NAME } from './solution';

/** A deployment group and a custom configuration a learner might name: the code takes whatever it lists. */
const GROUP = SOLUTION_GROUP_NAME;
const CUSTOM_CONFIG = 'pricing-canary-20-5';

const lambdaArn = (env: CallEnv, qualifier?: string) =>
  `arn:${env.partition}:lambda:${env.region}:${env.account}:function:${FUNCTION_NAME}${qualifier ? `:${qualifier}` : ''}`;
const groupArn = (env: CallEnv) => `arn:${env.partition}:codedeploy:${env.region}:${env.account}:deploymentgroup:${APPLICATION_NAME}/${GROUP}`;

/** What the Lambda runtime writes with every function's role: its own log group (InlineFunction). */
function logCalls(env: CallEnv, name: string): DeclaredCall[] {
  const stream = `arn:${env.partition}:logs:${env.region}:${env.account}:log-group:/doplab/${LAB_ID}/lambda/${name}:log-stream:2026/11/27/[1]0f1e2d3c4b5a69788796a5b4c3d2e1f0`;
  return [
    { action: 'logs:CreateLogStream', resource: stream },
    { action: 'logs:PutLogEvents', resource: stream },
  ];
}

export const roleCalls: LabRoleCalls = [
  {
    role: 'Pricing/Role',
    purpose: 'the pricing function (every release)',
    calls: (env) => logCalls(env, 'pricing'),
  },
  {
    role: 'Hook/Role',
    purpose: `the BeforeAllowTraffic hook ${HOOK_FUNCTION_NAME} (hook.handler.js)`,
    calls: (env) => [
      ...logCalls(env, 'hook'),
      { action: 'codedeploy:GetDeployment', resource: groupArn(env) },
      { action: 'lambda:InvokeFunction', resource: lambdaArn(env, '2') },
      { action: 'codedeploy:PutLifecycleEventHookExecutionStatus', resource: '*' },
    ],
  },
  {
    role: 'Generator/Role',
    purpose: 'the traffic generator (generator.handler.js)',
    calls: (env) => [...logCalls(env, 'generator'), { action: 'lambda:InvokeFunction', resource: lambdaArn(env, ALIAS_NAME) }],
  },
  {
    role: 'CodeDeployServiceRole',
    purpose: "CodeDeploy, for the learner's deployment group (AWSCodeDeployRoleForLambda)",
    calls: (env) => [
      { action: 'lambda:GetAlias', resource: lambdaArn(env, ALIAS_NAME) },
      { action: 'lambda:UpdateAlias', resource: lambdaArn(env, ALIAS_NAME) },
      { action: 'cloudwatch:DescribeAlarms', resource: `arn:${env.partition}:cloudwatch:${env.region}:${env.account}:alarm:${SOLUTION_ALARM_NAME}` },
      { action: 'lambda:InvokeFunction', resource: `arn:${env.partition}:lambda:${env.region}:${env.account}:function:${HOOK_FUNCTION_NAME}` },
    ],
  },
  {
    role: 'Cleanup/Handler/Role',
    purpose: 'in-stack cleanup handler (cleanup.handler.js)',
    calls: (env) => [
      ...logCalls(env, 'cleanup'),
      { action: 'codedeploy:ListDeploymentGroups', resource: `arn:${env.partition}:codedeploy:${env.region}:${env.account}:application:${APPLICATION_NAME}` },
      { action: 'codedeploy:ListDeployments', resource: groupArn(env) },
      { action: 'codedeploy:GetDeployment', resource: groupArn(env) },
      { action: 'codedeploy:StopDeployment', resource: '*' },
      { action: 'codedeploy:GetDeploymentGroup', resource: groupArn(env) },
      { action: 'codedeploy:DeleteDeploymentGroup', resource: groupArn(env) },
      { action: 'codedeploy:DeleteDeploymentConfig', resource: `arn:${env.partition}:codedeploy:${env.region}:${env.account}:deploymentconfig:${CUSTOM_CONFIG}` },
      { action: 'lambda:UpdateAlias', resource: lambdaArn(env, ALIAS_NAME) },
      { action: 'lambda:ListVersionsByFunction', resource: lambdaArn(env) },
      { action: 'lambda:DeleteFunction', resource: lambdaArn(env, '3') },
      // Every alarm of the account and region: the cleanup lists them all to find those on the function.
      { action: 'cloudwatch:DescribeAlarms', resource: `arn:${env.partition}:cloudwatch:${env.region}:${env.account}:alarm:*` },
      { action: 'cloudwatch:DeleteAlarms', resource: `arn:${env.partition}:cloudwatch:${env.region}:${env.account}:alarm:${SOLUTION_ALARM_NAME}` },
    ],
  },
];

/** The service deliveries the lab relies on: the schedule runs the generator, CodeDeploy and Lambda assume their roles. */
export const servicePrincipalCalls: LabServicePrincipalCalls = (env) => [
  ruleInvokes(env, '@{GeneratorSchedule.Arn}', 'lambda:InvokeFunction', '@{Generator/Function.Arn}'),
  {
    principal: 'codedeploy.amazonaws.com',
    purpose: "CodeDeploy assumes the service role of the learner's deployment group",
    action: 'sts:AssumeRole',
    resource: '@{CodeDeployServiceRole.Arn}',
    context: { 'aws:SourceAccount': env.account },
  },
  ...['Pricing/Role', 'Hook/Role', 'Generator/Role', 'Cleanup/Handler/Role'].map((role) => lambdaAssumesRole(env, role)),
];

/** What the reference solution sends, with the learner's credentials (not a role of the stack). */
export const solutionActions: readonly string[] = [
  'cloudwatch:PutMetricAlarm',
  'codedeploy:CreateDeploymentGroup',
  'codedeploy:UpdateDeploymentGroup',
  'codedeploy:ListDeployments',
  'codedeploy:CreateDeployment',
  'codedeploy:GetDeployment',
  'lambda:GetFunctionConfiguration',
  'lambda:UpdateFunctionConfiguration',
  'lambda:PublishVersion',
  'lambda:GetAlias',
];
