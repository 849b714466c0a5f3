// `doplab destroy --all` (issue 10, defect 10): lab stacks in parallel, past a failing one, DopLab-Base kept
// while any lab stack remains, a summary per lab, exit 1 when anything is left.
import { DeleteStackCommand, DescribeStackEventsCommand, DescribeStacksCommand, ListStackResourcesCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { destroyLab, prefixedIo } from '../../../lib/commands/lifecycle';
import { awsError } from '../../support/mocked-session';
import { ACCOUNT, REGION, fakeAsker, mockAws, recordingIo } from './support';

const T0 = Date.parse('2026-11-23T14:00:00.000Z');
const stackOf = (name: string, uuid: string, status = 'CREATE_COMPLETE'): Stack => ({
  StackName: name,
  StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/${uuid}`,
  StackStatus: status as Stack['StackStatus'],
  CreationTime: new Date('2026-11-23T10:00:00Z'),
});
const METRIC = stackOf('DopLab-cloudwatch-metric-filters', '5b6e1a20-c8d1-11f0-9a3b-0a1b2c3d4e5f');
const RETIRED = stackOf('DopLab-retired-lab', '6c7f2b31-c8d1-11f0-9a3b-0a1b2c3d4e5f');
const BASE = stackOf('DopLab-Base', '0d3f2a10-c8d1-11f0-9a3b-0a1b2c3d4e5f');
const gone = (s: Stack) => ({ Stacks: [{ ...s, StackStatus: 'DELETE_COMPLETE' as const }] });

describe('doplab destroy --all', () => {
  let aws: ReturnType<typeof mockAws>;
  let clock: number;
  const deps = (signal = new AbortController().signal) => ({
    session: aws.session,
    asker: fakeAsker(false),
    env: { DOPLAB_SANDBOX_ACCOUNTS: ACCOUNT },
    // Each poll advances a minute; a wait gives up after 10.
    wait: { pollMs: 0, sleep: async () => undefined, now: () => (clock += 60_000), timeoutMs: 10 * 60_000, signal },
    audit: { settleRetries: 0 },
  });
  beforeEach(() => {
    aws = mockAws();
    clock = T0;
    aws.cfn.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [] });
    aws.cfn.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
    aws.tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [] });
    aws.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
    aws.logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
  });
  afterEach(() => aws.restore());

  /**
   * DescribeStacks without a name: the region's stacks, then only those whose deletion has not been sent (or
   * failed); by name: the stack. First, because a later matcher wins and `{ NextToken: undefined }` matches any input.
   */
  function listing(failed: readonly Stack[] = []) {
    aws.cfn.on(DescribeStacksCommand, { NextToken: undefined }).callsFake(async () => {
      const deleted = aws.cfn.commandCalls(DeleteStackCommand).map((c) => c.args[0].input.StackName);
      return { Stacks: [METRIC, RETIRED, BASE].filter((s) => failed.includes(s) || !deleted.includes(s.StackId)) };
    });
    for (const s of [METRIC, RETIRED, BASE]) aws.cfn.on(DescribeStacksCommand, { StackName: s.StackName }).resolves({ Stacks: [s] });
  }

  it('goes on past a lab whose teardown fails, keeps DopLab-Base while a lab stack remains, summarises per lab and exits 1', async () => {
    listing([METRIC]);
    aws.cfn.on(DeleteStackCommand, { StackName: METRIC.StackId }).rejects(awsError('AccessDenied', 'User is not authorized to perform: cloudformation:DeleteStack', 403));
    aws.cfn.on(DescribeStacksCommand, { StackName: RETIRED.StackId }).resolves(gone(RETIRED));
    const io = recordingIo();
    await expect(destroyLab(undefined, {}, io, { all: true }, deps())).resolves.toBe(1);
    // The failing lab did not stop the other; the base was not touched.
    expect(aws.cfn.commandCalls(DeleteStackCommand).map((c) => c.args[0].input.StackName).sort()).toEqual([METRIC.StackId, RETIRED.StackId].sort());
    const text = io.errText();
    expect(text).toContain(`[cloudwatch-metric-filters] Failed: Access denied: cloudformation:DeleteStack in ${REGION} is not allowed.`);
    expect(text).toContain('[retired-lab] Deleted DopLab-retired-lab');
    const summary = text.slice(text.indexOf('Summary of destroy --all')).split('\n');
    expect(summary).toEqual([
      `Summary of destroy --all in ${REGION}:`,
      '  lab                        stack        left  result',
      `  cloudwatch-metric-filters  NOT deleted  ?     FAILED: Access denied: cloudformation:DeleteStack in ${REGION} is not allowed.`,
      '  retired-lab                deleted      0     clean',
      '  DopLab-Base                kept         -     not deleted: its role deletes lab stacks, and 1 remain (DopLab-cloudwatch-metric-filters)',
    ]);
  });

  it('deletes the lab stacks in parallel, then DopLab-Base once every lab stack is gone, and exits 0', async () => {
    listing();
    // The first lab's deletion completes only once the second's has been sent: one at a time would time out.
    const bothSent = () => aws.cfn.commandCalls(DeleteStackCommand).length >= 2;
    aws.cfn.on(DescribeStacksCommand, { StackName: METRIC.StackId }).callsFake(async () => (bothSent() ? gone(METRIC) : { Stacks: [{ ...METRIC, StackStatus: 'DELETE_IN_PROGRESS' }] }));
    aws.cfn.on(DescribeStacksCommand, { StackName: RETIRED.StackId }).callsFake(async () => (bothSent() ? gone(RETIRED) : { Stacks: [{ ...RETIRED, StackStatus: 'DELETE_IN_PROGRESS' }] }));
    aws.cfn.on(DescribeStacksCommand, { StackName: BASE.StackId }).resolves(gone(BASE));
    const io = recordingIo();
    await expect(destroyLab(undefined, {}, io, { all: true }, deps())).resolves.toBe(0);
    const order = aws.cfn.commandCalls(DeleteStackCommand).map((c) => c.args[0].input.StackName);
    expect(order.slice(0, 2).sort()).toEqual([METRIC.StackId, RETIRED.StackId].sort());
    expect(order[2]).toBe(BASE.StackId);
    expect(io.errText()).toMatch(/^ {2}DopLab-Base +deleted +- +clean$/m);
  });

  it('exits 1 and keeps nothing quiet when a lab leaves something behind (the base goes: no lab stack is left)', async () => {
    listing();
    aws.cfn.on(DescribeStacksCommand, { StackName: METRIC.StackId }).resolves(gone(METRIC));
    aws.cfn.on(DescribeStacksCommand, { StackName: RETIRED.StackId }).resolves(gone(RETIRED));
    aws.cfn.on(DescribeStacksCommand, { StackName: BASE.StackId }).resolves(gone(BASE));
    const topic = `arn:aws:sns:${REGION}:${ACCOUNT}:DopLab-retired-lab-alerts`;
    aws.tagging.on(GetResourcesCommand, { TagFilters: [{ Key: 'doplab:lab', Values: ['retired-lab'] }] }).resolves({ ResourceTagMappingList: [{ ResourceARN: topic }] });
    aws.sns.on(GetTopicAttributesCommand).resolves({ Attributes: { TopicArn: topic } });
    const io = recordingIo();
    await expect(destroyLab(undefined, {}, io, { all: true }, deps())).resolves.toBe(1);
    expect(io.errText()).toContain(`[retired-lab]   left ${topic} (${REGION}): tagged doplab:lab=retired-lab`);
    expect(io.errText()).toMatch(/^ {2}retired-lab +deleted +1 +1 left \(listed above\)$/m);
  });

  it('stops on Ctrl-C without deleting DopLab-Base, exit 130', async () => {
    listing();
    const abort = new AbortController();
    aws.cfn.on(DescribeStacksCommand, { StackName: METRIC.StackId }).callsFake(async () => {
      abort.abort();
      return { Stacks: [{ ...METRIC, StackStatus: 'DELETE_IN_PROGRESS' }] };
    });
    aws.cfn.on(DescribeStacksCommand, { StackName: RETIRED.StackId }).resolves({ Stacks: [{ ...RETIRED, StackStatus: 'DELETE_IN_PROGRESS' }] });
    const io = recordingIo();
    await expect(destroyLab(undefined, {}, io, { all: true }, deps(abort.signal))).resolves.toBe(130);
    expect(aws.cfn.commandCalls(DeleteStackCommand).map((c) => c.args[0].input.StackName)).not.toContain(BASE.StackId);
    expect(io.errText()).toMatch(/^ {2}DopLab-Base +kept +- +not deleted: interrupted$/m);
    expect(io.errText()).toContain('Run doplab destroy --all again to wait for it, audit, and delete DopLab-Base.');
  });
});

describe('prefixedIo', () => {
  it('prefixes every non-empty line with the lab id', () => {
    const io = recordingIo();
    prefixedIo(io, 'x').err('one\n  two\n\nthree\n');
    expect(io.errText()).toBe('[x] one\n[x]   two\n\n[x] three');
  });
});
