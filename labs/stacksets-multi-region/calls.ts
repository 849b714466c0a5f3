// The calls each role of the lab must be able to make, and the service deliveries it relies on (test/policy/ proves them).
import { join } from 'node:path';
import { functionLogCalls, lambdaAssumesRole, type CallEnv, type DeclaredCall, type LabRoleCalls, type LabServicePrincipalCalls } from '../../lib/policy/calls';
import { BASELINE_ALARM_NAME, BASELINE_FILE, BASELINE_LOG_GROUP_NAME, LAB_ID, STACK_INSTANCE_PREFIX } from './contract';

const STACK_SET = 'doplab-baseline';
const stackSetArn = (env: CallEnv) => `arn:${env.partition}:cloudformation:${env.region}:${env.account}:stackset/${STACK_SET}:0f2c4e6a-8b1d-4f3e-9a5c-7d6e8f901234`;
const executionRoleArn = (env: CallEnv) => `arn:${env.partition}:iam::${env.account}:role/DopLab-StackSetExecution-${env.region}`;

/**
 * What StackSets does with the execution role in one target region: run the instance stack (create, update,
 * delete, drift detection). What CloudFormation then does for the baseline's resources is derived from
 * baseline.yaml (`deploysTemplate`).
 */
function executionCalls(env: CallEnv, region: string): DeclaredCall[] {
  const stack = `arn:${env.partition}:cloudformation:${region}:${env.account}:stack/${STACK_INSTANCE_PREFIX}${STACK_SET}-4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d/5f6a7b8c-9d0e-4f1a-8b2c-3d4e5f6a7b8c`;
  const logGroup = `arn:${env.partition}:logs:${region}:${env.account}:log-group:${BASELINE_LOG_GROUP_NAME}`;
  const alarm = `arn:${env.partition}:cloudwatch:${region}:${env.account}:alarm:${BASELINE_ALARM_NAME}`;
  const inRegion = { 'aws:RequestedRegion': region };
  return [
    ...['CreateStack', 'UpdateStack', 'DeleteStack', 'DescribeStacks', 'DescribeStackEvents', 'DescribeStackResources', 'GetTemplate', 'DetectStackDrift', 'DescribeStackResourceDrifts'].map(
      (op) => ({ action: `cloudformation:${op}`, resource: stack, context: inRegion }),
    ),
    // Supports no resource type: only a grant on `*` allows it (defect 4 of issue 10).
    { action: 'cloudformation:DescribeStackDriftDetectionStatus', resource: '*', context: inRegion },
    // StackSets hands the template over from and reports to service-owned buckets and topics (AWS's documented minimum).
    { action: 's3:GetObject', resource: `arn:${env.partition}:s3:::cloudformation-stackset-templates-${region}/${STACK_SET}/template.json`, context: inRegion },
    { action: 'sns:Publish', resource: `arn:${env.partition}:sns:${region}:${env.account}:cfn-stackset-events`, context: inRegion },
    // Drift detection reads the baseline's resources back.
    { action: 'logs:DescribeLogGroups', resource: '*', context: inRegion },
    { action: 'logs:DescribeMetricFilters', resource: `${logGroup}:*`, context: inRegion },
    { action: 'cloudwatch:DescribeAlarms', resource: alarm, context: inRegion },
  ];
}

export const roleCalls: LabRoleCalls = [
  {
    role: 'AdministrationRole',
    purpose: 'StackSets administration role (CloudFormation assumes it)',
    calls: (env) => [{ action: 'sts:AssumeRole', resource: executionRoleArn(env) }],
  },
  {
    role: 'ExecutionRole',
    purpose: 'StackSets execution role (the administration role assumes it in every target region)',
    calls: (env) => env.regions.flatMap((region) => executionCalls(env, region)),
    deploysTemplate: join(__dirname, BASELINE_FILE),
  },
  {
    role: 'Cleanup/Handler/Role',
    purpose: 'in-stack cleanup handler',
    calls: (env) => [
      { action: 'cloudformation:ListStackSets', resource: '*' },
      ...['DescribeStackSet', 'ListStackInstances', 'ListStackSetOperations', 'DescribeStackSetOperation', 'DeleteStackInstances', 'DeleteStackSet'].map((op) => ({
        action: `cloudformation:${op}`,
        resource: stackSetArn(env),
      })),
      { action: 'iam:PassRole', resource: '@{AdministrationRole.Arn}', context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
      ...functionLogCalls(env, LAB_ID, 'cleanup'),
    ],
  },
];

export const servicePrincipalCalls: LabServicePrincipalCalls = (env) => [
  {
    principal: 'cloudformation.amazonaws.com',
    purpose: 'StackSets assumes the administration role',
    action: 'sts:AssumeRole',
    resource: '@{AdministrationRole.Arn}',
    context: { 'aws:SourceAccount': env.account, 'aws:SourceArn': stackSetArn(env) },
  },
  lambdaAssumesRole(env, 'Cleanup/Handler/Role'),
];

/** What the reference solution sends, with the learner's credentials. */
export const solutionActions: readonly string[] = [
  'cloudformation:CreateStackSet',
  'cloudformation:DescribeStackSet',
  'cloudformation:CreateStackInstances',
  'cloudformation:DescribeStackSetOperation',
  'cloudformation:ListStackInstances',
  'cloudformation:UpdateStackSet',
  'cloudformation:DetectStackSetDrift',
  'iam:PassRole',
];
