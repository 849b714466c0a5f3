// Metric-filter and alarm reads and judgements shared by the checkers that test learners' filters by behaviour
// (TestMetricFilter on sample lines): cloudwatch-metric-filters and security-monitoring. SDK only, read-only calls.
import { CloudWatchClient, DescribeAlarmsCommand, type CompositeAlarm, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  DescribeMetricFiltersCommand,
  TestMetricFilterCommand,
  type MetricFilter,
  type MetricFilterMatchRecord,
} from '@aws-sdk/client-cloudwatch-logs';
import { z } from 'zod';
import { awsErrorName } from './aws/errors';
import { factSchema, readFact, type Fact } from './facts';
import { allPages, isoDates, type WithIsoDates } from './sdk-facts';

/** The IAM actions the reads below send. */
export const METRIC_FILTER_ACTIONS = ['logs:DescribeMetricFilters', 'logs:TestMetricFilter', 'cloudwatch:DescribeAlarms'] as const;

/** TestMetricFilter accepts at most this many log event messages per call. */
export const TEST_MESSAGES_LIMIT = 50;

/** One metric filter's TestMetricFilter run on every sample line. */
export interface FilterTest {
  readonly filterName: string;
  readonly filterPattern: string;
  /** The TestMetricFilter response: which sample lines the pattern matched. */
  readonly result: Fact<{ readonly matches: MetricFilterMatchRecord[] }>;
}

/** Every alarm of the region, as DescribeAlarms returns them (dates as ISO strings). */
export interface AllAlarms {
  readonly MetricAlarms: WithIsoDates<MetricAlarm>[];
  readonly CompositeAlarms: WithIsoDates<CompositeAlarm>[];
}

// ---------------------------------------------------------------------------------------------
// Schemas: loose objects, so fields the checks read are validated and everything else passes through.
// ---------------------------------------------------------------------------------------------

export const metricTransformationSchema = z.looseObject({
  metricName: z.string().optional(),
  metricNamespace: z.string().optional(),
  metricValue: z.string().optional(),
  defaultValue: z.number().optional(),
  dimensions: z.record(z.string(), z.string()).optional(),
  unit: z.string().optional(),
});

export const metricFilterSchema = z.looseObject({
  filterName: z.string().optional(),
  filterPattern: z.string().optional(),
  logGroupName: z.string().optional(),
  creationTime: z.number().optional(),
  metricTransformations: z.array(metricTransformationSchema).optional(),
});

export const matchRecordSchema = z.looseObject({
  eventNumber: z.number().optional(),
  eventMessage: z.string().optional(),
  extractedValues: z.record(z.string(), z.string()).optional(),
});

export const filterTestSchema = z.object({
  filterName: z.string(),
  filterPattern: z.string(),
  result: factSchema(z.looseObject({ matches: z.array(matchRecordSchema) })),
});

export const dimensionSchema = z.looseObject({ Name: z.string().optional(), Value: z.string().optional() });

export const metricDataQuerySchema = z.looseObject({
  Id: z.string().optional(),
  Expression: z.string().optional(),
  ReturnData: z.boolean().optional(),
  Period: z.number().optional(),
  MetricStat: z
    .looseObject({
      Metric: z
        .looseObject({
          Namespace: z.string().optional(),
          MetricName: z.string().optional(),
          Dimensions: z.array(dimensionSchema).optional(),
        })
        .optional(),
      Period: z.number().optional(),
      Stat: z.string().optional(),
      Unit: z.string().optional(),
    })
    .optional(),
});

const actionsFields = {
  AlarmName: z.string().optional(),
  AlarmArn: z.string().optional(),
  ActionsEnabled: z.boolean().optional(),
  AlarmActions: z.array(z.string()).optional(),
  OKActions: z.array(z.string()).optional(),
  InsufficientDataActions: z.array(z.string()).optional(),
  StateValue: z.string().optional(),
  StateReason: z.string().optional(),
  StateUpdatedTimestamp: z.string().optional(),
};

export const metricAlarmSchema = z.looseObject({
  ...actionsFields,
  Namespace: z.string().optional(),
  MetricName: z.string().optional(),
  Statistic: z.string().optional(),
  ExtendedStatistic: z.string().optional(),
  Dimensions: z.array(dimensionSchema).optional(),
  Period: z.number().optional(),
  Unit: z.string().optional(),
  EvaluationPeriods: z.number().optional(),
  DatapointsToAlarm: z.number().optional(),
  Threshold: z.number().optional(),
  ComparisonOperator: z.string().optional(),
  TreatMissingData: z.string().optional(),
  Metrics: z.array(metricDataQuerySchema).optional(),
  ThresholdMetricId: z.string().optional(),
});

export const compositeAlarmSchema = z.looseObject({ ...actionsFields, AlarmRule: z.string().optional() });

export const allAlarmsSchema = z.object({ MetricAlarms: z.array(metricAlarmSchema), CompositeAlarms: z.array(compositeAlarmSchema) });

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

/** DescribeMetricFilters on a log group, every page; a deleted log group has no filters. */
export async function readMetricFilters(logs: CloudWatchLogsClient, logGroupName: string): Promise<MetricFilter[]> {
  try {
    return await allPages(async (token) => {
      const page = await logs.send(new DescribeMetricFiltersCommand({ logGroupName, limit: 50, nextToken: token }));
      return { items: page.metricFilters, next: page.nextToken };
    });
  } catch (error) {
    if (awsErrorName(error) === 'ResourceNotFoundException') return [];
    throw error;
  }
}

/** TestMetricFilter of one filter's pattern on the sample lines (at most TEST_MESSAGES_LIMIT of them). */
export async function testFilter(logs: CloudWatchLogsClient, filter: MetricFilter, lines: readonly string[]): Promise<FilterTest> {
  if (lines.length > TEST_MESSAGES_LIMIT) throw new Error(`TestMetricFilter takes at most ${TEST_MESSAGES_LIMIT} lines, not ${lines.length}.`);
  const filterPattern = filter.filterPattern ?? '';
  const result = await readFact(async () => {
    const response = await logs.send(new TestMetricFilterCommand({ filterPattern, logEventMessages: [...lines] }));
    return { matches: response.matches ?? [] };
  });
  return { filterName: filter.filterName ?? '', filterPattern, result };
}

/** DescribeAlarms, every page, metric and composite alarms (without AlarmTypes it returns metric alarms only). */
export async function readAllAlarms(cloudwatch: CloudWatchClient): Promise<AllAlarms> {
  const pages = await allPages(async (token) => {
    const page = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100, NextToken: token }),
    );
    return { items: [page], next: page.NextToken };
  });
  return {
    MetricAlarms: pages.flatMap((p) => p.MetricAlarms ?? []).map(isoDates),
    CompositeAlarms: pages.flatMap((p) => p.CompositeAlarms ?? []).map(isoDates),
  };
}

// ---------------------------------------------------------------------------------------------
// Judging helpers (pure)
// ---------------------------------------------------------------------------------------------

type Alarm = WithIsoDates<MetricAlarm>;

/** Indexes of the sample lines a TestMetricFilter response matched, by raw message (every sample line is distinct). */
export function matchedLines(lines: readonly string[], matches: readonly MetricFilterMatchRecord[]): Set<number> {
  const matched = new Set<number>();
  for (const match of matches) {
    const index = lines.indexOf(match.eventMessage ?? '');
    if (index >= 0) matched.add(index);
  }
  return matched;
}

/** The alarm action lists, all states together. */
export function actionLists(alarm: { AlarmActions?: string[]; OKActions?: string[]; InsufficientDataActions?: string[] }): string[] {
  return [...(alarm.AlarmActions ?? []), ...(alarm.OKActions ?? []), ...(alarm.InsufficientDataActions ?? [])];
}

/** An alarm that evaluates datapoints (OK or ALARM), i.e. has left INSUFFICIENT_DATA. */
export function settled(alarm: { StateValue?: string }): boolean {
  return alarm.StateValue === 'OK' || alarm.StateValue === 'ALARM';
}

/** True when a composite rule is ALARM(x) or an OR of ALARM(...) terms, one of them this alarm. */
export function compositeFiresWith(rule: string, alarm: Alarm): boolean {
  const terms = rule
    .trim()
    .replace(/^\((.*)\)$/s, '$1')
    .split(/\s+OR\s+/i)
    .map((t) => t.trim().replace(/^\((.*)\)$/s, '$1').trim());
  const named = terms.map((t) => /^ALARM\(\s*"?([^")]+?)"?\s*\)$/i.exec(t)?.[1]);
  if (named.some((n) => n === undefined)) return false;
  return named.some((n) => n === alarm.AlarmName || n === alarm.AlarmArn);
}

export type Notification = { ok: true; via: string } | { ok: false; observed: string; hint?: string };

/** Whether an alarm going into ALARM notifies the topic, directly or through a composite alarm. */
export function notification(topic: string, alarm: Alarm, composites: readonly WithIsoDates<CompositeAlarm>[]): Notification {
  const onAlarm = alarm.AlarmActions ?? [];
  if (onAlarm.includes(topic) && alarm.ActionsEnabled !== false) return { ok: true, via: `its AlarmActions include ${topic}` };
  const composite = composites.find(
    (c) => (c.AlarmActions ?? []).includes(topic) && c.ActionsEnabled !== false && compositeFiresWith(c.AlarmRule ?? '', alarm),
  );
  if (composite) return { ok: true, via: `composite alarm "${composite.AlarmName}" (${composite.AlarmRule}) notifies ${topic}` };
  if (onAlarm.includes(topic)) {
    return { ok: false, observed: 'its AlarmActions include the lab topic, but its actions are disabled', hint: 'An alarm with actions disabled changes state silently; enable its actions.' };
  }
  const elsewhere = [
    (alarm.OKActions ?? []).includes(topic) ? 'OK' : undefined,
    (alarm.InsufficientDataActions ?? []).includes(topic) ? 'INSUFFICIENT_DATA' : undefined,
  ].filter(Boolean);
  if (elsewhere.length > 0) {
    return {
      ok: false,
      observed: `it notifies the lab topic on ${elsewhere.join(' and ')} only`,
      hint: 'Notifications are configured per state; the on-call person needs one when the alarm goes into ALARM.',
    };
  }
  if (onAlarm.length > 0) return { ok: false, observed: `its AlarmActions are ${onAlarm.join(', ')}` };
  return { ok: false, observed: 'it has no AlarmActions' };
}

/** Lexicographic comparison of two rank vectors (higher is better). */
export function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}
