// The calls each role of the eventbridge-incidents stack must be able to make (policy proofs, issue 10).
import { lambdaAssumesRole, ruleInvokes, type CallEnv, type DeclaredCall, type LabRoleCalls, type LabServicePrincipalCalls } from '../../lib/policy/calls';
import { EVENT_BUS_NAME, LAB_ID } from './contract';

const arn = (env: CallEnv, service: string, resource: string) => `arn:${env.partition}:${service}:${env.region}:${env.account}:${resource}`;
const busArn = (env: CallEnv) => arn(env, 'events', `event-bus/${EVENT_BUS_NAME}`);

/** What an inline function writes to its own log group (lib/cdk/inline-cleanup.ts). */
function ownLogs(env: CallEnv, name: string): DeclaredCall[] {
  const group = arn(env, 'logs', `log-group:/doplab/${LAB_ID}/lambda/${name}`);
  const stream = `${group}:log-stream:2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef`;
  return [
    { action: 'logs:CreateLogStream', resource: stream },
    { action: 'logs:PutLogEvents', resource: stream },
  ];
}

/** An example of what the learner makes: a rule on each bus, a dead-letter queue, an archive and a replay. */
const LEARNER_RULE = 'payments-page-on-call';
const LEARNER_ALARM_RULE = 'payment-errors-to-handler';
const LEARNER_DLQ = 'payments-incidents-dlq';

export const roleCalls: LabRoleCalls = [
  {
    role: 'Generator/Role',
    purpose: 'payments event generator (every minute)',
    calls: (env) => [...ownLogs(env, 'generator'), { action: 'events:PutEvents', resource: busArn(env) }],
  },
  {
    role: 'Handler/Role',
    purpose: 'incident handler (records what it receives)',
    calls: (env) => ownLogs(env, 'handler'),
  },
  {
    role: 'Cleanup/Handler/Role',
    purpose: 'in-stack cleanup handler',
    calls: (env) => [
      ...ownLogs(env, 'cleanup'),
      { action: 'events:DescribeEventBus', resource: busArn(env) },
      { action: 'events:ListRules', resource: '*' },
      { action: 'events:ListRuleNamesByTarget', resource: '*' },
      { action: 'events:ListTargetsByRule', resource: arn(env, 'events', `rule/${EVENT_BUS_NAME}/${LEARNER_RULE}`) },
      { action: 'events:RemoveTargets', resource: arn(env, 'events', `rule/${EVENT_BUS_NAME}/${LEARNER_RULE}`) },
      { action: 'events:DeleteRule', resource: arn(env, 'events', `rule/${EVENT_BUS_NAME}/${LEARNER_RULE}`) },
      { action: 'events:ListTargetsByRule', resource: arn(env, 'events', `rule/${LEARNER_ALARM_RULE}`) },
      { action: 'events:RemoveTargets', resource: arn(env, 'events', `rule/${LEARNER_ALARM_RULE}`) },
      { action: 'events:DeleteRule', resource: arn(env, 'events', `rule/${LEARNER_ALARM_RULE}`) },
      { action: 'events:ListArchives', resource: '*' },
      { action: 'events:ListReplays', resource: '*' },
      { action: 'events:CancelReplay', resource: arn(env, 'events', 'replay/payments-replay') },
      { action: 'events:DeleteArchive', resource: arn(env, 'events', 'archive/payments-archive') },
      { action: 'sqs:GetQueueUrl', resource: arn(env, 'sqs', LEARNER_DLQ) },
      { action: 'sqs:GetQueueAttributes', resource: arn(env, 'sqs', LEARNER_DLQ) },
      { action: 'sqs:DeleteQueue', resource: arn(env, 'sqs', LEARNER_DLQ) },
    ],
  },
];

/** The service deliveries the lab relies on: the schedule runs the generator, Lambda assumes each function's role. */
export const servicePrincipalCalls: LabServicePrincipalCalls = (env) => [
  ruleInvokes(env, '@{GeneratorSchedule.Arn}', 'lambda:InvokeFunction', '@{Generator/Function.Arn}'),
  ...['Generator/Role', 'Handler/Role', 'Cleanup/Handler/Role'].map((role) => lambdaAssumesRole(env, role)),
];

/** What the reference solution calls, with the learner's own credentials (no role of the stack). */
export const solutionActions: readonly string[] = [
  'sqs:CreateQueue',
  'sqs:TagQueue',
  'sqs:GetQueueAttributes',
  'sqs:SetQueueAttributes',
  'events:PutRule',
  'events:TagResource',
  'events:PutTargets',
  'sns:SetTopicAttributes',
  'lambda:AddPermission',
  'events:CreateArchive',
  'events:DescribeArchive',
  'events:StartReplay',
];
