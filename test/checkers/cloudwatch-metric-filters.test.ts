import 'aws-sdk-client-mock-jest';
import { join } from 'node:path';
import * as cloudformationSdk from '@aws-sdk/client-cloudformation';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import * as cloudwatchSdk from '@aws-sdk/client-cloudwatch';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import * as logsSdk from '@aws-sdk/client-cloudwatch-logs';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  DescribeMetricFiltersCommand,
  PutMetricFilterCommand,
  PutRetentionPolicyCommand,
  TestMetricFilterCommand,
  type MetricFilter,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { MockedSession, awsError } from '../support/mocked-session';
import { checker, MAX_FILTERS_TESTED, type CloudWatchMetricFiltersFacts } from '../../checkers/cloudwatch-metric-filters';
import { AwsSession, isReadOnlyAction, type AwsOptions, type CallListener } from '../../lib/aws/clients';
import type { LabResult, Status } from '../../lib/checker';
import { checkerActions, gatherFacts } from '../../lib/engine';
import { DoplabError } from '../../lib/errors';
import { loadFactsFile } from '../../lib/facts-file';
import type { SolutionContext } from '../../lib/lab';
import { lab } from '../../labs/cloudwatch-metric-filters/lab';
import {
  APP_LOG_GROUP_NAME,
  METRIC_NAME,
  METRIC_NAMESPACE,
  Outputs,
  RETENTION_DAYS,
  SAMPLE_EVENTS,
} from '../../labs/cloudwatch-metric-filters/contract';
import { SOLUTION_ALARM_NAME, SOLUTION_FILTER_NAME, SOLUTION_FILTER_PATTERN, solve } from '../../labs/cloudwatch-metric-filters/solution';
import { checkFinder, factsRunner, itDeclaresChecks } from '../support/checker-tests';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const STACK_NAME = 'DopLab-cloudwatch-metric-filters';
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:DopLab-cloudwatch-metric-filters-AlertTopic2B6A9D7E-Xk3JH8vQz1aL`;
const IDENTITY = { account: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/DopLabGrader/alice`, region: REGION };
const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const FIXTURES = join(__dirname, '..', 'fixtures', 'cloudwatch-metric-filters');
const SDK_MODULES = [logsSdk, cloudwatchSdk, cloudformationSdk];

const CHECK_IDS = [
  'filter-counts-errors',
  'filter-ignores-other-levels',
  'filter-publishes-metric',
  'alarm-on-error-metric',
  'alarm-notifies-topic',
  'alarm-receiving-data',
  'retention-set',
] as const;

function load(path: string) {
  return loadFactsFile(path, checker.labId, checker.factsSchema);
}

const run = factsRunner(checker, ACCOUNT, REGION);

function statuses(result: LabResult): Record<string, Status> {
  return Object.fromEntries(result.checks.map((c) => [c.id, c.status]));
}

const check = checkFinder(CHECK_IDS);

const solvedFacts = () => structuredClone(load(lab.examples.solved).facts) as Mutable<CloudWatchMetricFiltersFacts>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are edited freely in tests
type Mutable<T> = { -readonly [K in keyof T]: any };

/** The solved facts with the one alarm edited. */
function withAlarm(edit: Partial<Record<keyof MetricAlarm, unknown>>) {
  const facts = solvedFacts();
  Object.assign(facts.alarms.value.MetricAlarms[0], edit);
  return facts;
}

/** The solved facts with the one filter's metric transformation edited. */
function withTransformation(edit: Record<string, unknown>) {
  const facts = solvedFacts();
  Object.assign(facts.metricFilters.value[0].metricTransformations[0], edit);
  return facts;
}

describe('cloudwatch-metric-filters checker', () => {
  describe('declaration', () => {
    itDeclaresChecks(checker, ['4.1', '4.2'], CHECK_IDS, [
      'cloudformation:DescribeStacks',
      'cloudwatch:DescribeAlarms',
      'logs:DescribeLogGroups',
      'logs:DescribeMetricFilters',
      'logs:TestMetricFilter',
    ]);

    it('gives every check a hint', () => {
      for (const c of checker.checks) expect(c.hint.length).toBeGreaterThan(20);
    });
  });

  describe('checks on facts', () => {
    it('loads the shipped example facts through the checker schema', () => {
      expect(load(lab.examples.starting).facts.samples).toHaveLength(SAMPLE_EVENTS.length);
      expect(load(lab.examples.solved).stack.name).toBe(STACK_NAME);
    });

    it('scores 0 on the starting state, every check failing with a hint or skipped', () => {
      const result = run(load(lab.examples.starting).facts);
      expect(result.score).toBe(0);
      expect(statuses(result)).toEqual({
        'filter-counts-errors': 'FAIL',
        'filter-ignores-other-levels': 'SKIPPED',
        'filter-publishes-metric': 'SKIPPED',
        'alarm-on-error-metric': 'FAIL',
        'alarm-notifies-topic': 'SKIPPED',
        'alarm-receiving-data': 'SKIPPED',
        'retention-set': 'FAIL',
      });
      for (const c of result.checks) expect(c.hint).toBeTruthy();
      expect(check(result, 'filter-counts-errors').evidence).toEqual({
        observed: `no metric filter on log group ${APP_LOG_GROUP_NAME}`,
        expected: 'a metric filter on the log group that matches all 3 ERROR sample lines',
        where: `log group ${APP_LOG_GROUP_NAME} in ${REGION}`,
      });
      expect(check(result, 'retention-set').evidence?.observed).toBe('retention: never expire (no retention policy)');
      expect(check(result, 'alarm-on-error-metric').evidence?.observed).toBe(`no alarm watches ${METRIC_NAMESPACE} ${METRIC_NAME}`);
    });

    it('gives full marks on the solved state, every check passing', () => {
      const result = run(load(lab.examples.solved).facts);
      expect(result.checks.map((c) => c.status)).toEqual(CHECK_IDS.map(() => 'PASS'));
      expect(result.score).toBe(result.maxScore);
      expect(result.maxScore).toBe(100);
    });

    // Statuses in CHECK_IDS order: counts, ignores, publishes, alarm, notifies, receiving, retention.
    it.each<[string, Status[]]>([
      ['term-pattern', ['PASS', 'FAIL', 'PASS', 'PASS', 'PASS', 'PASS', 'PASS']],
      ['no-error-match', ['FAIL', 'SKIPPED', 'SKIPPED', 'PASS', 'PASS', 'SKIPPED', 'PASS']],
      ['wrong-metric-name', ['PASS', 'PASS', 'FAIL', 'PASS', 'PASS', 'SKIPPED', 'PASS']],
      ['two-filters', ['PASS', 'PASS', 'FAIL', 'PASS', 'PASS', 'SKIPPED', 'PASS']],
      ['alarm-threshold-too-high', ['PASS', 'PASS', 'PASS', 'FAIL', 'SKIPPED', 'SKIPPED', 'PASS']],
      ['alarm-without-topic', ['PASS', 'PASS', 'PASS', 'PASS', 'FAIL', 'PASS', 'PASS']],
      ['composite-notifies', ['PASS', 'PASS', 'PASS', 'PASS', 'PASS', 'PASS', 'PASS']],
      ['alarm-pending', ['PASS', 'PASS', 'PASS', 'PASS', 'PASS', 'PENDING', 'PASS']],
      ['retention-30', ['PASS', 'PASS', 'PASS', 'PASS', 'PASS', 'PASS', 'FAIL']],
      ['alarms-access-denied', ['PASS', 'PASS', 'PASS', 'ERROR', 'SKIPPED', 'SKIPPED', 'PASS']],
      ['filter-test-throttled', ['ERROR', 'SKIPPED', 'SKIPPED', 'PASS', 'PASS', 'SKIPPED', 'PASS']],
    ])('judges fixture %s', (name, expected) => {
      const result = run(load(join(FIXTURES, `${name}.json`)).facts);
      expect(result.checks.map((c) => c.status)).toEqual(expected);
    });

    it('fails with a hint when no filter matches ERROR lines', () => {
      const result = run(load(join(FIXTURES, 'no-error-match.json')).facts);
      const c = check(result, 'filter-counts-errors');
      expect(c.evidence?.observed).toBe(`pattern '{ $.level = "error" }' matched 0 of 3 ERROR, 0 of 2 WARN, 0 of 4 INFO sample lines`);
      expect(c.evidence?.where).toBe(`metric filter "orders-api-errors" on log group ${APP_LOG_GROUP_NAME} in ${REGION}`);
      expect(c.hint).toMatch(/case-sensitive/);
    });

    it('fails when a term pattern also counts the WARN line whose message mentions ERROR, hinting at the level field', () => {
      const result = run(load(join(FIXTURES, 'term-pattern.json')).facts);
      const c = check(result, 'filter-ignores-other-levels');
      expect(c.evidence?.observed).toBe(
        `pattern 'ERROR' also matched 1 other line: WARN "carrier API answered ERROR 429 (rate limited), retrying in 200 ms"`,
      );
      expect(c.hint).toMatch(/term pattern matches text anywhere/);
      expect(c.hint).toMatch(/level field/);
      // A nudge, not the answer.
      expect(c.hint).not.toMatch(/\$\.level/);
    });

    it('fails with a hint about lines that merely mention an error when the INFO trap matches', () => {
      const facts = solvedFacts();
      const infoTrap = SAMPLE_EVENTS.find((s) => s.level === 'INFO' && s.line.includes('error'))!;
      facts.filterTests[0].result.value.matches.push({ eventNumber: 3, eventMessage: infoTrap.line, extractedValues: {} });
      const c = check(run(facts), 'filter-ignores-other-levels');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toMatch(/INFO "payment retried after a transient error and succeeded"/);
      expect(c.hint).toMatch(/merely mention an error/);
    });

    it('fails on a namespace that differs only in case, saying so', () => {
      const c = check(run(load(join(FIXTURES, 'wrong-metric-name.json')).facts), 'filter-publishes-metric');
      expect(c.evidence?.observed).toBe('filter "orders-api-errors" publishes metric DopLab/OrdersAPI ErrorCount, value 1, default 0');
      expect(c.hint).toMatch(/case-sensitive/);
    });

    it('judges the best of several filters, names it, and fails when two filters publish the same metric', () => {
      const result = run(load(join(FIXTURES, 'two-filters.json')).facts);
      expect(check(result, 'filter-counts-errors').evidence?.observed).toMatch(/best of 2 filters on the log group, "errors-json" chosen/);
      const c = check(result, 'filter-publishes-metric');
      expect(c.evidence?.observed).toMatch(/and so does filter "errors-term" \(pattern 'ERROR'\): lines matched by both are counted twice/);
    });

    it.each<[string, Record<string, unknown>, RegExp]>([
      ['a value other than 1', { metricValue: '$.latencyMs' }, /value \$\.latencyMs/],
      ['dimensions', { dimensions: { service: '$.service' } }, /dimensions service=\$\.service/],
    ])('fails when the filter publishes %s', (_, edit, observed) => {
      const c = check(run(withTransformation(edit)), 'filter-publishes-metric');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toMatch(observed);
    });

    it.each<[string, Partial<Record<keyof MetricAlarm, unknown>>, Status]>([
      ['≥ 10 (fires at 10)', { ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 10 }, 'PASS'],
      ['> 9.5 (fires at 10)', { ComparisonOperator: 'GreaterThanThreshold', Threshold: 9.5 }, 'PASS'],
      ['> 0 (fires at 1)', { ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 }, 'PASS'],
      ['> 10 (fires at 11)', { ComparisonOperator: 'GreaterThanThreshold', Threshold: 10 }, 'FAIL'],
      ['≥ 0 (fires with no errors)', { ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 0 }, 'FAIL'],
      ['< 1', { ComparisonOperator: 'LessThanThreshold', Threshold: 1 }, 'FAIL'],
      ['statistic Average', { Statistic: 'Average' }, 'FAIL'],
      ['period 300 s', { Period: 300 }, 'PASS'],
      ['period 600 s', { Period: 600 }, 'FAIL'],
      ['a dimension', { Dimensions: [{ Name: 'service', Value: 'orders-api' }] }, 'FAIL'],
    ])('judges an alarm threshold of %s', (_, edit, expected) => {
      expect(check(run(withAlarm(edit)), 'alarm-on-error-metric').status).toBe(expected);
    });

    it('explains that "greater than 10" fires only at 11 errors', () => {
      const c = check(run(load(join(FIXTURES, 'alarm-threshold-too-high.json')).facts), 'alarm-on-error-metric');
      expect(c.evidence?.observed).toBe(
        `alarm "orders-api-errors" watches ${METRIC_NAMESPACE} ${METRIC_NAME}, but it fires at ≥ 11 errors per period (GreaterThanThreshold 10)`,
      );
      expect(c.evidence?.where).toBe(`alarm "orders-api-errors" in ${REGION}`);
      expect(c.hint).toMatch(/"greater than" excludes the threshold/);
    });

    it('fails when the alarm watches a unit the filter does not publish', () => {
      const c = check(run(withAlarm({ Unit: 'Count' })), 'alarm-on-error-metric');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toMatch(/unit Count, but the filter publishes with unit None/);
    });

    it('accepts a metric-math alarm on the error count filled with zeros', () => {
      const facts = withAlarm({
        Namespace: undefined,
        MetricName: undefined,
        Statistic: undefined,
        Period: undefined,
        Dimensions: undefined,
        Metrics: [
          { Id: 'm1', ReturnData: false, MetricStat: { Metric: { Namespace: METRIC_NAMESPACE, MetricName: METRIC_NAME, Dimensions: [] }, Period: 60, Stat: 'Sum' } },
          { Id: 'e1', Expression: 'FILL(m1, 0)', Label: 'errors', ReturnData: true },
        ],
      });
      expect(statuses(run(facts))).toEqual(Object.fromEntries(CHECK_IDS.map((id) => [id, 'PASS'])));
    });

    it('fails with a hint when the only alarm notifying the topic watches another metric', () => {
      const facts = withAlarm({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: 'orders-api' }] });
      const c = check(run(facts), 'alarm-on-error-metric');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toBe(
        `no alarm watches ${METRIC_NAMESPACE} ${METRIC_NAME}; alarm "orders-api-errors" notifies the lab topic but watches AWS/Lambda Errors`,
      );
      expect(c.hint).toMatch(/on another metric/);
    });

    it.each<[string, Partial<Record<keyof MetricAlarm, unknown>>, RegExp, RegExp | undefined]>([
      ['has no alarm actions', { AlarmActions: [] }, /it has no AlarmActions/, undefined],
      ['notifies the topic on OK only', { AlarmActions: [], OKActions: [TOPIC_ARN] }, /notifies the lab topic on OK only/, /ALARM/],
      ['has its actions disabled', { ActionsEnabled: false }, /actions are disabled/, /enable its actions/],
      [
        'notifies another topic',
        { AlarmActions: [`arn:aws:sns:${REGION}:${ACCOUNT}:ops-alerts`] },
        /AlarmActions are arn:aws:sns:eu-west-1:111122223333:ops-alerts/,
        undefined,
      ],
    ])('fails to notify the topic when the alarm %s', (_, edit, observed, hint) => {
      const c = check(run(withAlarm(edit)), 'alarm-notifies-topic');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toMatch(observed);
      if (hint) expect(c.hint).toMatch(hint);
    });

    it('does not accept a composite alarm whose rule also needs another alarm', () => {
      const facts = structuredClone(load(join(FIXTURES, 'composite-notifies.json')).facts) as Mutable<CloudWatchMetricFiltersFacts>;
      facts.alarms.value.CompositeAlarms[0].AlarmRule = 'ALARM("orders-api-errors") AND ALARM("orders-api-latency")';
      expect(check(run(facts), 'alarm-notifies-topic').status).toBe('FAIL');
    });

    it('is pending while the new alarm waits for its first datapoints, saying what it waits for', () => {
      const c = check(run(load(join(FIXTURES, 'alarm-pending.json')).facts), 'alarm-receiving-data');
      expect(c.status).toBe('PENDING');
      expect(c.points).toBe(0);
      expect(c.evidence?.observed).toBe(
        'alarm "orders-api-errors" is INSUFFICIENT_DATA since 2026-11-23T10:39:52.604Z: Unchecked: Initial alarm creation',
      );
      expect(c.evidence?.expected).toMatch(/waiting for the first datapoints of DopLab\/OrdersApi ErrorCount/);
      expect(c.hint).toMatch(/only count events ingested after the filter was created/);
    });

    it('reports the retention it observed', () => {
      const c = check(run(load(join(FIXTURES, 'retention-30.json')).facts), 'retention-set');
      expect(c.evidence).toEqual({
        observed: 'retention: 30 days',
        expected: `retention ${RETENTION_DAYS} days`,
        where: `log group ${APP_LOG_GROUP_NAME} in ${REGION}`,
      });
    });

    it('fails retention with a redeploy hint when the log group is gone', () => {
      const facts = solvedFacts();
      facts.logGroup = { ok: true, value: null };
      const c = check(run(facts), 'retention-set');
      expect(c.status).toBe('FAIL');
      expect(c.hint).toMatch(/doplab deploy cloudwatch-metric-filters/);
    });

    it('errors the alarm checks when DescribeAlarms was denied, naming the action, while the others still run', () => {
      const result = run(load(join(FIXTURES, 'alarms-access-denied.json')).facts);
      const c = check(result, 'alarm-on-error-metric');
      expect(c.error).toMatchObject({ code: 'ACCESS_DENIED', action: 'cloudwatch:DescribeAlarms' });
      expect(c.hint).toMatch(/Allow cloudwatch:DescribeAlarms/);
      expect(result.score).toBe(60);
    });

    it('errors the filter checks when TestMetricFilter was throttled, rather than failing the learner', () => {
      const c = check(run(load(join(FIXTURES, 'filter-test-throttled.json')).facts), 'filter-counts-errors');
      expect(c.status).toBe('ERROR');
      expect(c.error).toMatchObject({ code: 'THROTTLED', action: 'logs:TestMetricFilter' });
    });

    it('errors every check that needs a read when the reads failed', () => {
      const facts = solvedFacts();
      const denied = { ok: false, error: { code: 'ACCESS_DENIED', message: 'denied', action: 'logs:DescribeMetricFilters' } };
      facts.metricFilters = denied;
      facts.filterTests = [];
      facts.logGroup = { ...denied, error: { ...denied.error, action: 'logs:DescribeLogGroups' } };
      const result = run(facts);
      expect(check(result, 'filter-counts-errors').status).toBe('ERROR');
      expect(check(result, 'retention-set').error?.action).toBe('logs:DescribeLogGroups');
      expect(check(result, 'alarm-on-error-metric').status).toBe('PASS');
    });

    it('rejects malformed facts with the path of the problem', () => {
      const facts = solvedFacts();
      facts.alarms.value.MetricAlarms[0].Threshold = '1';
      expect(checker.factsSchema.safeParse(facts).success).toBe(false);
      expect(checker.factsSchema.safeParse(load(lab.examples.solved).facts).success).toBe(true);
    });
  });

  describe('gather', () => {
    let logs: AwsClientStub<CloudWatchLogsClient>;
    let cloudwatch: AwsClientStub<CloudWatchClient>;
    let cloudformation: AwsClientStub<CloudFormationClient>;

    beforeEach(() => {
      logs = mockClient(CloudWatchLogsClient);
      cloudwatch = mockClient(CloudWatchClient);
      cloudformation = mockClient(CloudFormationClient);
      cloudformation.on(DescribeStacksCommand, { StackName: STACK_NAME }).resolves(DEPLOYED_STACK);
    });

    afterEach(() => {
      jest.useRealTimers();
      logs.restore();
      cloudwatch.restore();
      cloudformation.restore();
    });

    /**
     * Runs `work` with fake timers, skipping the SDK's back-off: after a throttle, adaptive retry waits
     * for its rate limiter (about 2 s) before the next attempt.
     */
    async function withoutWaiting<T>(work: () => Promise<T>): Promise<T> {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
      let settled = false;
      const pending = work().finally(() => (settled = true));
      for (let waited = 0; !settled && waited < 60_000; waited += 250) await jest.advanceTimersByTimeAsync(250);
      return pending;
    }

    /** Mocks a solved account: one JSON filter, its test, the log group with retention, the alarm. */
    function mockSolvedAccount(filters: MetricFilter[] = [JSON_FILTER]): void {
      logs.on(DescribeMetricFiltersCommand).resolves({ metricFilters: filters });
      logs.on(TestMetricFilterCommand).callsFake((input: { filterPattern: string; logEventMessages: string[] }) => ({
        matches: simulateMatches(input.filterPattern, input.logEventMessages),
      }));
      logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [LOG_GROUP] });
      cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [LAB_ALARM], CompositeAlarms: [] });
    }

    async function gather(options: AwsOptions = {}) {
      const actions: string[] = [];
      const listener: CallListener = (action) => actions.push(action);
      const session = new MockedSession({ region: REGION, credentials: CREDENTIALS, ...options }, SDK_MODULES);
      const file = await gatherFacts(checker, session, { identity: IDENTITY, listener });
      return { file, facts: file.facts, actions };
    }

    it('sends exactly the declared read-only calls, TestMetricFilter with every sample line', async () => {
      mockSolvedAccount();
      const { file, actions } = await gather();

      expect(cloudformation).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
      expect(logs.commandCalls(DescribeMetricFiltersCommand).map((c) => c.args[0].input)).toEqual([{ logGroupName: APP_LOG_GROUP_NAME, limit: 50 }]);
      expect(logs.commandCalls(DescribeLogGroupsCommand).map((c) => c.args[0].input)).toEqual([{ logGroupNamePrefix: APP_LOG_GROUP_NAME, limit: 50 }]);
      expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([
        { AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100 },
      ]);
      expect(logs.commandCalls(TestMetricFilterCommand).map((c) => c.args[0].input)).toEqual([
        { filterPattern: JSON_FILTER.filterPattern, logEventMessages: SAMPLE_EVENTS.map((s) => s.line) },
      ]);
      expect(logs.calls()).toHaveLength(3);
      expect(cloudwatch.calls()).toHaveLength(1);

      expect([...actions].sort()).toEqual(checkerActions(checker));
      expect(actions.every(isReadOnlyAction)).toBe(true);
      expect(file.stack).toEqual({ name: STACK_NAME, status: 'CREATE_COMPLETE', outputs: STACK_OUTPUTS });
    });

    it('needs three sequential round trips: the stack, then the three reads in parallel, then TestMetricFilter', async () => {
      // Each answer takes 20 ms; a call's round is one more than the deepest round finished when it was sent.
      let finished = 0;
      const rounds: Record<string, number> = {};
      const slow =
        <I, T>(name: string, answer: (input: I) => T) =>
        async (input: I) => {
          const round = finished + 1;
          rounds[name] = round;
          await new Promise((resolve) => setTimeout(resolve, 20));
          finished = Math.max(finished, round);
          return answer(input);
        };
      cloudformation.on(DescribeStacksCommand).callsFake(slow('DescribeStacks', () => DEPLOYED_STACK));
      logs.on(DescribeMetricFiltersCommand).callsFake(slow('DescribeMetricFilters', () => ({ metricFilters: [JSON_FILTER] })));
      logs.on(DescribeLogGroupsCommand).callsFake(slow('DescribeLogGroups', () => ({ logGroups: [LOG_GROUP] })));
      cloudwatch.on(DescribeAlarmsCommand).callsFake(slow('DescribeAlarms', () => ({ MetricAlarms: [LAB_ALARM] })));
      logs.on(TestMetricFilterCommand).callsFake(
        slow('TestMetricFilter', (input: { filterPattern: string; logEventMessages: string[] }) => ({
          matches: simulateMatches(input.filterPattern, input.logEventMessages),
        })),
      );
      await gather();
      expect(rounds).toEqual({ DescribeStacks: 1, DescribeMetricFilters: 2, DescribeLogGroups: 2, DescribeAlarms: 2, TestMetricFilter: 3 });
    });

    it('records JSON-serialisable facts that validate and pass every check', async () => {
      mockSolvedAccount();
      const { facts } = await gather();
      expect(JSON.parse(JSON.stringify(facts))).toEqual(facts);
      expect(checker.factsSchema.safeParse(facts).success).toBe(true);
      if (!facts.alarms.ok) throw new Error('alarms not read');
      expect(facts.alarms.value.MetricAlarms[0].StateUpdatedTimestamp).toBe('2026-11-23T10:41:05.321Z');
      expect(run(facts).score).toBe(100);
    });

    it('follows every page of metric filters and alarms', async () => {
      mockSolvedAccount();
      const other = { ...JSON_FILTER, filterName: 'slow-requests', filterPattern: '{ $.latencyMs > 1000 }', metricTransformations: [{ metricNamespace: METRIC_NAMESPACE, metricName: 'SlowRequests', metricValue: '1' }] };
      logs.on(DescribeMetricFiltersCommand).resolves({ metricFilters: [other], nextToken: 'mf-2' });
      logs.on(DescribeMetricFiltersCommand, { nextToken: 'mf-2' }).resolves({ metricFilters: [JSON_FILTER] });
      cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [UNRELATED_ALARM], NextToken: 'al-2' });
      cloudwatch.on(DescribeAlarmsCommand, { NextToken: 'al-2' }).resolves({ MetricAlarms: [LAB_ALARM] });

      const { facts } = await gather();
      expect(logs).toHaveReceivedCommandTimes(DescribeMetricFiltersCommand, 2);
      expect(logs).toHaveReceivedNthSpecificCommandWith(2, DescribeMetricFiltersCommand, { logGroupName: APP_LOG_GROUP_NAME, limit: 50, nextToken: 'mf-2' });
      expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 2);
      expect(facts.metricFilters.ok && facts.metricFilters.value.map((f) => f.filterName)).toEqual(['slow-requests', 'orders-api-errors']);
      expect(facts.alarms.ok && facts.alarms.value.MetricAlarms.map((a) => a.AlarmName)).toEqual(['orders-api-errors']);
      expect(run(facts).score).toBe(100);
    });

    it('stops paging log groups once the exact name is found, and ignores groups sharing the prefix', async () => {
      mockSolvedAccount();
      const sibling = { ...LOG_GROUP, logGroupName: `${APP_LOG_GROUP_NAME}-archive`, retentionInDays: 3653 };
      logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [sibling], nextToken: 'lg-2' });
      logs.on(DescribeLogGroupsCommand, { nextToken: 'lg-2' }).resolves({ logGroups: [LOG_GROUP], nextToken: 'lg-3' });
      const { facts } = await gather();
      expect(logs).toHaveReceivedCommandTimes(DescribeLogGroupsCommand, 2);
      expect(facts.logGroup).toEqual({ ok: true, value: LOG_GROUP });
    });

    it('keeps only the alarms that concern the lab', async () => {
      mockSolvedAccount();
      const lambdaToTopic = { ...UNRELATED_ALARM, AlarmName: 'lambda-errors-to-lab-topic', AlarmActions: [TOPIC_ARN] };
      const mathAlarm: MetricAlarm = {
        AlarmName: 'error-rate',
        Metrics: [
          { Id: 'm1', ReturnData: false, MetricStat: { Metric: { Namespace: METRIC_NAMESPACE, MetricName: METRIC_NAME }, Period: 60, Stat: 'Sum' } },
          { Id: 'e1', Expression: 'm1 / 9 * 100', ReturnData: true },
        ],
      };
      const composites = [
        { AlarmName: 'orders-api-page', AlarmRule: 'ALARM("orders-api-errors")', AlarmActions: [] },
        { AlarmName: 'billing-page', AlarmRule: 'ALARM("billing-high")', AlarmActions: [`arn:aws:sns:${REGION}:${ACCOUNT}:billing`] },
      ];
      cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [UNRELATED_ALARM, lambdaToTopic, mathAlarm, LAB_ALARM], CompositeAlarms: composites });
      const { facts } = await gather();
      if (!facts.alarms.ok) throw new Error('alarms not read');
      expect(facts.alarms.value.MetricAlarms.map((a) => a.AlarmName)).toEqual(['lambda-errors-to-lab-topic', 'error-rate', 'orders-api-errors']);
      expect(facts.alarms.value.CompositeAlarms.map((a) => a.AlarmName)).toEqual(['orders-api-page']);
    });

    it(`tests at most ${MAX_FILTERS_TESTED} filters, those publishing the error metric first`, async () => {
      const filters = Array.from({ length: 12 }, (_, i) => ({
        ...JSON_FILTER,
        filterName: `a-filter-${String(i).padStart(2, '0')}`,
        metricTransformations: [{ metricNamespace: 'Other', metricName: `M${i}`, metricValue: '1' }],
      }));
      mockSolvedAccount([...filters, { ...JSON_FILTER, filterName: 'z-errors' }]);
      const { facts } = await gather();
      expect(logs).toHaveReceivedCommandTimes(TestMetricFilterCommand, MAX_FILTERS_TESTED);
      expect(facts.filterTests[0].filterName).toBe('z-errors');
      expect(check(run(facts), 'filter-counts-errors').evidence?.observed).toMatch(/best of 13 filters on the log group, "z-errors" chosen; 3 not tested/);
    });

    it('records AccessDenied on DescribeAlarms in the facts; the alarm checks are ERROR naming the action', async () => {
      mockSolvedAccount();
      cloudwatch.on(DescribeAlarmsCommand).rejects(awsError('AccessDeniedException', 'User: arn:aws:sts::111122223333:assumed-role/DopLabGrader/alice is not authorized to perform: cloudwatch:DescribeAlarms'));
      const { facts } = await gather();
      expect(facts.alarms).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'ACCESS_DENIED', action: 'cloudwatch:DescribeAlarms' }),
      });
      const result = run(facts);
      expect(check(result, 'alarm-on-error-metric')).toMatchObject({ status: 'ERROR', error: { action: 'cloudwatch:DescribeAlarms' } });
      expect(check(result, 'alarm-on-error-metric').error?.message).toMatch(/cloudwatch:DescribeAlarms in eu-west-1/);
      expect(check(result, 'filter-counts-errors').status).toBe('PASS');
      expect(check(result, 'retention-set').status).toBe('PASS');
    });

    it('retries throttled calls through the SDK and succeeds when AWS recovers', async () => {
      mockSolvedAccount();
      cloudwatch
        .on(DescribeAlarmsCommand)
        .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded'))
        .resolves({ MetricAlarms: [LAB_ALARM], CompositeAlarms: [] });
      const { facts } = await withoutWaiting(() => gather({ maxAttempts: 2 }));
      expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 2);
      expect(facts.alarms.ok).toBe(true);
    });

    it('records throttling that outlasts the retries as an ERROR, never a crash', async () => {
      mockSolvedAccount();
      cloudwatch.on(DescribeAlarmsCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
      const { facts, actions } = await withoutWaiting(() => gather({ maxAttempts: 2 }));
      expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 2);
      // The listener hears each call once, however many attempts it took.
      expect(actions.filter((a) => a === 'cloudwatch:DescribeAlarms')).toHaveLength(1);
      expect(facts.alarms).toMatchObject({ ok: false, error: { code: 'THROTTLED', action: 'cloudwatch:DescribeAlarms' } });
      expect(check(run(facts), 'alarm-on-error-metric').status).toBe('ERROR');
    });

    it('skips TestMetricFilter when the filters could not be read', async () => {
      mockSolvedAccount();
      logs.on(DescribeMetricFiltersCommand).rejects(awsError('AccessDeniedException', 'not authorized'));
      const { facts } = await gather();
      expect(logs).toHaveReceivedCommandTimes(TestMetricFilterCommand, 0);
      expect(facts.filterTests).toEqual([]);
      expect(check(run(facts), 'filter-counts-errors').error?.action).toBe('logs:DescribeMetricFilters');
    });

    it('fails with a redeploy hint, not an AWS error, when the lab log group was deleted', async () => {
      mockSolvedAccount();
      logs
        .on(DescribeMetricFiltersCommand)
        .rejects(awsError('ResourceNotFoundException', 'The specified log group does not exist.'));
      logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
      const { facts } = await gather();
      expect(facts.metricFilters).toEqual({ ok: true, value: [] });
      const result = run(facts);
      expect(check(result, 'filter-counts-errors')).toMatchObject({
        status: 'FAIL',
        evidence: { observed: `log group ${APP_LOG_GROUP_NAME} does not exist` },
        hint: 'The lab\'s log group is gone; run doplab deploy cloudwatch-metric-filters to recreate it.',
      });
      expect(check(result, 'retention-set').status).toBe('FAIL');
    });

    it('rejects with LAB_NOT_DEPLOYED and a deploy hint when the stack does not exist', async () => {
      cloudformation
        .on(DescribeStacksCommand)
        .rejects(awsError('ValidationError', `Stack with id ${STACK_NAME} does not exist`));
      mockSolvedAccount();
      const error = await gather().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DoplabError);
      expect(error).toMatchObject({ code: 'LAB_NOT_DEPLOYED', hint: expect.stringMatching(/doplab deploy cloudwatch-metric-filters/) });
      expect(logs.calls()).toHaveLength(0);
      expect(cloudwatch.calls()).toHaveLength(0);
    });
  });

  describe('read-only guard', () => {
    let logs: AwsClientStub<CloudWatchLogsClient>;
    beforeEach(() => {
      logs = mockClient(CloudWatchLogsClient);
    });
    afterEach(() => logs.restore());

    it('refuses PutMetricFilter on a checker client before anything is sent', async () => {
      const session = new MockedSession({ region: REGION, credentials: CREDENTIALS }, SDK_MODULES);
      const client = session.readOnlyClient(CloudWatchLogsClient, REGION);
      const put = new PutMetricFilterCommand({
        logGroupName: APP_LOG_GROUP_NAME,
        filterName: 'x',
        filterPattern: 'ERROR',
        metricTransformations: [{ metricNamespace: METRIC_NAMESPACE, metricName: METRIC_NAME, metricValue: '1' }],
      });
      await expect(client.send(put)).rejects.toThrow(/Refused logs:PutMetricFilter: checkers may only read/);
      expect(logs.calls()).toHaveLength(0);

      // The same client still reads, so the refusal above is the guard and not a broken mock.
      logs.on(DescribeMetricFiltersCommand).resolves({ metricFilters: [] });
      await expect(client.send(new DescribeMetricFiltersCommand({ logGroupName: APP_LOG_GROUP_NAME }))).resolves.toMatchObject({ metricFilters: [] });
      expect(logs.calls()).toHaveLength(1);
    });
  });

  describe('solution', () => {
    let logs: AwsClientStub<CloudWatchLogsClient>;
    let cloudwatch: AwsClientStub<CloudWatchClient>;
    let cloudformation: AwsClientStub<CloudFormationClient>;

    beforeEach(() => {
      logs = mockClient(CloudWatchLogsClient);
      cloudwatch = mockClient(CloudWatchClient);
      cloudformation = mockClient(CloudFormationClient);
      logs.on(PutMetricFilterCommand).resolves({});
      logs.on(PutRetentionPolicyCommand).resolves({});
      cloudwatch.on(PutMetricAlarmCommand).resolves({});
    });

    afterEach(() => {
      logs.restore();
      cloudwatch.restore();
      cloudformation.restore();
    });

    function context(lines: string[] = []): SolutionContext<typeof Outputs> {
      const session = new AwsSession({ region: REGION, credentials: CREDENTIALS });
      return {
        outputs: { appLogGroupName: APP_LOG_GROUP_NAME, alertTopicArn: TOPIC_ARN, generatorFunctionName: STACK_OUTPUTS.GeneratorFunctionName },
        region: REGION,
        account: ACCOUNT,
        client: (ctor) => session.client(ctor, REGION),
        log: (line) => lines.push(line),
      };
    }

    it('puts the filter, the alarm and the retention, and nothing else', async () => {
      const lines: string[] = [];
      await solve(context(lines));

      expect(logs.commandCalls(PutMetricFilterCommand).map((c) => c.args[0].input)).toEqual([
        {
          logGroupName: APP_LOG_GROUP_NAME,
          filterName: 'orders-api-errors',
          filterPattern: '{ $.level = "ERROR" }',
          metricTransformations: [{ metricNamespace: 'DopLab/OrdersApi', metricName: 'ErrorCount', metricValue: '1', defaultValue: 0 }],
        },
      ]);
      expect(cloudwatch.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input)).toEqual([
        {
          AlarmName: 'orders-api-errors',
          AlarmDescription: `ERROR lines in ${APP_LOG_GROUP_NAME} (doplab lab cloudwatch-metric-filters).`,
          Namespace: 'DopLab/OrdersApi',
          MetricName: 'ErrorCount',
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 1,
          DatapointsToAlarm: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          ActionsEnabled: true,
          AlarmActions: [TOPIC_ARN],
          Tags: [{ Key: 'doplab:lab', Value: 'cloudwatch-metric-filters' }],
        },
      ]);
      expect(logs.commandCalls(PutRetentionPolicyCommand).map((c) => c.args[0].input)).toEqual([
        { logGroupName: APP_LOG_GROUP_NAME, retentionInDays: 14 },
      ]);
      expect(logs.calls()).toHaveLength(2);
      expect(cloudwatch.calls()).toHaveLength(1);
      expect(lines).toHaveLength(3);
    });

    it('is idempotent: a second run sends the same puts', async () => {
      await solve(context());
      const first = [...logs.calls(), ...cloudwatch.calls()].map((c) => c.args[0].input);
      logs.resetHistory();
      cloudwatch.resetHistory();
      await solve(context());
      expect([...logs.calls(), ...cloudwatch.calls()].map((c) => c.args[0].input)).toEqual(first);
    });

    it('leaves a state that passes every check once the alarm has data', async () => {
      await solve(context());
      const filterInput = logs.commandCalls(PutMetricFilterCommand)[0].args[0].input;
      const alarmInput = cloudwatch.commandCalls(PutMetricAlarmCommand)[0].args[0].input;
      const retentionInput = logs.commandCalls(PutRetentionPolicyCommand)[0].args[0].input;

      // The account as AWS describes it after the puts (and a minute of logs), read back by gather.
      const { Tags: _tags, ...alarmConfig } = alarmInput;
      logs.on(DescribeMetricFiltersCommand).resolves({
        metricFilters: [{ ...filterInput, creationTime: Date.parse('2026-11-23T10:38:04.771Z'), applyOnTransformedLogs: false } as MetricFilter],
      });
      logs.on(TestMetricFilterCommand).callsFake((input: { filterPattern: string; logEventMessages: string[] }) => ({
        matches: simulateMatches(input.filterPattern, input.logEventMessages),
      }));
      logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ ...LOG_GROUP, retentionInDays: retentionInput.retentionInDays }] });
      cloudwatch.on(DescribeAlarmsCommand).resolves({
        MetricAlarms: [{ ...alarmConfig, Dimensions: [], AlarmArn: LAB_ALARM.AlarmArn, StateValue: 'ALARM', StateUpdatedTimestamp: new Date() } as MetricAlarm],
      });
      cloudformation.on(DescribeStacksCommand).resolves(DEPLOYED_STACK);

      const session = new MockedSession({ region: REGION, credentials: CREDENTIALS }, SDK_MODULES);
      const { facts } = await gatherFacts(checker, session, { identity: IDENTITY });
      const result = run(facts);
      expect(result.checks.filter((c) => c.status !== 'PASS')).toEqual([]);
    });

    it('matches the shipped solved example', () => {
      const facts = load(lab.examples.solved).facts;
      if (!facts.metricFilters.ok || !facts.alarms.ok) throw new Error('solved example has failed reads');
      expect(facts.metricFilters.value[0]).toMatchObject({ filterName: SOLUTION_FILTER_NAME, filterPattern: SOLUTION_FILTER_PATTERN });
      expect(facts.alarms.value.MetricAlarms[0].AlarmName).toBe(SOLUTION_ALARM_NAME);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Test doubles
// ---------------------------------------------------------------------------------------------

const STACK_OUTPUTS = {
  AppLogGroupName: APP_LOG_GROUP_NAME,
  AlertTopicArn: TOPIC_ARN,
  GeneratorFunctionName: 'DopLab-cloudwatch-metric-fi-GeneratorFunction5E1C2F0B-pQ7rT2sVw9Xy',
};

const DEPLOYED_STACK = {
  Stacks: [
    {
      StackName: STACK_NAME,
      StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK_NAME}/5b8e2f10-c94a-11f0-8d2e-0a1b2c3d4e5f`,
      CreationTime: new Date('2026-11-23T10:05:12.447Z'),
      StackStatus: 'CREATE_COMPLETE' as const,
      Outputs: Object.entries(STACK_OUTPUTS).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    },
  ],
};

const JSON_FILTER: MetricFilter = {
  filterName: 'orders-api-errors',
  filterPattern: '{ $.level = "ERROR" }',
  metricTransformations: [{ metricName: METRIC_NAME, metricNamespace: METRIC_NAMESPACE, metricValue: '1', defaultValue: 0 }],
  creationTime: Date.parse('2026-11-23T10:38:04.771Z'),
  logGroupName: APP_LOG_GROUP_NAME,
  applyOnTransformedLogs: false,
};

const LOG_GROUP = {
  logGroupName: APP_LOG_GROUP_NAME,
  creationTime: Date.parse('2026-11-23T10:05:41.318Z'),
  retentionInDays: 14,
  metricFilterCount: 1,
  arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${APP_LOG_GROUP_NAME}:*`,
  storedBytes: 0,
  logGroupClass: 'STANDARD' as const,
  logGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${APP_LOG_GROUP_NAME}`,
};

const LAB_ALARM: MetricAlarm = {
  AlarmName: 'orders-api-errors',
  AlarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:orders-api-errors`,
  AlarmConfigurationUpdatedTimestamp: new Date('2026-11-23T10:39:52.604Z'),
  ActionsEnabled: true,
  OKActions: [],
  AlarmActions: [TOPIC_ARN],
  InsufficientDataActions: [],
  StateValue: 'ALARM',
  StateReason: 'Threshold Crossed: 1 datapoint [3.0 (23/11/26 10:40:00)] was greater than or equal to the threshold (1.0).',
  StateUpdatedTimestamp: new Date('2026-11-23T10:41:05.321Z'),
  MetricName: METRIC_NAME,
  Namespace: METRIC_NAMESPACE,
  Statistic: 'Sum',
  Dimensions: [],
  Period: 60,
  EvaluationPeriods: 1,
  DatapointsToAlarm: 1,
  Threshold: 1,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  TreatMissingData: 'notBreaching',
  StateTransitionedTimestamp: new Date('2026-11-23T10:41:05.321Z'),
};

const UNRELATED_ALARM: MetricAlarm = {
  AlarmName: 'lambda-errors',
  AlarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:lambda-errors`,
  ActionsEnabled: true,
  AlarmActions: [`arn:aws:sns:${REGION}:${ACCOUNT}:ops-alerts`],
  StateValue: 'OK',
  StateUpdatedTimestamp: new Date('2026-10-02T08:00:00.000Z'),
  MetricName: 'Errors',
  Namespace: 'AWS/Lambda',
  Statistic: 'Sum',
  Dimensions: [{ Name: 'FunctionName', Value: 'billing' }],
  Period: 300,
  EvaluationPeriods: 1,
  Threshold: 1,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
};

/**
 * TestMetricFilter as CloudWatch Logs answers it, for the two pattern kinds the tests use: a JSON
 * pattern `{ $.level = "X" }` matches JSON lines whose level is exactly X; a term pattern matches lines
 * containing the term, case-sensitively.
 */
function simulateMatches(pattern: string, lines: string[]) {
  const json = /^\{\s*\$\.level\s*=\s*"([^"]*)"\s*\}$/.exec(pattern);
  const matches = (line: string) => (json ? (JSON.parse(line) as { level?: string }).level === json[1] : line.includes(pattern));
  return lines.flatMap((line, i) => (matches(line) ? [{ eventNumber: i + 1, eventMessage: line, extractedValues: {} }] : []));
}

