import * as cwSdk from '@aws-sdk/client-cloudwatch';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import * as logsSdk from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import * as kmsSdk from '@aws-sdk/client-kms';
import { DescribeKeyCommand, KMSClient, ListKeysCommand, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { SECURITY_TOPIC_NAME } from '../../labs/security-monitoring/contract';
import { leftovers } from '../../labs/security-monitoring/leftovers';
import { ACCOUNT, leftoverContext } from '../support/leftover-context';

const REGION = 'us-east-1';
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:${SECURITY_TOPIC_NAME}`;
const keyArn = (id: string) => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`;

describe('security-monitoring leftovers', () => {
  let cw: AwsClientStub<CloudWatchClient>;
  let kms: AwsClientStub<KMSClient>;
  let logs: AwsClientStub<CloudWatchLogsClient>;
  const context = () => leftoverContext([cwSdk, kmsSdk, logsSdk], { region: REGION });

  beforeEach(() => {
    cw = mockClient(CloudWatchClient);
    kms = mockClient(KMSClient);
    logs = mockClient(CloudWatchLogsClient);
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
    kms.on(ListKeysCommand).resolves({ Keys: [{ KeyId: 'k-other', KeyArn: keyArn('k-other') }], Truncated: false });
    kms.on(ListResourceTagsCommand).resolves({ Tags: [] });
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
  });
  afterEach(() => [cw, kms, logs].forEach((m) => m.restore()));

  it('finds nothing after a clean teardown, with read-only calls only', async () => {
    const { ctx, calls } = context();
    await expect(leftovers(ctx)).resolves.toEqual([]);
    expect(calls.map((c) => c.action)).toEqual(['cloudwatch:DescribeAlarms', 'kms:ListKeys', 'kms:ListResourceTags', 'logs:DescribeLogGroups']);
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
