import { DescribeStacksCommand, ListStackResourcesCommand, ListStackSetsCommand, ListStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { teardownLab } from '../../../lib/commands/lifecycle';
import { labRegions } from '../../../lib/lab';
import { lab as stacksets } from '../../../labs/stacksets-multi-region/lab';
import { lab as metricFilters } from '../../../labs/cloudwatch-metric-filters/lab';
import { ACCOUNT, REGION, mockAws, recordingIo } from './support';

const NAME = 'DopLab-stacksets-multi-region';
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${NAME}/7c1d2e30-c8d1-11f0-9a3b-0a1b2c3d4e5f`;
const CREATED = new Date('2026-11-23T10:00:00Z');
const noWait = { pollMs: 0, sleep: async () => undefined, now: () => Date.parse('2026-11-23T14:00:00Z') };

const deployed = (status: string): Stack => ({
  StackName: NAME,
  StackId: STACK_ID,
  StackStatus: status as Stack['StackStatus'],
  CreationTime: CREATED,
  Outputs: [
    { OutputKey: 'AdministrationRoleArn', OutputValue: `arn:aws:iam::${ACCOUNT}:role/DopLab-StackSetAdministration-${REGION}` },
    { OutputKey: 'SecondRegion', OutputValue: 'ap-southeast-2' },
  ],
});

/** The region each call of a mock went to. */
async function regionsOf(mock: { calls: () => { thisValue: unknown }[] }): Promise<string[]> {
  const regions = await Promise.all(mock.calls().map((c) => (c.thisValue as { config: { region: () => Promise<string> } }).config.region()));
  return [...new Set(regions)].sort();
}

describe("the leftover audit sees the stack's outputs", () => {
  let aws: ReturnType<typeof mockAws>;
  beforeEach(() => {
    aws = mockAws();
    aws.cfn.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [] });
    aws.cfn.on(ListStackSetsCommand).resolves({ Summaries: [] });
    aws.cfn.on(ListStacksCommand).resolves({ StackSummaries: [] });
    aws.tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [] });
    aws.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    aws.logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
  });
  afterEach(() => aws.restore());

  it('audits a custom second region that only the SecondRegion output names, read before deletion', async () => {
    aws.cfn.on(DescribeStacksCommand, { StackName: NAME }).resolves({ Stacks: [deployed('CREATE_COMPLETE')] });
    aws.cfn.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({ Stacks: [deployed('DELETE_COMPLETE')] });
    const io = recordingIo();
    const result = await teardownLab(stacksets, aws.session, { account: ACCOUNT, region: REGION }, io, { wait: noWait, audit: { settleRetries: 0 } });
    expect(result.deletion.stack).toEqual({
      outputs: { AdministrationRoleArn: `arn:aws:iam::${ACCOUNT}:role/DopLab-StackSetAdministration-${REGION}`, SecondRegion: 'ap-southeast-2' },
      createdAt: CREATED,
    });
    expect(result.audit.regions).toEqual([REGION, 'ap-southeast-2']);
    expect(await regionsOf(aws.tagging)).toEqual(['ap-southeast-2', REGION].sort());
    expect(await regionsOf(aws.logs)).toEqual(['ap-southeast-2', REGION].sort());
    expect(io.errText()).toContain(`nothing tagged doplab:lab=stacksets-multi-region or known to linger is left in ${REGION}, ap-southeast-2.`);
  });

  it('falls back to the default second region when the stack was already gone', async () => {
    aws.cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error(`Stack with id ${NAME} does not exist`), { name: 'ValidationError', $metadata: {} }));
    const result = await teardownLab(stacksets, aws.session, { account: ACCOUNT, region: REGION }, recordingIo(), { wait: noWait, audit: { settleRetries: 0 } });
    expect(result.deletion.stack).toBeUndefined();
    expect(result.audit.regions).toEqual([REGION, 'us-east-1']);
  });
});

describe('labRegions', () => {
  it('passes the outputs to the lab, which ignores a malformed or same-region value', () => {
    expect(labRegions(stacksets, 'eu-west-1', { SecondRegion: 'ap-southeast-2' })).toEqual(['eu-west-1', 'ap-southeast-2']);
    expect(labRegions(stacksets, 'eu-west-1', { SecondRegion: 'eu-west-1' })).toEqual(['eu-west-1', 'us-east-1']);
    expect(labRegions(stacksets, 'us-east-1', { SecondRegion: 'not a region' })).toEqual(['us-east-1', 'us-west-2']);
    expect(labRegions(stacksets, 'us-east-1')).toEqual(['us-east-1', 'us-west-2']);
  });

  it('keeps a lab without regions in its deploy region', () => {
    expect(labRegions(metricFilters, 'eu-west-1', { SecondRegion: 'ap-southeast-2' })).toEqual(['eu-west-1']);
  });
});
