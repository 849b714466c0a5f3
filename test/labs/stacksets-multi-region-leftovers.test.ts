import * as cfnSdk from '@aws-sdk/client-cloudformation';
import { CloudFormationClient, DescribeStackSetCommand, ListStackInstancesCommand, ListStackSetsCommand, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import * as cwSdk from '@aws-sdk/client-cloudwatch';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import * as logsSdk from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { BASELINE_ALARM_NAME, BASELINE_LOG_GROUP_NAME } from '../../labs/stacksets-multi-region/contract';
import { lab } from '../../labs/stacksets-multi-region/lab';
import { leftovers } from '../../labs/stacksets-multi-region/leftovers';
import { ACCOUNT, leftoverContext } from '../support/leftover-context';
import { awsError } from '../support/mocked-session';

const REGION = 'eu-west-1';
const SECOND = 'us-east-1';
const ADMIN_ROLE = `arn:aws:iam::${ACCOUNT}:role/DopLab-StackSetAdministration-${REGION}`;
const SET_ARN = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stackset/platform-baseline:4f2c0b8e-1d3a-4e5f-9a6b-7c8d9e0f1a2b`;
const instanceStack = (region: string, id: string) => `arn:aws:cloudformation:${region}:${ACCOUNT}:stack/StackSet-platform-baseline-${id}/${id}`;
const DESCRIPTION = 'doplab platform baseline (lab stacksets-multi-region): an audit log group with an enforced retention, a metric filter that counts its ERROR lines, and an alarm on that count. Rolled out to every region with a self-managed StackSet.';

describe('stacksets-multi-region leftovers', () => {
  let cfn: AwsClientStub<CloudFormationClient>;
  let cw: AwsClientStub<CloudWatchClient>;
  let logs: AwsClientStub<CloudWatchLogsClient>;
  const context = () => leftoverContext([cfnSdk, cwSdk, logsSdk], { region: REGION, regions: lab.regions?.(REGION) });

  beforeEach(() => {
    cfn = mockClient(CloudFormationClient);
    cw = mockClient(CloudWatchClient);
    logs = mockClient(CloudWatchLogsClient);
    cfn.on(ListStackSetsCommand).resolves({ Summaries: [] });
    cfn.on(ListStacksCommand).resolves({ StackSummaries: [] });
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
  });
  afterEach(() => [cfn, cw, logs].forEach((m) => m.restore()));

  it('finds nothing after a clean teardown: one StackSets listing, then the baseline looked for in both regions', async () => {
    const { ctx, calls } = context();
    await expect(leftovers(ctx)).resolves.toEqual([]);
    expect(calls).toEqual([
      { action: 'cloudformation:ListStackSets', region: REGION },
      { action: 'cloudformation:ListStacks', region: REGION },
      { action: 'logs:DescribeLogGroups', region: REGION },
      { action: 'cloudwatch:DescribeAlarms', region: REGION },
      { action: 'cloudformation:ListStacks', region: SECOND },
      { action: 'logs:DescribeLogGroups', region: SECOND },
      { action: 'cloudwatch:DescribeAlarms', region: SECOND },
    ]);
    expect(cfn.commandCalls(ListStackSetsCommand)[0].args[0].input).toEqual({ Status: 'ACTIVE', NextToken: undefined });
    expect(cfn.commandCalls(ListStacksCommand)[0].args[0].input.StackStatusFilter).not.toContain('DELETE_COMPLETE');
    expect(cfn.commandCalls(ListStacksCommand)[0].args[0].input.StackStatusFilter).toContain('DELETE_FAILED');
    expect(logs.commandCalls(DescribeLogGroupsCommand)[0].args[0].input).toEqual({ logGroupNamePrefix: BASELINE_LOG_GROUP_NAME, nextToken: undefined });
    expect(cw.commandCalls(DescribeAlarmsCommand)[0].args[0].input).toEqual({ AlarmNames: [BASELINE_ALARM_NAME] });
  });

  it("finds a StackSet still using the lab's roles (on the second page) and its instances, also in a region outside the lab's", async () => {
    cfn.on(ListStackSetsCommand, { NextToken: undefined }).resolves({
      Summaries: [
        { StackSetName: 'org-guardrails', Status: 'ACTIVE', PermissionModel: 'SERVICE_MANAGED' },
        { StackSetName: 'someone-elses', Status: 'ACTIVE', PermissionModel: 'SELF_MANAGED' },
      ],
      NextToken: 'p2',
    });
    cfn.on(ListStackSetsCommand, { NextToken: 'p2' }).resolves({ Summaries: [{ StackSetName: 'platform-baseline', Status: 'ACTIVE', PermissionModel: 'SELF_MANAGED' }] });
    cfn.on(DescribeStackSetCommand, { StackSetName: 'someone-elses' }).resolves({
      StackSet: { StackSetName: 'someone-elses', AdministrationRoleARN: `arn:aws:iam::${ACCOUNT}:role/AWSCloudFormationStackSetAdministrationRole`, ExecutionRoleName: 'AWSCloudFormationStackSetExecutionRole' },
    });
    cfn.on(DescribeStackSetCommand, { StackSetName: 'platform-baseline' }).resolves({
      StackSet: { StackSetName: 'platform-baseline', StackSetARN: SET_ARN, AdministrationRoleARN: ADMIN_ROLE, ExecutionRoleName: `DopLab-StackSetExecution-${REGION}`, Status: 'ACTIVE' },
    });
    cfn.on(ListStackInstancesCommand, { NextToken: undefined }).resolves({
      Summaries: [{ StackSetId: 'platform-baseline:1', Account: ACCOUNT, Region: REGION, StackId: instanceStack(REGION, 'a1'), Status: 'CURRENT' }],
      NextToken: 'i2',
    });
    cfn.on(ListStackInstancesCommand, { NextToken: 'i2' }).resolves({
      Summaries: [{ StackSetId: 'platform-baseline:1', Account: ACCOUNT, Region: 'ap-south-1', StackId: instanceStack('ap-south-1', 'b2'), Status: 'OUTDATED' }],
    });
    // The instance stack in eu-west-1 is also listed by ListStacks: it counts once.
    cfn.on(ListStacksCommand).callsFake(async (_input, getClient) => {
      const here = await (getClient().config.region as () => Promise<string>)();
      if (here !== REGION) return { StackSummaries: [] };
      return { StackSummaries: [{ StackName: 'StackSet-platform-baseline-a1', StackId: instanceStack(REGION, 'a1'), StackStatus: 'CREATE_COMPLETE', TemplateDescription: DESCRIPTION, CreationTime: new Date() }] };
    });
    const { ctx, calls } = context();
    const found = await leftovers(ctx);
    expect(found).toEqual([
      { resource: SET_ARN, region: REGION, reason: "StackSet using the lab's roles (the cleanup deletes it)" },
      { resource: instanceStack(REGION, 'a1'), region: REGION, reason: 'stack instance of StackSet platform-baseline (CURRENT)' },
      { resource: instanceStack('ap-south-1', 'b2'), region: 'ap-south-1', reason: 'stack instance of StackSet platform-baseline (OUTDATED)' },
    ]);
    expect(cfn.commandCalls(DescribeStackSetCommand).map((c) => c.args[0].input.StackSetName)).toEqual(['someone-elses', 'platform-baseline']);
    expect([...new Set(calls.filter((c) => c.action === 'cloudformation:ListStacks').map((c) => c.region))]).toEqual([REGION, SECOND, 'ap-south-1']);
  });

  it("finds the baseline's stacks, log group and alarm left in the second region, not other StackSet stacks", async () => {
    const logGroupArn = `arn:aws:logs:${SECOND}:${ACCOUNT}:log-group:${BASELINE_LOG_GROUP_NAME}`;
    const alarmArn = `arn:aws:cloudwatch:${SECOND}:${ACCOUNT}:alarm:${BASELINE_ALARM_NAME}`;
    const { ctx } = context();
    // The same mocks answer both regions; only the second region's answers carry resources.
    const inSecond = async (client: { config: { region: unknown } }) => (await (client.config.region as () => Promise<string>)()) === SECOND;
    cfn.on(ListStacksCommand).callsFake(async (_input, getClient) => {
      if (!(await inSecond(getClient()))) return { StackSummaries: [] };
      return {
        StackSummaries: [
          { StackName: 'StackSet-platform-baseline-c3', StackId: instanceStack(SECOND, 'c3'), StackStatus: 'DELETE_FAILED', TemplateDescription: DESCRIPTION, CreationTime: new Date() },
          { StackName: 'StackSet-other-d4', StackId: instanceStack(SECOND, 'd4'), StackStatus: 'CREATE_COMPLETE', TemplateDescription: 'Another baseline', CreationTime: new Date() },
        ],
      };
    });
    logs.on(DescribeLogGroupsCommand).callsFake(async (_input, getClient) => {
      return { logGroups: (await inSecond(getClient())) ? [{ logGroupName: BASELINE_LOG_GROUP_NAME, arn: logGroupArn }] : [] };
    });
    cw.on(DescribeAlarmsCommand).callsFake(async (_input, getClient) => {
      return { MetricAlarms: (await inSecond(getClient())) ? [{ AlarmName: BASELINE_ALARM_NAME, AlarmArn: alarmArn }] : [] };
    });
    expect(await leftovers(ctx)).toEqual([
      { resource: instanceStack(SECOND, 'c3'), region: SECOND, reason: 'baseline stack of a StackSet (DELETE_FAILED)' },
      { resource: logGroupArn, region: SECOND, reason: "the baseline's log group" },
      { resource: alarmArn, region: SECOND, reason: "the baseline's alarm" },
    ]);
  });

  it('matches the roles named by the stack outputs when known', async () => {
    cfn.on(ListStackSetsCommand).resolves({ Summaries: [{ StackSetName: 'platform-baseline', Status: 'ACTIVE', PermissionModel: 'SELF_MANAGED' }] });
    cfn.on(DescribeStackSetCommand).resolves({ StackSet: { StackSetName: 'platform-baseline', StackSetARN: SET_ARN, AdministrationRoleARN: `arn:aws:iam::${ACCOUNT}:role/Renamed-Admin`, ExecutionRoleName: 'Renamed-Exec' } });
    cfn.on(ListStackInstancesCommand).resolves({ Summaries: [] });
    const stack = { outputs: { AdministrationRoleArn: `arn:aws:iam::${ACCOUNT}:role/Renamed-Admin`, ExecutionRoleName: 'Renamed-Exec' } };
    const { ctx } = leftoverContext([cfnSdk, cwSdk, logsSdk], { region: REGION, regions: [REGION], stack });
    expect((await leftovers(ctx)).map((l) => l.resource)).toEqual([SET_ARN]);
    const { ctx: without } = leftoverContext([cfnSdk, cwSdk, logsSdk], { region: REGION, regions: [REGION] });
    expect(await leftovers(without)).toEqual([]);
  });

  it('fails with the mapped AWS error when a call is denied', async () => {
    cfn.on(ListStackSetsCommand).rejects(awsError('AccessDenied', 'User is not authorized to perform: cloudformation:ListStackSets'));
    const { ctx } = context();
    await expect(leftovers(ctx)).rejects.toMatchObject({ message: expect.stringContaining('cloudformation:ListStackSets') });
  });

  it('is what the lab declares for destroy', async () => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: BASELINE_LOG_GROUP_NAME }] });
    const { ctx } = context();
    expect((await lab.leftovers?.(ctx))?.map((l) => `${l.resource} ${l.region}`)).toEqual([`${BASELINE_LOG_GROUP_NAME} ${REGION}`, `${BASELINE_LOG_GROUP_NAME} ${SECOND}`]);
  });
});
