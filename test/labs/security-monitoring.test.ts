import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CloudTrailClient, DeleteTrailCommand, DescribeTrailsCommand, GetTrailCommand, StopLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, DeleteAlarmsCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, DescribeMetricFiltersCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { DeleteBucketPolicyCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { roleCalls } from '../../labs/security-monitoring/calls';
import { Outputs, SECURITY_TOPIC_NAME, TRAIL_LOG_GROUP_NAME, TRAIL_NAME } from '../../labs/security-monitoring/contract';
import { addLabStack } from '../../labs/security-monitoring/stack';
import { awsError } from '../support/mocked-session';

type Log = (...args: unknown[]) => void;
type Json = Record<string, unknown>;
const cleanup = require('../../labs/security-monitoring/cleanup.handler.js') as {
  onDelete: (props: Record<string, string>, log: Log, sleep?: (ms: number) => Promise<void>) => Promise<void>;
};

const ENV = {
  partition: 'aws',
  account: '111122223333',
  region: 'eu-west-1',
  regions: ['eu-west-1'],
  stackName: 'DopLab-security-monitoring',
  stackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/DopLab-security-monitoring/0c7e4a30-cb6f-11f0-9a1b-06d2e5f7a8b9',
};
const TRAIL_ARN = `arn:aws:cloudtrail:${ENV.region}:${ENV.account}:trail/${TRAIL_NAME}`;
const TOPIC_ARN = `arn:aws:sns:${ENV.region}:${ENV.account}:${SECURITY_TOPIC_NAME}`;
const BUCKET = 'doplab-security-monitoring-trailbucketa831ce63-1x2y3z4w5v6u';
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_ARN = `arn:aws:kms:${ENV.region}:${ENV.account}:key/${KEY_ID}`;

describe('security-monitoring stack', () => {
  let template: Template;
  beforeAll(() => {
    template = Template.fromStack(addLabStack(new App()));
  });
  const only = (type: string) => {
    const ids = Object.keys(template.findResources(type));
    expect(ids).toHaveLength(1);
    return ids[0];
  };

  it('has the trail as the README promises: multi-region management events, logging, no validation, no key, to the bucket and the log group', () => {
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      TrailName: TRAIL_NAME,
      IsLogging: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: false,
      KMSKeyId: Match.absent(),
      EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'All' }],
      S3BucketName: { Ref: only('AWS::S3::Bucket') },
      CloudWatchLogsLogGroupArn: { 'Fn::GetAtt': [Object.keys(template.findResources('AWS::Logs::LogGroup', { Properties: { LogGroupName: TRAIL_LOG_GROUP_NAME } }))[0], 'Arn'] },
    });
    template.hasResource('AWS::Logs::LogGroup', { Properties: { LogGroupName: TRAIL_LOG_GROUP_NAME, RetentionInDays: 7 }, DeletionPolicy: 'Delete' });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
  });

  it('lets CloudTrail write to the bucket for this trail only (aws:SourceArn), over TLS', () => {
    const trailArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudtrail:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:trail/${TRAIL_NAME}`]] };
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Action: 's3:GetBucketAcl', Principal: { Service: 'cloudtrail.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceArn': trailArn } } }),
          Match.objectLike({
            Action: 's3:PutObject',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': trailArn } },
          }),
        ],
      },
    });
  });

  it('lets CloudWatch alarms of this account publish to the unencrypted security topic, besides the TLS-only Deny', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: SECURITY_TOPIC_NAME, KmsMasterKeyId: Match.absent() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish' }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sns:Publish',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': Match.anyValue() } },
          }),
        ],
      },
    });
  });

  it('runs the cleanup before the trail, log group, topic and bucket are deleted, with what it needs to find the learner\'s work', () => {
    const id = only('Custom::DopLabCleanup');
    const resource = template.toJSON().Resources[id] as { Properties: Json; DependsOn: string[] };
    expect(resource.Properties).toMatchObject({ TrailName: TRAIL_NAME, LogGroupName: { Ref: expect.any(String) }, TopicArn: { Ref: only('AWS::SNS::Topic') }, BucketName: { Ref: only('AWS::S3::Bucket') } });
    expect(resource.DependsOn).toEqual(expect.arrayContaining(['Trail', only('AWS::SNS::Topic'), only('AWS::S3::Bucket')]));
  });

  it('deletes the bucket policy only after the trail, and gives the cleanup five minutes to keep the bucket empty', () => {
    const resources = template.toJSON().Resources as Record<string, { Type: string; DependsOn?: string[]; Properties: Json }>;
    expect(resources.Trail.DependsOn).toContain(only('AWS::S3::BucketPolicy'));
    const [fn] = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).startsWith('Removes what the learner made'));
    expect(fn.Properties.Timeout).toBe(300);
  });

  it('exports every contract output', () => {
    expect(Object.keys(template.toJSON().Outputs ?? {}).sort()).toEqual(Object.values(Outputs).sort());
  });
});

describe('security-monitoring cleanup handler', () => {
  let trails: AwsClientStub<CloudTrailClient>;
  let kms: AwsClientStub<KMSClient>;
  let logs: AwsClientStub<CloudWatchLogsClient>;
  let cloudwatch: AwsClientStub<CloudWatchClient>;
  let s3: AwsClientStub<S3Client>;
  const props = { TrailName: TRAIL_NAME, LogGroupName: TRAIL_LOG_GROUP_NAME, TopicArn: TOPIC_ARN, BucketName: BUCKET };
  const log: Log = () => undefined;
  /** The lab bucket's keys: ListObjectsV2 pages them one at a time, DeleteObjects removes them. */
  let bucket: Set<string>;
  /** What each wait of the handler does to the world (CloudTrail delivering late), and how long it waited. */
  let waits: number[];
  let onWait: (n: number) => void;
  const sleep = async (ms: number) => {
    waits.push(ms);
    onWait(waits.length);
  };
  const LEARNER_TRAIL = `arn:aws:cloudtrail:us-east-1:${ENV.account}:trail/my-audit-trail`;

  beforeEach(() => {
    trails = mockClient(CloudTrailClient);
    kms = mockClient(KMSClient);
    logs = mockClient(CloudWatchLogsClient);
    cloudwatch = mockClient(CloudWatchClient);
    s3 = mockClient(S3Client);
    trails.on(GetTrailCommand).resolves({ Trail: { Name: TRAIL_NAME, TrailARN: TRAIL_ARN, KmsKeyId: KEY_ARN } });
    trails.on(StopLoggingCommand).resolves({});
    trails.on(DeleteTrailCommand).resolves({});
    trails.on(DescribeTrailsCommand).resolves({
      trailList: [
        { Name: TRAIL_NAME, TrailARN: TRAIL_ARN, KmsKeyId: KEY_ARN, S3BucketName: BUCKET, HomeRegion: ENV.region },
        { Name: 'org-trail', TrailARN: 'arn:aws:cloudtrail:eu-west-1:999988887777:trail/org-trail', S3BucketName: 'org-audit', HomeRegion: ENV.region, IsOrganizationTrail: true },
        // Not the account's to delete, whatever its bucket.
        { Name: 'odd-org-trail', TrailARN: 'arn:aws:cloudtrail:eu-west-1:999988887777:trail/odd-org-trail', S3BucketName: BUCKET, HomeRegion: ENV.region, IsOrganizationTrail: true },
        // A learner's multi-region trail, made in another region, the learner pointed at the lab bucket.
        { Name: 'my-audit-trail', TrailARN: LEARNER_TRAIL, S3BucketName: BUCKET, HomeRegion: 'us-east-1', IsMultiRegionTrail: true },
      ],
    });
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: KEY_ID, Arn: KEY_ARN, KeyManager: 'CUSTOMER', KeyState: 'Enabled', CreationDate: new Date('2026-11-27T10:10:00Z') } });
    kms.on(ScheduleKeyDeletionCommand).resolves({ KeyId: KEY_ARN, KeyState: 'PendingDeletion', PendingWindowInDays: 7 });
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: TRAIL_LOG_GROUP_NAME, creationTime: Date.parse('2026-11-27T10:01:30Z') }, { logGroupName: `${TRAIL_LOG_GROUP_NAME}-old`, creationTime: 0 }] });
    logs.on(DescribeMetricFiltersCommand).resolves({
      metricFilters: [{ filterName: 'root', metricTransformations: [{ metricNamespace: 'CISBenchmark', metricName: 'RootUsage', metricValue: '1', defaultValue: 0 }] }],
    });
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'root-usage', Namespace: 'CISBenchmark', MetricName: 'RootUsage' },
        { AlarmName: 'typo-alarm', Namespace: 'CISBenchmark', MetricName: 'RootUsge', AlarmActions: [TOPIC_ARN] },
        { AlarmName: 'someone-elses', Namespace: 'CISBenchmark', MetricName: 'Other', AlarmActions: ['arn:aws:sns:eu-west-1:111122223333:ops'] },
      ],
      CompositeAlarms: [{ AlarmName: 'any-security', AlarmRule: 'ALARM("root-usage")', AlarmActions: [TOPIC_ARN] }],
    });
    cloudwatch.on(DeleteAlarmsCommand).resolves({});
    bucket = new Set(['AWSLogs/111122223333/CloudTrail/eu-west-1/a.json.gz', 'AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/b.json.gz']);
    waits = [];
    onWait = () => undefined;
    s3.on(ListObjectsV2Command).callsFake((input: { ContinuationToken?: string }) => {
      const [next] = [...bucket].sort().filter((k) => input.ContinuationToken === undefined || k > input.ContinuationToken);
      const more = next !== undefined && [...bucket].some((k) => k > next);
      return { Contents: next === undefined ? undefined : [{ Key: next }], KeyCount: next === undefined ? 0 : 1, NextContinuationToken: more ? next : undefined };
    });
    s3.on(DeleteObjectsCommand).callsFake((input: { Delete: { Objects: { Key: string }[] } }) => {
      for (const o of input.Delete.Objects) bucket.delete(o.Key);
      return {};
    });
    s3.on(DeleteBucketPolicyCommand).resolves({});
  });

  afterEach(() => {
    for (const stub of [trails, kms, logs, cloudwatch, s3]) stub.restore();
  });

  it('stops the trail, schedules its lab-made key for deletion in 7 days, deletes the learner\'s alarms composite first, and empties the bucket', async () => {
    await cleanup.onDelete(props, log, sleep);
    expect(trails.commandCalls(StopLoggingCommand).map((c) => c.args[0].input)).toEqual([{ Name: TRAIL_NAME }]);
    expect(kms.commandCalls(ScheduleKeyDeletionCommand).map((c) => c.args[0].input)).toEqual([{ KeyId: KEY_ARN, PendingWindowInDays: 7 }]);
    expect(cloudwatch.commandCalls(DeleteAlarmsCommand).map((c) => c.args[0].input.AlarmNames)).toEqual([['any-security'], ['root-usage', 'typo-alarm']]);
    expect(s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete?.Objects)).toEqual([
      [{ Key: 'AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/b.json.gz' }],
      [{ Key: 'AWSLogs/111122223333/CloudTrail/eu-west-1/a.json.gz' }],
    ]);
    expect(bucket.size).toBe(0);
  });

  it("deletes only the learner's trails that deliver to the lab bucket, each in its home region", async () => {
    await cleanup.onDelete(props, log, sleep);
    const deleted = trails.commandCalls(DeleteTrailCommand);
    expect(deleted.map((c) => c.args[0].input)).toEqual([{ Name: LEARNER_TRAIL }]);
    expect(await (deleted[0].thisValue as CloudTrailClient).config.region()).toBe('us-east-1');
  });

  it('shuts CloudTrail out of the bucket after stopping the trail and before emptying, then waits for it to stay empty a minute', async () => {
    await cleanup.onDelete(props, log, sleep);
    const [policy] = s3.commandCalls(DeleteBucketPolicyCommand);
    expect(policy.args[0].input).toEqual({ Bucket: BUCKET });
    expect(trails.commandCalls(StopLoggingCommand)[0].calledBefore(policy)).toBe(true);
    expect(policy.calledBefore(s3.commandCalls(DeleteObjectsCommand)[0])).toBe(true);
    expect(waits).toEqual([15000, 15000, 15000, 15000]);
  });

  it('empties the bucket again when a log file lands after the first emptying, until it stays empty', async () => {
    const late = `AWSLogs/${ENV.account}/CloudTrail/eu-west-1/2026/11/27/${ENV.account}_CloudTrail_eu-west-1_20261127T1205Z_late0000late0000.json.gz`;
    onWait = (n) => {
      if (n === 2) bucket.add(late);
    };
    await cleanup.onDelete(props, log, sleep);
    expect(s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete?.Objects)).toEqual([
      [{ Key: 'AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/b.json.gz' }],
      [{ Key: 'AWSLogs/111122223333/CloudTrail/eu-west-1/a.json.gz' }],
      [{ Key: late }],
    ]);
    expect(bucket.size).toBe(0);
    // One quiet check, the check that found the late file, then four quiet ones in a row.
    expect(waits).toHaveLength(6);
  });

  it('fails the bucket step, naming the bucket, when files keep arriving for three minutes', async () => {
    onWait = (n) => void bucket.add(`AWSLogs/${ENV.account}/CloudTrail/eu-west-1/late-${n}.json.gz`);
    await expect(cleanup.onDelete(props, log, sleep)).rejects.toThrow(`cleanup incomplete: bucket: Error: objects still arrive in ${BUCKET} after 180 s`);
    expect(waits).toHaveLength(12);
  });

  it.each<[string, () => void]>([
    ['an AWS managed key', () => kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: KEY_ID, Arn: KEY_ARN, KeyManager: 'AWS', KeyState: 'Enabled', CreationDate: new Date('2026-11-27T10:10:00Z') } })],
    ['a key older than the lab', () => kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: KEY_ID, Arn: KEY_ARN, KeyManager: 'CUSTOMER', KeyState: 'Enabled', CreationDate: new Date('2025-01-01T00:00:00Z') } })],
    ['a key another trail uses', () => trails.on(DescribeTrailsCommand).resolves({ trailList: [{ Name: TRAIL_NAME, KmsKeyId: KEY_ARN }, { Name: 'audit', TrailARN: 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/audit', KmsKeyId: KEY_ARN }] })],
    ['a key already pending deletion', () => kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: KEY_ID, Arn: KEY_ARN, KeyManager: 'CUSTOMER', KeyState: 'PendingDeletion', CreationDate: new Date('2026-11-27T10:10:00Z') } })],
  ])('leaves %s alone', async (_name, arrange) => {
    arrange();
    await cleanup.onDelete(props, log, sleep);
    expect(kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(0);
  });

  it('touches no key when the trail has none', async () => {
    trails.on(GetTrailCommand).resolves({ Trail: { Name: TRAIL_NAME } });
    await cleanup.onDelete(props, log, sleep);
    expect(kms.calls()).toHaveLength(0);
  });

  it('does every step despite a failing one, then reports all failures', async () => {
    trails.on(GetTrailCommand).rejects(awsError('TrailNotFoundException', 'Unknown trail'));
    cloudwatch.on(DescribeAlarmsCommand).rejects(awsError('AccessDenied', 'not authorized', 403));
    await expect(cleanup.onDelete(props, log, sleep)).rejects.toThrow(/^cleanup incomplete: trail: TrailNotFoundException: .*; alarms: AccessDenied: /);
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(2);
  });

  it('sends exactly the commands calls.ts declares for its role', async () => {
    await cleanup.onDelete(props, log, sleep);
    const name = (c: { args: unknown[] }) => (c.args[0] as object).constructor.name.replace(/Command$/, '');
    const sent = new Set([
      ...trails.calls().map((c) => `cloudtrail:${name(c)}`),
      ...kms.calls().map((c) => `kms:${name(c)}`),
      ...logs.calls().map((c) => `logs:${name(c)}`),
      ...cloudwatch.calls().map((c) => `cloudwatch:${name(c)}`),
      // ListObjectsV2 is authorized as s3:ListBucket, DeleteObjects as s3:DeleteObject.
      ...s3.calls().map((c) => ({ ListObjectsV2: 's3:ListBucket', DeleteObjects: 's3:DeleteObject', DeleteBucketPolicy: 's3:DeleteBucketPolicy' })[name(c)] ?? name(c)),
    ]);
    const declared = roleCalls.find((r) => r.role === 'Cleanup/Handler/Role')?.calls(ENV).map((c) => c.action) ?? [];
    // Besides its own logs, the role is granted s3:DeleteObjectVersion, which DeleteObjects needs only for versioned keys (none here).
    const notSent = ['logs:CreateLogStream', 'logs:PutLogEvents', 's3:DeleteObjectVersion'];
    expect([...sent].sort()).toEqual(declared.filter((a) => !notSent.includes(a)).sort());
  });
});
