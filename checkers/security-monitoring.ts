// Checker of the security-monitoring lab: SDK only (never aws-cdk-lib), read-only calls.
import { CloudTrailClient, GetTrailCommand, GetTrailStatusCommand, type Trail } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, type MetricFilter, type MetricTransformation } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';
import { z } from 'zod';
import { awsErrorName } from '../lib/aws/errors';
import { defineChecker, type Check, type Verdict } from '../lib/checker';
import { factSchema, need, readFact, type Fact } from '../lib/facts';
import {
  allAlarmsSchema,
  compareRanks,
  filterTestSchema,
  matchedLines,
  METRIC_FILTER_ACTIONS,
  metricFilterSchema,
  notification,
  readAllAlarms,
  readMetricFilters,
  settled,
  testFilter,
  type AllAlarms,
  type FilterTest,
  type Notification,
} from '../lib/metric-filter-facts';
import { byName, jsonified, type WithIsoDates } from '../lib/sdk-facts';
import { CONTROLS, LAB_ID, Outputs, SAMPLE_LINES, type Control } from '../labs/security-monitoring/contract';

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

/** The trail's KMS key: DescribeKey's metadata and its key policy (GetKeyPolicy "default"). */
export interface TrailKey {
  readonly arn: string;
  readonly keyManager?: string;
  readonly keyState?: string;
  readonly policy: string;
}

export interface SecurityMonitoringFacts {
  readonly region: string;
  readonly account: string;
  readonly trailName: string;
  readonly trailArn: string;
  readonly logGroupName: string;
  readonly topicArn: string;
  /** The CloudTrail records sent to TestMetricFilter (every control's positives and negatives). */
  readonly samples: readonly string[];
  /** GetTrail; null when the trail is gone. */
  readonly trail: Fact<Trail | null>;
  /** GetTrailStatus: whether the trail is logging; null when the trail is gone. */
  readonly logging: Fact<boolean | null>;
  /** The trail's key, null when the trail has none (or is gone). */
  readonly key: Fact<TrailKey | null>;
  /** DescribeMetricFilters on the trail's log group. */
  readonly metricFilters: Fact<MetricFilter[]>;
  /** TestMetricFilter of each filter (at most MAX_FILTERS_TESTED) on every sample line. */
  readonly filterTests: readonly FilterTest[];
  /** DescribeAlarms narrowed to alarms on a filter's metric or notifying the security topic. */
  readonly alarms: Fact<AllAlarms>;
}

/** TestMetricFilter calls per gather at most: six controls, and room for a few drafts. */
export const MAX_FILTERS_TESTED = 20;

const schema = z.object({
  region: z.string().min(1),
  account: z.string().min(1),
  trailName: z.string().min(1),
  trailArn: z.string().startsWith('arn:'),
  logGroupName: z.string().min(1),
  topicArn: z.string().startsWith('arn:'),
  samples: z.array(z.string().min(1)).min(1).max(50),
  trail: factSchema(
    z
      .looseObject({
        Name: z.string().optional(),
        TrailARN: z.string().optional(),
        IsMultiRegionTrail: z.boolean().optional(),
        LogFileValidationEnabled: z.boolean().optional(),
        KmsKeyId: z.string().optional(),
        CloudWatchLogsLogGroupArn: z.string().optional(),
      })
      .nullable(),
  ),
  logging: factSchema(z.boolean().nullable()),
  key: factSchema(z.object({ arn: z.string(), keyManager: z.string().optional(), keyState: z.string().optional(), policy: z.string() }).nullable()),
  metricFilters: factSchema(z.array(metricFilterSchema)),
  filterTests: z.array(filterTestSchema),
  alarms: factSchema(allAlarmsSchema),
});
// The schema checks what the checks rely on; the facts type keeps the SDK's own (stricter) shapes.
const factsSchema = schema as unknown as z.ZodType<SecurityMonitoringFacts>;

// ---------------------------------------------------------------------------------------------
// The key policy, evaluated for CloudTrail (KMS key policies are not covered by the IAM simulator)
// ---------------------------------------------------------------------------------------------

/** What CloudTrail's request carries when it uses the key for the trail. */
export interface CloudTrailRequest {
  readonly action: string;
  readonly context: Readonly<Record<string, string>>;
}

/** The two requests CloudTrail makes with the key of trail `trailArn` in `account`. */
export function cloudTrailRequests(trailArn: string, account: string): CloudTrailRequest[] {
  const common = { 'aws:SourceArn': trailArn, 'aws:SourceAccount': account };
  return [
    { action: 'kms:GenerateDataKey', context: { ...common, 'kms:EncryptionContext:aws:cloudtrail:arn': trailArn } },
    { action: 'kms:DescribeKey', context: common },
  ];
}

interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function glob(pattern: string, value: string, ignoreCase: boolean): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, ignoreCase ? 'is' : 's').test(value);
}

function principalIsCloudTrail(principal: unknown): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const p = principal as { Service?: string | string[]; AWS?: string | string[] };
  return list(p.Service).includes('cloudtrail.amazonaws.com') || list(p.AWS).includes('*');
}

/** A condition block's outcome for a request: true (holds), false, or the operator/key it cannot evaluate. */
function conditionHolds(condition: PolicyStatement['Condition'], context: Readonly<Record<string, string>>): true | false | string {
  for (const [rawOperator, keys] of Object.entries(condition ?? {})) {
    const ifExists = rawOperator.endsWith('IfExists');
    const operator = rawOperator.replace(/IfExists$/, '');
    for (const [rawKey, rawValues] of Object.entries(keys)) {
      const key = Object.keys(context).find((k) => k.toLowerCase() === rawKey.toLowerCase());
      const values = list(rawValues).map(String);
      if (operator === 'Null') {
        const wantsAbsent = values.includes('true');
        if ((key === undefined) !== wantsAbsent) return false;
        continue;
      }
      if (!['StringEquals', 'StringLike', 'ArnEquals', 'ArnLike'].includes(operator)) return `${rawOperator} on ${rawKey}`;
      if (!/^(kms:EncryptionContext:|aws:Source(Arn|Account)$)/i.test(rawKey)) return `${rawOperator} on ${rawKey}`;
      if (key === undefined) {
        if (ifExists) continue;
        return false;
      }
      const actual = context[key];
      const like = operator.endsWith('Like');
      if (!values.some((v) => (like ? glob(v, actual, false) : v === actual))) return false;
    }
  }
  return true;
}

/** The outcome of one CloudTrail request against a key policy. */
export interface KeyPolicyVerdict {
  readonly action: string;
  readonly allowed: boolean;
  /** Why not, or which statement allows it. */
  readonly reason: string;
}

/**
 * Evaluates a key policy for CloudTrail's requests (pure): allowed when an Allow statement names CloudTrail (or *),
 * covers the action, and all its conditions hold; refused when none does or a Deny applies. Conditions it cannot
 * evaluate leave an Allow unproven (and are named), so the verdict never overstates access.
 */
export function evaluateKeyPolicy(policyJson: string, requests: readonly CloudTrailRequest[]): KeyPolicyVerdict[] {
  let statements: PolicyStatement[];
  try {
    statements = list((JSON.parse(policyJson) as { Statement?: PolicyStatement | PolicyStatement[] }).Statement);
  } catch {
    return requests.map((r) => ({ action: r.action, allowed: false, reason: 'the key policy is not valid JSON' }));
  }
  return requests.map(({ action, context }) => {
    const applies = (s: PolicyStatement) =>
      s.NotPrincipal === undefined && s.NotAction === undefined && principalIsCloudTrail(s.Principal) && list(s.Action).some((a) => glob(a, action, true));
    const deny = statements.find((s) => s.Effect === 'Deny' && applies(s) && conditionHolds(s.Condition, context) === true);
    if (deny) return { action, allowed: false, reason: `statement ${deny.Sid ?? '(no Sid)'} denies it` };
    const unknowns: string[] = [];
    for (const s of statements.filter((st) => st.Effect === 'Allow' && applies(st))) {
      const holds = conditionHolds(s.Condition, context);
      if (holds === true) return { action, allowed: true, reason: `statement ${s.Sid ?? '(no Sid)'} allows it` };
      if (typeof holds === 'string') unknowns.push(holds);
    }
    const why = unknowns.length > 0 ? `no statement provably allows it (not evaluated: ${unknowns.join(', ')})` : 'no statement allows cloudtrail.amazonaws.com to call it for this trail';
    return { action, allowed: false, reason: why };
  });
}

/** True when an Allow for GenerateDataKey* carries the trail's encryption-context condition (the task's requirement). */
export function conditionsOnEncryptionContext(policyJson: string): boolean {
  try {
    const statements = list((JSON.parse(policyJson) as { Statement?: PolicyStatement | PolicyStatement[] }).Statement);
    return statements.some(
      (s) =>
        s.Effect === 'Allow' &&
        principalIsCloudTrail(s.Principal) &&
        list(s.Action).some((a) => glob(a, 'kms:GenerateDataKey', true)) &&
        Object.values(s.Condition ?? {}).some((keys) => Object.keys(keys).some((k) => k.toLowerCase() === 'kms:encryptioncontext:aws:cloudtrail:arn')),
    );
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Gather
// ---------------------------------------------------------------------------------------------

function gone(error: unknown): boolean {
  return ['TrailNotFoundException', 'NotFoundException'].includes(awsErrorName(error) ?? '');
}

type Alarm = WithIsoDates<MetricAlarm>;

function watchedMetrics(alarm: Alarm): string[] {
  const direct = alarm.MetricName ? [`${alarm.Namespace}/${alarm.MetricName}`] : [];
  return [...direct, ...(alarm.Metrics ?? []).flatMap((q) => (q.MetricStat?.Metric ? [`${q.MetricStat.Metric.Namespace}/${q.MetricStat.Metric.MetricName}`] : []))];
}

function narrow(alarms: AllAlarms, filters: readonly MetricFilter[], topicArn: string): AllAlarms {
  const published = new Set(filters.flatMap((f) => (f.metricTransformations ?? []).map((t) => `${t.metricNamespace}/${t.metricName}`)));
  const actions = (a: { AlarmActions?: string[]; OKActions?: string[]; InsufficientDataActions?: string[] }) => [
    ...(a.AlarmActions ?? []),
    ...(a.OKActions ?? []),
    ...(a.InsufficientDataActions ?? []),
  ];
  return {
    MetricAlarms: alarms.MetricAlarms.filter((a) => actions(a).includes(topicArn) || watchedMetrics(a).some((m) => published.has(m))),
    CompositeAlarms: alarms.CompositeAlarms.filter((c) => actions(c).includes(topicArn)),
  };
}

// ---------------------------------------------------------------------------------------------
// Judging helpers (pure)
// ---------------------------------------------------------------------------------------------

type Facts = SecurityMonitoringFacts;

const logGroupWhere = (facts: Facts) => `log group ${facts.logGroupName} in ${facts.region}`;

function transformation(filter: MetricFilter): MetricTransformation | undefined {
  return filter.metricTransformations?.[0];
}

/** Alarm settings that fire on a single matching event within minutes. */
function firesOnOne(alarm: Alarm): string | undefined {
  const stat = alarm.Statistic ?? alarm.ExtendedStatistic;
  if (alarm.Metrics?.length) return 'it is a metric-math alarm; alarm on the filter metric directly';
  if (stat !== 'Sum' && stat !== 'Maximum') return `statistic ${stat ?? '(none)'}; each event adds 1, so Sum (or Maximum) per period counts them`;
  const t = alarm.Threshold ?? NaN;
  const ok =
    (alarm.ComparisonOperator === 'GreaterThanOrEqualToThreshold' && t > 0 && t <= 1) ||
    (alarm.ComparisonOperator === 'GreaterThanThreshold' && t >= 0 && t < 1);
  if (!ok) return `it fires when the count is ${alarm.ComparisonOperator ?? '?'} ${alarm.Threshold ?? '?'}; a single event must fire it`;
  if ((alarm.Period ?? 0) > 300) return `period ${alarm.Period} s; the team must know within minutes (≤ 300 s)`;
  if ((alarm.Dimensions ?? []).length > 0) return 'it watches the metric with dimensions, a series the filter does not publish';
  return undefined;
}

const alarmRank = (j: { alarm: Alarm; problem?: string; notifies: Notification }) => [Number(!j.problem), Number(j.notifies.ok), Number(settled(j.alarm))];

interface ControlJudgement {
  readonly name: string;
  readonly pattern: string;
  readonly filter: MetricFilter;
  readonly missed: readonly string[];
  readonly wrongly: readonly string[];
  readonly alarm?: Alarm;
  readonly alarmProblem?: string;
  readonly notifies?: Notification;
}

function judgeControl(facts: Facts, control: Control): { best?: ControlJudgement; untested: number } {
  const filters = need(facts.metricFilters);
  const alarms = need(facts.alarms);
  const judged: ControlJudgement[] = [];
  let failedTest: FilterTest | undefined;
  for (const test of facts.filterTests) {
    if (!test.result.ok) {
      failedTest ??= test;
      continue;
    }
    const matched = matchedLines(facts.samples, test.result.value.matches);
    const hit = (line: string) => matched.has(facts.samples.indexOf(line));
    const filter = filters.find((f) => f.filterName === test.filterName) ?? { filterName: test.filterName, filterPattern: test.filterPattern };
    const missed = control.positives.filter((s) => !hit(s.line)).map((s) => s.what);
    if (missed.length === control.positives.length) continue;
    const wrongly = control.negatives.filter((s) => hit(s.line)).map((s) => s.what);
    const t = transformation(filter);
    const onMetric = alarms.MetricAlarms.filter((a) => t && a.Namespace === t.metricNamespace && a.MetricName === t.metricName);
    const ranked = onMetric
      .map((alarm) => ({ alarm, problem: firesOnOne(alarm), notifies: notification(facts.topicArn, alarm, alarms.CompositeAlarms) }))
      .sort((a, b) => compareRanks(alarmRank(b), alarmRank(a)) || byName(a.alarm.AlarmName, b.alarm.AlarmName));
    const top = ranked[0];
    judged.push({ name: test.filterName, pattern: test.filterPattern, filter, missed, wrongly, alarm: top?.alarm, alarmProblem: top?.problem, notifies: top?.notifies });
  }
  const rank = (j: ControlJudgement) => [
    Number(j.missed.length === 0),
    Number(j.wrongly.length === 0),
    Number(transformation(j.filter)?.defaultValue === 0),
    Number(j.alarm !== undefined && !j.alarmProblem && j.notifies?.ok === true),
    -j.missed.length,
    -j.wrongly.length,
  ];
  judged.sort((a, b) => compareRanks(rank(b), rank(a)) || byName(a.name, b.name));
  const best = judged[0];
  // A filter whose test failed might have been the right one: could not decide, not a FAIL.
  if (failedTest && (!best || best.missed.length > 0 || best.wrongly.length > 0)) need(failedTest.result);
  return { best, untested: Math.max(0, filters.length - facts.filterTests.length) };
}

/** Hints for the traps, by what the best filter got wrong. */
function trapHint(control: Control, j: ControlJudgement): string | undefined {
  if (control.id === 'root-usage' && j.wrongly.some((w) => w.includes('AwsServiceEvent'))) {
    return 'Root sign-ins also record AwsServiceEvent records (credential checks) under the root identity; exclude that event type, as the Security Hub pattern does.';
  }
  if (control.id === 'root-usage' && j.wrongly.some((w) => w.includes('invokedBy'))) {
    return 'Calls an AWS service makes on the root identity carry userIdentity.invokedBy; the reference pattern counts only calls where it does not exist.';
  }
  if (control.id === 'unauthorized-api-calls' && j.missed.length > 0) {
    return 'Services spell a refusal differently (Client.UnauthorizedOperation, AccessDenied, AccessDeniedException): a JSON pattern can compare with a wildcard at either end.';
  }
  if (control.id === 'console-signin-without-mfa' && j.wrongly.some((w) => w.includes('Identity Center'))) {
    return 'IAM Identity Center sign-ins record MFAUsed "No" because Identity Center enforces MFA itself; the Security Hub variant counts only IAM users who signed in successfully.';
  }
  return undefined;
}

function cisCheck(control: Control): Check<Facts> {
  const expected =
    `a metric filter on the trail's log group matching all ${control.positives.length} ${control.title.toLowerCase()} samples and none of the ` +
    `${control.negatives.length} lookalikes, publishing 0 when nothing matches, and an alarm on its metric that fires on one event and notifies the security topic`;
  return {
    id: `cis-${control.id}`,
    title: `The security team is alarmed on ${control.title.toLowerCase()} (Security Hub ${control.securityHub})`,
    points: 10,
    taskStatement: '6.3',
    hint:
      `Write a metric filter on the trail's log group for ${control.title.toLowerCase()}; AWS Security Hub control ${control.securityHub} documents a reference pattern. ` +
      'Test it against CloudTrail records (the console\'s "Test pattern"), then alarm on its metric to the security topic.',
    run(facts): Verdict {
      const where = logGroupWhere(facts);
      const { best, untested } = judgeControl(facts, control);
      const more = untested > 0 ? ` (${untested} filters not tested)` : '';
      if (!best) {
        return { status: 'FAIL', evidence: { observed: `no filter on the log group matches any of the ${control.positives.length} samples${more}`, expected, where } };
      }
      const about = `filter "${best.name}" ('${best.pattern}')`;
      if (best.missed.length > 0 || best.wrongly.length > 0) {
        const parts = [
          best.missed.length > 0 ? `misses ${best.missed.join('; ')}` : '',
          best.wrongly.length > 0 ? `also matches ${best.wrongly.join('; ')}` : '',
        ].filter(Boolean);
        const hint = trapHint(control, best);
        return { status: 'FAIL', evidence: { observed: `${about} ${parts.join(', and ')}`, expected, where }, ...(hint ? { hint } : {}) };
      }
      const t = transformation(best.filter);
      if (!t) return { status: 'FAIL', evidence: { observed: `${about} publishes no metric`, expected, where } };
      const metric = `${t.metricNamespace}/${t.metricName}`;
      if (t.defaultValue !== 0) {
        return {
          status: 'FAIL',
          evidence: { observed: `${about} publishes ${metric} with ${t.defaultValue === undefined ? 'no default value' : `default value ${t.defaultValue}`}`, expected, where },
          hint: 'Security events are rare: a filter publishes nothing while nothing matches unless it has a default value, and its alarm stays in INSUFFICIENT_DATA. Publish 0 by default.',
        };
      }
      if (!best.alarm) {
        const typo = need(facts.alarms).MetricAlarms.find(
          (a) => (a.AlarmActions ?? []).includes(facts.topicArn) && a.MetricName && a.MetricName.toLowerCase().replace(/[^a-z0-9]/g, '') === (t.metricName ?? '').toLowerCase().replace(/[^a-z0-9]/g, ''),
        );
        return {
          status: 'FAIL',
          evidence: {
            observed: `${about} publishes ${metric}, but no alarm watches that metric${typo ? `; alarm "${typo.AlarmName}" watches ${typo.Namespace}/${typo.MetricName}` : ''}`,
            expected,
            where: `${where}, alarms in ${facts.region}`,
          },
          ...(typo || need(facts.alarms).MetricAlarms.length > 0
            ? { hint: 'An alarm finds its metric by namespace, name and dimensions exactly (case-sensitive); an alarm on a misspelled metric watches a metric nobody publishes.' }
            : {}),
        };
      }
      const alarmAbout = `alarm "${best.alarm.AlarmName}" on ${metric}`;
      if (best.alarmProblem) {
        return { status: 'FAIL', evidence: { observed: `${alarmAbout}: ${best.alarmProblem}`, expected, where: `alarm ${best.alarm.AlarmName} in ${facts.region}` }, hint: 'Any single occurrence of these events matters: alarm when the count in a period of at most 5 minutes reaches 1.' };
      }
      const n = best.notifies!;
      if (!n.ok) {
        return { status: 'FAIL', evidence: { observed: `${alarmAbout}: ${n.observed}`, expected, where: `alarm ${best.alarm.AlarmName} in ${facts.region}` }, hint: n.hint ?? 'Send the ALARM state to the security topic (its ARN is in the stack outputs).' };
      }
      return { status: 'PASS', evidence: { observed: `${about} matches every sample and no lookalike, publishes ${metric} (default 0); ${alarmAbout}: ${n.via}`, expected, where } };
    },
  };
}

const trailIntegrity: Check<Facts> = {
  id: 'trail-integrity',
  title: 'The trail is multi-region, logging, validated and encrypted with a key CloudTrail may use',
  points: 30,
  taskStatement: '6.3',
  hint: 'Turn on log file validation for the lab trail and give it a customer managed KMS key whose policy lets CloudTrail generate data keys for this trail and describe the key.',
  run(facts): Verdict {
    const trail = need(facts.trail);
    const where = `trail ${facts.trailName} in ${facts.region}`;
    const expected = 'log file validation on, a customer managed KMS key that lets CloudTrail use it for this trail, multi-region, logging';
    if (!trail) return { status: 'FAIL', evidence: { observed: 'the trail does not exist', expected, where }, hint: `The lab's trail is gone; run doplab deploy ${LAB_ID} to recreate it.` };
    const logging = need(facts.logging);
    const key = need(facts.key);
    const problems: { observed: string; hint: string }[] = [];
    if (!trail.LogFileValidationEnabled) {
      problems.push({ observed: 'log file validation is off', hint: 'Log file validation makes CloudTrail deliver signed digest files, so anyone can prove later that no log file was changed or deleted.' });
    }
    if (!trail.KmsKeyId) {
      problems.push({ observed: 'no KMS key (log files are encrypted with S3-managed keys only)', hint: 'Encrypt the log files with a customer managed KMS key: reading them then needs kms:Decrypt as well as s3:GetObject.' });
    } else if (key) {
      if (key.keyManager !== 'CUSTOMER') problems.push({ observed: `key ${key.arn} is ${key.keyManager ?? 'not customer'} managed`, hint: 'Use a customer managed key: its key policy is yours to write.' });
      if (key.keyState && key.keyState !== 'Enabled') problems.push({ observed: `key ${key.arn} is ${key.keyState}`, hint: 'CloudTrail cannot encrypt with a key that is not enabled; log delivery stops.' });
      const verdicts = evaluateKeyPolicy(key.policy, cloudTrailRequests(facts.trailArn, facts.account));
      for (const v of verdicts.filter((x) => !x.allowed)) problems.push({ observed: `the key policy does not let CloudTrail call ${v.action}: ${v.reason}`, hint: 'The key policy must allow cloudtrail.amazonaws.com kms:GenerateDataKey* and kms:DescribeKey.' });
      if (verdicts.every((v) => v.allowed) && !conditionsOnEncryptionContext(key.policy)) {
        problems.push({ observed: 'the key policy lets CloudTrail generate data keys for any encryption context', hint: "Condition CloudTrail's GenerateDataKey* on kms:EncryptionContext:aws:cloudtrail:arn, so the key serves your account's trails only." });
      }
    }
    if (!trail.IsMultiRegionTrail) problems.push({ observed: 'the trail covers one region only', hint: 'A single-region trail misses activity in every other region; make it multi-region.' });
    if (logging === false) problems.push({ observed: 'the trail is not logging', hint: 'A stopped trail records nothing; start logging.' });
    const settings = `validation ${trail.LogFileValidationEnabled ? 'on' : 'off'}, key ${trail.KmsKeyId ?? 'none'}, ${trail.IsMultiRegionTrail ? 'multi-region' : 'single-region'}, ${logging ? 'logging' : 'not logging'}`;
    if (problems.length === 0) return { status: 'PASS', evidence: { observed: `${settings}; the key policy lets CloudTrail use the key for this trail`, expected, where } };
    return { status: 'FAIL', evidence: { observed: `${settings}: ${problems.map((p) => p.observed).join('; ')}`, expected, where }, hint: problems[0].hint };
  },
};

const alarmsReceiveData: Check<Facts> = {
  id: 'alarms-receive-data',
  title: 'Every security alarm evaluates data (has left INSUFFICIENT_DATA)',
  points: 10,
  taskStatement: '4.2',
  dependsOn: CONTROLS.map((c) => `cis-${c.id}`),
  hint: 'A filter with a default value of 0 publishes a datapoint whenever the trail delivers events, so its alarm settles within a few minutes.',
  run(facts): Verdict {
    const alarms = CONTROLS.map((c) => judgeControl(facts, c).best!.alarm!);
    const waiting = alarms.filter((a) => !settled(a));
    const expected = 'every alarm in OK or ALARM';
    const where = `alarms ${alarms.map((a) => a.AlarmName).join(', ')} in ${facts.region}`;
    const observed = alarms.map((a) => `${a.AlarmName}: ${a.StateValue ?? 'no state'}`).join('; ');
    if (waiting.length === 0) return { status: 'PASS', evidence: { observed, expected, where } };
    return {
      status: 'PENDING',
      evidence: { observed, expected: `${expected}; waiting for the trail to deliver events (CloudTrail delivers to CloudWatch Logs within about 5 minutes)`, where },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------

export const checker = defineChecker({
  labId: LAB_ID,
  outputs: Outputs,
  actions: ['cloudtrail:GetTrail', 'cloudtrail:GetTrailStatus', 'kms:DescribeKey', 'kms:GetKeyPolicy', ...METRIC_FILTER_ACTIONS],
  factsSchema,
  async gather({ outputs, region, account, client }): Promise<SecurityMonitoringFacts> {
    const trails = client(CloudTrailClient);
    const kms = client(KMSClient);
    const logs = client(CloudWatchLogsClient);
    const cloudwatch = client(CloudWatchClient);
    const samples = [...SAMPLE_LINES];
    const { trailName, trailArn, trailLogGroupName: logGroupName, securityTopicArn: topicArn } = outputs;

    const trailRead = readFact(async () => {
      try {
        return jsonified((await trails.send(new GetTrailCommand({ Name: trailArn }))).Trail ?? null);
      } catch (error) {
        if (gone(error)) return null;
        throw error;
      }
    });
    const loggingRead = readFact(async () => {
      try {
        return (await trails.send(new GetTrailStatusCommand({ Name: trailArn }))).IsLogging ?? false;
      } catch (error) {
        if (gone(error)) return null;
        throw error;
      }
    });
    const keyRead = trailRead.then((trail) =>
      readFact(async (): Promise<TrailKey | null> => {
        const keyId = need(trail)?.KmsKeyId;
        if (!keyId) return null;
        const [described, policy] = await Promise.all([
          kms.send(new DescribeKeyCommand({ KeyId: keyId })),
          kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' })),
        ]);
        return { arn: described.KeyMetadata?.Arn ?? keyId, keyManager: described.KeyMetadata?.KeyManager, keyState: described.KeyMetadata?.KeyState, policy: policy.Policy ?? '{}' };
      }),
    );
    const filtersRead = readFact(() => readMetricFilters(logs, logGroupName));
    const testsRead = filtersRead.then((filters) =>
      filters.ok ? Promise.all([...filters.value].sort((a, b) => byName(a.filterName, b.filterName)).slice(0, MAX_FILTERS_TESTED).map((f) => testFilter(logs, f, samples))) : [],
    );
    const alarmsRead = readFact(() => readAllAlarms(cloudwatch));
    const [trail, logging, key, metricFilters, filterTests, allAlarms] = await Promise.all([trailRead, loggingRead, keyRead, filtersRead, testsRead, alarmsRead]);
    const alarms: Fact<AllAlarms> = allAlarms.ok ? { ok: true, value: narrow(allAlarms.value, metricFilters.ok ? metricFilters.value : [], topicArn) } : allAlarms;
    return { region, account, trailName, trailArn, logGroupName, topicArn, samples, trail, logging, key, metricFilters, filterTests, alarms };
  },
  checks: [trailIntegrity, ...CONTROLS.map(cisCheck), alarmsReceiveData],
});
