import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeStackEventsCommand, DescribeStacksCommand, type Stack, type StackEvent } from '@aws-sdk/client-cloudformation';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { formatAge, labStatus, statusCommand } from '../../../lib/commands/status';
import { deploymentKey, readState, recordPassedCheck } from '../../../lib/lifecycle/state';
import { lab as realLab } from '../../../labs/cloudwatch-metric-filters/lab';
import { awsError } from '../../support/mocked-session';
import { ACCOUNT, REGION, mockAws, recordingIo } from './support';

const NOW = Date.parse('2026-11-23T14:00:00.000Z');
const LAB = 'cloudwatch-metric-filters';

function labStack(overrides: Partial<Stack> = {}): Stack {
  return {
    StackName: `DopLab-${LAB}`,
    StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/DopLab-${LAB}/5b6e1a20-c8d1-11f0-9a3b-0a1b2c3d4e5f`,
    StackStatus: 'CREATE_COMPLETE',
    CreationTime: new Date('2026-11-23T12:00:00.000Z'),
    Outputs: [{ OutputKey: 'DopLabExpiresAt', OutputValue: '2026-11-23T16:00:00.000Z' }],
    ...overrides,
  };
}

describe('labStatus', () => {
  it('shows age, time left, cost so far (hours × cost per hour) and no check yet', () => {
    expect(labStatus(labStack(), REGION, [realLab], {}, ACCOUNT, NOW)).toEqual({
      lab: LAB,
      region: REGION,
      stackStatus: 'CREATE_COMPLETE',
      createdAt: '2026-11-23T12:00:00.000Z',
      ageMs: 2 * 3600_000,
      expiresAt: '2026-11-23T16:00:00.000Z',
      msLeft: 2 * 3600_000,
      costSoFarUsd: 2 * realLab.cost.usdPerHour,
      checkPassed: null,
      expired: false,
      deletionFailed: null,
    });
  });

  it('has no expiry for a stack deployed with --ttl none or plain cdk deploy, and no cost for an unknown lab', () => {
    const s = labStatus(labStack({ StackName: 'DopLab-retired-lab', Outputs: [] }), REGION, [realLab], {}, ACCOUNT, NOW);
    expect(s).toMatchObject({ lab: 'retired-lab', expiresAt: null, msLeft: null, costSoFarUsd: null });
  });

  it('counts a passed check of this deployment only, not one from before it was created', () => {
    const key = deploymentKey(ACCOUNT, REGION, LAB);
    const after = { score: 100, maxScore: 100, at: '2026-11-23T13:30:00.000Z' };
    expect(labStatus(labStack(), REGION, [realLab], { [key]: after }, ACCOUNT, NOW)?.checkPassed).toEqual(after);
    const before = { ...after, at: '2026-11-22T13:30:00.000Z' };
    expect(labStatus(labStack(), REGION, [realLab], { [key]: before }, ACCOUNT, NOW)?.checkPassed).toBeNull();
  });

  it('ignores DopLab-Base and foreign stacks', () => {
    expect(labStatus(labStack({ StackName: 'DopLab-Base' }), REGION, [realLab], {}, ACCOUNT, NOW)).toBeUndefined();
    expect(labStatus(labStack({ StackName: 'billing-api' }), REGION, [realLab], {}, ACCOUNT, NOW)).toBeUndefined();
  });
});

describe('formatAge', () => {
  it('shows hours and minutes from an hour on, else minutes and seconds', () => {
    expect(formatAge(3 * 3600_000 + 5 * 60_000 + 59_000)).toBe('3h 05m');
    expect(formatAge(12 * 60_000 + 30_000)).toBe('12m 30s');
  });
});

describe('state file', () => {
  it('remembers passed checks, and reads a missing or corrupt file as empty', () => {
    const env = { DOPLAB_HOME: mkdtempSync(join(tmpdir(), 'doplab-state-')) };
    expect(readState(env)).toEqual({ passedChecks: {} });
    recordPassedCheck('a/b/c', { score: 1, maxScore: 2, at: '2026-11-23T13:30:00.000Z' }, env);
    expect(readState(env).passedChecks['a/b/c']).toEqual({ score: 1, maxScore: 2, at: '2026-11-23T13:30:00.000Z' });
    writeFileSync(join(env.DOPLAB_HOME, 'state.json'), '{ half');
    expect(readState(env)).toEqual({ passedChecks: {} });
  });
});

describe('doplab status', () => {
  let aws: ReturnType<typeof mockAws>;
  beforeEach(() => (aws = mockAws()));
  afterEach(() => aws.restore());

  it('lists doplab lab stacks as JSON, with the check recorded by doplab check', async () => {
    const env = { DOPLAB_HOME: mkdtempSync(join(tmpdir(), 'doplab-state-')) };
    recordPassedCheck(deploymentKey(ACCOUNT, REGION, LAB), { score: 100, maxScore: 100, at: '2026-11-23T13:30:00.000Z' }, env);
    aws.cfn.on(DescribeStacksCommand).resolves({ Stacks: [labStack(), labStack({ StackName: 'DopLab-Base' }), labStack({ StackName: 'orders-prod' })] });
    const io = recordingIo();
    await expect(statusCommand({}, io, { json: true }, { session: aws.session, now: () => NOW, env, labs: [realLab] })).resolves.toBe(0);
    const out = JSON.parse(io.outText());
    expect(out.labs).toHaveLength(1);
    expect(out.labs[0]).toMatchObject({ lab: LAB, checkPassed: { score: 100 }, msLeft: 2 * 3600_000 });
    expect(aws.cfn.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input)).toEqual([{ NextToken: undefined }]);
  });

  it('prints a table with the cost so far', async () => {
    aws.cfn.on(DescribeStacksCommand).resolves({ Stacks: [labStack()] });
    const io = recordingIo();
    await statusCommand({}, io, {}, { session: aws.session, now: () => NOW, env: { DOPLAB_HOME: process.env.DOPLAB_HOME }, labs: [realLab] });
    expect(io.outText()).toMatch(/cloudwatch-metric-filters\s+eu-west-1\s+CREATE_COMPLETE\s+2h 00m\s+2h 00m\s+\$0\.0013\s+not yet/);
    expect(io.outText()).toContain('Estimated cost so far: $0.0013');
  });

  it('looks in every region with --all-regions, skipping regions the account has not enabled', async () => {
    aws.ssm.on(GetParametersByPathCommand).resolves({ Parameters: [{ Name: '/aws/service/global-infrastructure/regions/eu-west-1', Value: 'eu-west-1' }, { Name: '/aws/service/global-infrastructure/regions/me-south-1', Value: 'me-south-1' }] });
    aws.cfn.on(DescribeStacksCommand).callsFake(async (_input: unknown, getClient: () => { config: { region: () => Promise<string> } }) => {
      if ((await getClient().config.region()) === 'me-south-1') throw awsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
      return { Stacks: [labStack()] };
    });
    const io = recordingIo();
    await statusCommand({}, io, { json: true, allRegions: true }, { session: aws.session, now: () => NOW, env: { DOPLAB_HOME: process.env.DOPLAB_HOME }, labs: [realLab] });
    const out = JSON.parse(io.outText());
    expect(out.regions).toEqual(['eu-west-1', 'me-south-1']);
    expect(out.labs).toHaveLength(1);
    expect(out.labs[0].region).toBe('eu-west-1');
    expect(out.skippedRegions).toEqual(['me-south-1']);
  });

  describe('a lab whose expiry could not delete it (issue 10, defect 9)', () => {
    const STACK_ID = labStack().StackId as string;
    const event = (id: string, logicalId: string, type: string, status: string, at: string, reason?: string): StackEvent => ({
      StackId: STACK_ID,
      EventId: id,
      StackName: `DopLab-${LAB}`,
      LogicalResourceId: logicalId,
      ResourceType: type,
      Timestamp: new Date(at),
      ResourceStatus: status as StackEvent['ResourceStatus'],
      ResourceStatusReason: reason,
    });
    const reason = 'Resource handler returned message: "User: arn:aws:sts::111122223333:assumed-role/DopLab-Base-ExecutionRole/x is not authorized to perform: SNS:DeleteTopic"';
    beforeEach(() => {
      // Expired at 12:30; the schedule's DeleteStack at 12:30 ended DELETE_FAILED. Newest first, as CloudFormation lists them.
      aws.cfn.on(DescribeStacksCommand).resolves({
        Stacks: [labStack({ StackStatus: 'DELETE_FAILED', Outputs: [{ OutputKey: 'DopLabExpiresAt', OutputValue: '2026-11-23T12:30:00.000Z' }] })],
      });
      aws.cfn.on(DescribeStackEventsCommand).resolves({
        StackEvents: [
          event('e5', `DopLab-${LAB}`, 'AWS::CloudFormation::Stack', 'DELETE_FAILED', '2026-11-23T12:33:00Z', 'The following resource(s) failed to delete: [AlertTopic2B6A9D7E].'),
          event('e4', 'AlertTopic2B6A9D7E', 'AWS::SNS::Topic', 'DELETE_FAILED', '2026-11-23T12:32:00Z', reason),
          event('e3', 'AppLogGroupA1B2C3D4', 'AWS::Logs::LogGroup', 'DELETE_COMPLETE', '2026-11-23T12:31:00Z'),
          event('e2', `DopLab-${LAB}`, 'AWS::CloudFormation::Stack', 'DELETE_IN_PROGRESS', '2026-11-23T12:30:05Z', 'User Initiated'),
          // An older failure, from a deletion before the last one: not the cause now.
          event('e1', 'OldQueue', 'AWS::SQS::Queue', 'DELETE_FAILED', '2026-11-23T12:10:00Z', 'from an earlier attempt'),
        ],
      });
    });

    it('says so loudly in the table: expired, deletion failed, the failing resource and reason, and the command to run', async () => {
      const io = recordingIo();
      await expect(statusCommand({ profile: 'sandbox' }, io, {}, { session: aws.session, now: () => NOW, env: { DOPLAB_HOME: process.env.DOPLAB_HOME }, labs: [realLab] })).resolves.toBe(0);
      const out = io.outText();
      expect(out).toMatch(/cloudwatch-metric-filters\s+eu-west-1\s+DELETE_FAILED\s+2h 00m\s+overdue 1h 30m/);
      expect(out).toContain(
        [
          `DELETION FAILED: ${LAB} in ${REGION} expired 1h 30m ago, but CloudFormation could not delete it; nothing retries that, and it keeps costing until you finish it.`,
          `  AlertTopic2B6A9D7E (AWS::SNS::Topic): ${reason}`,
          `  Run: doplab destroy ${LAB} --region ${REGION} --profile sandbox`,
        ].join('\n'),
      );
      expect(out).not.toContain('OldQueue');
      expect(aws.cfn.commandCalls(DescribeStackEventsCommand).map((c) => c.args[0].input)).toEqual([{ StackName: STACK_ID }]);
    });

    it('still shows the failed deletion when the stack events cannot be read', async () => {
      aws.cfn.on(DescribeStackEventsCommand).rejects(awsError('AccessDenied', 'not authorized to perform: cloudformation:DescribeStackEvents', 403));
      const io = recordingIo();
      await expect(statusCommand({}, io, {}, { session: aws.session, now: () => NOW, env: { DOPLAB_HOME: process.env.DOPLAB_HOME }, labs: [realLab] })).resolves.toBe(0);
      expect(io.outText()).toContain(`DELETION FAILED: ${LAB} in ${REGION} expired 1h 30m ago`);
      expect(io.outText()).toContain(`  Could not read the stack events: Access denied: cloudformation:DescribeStackEvents in ${REGION} is not allowed.\n  Run: doplab destroy ${LAB} --region ${REGION}`);
    });

    it('says the same in --json', async () => {
      const io = recordingIo();
      await statusCommand({}, io, { json: true }, { session: aws.session, now: () => NOW, env: { DOPLAB_HOME: process.env.DOPLAB_HOME }, labs: [realLab] });
      expect(JSON.parse(io.outText()).labs[0]).toMatchObject({
        lab: LAB,
        stackStatus: 'DELETE_FAILED',
        expired: true,
        msLeft: -90 * 60_000,
        deletionFailed: { failures: [{ logicalId: 'AlertTopic2B6A9D7E', type: 'AWS::SNS::Topic', reason }], command: `doplab destroy ${LAB} --region ${REGION}` },
      });
    });
  });
});
