import * as trailSdk from '@aws-sdk/client-cloudtrail';
import { CloudTrailClient, DescribeTrailsCommand } from '@aws-sdk/client-cloudtrail';
import * as cwSdk from '@aws-sdk/client-cloudwatch';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import * as logsSdk from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import * as kmsSdk from '@aws-sdk/client-kms';
import { DescribeKeyCommand, KMSClient, ListKeysCommand, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import * as s3Sdk from '@aws-sdk/client-s3';
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { SECURITY_TOPIC_NAME } from '../../labs/security-monitoring/contract';
import { leftovers } from '../../labs/security-monitoring/leftovers';
import { ACCOUNT, leftoverContext } from '../support/leftover-context';
import { awsError } from '../support/mocked-session';

const REGION = 'us-east-1';
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:${SECURITY_TOPIC_NAME}`;
const keyArn = (id: string) => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`;

describe('security-monitoring leftovers', () => {
  let cw: AwsClientStub<CloudWatchClient>;
  let kms: AwsClientStub<KMSClient>;
  let logs: AwsClientStub<CloudWatchLogsClient>;
  let trails: AwsClientStub<CloudTrailClient>;
  let s3: AwsClientStub<S3Client>;
  const BUCKET = 'doplab-security-monitoring-trailbucketa831ce63-1x2y3z4w5v6u';
  const context = (stack = true) =>
    leftoverContext([cwSdk, kmsSdk, logsSdk, trailSdk, s3Sdk], { region: REGION, ...(stack ? { stack: { outputs: { TrailBucketName: BUCKET } } } : {}) });
  const trail = (name: string, bucket: string, home = REGION) => ({ Name: name, TrailARN: `arn:aws:cloudtrail:${home}:${ACCOUNT}:trail/${name}`, S3BucketName: bucket, HomeRegion: home });

  beforeEach(() => {
    cw = mockClient(CloudWatchClient);
    kms = mockClient(KMSClient);
    logs = mockClient(CloudWatchLogsClient);
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
    kms.on(ListKeysCommand).resolves({ Keys: [{ KeyId: 'k-other', KeyArn: keyArn('k-other') }], Truncated: false });
    kms.on(ListResourceTagsCommand).resolves({ Tags: [] });
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
    trails = mockClient(CloudTrailClient);
    trails.on(DescribeTrailsCommand).resolves({ trailList: [trail('org-audit', 'acme-audit-logs')] });
    s3 = mockClient(S3Client);
    s3.on(ListObjectVersionsCommand).rejects(awsError('NoSuchBucket', 'The specified bucket does not exist', 404));
  });
  afterEach(() => [cw, kms, logs, trails, s3].forEach((m) => m.restore()));

  it('finds nothing after a clean teardown, with read-only calls only', async () => {
    const { ctx, calls } = context();
    await expect(leftovers(ctx)).resolves.toEqual([]);
    expect(calls.map((c) => c.action)).toEqual(['cloudwatch:DescribeAlarms', 'kms:ListKeys', 'kms:ListResourceTags', 'logs:DescribeLogGroups', 'cloudtrail:DescribeTrails', 's3:ListObjectVersions']);
    expect(trails.commandCalls(DescribeTrailsCommand)[0].args[0].input).toEqual({ includeShadowTrails: true });
  });

  it('finds a trail still delivering to the lab bucket, in its home region, and the bucket if it outlived the stack', async () => {
    trails.on(DescribeTrailsCommand).resolves({ trailList: [trail('org-audit', 'acme-audit-logs'), trail('my-audit-trail', BUCKET, 'eu-west-1'), trail('DopLab-other', 'doplab-security-monitoring-other-bucket')] });
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: 'AWSLogs/111122223333/CloudTrail/late.json.gz', VersionId: 'null' }] });
    const { ctx } = context();
    expect(await leftovers(ctx)).toEqual([
      { resource: `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/my-audit-trail`, region: 'eu-west-1', reason: `trail delivering to the lab bucket ${BUCKET}` },
      { resource: `arn:aws:s3:::${BUCKET}`, region: REGION, reason: 'lab bucket still exists and holds object versions' },
    ]);
  });

  it('without the stack (destroyed earlier), knows the lab bucket by the name CloudFormation gives it', async () => {
    trails.on(DescribeTrailsCommand).resolves({ trailList: [trail('org-audit', 'acme-audit-logs'), trail('my-audit-trail', BUCKET), trail('elsewhere', 'doplab-security-monitor-bucket')] });
    const { ctx, calls } = context(false);
    expect((await leftovers(ctx)).map((l) => l.resource)).toEqual([`arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/my-audit-trail`]);
    expect(calls.map((c) => c.action)).not.toContain('s3:ListObjectVersions');
  });

  it('finds an alarm on the security topic, a lab-tagged key not pending deletion, and a log group under the lab prefix', async () => {
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'root', AlarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:root`, AlarmActions: [TOPIC] },
        { AlarmName: 'cpu', AlarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:cpu`, AlarmActions: [`arn:aws:sns:${REGION}:${ACCOUNT}:ops`] },
      ],
      CompositeAlarms: [],
    });
    kms.on(ListKeysCommand).resolves({ Keys: [{ KeyId: 'k-lab' }, { KeyId: 'k-gone' }, { KeyId: 'k-other' }] });
    kms.on(ListResourceTagsCommand, { KeyId: 'k-lab' }).resolves({ Tags: [{ TagKey: 'doplab:lab', TagValue: 'security-monitoring' }] });
    kms.on(ListResourceTagsCommand, { KeyId: 'k-gone' }).resolves({ Tags: [{ TagKey: 'doplab:lab', TagValue: 'security-monitoring' }] });
    kms.on(DescribeKeyCommand, { KeyId: 'k-lab' }).resolves({ KeyMetadata: { KeyId: 'k-lab', Arn: keyArn('k-lab'), KeyState: 'Enabled' } });
    kms.on(DescribeKeyCommand, { KeyId: 'k-gone' }).resolves({ KeyMetadata: { KeyId: 'k-gone', Arn: keyArn('k-gone'), KeyState: 'PendingDeletion' } });
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: '/doplab/security-monitoring/cloudtrail', arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/doplab/security-monitoring/cloudtrail:*` }] });
    const { ctx } = context();
    expect((await leftovers(ctx)).map((l) => l.resource)).toEqual([
      `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:root`,
      keyArn('k-lab'),
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/doplab/security-monitoring/cloudtrail:*`,
    ]);
  });
});
