import * as cwSdk from '@aws-sdk/client-cloudwatch';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import * as logsSdk from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import * as codedeploySdk from '@aws-sdk/client-codedeploy';
import { CodeDeployClient, GetDeploymentConfigCommand, ListDeploymentConfigsCommand } from '@aws-sdk/client-codedeploy';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { FUNCTION_NAME } from '../../labs/lambda-canary/contract';
import { lab } from '../../labs/lambda-canary/lab';
import { leftovers } from '../../labs/lambda-canary/leftovers';
import { ACCOUNT, leftoverContext } from '../support/leftover-context';
import { awsError } from '../support/mocked-session';

const REGION = 'us-east-1';
const CREATED = new Date('2026-11-27T09:00:00Z');
const alarmArn = (name: string) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`;

describe('lambda-canary leftovers', () => {
  let cw: AwsClientStub<CloudWatchClient>;
  let codedeploy: AwsClientStub<CodeDeployClient>;
  let logs: AwsClientStub<CloudWatchLogsClient>;
  const context = (withStack = true) =>
    leftoverContext([cwSdk, codedeploySdk, logsSdk], { region: REGION, stack: withStack ? { outputs: {}, createdAt: CREATED } : undefined });

  beforeEach(() => {
    cw = mockClient(CloudWatchClient);
    codedeploy = mockClient(CodeDeployClient);
    logs = mockClient(CloudWatchLogsClient);
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    codedeploy.on(ListDeploymentConfigsCommand).resolves({ deploymentConfigsList: ['CodeDeployDefault.LambdaAllAtOnce', 'CodeDeployDefault.LambdaCanary10Percent5Minutes'] });
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
  });
  afterEach(() => [cw, codedeploy, logs].forEach((m) => m.restore()));

  it('finds nothing after a clean teardown, with only the read-only calls it declares', async () => {
    const { ctx, calls } = context();
    await expect(leftovers(ctx)).resolves.toEqual([]);
    expect(calls.map((c) => c.action)).toEqual(['cloudwatch:DescribeAlarms', 'codedeploy:ListDeploymentConfigs', 'logs:DescribeLogGroups', 'logs:DescribeLogGroups', 'logs:DescribeLogGroups']);
    expect(logs.commandCalls(DescribeLogGroupsCommand).map((c) => c.args[0].input.logGroupNamePrefix)).toEqual([
      '/doplab/lambda-canary/',
      '/aws/lambda/DopLab-lambda-canary',
      '/aws/lambda/CodeDeployHook_DopLab-lambda-canary-pricing',
    ]);
  });

  it('finds alarms on the pricing function, any qualifier and in metric math, across pages, and no others', async () => {
    cw.on(DescribeAlarmsCommand, { NextToken: undefined }).resolves({
      MetricAlarms: [
        { AlarmName: 'live-errors', AlarmArn: alarmArn('live-errors'), Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: FUNCTION_NAME }, { Name: 'Resource', Value: `${FUNCTION_NAME}:live` }] },
        { AlarmName: 'orders', AlarmArn: alarmArn('orders'), Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: 'orders' }] },
      ],
      NextToken: 'p2',
    });
    cw.on(DescribeAlarmsCommand, { NextToken: 'p2' }).resolves({
      MetricAlarms: [
        {
          AlarmName: 'error-rate',
          AlarmArn: alarmArn('error-rate'),
          Metrics: [
            { Id: 'rate', Expression: 'e / 30' },
            { Id: 'e', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: FUNCTION_NAME }] }, Period: 60, Stat: 'Sum' } },
          ],
        },
      ],
    });
    const { ctx } = context();
    const found = await leftovers(ctx);
    expect(found.map((l) => l.resource)).toEqual([alarmArn('live-errors'), alarmArn('error-rate')]);
    expect(found[0].reason).toBe(`alarm on the lab's function ${FUNCTION_NAME} (learner-made, untagged)`);
  });

  it('finds custom Lambda deployment configurations made since the stack was created', async () => {
    codedeploy.on(ListDeploymentConfigsCommand).resolves({ deploymentConfigsList: ['CodeDeployDefault.LambdaAllAtOnce', 'canary-20-5', 'old-lambda', 'ecs-half'] });
    codedeploy
      .on(GetDeploymentConfigCommand, { deploymentConfigName: 'canary-20-5' })
      .resolves({ deploymentConfigInfo: { deploymentConfigName: 'canary-20-5', computePlatform: 'Lambda', createTime: new Date('2026-11-27T09:10:00Z') } })
      .on(GetDeploymentConfigCommand, { deploymentConfigName: 'old-lambda' })
      .resolves({ deploymentConfigInfo: { deploymentConfigName: 'old-lambda', computePlatform: 'Lambda', createTime: new Date('2026-10-01T09:00:00Z') } })
      .on(GetDeploymentConfigCommand, { deploymentConfigName: 'ecs-half' })
      .resolves({ deploymentConfigInfo: { deploymentConfigName: 'ecs-half', computePlatform: 'ECS', createTime: new Date('2026-11-27T09:20:00Z') } });
    const { ctx } = context();
    expect(await leftovers(ctx)).toEqual([
      {
        resource: `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentconfig:canary-20-5`,
        region: REGION,
        reason: 'custom Lambda deployment configuration made while the lab was deployed (aws deploy delete-deployment-config)',
      },
    ]);
    // Without the stack's creation time every custom Lambda configuration counts.
    const { ctx: noStack } = context(false);
    expect((await leftovers(noStack)).map((l) => l.resource.split(':').pop())).toEqual(['canary-20-5', 'old-lambda']);
  });

  it("finds the lab's log groups, the implicit ones too", async () => {
    const arn = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/CodeDeployHook_DopLab-lambda-canary-pricing`;
    logs
      .on(DescribeLogGroupsCommand, { logGroupNamePrefix: '/aws/lambda/CodeDeployHook_DopLab-lambda-canary-pricing' })
      .resolves({ logGroups: [{ logGroupName: '/aws/lambda/CodeDeployHook_DopLab-lambda-canary-pricing', arn }] });
    const { ctx } = context();
    expect(await leftovers(ctx)).toEqual([{ resource: arn, region: REGION, reason: 'log group of the lab (/aws/lambda/CodeDeployHook_DopLab-lambda-canary-pricing*)' }]);
  });

  it('fails with the mapped AWS error, naming the action, when a call is denied', async () => {
    codedeploy.on(ListDeploymentConfigsCommand).rejects(awsError('AccessDeniedException', 'User is not authorized to perform: codedeploy:ListDeploymentConfigs'));
    const { ctx } = context();
    await expect(leftovers(ctx)).rejects.toMatchObject({ message: expect.stringContaining('codedeploy:ListDeploymentConfigs') });
  });

  it('is what the lab declares for destroy', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'x', AlarmArn: alarmArn('x'), Namespace: 'AWS/Lambda', Dimensions: [{ Name: 'FunctionName', Value: FUNCTION_NAME }] }] });
    const { ctx } = context();
    expect((await lab.leftovers?.(ctx))?.map((l) => l.resource)).toEqual([alarmArn('x')]);
  });
});
