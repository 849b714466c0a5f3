// The calls each role of the lab must be able to make, and the service deliveries it relies on (test/policy/ proves them).
import { functionLogCalls, lambdaAssumesRole, type CallEnv, type LabRoleCalls, type LabServicePrincipalCalls } from '../../lib/policy/calls';
import { LAB_ID, WEB_LOG_GROUP_NAME } from './contract';

const arn = (env: CallEnv, service: string, resource: string) => `arn:${env.partition}:${service}:${env.region}:${env.account}:${resource}`;
const groupArn = (env: CallEnv) => arn(env, 'codedeploy', `deploymentgroup:@{Application.Ref}/@{DeploymentGroup.Ref}`);

export const roleCalls: LabRoleCalls = [
  { role: 'TaskDefinition/TaskRole', purpose: 'web task role (the nginx container calls no AWS API)', calls: () => [] },
  {
    role: 'TaskDefinition/ExecutionRole',
    purpose: 'ECS task execution role: pulls the public image and ships container logs',
    calls: (env) => [
      { action: 'logs:CreateLogStream', resource: arn(env, 'logs', `log-group:${WEB_LOG_GROUP_NAME}:log-stream:web/web/0123456789abcdef`) },
      { action: 'logs:PutLogEvents', resource: arn(env, 'logs', `log-group:${WEB_LOG_GROUP_NAME}:log-stream:web/web/0123456789abcdef`) },
    ],
  },
  {
    role: 'DeploymentGroup/ServiceRole',
    purpose: 'CodeDeploy service role of the ECS blue/green deployment group (AWSCodeDeployRoleForECS)',
    calls: (env) => [
      { action: 'ecs:DescribeServices', resource: arn(env, 'ecs', 'service/@{Cluster.Ref}/@{Service/Service.Name}') },
      { action: 'ecs:CreateTaskSet', resource: arn(env, 'ecs', 'task-set/@{Cluster.Ref}/@{Service/Service.Name}/ecs-svc/1234567890123456789') },
      { action: 'ecs:UpdateServicePrimaryTaskSet', resource: arn(env, 'ecs', 'service/@{Cluster.Ref}/@{Service/Service.Name}') },
      { action: 'ecs:DeleteTaskSet', resource: arn(env, 'ecs', 'task-set/@{Cluster.Ref}/@{Service/Service.Name}/ecs-svc/1234567890123456789') },
      { action: 'elasticloadbalancing:DescribeTargetGroups', resource: '*' },
      { action: 'elasticloadbalancing:DescribeListeners', resource: '*' },
      { action: 'elasticloadbalancing:ModifyListener', resource: '@{LoadBalancer/ProductionListener.Ref}' },
      { action: 'elasticloadbalancing:ModifyListener', resource: '@{LoadBalancer/TestListener.Ref}' },
      { action: 'cloudwatch:DescribeAlarms', resource: '*' },
      { action: 'iam:PassRole', resource: '@{TaskDefinition/ExecutionRole.Arn}', context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    ],
  },
  {
    role: 'Cleanup/Handler/Role',
    purpose: 'in-stack cleanup handler',
    calls: (env) => [
      { action: 'codedeploy:ListDeployments', resource: groupArn(env) },
      { action: 'codedeploy:GetDeployment', resource: groupArn(env) },
      // The Service Authorization Reference lists no resource type for StopDeployment (defect 2 of issue 10).
      { action: 'codedeploy:StopDeployment', resource: '*' },
      { action: 'codedeploy:GetDeploymentGroup', resource: groupArn(env) },
      { action: 'codedeploy:UpdateDeploymentGroup', resource: groupArn(env) },
      { action: 'codedeploy:DeleteDeploymentConfig', resource: arn(env, 'codedeploy', 'deploymentconfig:doplab-canary-20-5') },
      { action: 'cloudwatch:DescribeAlarms', resource: '*' },
      { action: 'cloudwatch:DeleteAlarms', resource: arn(env, 'cloudwatch', 'alarm:doplab-codedeploy-blue-green-blue-target-5xx') },
      { action: 'ecs:ListTaskDefinitions', resource: '*' },
      // DeregisterTaskDefinition supports no resource type: it is granted on `*` (defect 2 of issue 10).
      { action: 'ecs:DeregisterTaskDefinition', resource: '*' },
      ...functionLogCalls(env, LAB_ID, 'cleanup'),
    ],
  },
];

export const servicePrincipalCalls: LabServicePrincipalCalls = (env) => [
  { principal: 'codedeploy.amazonaws.com', purpose: 'CodeDeploy runs deployments with its service role', action: 'sts:AssumeRole', resource: '@{DeploymentGroup/ServiceRole.Arn}', context: { 'aws:SourceAccount': env.account } },
  { principal: 'ecs-tasks.amazonaws.com', purpose: 'ECS starts the web tasks with the execution role', action: 'sts:AssumeRole', resource: '@{TaskDefinition/ExecutionRole.Arn}', context: { 'aws:SourceAccount': env.account } },
  lambdaAssumesRole(env, 'Cleanup/Handler/Role'),
];

/** What the reference solution sends, with the learner's credentials. */
export const solutionActions: readonly string[] = [
  'cloudwatch:PutMetricAlarm',
  'codedeploy:UpdateDeploymentGroup',
  'codedeploy:ListDeployments',
  'codedeploy:GetDeployment',
  'codedeploy:CreateDeployment',
  'ecs:DescribeTaskDefinition',
  'ecs:RegisterTaskDefinition',
  'ecs:TagResource',
];

