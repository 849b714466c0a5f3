import * as cwSdk from '@aws-sdk/client-cloudwatch';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import * as logsSdk from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { LAB_ID } from '../../labs/cloudwatch-metric-filters/contract';
import { leftovers } from '../../labs/cloudwatch-metric-filters/leftovers';
import { ACCOUNT, leftoverContext } from '../support/leftover-context';

describe('cloudwatch-metric-filters leftovers', () => {
  let cw: AwsClientStub<CloudWatchClient>;
  let logs: AwsClientStub<CloudWatchLogsClient>;

  beforeEach(() => {
    cw = mockClient(CloudWatchClient);
    logs = mockClient(CloudWatchLogsClient);
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
  });
  afterEach(() => [cw, logs].forEach((m) => m.restore()));

  // The alert topic's ARN is in the partition of the region (issue 10, defect 7's mistake): an alarm of the learner that
  // notifies it, in no namespace of the lab (a metric math alarm on another namespace), is found by the topic alone.
  it.each([
    ['eu-west-1', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
  ])('in %s, finds an alarm that notifies the lab topic (partition %s), and not one that notifies another', async (region, partition) => {
    const topic = `arn:${partition}:sns:${region}:${ACCOUNT}:DopLab-${LAB_ID}-alerts`;
    const alarm = (name: string, actions: string[]) => ({ AlarmName: name, AlarmArn: `arn:${partition}:cloudwatch:${region}:${ACCOUNT}:alarm:${name}`, Namespace: 'AWS/Lambda', AlarmActions: actions });
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm('orders-api-errors', [topic]), alarm('someone-elses', [`arn:${partition}:sns:${region}:${ACCOUNT}:other`])] });
    const { ctx, calls } = leftoverContext([cwSdk, logsSdk], { region });
    expect(await leftovers(ctx)).toEqual([
      { resource: `arn:${partition}:cloudwatch:${region}:${ACCOUNT}:alarm:orders-api-errors`, region, reason: expect.stringContaining("alarm on the lab's topic") },
    ]);
    expect(calls.map((c) => c.action)).toEqual(['cloudwatch:DescribeAlarms', 'logs:DescribeLogGroups', 'logs:DescribeLogGroups']);
  });
});
