// Reference solution of the security-monitoring lab, through the SDK: a customer managed key for the trail, log file
// validation, and one metric filter and alarm per control (the AWS Security Hub CloudWatch.x patterns). Running it
// twice reuses the trail's key and overwrites the filters and alarms.
import { CloudTrailClient, GetTrailCommand, UpdateTrailCommand } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, PutMetricFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { LAB_TAG_KEY } from '../../lib/contract';
import type { Solution } from '../../lib/lab';
import { LAB_ID, Outputs, type ControlId } from './contract';

/** The namespace of the solution's metrics (the learner may choose any). */
export const SOLUTION_NAMESPACE = 'DopLab/SecurityMonitoring';

/** The Security Hub reference patterns (CloudWatch.1, .2, .3 in its Security Hub variant, .4, .5, .10), by control. */
export const SOLUTION_FILTERS: Readonly<Record<ControlId, { readonly metricName: string; readonly pattern: string }>> = {
  'root-usage': {
    metricName: 'RootAccountUsage',
    pattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
  },
  'unauthorized-api-calls': {
    metricName: 'UnauthorizedAPICalls',
    pattern: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
  },
  'console-signin-without-mfa': {
    metricName: 'ConsoleSigninWithoutMFA',
    pattern:
      '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
  },
  'iam-policy-changes': {
    metricName: 'IAMPolicyChanges',
    pattern:
      '{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ' +
      '($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || ' +
      '($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) || ' +
      '($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy) }',
  },
  'cloudtrail-changes': {
    metricName: 'CloudTrailChanges',
    pattern: '{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }',
  },
  'security-group-changes': {
    metricName: 'SecurityGroupChanges',
    pattern:
      '{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ' +
      '($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }',
  },
};

/** The key policy the solution creates: the account administers the key; CloudTrail encrypts for this account's trails. */
export function solutionKeyPolicy(partition: string, account: string, trailArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'AccountAdministers', Effect: 'Allow', Principal: { AWS: `arn:${partition}:iam::${account}:root` }, Action: 'kms:*', Resource: '*' },
      {
        Sid: 'CloudTrailEncryptsLogs',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 'kms:GenerateDataKey*',
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:SourceArn': trailArn },
          StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${partition}:cloudtrail:*:${account}:trail/*` },
        },
      },
      { Sid: 'CloudTrailDescribesKey', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:DescribeKey', Resource: '*' },
      {
        Sid: 'AccountReadsLogs',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['kms:Decrypt', 'kms:ReEncryptFrom'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:CallerAccount': account }, StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${partition}:cloudtrail:*:${account}:trail/*` } },
      },
    ],
  });
}

export const solve: Solution<typeof Outputs> = async (ctx) => {
  const trails = ctx.client(CloudTrailClient);
  const kms = ctx.client(KMSClient);
  const logs = ctx.client(CloudWatchLogsClient);
  const cloudwatch = ctx.client(CloudWatchClient);
  const { trailArn, trailLogGroupName, securityTopicArn } = ctx.outputs;
  const partition = trailArn.split(':')[1];

  const { Trail } = await trails.send(new GetTrailCommand({ Name: trailArn }));
  let keyId = Trail?.KmsKeyId;
  if (!keyId) {
    const created = await kms.send(
      new CreateKeyCommand({
        Description: `Encrypts the log files of trail ${ctx.outputs.trailName} (doplab lab ${LAB_ID}).`,
        Policy: solutionKeyPolicy(partition, ctx.account, trailArn),
        Tags: [{ TagKey: LAB_TAG_KEY, TagValue: LAB_ID }],
      }),
    );
    keyId = created.KeyMetadata?.Arn;
    ctx.log(`Created KMS key ${keyId} ($1/month prorated; the cleanup schedules its deletion, 7 days)`);
  }
  ctx.log(`Trail ${ctx.outputs.trailName}: log file validation on, key ${keyId}`);
  await trails.send(new UpdateTrailCommand({ Name: trailArn, EnableLogFileValidation: true, KmsKeyId: keyId }));

  for (const [control, { metricName, pattern }] of Object.entries(SOLUTION_FILTERS)) {
    ctx.log(`Filter and alarm ${control}: ${SOLUTION_NAMESPACE} ${metricName}`);
    await logs.send(
      new PutMetricFilterCommand({
        logGroupName: trailLogGroupName,
        filterName: control,
        filterPattern: pattern,
        // 0 when nothing matches: the alarm has data (and stays OK) while nothing happens.
        metricTransformations: [{ metricNamespace: SOLUTION_NAMESPACE, metricName, metricValue: '1', defaultValue: 0 }],
      }),
    );
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: `security-${control}`,
        AlarmDescription: `${control} in the account's CloudTrail events (doplab lab ${LAB_ID}).`,
        Namespace: SOLUTION_NAMESPACE,
        MetricName: metricName,
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        ActionsEnabled: true,
        AlarmActions: [securityTopicArn],
        Tags: [{ Key: LAB_TAG_KEY, Value: LAB_ID }],
      }),
    );
  }
};
