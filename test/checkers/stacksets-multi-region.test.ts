import 'aws-sdk-client-mock-jest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CreateStackInstancesCommand,
  CreateStackSetCommand,
  DescribeStackSetCommand,
  DescribeStackSetOperationCommand,
  DescribeStacksCommand,
  DetectStackSetDriftCommand,
  ListStackInstancesCommand,
  ListStackSetOperationsCommand,
  ListStackSetsCommand,
  UpdateStackSetCommand,
  type CreateStackSetCommandInput,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { MockedSession, awsError } from '../support/mocked-session';
import { ACCOUNT, ADMIN, EXECUTION, INSTANCE_STACK_IDS, REGION, SECOND, STACK_NAME, STACK_OUTPUTS, mockWorld, newStubs, solvedWorld, startingWorld, type AwsWorld, type WorldStubs } from '../fixtures/stacksets-multi-region/aws-world';
import { CREDENTIALS, FACTS_FILES, IDENTITY, SDK_MODULES, freshFactsFile, gatherWorld } from '../fixtures/stacksets-multi-region/gather-world';
import { checker, MAX_STACK_SETS, type StackSetsMultiRegionFacts } from '../../checkers/stacksets-multi-region';
import { AwsSession, isReadOnlyAction, type AwsOptions, type CallListener } from '../../lib/aws/clients';
import type { LabResult, Status } from '../../lib/checker';
import { checkerActions, evaluate, gatherFacts } from '../../lib/engine';
import { DoplabError } from '../../lib/errors';
import { loadFactsFile } from '../../lib/facts-file';
import type { SolutionContext } from '../../lib/lab';
import { lab } from '../../labs/stacksets-multi-region/lab';
import { BASELINE_LOG_GROUP_NAME, Outputs, RETENTION_PARAMETER, UPDATED_RETENTION_DAYS } from '../../labs/stacksets-multi-region/contract';
import { SOLUTION_PREFERENCES, SOLUTION_STACK_SET_NAME, makeSolve } from '../../labs/stacksets-multi-region/solution';

const FIXTURES = join(__dirname, '..', 'fixtures', 'stacksets-multi-region');

const CHECK_IDS = ['stack-set-uses-lab-roles', 'instances-current', 'parallel-rollout', 'parameter-rolled-out', 'baseline-live', 'drift-detected'] as const;
type CheckId = (typeof CHECK_IDS)[number];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are edited freely in tests
type Mutable<T> = { -readonly [K in keyof T]: any };

function load(path: string) {
  return loadFactsFile(path, checker.labId, checker.factsSchema);
}

function run(facts: StackSetsMultiRegionFacts): LabResult {
  return evaluate(checker.checks, facts, { lab: checker.labId, account: ACCOUNT, region: REGION, source: 'facts-file' });
}

function check(result: LabResult, id: CheckId) {
  const found = result.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id}`);
  return found;
}

const solvedFacts = () => structuredClone(load(lab.examples.solved).facts) as Mutable<StackSetsMultiRegionFacts>;

describe('stacksets-multi-region checker', () => {
  describe('declaration', () => {
    it('has six checks with unique ids, hints and task statements, worth 100 points', () => {
      expect(checker.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
      for (const c of checker.checks) {
        expect(c.hint.length).toBeGreaterThan(20);
        expect(['2.1', '2.2']).toContain(c.taskStatement);
      }
      expect(checker.checks.reduce((sum, c) => sum + c.points, 0)).toBe(100);
    });

    it('declares only read-only actions', () => {
      expect(checkerActions(checker)).toEqual([
        'cloudformation:DescribeStackSet',
        'cloudformation:DescribeStacks',
        'cloudformation:ListStackInstances',
        'cloudformation:ListStackSetOperations',
        'cloudformation:ListStackSets',
        'logs:DescribeLogGroups',
      ]);
      expect(checkerActions(checker).every(isReadOnlyAction)).toBe(true);
    });
  });

  describe('checks on facts', () => {
    it('scores 0 on the starting state, failing with hints where it can judge and skipping the rest', () => {
      const result = run(load(lab.examples.starting).facts);
      expect(result.score).toBe(0);
      expect(result.checks.map((c) => c.status)).toEqual(['FAIL', 'SKIPPED', 'SKIPPED', 'SKIPPED', 'FAIL', 'SKIPPED']);
      for (const c of result.checks) expect(c.hint).toBeTruthy();
      expect(check(result, 'stack-set-uses-lab-roles').evidence).toEqual({
        observed: `no ACTIVE self-managed StackSet in ${REGION} uses the lab's roles`,
        expected: `an ACTIVE SELF_MANAGED StackSet with administration role ${ADMIN} and execution role ${EXECUTION}`,
        where: `StackSets in ${REGION}`,
      });
      expect(check(result, 'baseline-live').evidence?.observed).toBe(`${REGION}: no log group; ${SECOND}: no log group`);
    });

    it('gives full marks on the solved state, every check passing', () => {
      const result = run(load(lab.examples.solved).facts);
      expect(result.checks.map((c) => c.status)).toEqual(CHECK_IDS.map(() => 'PASS'));
      expect(result.score).toBe(100);
      expect(check(result, 'parameter-rolled-out').evidence?.observed).toBe(`StackSet: 30; ${REGION}: 30, ${SECOND}: 30`);
    });

    // Statuses in CHECK_IDS order: roles, instances, parallel, parameter, baseline, drift.
    it.each<[string, Status[]]>([
      ['operation-running', ['PASS', 'PENDING', 'PASS', 'PENDING', 'FAIL', 'PENDING']],
      ['instance-failed', ['PASS', 'FAIL', 'PASS', 'FAIL', 'FAIL', 'FAIL']],
      ['drift-detected', ['PASS', 'PASS', 'PASS', 'PASS', 'FAIL', 'FAIL']],
      ['drift-before-update', ['PASS', 'PASS', 'PASS', 'PASS', 'PASS', 'FAIL']],
      ['default-roles', ['FAIL', 'SKIPPED', 'SKIPPED', 'SKIPPED', 'FAIL', 'SKIPPED']],
      ['wrong-execution-role', ['FAIL', 'SKIPPED', 'SKIPPED', 'SKIPPED', 'PASS', 'SKIPPED']],
      ['not-updated', ['PASS', 'PASS', 'PASS', 'FAIL', 'FAIL', 'PASS']],
      ['sequential', ['PASS', 'PASS', 'FAIL', 'PASS', 'PASS', 'PASS']],
      ['second-region-access-denied', ['PASS', 'PASS', 'PASS', 'ERROR', 'ERROR', 'PASS']],
      ['stack-sets-throttled', ['ERROR', 'SKIPPED', 'SKIPPED', 'SKIPPED', 'PASS', 'SKIPPED']],
    ])('judges fixture %s', (name, expected) => {
      expect(run(load(join(FIXTURES, `${name}.json`)).facts).checks.map((c) => c.status)).toEqual(expected);
    });

    it('is pending while a StackSet operation runs, naming the operation', () => {
      const result = run(load(join(FIXTURES, 'operation-running.json')).facts);
      for (const id of ['instances-current', 'parameter-rolled-out', 'drift-detected'] as const) {
        const c = check(result, id);
        expect(c.points).toBe(0);
        expect(c.evidence?.observed).toBe('operation c2e4a6b8-1d3f-4a5c-8e7d-9f0a1b2c3d4e (UPDATE) is RUNNING since 2026-11-23T10:27:40.871Z');
      }
      expect(check(result, 'instances-current').evidence?.expected).toMatch(/once the operation finishes$/);
    });

    it('is pending on drift only while a drift detection runs: it changes no instance', () => {
      const facts = solvedFacts();
      Object.assign(facts.labStackSets[0].operations.value[0], { Status: 'RUNNING', EndTimestamp: undefined });
      const result = run(facts);
      expect(result.checks.map((c) => c.status)).toEqual(['PASS', 'PASS', 'PASS', 'PASS', 'PASS', 'PENDING']);
      expect(check(result, 'drift-detected').evidence?.observed).toBe('operation 5a7c9e1b-3d5f-4b6a-8c0e-2f4a6b8c0d1e (DETECT_DRIFT) is RUNNING since 2026-11-23T10:31:12.044Z');
    });

    it('fails a failed instance with its status reason and a hint on where to look', () => {
      const c = check(run(load(join(FIXTURES, 'instance-failed.json')).facts), 'instances-current');
      expect(c.evidence?.observed).toMatch(/^eu-west-1: CURRENT \(SUCCEEDED\); us-east-1: OUTDATED \(FAILED\): ResourceLogicalId:AuditLogGroup, .*The specified log group does not exist/);
      expect(c.hint).toMatch(/status reason/);
      expect(c.hint).toMatch(/stack's events in that region/);
    });

    it('fails the parameter check when the StackSet has the new value but an instance stack does not', () => {
      const c = check(run(load(join(FIXTURES, 'instance-failed.json')).facts), 'parameter-rolled-out');
      expect(c.evidence?.observed).toBe(`StackSet: 30; ${REGION}: 30, ${SECOND}: 7`);
      expect(c.hint).toMatch(/parameter override on the instance/);
    });

    it.each<[string, Record<string, unknown>, RegExp]>([
      ['INOPERABLE', { Status: 'INOPERABLE', StackInstanceStatus: { DetailedStatus: 'INOPERABLE' } }, /INOPERABLE instance is one a delete could not remove/],
      ['cancelled', { Status: 'OUTDATED', StackInstanceStatus: { DetailedStatus: 'CANCELLED' } }, /failure tolerance/],
      ['OUTDATED', { Status: 'OUTDATED', StackInstanceStatus: { DetailedStatus: 'SUCCEEDED' } }, /OUTDATED instance has not received/],
    ])('fails an instance that is %s, saying what that means', (_, edit, hint) => {
      const facts = solvedFacts();
      Object.assign(facts.labStackSets[0].instances.value[1], edit);
      const c = check(run(facts), 'instances-current');
      expect(c.status).toBe('FAIL');
      expect(c.hint).toMatch(hint);
    });

    it('fails when the second region has no instance, naming it', () => {
      const facts = solvedFacts();
      facts.labStackSets[0].instances.value.pop();
      const c = check(run(facts), 'instances-current');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toBe(`${REGION}: CURRENT (SUCCEEDED); ${SECOND}: no stack instance`);
    });

    it('ignores instances in other accounts', () => {
      const facts = solvedFacts();
      facts.labStackSets[0].instances.value[1].Account = '444455556666';
      expect(check(run(facts), 'instances-current').status).toBe('FAIL');
    });

    it('fails drift detection that found an instance drifted, naming the region', () => {
      const c = check(run(load(join(FIXTURES, 'drift-detected.json')).facts), 'drift-detected');
      expect(c.evidence?.observed).toBe(
        'drift detection 5a7c9e1b-3d5f-4b6a-8c0e-2f4a6b8c0d1e SUCCEEDED at 2026-11-23T10:31:47.512Z: StackSet DRIFTED (1 of 2 instances drifted); drifted: us-east-1',
      );
      expect(c.hint).toMatch(/detect drift again/);
    });

    it('fails a drift detection that did not finish, with its reason', () => {
      const facts = solvedFacts();
      Object.assign(facts.labStackSets[0].operations.value[0], { Status: 'FAILED', StatusReason: 'Stack instance in us-east-1 is not CURRENT.' });
      const c = check(run(facts), 'drift-detected');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toMatch(/FAILED at .*: Stack instance in us-east-1 is not CURRENT\./);
    });

    it('hints at the default role names when a StackSet uses them', () => {
      const c = check(run(load(join(FIXTURES, 'default-roles.json')).facts), 'stack-set-uses-lab-roles');
      expect(c.evidence?.observed).toMatch(/"baseline" uses AWSCloudFormationStackSetAdministrationRole \/ AWSCloudFormationStackSetExecutionRole/);
      expect(c.hint).toMatch(/default role names/);
    });

    it('finds a StackSet by the lab administration role even with the wrong execution role, and says which is wrong', () => {
      const c = check(run(load(join(FIXTURES, 'wrong-execution-role.json')).facts), 'stack-set-uses-lab-roles');
      expect(c.evidence?.where).toBe(`StackSet "doplab-platform-baseline" in ${REGION}`);
      expect(c.hint).toMatch(/another execution role/);
    });

    it('judges the best of two lab StackSets and says so', () => {
      const facts = solvedFacts();
      const half = { ...structuredClone(facts.stackSets.value[0]), StackSetName: 'a-first-try', ExecutionRoleName: 'AWSCloudFormationStackSetExecutionRole' };
      facts.stackSets.value.unshift(half);
      facts.labStackSets.unshift({ name: 'a-first-try', instances: { ok: true, value: [] }, operations: { ok: true, value: [] }, stacks: [] });
      const result = run(facts);
      expect(result.score).toBe(100);
      expect(check(result, 'stack-set-uses-lab-roles').evidence?.observed).toMatch(/"doplab-platform-baseline" .*\(best of 2 StackSets using a lab role\)$/);
    });

    it('reports the baseline log group losing its metric filter as drift', () => {
      const facts = solvedFacts();
      facts.baseline[1].logGroup.value.metricFilterCount = 0;
      const c = check(run(facts), 'baseline-live');
      expect(c.status).toBe('FAIL');
      expect(c.hint).toMatch(/has drifted/);
    });

    it('errors the checks that need a read in the second region, naming action and region', () => {
      const result = run(load(join(FIXTURES, 'second-region-access-denied.json')).facts);
      expect(check(result, 'parameter-rolled-out').error).toMatchObject({ code: 'ACCESS_DENIED', action: 'cloudformation:DescribeStacks' });
      expect(check(result, 'baseline-live').error?.message).toMatch(/logs:DescribeLogGroups in us-east-1/);
      expect(result.score).toBe(65);
    });

    it('rejects malformed facts', () => {
      const facts = solvedFacts();
      facts.baseline[0].logGroup.value.retentionInDays = '30';
      expect(checker.factsSchema.safeParse(facts).success).toBe(false);
      expect(checker.factsSchema.safeParse(load(lab.examples.solved).facts).success).toBe(true);
    });
  });

  describe('shipped facts', () => {
    it.each(Object.keys(FACTS_FILES))('records the shipped %s facts exactly as gather does today (regenerate with test/support/write-facts.ts)', async (name) => {
      const fresh = await freshFactsFile(name);
      expect(JSON.parse(JSON.stringify(fresh))).toEqual(fresh);
      expect(fresh).toEqual(load(FACTS_FILES[name].path));
      expect(run(fresh.facts).score).toBe(name === 'solved' ? 100 : 0);
    });
  });

  describe('gather', () => {
    let stubs: WorldStubs;
    let cloudformation: AwsClientStub<CloudFormationClient>;
    let logs: AwsClientStub<CloudWatchLogsClient>;

    beforeEach(() => {
      stubs = newStubs();
      ({ cloudformation, logs } = stubs);
    });
    afterEach(() => stubs.restore());

    /** The real gather against the stubs (answering from the world a test mocked on them). */
    async function gather(options: AwsOptions = {}) {
      const actions: string[] = [];
      const listener: CallListener = (action) => actions.push(action);
      const session = new MockedSession({ region: REGION, credentials: CREDENTIALS, ...options }, SDK_MODULES);
      const file = await gatherFacts(checker, session, { identity: IDENTITY, listener });
      return { file, facts: file.facts, actions };
    }

    /** Each call as "region Command input-summary", in the order sent. */
    async function sent(stub: { calls(): readonly { thisValue: unknown; args: readonly unknown[] }[] }): Promise<string[]> {
      return Promise.all(
        stub.calls().map(async (call) => {
          const region = await (call.thisValue as { config: { region: () => Promise<string> } }).config.region();
          const command = (call.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, '');
          return `${region} ${command} ${JSON.stringify((call.args[0] as { input: unknown }).input)}`;
        }),
      );
    }

    it('reads the StackSets in the deploy region and each instance stack and baseline log group in its own region, exactly as declared', async () => {
      mockWorld(solvedWorld(), stubs);
      const { facts, actions, file } = await gather();

      const cfnCalls = await sent(cloudformation);
      expect(cfnCalls.filter((c) => !c.includes('"StackName"'))).toEqual([
        `${REGION} ListStackSets {"Status":"ACTIVE","MaxResults":100}`,
        `${REGION} DescribeStackSet {"StackSetName":"doplab-platform-baseline"}`,
        `${REGION} ListStackInstances {"StackSetName":"doplab-platform-baseline","MaxResults":100}`,
        `${REGION} ListStackSetOperations {"StackSetName":"doplab-platform-baseline","MaxResults":100}`,
      ]);
      const stackReads = cfnCalls.filter((c) => c.includes('"StackName"')).sort();
      expect(stackReads).toEqual([
        `${REGION} DescribeStacks {"StackName":"${STACK_NAME}"}`,
        `${REGION} DescribeStacks {"StackName":"${facts.labStackSets[0].stacks[0].stackId}"}`,
        `${SECOND} DescribeStacks {"StackName":"${facts.labStackSets[0].stacks[1].stackId}"}`,
      ].sort());
      expect((await sent(logs)).sort()).toEqual([
        `${REGION} DescribeLogGroups {"logGroupNamePrefix":"${BASELINE_LOG_GROUP_NAME}","limit":5}`,
        `${SECOND} DescribeLogGroups {"logGroupNamePrefix":"${BASELINE_LOG_GROUP_NAME}","limit":5}`,
      ]);
      expect([...new Set(actions)].sort()).toEqual(checkerActions(checker));
      expect(actions.every(isReadOnlyAction)).toBe(true);
      expect(file.stack.outputs).toEqual(STACK_OUTPUTS);
    });

    it('needs five sequential round trips: the stack, the StackSets, their details, instances and operations, then each instance stack', async () => {
      const world = solvedWorld();
      // Each answer takes 20 ms; a call's round is one more than the deepest round finished when it was sent.
      let finished = 0;
      const rounds: Record<string, number> = {};
      function slow<I, T>(name: (input: I) => string, answer: (input: I) => T | Promise<T>) {
        return async (input: I) => {
          const round = finished + 1;
          rounds[name(input)] = Math.max(rounds[name(input)] ?? 0, round);
          await new Promise((resolve) => setTimeout(resolve, 20));
          finished = Math.max(finished, round);
          return answer(input);
        };
      }
      const stackAnswer = (input: { StackName: string }) => {
        if (input.StackName === STACK_NAME) return { Stacks: [{ StackName: STACK_NAME, CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE' as const, Outputs: Object.entries(STACK_OUTPUTS).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }] };
        return { Stacks: world.stacks.filter((x) => x.StackId === input.StackName) };
      };
      cloudformation.on(DescribeStacksCommand).callsFake(slow((i: { StackName: string }) => (i.StackName === STACK_NAME ? 'DescribeStacks(lab)' : 'DescribeStacks(instance)'), stackAnswer));
      cloudformation.on(ListStackSetsCommand).callsFake(slow(() => 'ListStackSets', () => ({ Summaries: [{ StackSetName: SOLUTION_STACK_SET_NAME, Status: 'ACTIVE', PermissionModel: 'SELF_MANAGED' }] })));
      cloudformation.on(DescribeStackSetCommand).callsFake(slow(() => 'DescribeStackSet', () => ({ StackSet: world.stackSets[0] })));
      cloudformation.on(ListStackInstancesCommand).callsFake(slow(() => 'ListStackInstances', () => ({ Summaries: world.instances[SOLUTION_STACK_SET_NAME] })));
      cloudformation.on(ListStackSetOperationsCommand).callsFake(slow(() => 'ListStackSetOperations', () => ({ Summaries: world.operations[SOLUTION_STACK_SET_NAME] })));
      logs.on(DescribeLogGroupsCommand).callsFake(slow(() => 'DescribeLogGroups', () => ({ logGroups: world.logGroups[REGION] })));
      await gather();
      expect(rounds).toEqual({
        'DescribeStacks(lab)': 1,
        ListStackSets: 2,
        DescribeLogGroups: 2,
        DescribeStackSet: 3,
        ListStackInstances: 4,
        ListStackSetOperations: 4,
        'DescribeStacks(instance)': 5,
      });
    });

    it('describes only active self-managed StackSets, and reads in full only those using a lab role', async () => {
      mockWorld(solvedWorld(), stubs);
      cloudformation.on(ListStackSetsCommand).resolves({
        Summaries: [
          { StackSetName: 'org-guardrails', Status: 'ACTIVE', PermissionModel: 'SERVICE_MANAGED' },
          { StackSetName: 'doplab-platform-baseline', Status: 'ACTIVE', PermissionModel: 'SELF_MANAGED' },
        ],
        NextToken: 'p2',
      });
      cloudformation.on(ListStackSetsCommand, { NextToken: 'p2' }).resolves({
        Summaries: [
          { StackSetName: 'billing-alarms', Status: 'ACTIVE', PermissionModel: 'SELF_MANAGED' },
          // Endpoints that ignore the Status filter (local emulators) still list deleted StackSets.
          { StackSetName: 'old-baseline', Status: 'DELETED', PermissionModel: 'SELF_MANAGED' },
        ],
      });
      cloudformation.on(DescribeStackSetCommand, { StackSetName: 'billing-alarms' }).resolves({
        StackSet: { StackSetName: 'billing-alarms', Status: 'ACTIVE', PermissionModel: 'SELF_MANAGED', AdministrationRoleARN: `arn:aws:iam::${ACCOUNT}:role/AWSCloudFormationStackSetAdministrationRole`, ExecutionRoleName: 'AWSCloudFormationStackSetExecutionRole', TemplateBody: '{}' },
      });
      const { facts } = await gather();
      expect(cloudformation.commandCalls(ListStackSetsCommand).map((c) => c.args[0].input)).toEqual([
        { Status: 'ACTIVE', MaxResults: 100 },
        { Status: 'ACTIVE', MaxResults: 100, NextToken: 'p2' },
      ]);
      expect(cloudformation.commandCalls(DescribeStackSetCommand).map((c) => c.args[0].input.StackSetName).sort()).toEqual(['billing-alarms', 'doplab-platform-baseline']);
      expect(cloudformation.commandCalls(ListStackInstancesCommand).map((c) => c.args[0].input.StackSetName)).toEqual(['doplab-platform-baseline']);
      expect(facts.stackSets.ok && facts.stackSets.value.map((s) => [s.StackSetName, 'TemplateBody' in s])).toEqual([
        ['billing-alarms', false],
        ['doplab-platform-baseline', false],
      ]);
      expect(facts.labStackSets.map((s) => s.name)).toEqual(['doplab-platform-baseline']);
    });

    it(`describes at most ${MAX_STACK_SETS} StackSets`, async () => {
      mockWorld(solvedWorld(), stubs);
      const many = Array.from({ length: MAX_STACK_SETS + 5 }, (_, i) => ({ StackSetName: `set-${String(i).padStart(2, '0')}`, Status: 'ACTIVE' as const, PermissionModel: 'SELF_MANAGED' as const }));
      cloudformation.on(ListStackSetsCommand).resolves({ Summaries: many });
      cloudformation.on(DescribeStackSetCommand).resolves({ StackSet: { StackSetName: 'x', ExecutionRoleName: 'other' } });
      await gather();
      expect(cloudformation).toHaveReceivedCommandTimes(DescribeStackSetCommand, MAX_STACK_SETS);
    });

    it('records an instance stack that is gone as null', async () => {
      const world = solvedWorld();
      // DescribeStacks on a deleted stack's id answers ValidationError "Stack with id … does not exist".
      world.stacks.pop();
      mockWorld(world, stubs);
      const { facts } = await gather();
      expect(facts.labStackSets[0].stacks[1].stack).toEqual({ ok: true, value: null });
      expect(check(run(facts), 'parameter-rolled-out').evidence?.observed).toBe(`StackSet: 30; ${REGION}: 30, ${SECOND}: no instance stack`);
    });

    it('records a disabled second region as an ERROR of the checks that read there, never a crash', async () => {
      mockWorld(solvedWorld(), stubs);
      logs.on(DescribeLogGroupsCommand).callsFake(async (_input, getClient) => {
        if ((await getClient().config.region()) === SECOND) throw awsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
        return { logGroups: solvedWorld().logGroups[REGION] };
      });
      const { facts } = await gather();
      expect(facts.baseline[1].logGroup).toMatchObject({ ok: false, error: { code: 'NO_CREDENTIALS', action: 'logs:DescribeLogGroups' } });
      expect(facts.baseline[1].logGroup.ok || facts.baseline[1].logGroup.error.message).toMatch(/logs:DescribeLogGroups in us-east-1/);
      expect(check(run(facts), 'baseline-live').status).toBe('ERROR');
      expect(check(run(facts), 'stack-set-uses-lab-roles').status).toBe('PASS');
    });

    it('records AccessDenied on ListStackSets in the facts; the StackSet checks are ERROR naming the action', async () => {
      mockWorld(solvedWorld(), stubs);
      cloudformation.on(ListStackSetsCommand).rejects(awsError('AccessDenied', `User: ${IDENTITY.arn} is not authorized to perform: cloudformation:ListStackSets`, 403));
      const { facts } = await gather();
      expect(facts.stackSets).toMatchObject({ ok: false, error: { code: 'ACCESS_DENIED', action: 'cloudformation:ListStackSets' } });
      expect(facts.labStackSets).toEqual([]);
      const result = run(facts);
      expect(check(result, 'stack-set-uses-lab-roles')).toMatchObject({ status: 'ERROR', error: { action: 'cloudformation:ListStackSets' } });
      expect(check(result, 'baseline-live').status).toBe('PASS');
    });

    it('rejects with LAB_NOT_DEPLOYED when the stack does not exist, reading nothing else', async () => {
      cloudformation.on(DescribeStacksCommand).rejects(awsError('ValidationError', `Stack with id ${STACK_NAME} does not exist`));
      const error = await gather().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DoplabError);
      expect(error).toMatchObject({ code: 'LAB_NOT_DEPLOYED', hint: expect.stringMatching(/doplab deploy stacksets-multi-region/) });
      expect(cloudformation.calls()).toHaveLength(1);
      expect(logs.calls()).toHaveLength(0);
    });
  });

  describe('solution', () => {
    let stubs: WorldStubs;
    let cloudformation: AwsClientStub<CloudFormationClient>;
    const solve = makeSolve({ pollMs: 0, timeoutMs: 60_000 });

    beforeEach(() => {
      stubs = newStubs();
      cloudformation = stubs.cloudformation;
    });
    afterEach(() => stubs.restore());

    function context(lines: string[] = []): SolutionContext<typeof Outputs> {
      const session = new AwsSession({ region: REGION, credentials: CREDENTIALS });
      return {
        outputs: { administrationRoleArn: ADMIN, executionRoleName: EXECUTION, deployRegion: REGION, secondRegion: SECOND },
        region: REGION,
        account: ACCOUNT,
        client: (ctor) => session.client(ctor, REGION),
        log: (line) => lines.push(line),
      };
    }

    /**
     * The account in `world` (by default the starting one: no StackSet yet) answering the solution's reads;
     * CreateStackSet adds its StackSet to the world; every operation runs once, then succeeds.
     */
    function mockAccount(world: AwsWorld = startingWorld()): void {
      mockWorld(world, stubs);
      cloudformation.on(CreateStackSetCommand).callsFake((input: CreateStackSetCommandInput) => {
        const { StackSetName, Description, TemplateBody, Parameters, Tags, AdministrationRoleARN, ExecutionRoleName, PermissionModel } = input;
        const StackSetId = `${StackSetName}:3f1c2a9e-6b4d-4e8a-9c1f-2d7b5e0a8c34`;
        world.stackSets.push({ StackSetName, StackSetId, Description, TemplateBody, Parameters, Tags, AdministrationRoleARN, ExecutionRoleName, PermissionModel, Status: 'ACTIVE' });
        return { StackSetId };
      });
      cloudformation.on(CreateStackInstancesCommand).resolves({ OperationId: 'op-create' });
      cloudformation.on(UpdateStackSetCommand).resolves({ OperationId: 'op-update' });
      cloudformation.on(DetectStackSetDriftCommand).resolves({ OperationId: 'op-drift' });
      for (const id of ['op-create', 'op-update', 'op-drift']) {
        cloudformation
          .on(DescribeStackSetOperationCommand, { OperationId: id })
          .resolvesOnce({ StackSetOperation: { OperationId: id, Status: 'RUNNING' } })
          .resolves({ StackSetOperation: { OperationId: id, Status: 'SUCCEEDED' } });
      }
    }

    const sequence = () =>
      cloudformation.calls().map((c) => {
        const input = c.args[0].input as { OperationId?: string };
        const name = (c.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, '');
        return name === 'DescribeStackSetOperation' ? `${name} ${input.OperationId}` : name;
      });

    it('creates the StackSet with the lab roles, rolls out to both regions in parallel, updates the parameter and detects drift, waiting for each operation', async () => {
      mockAccount();
      const lines: string[] = [];
      await solve(context(lines));

      expect(sequence()).toEqual([
        'DescribeStackSet',
        'CreateStackSet',
        'ListStackInstances',
        'CreateStackInstances',
        'DescribeStackSetOperation op-create',
        'DescribeStackSetOperation op-create',
        'UpdateStackSet',
        'DescribeStackSetOperation op-update',
        'DescribeStackSetOperation op-update',
        'DetectStackSetDrift',
        'DescribeStackSetOperation op-drift',
        'DescribeStackSetOperation op-drift',
      ]);
      const create = cloudformation.commandCalls(CreateStackSetCommand)[0].args[0].input;
      expect(create).toMatchObject({
        StackSetName: SOLUTION_STACK_SET_NAME,
        PermissionModel: 'SELF_MANAGED',
        AdministrationRoleARN: ADMIN,
        ExecutionRoleName: EXECUTION,
        Parameters: [{ ParameterKey: RETENTION_PARAMETER, ParameterValue: '7' }],
        Tags: [{ Key: 'doplab:lab', Value: 'stacksets-multi-region' }],
      });
      expect(create.TemplateBody).toBe(readFileSync(join(__dirname, '..', '..', 'labs', 'stacksets-multi-region', 'baseline.yaml'), 'utf8'));
      expect(cloudformation.commandCalls(CreateStackInstancesCommand)[0].args[0].input).toEqual({
        StackSetName: SOLUTION_STACK_SET_NAME,
        Accounts: [ACCOUNT],
        Regions: [REGION, SECOND],
        OperationPreferences: SOLUTION_PREFERENCES,
      });
      expect(cloudformation.commandCalls(UpdateStackSetCommand)[0].args[0].input).toMatchObject({
        UsePreviousTemplate: true,
        Parameters: [{ ParameterKey: RETENTION_PARAMETER, ParameterValue: String(UPDATED_RETENTION_DAYS) }],
        // Custom roles must be named again on every update.
        AdministrationRoleARN: ADMIN,
        ExecutionRoleName: EXECUTION,
        OperationPreferences: SOLUTION_PREFERENCES,
      });
      expect(SOLUTION_PREFERENCES.RegionConcurrencyType).toBe('PARALLEL');
      expect(lines.filter((l) => l.includes('waiting for operation'))).toHaveLength(3);
    });

    it('reuses an existing StackSet and its instances when run again', async () => {
      mockAccount(solvedWorld());
      await solve(context());
      expect(cloudformation).toHaveReceivedCommandTimes(CreateStackSetCommand, 0);
      expect(cloudformation).toHaveReceivedCommandTimes(CreateStackInstancesCommand, 0);
      expect(cloudformation).toHaveReceivedCommandTimes(UpdateStackSetCommand, 1);
      expect(cloudformation).toHaveReceivedCommandTimes(DetectStackSetDriftCommand, 1);
    });

    it('stops with the operation status reason when an operation fails', async () => {
      mockAccount();
      cloudformation
        .on(DescribeStackSetOperationCommand, { OperationId: 'op-create' })
        .resolves({ StackSetOperation: { OperationId: 'op-create', Status: 'FAILED', StatusReason: 'Operation failed in region us-east-1.' } });
      const error = await solve(context()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DoplabError);
      expect(error).toMatchObject({ code: 'AWS_ERROR', message: expect.stringContaining('op-create ended FAILED: Operation failed in region us-east-1.') });
      expect(cloudformation).toHaveReceivedCommandTimes(UpdateStackSetCommand, 0);
    });

    it('gives up waiting with a TIMEOUT error that names the operation', async () => {
      mockAccount();
      cloudformation.on(DescribeStackSetOperationCommand, { OperationId: 'op-create' }).resolves({ StackSetOperation: { OperationId: 'op-create', Status: 'RUNNING' } });
      await expect(makeSolve({ pollMs: 0, timeoutMs: 0 })(context())).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('op-create is still RUNNING') });
    });

    it('leaves a state that passes every check', async () => {
      mockAccount();
      await solve(context());
      const create = cloudformation.commandCalls(CreateStackSetCommand)[0].args[0].input;
      const update = cloudformation.commandCalls(UpdateStackSetCommand)[0].args[0].input;
      const instances = cloudformation.commandCalls(CreateStackInstancesCommand)[0].args[0].input;
      stubs.restore();

      // The account as AWS describes it after those calls, read back by gather.
      const world = solvedWorld();
      const name = create.StackSetName!;
      Object.assign(world.stackSets[0], {
        StackSetName: name,
        TemplateBody: create.TemplateBody,
        PermissionModel: create.PermissionModel,
        AdministrationRoleARN: update.AdministrationRoleARN,
        ExecutionRoleName: update.ExecutionRoleName,
        Parameters: update.Parameters,
        Regions: instances.Regions,
      });
      const instance = world.instances[SOLUTION_STACK_SET_NAME][0];
      world.instances = { [name]: (instances.Regions ?? []).map((Region) => ({ ...instance, Region, StackId: INSTANCE_STACK_IDS[Region] })) };
      world.operations = { [name]: world.operations[SOLUTION_STACK_SET_NAME].map((op) => ({ ...op, OperationPreferences: { ...op.OperationPreferences, ...instances.OperationPreferences } })) };
      for (const stack of world.stacks) stack.Parameters = update.Parameters;
      for (const groups of Object.values(world.logGroups)) groups[0].retentionInDays = Number(update.Parameters?.[0].ParameterValue);
      const read = await gatherWorld(world);
      read.stubs.restore();
      const file = read.file;
      expect(run(file.facts).checks.filter((c) => c.status !== 'PASS')).toEqual([]);
    });
  });
});
