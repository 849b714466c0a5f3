// The calls each role of the security-monitoring stack must be able to make (policy proofs, issue 10), formed as the
// code forms them. No aws-cdk-lib import: plain data.
import type { CallEnv, DeclaredCall, LabRoleCalls } from '../../lib/policy/calls';
import { LAB_ID, TRAIL_LOG_GROUP_NAME, TRAIL_NAME } from './contract';

const logGroupArn = (env: CallEnv, name: string) => `arn:${env.partition}:logs:${env.region}:${env.account}:log-group:${name}`;
const trailArn = (env: CallEnv) => `arn:${env.partition}:cloudtrail:${env.region}:${env.account}:trail/${TRAIL_NAME}`;
/** A key the learner creates: any id, in this account and region. */
const keyArn = (env: CallEnv) => `arn:${env.partition}:kms:${env.region}:${env.account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
/** The bucket's generated name: CloudFormation picks it. */
const BUCKET = 'doplab-security-monitoring-trailbucketa831ce63-1x2y3z4w5v6u';

export const roleCalls: LabRoleCalls = [
  {
    role: 'TrailLogsRole',
    purpose: `CloudTrail, delivering trail ${TRAIL_NAME} to ${TRAIL_LOG_GROUP_NAME}`,
    calls: (env) => {
      // CloudTrail names its streams <account>_CloudTrail_<region>, one per region of a multi-region trail.
      const stream = `${logGroupArn(env, TRAIL_LOG_GROUP_NAME)}:log-stream:${env.account}_CloudTrail_${env.region}`;
      return [
        { action: 'logs:CreateLogStream', resource: stream },
        { action: 'logs:PutLogEvents', resource: stream },
      ];
    },
  },
  {
    role: 'Cleanup/Handler/Role',
    purpose: 'in-stack cleanup handler (cleanup.handler.js)',
    calls: (env): DeclaredCall[] => {
      const own = `${logGroupArn(env, `/doplab/${LAB_ID}/lambda/cleanup`)}:log-stream:2026/11/27/[$LATEST]0f1e2d3c4b5a69788796a5b4c3d2e1f0`;
      return [
        { action: 'logs:CreateLogStream', resource: own },
        { action: 'logs:PutLogEvents', resource: own },
        { action: 'cloudtrail:GetTrail', resource: trailArn(env) },
        { action: 'cloudtrail:StopLogging', resource: trailArn(env) },
        { action: 'cloudtrail:DescribeTrails', resource: '*' },
        { action: 'kms:DescribeKey', resource: keyArn(env) },
        { action: 'kms:ScheduleKeyDeletion', resource: keyArn(env) },
        { action: 'logs:DescribeLogGroups', resource: '*' },
        { action: 'logs:DescribeMetricFilters', resource: `${logGroupArn(env, TRAIL_LOG_GROUP_NAME)}:*` },
        { action: 'cloudwatch:DescribeAlarms', resource: `arn:${env.partition}:cloudwatch:${env.region}:${env.account}:alarm:*` },
        { action: 'cloudwatch:DeleteAlarms', resource: `arn:${env.partition}:cloudwatch:${env.region}:${env.account}:alarm:security-root-usage` },
        { action: 's3:ListBucket', resource: `arn:${env.partition}:s3:::${BUCKET}` },
        { action: 's3:DeleteObject', resource: `arn:${env.partition}:s3:::${BUCKET}/AWSLogs/${env.account}/CloudTrail/${env.region}/2026/11/27/file.json.gz` },
      ];
    },
  },
];

/** What the reference solution sends, with the learner's credentials (not a role of the stack). */
export const solutionActions: readonly string[] = [
  'cloudtrail:GetTrail',
  'kms:CreateKey',
  'kms:TagResource',
  'cloudtrail:UpdateTrail',
  'logs:PutMetricFilter',
  'cloudwatch:PutMetricAlarm',
  'cloudwatch:TagResource',
];

