// Checker of the eventbridge-incidents lab: SDK only (never aws-cdk-lib), read-only calls.
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListArchivesCommand,
  ListReplaysCommand,
  ListRuleNamesByTargetCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  TestEventPatternCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { defineChecker, type Check, type Verdict } from '../lib/checker';
import { awsErrorName } from '../lib/aws/errors';
import { factSchema, need, readFact, type Fact } from '../lib/facts';
import { allPages, byName, partitionOf } from '../lib/sdk-facts';
import {
  ALARM_EVERY_MINUTES,
  ALARM_NAME,
  ARCHIVE_RETENTION_DAYS,
  LAB_ID,
  MAX_EVENT_AGE_SECONDS,
  ON_CALL_LINE,
  Outputs,
  SAMPLE_EVENTS,
  alarmStateChange,
  onCallLine,
  sampleEnvelope,
  type PaymentEvent,
} from '../labs/eventbridge-incidents/contract';
import { asExpected, deliveryProbes, simulateDelivery, type DeliveryDecision } from '../labs/eventbridge-incidents/delivery-policy';
import { applyInputTransformer } from '../labs/eventbridge-incidents/input-transformer';

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

/** A sample event as sent to TestEventPattern. */
export interface SampleFact {
  readonly label: string;
  /** Whether on-call must be paged for it (the rule must match it). */
  readonly page: boolean;
  readonly event: PaymentEvent;
}

/** A queue as a rule's dead-letter configuration names it. */
export interface DeadLetterQueueFact {
  readonly arn: string;
  /** Whether the queue exists, and its policy (null: none). */
  readonly policy: Fact<{ readonly exists: boolean; readonly policy: string | null }>;
}

/** Sums of a rule's AWS/Events metrics over the window. */
export interface RuleMetrics {
  readonly invocations: number;
  readonly failedInvocations: number;
  /** FailedInvocations in the last RECENT_MINUTES minutes before gatheredAt. */
  readonly recentFailedInvocations: number;
}

/** A rule on the lab bus, its targets and how its pattern treats the samples. */
export interface BusRule {
  readonly name: string;
  readonly arn: string;
  readonly state?: string;
  readonly eventPattern?: string;
  readonly targets: Fact<Target[]>;
  /** TestEventPattern on each sample, in samples order; null when not tested (no pattern, or beyond MAX_RULES_TESTED). */
  readonly matches: Fact<boolean[]> | null;
  /** The dead-letter queue of the rule's queue target, when it has one. */
  readonly deadLetterQueue: DeadLetterQueueFact | null;
  /** The rule's metrics; null unless the rule targets the queue. */
  readonly metrics: Fact<RuleMetrics> | null;
}

/** How a default-bus rule that targets the handler treats alarm state changes. */
export interface AlarmRule {
  readonly name: string;
  readonly arn?: string;
  readonly state?: string;
  readonly eventPattern?: string;
  /** TestEventPattern: the lab alarm going to ALARM, the lab alarm going to OK, another alarm going to ALARM. */
  readonly matches: Fact<{ readonly alarm: boolean; readonly ok: boolean; readonly otherAlarm: boolean }> | null;
  readonly metrics: Fact<{ readonly invocations: number; readonly failedInvocations: number }>;
}

/** An archive of the lab bus and its replays. */
export interface ArchiveFact {
  readonly name: string;
  readonly state?: string;
  readonly retentionDays?: number;
  readonly replays: Fact<{ readonly name: string; readonly state?: string; readonly startedAt?: string }[]>;
}

/** What gather reads; each AWS read is a Fact so one failure only ERRORs the checks that need it. */
export interface EventBridgeIncidentsFacts {
  readonly region: string;
  readonly account: string;
  readonly gatheredAt: string;
  /** Start of the metrics window: the stack's creation, at most a day back. */
  readonly since: string;
  readonly eventBusName: string;
  readonly eventBusArn: string;
  readonly incidentQueueArn: string;
  readonly onCallTopicArn: string;
  readonly handlerFunctionArn: string;
  readonly handlerFunctionName: string;
  readonly alarmArn: string;
  readonly samples: readonly SampleFact[];
  /** ListRules on the lab bus, every page, each rule with its targets and tests. */
  readonly busRules: Fact<BusRule[]>;
  /** GetQueueAttributes of the incident queue. */
  readonly incidentQueue: Fact<{ readonly policy: string | null; readonly messages: number }>;
  /** GetTopicAttributes of the on-call topic. */
  readonly onCallTopic: Fact<{ readonly policy: string | null }>;
  /** Rules on the default bus that target the handler (ListRuleNamesByTarget, DescribeRule). */
  readonly alarmRules: Fact<AlarmRule[]>;
  /** The handler's AWS/Lambda Invocations over the window. */
  readonly handlerInvocations: Fact<number>;
  /** ListArchives of the lab bus, with each archive's replays. */
  readonly archives: Fact<ArchiveFact[]>;
}

/** Rules on the lab bus whose pattern gather tests at most (10 TestEventPattern calls each). */
export const MAX_RULES_TESTED = 5;
/** Rules on the lab bus whose targets gather reads at most. */
export const MAX_RULES_READ = 20;
/** How far back a failed delivery still fails deliveries-happen, in minutes. */
export const RECENT_MINUTES = 5;

const looseString = z.string().optional();
const targetSchema = z.looseObject({
  Id: z.string(),
  Arn: z.string(),
  Input: looseString,
  InputPath: looseString,
  InputTransformer: z.looseObject({ InputPathsMap: z.record(z.string(), z.string()).optional(), InputTemplate: z.string() }).optional(),
  DeadLetterConfig: z.looseObject({ Arn: looseString }).optional(),
  RetryPolicy: z.looseObject({ MaximumRetryAttempts: z.number().optional(), MaximumEventAgeInSeconds: z.number().optional() }).optional(),
});
const ruleMetricsSchema = z.object({ invocations: z.number(), failedInvocations: z.number(), recentFailedInvocations: z.number() });

const schema = z.object({
  region: z.string().min(1),
  account: z.string().min(1),
  gatheredAt: z.iso.datetime(),
  since: z.iso.datetime(),
  eventBusName: z.string().min(1),
  eventBusArn: z.string().startsWith('arn:'),
  incidentQueueArn: z.string().startsWith('arn:'),
  onCallTopicArn: z.string().startsWith('arn:'),
  handlerFunctionArn: z.string().startsWith('arn:'),
  handlerFunctionName: z.string().min(1),
  alarmArn: z.string().startsWith('arn:'),
  samples: z.array(z.object({ label: z.string(), page: z.boolean(), event: z.looseObject({ 'detail-type': z.string(), detail: z.looseObject({}) }) })).min(1),
  busRules: factSchema(
    z.array(
      z.object({
        name: z.string(),
        arn: z.string(),
        state: looseString,
        eventPattern: looseString,
        targets: factSchema(z.array(targetSchema)),
        matches: factSchema(z.array(z.boolean())).nullable(),
        deadLetterQueue: z
          .object({
            arn: z.string(),
            policy: factSchema(z.object({ exists: z.boolean(), policy: z.string().nullable() })),
          })
          .nullable(),
        metrics: factSchema(ruleMetricsSchema).nullable(),
      }),
    ),
  ),
  incidentQueue: factSchema(z.object({ policy: z.string().nullable(), messages: z.number() })),
  onCallTopic: factSchema(z.object({ policy: z.string().nullable() })),
  alarmRules: factSchema(
    z.array(
      z.object({
        name: z.string(),
        arn: looseString,
        state: looseString,
        eventPattern: looseString,
        matches: factSchema(z.object({ alarm: z.boolean(), ok: z.boolean(), otherAlarm: z.boolean() })).nullable(),
        metrics: factSchema(z.object({ invocations: z.number(), failedInvocations: z.number() })),
      }),
    ),
  ),
  handlerInvocations: factSchema(z.number()),
  archives: factSchema(
    z.array(
      z.object({
        name: z.string(),
        state: looseString,
        retentionDays: z.number().optional(),
        replays: factSchema(z.array(z.object({ name: z.string(), state: looseString, startedAt: looseString }))),
      }),
    ),
  ),
});

// The schema checks what the checks rely on and passes the rest through, while the facts type keeps the SDK's own shapes.
const factsSchema = schema as unknown as z.ZodType<EventBridgeIncidentsFacts>;

// ---------------------------------------------------------------------------------------------
// Gather
// ---------------------------------------------------------------------------------------------

/** An alarm that is not the lab's, for the "only this alarm" probe. */
const OTHER_ALARM_NAME = 'billing-estimated-charges';

interface MetricSpec {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** Sums of each metric (Sum, 1-minute periods) over [since, now], and over the last RECENT_MINUTES. */
async function metricSums(cloudwatch: CloudWatchClient, specs: readonly MetricSpec[], since: Date, now: Date) {
  const sums = new Map<string, { total: number; recent: number }>(specs.map((s) => [s.id, { total: 0, recent: 0 }]));
  if (specs.length === 0) return sums;
  const queries: MetricDataQuery[] = specs.map((s) => ({
    Id: s.id,
    MetricStat: {
      Metric: { Namespace: s.namespace, MetricName: s.name, Dimensions: Object.entries(s.dimensions).map(([Name, Value]) => ({ Name, Value })) },
      Period: 60,
      Stat: 'Sum',
    },
    ReturnData: true,
  }));
  const recentFrom = now.getTime() - RECENT_MINUTES * 60_000;
  const results = await allPages(async (token) => {
    const page = await cloudwatch.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: since, EndTime: now, NextToken: token }));
    return { items: page.MetricDataResults, next: page.NextToken };
  });
  for (const r of results) {
    const sum = sums.get(r.Id ?? '');
    if (!sum) continue;
    (r.Values ?? []).forEach((value, i) => {
      sum.total += value;
      if ((r.Timestamps?.[i]?.getTime() ?? 0) >= recentFrom) sum.recent += value;
    });
  }
  return sums;
}

async function testPattern(events: EventBridgeClient, pattern: string, event: object): Promise<boolean> {
  const response = await events.send(new TestEventPatternCommand({ EventPattern: pattern, Event: JSON.stringify(event) }));
  return response.Result === true;
}

/** What SQS answers for a queue that does not exist (JSON protocol, and the older query protocol's code). */
const NO_QUEUE = ['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'];

function queueNameOf(arn: string): { name: string; account: string } {
  const [, , , , account, name] = arn.split(':');
  return { name: name ?? '', account: account ?? '' };
}

/** The rule's target that is the incident queue, if any. */
function queueTargetOf(targets: Fact<Target[]>, queueArn: string): Target | undefined {
  return targets.ok ? targets.value.find((t) => t.Arn === queueArn) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Judging helpers (pure)
// ---------------------------------------------------------------------------------------------

type Facts = EventBridgeIncidentsFacts;

const busWhere = (facts: Facts, rule?: string) =>
  rule === undefined ? `event bus ${facts.eventBusName} in ${facts.region}` : `rule "${rule}" on event bus ${facts.eventBusName} in ${facts.region}`;

interface PatternJudgement {
  readonly rule: BusRule;
  readonly matched: readonly boolean[];
  readonly missed: readonly SampleFact[];
  readonly extra: readonly SampleFact[];
  readonly targetsLab: boolean;
}

function targetsLab(facts: Facts, rule: BusRule): boolean {
  return rule.targets.ok && rule.targets.value.some((t) => t.Arn === facts.incidentQueueArn || t.Arn === facts.onCallTopicArn);
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** The learner's best rule for the pattern: right on every sample first, then targeting lab resources, then most right. */
function bestPattern(facts: Facts): { best?: PatternJudgement; count: number } {
  const rules = need(facts.busRules);
  const judged: PatternJudgement[] = [];
  const failed: Fact<boolean[]>[] = [];
  for (const rule of rules) {
    if (!rule.matches) continue;
    if (!rule.matches.ok) {
      failed.push(rule.matches);
      continue;
    }
    const matched = rule.matches.value;
    judged.push({
      rule,
      matched,
      missed: facts.samples.filter((s, i) => s.page && !matched[i]),
      extra: facts.samples.filter((s, i) => !s.page && matched[i]),
      targetsLab: targetsLab(facts, rule),
    });
  }
  const right = (j: PatternJudgement) => j.missed.length === 0 && j.extra.length === 0;
  const rank = (j: PatternJudgement) => [Number(right(j)), Number(j.targetsLab), -(j.missed.length + j.extra.length)];
  judged.sort((a, b) => compareRanks(rank(b), rank(a)) || byName(a.rule.name, b.rule.name));
  // A rule whose test failed might have been the right one: that is "could not decide", not a FAIL.
  if (failed.length > 0 && !(judged[0] && right(judged[0]))) need(failed[0]);
  return { best: judged[0], count: judged.length };
}

function labels(samples: readonly SampleFact[]): string {
  return samples.map((s) => s.label).join(', ');
}

function patternHint(j: PatternJudgement): string | undefined {
  const caseOnly = j.missed.length > 0 && j.missed.every((s) => s.event.detail.severity !== s.event.detail.severity.toUpperCase());
  if (caseOnly) {
    return (
      'Event patterns compare values exactly, case included, and the legacy client sends severities in lower and mixed case. ' +
      'EventBridge content filtering has a comparison that ignores case.'
    );
  }
  if (j.extra.some((s) => s.event['detail-type'] !== 'Payment Failed' && s.event['detail-type'].startsWith('Payment Failed'))) {
    return 'Your pattern also matches the lookalike "Payment Failed Retry": a prefix filter matches every detail-type that starts with it. Match the failed-payment detail-type exactly.';
  }
  if (j.extra.some((s) => s.event['detail-type'] === 'Payment Succeeded')) {
    return 'A successful payment carries a severity too: filter on the detail-type as well as on the severity.';
  }
  if (j.extra.length > 0) return 'The pattern matches failures of low severity: filter on detail.severity too.';
  return undefined;
}

/** What is wrong with a delivery policy, as evidence and a hint; undefined when it is right. */
function policyProblem(what: string, decisions: readonly DeliveryDecision[]): { observed: string; hint: string } | undefined {
  const error = decisions.find((d) => d.decision === 'Error');
  if (error) return { observed: `${what}'s policy could not be evaluated: ${error.error}`, hint: `Fix the ${what}'s resource policy: it must be a valid IAM policy document.` };
  const wrong = decisions.filter((d) => !asExpected(d));
  if (wrong.length === 0) return undefined;
  const observed = `${what}'s policy: ${wrong.map((d) => `${d.label} (${d.action}) → ${d.decision}, expected ${d.expect}`).join('; ')}`;
  const first = wrong[0];
  if (first.expect === 'Allowed') {
    return {
      observed,
      hint:
        `EventBridge delivers to the ${what} as the service principal events.amazonaws.com, and only if the ${what}'s resource ` +
        'policy lets it; without that, every delivery fails (FailedInvocations) and nobody is told. Grant it on the resource.',
    };
  }
  if (first.sourceArn.endsWith('someone-elses-rule')) {
    return { observed, hint: `Any rule could deliver through this grant: condition it on the ARN of your rule (aws:SourceArn), not on the account or the bus.` };
  }
  return { observed, hint: `Grant EventBridge only the action delivery needs on the ${what}, nothing more.` };
}

function retryProblem(target: Target): string | undefined {
  const age = target.RetryPolicy?.MaximumEventAgeInSeconds;
  if (age === undefined) return 'no retry policy with a maximum event age (the default keeps retrying for 24 hours)';
  if (age > MAX_EVENT_AGE_SECONDS) return `retry policy keeps events for ${age} s`;
  return undefined;
}

interface QueueJudgement {
  readonly rule: BusRule;
  readonly target: Target;
  readonly problems: readonly { observed: string; hint: string }[];
}

function judgeQueueTarget(facts: Facts, rule: BusRule, target: Target): QueueJudgement {
  const problems: { observed: string; hint: string }[] = [];
  const dlq = target.DeadLetterConfig?.Arn;
  if (!dlq) {
    problems.push({
      observed: 'the queue target has no dead-letter queue',
      hint: 'Events EventBridge cannot deliver after its retries are dropped unless the target has a dead-letter queue (an SQS queue of its own).',
    });
  } else if (dlq === facts.incidentQueueArn) {
    problems.push({ observed: 'the dead-letter queue is the incident queue itself', hint: 'A dead-letter queue must be another queue: if the target cannot take the event, neither can its dead-letter queue.' });
  }
  const retry = retryProblem(target);
  if (retry) {
    problems.push({
      observed: retry,
      hint: `Set a retry policy on the target whose maximum event age is at most ${MAX_EVENT_AGE_SECONDS / 3600} h: an incident older than that is no use to on-call.`,
    });
  }
  const queuePolicy = need(facts.incidentQueue).policy;
  const queue = policyProblem('queue', simulateDelivery(queuePolicy, facts.incidentQueueArn, facts.account, deliveryProbes('queue', rule.arn)));
  if (queue) problems.push(queue);
  if (dlq && dlq !== facts.incidentQueueArn && rule.deadLetterQueue?.arn === dlq) {
    const dead = rule.deadLetterQueue;
    const read = need(dead.policy);
    if (!read.exists) {
      problems.push({ observed: `dead-letter queue ${dlq} does not exist`, hint: 'Point the dead-letter configuration at a queue that exists, in this account and region.' });
    } else {
      const deadProblem = policyProblem('dead-letter queue', simulateDelivery(read.policy, dlq, facts.account, deliveryProbes('queue', rule.arn)));
      if (deadProblem) problems.push(deadProblem);
    }
  }
  return { rule, target, problems };
}

function bestQueueTarget(facts: Facts): QueueJudgement | undefined {
  const judged: QueueJudgement[] = [];
  for (const rule of need(facts.busRules)) {
    const target = queueTargetOf(rule.targets, facts.incidentQueueArn);
    if (target) judged.push(judgeQueueTarget(facts, rule, target));
  }
  // A rule whose targets could not be read might be the one.
  const unread = need(facts.busRules).find((r) => !r.targets.ok);
  if (unread && !judged.some((j) => j.problems.length === 0)) need(unread.targets);
  judged.sort((a, b) => a.problems.length - b.problems.length || byName(a.rule.name, b.rule.name));
  return judged[0];
}

interface TopicJudgement {
  readonly rule: BusRule;
  readonly target: Target;
  readonly problems: readonly { observed: string; hint: string }[];
  readonly produced?: string;
}

function judgeTopicTarget(facts: Facts, rule: BusRule, target: Target): TopicJudgement {
  const problems: { observed: string; hint: string }[] = [];
  let produced: string | undefined;
  const transformer = target.InputTransformer;
  if (!transformer) {
    const sends = target.Input !== undefined ? 'a constant Input' : target.InputPath !== undefined ? `InputPath ${target.InputPath}` : 'the whole event as JSON';
    problems.push({
      observed: `the topic target sends ${sends}`,
      hint: 'On-call wants one readable line, not a JSON event: give the topic target an input transformer that picks fields of the event into a template.',
    });
  } else {
    for (const sample of facts.samples.filter((s) => s.page)) {
      const result = applyInputTransformer(sample.event, transformer, { ruleArn: rule.arn, ruleName: rule.name });
      const expected = onCallLine(sample.event);
      if (!result.ok) {
        problems.push({ observed: `the input transformer fails on ${sample.label}: ${result.error}`, hint: 'Check the JSON paths of your input transformer: dot notation from $, e.g. into the detail.' });
        break;
      }
      produced ??= result.output;
      if (result.output.trim() !== expected) {
        problems.push({
          observed: `for ${sample.label} the topic receives ${JSON.stringify(result.output)}; expected ${JSON.stringify(expected)}`,
          hint:
            result.kind === 'json'
              ? 'The template produces JSON, not a line of text: write the sentence itself as the template.'
              : 'Compare the message with the required line word by word: each <placeholder> must name an InputPathsMap key whose path points into the event detail.',
        });
        break;
      }
    }
  }
  const topicPolicy = need(facts.onCallTopic).policy;
  const topic = policyProblem('topic', simulateDelivery(topicPolicy, facts.onCallTopicArn, facts.account, deliveryProbes('topic', rule.arn)));
  if (topic) problems.push(topic);
  return { rule, target, problems, produced };
}

function bestTopicTarget(facts: Facts): TopicJudgement | undefined {
  const judged: TopicJudgement[] = [];
  for (const rule of need(facts.busRules)) {
    const target = rule.targets.ok ? rule.targets.value.find((t) => t.Arn === facts.onCallTopicArn) : undefined;
    if (target) judged.push(judgeTopicTarget(facts, rule, target));
  }
  const unread = need(facts.busRules).find((r) => !r.targets.ok);
  if (unread && !judged.some((j) => j.problems.length === 0)) need(unread.targets);
  judged.sort((a, b) => a.problems.length - b.problems.length || byName(a.rule.name, b.rule.name));
  return judged[0];
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

const patternBehaviour: Check<Facts> = {
  id: 'pattern-behaviour',
  title: 'A rule on the payments bus matches exactly the serious payment failures',
  points: 25,
  taskStatement: '5.1',
  hint:
    'Create a rule on the payments bus whose event pattern selects failed payments of severity HIGH or CRITICAL, whatever the case, and nothing else. ' +
    "The console's sandbox (or aws events test-event-pattern) shows what a pattern matches.",
  run(facts): Verdict {
    const { best, count } = bestPattern(facts);
    const pages = facts.samples.filter((s) => s.page).length;
    const expected = `a rule whose pattern matches the ${pages} failed payments of severity HIGH or CRITICAL (any case) and none of the other ${facts.samples.length - pages} samples`;
    if (!best) {
      return { status: 'FAIL', evidence: { observed: `no rule with an event pattern on ${facts.eventBusName}`, expected, where: busWhere(facts) } };
    }
    const chosen = count > 1 ? ` (best of ${count} rules tested)` : '';
    const observedMatches = `matched ${pages - best.missed.length} of ${pages} serious failures and ${best.extra.length} of ${facts.samples.length - pages} other samples${chosen}`;
    const where = busWhere(facts, best.rule.name);
    if (best.missed.length === 0 && best.extra.length === 0) return { status: 'PASS', evidence: { observed: `pattern ${observedMatches}`, expected, where } };
    const parts = [
      best.missed.length > 0 ? `missed ${labels(best.missed)}` : undefined,
      best.extra.length > 0 ? `also matched ${labels(best.extra)}` : undefined,
    ].filter(Boolean);
    const hint = patternHint(best);
    return { status: 'FAIL', evidence: { observed: `pattern ${observedMatches}: ${parts.join('; ')}`, expected, where }, ...(hint ? { hint } : {}) };
  },
};

const queueTargetReliable: Check<Facts> = {
  id: 'queue-target-reliable',
  title: 'The incident queue target has a dead-letter queue, bounded retries and a policy that lets only the rule deliver',
  points: 20,
  taskStatement: '5.1',
  hint:
    'Add the incident queue as a target of your rule, with a dead-letter queue and a retry policy on the target, and grant ' +
    'EventBridge what delivery needs on both queues, for your rule only.',
  run(facts): Verdict {
    const best = bestQueueTarget(facts);
    need(facts.incidentQueue);
    const expected =
      `a rule targeting ${facts.incidentQueueArn} with a dead-letter queue and a maximum event age ≤ ${MAX_EVENT_AGE_SECONDS} s; ` +
      'queue and dead-letter queue policies that allow events.amazonaws.com to send for that rule only';
    if (!best) return { status: 'FAIL', evidence: { observed: 'no rule on the payments bus targets the incident queue', expected, where: busWhere(facts) } };
    const where = busWhere(facts, best.rule.name);
    const t = best.target;
    const config = `target ${t.Id}: dead-letter queue ${t.DeadLetterConfig?.Arn ?? 'none'}, maximum event age ${t.RetryPolicy?.MaximumEventAgeInSeconds ?? 'default (86400)'} s`;
    if (best.problems.length === 0) return { status: 'PASS', evidence: { observed: `${config}; both policies let only this rule deliver`, expected, where } };
    return {
      status: 'FAIL',
      evidence: { observed: `${config}; ${best.problems.map((p) => p.observed).join('; ')}`, expected, where },
      hint: best.problems[0].hint,
    };
  },
};

const topicMessage: Check<Facts> = {
  id: 'topic-message',
  title: 'On-call gets one human line per serious failure',
  points: 20,
  taskStatement: '5.1',
  hint: `Add the on-call topic as a target of your rule with an input transformer producing: ${ON_CALL_LINE}; and let EventBridge publish to the topic for your rule.`,
  run(facts): Verdict {
    const best = bestTopicTarget(facts);
    need(facts.onCallTopic);
    const example = facts.samples.find((s) => s.page);
    const expected = `the topic target's input transformer turns each serious failure into "${ON_CALL_LINE}"${example ? `, e.g. "${onCallLine(example.event)}"` : ''}; the topic's policy lets only the rule publish`;
    if (!best) return { status: 'FAIL', evidence: { observed: 'no rule on the payments bus targets the on-call topic', expected, where: busWhere(facts) } };
    const where = busWhere(facts, best.rule.name);
    if (best.problems.length === 0) {
      return { status: 'PASS', evidence: { observed: `target ${best.target.Id} sends ${JSON.stringify(best.produced)}; the topic's policy lets only this rule publish`, expected, where } };
    }
    return { status: 'FAIL', evidence: { observed: best.problems.map((p) => p.observed).join('; '), expected, where }, hint: best.problems[0].hint };
  },
};

const deliveriesHappen: Check<Facts> = {
  id: 'deliveries-happen',
  title: 'Events reach the incident queue, and no delivery fails',
  points: 15,
  taskStatement: '4.3',
  dependsOn: ['pattern-behaviour'],
  hint:
    'EventBridge reports per rule how often it invoked its targets and how often that failed (AWS/Events Invocations and FailedInvocations). ' +
    'A failed invocation usually means a target refused delivery.',
  run(facts): Verdict {
    const rules = need(facts.busRules).filter((r) => queueTargetOf(r.targets, facts.incidentQueueArn));
    const queue = need(facts.incidentQueue);
    const expected = `Invocations > 0 and no FailedInvocations in the last ${RECENT_MINUTES} minutes for the rule targeting the incident queue, and messages in the queue`;
    if (rules.length === 0) return { status: 'FAIL', evidence: { observed: 'no rule on the payments bus targets the incident queue', expected, where: busWhere(facts) } };
    const judged = rules.map((rule) => ({ rule, metrics: need(rule.metrics!) }));
    judged.sort((a, b) => a.metrics.recentFailedInvocations - b.metrics.recentFailedInvocations || b.metrics.invocations - a.metrics.invocations);
    const { rule, metrics } = judged[0];
    const where = busWhere(facts, rule.name);
    const observed =
      `since ${facts.since}: ${metrics.invocations} invocations, ${metrics.failedInvocations} failed (${metrics.recentFailedInvocations} in the last ${RECENT_MINUTES} minutes); ` +
      `${queue.messages} messages in the incident queue`;
    if (rule.state === 'DISABLED') {
      return { status: 'FAIL', evidence: { observed: `the rule is DISABLED; ${observed}`, expected, where }, hint: 'A disabled rule matches nothing: enable it.' };
    }
    if (metrics.recentFailedInvocations > 0) {
      return {
        status: 'FAIL',
        evidence: { observed, expected, where },
        hint:
          'EventBridge matched events but a target refused them. Events to SQS and SNS fail when the resource policy does not let ' +
          'events.amazonaws.com send or publish for this rule (or when a queue is encrypted with a key EventBridge may not use).',
      };
    }
    if (metrics.invocations === 0) {
      return { status: 'PENDING', evidence: { observed, expected: `${expected}; the generator puts events every minute, and metrics arrive a minute or two later`, where } };
    }
    if (queue.messages === 0) {
      return { status: 'PENDING', evidence: { observed, expected: `${expected}; waiting for the delivered messages to show in the queue's counts`, where } };
    }
    return { status: 'PASS', evidence: { observed, expected, where } };
  },
};

interface AlarmRuleJudgement {
  readonly rule: AlarmRule;
  readonly right: boolean;
  readonly problem?: { observed: string; hint: string };
}

function judgeAlarmRule(rule: AlarmRule): AlarmRuleJudgement {
  if (!rule.matches) return { rule, right: false, problem: { observed: `rule "${rule.name}" has no event pattern`, hint: 'A schedule is not an event: give the rule an event pattern for the alarm state change.' } };
  const m = need(rule.matches);
  if (!m.alarm) {
    return {
      rule,
      right: false,
      problem: {
        observed: `rule "${rule.name}" does not match ${ALARM_NAME} going into ALARM`,
        hint: 'Compare your pattern with a CloudWatch alarm state change event: its source, detail-type and the new state under detail.',
      },
    };
  }
  if (m.ok) return { rule, right: false, problem: { observed: `rule "${rule.name}" also matches the alarm going back to OK`, hint: 'The handler should be invoked when the alarm goes into ALARM only: filter on the new state value.' } };
  if (m.otherAlarm) {
    return {
      rule,
      right: false,
      problem: { observed: `rule "${rule.name}" also matches other alarms (${OTHER_ALARM_NAME}) going into ALARM`, hint: "Route this alarm, not every alarm in the account: filter on the lab alarm's name or ARN." },
    };
  }
  if (rule.state === 'DISABLED') return { rule, right: false, problem: { observed: `rule "${rule.name}" is DISABLED`, hint: 'A disabled rule matches nothing: enable it.' } };
  return { rule, right: true };
}

const alarmRouted: Check<Facts> = {
  id: 'alarm-routed',
  title: 'The payment-errors alarm going into ALARM invokes the incident handler',
  points: 20,
  taskStatement: '4.3',
  hint: `Create a rule on the default event bus that matches ${ALARM_NAME} changing state to ALARM and targets the incident handler function.`,
  run(facts): Verdict {
    const rules = need(facts.alarmRules);
    const where = `default event bus in ${facts.region} (rules targeting ${facts.handlerFunctionName})`;
    const expected = `a rule matching ${ALARM_NAME} going into ALARM (not OK, not other alarms), targeting the handler, and the handler invoked through it`;
    if (rules.length === 0) return { status: 'FAIL', evidence: { observed: `no rule on the default bus targets ${facts.handlerFunctionName}`, expected, where } };
    const judged = rules.map(judgeAlarmRule);
    const right = judged.filter((j) => j.right);
    if (right.length === 0) {
      const first = judged.find((j) => j.problem)!;
      return { status: 'FAIL', evidence: { observed: judged.map((j) => j.problem!.observed).join('; '), expected, where }, hint: first.problem!.hint };
    }
    const invocations = need(facts.handlerInvocations);
    const withMetrics = right.map((j) => ({ rule: j.rule, metrics: need(j.rule.metrics) }));
    withMetrics.sort((a, b) => b.metrics.invocations - b.metrics.failedInvocations - (a.metrics.invocations - a.metrics.failedInvocations));
    const { rule, metrics } = withMetrics[0];
    const ruleWhere = `rule "${rule.name}" on the default event bus in ${facts.region}`;
    const observed = `since ${facts.since}: the rule made ${metrics.invocations} invocations, ${metrics.failedInvocations} failed; the handler was invoked ${invocations} times`;
    const delivered = metrics.invocations - metrics.failedInvocations;
    if (delivered > 0 && invocations > 0) return { status: 'PASS', evidence: { observed, expected, where: ruleWhere } };
    if (metrics.failedInvocations > 0) {
      return {
        status: 'FAIL',
        evidence: { observed, expected, where: ruleWhere },
        hint: "EventBridge could not invoke the function: a Lambda target needs a statement in the function's resource-based policy that lets events.amazonaws.com invoke it for this rule.",
      };
    }
    return {
      status: 'PENDING',
      evidence: { observed, expected: `${expected}; the generator fails every ${ALARM_EVERY_MINUTES} minutes, so the alarm goes into ALARM within about ${ALARM_EVERY_MINUTES + 2} minutes`, where: ruleWhere },
    };
  },
};

const archiveReplay: Check<Facts> = {
  id: 'archive-replay',
  title: `Optional: the payments bus is archived for ${ARCHIVE_RETENTION_DAYS} days and a replay has run`,
  points: 10,
  taskStatement: '5.1',
  optional: true,
  hint: `Create an archive of the payments bus that keeps events ${ARCHIVE_RETENTION_DAYS} days, then start a replay of the events archived since, back into the same bus.`,
  run(facts): Verdict {
    const archives = need(facts.archives);
    const where = `archives of ${facts.eventBusArn}`;
    const expected = `an archive of the bus with retention ${ARCHIVE_RETENTION_DAYS} days and a completed replay from it`;
    const right = archives.filter((a) => a.retentionDays === ARCHIVE_RETENTION_DAYS);
    if (right.length === 0) {
      const observed = archives.length === 0 ? 'no archive of the payments bus' : archives.map((a) => `archive "${a.name}" keeps events ${a.retentionDays ?? 'indefinitely (0)'} days`).join('; ');
      return { status: 'FAIL', evidence: { observed, expected, where }, ...(archives.length > 0 ? { hint: `Set the archive's retention to ${ARCHIVE_RETENTION_DAYS} days.` } : {}) };
    }
    const replays = right.flatMap((a) => need(a.replays).map((r) => ({ archive: a.name, ...r })));
    const observed = `archive "${right[0].name}" (${right[0].retentionDays} days); replays: ${replays.map((r) => `${r.name} ${r.state}`).join(', ') || 'none'}`;
    if (replays.some((r) => r.state === 'COMPLETED')) return { status: 'PASS', evidence: { observed, expected, where } };
    if (replays.some((r) => r.state === 'STARTING' || r.state === 'RUNNING')) {
      return { status: 'PENDING', evidence: { observed, expected: `${expected}; waiting for the replay to complete`, where } };
    }
    return {
      status: 'FAIL',
      evidence: { observed, expected, where },
      hint: replays.length > 0 ? 'The replay did not complete; start another one.' : 'Start a replay from the archive, of the events archived since you created it.',
    };
  },
};

// ---------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------

export const checker = defineChecker({
  labId: LAB_ID,
  outputs: Outputs,
  actions: [
    'events:ListRules',
    'events:ListTargetsByRule',
    'events:TestEventPattern',
    'events:ListRuleNamesByTarget',
    'events:DescribeRule',
    'events:ListArchives',
    'events:ListReplays',
    'sqs:GetQueueAttributes',
    'sqs:GetQueueUrl',
    'sns:GetTopicAttributes',
    'cloudwatch:GetMetricData',
  ],
  factsSchema,
  async gather({ outputs, region, account, stackCreatedAt, client }): Promise<EventBridgeIncidentsFacts> {
    const events = client(EventBridgeClient);
    const sqs = client(SQSClient);
    const sns = client(SNSClient);
    const cloudwatch = client(CloudWatchClient);
    const now = new Date();
    const dayAgo = now.getTime() - 24 * 3600_000;
    const created = stackCreatedAt ? Date.parse(stackCreatedAt) : now.getTime() - 3 * 3600_000;
    const since = new Date(Math.floor(Math.max(created, dayAgo) / 60_000) * 60_000);
    const samples: SampleFact[] = SAMPLE_EVENTS.map((s, i) => ({ label: s.label, page: s.page, event: sampleEnvelope(s, i, account, region) }));
    const base = {
      region,
      account,
      gatheredAt: now.toISOString(),
      since: since.toISOString(),
      eventBusName: outputs.eventBusName,
      eventBusArn: outputs.eventBusArn,
      incidentQueueArn: outputs.incidentQueueArn,
      onCallTopicArn: outputs.onCallTopicArn,
      handlerFunctionArn: outputs.handlerFunctionArn,
      handlerFunctionName: outputs.handlerFunctionName,
      alarmArn: outputs.alarmArn,
      samples,
    };

    const incidentQueueRead = readFact(async () => {
      const attributes =
        (
          await sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: outputs.incidentQueueUrl,
              AttributeNames: ['Policy', 'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
            }),
          )
        ).Attributes ?? {};
      const counts = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;
      const messages = counts.reduce(
        (sum, key) => sum + Number(attributes[key] ?? 0),
        0,
      );
      return { policy: attributes.Policy ?? null, messages };
    });
    const onCallTopicRead = readFact(async () => {
      const attributes = (await sns.send(new GetTopicAttributesCommand({ TopicArn: outputs.onCallTopicArn }))).Attributes ?? {};
      return { policy: attributes.Policy ?? null };
    });

    const busRulesRead = readFact(async (): Promise<BusRule[]> => {
      const listed = await allPages(async (token) => {
        const page = await events.send(new ListRulesCommand({ EventBusName: outputs.eventBusName, NextToken: token }));
        return { items: page.Rules, next: page.NextToken };
      });
      const rules = listed.sort((a, b) => byName(a.Name, b.Name)).slice(0, MAX_RULES_READ);
      const withTargets = await Promise.all(
        rules.map(async (r) => ({
          rule: r,
          targets: await readFact(() =>
            allPages(async (token) => {
              const page = await events.send(new ListTargetsByRuleCommand({ Rule: r.Name, EventBusName: outputs.eventBusName, NextToken: token }));
              return { items: page.Targets, next: page.NextToken };
            }),
          ),
        })),
      );
      // Rules that target the lab's queue or topic are tested first.
      const labTargets = [outputs.incidentQueueArn, outputs.onCallTopicArn];
      const tested = withTargets
        .filter((w) => w.rule.EventPattern)
        .sort((a, b) => Number(b.targets.ok && b.targets.value.some((t) => labTargets.includes(t.Arn ?? ''))) - Number(a.targets.ok && a.targets.value.some((t) => labTargets.includes(t.Arn ?? ''))))
        .slice(0, MAX_RULES_TESTED)
        .map((w) => w.rule.Name);
      return Promise.all(
        withTargets.map(async ({ rule, targets }): Promise<BusRule> => {
          const arn = rule.Arn ?? '';
          const queueTarget = queueTargetOf(targets, outputs.incidentQueueArn);
          const matchesRead = tested.includes(rule.Name)
            ? readFact(() => Promise.all(samples.map((s) => testPattern(events, rule.EventPattern ?? '', s.event))))
            : Promise.resolve(null);
          const dlqArn = queueTarget?.DeadLetterConfig?.Arn;
          const deadLetterRead = dlqArn
            ? (async (): Promise<DeadLetterQueueFact> => {
                const policy = await readFact(async () => {
                  const { name, account: owner } = queueNameOf(dlqArn);
                  let QueueUrl: string | undefined;
                  try {
                    ({ QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: owner })));
                  } catch (error) {
                    if (NO_QUEUE.includes(awsErrorName(error) ?? '')) return { exists: false, policy: null };
                    throw error;
                  }
                  const attributes = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['Policy'] }))).Attributes ?? {};
                  return { exists: true, policy: attributes.Policy ?? null };
                });
                return { arn: dlqArn, policy };
              })()
            : Promise.resolve(null);
          const metricsRead = queueTarget
            ? readFact(async (): Promise<RuleMetrics> => {
                const dimensions = { EventBusName: outputs.eventBusName, RuleName: rule.Name ?? '' };
                const sums = await metricSums(
                  cloudwatch,
                  [
                    { id: 'invocations', namespace: 'AWS/Events', name: 'Invocations', dimensions },
                    { id: 'failed', namespace: 'AWS/Events', name: 'FailedInvocations', dimensions },
                  ],
                  since,
                  now,
                );
                return { invocations: sums.get('invocations')!.total, failedInvocations: sums.get('failed')!.total, recentFailedInvocations: sums.get('failed')!.recent };
              })
            : Promise.resolve(null);
          const [matches, deadLetterQueue, metrics] = await Promise.all([matchesRead, deadLetterRead, metricsRead]);
          return {
            name: rule.Name ?? '',
            arn,
            ...(rule.State ? { state: rule.State } : {}),
            ...(rule.EventPattern ? { eventPattern: rule.EventPattern } : {}),
            targets,
            matches,
            deadLetterQueue,
            metrics,
          };
        }),
      );
    });

    const alarmRulesRead = readFact(async (): Promise<AlarmRule[]> => {
      const names = await allPages(async (token) => {
        const page = await events.send(new ListRuleNamesByTargetCommand({ TargetArn: outputs.handlerFunctionArn, EventBusName: 'default', NextToken: token }));
        return { items: page.RuleNames, next: page.NextToken };
      });
      const probes = {
        alarm: alarmStateChange(outputs.alarmArn, ALARM_NAME, account, region, 'ALARM'),
        ok: alarmStateChange(outputs.alarmArn, ALARM_NAME, account, region, 'OK'),
        otherAlarm: alarmStateChange(
          `arn:${partitionOf(region)}:cloudwatch:${region}:${account}:alarm:${OTHER_ALARM_NAME}`,
          OTHER_ALARM_NAME,
          account,
          region,
          'ALARM',
        ),
      };
      return Promise.all(
        names.slice(0, MAX_RULES_TESTED).map(async (name): Promise<AlarmRule> => {
          const described = await events.send(new DescribeRuleCommand({ Name: name, EventBusName: 'default' }));
          const pattern = described.EventPattern;
          const [matches, metrics] = await Promise.all([
            pattern
              ? readFact(async () => {
                  const [alarm, ok, otherAlarm] = await Promise.all([probes.alarm, probes.ok, probes.otherAlarm].map((e) => testPattern(events, pattern, e)));
                  return { alarm, ok, otherAlarm };
                })
              : Promise.resolve(null),
            readFact(async () => {
              // The default bus's rule metrics have the RuleName dimension only.
              const sums = await metricSums(
                cloudwatch,
                [
                  { id: 'invocations', namespace: 'AWS/Events', name: 'Invocations', dimensions: { RuleName: name } },
                  { id: 'failed', namespace: 'AWS/Events', name: 'FailedInvocations', dimensions: { RuleName: name } },
                ],
                since,
                now,
              );
              return { invocations: sums.get('invocations')!.total, failedInvocations: sums.get('failed')!.total };
            }),
          ]);
          return {
            name,
            ...(described.Arn ? { arn: described.Arn } : {}),
            ...(described.State ? { state: described.State } : {}),
            ...(pattern ? { eventPattern: pattern } : {}),
            matches,
            metrics,
          };
        }),
      );
    });

    const handlerInvocationsRead = readFact(async () => {
      const sums = await metricSums(
        cloudwatch,
        [{ id: 'handler', namespace: 'AWS/Lambda', name: 'Invocations', dimensions: { FunctionName: outputs.handlerFunctionName } }],
        since,
        now,
      );
      return sums.get('handler')!.total;
    });

    const archivesRead = readFact(async (): Promise<ArchiveFact[]> => {
      const archives = await allPages(async (token) => {
        const page = await events.send(new ListArchivesCommand({ EventSourceArn: outputs.eventBusArn, NextToken: token }));
        return { items: page.Archives, next: page.NextToken };
      });
      return Promise.all(
        archives.map(async (a): Promise<ArchiveFact> => {
          const archiveArn = `arn:${partitionOf(region)}:events:${region}:${account}:archive/${a.ArchiveName}`;
          const replays = await readFact(async () => {
            const listed = await allPages(async (token) => {
              const page = await events.send(new ListReplaysCommand({ EventSourceArn: archiveArn, NextToken: token }));
              return { items: page.Replays, next: page.NextToken };
            });
            return listed.map((r) => ({ name: r.ReplayName ?? '', ...(r.State ? { state: r.State } : {}), ...(r.ReplayStartTime ? { startedAt: r.ReplayStartTime.toISOString() } : {}) }));
          });
          return {
            name: a.ArchiveName ?? '',
            ...(a.State ? { state: a.State } : {}),
            ...(a.RetentionDays !== undefined ? { retentionDays: a.RetentionDays } : {}),
            replays,
          };
        }),
      );
    });

    const [busRules, incidentQueue, onCallTopic, alarmRules, handlerInvocations, archives] = await Promise.all([
      busRulesRead,
      incidentQueueRead,
      onCallTopicRead,
      alarmRulesRead,
      handlerInvocationsRead,
      archivesRead,
    ]);
    return { ...base, busRules, incidentQueue, onCallTopic, alarmRules, handlerInvocations, archives };
  },
  checks: [patternBehaviour, queueTargetReliable, topicMessage, deliveriesHappen, alarmRouted, archiveReplay],
});
