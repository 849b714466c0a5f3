// The calls each role of the security-monitoring stack must be able to make (policy proofs, issue 10), formed as the
// code forms them. No aws-cdk-lib import: plain data.
import { alarmPublishes, lambdaAssumesRole, type CallEnv, type DeclaredCall, type LabRoleCalls, type LabServicePrincipalCalls } from '../../lib/policy/calls';
import type { PolicyDocument } from '../../lib/policy/template-policies';
import { LAB_ID, TRAIL_LOG_GROUP_NAME, TRAIL_NAME } from './contract';
import { solutionKeyPolicy } from './solution';

const logGroupArn = (env: CallEnv, name: string) => `arn:${env.partition}:logs:${env.region}:${env.account}:log-group:${name}`;
const trailArn = (env: CallEnv) => `arn:${env.partition}:cloudtrail:${env.region}:${env.account}:trail/${TRAIL_NAME}`;
/** A key the learner creates: any id, in this account and region. */
const keyArn = (env: CallEnv) => `arn:${env.partition}:kms:${env.region}:${env.account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
/** The trail bucket (CloudFormation generates its name). */
const BUCKET = '@{TrailBucket.Arn}';
/** A log file CloudTrail writes: AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<name>.json.gz. */
const logFile = (env: CallEnv) => `${BUCKET}/AWSLogs/${env.account}/CloudTrail/${env.region}/2026/11/27/${env.account}_CloudTrail_${env.region}_20261127T1200Z_abcdEFGH1234ijkl.json.gz`;
/**
 * KMS honours the cleanup role's identity policy only if the key policy lets the account delegate: the key the learner
 * makes carries the solution's key policy (its first statement does).
 */
const learnerKeyPolicy = (env: CallEnv): PolicyDocument => JSON.parse(solutionKeyPolicy(env.partition, env.account, trailArn(env))) as PolicyDocument;

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
        // A learner's trail delivering to the lab bucket, deleted in its home region (any region).
        { action: 'cloudtrail:DeleteTrail', resource: `arn:${env.partition}:cloudtrail:us-east-1:${env.account}:trail/my-audit-trail` },
        { action: 'kms:DescribeKey', resource: keyArn(env), resourcePolicy: learnerKeyPolicy(env) },
        { action: 'kms:ScheduleKeyDeletion', resource: keyArn(env), resourcePolicy: learnerKeyPolicy(env) },
        { action: 'logs:DescribeLogGroups', resource: '*' },
        { action: 'logs:DescribeMetricFilters', resource: `${logGroupArn(env, TRAIL_LOG_GROUP_NAME)}:*` },
        { action: 'cloudwatch:DescribeAlarms', resource: `arn:${env.partition}:cloudwatch:${env.region}:${env.account}:alarm:*` },
        { action: 'cloudwatch:DeleteAlarms', resource: `arn:${env.partition}:cloudwatch:${env.region}:${env.account}:alarm:security-root-usage` },
        { action: 's3:ListBucket', resource: BUCKET },
        { action: 's3:DeleteBucketPolicy', resource: BUCKET },
        { action: 's3:DeleteObject', resource: logFile(env) },
        // DeleteObjects needs it for versioned keys; the bucket is unversioned, yet the grant keeps the handler's command covered.
        { action: 's3:DeleteObjectVersion', resource: logFile(env) },
      ];
    },
  },
];

/** The service deliveries the lab relies on, under the resource policies (and trust policies) of the stack. */
export const servicePrincipalCalls: LabServicePrincipalCalls = (env) => {
  const fromTrail = { 'aws:SourceAccount': env.account, 'aws:SourceArn': trailArn(env) };
  return [
    { principal: 'cloudtrail.amazonaws.com', purpose: `CloudTrail checks the ACL of trail ${TRAIL_NAME}'s bucket`, action: 's3:GetBucketAcl', resource: BUCKET, context: fromTrail },
    {
      principal: 'cloudtrail.amazonaws.com',
      purpose: `CloudTrail delivers trail ${TRAIL_NAME}'s log files`,
      action: 's3:PutObject',
      resource: logFile(env),
      context: { ...fromTrail, 's3:x-amz-acl': 'bucket-owner-full-control' },
    },
    { principal: 'cloudtrail.amazonaws.com', purpose: `CloudTrail assumes its role to deliver to ${TRAIL_LOG_GROUP_NAME}`, action: 'sts:AssumeRole', resource: '@{TrailLogsRole.Arn}', context: fromTrail },
    alarmPublishes(env, '@{SecurityTopic.Ref}', 'security-root-usage'),
    lambdaAssumesRole(env, 'Cleanup/Handler/Role'),
  ];
};

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

