// Facts of the security-monitoring lab shaped like real API responses, for the checker tests and the shipped examples.
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { MetricFilter } from '@aws-sdk/client-cloudwatch-logs';
import type { SecurityMonitoringFacts } from '../../checkers/security-monitoring';
import { CONTROLS, SAMPLE_LINES, TRAIL_LOG_GROUP_NAME, TRAIL_NAME, type ControlId } from '../../labs/security-monitoring/contract';
import { SOLUTION_FILTERS, SOLUTION_NAMESPACE, solutionKeyPolicy } from '../../labs/security-monitoring/solution';
import type { WithIsoDates } from '../../lib/sdk-facts';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const TRAIL_ARN = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/${TRAIL_NAME}`;
export const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:DopLab-security-monitoring-security`;
export const BUCKET = 'doplab-security-monitoring-trailbucketa831ce63-1x2y3z4w5v6u';
export const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const LOG_GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${TRAIL_LOG_GROUP_NAME}`;

export const OUTPUTS = {
  TrailName: TRAIL_NAME,
  TrailArn: TRAIL_ARN,
  TrailLogGroupName: TRAIL_LOG_GROUP_NAME,
  TrailBucketName: BUCKET,
  SecurityTopicArn: TOPIC_ARN,
};

/** GetTrail's Trail for the lab trail, as deployed (validation off, no key) unless overridden. */
export function trail(overrides: Record<string, unknown> = {}) {
  return {
    Name: TRAIL_NAME,
    S3BucketName: BUCKET,
    IncludeGlobalServiceEvents: true,
    IsMultiRegionTrail: true,
    HomeRegion: REGION,
    TrailARN: TRAIL_ARN,
    LogFileValidationEnabled: false,
    CloudWatchLogsLogGroupArn: `${LOG_GROUP_ARN}:*`,
    CloudWatchLogsRoleArn: `arn:aws:iam::${ACCOUNT}:role/DopLab-security-monitoring-TrailLogsRole5D0F5A2E-AbCdEfGh1234`,
    HasCustomEventSelectors: true,
    HasInsightSelectors: false,
    IsOrganizationTrail: false,
    ...overrides,
  };
}

/** The TestMetricFilter matches of a pattern that matches exactly these sample lines. */
export function matchesOf(lines: readonly string[]) {
  return lines.map((line) => ({ eventNumber: SAMPLE_LINES.indexOf(line) + 1, eventMessage: line, extractedValues: {} }));
}

/** A learner filter as DescribeMetricFilters returns it. */
export function filter(name: string, pattern: string, metricName: string, defaultValue: number | undefined = 0): MetricFilter {
  return {
    filterName: name,
    filterPattern: pattern,
    metricTransformations: [{ metricName, metricNamespace: SOLUTION_NAMESPACE, metricValue: '1', ...(defaultValue === undefined ? {} : { defaultValue }) }],
    creationTime: 1795773600000,
    logGroupName: TRAIL_LOG_GROUP_NAME,
    applyOnTransformedLogs: false,
  } as MetricFilter;
}

/** A learner alarm as DescribeAlarms returns it (dates as ISO strings). */
export function alarm(name: string, metricName: string, overrides: Partial<WithIsoDates<MetricAlarm>> = {}): WithIsoDates<MetricAlarm> {
  return {
    AlarmName: name,
    AlarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`,
    AlarmConfigurationUpdatedTimestamp: '2026-11-27T10:20:11.402Z',
    ActionsEnabled: true,
    OKActions: [],
    AlarmActions: [TOPIC_ARN],
    InsufficientDataActions: [],
    StateValue: 'OK',
    StateReason: 'Threshold Crossed: 1 datapoint [0.0 (27/11/26 10:25:00)] was not greater than or equal to the threshold (1.0).',
    StateUpdatedTimestamp: '2026-11-27T10:31:02.118Z',
    StateTransitionedTimestamp: '2026-11-27T10:31:02.118Z',
    MetricName: metricName,
    Namespace: SOLUTION_NAMESPACE,
    Statistic: 'Sum',
    Dimensions: [],
    Period: 300,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
    ...overrides,
  };
}

const controlOf = (id: ControlId) => CONTROLS.find((c) => c.id === id)!;

/** The starting state: the trail as deployed, no filter, no alarm. */
export function startingFacts(): SecurityMonitoringFacts {
  return {
    region: REGION,
    account: ACCOUNT,
    trailName: TRAIL_NAME,
    trailArn: TRAIL_ARN,
    logGroupName: TRAIL_LOG_GROUP_NAME,
    topicArn: TOPIC_ARN,
    samples: [...SAMPLE_LINES],
    trail: { ok: true, value: trail() },
    logging: { ok: true, value: true },
    key: { ok: true, value: null },
    metricFilters: { ok: true, value: [] },
    filterTests: [],
    alarms: { ok: true, value: { MetricAlarms: [], CompositeAlarms: [] } },
  };
}

/** The solved state: the solution's key, filters and alarms, every alarm OK. */
export function solvedFacts(): SecurityMonitoringFacts {
  const ids = Object.keys(SOLUTION_FILTERS) as ControlId[];
  return {
    ...startingFacts(),
    trail: { ok: true, value: trail({ LogFileValidationEnabled: true, KmsKeyId: KEY_ARN }) },
    key: { ok: true, value: { arn: KEY_ARN, keyManager: 'CUSTOMER', keyState: 'Enabled', policy: solutionKeyPolicy('aws', ACCOUNT, TRAIL_ARN) } },
    metricFilters: { ok: true, value: ids.map((id) => filter(id, SOLUTION_FILTERS[id].pattern, SOLUTION_FILTERS[id].metricName)) },
    // The reference patterns match their own control's positives and nothing else of the samples.
    filterTests: [...ids]
      .sort()
      .map((id) => ({ filterName: id, filterPattern: SOLUTION_FILTERS[id].pattern, result: { ok: true as const, value: { matches: matchesOf(controlOf(id).positives.map((p) => p.line)) } } })),
    alarms: { ok: true, value: { MetricAlarms: ids.map((id) => alarm(`security-${id}`, SOLUTION_FILTERS[id].metricName)), CompositeAlarms: [] } },
  };
}

/** A facts file around the facts. */
export function factsFile(facts: SecurityMonitoringFacts, gatheredAt: string) {
  return {
    format: 'doplab-facts/1',
    lab: 'security-monitoring',
    account: ACCOUNT,
    region: REGION,
    gatheredAt,
    stack: { name: 'DopLab-security-monitoring', status: 'CREATE_COMPLETE', outputs: OUTPUTS },
    facts,
  };
}
