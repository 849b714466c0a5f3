import 'aws-sdk-client-mock-jest';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetTrailCommand, GetTrailStatusCommand, UpdateTrailCommand, type UpdateTrailCommandInput } from '@aws-sdk/client-cloudtrail';
import { DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeMetricFiltersCommand, PutMetricFilterCommand, TestMetricFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateKeyCommand, DescribeKeyCommand, GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { MockedSession, awsError } from '../support/mocked-session';
import {
  ACCOUNT,
  alarm,
  KEY_ARN,
  matchesOf,
  OUTPUTS,
  REGION,
  STACK_NAME,
  TOPIC_ARN,
  TRAIL_ARN,
  mockWorld,
  newStubs,
  solvedWorld,
  startingWorld,
  trail,
  type AnswerWrapper,
  type AwsWorld,
  type WorldStubs,
} from '../fixtures/security-monitoring/aws-world';
import { CREDENTIALS, FACTS_FILES, IDENTITY, SDK_MODULES, freshFactsFile } from '../fixtures/security-monitoring/gather-world';
import {
  checker,
  cloudTrailRequests,
  conditionsOnEncryptionContext,
  evaluateKeyPolicy,
  type SecurityMonitoringFacts,
} from '../../checkers/security-monitoring';
import { AwsSession, isReadOnlyAction } from '../../lib/aws/clients';
import type { LabResult } from '../../lib/checker';
import { checkerActions, evaluate, gatherFacts } from '../../lib/engine';
import { loadFactsFile } from '../../lib/facts-file';
import { isoDates } from '../../lib/sdk-facts';
import type { SolutionContext } from '../../lib/lab';
import { solutionActions } from '../../labs/security-monitoring/calls';
import { CONTROLS, Outputs, SAMPLE_LINES, TRAIL_LOG_GROUP_NAME, type ControlId } from '../../labs/security-monitoring/contract';
import { lab } from '../../labs/security-monitoring/lab';
import { SOLUTION_FILTERS, SOLUTION_NAMESPACE, solutionKeyPolicy, solve } from '../../labs/security-monitoring/solution';

const CIS = CONTROLS.map((c) => `cis-${c.id}`);
const CHECK_IDS = ['trail-integrity', ...CIS, 'alarms-receive-data'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are edited freely in tests
type Mutable = { -readonly [K in keyof SecurityMonitoringFacts]: any };
const load = (path: string) => loadFactsFile(path, checker.labId, checker.factsSchema);
const solved = () => structuredClone(load(lab.examples.solved).facts) as Mutable;

function run(facts: SecurityMonitoringFacts | Mutable): LabResult {
  return evaluate(checker.checks, facts as SecurityMonitoringFacts, { lab: checker.labId, account: ACCOUNT, region: REGION, source: 'facts-file' });
}
function check(result: LabResult, id: string) {
  const found = result.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id}`);
  return found;
}
const control = (id: ControlId) => CONTROLS.find((c) => c.id === id)!;
const lines = (id: ControlId, which: 'positives' | 'negatives', pick: (what: string) => boolean = () => true) =>
  control(id)[which].filter((s) => pick(s.what)).map((s) => s.line);

/** The solved facts with one control's filter test answering these matched lines. */
function withMatches(id: ControlId, matched: string[], pattern = SOLUTION_FILTERS[id].pattern) {
  const facts = solved();
  const test = facts.filterTests.find((t: { filterName: string }) => t.filterName === id);
  test.filterPattern = pattern;
  test.result = { ok: true, value: { matches: matchesOf(matched) } };
  facts.metricFilters.value.find((f: { filterName: string }) => f.filterName === id).filterPattern = pattern;
  return facts;
}

describe('security-monitoring checker', () => {
  describe('declaration', () => {
    it('has eight checks with unique ids and hints, worth 100 points', () => {
      expect(checker.checks.map((c) => c.id)).toEqual(CHECK_IDS);
      for (const c of checker.checks) expect(c.hint.length).toBeGreaterThan(20);
      expect(checker.checks.reduce((sum, c) => sum + c.points, 0)).toBe(100);
    });

    it('declares only read-only actions', () => {
      expect(checkerActions(checker)).toEqual([
        'cloudformation:DescribeStacks',
        'cloudtrail:GetTrail',
        'cloudtrail:GetTrailStatus',
        'cloudwatch:DescribeAlarms',
        'kms:DescribeKey',
        'kms:GetKeyPolicy',
        'logs:DescribeMetricFilters',
        'logs:TestMetricFilter',
      ]);
      expect(checkerActions(checker).every(isReadOnlyAction)).toBe(true);
    });

    it('ships distinct sample lines, within TestMetricFilter\'s 50, each a CloudTrail record', () => {
      expect(new Set(SAMPLE_LINES).size).toBe(SAMPLE_LINES.length);
      expect(SAMPLE_LINES.length).toBeLessThanOrEqual(50);
      for (const line of SAMPLE_LINES) expect(JSON.parse(line)).toMatchObject({ eventVersion: '1.09', eventSource: expect.stringMatching(/\.amazonaws\.com$/), userIdentity: expect.any(Object) });
    });
  });

  describe('checks on facts', () => {
    it('scores 0 on the shipped starting state, every check failing with a hint or skipped', () => {
      const result = run(loadFactsFile(lab.examples.starting, checker.labId, checker.factsSchema).facts);
      expect(result.score).toBe(0);
      expect(Object.fromEntries(result.checks.map((c) => [c.id, c.status]))).toEqual({
        'trail-integrity': 'FAIL',
        ...Object.fromEntries(CIS.map((id) => [id, 'FAIL'])),
        'alarms-receive-data': 'SKIPPED',
      });
      for (const c of result.checks) expect(c.hint).toBeTruthy();
      expect(check(result, 'trail-integrity').evidence?.observed).toBe(
        'validation off, key none, multi-region, logging: log file validation is off; no KMS key (log files are encrypted with S3-managed keys only)',
      );
      expect(check(result, 'cis-root-usage').evidence?.observed).toBe('no filter on the log group matches any of the 2 samples');
    });

    it('gives full marks on the shipped solved state, every check passing', () => {
      const result = run(loadFactsFile(lab.examples.solved, checker.labId, checker.factsSchema).facts);
      expect(result.checks.map((c) => c.status)).toEqual(CHECK_IDS.map(() => 'PASS'));
      expect(result.score).toBe(100);
    });

    it.each(Object.keys(FACTS_FILES))('ships the %s facts exactly as gather records them today (regenerate with test/support/write-facts.ts)', async (name) => {
      const fresh = await freshFactsFile(name);
      expect(JSON.parse(JSON.stringify(fresh))).toEqual(fresh);
      expect(fresh).toEqual(load(FACTS_FILES[name].path));
    });

    it('scores the partial state: trail fixed and three controls done, the rest failing and alarms-receive-data skipped', () => {
      const facts = solved();
      const done = ['root-usage', 'unauthorized-api-calls', 'console-signin-without-mfa'];
      facts.metricFilters.value = facts.metricFilters.value.filter((f: { filterName: string }) => done.includes(f.filterName));
      facts.filterTests = facts.filterTests.filter((t: { filterName: string }) => done.includes(t.filterName));
      facts.alarms.value.MetricAlarms = facts.alarms.value.MetricAlarms.slice(0, 3);
      const result = run(facts);
      expect(result.checks.map((c) => c.status)).toEqual(['PASS', 'PASS', 'PASS', 'PASS', 'FAIL', 'FAIL', 'FAIL', 'SKIPPED']);
      expect(result.score).toBe(60);
    });

    it('fails trail-integrity on each missing property, naming it', () => {
      const cases: [Record<string, unknown>, boolean | null, string][] = [
        [{ LogFileValidationEnabled: false }, true, 'log file validation is off'],
        [{ IsMultiRegionTrail: false }, true, 'the trail covers one region only'],
        [{}, false, 'the trail is not logging'],
      ];
      for (const [edit, logging, observed] of cases) {
        const facts = solved();
        Object.assign(facts.trail.value, edit);
        facts.logging = { ok: true, value: logging };
        const verdict = check(run(facts), 'trail-integrity');
        expect([verdict.status, verdict.evidence?.observed]).toEqual(['FAIL', expect.stringContaining(observed)]);
      }
    });

    it('fails trail-integrity when the key policy lets CloudTrail in without the encryption-context condition', () => {
      const facts = solved();
      facts.key.value.policy = JSON.stringify({
        Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: ['kms:GenerateDataKey*', 'kms:DescribeKey'], Resource: '*' }],
      });
      const verdict = check(run(facts), 'trail-integrity');
      expect(verdict.status).toBe('FAIL');
      expect(verdict.hint).toContain('kms:EncryptionContext:aws:cloudtrail:arn');
    });

    it('fails trail-integrity on a disabled key and redeploys a deleted trail', () => {
      const disabled = solved();
      disabled.key.value.keyState = 'Disabled';
      expect(check(run(disabled), 'trail-integrity').evidence?.observed).toContain(`key ${KEY_ARN} is Disabled`);
      const gone = solved();
      gone.trail = { ok: true, value: null };
      gone.logging = { ok: true, value: null };
      gone.key = { ok: true, value: null };
      expect(check(run(gone), 'trail-integrity')).toMatchObject({ status: 'FAIL', hint: expect.stringContaining('doplab deploy security-monitoring') });
    });

    it('fails cis-root-usage on the trap: a root filter without the AwsServiceEvent exclusion', () => {
      const facts = withMatches('root-usage', [...lines('root-usage', 'positives'), ...lines('root-usage', 'negatives', (w) => w.includes('AwsServiceEvent'))], '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }');
      const verdict = check(run(facts), 'cis-root-usage');
      expect(verdict.status).toBe('FAIL');
      expect(verdict.evidence?.observed).toContain('also matches root sign-in credential check (an AwsServiceEvent)');
      expect(verdict.hint).toContain('AwsServiceEvent');
      expect(check(run(facts), 'alarms-receive-data').status).toBe('SKIPPED');
    });

    it('fails cis-unauthorized-api-calls when the filter misses the AccessDenied* and *UnauthorizedOperation variants', () => {
      const facts = withMatches('unauthorized-api-calls', lines('unauthorized-api-calls', 'positives', (w) => w.includes('(AccessDenied)')), '{ $.errorCode = "AccessDenied" }');
      const verdict = check(run(facts), 'cis-unauthorized-api-calls');
      expect(verdict.status).toBe('FAIL');
      expect(verdict.evidence?.observed).toContain('misses EC2 refusing RunInstances (Client.UnauthorizedOperation); KMS refusing Decrypt (AccessDeniedException)');
      expect(verdict.hint).toContain('wildcard');
    });

    it('fails cis-console-signin-without-mfa on the CIS variant that counts IAM Identity Center sign-ins', () => {
      const facts = withMatches(
        'console-signin-without-mfa',
        [...lines('console-signin-without-mfa', 'positives'), ...lines('console-signin-without-mfa', 'negatives', (w) => w.includes('Identity Center'))],
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
      );
      const verdict = check(run(facts), 'cis-console-signin-without-mfa');
      expect(verdict.status).toBe('FAIL');
      expect(verdict.hint).toContain('Identity Center');
    });

    it('fails a control whose filter has no default value, naming INSUFFICIENT_DATA', () => {
      const facts = solved();
      delete facts.metricFilters.value.find((f: { filterName: string }) => f.filterName === 'iam-policy-changes').metricTransformations[0].defaultValue;
      const verdict = check(run(facts), 'cis-iam-policy-changes');
      expect(verdict).toMatchObject({ status: 'FAIL', evidence: { observed: expect.stringContaining('no default value') }, hint: expect.stringContaining('INSUFFICIENT_DATA') });
    });

    it('fails a control whose only alarm watches a misspelled metric, with the typo hint', () => {
      const facts = solved();
      facts.alarms.value.MetricAlarms = facts.alarms.value.MetricAlarms.map((a: { MetricName: string }) =>
        a.MetricName === 'CloudTrailChanges' ? isoDates(alarm('security-cloudtrail-changes', 'CloudtrailChanges')) : a,
      );
      const verdict = check(run(facts), 'cis-cloudtrail-changes');
      expect(verdict.status).toBe('FAIL');
      expect(verdict.evidence?.observed).toContain('alarm "security-cloudtrail-changes" watches DopLab/SecurityMonitoring/CloudtrailChanges');
      expect(verdict.hint).toContain('case-sensitive');
    });

    it('fails an alarm that does not fire on one event, or notifies nobody', () => {
      const high = solved();
      Object.assign(high.alarms.value.MetricAlarms[5], { Threshold: 5 });
      expect(check(run(high), 'cis-security-group-changes').evidence?.observed).toContain('a single event must fire it');
      const silent = solved();
      Object.assign(silent.alarms.value.MetricAlarms[5], { AlarmActions: [] });
      expect(check(run(silent), 'cis-security-group-changes')).toMatchObject({ status: 'FAIL', evidence: { observed: expect.stringContaining('it has no AlarmActions') } });
    });

    it('is PENDING while an alarm is still INSUFFICIENT_DATA, and PASS once every alarm evaluates', () => {
      const facts = solved();
      Object.assign(facts.alarms.value.MetricAlarms[0], { StateValue: 'INSUFFICIENT_DATA' });
      const verdict = check(run(facts), 'alarms-receive-data');
      expect(verdict.status).toBe('PENDING');
      expect(verdict.evidence?.observed).toContain('security-root-usage: INSUFFICIENT_DATA');
      expect(check(run(solved()), 'alarms-receive-data').status).toBe('PASS');
    });

    it('errors only the checks that need a failed read', () => {
      const denied = solved();
      denied.alarms = { ok: false, error: { code: 'ACCESS_DENIED', message: 'not authorized', action: 'cloudwatch:DescribeAlarms' } };
      const result = run(denied);
      expect(check(result, 'trail-integrity').status).toBe('PASS');
      for (const id of CIS) expect(check(result, id).status).toBe('ERROR');
      const keyDenied = solved();
      keyDenied.key = { ok: false, error: { code: 'ACCESS_DENIED', message: 'not authorized', action: 'kms:GetKeyPolicy' } };
      const second = run(keyDenied);
      expect(check(second, 'trail-integrity').status).toBe('ERROR');
      for (const id of CIS) expect(check(second, id).status).toBe('PASS');
      const throttled = solved();
      throttled.filterTests[0].result = { ok: false, error: { code: 'THROTTLED', message: 'Rate exceeded', action: 'logs:TestMetricFilter' } };
      // The failed test was the cloudtrail-changes filter's (sorted first): only its control cannot be decided.
      const third = run(throttled);
      expect(check(third, 'cis-cloudtrail-changes').status).toBe('ERROR');
      expect(check(third, 'cis-root-usage').status).toBe('PASS');
    });
  });

  describe('key policy evaluation (pure)', () => {
    const requests = cloudTrailRequests(TRAIL_ARN, ACCOUNT);
    const allow = (action: string | string[], condition?: object, principal: unknown = { Service: 'cloudtrail.amazonaws.com' }) => ({ Effect: 'Allow', Principal: principal, Action: action, Resource: '*', ...(condition ? { Condition: condition } : {}) });
    const policy = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
    const context = { StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:*:${ACCOUNT}:trail/*` } };
    it.each<[string, string, boolean[]]>([
      ['the solution policy', solutionKeyPolicy('aws', ACCOUNT, TRAIL_ARN), [true, true]],
      ['GenerateDataKey* with the context condition, DescribeKey plain', policy(allow('kms:GenerateDataKey*', context), allow('kms:DescribeKey')), [true, true]],
      ['kms:* for CloudTrail', policy(allow('kms:*')), [true, true]],
      ['only the account root', policy(allow('kms:*', undefined, { AWS: `arn:aws:iam::${ACCOUNT}:root` })), [false, false]],
      ['no DescribeKey', policy(allow('kms:GenerateDataKey*', context)), [true, false]],
      ['a context condition for another account', policy(allow('kms:GenerateDataKey*', { StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'arn:aws:cloudtrail:*:444455556666:trail/*' } }), allow('kms:DescribeKey')), [false, true]],
      ['aws:SourceArn of another trail', policy(allow('kms:GenerateDataKey*', { StringEquals: { 'aws:SourceArn': `${TRAIL_ARN}-other` } }), allow('kms:DescribeKey')), [false, true]],
      ['an explicit Deny for CloudTrail', policy(allow('kms:*'), { Effect: 'Deny', Principal: '*', Action: 'kms:DescribeKey', Resource: '*' }), [true, false]],
      ['a condition it cannot evaluate', policy(allow('kms:GenerateDataKey*', { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }), allow('kms:DescribeKey')), [false, true]],
      ['GenerateDataKeyPair only', policy(allow('kms:GenerateDataKeyPair*'), allow('kms:DescribeKey')), [false, true]],
      ['not JSON', 'not json', [false, false]],
    ])('%s', (_name, json, expected) => {
      expect(evaluateKeyPolicy(json, requests).map((v) => v.allowed)).toEqual(expected);
    });

    it('names the condition it could not evaluate', () => {
      const [generate] = evaluateKeyPolicy(policy(allow('kms:GenerateDataKey*', { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } })), requests);
      expect(generate.reason).toBe('no statement provably allows it (not evaluated: IpAddress on aws:SourceIp)');
    });

    it('tells a context-conditioned grant from an unconditioned one', () => {
      expect(conditionsOnEncryptionContext(policy(allow('kms:GenerateDataKey*', context)))).toBe(true);
      expect(conditionsOnEncryptionContext(policy(allow('kms:GenerateDataKey*')))).toBe(false);
    });
  });

  describe('gather', () => {
    let stubs: WorldStubs;

    beforeEach(() => {
      stubs = newStubs();
    });

    afterEach(() => stubs.restore());

    async function gather() {
      const actions: string[] = [];
      const session = new MockedSession({ region: REGION, credentials: CREDENTIALS }, SDK_MODULES);
      const file = await gatherFacts(checker, session, { identity: IDENTITY, listener: (action) => actions.push(action) });
      return { facts: file.facts, actions };
    }

    it('sends exactly the declared read-only calls, each TestMetricFilter with every sample line', async () => {
      mockWorld(solvedWorld(), stubs);
      const { trails, kms, logs, cloudwatch } = stubs;
      const { facts, actions } = await gather();
      expect(stubs.cloudformation.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input)).toEqual([{ StackName: STACK_NAME }]);
      expect(trails.commandCalls(GetTrailCommand).map((c) => c.args[0].input)).toEqual([{ Name: TRAIL_ARN }]);
      expect(trails.commandCalls(GetTrailStatusCommand).map((c) => c.args[0].input)).toEqual([{ Name: TRAIL_ARN }]);
      expect(kms.commandCalls(DescribeKeyCommand).map((c) => c.args[0].input)).toEqual([{ KeyId: KEY_ARN }]);
      expect(kms.commandCalls(GetKeyPolicyCommand).map((c) => c.args[0].input)).toEqual([{ KeyId: KEY_ARN, PolicyName: 'default' }]);
      expect(logs.commandCalls(DescribeMetricFiltersCommand).map((c) => c.args[0].input)).toEqual([{ logGroupName: TRAIL_LOG_GROUP_NAME, limit: 50 }]);
      expect(logs.commandCalls(TestMetricFilterCommand).map((c) => c.args[0].input)).toEqual(
        Object.keys(SOLUTION_FILTERS).sort().map((id) => ({ filterPattern: SOLUTION_FILTERS[id as ControlId].pattern, logEventMessages: [...SAMPLE_LINES] })),
      );
      expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([{ AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100 }]);
      expect(trails.calls()).toHaveLength(2);
      expect(kms.calls()).toHaveLength(2);
      expect(logs.calls()).toHaveLength(7);
      expect([...new Set(actions)].sort()).toEqual(checkerActions(checker));
      expect(actions.every(isReadOnlyAction)).toBe(true);
      // Unrelated alarms are not kept; the facts are JSON and pass every check.
      expect(facts.alarms.ok && facts.alarms.value.MetricAlarms.map((a) => a.AlarmName)).not.toContain('unrelated-cpu');
      expect(JSON.parse(JSON.stringify(facts))).toEqual(facts);
      expect(run(facts).score).toBe(100);
    });

    it('needs three sequential round trips: the stack, then the trail, status, filters and alarms together, then the key and the tests', async () => {
      let finished = 0;
      const rounds: Record<string, number> = {};
      const slow: AnswerWrapper =
        (name, answer) =>
        async (input) => {
          const round = finished + 1;
          rounds[name] = Math.max(rounds[name] ?? 0, round);
          await new Promise((resolve) => setTimeout(resolve, 20));
          finished = Math.max(finished, round);
          return answer(input);
        };
      mockWorld(solvedWorld(), stubs, slow);
      await gather();
      expect(rounds).toEqual({
        DescribeStacks: 1,
        GetTrail: 2,
        GetTrailStatus: 2,
        DescribeMetricFilters: 2,
        DescribeAlarms: 2,
        DescribeKey: 3,
        GetKeyPolicy: 3,
        TestMetricFilter: 3,
      });
    });

    it('reads no key when the trail has none, and records a deleted trail as null', async () => {
      mockWorld({ ...solvedWorld(), trail: trail() }, stubs);
      expect((await gather()).facts.key).toEqual({ ok: true, value: null });
      expect(stubs.kms.calls()).toHaveLength(0);
      stubs.restore();
      // GetTrail and GetTrailStatus on a deleted trail answer TrailNotFoundException.
      stubs = mockWorld({ ...solvedWorld(), trail: null });
      const { facts } = await gather();
      expect(stubs.trails.calls().map((c) => (c.args[0] as object).constructor.name).sort()).toEqual(['GetTrailCommand', 'GetTrailStatusCommand']);
      expect([facts.trail, facts.logging, facts.key]).toEqual([{ ok: true, value: null }, { ok: true, value: null }, { ok: true, value: null }]);
    });

    it('records AccessDenied on GetKeyPolicy in the facts, ERRORing trail-integrity only', async () => {
      mockWorld(solvedWorld(), stubs);
      stubs.kms.on(GetKeyPolicyCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: kms:GetKeyPolicy'));
      const { facts } = await gather();
      expect(facts.key).toMatchObject({ ok: false, error: { action: 'kms:GetKeyPolicy' } });
      const result = run(facts);
      expect(check(result, 'trail-integrity').status).toBe('ERROR');
      expect(check(result, 'cis-root-usage').status).toBe('PASS');
    });
  });

  describe('solution', () => {
    let stubs: WorldStubs;

    /** The solution's reads answered from `world`, its writes acknowledged as AWS does. */
    function mockAccount(world: AwsWorld): void {
      stubs = mockWorld(world);
      // UpdateTrail answers the trail's settings after the update.
      const { Name, S3BucketName, IncludeGlobalServiceEvents, IsMultiRegionTrail, TrailARN, CloudWatchLogsLogGroupArn, CloudWatchLogsRoleArn, IsOrganizationTrail } = world.trail ?? {};
      stubs.trails.on(UpdateTrailCommand).callsFake((input: UpdateTrailCommandInput) => ({
        ...{ Name, S3BucketName, IncludeGlobalServiceEvents, IsMultiRegionTrail, TrailARN, CloudWatchLogsLogGroupArn, CloudWatchLogsRoleArn, IsOrganizationTrail },
        LogFileValidationEnabled: input.EnableLogFileValidation,
        KmsKeyId: input.KmsKeyId,
      }));
      stubs.kms.on(CreateKeyCommand).resolves({ KeyMetadata: solvedWorld().keys[KEY_ARN].metadata });
      stubs.logs.on(PutMetricFilterCommand).resolves({});
      stubs.cloudwatch.on(PutMetricAlarmCommand).resolves({});
    }

    beforeEach(() => mockAccount(startingWorld()));
    afterEach(() => stubs.restore());

    function context(): SolutionContext<typeof Outputs> {
      const session = new AwsSession({ region: REGION, credentials: CREDENTIALS });
      return {
        outputs: { trailName: OUTPUTS.TrailName, trailArn: TRAIL_ARN, trailLogGroupName: TRAIL_LOG_GROUP_NAME, trailBucketName: OUTPUTS.TrailBucketName, securityTopicArn: TOPIC_ARN },
        region: REGION,
        account: ACCOUNT,
        client: (ctor) => session.client(ctor, REGION),
        log: () => undefined,
      };
    }

    it('creates the key, updates the trail, and puts six filters and alarms, sending only what calls.ts lists', async () => {
      await solve(context());
      const { trails, kms, logs, cloudwatch } = stubs;
      expect(kms.commandCalls(CreateKeyCommand)[0].args[0].input.Policy).toBe(solutionKeyPolicy('aws', ACCOUNT, TRAIL_ARN));
      expect(trails.commandCalls(UpdateTrailCommand).map((c) => c.args[0].input)).toEqual([{ Name: TRAIL_ARN, EnableLogFileValidation: true, KmsKeyId: KEY_ARN }]);
      expect(logs.commandCalls(PutMetricFilterCommand).map((c) => c.args[0].input.metricTransformations)).toEqual(
        Object.values(SOLUTION_FILTERS).map(({ metricName }) => [{ metricNamespace: SOLUTION_NAMESPACE, metricName, metricValue: '1', defaultValue: 0 }]),
      );
      expect(cloudwatch.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input.AlarmActions)).toEqual(CONTROLS.map(() => [TOPIC_ARN]));
      const sent = [...trails.calls(), ...kms.calls(), ...logs.calls(), ...cloudwatch.calls()].map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''));
      const declared = new Set(solutionActions.map((a) => a.split(':')[1]));
      for (const name of sent) expect(declared.has(name)).toBe(true);
    });

    it('reuses the trail\'s key on a second run', async () => {
      stubs.restore();
      mockAccount({ ...startingWorld(), trail: trail({ KmsKeyId: KEY_ARN }) });
      await solve(context());
      expect(stubs.kms.calls()).toHaveLength(0);
      expect(stubs.trails.commandCalls(UpdateTrailCommand)[0].args[0].input.KmsKeyId).toBe(KEY_ARN);
    });
  });
});
