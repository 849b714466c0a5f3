import {
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { DescribeListenersCommand, ListenerNotFoundException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { destroyLab } from '../../../lib/commands/lifecycle';
import { DoplabError } from '../../../lib/errors';
import { deleteStack, leftoverAudit } from '../../../lib/lifecycle/teardown';
import { lab as realLab } from '../../../labs/cloudwatch-metric-filters/lab';
import { awsError } from '../../support/mocked-session';
import { ACCOUNT, REGION, actionsSent, fakeAsker, mockAws, recordingIo } from './support';

const NAME = 'DopLab-cloudwatch-metric-filters';
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${NAME}/5b6e1a20-c8d1-11f0-9a3b-0a1b2c3d4e5f`;
const T0 = Date.parse('2026-11-23T14:00:00.000Z');
const noWait = { pollMs: 0, sleep: async () => undefined, now: () => T0 };
const noSettle = { settleRetries: 0 };

const stack = (status: string): Stack => ({ StackName: NAME, StackId: STACK_ID, StackStatus: status as Stack['StackStatus'], CreationTime: new Date('2026-11-23T10:00:00Z') });
const notFound = () => awsError('ValidationError', `Stack with id ${NAME} does not exist`);
const event = (logicalId: string, type: string, status: string, reason: string, at: string) => ({
  StackId: STACK_ID,
  EventId: `${logicalId}-${status}-${at}`,
  StackName: NAME,
  LogicalResourceId: logicalId,
  PhysicalResourceId: logicalId,
  ResourceType: type,
  Timestamp: new Date(at),
  ResourceStatus: status as never,
  ResourceStatusReason: reason,
});

describe('deleteStack', () => {
  let aws: ReturnType<typeof mockAws>;
  beforeEach(() => {
    aws = mockAws();
    aws.cfn.on(ListStackResourcesCommand).resolves({
      StackResourceSummaries: [
        { LogicalResourceId: 'AppLogGroupA1B2C3D4', PhysicalResourceId: '/doplab/cloudwatch-metric-filters/orders-api', ResourceType: 'AWS::Logs::LogGroup', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date() },
      ],
    });
  });
  afterEach(() => aws.restore());

  it('is a clean success, sending no DeleteStack, when the stack does not exist', async () => {
    aws.cfn.on(DescribeStacksCommand).rejects(notFound());
    await expect(deleteStack(aws.session, NAME, REGION, recordingIo(), noWait)).resolves.toEqual({ existed: false, attempts: 0, firstAttemptFailures: [], removed: [] });
    expect(aws.cfn).not.toHaveReceivedCommand(DeleteStackCommand);
  });

  it('deletes by stack id and waits for DELETE_COMPLETE', async () => {
    aws.cfn.on(DescribeStacksCommand, { StackName: NAME }).resolves({ Stacks: [stack('CREATE_COMPLETE')] });
    aws.cfn.on(DescribeStacksCommand, { StackName: STACK_ID }).resolvesOnce({ Stacks: [stack('DELETE_IN_PROGRESS')] }).resolves({ Stacks: [stack('DELETE_COMPLETE')] });
    const result = await deleteStack(aws.session, NAME, REGION, recordingIo(), noWait);
    expect(result).toEqual({
      existed: true,
      attempts: 1,
      firstAttemptFailures: [],
      removed: [{ type: 'AWS::Logs::LogGroup', physicalId: '/doplab/cloudwatch-metric-filters/orders-api' }],
      stack: { outputs: {}, createdAt: new Date('2026-11-23T10:00:00Z') },
    });
    expect(aws.cfn.commandCalls(DeleteStackCommand).map((c) => c.args[0].input)).toEqual([{ StackName: STACK_ID }]);
  });

  it('names the failing resource on DELETE_FAILED and retries once', async () => {
    aws.cfn.on(DescribeStacksCommand, { StackName: NAME }).resolves({ Stacks: [stack('CREATE_COMPLETE')] });
    aws.cfn
      .on(DescribeStacksCommand, { StackName: STACK_ID })
      .resolvesOnce({ Stacks: [stack('DELETE_FAILED')] })
      .resolvesOnce({ Stacks: [stack('DELETE_IN_PROGRESS')] })
      .resolves({ Stacks: [stack('DELETE_COMPLETE')] });
    aws.cfn.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        event(NAME, 'AWS::CloudFormation::Stack', 'DELETE_FAILED', 'The following resource(s) failed to delete: [CleanupD4E4842E].', '2026-11-23T14:02:00Z'),
        event('CleanupD4E4842E', 'Custom::DopLabCleanup', 'DELETE_FAILED', 'Received response status [FAILED] from custom resource. Message returned: could not delete orders-errors', '2026-11-23T14:01:30Z'),
        event('OldFailure', 'AWS::SNS::Topic', 'DELETE_FAILED', 'from an earlier run', '2026-11-20T08:00:00Z'),
      ],
    });
    const io = recordingIo();
    const result = await deleteStack(aws.session, NAME, REGION, io, noWait);
    expect(result.attempts).toBe(2);
    expect(result.firstAttemptFailures).toEqual([
      { logicalId: 'CleanupD4E4842E', type: 'Custom::DopLabCleanup', reason: 'Received response status [FAILED] from custom resource. Message returned: could not delete orders-errors' },
    ]);
    expect(aws.cfn).toHaveReceivedCommandTimes(DeleteStackCommand, 2);
    expect(io.errText()).toContain('is DELETE_FAILED: CleanupD4E4842E (Custom::DopLabCleanup): Received response status [FAILED]');
    // Progress: each new resource event once, none from before this deletion.
    expect(io.errText().match(/^ {2}DELETE_FAILED +Custom::DopLabCleanup +CleanupD4E4842E {2}0s {2}Received response status/gm)).toHaveLength(1);
    expect(io.errText()).not.toContain('OldFailure');
  });

  it('fails with the resource and reason when the retry fails too', async () => {
    aws.cfn.on(DescribeStacksCommand, { StackName: NAME }).resolves({ Stacks: [stack('CREATE_COMPLETE')] });
    aws.cfn.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({ Stacks: [stack('DELETE_FAILED')] });
    aws.cfn.on(DescribeStackEventsCommand).resolves({
      StackEvents: [event('AlertTopic2B6A9D7E', 'AWS::SNS::Topic', 'DELETE_FAILED', 'User: arn:aws:sts::111122223333:assumed-role/DopLab-Base-ExecutionRole/x is not authorized to perform: SNS:DeleteTopic', '2026-11-23T14:01:00Z')],
    });
    const error = (await deleteStack(aws.session, NAME, REGION, recordingIo(), noWait).catch((e: unknown) => e)) as DoplabError;
    expect(error.code).toBe('DESTROY_FAILED');
    expect(error.message).toBe(
      `${NAME} in ${REGION} is DELETE_FAILED twice; first failing resource: AlertTopic2B6A9D7E (AWS::SNS::Topic): User: arn:aws:sts::111122223333:assumed-role/DopLab-Base-ExecutionRole/x is not authorized to perform: SNS:DeleteTopic`,
    );
    expect(aws.cfn).toHaveReceivedCommandTimes(DeleteStackCommand, 2);
  });

  it('stops waiting when interrupted, saying CloudFormation carries on', async () => {
    aws.cfn.on(DescribeStacksCommand, { StackName: NAME }).resolves({ Stacks: [stack('CREATE_COMPLETE')] });
    aws.cfn.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({ Stacks: [stack('DELETE_IN_PROGRESS')] });
    const abort = new AbortController();
    const sleep = async () => abort.abort();
    const error = (await deleteStack(aws.session, NAME, REGION, recordingIo(), { ...noWait, sleep, signal: abort.signal }).catch((e: unknown) => e)) as DoplabError;
    expect(error.code).toBe('INTERRUPTED');
    expect(error.message).toBe(`Stopped waiting: CloudFormation keeps deleting ${NAME} (DELETE_IN_PROGRESS).`);
  });
});

describe('leftoverAudit', () => {
  let aws: ReturnType<typeof mockAws>;
  beforeEach(() => {
    aws = mockAws();
    aws.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
    aws.logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
  });
  afterEach(() => aws.restore());

  it('asks the tagging API for doplab:lab=<id> in every region the lab touches, page by page', async () => {
    aws.tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [], PaginationToken: '' });
    aws.tagging
      .on(GetResourcesCommand, { PaginationToken: undefined })
      .resolves({ ResourceTagMappingList: [{ ResourceARN: 'arn:aws:sns:us-east-1:111122223333:DopLab-x-alerts' }], PaginationToken: 'page2' });
    aws.tagging.on(GetResourcesCommand, { PaginationToken: 'page2' }).resolves({ ResourceTagMappingList: [], PaginationToken: '' });
    aws.sns.on(GetTopicAttributesCommand).resolves({ Attributes: { TopicArn: 'arn:aws:sns:us-east-1:111122223333:DopLab-x-alerts' } });
    const lab = { id: 'x', regions: (r: string) => [r, 'us-east-1'] };
    const result = await leftoverAudit(aws.session, lab, { account: ACCOUNT, region: REGION }, noSettle);
    expect(result.regions).toEqual([REGION, 'us-east-1']);
    expect(aws.tagging.commandCalls(GetResourcesCommand).map((c) => c.args[0].input)).toEqual([
      { TagFilters: [{ Key: 'doplab:lab', Values: ['x'] }], PaginationToken: undefined },
      { TagFilters: [{ Key: 'doplab:lab', Values: ['x'] }], PaginationToken: undefined },
      { TagFilters: [{ Key: 'doplab:lab', Values: ['x'] }], PaginationToken: 'page2' },
      { TagFilters: [{ Key: 'doplab:lab', Values: ['x'] }], PaginationToken: 'page2' },
    ]);
    const regionsAsked = await Promise.all(aws.tagging.calls().map((c) => (c.thisValue as { config: { region: () => Promise<string> } }).config.region()));
    expect([...new Set(regionsAsked)].sort()).toEqual([REGION, 'us-east-1']);
    // The mock answers both regions alike; a resource listed twice counts once.
    expect(result.leftovers).toEqual([{ resource: 'arn:aws:sns:us-east-1:111122223333:DopLab-x-alerts', region: REGION, reason: 'tagged doplab:lab=x' }]);
  });

  it("adds the lab's declared leftovers: an alarm on the lab namespace the cleanup missed", async () => {
    aws.tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [] });
    const alarmArn = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:orders-errors`;
    aws.cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'orders-errors', AlarmArn: alarmArn, Namespace: 'DopLab/OrdersApi', MetricName: 'ErrorCount' },
        { AlarmName: 'unrelated', AlarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:unrelated`, Namespace: 'AWS/EC2', MetricName: 'CPUUtilization' },
      ],
      CompositeAlarms: [],
    });
    const result = await leftoverAudit(aws.session, realLab, { account: ACCOUNT, region: REGION }, noSettle);
    expect(result.leftovers).toEqual([{ resource: alarmArn, region: REGION, reason: "alarm on the lab's topic or namespace DopLab/OrdersApi (learner-made, untagged)" }]);
    expect(aws.logs.commandCalls(DescribeLogGroupsCommand).map((c) => c.args[0].input.logGroupNamePrefix)).toEqual([
      '/doplab/cloudwatch-metric-filters/',
      '/aws/lambda/DopLab-cloudwatch-metric-',
    ]);
    expect(actionsSent(aws).every((a) => /^(tag:GetResources|cloudwatch:DescribeAlarms|logs:DescribeLogGroups)$/.test(a))).toBe(true);
  });

  it('re-checks what is still there before it counts, since deletions take a moment to show', async () => {
    const name = '/doplab/cloudwatch-metric-filters/orders-api';
    const arn = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`;
    aws.tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [{ ResourceARN: arn }] });
    aws.logs.on(DescribeLogGroupsCommand, { logGroupNamePrefix: name }).resolvesOnce({ logGroups: [{ logGroupName: name, arn: `${arn}:*` }] }).resolves({ logGroups: [] });
    const sleep = jest.fn(async () => undefined);
    const result = await leftoverAudit(aws.session, realLab, { account: ACCOUNT, region: REGION }, { settleRetries: 2, settleMs: 20_000, sleep });
    expect(result.leftovers).toEqual([]);
    expect(result.dismissed).toEqual([{ resource: arn, region: REGION, why: 'no longer exists (the tagging index lags deletions)' }]);
    expect(sleep).toHaveBeenCalledTimes(1);
    expect(sleep).toHaveBeenCalledWith(20_000);
    expect(aws.tagging).toHaveReceivedCommandTimes(GetResourcesCommand, 2);
  });

  it('confirms each tag hit with its own service: a deleted listener and an INACTIVE task definition are not leftovers', async () => {
    const listener = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/DopLa-Publi-1OYF5QJ2L3K4M/50dc6c495c0c9188/f2f7dc8efc522ab2`;
    const revision = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/doplab-codedeploy-blue-green-web:1`;
    aws.tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [{ ResourceARN: listener }, { ResourceARN: revision }] });
    aws.elbv2.on(DescribeListenersCommand).rejects(new ListenerNotFoundException({ message: 'One or more listeners not found', $metadata: {} }));
    aws.ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { family: 'doplab-codedeploy-blue-green-web', revision: 1, status: 'INACTIVE' } });
    const sleep = jest.fn(async () => undefined);
    const result = await leftoverAudit(aws.session, { id: 'x' }, { account: ACCOUNT, region: REGION }, { settleRetries: 2, sleep });
    expect(result.leftovers).toEqual([]);
    expect(result.dismissed.map((d) => d.resource)).toEqual([listener, revision]);
    // Nothing left to wait for: one round.
    expect(sleep).not.toHaveBeenCalled();
    expect(actionsSent(aws).sort()).toEqual(['ecs:DescribeTaskDefinition', 'elasticloadbalancing:DescribeListeners', 'tag:GetResources']);
  });
});

describe('doplab destroy', () => {
  let aws: ReturnType<typeof mockAws>;
  const listed = { DOPLAB_SANDBOX_ACCOUNTS: ACCOUNT };
  const deps = () => ({ session: aws.session, asker: fakeAsker(false), env: listed, wait: { ...noWait, signal: new AbortController().signal }, audit: noSettle });
  beforeEach(() => {
    aws = mockAws();
    aws.cfn.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [] });
    aws.tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [] });
    aws.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
    aws.logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
  });
  afterEach(() => aws.restore());

  it('deletes, lists what it removed, audits, and exits 0 when nothing is left; a second run is a clean success too', async () => {
    aws.cfn.on(ListStackResourcesCommand).resolves({
      StackResourceSummaries: [
        { LogicalResourceId: 'AlertTopic2B6A9D7E', PhysicalResourceId: `arn:aws:sns:${REGION}:${ACCOUNT}:DopLab-cloudwatch-metric-filters-alerts`, ResourceType: 'AWS::SNS::Topic', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date() },
      ],
    });
    aws.cfn.on(DescribeStacksCommand, { StackName: NAME }).resolvesOnce({ Stacks: [stack('CREATE_COMPLETE')] }).rejects(notFound());
    aws.cfn.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({ Stacks: [stack('DELETE_COMPLETE')] });
    const first = recordingIo();
    await expect(destroyLab(realLab, {}, first, {}, deps())).resolves.toBe(0);
    expect(first.errText()).toContain(`  removed AWS::SNS::Topic arn:aws:sns:${REGION}:${ACCOUNT}:DopLab-cloudwatch-metric-filters-alerts`);
    expect(first.errText()).toContain('Leftover audit: nothing tagged doplab:lab=cloudwatch-metric-filters or known to linger is left in eu-west-1.');
    const second = recordingIo();
    await expect(destroyLab(realLab, {}, second, {}, deps())).resolves.toBe(0);
    expect(second.errText()).toContain(`${NAME} is not deployed in ${REGION}: nothing to delete.`);
    expect(aws.cfn).toHaveReceivedCommandTimes(DeleteStackCommand, 1);
  });

  it('reports what is left and exits 1', async () => {
    aws.cfn.on(DescribeStacksCommand).rejects(notFound());
    const arn = `arn:aws:sns:${REGION}:${ACCOUNT}:DopLab-cloudwatch-metric-filters-alerts`;
    aws.tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [{ ResourceARN: arn, Tags: [{ Key: 'doplab:lab', Value: 'cloudwatch-metric-filters' }] }] });
    aws.sns.on(GetTopicAttributesCommand, { TopicArn: arn }).resolves({ Attributes: { TopicArn: arn } });
    const io = recordingIo();
    await expect(destroyLab(realLab, {}, io, {}, deps())).resolves.toBe(1);
    expect(io.errText()).toContain(`Leftover audit: 1 resource(s) of cloudwatch-metric-filters are left:\n  left ${arn} (${REGION}): tagged doplab:lab=cloudwatch-metric-filters`);
  });

  it('exits 0 on a clean destroy although the tagging API still lists the deleted topic (issue 10, defect 6)', async () => {
    aws.cfn.on(DescribeStacksCommand).rejects(notFound());
    const arn = `arn:aws:sns:${REGION}:${ACCOUNT}:DopLab-cloudwatch-metric-filters-alerts`;
    aws.tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [{ ResourceARN: arn, Tags: [{ Key: 'doplab:lab', Value: 'cloudwatch-metric-filters' }] }] });
    aws.sns.on(GetTopicAttributesCommand, { TopicArn: arn }).rejects(awsError('NotFoundException', 'Topic does not exist', 404));
    const io = recordingIo();
    await expect(destroyLab(realLab, {}, io, {}, deps())).resolves.toBe(0);
    expect(io.errText()).toContain(`  not counted ${arn} (${REGION}): listed by the tagging API, but no longer exists (the tagging index lags deletions)`);
    expect(io.errText()).toContain('Leftover audit: nothing tagged doplab:lab=cloudwatch-metric-filters or known to linger is left in eu-west-1.');
  });

  it('finishes a stack its expiry left DELETE_FAILED, naming why the earlier deletion failed (issue 10, defect 9)', async () => {
    const reason = 'Received response status [FAILED] from custom resource. Message returned: could not delete orders-errors';
    aws.cfn.on(DescribeStacksCommand, { StackName: NAME }).resolves({ Stacks: [stack('DELETE_FAILED')] });
    aws.cfn.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({ Stacks: [stack('DELETE_COMPLETE')] });
    aws.cfn.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        event(NAME, 'AWS::CloudFormation::Stack', 'DELETE_FAILED', 'The following resource(s) failed to delete: [CleanupD4E4842E].', '2026-11-23T13:02:00Z'),
        event('CleanupD4E4842E', 'Custom::DopLabCleanup', 'DELETE_FAILED', reason, '2026-11-23T13:01:30Z'),
        event(NAME, 'AWS::CloudFormation::Stack', 'DELETE_IN_PROGRESS', 'User Initiated', '2026-11-23T13:00:00Z'),
      ],
    });
    const io = recordingIo();
    await expect(destroyLab(realLab, {}, io, {}, deps())).resolves.toBe(0);
    expect(aws.cfn.commandCalls(DeleteStackCommand).map((c) => c.args[0].input)).toEqual([{ StackName: STACK_ID }]);
    expect(io.errText()).toContain(`  ${NAME} was left DELETE_FAILED by an earlier deletion (CleanupD4E4842E (Custom::DopLabCleanup): ${reason}); deleting it again.`);
    expect(io.errText()).toContain(`Deleted ${NAME} in`);
  });

  it('sends no DeleteStack when the guard refuses', async () => {
    aws.cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('CREATE_COMPLETE')] });
    const error = await destroyLab(realLab, {}, recordingIo(), {}, { ...deps(), env: { DOPLAB_HOME: process.env.DOPLAB_HOME } }).catch((e: unknown) => e);
    expect((error as DoplabError).code).toBe('NOT_SANDBOX');
    expect(actionsSent(aws).sort()).toEqual(['iam:ListAccountAliases', 'sts:GetCallerIdentity']);
  });

  it('--all removes every lab stack, then DopLab-Base', async () => {
    const base = { StackName: 'DopLab-Base', StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/DopLab-Base/0d3f2a10-c8d1-11f0-9a3b-0a1b2c3d4e5f`, StackStatus: 'CREATE_COMPLETE' as const, CreationTime: new Date() };
    aws.cfn
      .on(DescribeStacksCommand, { NextToken: undefined })
      .resolvesOnce({ Stacks: [base, stack('CREATE_COMPLETE'), { ...stack('CREATE_COMPLETE'), StackName: 'Other-App' }] })
      .resolves({ Stacks: [base, { ...stack('CREATE_COMPLETE'), StackName: 'Other-App' }] });
    aws.cfn.on(DescribeStacksCommand, { StackName: NAME }).resolves({ Stacks: [stack('CREATE_COMPLETE')] });
    aws.cfn.on(DescribeStacksCommand, { StackName: 'DopLab-Base' }).resolves({ Stacks: [base] });
    aws.cfn.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({ Stacks: [stack('DELETE_COMPLETE')] });
    aws.cfn.on(DescribeStacksCommand, { StackName: base.StackId }).resolves({ Stacks: [{ ...base, StackStatus: 'DELETE_COMPLETE' }] });
    await expect(destroyLab(undefined, {}, recordingIo(), { all: true }, deps())).resolves.toBe(0);
    expect(aws.cfn.commandCalls(DeleteStackCommand).map((c) => c.args[0].input.StackName)).toEqual([STACK_ID, base.StackId]);
  });
});
