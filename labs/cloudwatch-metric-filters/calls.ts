// The calls each role of the lab must be able to make, and the service deliveries it relies on (test/policy/ proves them).
import { alarmPublishes, functionLogCalls, lambdaAssumesRole, ruleInvokes, type CallEnv, type LabRoleCalls, type LabServicePrincipalCalls } from '../../lib/policy/calls';
import { APP_LOG_GROUP_NAME, APP_LOG_STREAM_NAME, LAB_ID } from './contract';

const alarmArn = (env: CallEnv, name: string) => `arn:${env.partition}:cloudwatch:${env.region}:${env.account}:alarm:${name}`;
const topicArn = (env: CallEnv) => `arn:${env.partition}:sns:${env.region}:${env.account}:DopLab-${LAB_ID}-alerts`;

export const roleCalls: LabRoleCalls = [
  {
    role: 'Generator/Role',
    purpose: 'generator function, run every minute by EventBridge',
    calls: (env) => [
      { action: 'logs:PutLogEvents', resource: `arn:${env.partition}:logs:${env.region}:${env.account}:log-group:${APP_LOG_GROUP_NAME}:log-stream:${APP_LOG_STREAM_NAME}` },
      ...functionLogCalls(env, LAB_ID, 'generator'),
    ],
  },
  {
    role: 'Cleanup/Handler/Role',
    purpose: 'in-stack cleanup handler',
    calls: (env) => [
      { action: 'cloudwatch:DescribeAlarms', resource: '*' },
      { action: 'cloudwatch:DeleteAlarms', resource: alarmArn(env, 'orders-api-errors') },
      ...functionLogCalls(env, LAB_ID, 'cleanup'),
    ],
  },
];

export const servicePrincipalCalls: LabServicePrincipalCalls = (env) => [
  // The learner's alarm notifies the alert topic (issue 10, defect 1).
  alarmPublishes(env, topicArn(env), 'orders-api-errors'),
  ruleInvokes(env, '@{GeneratorSchedule.Arn}', 'lambda:InvokeFunction', '@{Generator/Function.Arn}'),
  lambdaAssumesRole(env, 'Generator/Role'),
  lambdaAssumesRole(env, 'Cleanup/Handler/Role'),
];

/** What the reference solution sends, with the learner's credentials. */
export const solutionActions: readonly string[] = ['logs:PutMetricFilter', 'logs:PutRetentionPolicy', 'cloudwatch:PutMetricAlarm'];
