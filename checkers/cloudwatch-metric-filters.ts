// Checker of the cloudwatch-metric-filters lab: SDK only (never aws-cdk-lib), read-only calls.
import {
  CloudWatchClient,
  type CompositeAlarm,
  type Dimension,
  type MetricAlarm,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  type LogGroup,
  type MetricFilter,
  type MetricFilterMatchRecord,
} from '@aws-sdk/client-cloudwatch-logs';
import { z } from 'zod';
import { defineChecker, type Check, type Verdict } from '../lib/checker';
import { factSchema, need, readFact, type Fact } from '../lib/facts';
import {
  actionLists,
  allAlarmsSchema,
  compareRanks,
  filterTestSchema,
  metricFilterSchema,
  matchedLines,
  notification,
  readAllAlarms,
  readMetricFilters,
  settled,
  testFilter,
  type FilterTest,
  type Notification,
} from '../lib/metric-filter-facts';
import { allPages, byName, type WithIsoDates } from '../lib/sdk-facts';
import {
  ALARM_RULES,
  LAB_ID,
  METRIC_NAME,
  METRIC_NAMESPACE,
  Outputs,
  RETENTION_DAYS,
  SAMPLE_EVENTS,
  type LogLevel,
} from '../labs/cloudwatch-metric-filters/contract';

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

export type { FilterTest } from '../lib/metric-filter-facts';

/** A log line sent to TestMetricFilter, with the level it was written at. */
export interface SampleEvent {
  readonly level: LogLevel;
  readonly line: string;
}

/** The lab's alarms as DescribeAlarms returns them, kept only when they concern the lab. */
export interface LabAlarms {
  /** Alarms on the error metric (directly or in metric math), or with the lab topic in an action list. */
  readonly MetricAlarms: WithIsoDates<MetricAlarm>[];
  /** Composite alarms with the lab topic in an action list, or whose rule names one of the alarms above. */
  readonly CompositeAlarms: WithIsoDates<CompositeAlarm>[];
}

/** What gather reads; each AWS read is a Fact so one failure only ERRORs the checks that need it. */
export interface CloudWatchMetricFiltersFacts {
  readonly region: string;
  /** The lab's application log group (stack output). */
  readonly logGroupName: string;
  /** The lab's SNS topic (stack output). */
  readonly alertTopicArn: string;
  /** The lines sent to TestMetricFilter, as the generator writes them. */
  readonly samples: readonly SampleEvent[];
  /** DescribeMetricFilters on the log group, every page. */
  readonly metricFilters: Fact<MetricFilter[]>;
  /** TestMetricFilter of each filter (at most MAX_FILTERS_TESTED, those on the error metric first). */
  readonly filterTests: readonly FilterTest[];
  /** DescribeLogGroups: the log group with exactly that name, or null when there is none. */
  readonly logGroup: Fact<LogGroup | null>;
  /** DescribeAlarms, every page, narrowed to the lab's alarms. */
  readonly alarms: Fact<LabAlarms>;
}

/** TestMetricFilter calls per gather at most; a learner rarely makes more than two or three filters. */
export const MAX_FILTERS_TESTED = 10;

const schema = z.object({
  region: z.string().min(1),
  logGroupName: z.string().min(1),
  alertTopicArn: z.string().startsWith('arn:'),
  samples: z.array(z.object({ level: z.enum(['INFO', 'WARN', 'ERROR']), line: z.string().min(1) })).min(1),
  metricFilters: factSchema(z.array(metricFilterSchema)),
  filterTests: z.array(filterTestSchema),
  logGroup: factSchema(
    z.looseObject({ logGroupName: z.string().optional(), retentionInDays: z.number().optional(), arn: z.string().optional() }).nullable(),
  ),
  alarms: factSchema(allAlarmsSchema),
});

// The schema checks what the checks rely on and passes the rest through, while the facts type keeps the
// SDK's own (stricter, enum-typed) shapes; the two cannot be unified without re-declaring the SDK types.
const factsSchema = schema as unknown as z.ZodType<CloudWatchMetricFiltersFacts>;

// ---------------------------------------------------------------------------------------------
// Gather
// ---------------------------------------------------------------------------------------------

function onErrorMetric(metric: { Namespace?: string; MetricName?: string } | undefined): boolean {
  return metric?.Namespace === METRIC_NAMESPACE && metric?.MetricName === METRIC_NAME;
}

function publishesErrorMetric(filter: MetricFilter): boolean {
  return (filter.metricTransformations ?? []).some((t) => t.metricNamespace === METRIC_NAMESPACE && t.metricName === METRIC_NAME);
}

async function readLabAlarms(cloudwatch: CloudWatchClient, topicArn: string): Promise<LabAlarms> {
  const { MetricAlarms: metricAlarms, CompositeAlarms: compositeAlarms } = await readAllAlarms(cloudwatch);
  const mine = metricAlarms.filter(
    (a) => onErrorMetric(a) || (a.Metrics ?? []).some((q) => onErrorMetric(q.MetricStat?.Metric)) || actionLists(a).includes(topicArn),
  );
  const names = mine.flatMap((a) => [a.AlarmName, a.AlarmArn]).filter((n): n is string => !!n);
  const composites = compositeAlarms.filter(
    (c) => actionLists(c).includes(topicArn) || names.some((n) => (c.AlarmRule ?? '').includes(n)),
  );
  return { MetricAlarms: mine, CompositeAlarms: composites };
}

async function testFilters(logs: CloudWatchLogsClient, filters: MetricFilter[], samples: readonly SampleEvent[]): Promise<FilterTest[]> {
  const ordered = [...filters].sort(
    (a, b) => Number(publishesErrorMetric(b)) - Number(publishesErrorMetric(a)) || byName(a.filterName, b.filterName),
  );
  const lines = samples.map((s) => s.line);
  return Promise.all(ordered.slice(0, MAX_FILTERS_TESTED).map((filter) => testFilter(logs, filter, lines)));
}

// ---------------------------------------------------------------------------------------------
// Judging helpers (pure)
// ---------------------------------------------------------------------------------------------

type Facts = CloudWatchMetricFiltersFacts;
type Alarm = WithIsoDates<MetricAlarm>;

const LEVELS: readonly LogLevel[] = ['ERROR', 'WARN', 'INFO'];

function quote(pattern: string): string {
  return pattern.trim() === '' ? 'an empty pattern (matches every line)' : `pattern '${pattern}'`;
}

function logGroupWhere(facts: Facts, filterName?: string): string {
  const group = `log group ${facts.logGroupName} in ${facts.region}`;
  return filterName === undefined ? group : `metric filter "${filterName}" on ${group}`;
}

function alarmWhere(facts: Facts, alarm?: Alarm): string {
  return alarm ? `alarm "${alarm.AlarmName}" in ${facts.region}` : `CloudWatch alarms in ${facts.region}`;
}

const metricLabel = `${METRIC_NAMESPACE} ${METRIC_NAME}`;

/** A filter judged on the sample lines. */
interface FilterJudgement {
  readonly filter: MetricFilter;
  readonly name: string;
  readonly pattern: string;
  /** Indexes into facts.samples of the lines the pattern matched. */
  readonly matched: ReadonlySet<number>;
  readonly errorsMatched: number;
  readonly errorsTotal: number;
  /** INFO/WARN lines the pattern matched. */
  readonly others: readonly SampleEvent[];
  readonly publishesRightMetric: boolean;
}

function matchedSamples(facts: Facts, matches: readonly MetricFilterMatchRecord[]): Set<number> {
  // Matched by the raw message: every sample line is distinct, and eventNumber's base is not documented.
  return matchedLines(facts.samples.map((s) => s.line), matches);
}

function transformationOf(filter: MetricFilter) {
  return filter.metricTransformations?.[0];
}

function isRightTransformation(filter: MetricFilter): boolean {
  const t = transformationOf(filter);
  return (
    t?.metricNamespace === METRIC_NAMESPACE &&
    t?.metricName === METRIC_NAME &&
    Number(t?.metricValue) === 1 &&
    Object.keys(t?.dimensions ?? {}).length === 0
  );
}

/**
 * The learner's best filter: the one that does most of the task (matches every ERROR line, then
 * nothing else, then publishes the right metric), ties broken by name, so every check judges the same
 * filter. Throws (ERROR) when the tests that could decide it failed.
 */
function bestFilter(facts: Facts): { best?: FilterJudgement; total: number; tested: number } {
  const filters = need(facts.metricFilters);
  const errorsTotal = facts.samples.filter((s) => s.level === 'ERROR').length;
  const judged: FilterJudgement[] = [];
  const failed: FilterTest[] = [];
  for (const test of facts.filterTests) {
    if (!test.result.ok) {
      failed.push(test);
      continue;
    }
    const filter = filters.find((f) => f.filterName === test.filterName) ?? { filterName: test.filterName, filterPattern: test.filterPattern };
    const matched = matchedSamples(facts, test.result.value.matches);
    const errorsMatched = facts.samples.filter((s, i) => s.level === 'ERROR' && matched.has(i)).length;
    const others = facts.samples.filter((s, i) => s.level !== 'ERROR' && matched.has(i));
    judged.push({ filter, name: test.filterName, pattern: test.filterPattern, matched, errorsMatched, errorsTotal, others, publishesRightMetric: isRightTransformation(filter) });
  }
  const rank = (j: FilterJudgement): number[] => [
    Number(j.errorsMatched === j.errorsTotal),
    Number(j.others.length === 0),
    Number(j.publishesRightMetric),
    j.errorsMatched,
    -j.others.length,
  ];
  judged.sort((a, b) => compareRanks(rank(b), rank(a)) || byName(a.name, b.name));
  const best = judged[0];
  // A filter whose test failed might have been the right one: that is "could not decide", not a FAIL.
  if (failed.length > 0 && (!best || best.errorsMatched < best.errorsTotal)) need(failed[0].result);
  return { best, total: filters.length, tested: facts.filterTests.length };
}


function levelSummary(facts: Facts, matched: ReadonlySet<number>): string {
  return LEVELS.map((level) => {
    const lines = facts.samples.map((s, i) => ({ s, i })).filter(({ s }) => s.level === level);
    return `${lines.filter(({ i }) => matched.has(i)).length} of ${lines.length} ${level}`;
  }).join(', ');
}

function ofMany(pick: { total: number; tested: number }, name: string): string {
  if (pick.total <= 1) return '';
  const untested = pick.total - pick.tested;
  return ` (best of ${pick.total} filters on the log group, "${name}" chosen${untested > 0 ? `; ${untested} not tested` : ''})`;
}

function excerpt(line: string): string {
  try {
    const message = (JSON.parse(line) as { message?: unknown }).message;
    if (typeof message === 'string') return `"${message}"`;
  } catch {
    // not JSON: fall through to the raw line
  }
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

/** The metric an alarm watches, normalised over plain alarms and metric-math alarms. */
interface WatchedMetric {
  readonly stat?: string;
  readonly period?: number;
  readonly dimensions: readonly Dimension[];
  readonly unit?: string;
  /** Set when the alarm watches a math expression that is not the error count itself. */
  readonly expression?: string;
}

function watchedMetric(alarm: Alarm): WatchedMetric | undefined {
  if (onErrorMetric(alarm)) {
    return { stat: alarm.Statistic ?? alarm.ExtendedStatistic, period: alarm.Period, dimensions: alarm.Dimensions ?? [], unit: alarm.Unit };
  }
  const queries = alarm.Metrics ?? [];
  const query = queries.find((q) => onErrorMetric(q.MetricStat?.Metric));
  if (!query) return undefined;
  const fromQuery = (q: MetricDataQuery): WatchedMetric => ({
    stat: q.MetricStat?.Stat,
    period: q.MetricStat?.Period ?? q.Period,
    dimensions: q.MetricStat?.Metric?.Dimensions ?? [],
    unit: q.MetricStat?.Unit,
  });
  const returned = queries.find((q) => q.ReturnData === true) ?? (queries.length === 1 ? queries[0] : undefined);
  if (returned === query) return fromQuery(query);
  const expression = (returned?.Expression ?? '').replace(/\s+/g, '');
  // The count itself, or the count with empty periods filled with zero, is the same signal.
  if (expression === query.Id || expression === `FILL(${query.Id},0)`) return fromQuery(query);
  return { ...fromQuery(query), expression: returned?.Expression ?? '(none returned)' };
}

/** The smallest error count per period at which the alarm fires, or why it has none. */
function firesAt(alarm: Alarm): { count: number } | { never: string } {
  const threshold = alarm.Threshold;
  if (threshold === undefined) {
    const band = alarm.ThresholdMetricId ? ` (an anomaly detection band, ${alarm.ThresholdMetricId})` : '';
    return { never: `it has no fixed threshold${band}` };
  }
  switch (alarm.ComparisonOperator) {
    case 'GreaterThanOrEqualToThreshold':
      return { count: Math.ceil(threshold) };
    case 'GreaterThanThreshold':
      return { count: Math.floor(threshold) + 1 };
    case 'LessThanThreshold':
    case 'LessThanOrEqualToThreshold': {
      const sign = alarm.ComparisonOperator === 'LessThanThreshold' ? '<' : '≤';
      return { never: `it fires when the count is ${sign} ${threshold}, i.e. when errors drop, not when they rise` };
    }
    default:
      return { never: `its comparison ${alarm.ComparisonOperator ?? '(none)'} does not compare the count with a fixed threshold` };
  }
}

function describeAlarm(alarm: Alarm, watched: WatchedMetric): string {
  const fire = firesAt(alarm);
  const rule = 'count' in fire ? `fires at ≥ ${fire.count} errors per period` : `never fires on rising errors`;
  const evaluation = alarm.EvaluationPeriods ? ` (${alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods} of ${alarm.EvaluationPeriods} periods)` : '';
  return `${watched.stat ?? 'no statistic'} over ${watched.period ?? '?'} s, ${rule}${evaluation}`;
}

/** What is wrong with an alarm on the error metric, most important first; empty when it is right. */
function alarmProblems(alarm: Alarm, watched: WatchedMetric, filterUnit: string | undefined): { observed: string; hint: string }[] {
  const problems: { observed: string; hint: string }[] = [];
  if (watched.expression !== undefined) {
    problems.push({
      observed: `it watches the metric math expression ${watched.expression}, not the error count itself`,
      hint: 'Alarm on the error count directly, so the threshold means "errors per period".',
    });
  }
  if (!ALARM_RULES.statistics.includes(watched.stat ?? '')) {
    problems.push({
      observed: `statistic ${watched.stat ?? '(none)'}`,
      hint: 'Each ERROR line adds 1 to the metric; think about which statistic turns those datapoints into "errors in this period".',
    });
  }
  const period = watched.period ?? 0;
  if (period < ALARM_RULES.minPeriodSeconds || period > ALARM_RULES.maxPeriodSeconds) {
    problems.push({
      observed: `period ${watched.period ?? '(none)'} s`,
      hint: `Use a period between ${ALARM_RULES.minPeriodSeconds} and ${ALARM_RULES.maxPeriodSeconds} seconds, so an error burst is noticed within minutes.`,
    });
  }
  const fire = firesAt(alarm);
  if ('never' in fire) {
    problems.push({ observed: fire.never, hint: 'The alarm should fire when the error count rises to or above a level; check the comparison operator.' });
  } else if (fire.count < ALARM_RULES.minErrorsToFire || fire.count > ALARM_RULES.maxErrorsToFire) {
    problems.push({
      observed: `it fires at ≥ ${fire.count} errors per period (${alarm.ComparisonOperator} ${alarm.Threshold})`,
      hint:
        fire.count < ALARM_RULES.minErrorsToFire
          ? 'As set, the alarm fires even when there are no errors; mind how the comparison operator treats the threshold.'
          : `Fire at a count between ${ALARM_RULES.minErrorsToFire} and ${ALARM_RULES.maxErrorsToFire} errors per period; mind that "greater than" excludes the threshold itself.`,
    });
  }
  if (watched.dimensions.length > 0) {
    problems.push({
      observed: `it watches the metric with dimensions ${watched.dimensions.map((d) => `${d.Name}=${d.Value}`).join(', ')}`,
      hint: 'The filter publishes the metric without dimensions; an alarm on a metric with dimensions watches a different time series and gets no data.',
    });
  }
  if (watched.unit !== undefined && filterUnit !== undefined && watched.unit !== filterUnit) {
    problems.push({
      observed: `it watches unit ${watched.unit}, but the filter publishes with unit ${filterUnit}`,
      hint: 'An alarm with a unit only sees datapoints published with that unit; leave the unit out or make it match the filter.',
    });
  }
  return problems;
}

/** The unit the learner's filter publishes the error metric with (None when unset), if a filter does. */
function publishedUnit(facts: Facts): string | undefined {
  if (!facts.metricFilters.ok) return undefined;
  const publishing = facts.metricFilters.value.map(transformationOf).filter((t) => t?.metricNamespace === METRIC_NAMESPACE && t?.metricName === METRIC_NAME);
  return publishing.length === 1 ? (publishing[0]?.unit ?? 'None') : undefined;
}

interface AlarmJudgement {
  readonly alarm: Alarm;
  readonly watched: WatchedMetric;
  readonly problems: readonly { observed: string; hint: string }[];
  readonly notifies: Notification;
}

/**
 * The learner's best alarm on the error metric: right configuration first, then notifying the topic,
 * then settled state, ties broken by name, so every alarm check judges the same alarm.
 */
function bestAlarm(facts: Facts): { best?: AlarmJudgement; others: readonly Alarm[]; count: number } {
  const alarms = need(facts.alarms);
  const unit = publishedUnit(facts);
  const judged: AlarmJudgement[] = [];
  for (const alarm of alarms.MetricAlarms) {
    const watched = watchedMetric(alarm);
    if (watched) judged.push({ alarm, watched, problems: alarmProblems(alarm, watched, unit), notifies: labNotification(facts, alarm, alarms.CompositeAlarms) });
  }
  const rank = (j: AlarmJudgement): number[] => [-j.problems.length, Number(j.notifies.ok), Number(settled(j.alarm))];
  judged.sort((a, b) => compareRanks(rank(b), rank(a)) || byName(a.alarm.AlarmName, b.alarm.AlarmName));
  const others = alarms.MetricAlarms.filter((a) => !watchedMetric(a));
  return { best: judged[0], others, count: judged.length };
}

function labNotification(facts: Facts, alarm: Alarm, composites: readonly WithIsoDates<CompositeAlarm>[]): Notification {
  return notification(facts.alertTopicArn, alarm, composites);
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

const ERRORS_EXPECTED = (facts: Facts) =>
  `a metric filter on the log group that matches all ${facts.samples.filter((s) => s.level === 'ERROR').length} ERROR sample lines`;

const filterCountsErrors: Check<Facts> = {
  id: 'filter-counts-errors',
  title: 'A metric filter matches every ERROR line',
  points: 20,
  taskStatement: '4.1',
  hint:
    'Create a metric filter on the orders-api log group whose pattern selects the ERROR lines. The lines are JSON; ' +
    'the console\'s "Test pattern" (or aws logs test-metric-filter) shows which sample lines a pattern matches.',
  run(facts): Verdict {
    const pick = bestFilter(facts);
    const { best } = pick;
    if (!best) {
      const gone = facts.logGroup.ok && facts.logGroup.value === null;
      return {
        status: 'FAIL',
        evidence: {
          observed: gone ? `log group ${facts.logGroupName} does not exist` : `no metric filter on log group ${facts.logGroupName}`,
          expected: ERRORS_EXPECTED(facts),
          where: logGroupWhere(facts),
        },
        ...(gone ? { hint: `The lab's log group is gone; run doplab deploy ${LAB_ID} to recreate it.` } : {}),
      };
    }
    const observed = `${quote(best.pattern)} matched ${levelSummary(facts, best.matched)} sample lines${ofMany(pick, best.name)}`;
    const evidence = { observed, expected: ERRORS_EXPECTED(facts), where: logGroupWhere(facts, best.name) };
    if (best.errorsMatched === best.errorsTotal) return { status: 'PASS', evidence };
    const hint =
      best.matched.size === 0
        ? 'The pattern matches none of the sample lines. Filter patterns are case-sensitive, and a JSON pattern compares the whole field value; test it against the sample lines before saving.'
        : 'The pattern misses some ERROR lines; look at what those lines have in common that the others do not.';
    return { status: 'FAIL', evidence, hint };
  },
};

const filterIgnoresOtherLevels: Check<Facts> = {
  id: 'filter-ignores-other-levels',
  title: 'The metric filter matches no INFO or WARN line',
  points: 15,
  taskStatement: '4.1',
  dependsOn: ['filter-counts-errors'],
  hint: 'Count ERROR lines and nothing else: a line is an error because of its level, not because some word appears in it.',
  run(facts): Verdict {
    const pick = bestFilter(facts);
    const best = pick.best!;
    const others = facts.samples.filter((s) => s.level !== 'ERROR');
    const expected = `the filter matches none of the ${others.length} INFO and WARN sample lines`;
    const where = logGroupWhere(facts, best.name);
    if (best.others.length === 0) {
      return { status: 'PASS', evidence: { observed: `${quote(best.pattern)} matched ${levelSummary(facts, best.matched)} sample lines`, expected, where } };
    }
    const observed =
      `${quote(best.pattern)} also matched ${best.others.length} other line${best.others.length > 1 ? 's' : ''}: ` +
      best.others.map((s) => `${s.level} ${excerpt(s.line)}`).join('; ');
    // The traps: an INFO/WARN line whose text mentions ERROR or "error" somewhere other than its level.
    const withoutLevel = (s: SampleEvent) => s.line.replace(`"level":"${s.level}"`, '');
    const upperTrap = best.others.map((s) => /\w*ERROR\w*/.exec(withoutLevel(s))).find((m) => m !== null);
    const lowerTrap = best.others.some((s) => /error/i.test(withoutLevel(s)));
    const hint = upperTrap
      ? `A term pattern matches text anywhere in the line, so a line whose message contains ${upperTrap[0]} counts as an error too. ` +
        'These lines are JSON: select on the value of the level field instead of on a word in the line.'
      : lowerTrap
        ? 'Your pattern also matches lines that merely mention an error in their message. These lines are JSON: select on the value of the level field.'
        : undefined;
    return { status: 'FAIL', evidence: { observed, expected, where }, ...(hint ? { hint } : {}) };
  },
};

const filterPublishesMetric: Check<Facts> = {
  id: 'filter-publishes-metric',
  title: `The filter publishes ${METRIC_NAMESPACE}/${METRIC_NAME}, 1 per line`,
  points: 15,
  taskStatement: '4.2',
  dependsOn: ['filter-counts-errors'],
  hint: `Set the filter's metric details exactly as the task states them: namespace ${METRIC_NAMESPACE}, metric name ${METRIC_NAME}, and a value that adds one per matching line.`,
  run(facts): Verdict {
    const pick = bestFilter(facts);
    const best = pick.best!;
    const where = logGroupWhere(facts, best.name);
    const expected = `metric ${metricLabel}, metric value 1, no dimensions, and no other filter on the log group publishing it`;
    const t = transformationOf(best.filter);
    const observedMetric = t
      ? `metric ${t.metricNamespace} ${t.metricName}, value ${t.metricValue}${t.defaultValue !== undefined ? `, default ${t.defaultValue}` : ''}` +
        `${Object.keys(t.dimensions ?? {}).length ? `, dimensions ${Object.entries(t.dimensions ?? {}).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}` +
        `${t.unit ? `, unit ${t.unit}` : ''}`
      : 'no metric transformation';
    const observed = `filter "${best.name}" publishes ${observedMetric}`;
    if (!t || t.metricNamespace !== METRIC_NAMESPACE || t.metricName !== METRIC_NAME) {
      const caseOnly = t && `${t.metricNamespace}/${t.metricName}`.toLowerCase() === `${METRIC_NAMESPACE}/${METRIC_NAME}`.toLowerCase();
      return {
        status: 'FAIL',
        evidence: { observed, expected, where },
        hint: caseOnly
          ? 'Metric namespaces and names are case-sensitive; compare yours letter by letter with the task.'
          : 'The alarm and the task refer to the metric by namespace and name; they must match the task exactly. Edit the filter\'s metric details.',
      };
    }
    if (Number(t.metricValue) !== 1) {
      return { status: 'FAIL', evidence: { observed, expected, where }, hint: 'The metric value is what each matching line adds; to count lines, each must add one.' };
    }
    if (Object.keys(t.dimensions ?? {}).length > 0) {
      return {
        status: 'FAIL',
        evidence: { observed, expected, where },
        hint: 'Dimensions split the count into one time series per value, and an alarm on the metric without dimensions would see none of them; publish the plain count.',
      };
    }
    const doubles = need(facts.metricFilters).filter((f) => f.filterName !== best.name && publishesErrorMetric(f));
    if (doubles.length > 0) {
      return {
        status: 'FAIL',
        evidence: {
          observed: `${observed}, and so does ${doubles.map((f) => `filter "${f.filterName}" (${quote(f.filterPattern ?? '')})`).join(', ')}: lines matched by both are counted twice`,
          expected,
          where,
        },
        hint: 'Every filter that publishes to the metric adds to it. Keep one filter publishing the error count and delete or repoint the others.',
      };
    }
    return { status: 'PASS', evidence: { observed, expected, where } };
  },
};

const ALARM_EXPECTED =
  `an alarm on ${metricLabel} with statistic ${ALARM_RULES.statistics.join('/')}, a period of ${ALARM_RULES.minPeriodSeconds}–${ALARM_RULES.maxPeriodSeconds} s, ` +
  `firing at between ${ALARM_RULES.minErrorsToFire} and ${ALARM_RULES.maxErrorsToFire} errors per period`;

const alarmOnErrorMetric: Check<Facts> = {
  id: 'alarm-on-error-metric',
  title: 'An alarm watches the error count with a sensible threshold',
  points: 20,
  taskStatement: '4.2',
  hint:
    `Create a CloudWatch alarm on ${metricLabel} (it appears in the console once the filter has published a datapoint, or type it in). ` +
    'Choose the statistic, period and threshold so that it fires within minutes when errors occur.',
  run(facts): Verdict {
    const { best, others, count } = bestAlarm(facts);
    if (!best) {
      const near = others.map((a) => `alarm "${a.AlarmName}" notifies the lab topic but watches ${a.Namespace ?? 'metric math'} ${a.MetricName ?? ''}`.trim());
      return {
        status: 'FAIL',
        evidence: { observed: [`no alarm watches ${metricLabel}`, ...near].join('; '), expected: ALARM_EXPECTED, where: alarmWhere(facts) },
        ...(near.length > 0 ? { hint: `An alarm exists, but on another metric; the alarm must watch ${metricLabel}, the metric your filter publishes.` } : {}),
      };
    }
    const chosen = count > 1 ? ` (best of ${count} alarms on the metric)` : '';
    const where = alarmWhere(facts, best.alarm);
    if (best.problems.length === 0) {
      return { status: 'PASS', evidence: { observed: `alarm "${best.alarm.AlarmName}" watches ${metricLabel}: ${describeAlarm(best.alarm, best.watched)}${chosen}`, expected: ALARM_EXPECTED, where } };
    }
    return {
      status: 'FAIL',
      evidence: {
        observed: `alarm "${best.alarm.AlarmName}" watches ${metricLabel}, but ${best.problems.map((p) => p.observed).join('; ')}${chosen}`,
        expected: ALARM_EXPECTED,
        where,
      },
      hint: best.problems[0].hint,
    };
  },
};

const alarmNotifiesTopic: Check<Facts> = {
  id: 'alarm-notifies-topic',
  title: 'The alarm notifies the lab SNS topic when it fires',
  points: 15,
  taskStatement: '4.2',
  dependsOn: ['alarm-on-error-metric'],
  hint: 'Add a notification action for the ALARM state that sends to the lab\'s SNS topic (its ARN is in the stack outputs, doplab show lists it).',
  run(facts): Verdict {
    const best = bestAlarm(facts).best!;
    const expected = `the alarm notifies ${facts.alertTopicArn} when it goes into ALARM`;
    const where = alarmWhere(facts, best.alarm);
    if (best.notifies.ok) return { status: 'PASS', evidence: { observed: `alarm "${best.alarm.AlarmName}": ${best.notifies.via}`, expected, where } };
    return {
      status: 'FAIL',
      evidence: { observed: `alarm "${best.alarm.AlarmName}": ${best.notifies.observed}`, expected, where },
      ...(best.notifies.hint ? { hint: best.notifies.hint } : {}),
    };
  },
};

const alarmReceivingData: Check<Facts> = {
  id: 'alarm-receiving-data',
  title: 'The alarm receives data from the filter',
  points: 5,
  taskStatement: '4.2',
  dependsOn: ['alarm-on-error-metric', 'filter-publishes-metric'],
  hint:
    'Metric filters only count events ingested after the filter was created; the app logs every minute, so give it a period or two. ' +
    'If it stays without data, compare the alarm\'s namespace, metric name, dimensions and unit with what the filter publishes.',
  run(facts): Verdict {
    const { alarm } = bestAlarm(facts).best!;
    const where = alarmWhere(facts, alarm);
    const since = alarm.StateUpdatedTimestamp ? ` since ${alarm.StateUpdatedTimestamp}` : '';
    const reason = alarm.StateReason ? `: ${alarm.StateReason}` : '';
    const observed = `alarm "${alarm.AlarmName}" is ${alarm.StateValue ?? 'in no state yet'}${since}${reason}`;
    if (settled(alarm)) return { status: 'PASS', evidence: { observed, expected: 'the alarm in OK or ALARM, i.e. evaluating datapoints', where } };
    return {
      status: 'PENDING',
      evidence: {
        observed,
        expected: `waiting for the first datapoints of ${metricLabel} to reach the alarm (OK or ALARM); filters count only lines ingested after they exist`,
        where,
      },
    };
  },
};

const retentionSet: Check<Facts> = {
  id: 'retention-set',
  title: `The log group keeps events for ${RETENTION_DAYS} days`,
  points: 10,
  taskStatement: '4.1',
  hint: 'Log groups keep events forever unless you set a retention; set it on the orders-api log group to the number of days the task states.',
  run(facts): Verdict {
    const group = need(facts.logGroup);
    const where = logGroupWhere(facts);
    const expected = `retention ${RETENTION_DAYS} days`;
    if (!group) {
      return {
        status: 'FAIL',
        evidence: { observed: `log group ${facts.logGroupName} does not exist`, expected, where },
        hint: `The lab's log group is gone; run doplab deploy ${LAB_ID} to recreate it.`,
      };
    }
    if (group.retentionInDays === undefined) {
      return { status: 'FAIL', evidence: { observed: 'retention: never expire (no retention policy)', expected, where } };
    }
    const evidence = { observed: `retention: ${group.retentionInDays} days`, expected, where };
    if (group.retentionInDays === RETENTION_DAYS) return { status: 'PASS', evidence };
    return { status: 'FAIL', evidence, hint: 'A retention is set, but not the one the task states; change it to the stated number of days.' };
  },
};

// ---------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------

export const checker = defineChecker({
  labId: LAB_ID,
  outputs: Outputs,
  actions: ['logs:DescribeMetricFilters', 'logs:TestMetricFilter', 'logs:DescribeLogGroups', 'cloudwatch:DescribeAlarms'],
  factsSchema,
  async gather({ outputs, region, client }): Promise<CloudWatchMetricFiltersFacts> {
    const logs = client(CloudWatchLogsClient);
    const cloudwatch = client(CloudWatchClient);
    const logGroupName = outputs.appLogGroupName;
    const alertTopicArn = outputs.alertTopicArn;
    const samples = SAMPLE_EVENTS.map(({ level, line }) => ({ level, line }));

    // A deleted log group has no filters; retention-set and the filter checks say it is gone.
    const metricFiltersRead = readFact(() => readMetricFilters(logs, logGroupName));
    // Each filter's test starts as soon as the filters are known, without waiting for the other reads.
    const filterTestsRead = metricFiltersRead.then((filters) => (filters.ok ? testFilters(logs, filters.value, samples) : []));
    const logGroupRead = readFact(async () => {
      const groups = await allPages(
        async (token) => {
          const page = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: logGroupName, limit: 50, nextToken: token }));
          return { items: page.logGroups, next: page.nextToken };
        },
        { stop: (items) => items.some((g) => g.logGroupName === logGroupName) },
      );
      return groups.find((g) => g.logGroupName === logGroupName) ?? null;
    });
    const alarmsRead = readFact(() => readLabAlarms(cloudwatch, alertTopicArn));

    const [metricFilters, filterTests, logGroup, alarms] = await Promise.all([metricFiltersRead, filterTestsRead, logGroupRead, alarmsRead]);
    return { region, logGroupName, alertTopicArn, samples, metricFilters, filterTests, logGroup, alarms };
  },
  checks: [filterCountsErrors, filterIgnoresOtherLevels, filterPublishesMetric, alarmOnErrorMetric, alarmNotifiesTopic, alarmReceivingData, retentionSet],
});
