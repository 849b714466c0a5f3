import * as cwSdk from '@aws-sdk/client-cloudwatch';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import * as logsSdk from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { GROUP_NAME } from '../../labs/scaling-self-healing/contract';
import { lab } from '../../labs/scaling-self-healing/lab';
import { leftovers } from '../../labs/scaling-self-healing/leftovers';
import { ACCOUNT, leftoverContext } from '../support/leftover-context';
import { awsError } from '../support/mocked-session';

const REGION = 'us-east-1';
const alarmArn = (name: string) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`;
const policyArn = (group: string) =>
  `arn:aws:autoscaling:${REGION}:${ACCOUNT}:scalingPolicy:6c5b4a39-8f7e-4d6c-b5a4-93e2d1c0b9a8:autoScalingGroupName/${group}:policyName/scale-out`;

describe('scaling-self-healing leftovers', () => {
  let cw: AwsClientStub<CloudWatchClient>;
  let logs: AwsClientStub<CloudWatchLogsClient>;
  const context = () => leftoverContext([cwSdk, logsSdk], { region: REGION, stack: undefined });

  beforeEach(() => {
    cw = mockClient(CloudWatchClient);
    logs = mockClient(CloudWatchLogsClient);
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
  });
  afterEach(() => [cw, logs].forEach((m) => m.restore()));

  it('finds nothing after a clean teardown, with only the read-only calls it declares', async () => {
    const { ctx, calls } = context();
    await expect(leftovers(ctx)).resolves.toEqual([]);
    expect(calls.map((c) => c.action)).toEqual(['cloudwatch:DescribeAlarms', 'logs:DescribeLogGroups']);
    expect(logs.commandCalls(DescribeLogGroupsCommand).map((c) => c.args[0].input.logGroupNamePrefix)).toEqual(['/doplab/scaling-self-healing/']);
  });

  it("finds alarms on the group's metrics or acting on its policies, across pages, and no others", async () => {
    cw.on(DescribeAlarmsCommand, { NextToken: undefined }).resolves({
      MetricAlarms: [
        { AlarmName: 'cpu-high', AlarmArn: alarmArn('cpu-high'), Namespace: 'AWS/EC2', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'AutoScalingGroupName', Value: GROUP_NAME }] },
        { AlarmName: 'other-group', AlarmArn: alarmArn('other-group'), Namespace: 'AWS/EC2', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'web' }], AlarmActions: [policyArn('web')] },
      ],
      NextToken: 'p2',
    });
    cw.on(DescribeAlarmsCommand, { NextToken: 'p2' }).resolves({
      MetricAlarms: [{ AlarmName: 'requests', AlarmArn: alarmArn('requests'), Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount', AlarmActions: [policyArn(GROUP_NAME)] }],
    });
    const { ctx } = context();
    expect((await leftovers(ctx)).map((l) => l.resource)).toEqual([alarmArn('cpu-high'), alarmArn('requests')]);
  });

  it("finds the lab's log group", async () => {
    const arn = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/doplab/scaling-self-healing/lambda/cleanup:*`;
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: '/doplab/scaling-self-healing/lambda/cleanup', arn }] });
    const { ctx } = context();
    expect(await leftovers(ctx)).toEqual([{ resource: arn, region: REGION, reason: 'log group of the lab (/doplab/scaling-self-healing/*)' }]);
  });

  it('fails with the mapped AWS error, naming the action, when a call is denied', async () => {
    cw.on(DescribeAlarmsCommand).rejects(awsError('AccessDenied', 'User is not authorized to perform: cloudwatch:DescribeAlarms', 403));
    const { ctx } = context();
    await expect(leftovers(ctx)).rejects.toMatchObject({ message: expect.stringContaining('cloudwatch:DescribeAlarms') });
  });

  it('is what the lab declares for destroy', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'x', AlarmArn: alarmArn('x'), Dimensions: [{ Name: 'AutoScalingGroupName', Value: GROUP_NAME }] }] });
    const { ctx } = context();
    expect((await lab.leftovers?.(ctx))?.map((l) => l.resource)).toEqual([alarmArn('x')]);
  });
});
