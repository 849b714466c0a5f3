import * as cwSdk from '@aws-sdk/client-cloudwatch';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import * as logsSdk from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import * as codedeploySdk from '@aws-sdk/client-codedeploy';
import { CodeDeployClient, GetDeploymentConfigCommand, ListDeploymentConfigsCommand } from '@aws-sdk/client-codedeploy';
import * as ecsSdk from '@aws-sdk/client-ecs';
import { ECSClient, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { lab } from '../../labs/codedeploy-blue-green/lab';
import { Outputs, TASK_FAMILY } from '../../labs/codedeploy-blue-green/contract';
import { leftovers } from '../../labs/codedeploy-blue-green/leftovers';
import { ACCOUNT, leftoverContext } from '../support/leftover-context';
import { awsError } from '../support/mocked-session';

const REGION = 'us-east-1';
const BLUE = 'targetgroup/DopLab-Blue-1Q2W3E4R5T6Y/8d0f9c2b7a6e5d41';
const GREEN = 'targetgroup/DopLab-Gree-7U8I9O0P1A2S/3c4b5a6d7e8f9012';
const ALB = 'app/DopLab-Alb16-H4JK2L3M4N5P/50dc6c495c0c9188';
const CREATED = new Date('2026-11-23T10:00:00Z');
const stack = {
  outputs: { [Outputs.blueTargetGroupFullName]: BLUE, [Outputs.greenTargetGroupFullName]: GREEN, [Outputs.loadBalancerFullName]: ALB },
  createdAt: CREATED,
};
const alarmArn = (name: string) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`;
const tdArn = (family: string, revision: number) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;

describe('codedeploy-blue-green leftovers', () => {
  let cw: AwsClientStub<CloudWatchClient>;
  let codedeploy: AwsClientStub<CodeDeployClient>;
  let ecs: AwsClientStub<ECSClient>;
  let logs: AwsClientStub<CloudWatchLogsClient>;
  const context = (withStack = true) => leftoverContext([cwSdk, codedeploySdk, ecsSdk, logsSdk], { region: REGION, stack: withStack ? stack : undefined });

  beforeEach(() => {
    cw = mockClient(CloudWatchClient);
    codedeploy = mockClient(CodeDeployClient);
    ecs = mockClient(ECSClient);
    logs = mockClient(CloudWatchLogsClient);
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    codedeploy.on(ListDeploymentConfigsCommand).resolves({ deploymentConfigsList: ['CodeDeployDefault.ECSAllAtOnce', 'CodeDeployDefault.ECSCanary10Percent5Minutes'] });
    ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [] });
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
  });
  afterEach(() => [cw, codedeploy, ecs, logs].forEach((m) => m.restore()));

  it('finds nothing after a clean teardown, with only the read-only calls it declares', async () => {
    const { ctx, calls } = context();
    await expect(leftovers(ctx)).resolves.toEqual([]);
    expect(calls.map((c) => c.action)).toEqual([
      'cloudwatch:DescribeAlarms',
      'ecs:ListTaskDefinitions',
      'codedeploy:ListDeploymentConfigs',
      'logs:DescribeLogGroups',
      'logs:DescribeLogGroups',
    ]);
    expect(ecs.commandCalls(ListTaskDefinitionsCommand)[0].args[0].input).toEqual({ familyPrefix: TASK_FAMILY, status: 'ACTIVE', nextToken: undefined });
    expect(logs.commandCalls(DescribeLogGroupsCommand).map((c) => c.args[0].input.logGroupNamePrefix)).toEqual(['/doplab/codedeploy-blue-green/', '/aws/lambda/DopLab-codedeploy-blue-gr']);
  });

  it("finds alarms on the lab's target groups or load balancer, page by page, and no others", async () => {
    cw.on(DescribeAlarmsCommand, { NextToken: undefined }).resolves({
      MetricAlarms: [
        { AlarmName: 'green-5xx', AlarmArn: alarmArn('green-5xx'), Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: [{ Name: 'TargetGroup', Value: GREEN }, { Name: 'LoadBalancer', Value: 'app/other/1' }] },
        { AlarmName: 'other-alb', AlarmArn: alarmArn('other-alb'), Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: [{ Name: 'LoadBalancer', Value: 'app/other/1' }] },
      ],
      NextToken: 'p2',
    });
    cw.on(DescribeAlarmsCommand, { NextToken: 'p2' }).resolves({
      MetricAlarms: [
        {
          AlarmName: 'error-rate',
          AlarmArn: alarmArn('error-rate'),
          Metrics: [
            { Id: 'e', Expression: 'm1/m2*100' },
            { Id: 'm1', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_ELB_5XX_Count', Dimensions: [{ Name: 'LoadBalancer', Value: ALB }] }, Period: 60, Stat: 'Sum' } },
          ],
        },
      ],
    });
    const { ctx } = context();
    const found = await leftovers(ctx);
    expect(found.map((l) => l.resource)).toEqual([alarmArn('green-5xx'), alarmArn('error-rate')]);
    expect(found[0].reason).toBe("alarm on the lab's target groups or load balancer (learner-made, untagged)");
    expect(cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      { AlarmTypes: ['MetricAlarm'], MaxRecords: 100, NextToken: undefined },
      { AlarmTypes: ['MetricAlarm'], MaxRecords: 100, NextToken: 'p2' },
    ]);
  });

  it('skips the alarm search when the stack was already gone (its generated names are unknown)', async () => {
    const { ctx, calls } = context(false);
    await leftovers(ctx);
    expect(calls.map((c) => c.action)).not.toContain('cloudwatch:DescribeAlarms');
  });

  it("finds ACTIVE revisions of the lab's family only, not of longer family names", async () => {
    ecs.on(ListTaskDefinitionsCommand, { nextToken: undefined }).resolves({ taskDefinitionArns: [tdArn(TASK_FAMILY, 2), tdArn(`${TASK_FAMILY}-canary`, 1)], nextToken: 'n2' });
    ecs.on(ListTaskDefinitionsCommand, { nextToken: 'n2' }).resolves({ taskDefinitionArns: [tdArn(TASK_FAMILY, 3)] });
    const { ctx } = context();
    expect((await leftovers(ctx)).map((l) => l.resource)).toEqual([tdArn(TASK_FAMILY, 2), tdArn(TASK_FAMILY, 3)]);
  });

  it('finds custom ECS deployment configurations made since the stack was created', async () => {
    codedeploy.on(ListDeploymentConfigsCommand).resolves({ deploymentConfigsList: ['CodeDeployDefault.ECSAllAtOnce', 'canary-20-5', 'old-ecs', 'ec2-half'] });
    codedeploy.on(GetDeploymentConfigCommand, { deploymentConfigName: 'canary-20-5' }).resolves({ deploymentConfigInfo: { deploymentConfigName: 'canary-20-5', computePlatform: 'ECS', createTime: new Date('2026-11-23T11:00:00Z') } });
    codedeploy.on(GetDeploymentConfigCommand, { deploymentConfigName: 'old-ecs' }).resolves({ deploymentConfigInfo: { deploymentConfigName: 'old-ecs', computePlatform: 'ECS', createTime: new Date('2026-10-01T09:00:00Z') } });
    codedeploy.on(GetDeploymentConfigCommand, { deploymentConfigName: 'ec2-half' }).resolves({ deploymentConfigInfo: { deploymentConfigName: 'ec2-half', computePlatform: 'Server', createTime: new Date('2026-11-23T12:00:00Z') } });
    const { ctx } = context();
    expect(await leftovers(ctx)).toEqual([
      {
        resource: `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentconfig:canary-20-5`,
        region: REGION,
        reason: 'custom ECS deployment configuration made while the lab was deployed (aws deploy delete-deployment-config)',
      },
    ]);
    expect(codedeploy.commandCalls(GetDeploymentConfigCommand).map((c) => c.args[0].input.deploymentConfigName)).toEqual(['canary-20-5', 'old-ecs', 'ec2-half']);
    // Without the stack's creation time every custom ECS configuration counts.
    const { ctx: noStack } = context(false);
    expect((await leftovers(noStack)).map((l) => l.resource.split(':').pop())).toEqual(['canary-20-5', 'old-ecs']);
  });

  it("finds the lab's log groups", async () => {
    const arn = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/DopLab-codedeploy-blue-green-Cleanup1A2B3C-x9y8z7`;
    logs.on(DescribeLogGroupsCommand, { logGroupNamePrefix: '/aws/lambda/DopLab-codedeploy-blue-gr' }).resolves({ logGroups: [{ logGroupName: '/aws/lambda/DopLab-codedeploy-blue-green-Cleanup1A2B3C-x9y8z7', arn }] });
    const { ctx } = context();
    expect(await leftovers(ctx)).toEqual([{ resource: arn, region: REGION, reason: 'log group of the lab (/aws/lambda/DopLab-codedeploy-blue-gr*)' }]);
  });

  it('fails with the mapped AWS error, naming the action, when a call is denied', async () => {
    ecs.on(ListTaskDefinitionsCommand).rejects(awsError('AccessDeniedException', 'User is not authorized to perform: ecs:ListTaskDefinitions'));
    const { ctx } = context();
    await expect(leftovers(ctx)).rejects.toMatchObject({ message: expect.stringContaining('ecs:ListTaskDefinitions') });
  });

  it('is what the lab declares for destroy', async () => {
    ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [tdArn(TASK_FAMILY, 2)] });
    const { ctx } = context();
    expect((await lab.leftovers?.(ctx))?.map((l) => l.resource)).toEqual([tdArn(TASK_FAMILY, 2)]);
  });
});
