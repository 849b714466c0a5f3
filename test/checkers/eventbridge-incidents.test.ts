import 'aws-sdk-client-mock-jest';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateArchiveCommand,
  DescribeArchiveCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListArchivesCommand,
  ListReplaysCommand,
  ListRuleNamesByTargetCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  StartReplayCommand,
  TestEventPatternCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { AddPermissionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetTopicAttributesCommand, SetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { checker, MAX_RULES_TESTED } from '../../checkers/eventbridge-incidents';
import { AwsSession, isReadOnlyAction } from '../../lib/aws/clients';
import type { LabResult, Status } from '../../lib/checker';
import { checkerActions } from '../../lib/engine';
import { DoplabError } from '../../lib/errors';
import { loadFactsFile } from '../../lib/facts-file';
import type { SolutionContext } from '../../lib/lab';
import { roleCalls, solutionActions } from '../../labs/eventbridge-incidents/calls';
import { EVENT_SOURCE, ON_CALL_LINE, Outputs, SAMPLE_EVENTS, onCallLine, sampleEnvelope } from '../../labs/eventbridge-incidents/contract';
import { asExpected, deliveryContext, deliveryProbes, evaluateResourcePolicy, simulateDelivery } from '../../labs/eventbridge-incidents/delivery-policy';
import { applyInputTransformer, readPath } from '../../labs/eventbridge-incidents/input-transformer';
import { lab } from '../../labs/eventbridge-incidents/lab';
import {
  SOLUTION_ALARM_RULE_NAME,
  SOLUTION_ARCHIVE_NAME,
  SOLUTION_DLQ_NAME,
  SOLUTION_INPUT_TRANSFORMER,
  SOLUTION_PATTERN,
  SOLUTION_RULE_NAME,
  alarmPattern,
  deliveryPolicy,
  solve,
} from '../../labs/eventbridge-incidents/solution';
import {
  ACCOUNT,
  ALARM_ARN,
  ALARM_RULE_ARN,
  BUS_ARN,
  DLQ_ARN,
  HANDLER_ARN,
  QUEUE_ARN,
  QUEUE_TARGET,
  QUEUE_URL,
  REGION,
  RULE_ARN,
  SSL_ONLY_QUEUE_POLICY,
  SSL_ONLY_TOPIC_POLICY,
  STACK_NAME,
  STACK_OUTPUTS,
  TOPIC_ARN,
  TOPIC_TARGET,
  solvedWorld,
  startingWorld,
  type AwsWorld,
  type WorldStubs,
} from '../fixtures/eventbridge-incidents/aws-world';
import { matchesPattern } from '../fixtures/eventbridge-incidents/event-pattern';
import { CREDENTIALS, SDK_MODULES, freshFactsFile, gatherWorld } from '../fixtures/eventbridge-incidents/gather-world';
import { MockedSession, awsError } from '../support/mocked-session';
import { checkFinder, factsRunner } from '../support/checker-tests';

const CHECK_IDS = ['pattern-behaviour', 'queue-target-reliable', 'topic-message', 'deliveries-happen', 'alarm-routed', 'archive-replay'] as const;

function load(path: string) {
  return loadFactsFile(path, checker.labId, checker.factsSchema);
}

const run = factsRunner(checker, ACCOUNT, REGION);

const check = checkFinder(CHECK_IDS);

const statuses = (result: LabResult) => result.checks.map((c) => c.status);

/** Gathers from a world through the real gather, then judges. */
async function judge(world: AwsWorld, fault?: (stubs: WorldStubs) => void): Promise<LabResult> {
  const { stubs, file } = await gatherWorld(world, fault);
  stubs.restore();
  return run(file.facts);
}

/** The solved world with one edit. */
function solvedWith(edit: (world: AwsWorld) => void): AwsWorld {
  const world = solvedWorld();
  edit(world);
  return world;
}

const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const allowEvents = (action: string, resource: string, condition?: object) => ({
  Effect: 'Allow',
  Principal: { Service: 'events.amazonaws.com' },
  Action: action,
  Resource: resource,
  ...(condition ? { Condition: condition } : {}),
});
const onRule = { ArnEquals: { 'aws:SourceArn': RULE_ARN } };

describe('eventbridge-incidents checker', () => {
  describe('declaration', () => {
    it('has five required checks worth 100 points and an optional one, each with a hint and a task statement', () => {
      expect(checker.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
      for (const c of checker.checks) {
        expect(c.hint.length).toBeGreaterThan(20);
        expect(['5.1', '4.3']).toContain(c.taskStatement);
      }
      expect(checker.checks.filter((c) => !c.optional).reduce((sum, c) => sum + c.points, 0)).toBe(100);
      expect(checker.checks.filter((c) => c.optional).map((c) => c.id)).toEqual(['archive-replay']);
    });

    it('declares only read-only actions', () => {
      expect(checkerActions(checker)).toEqual([
        'cloudformation:DescribeStacks',
        'cloudwatch:GetMetricData',
        'events:DescribeRule',
        'events:ListArchives',
        'events:ListReplays',
        'events:ListRuleNamesByTarget',
        'events:ListRules',
        'events:ListTargetsByRule',
        'events:TestEventPattern',
        'sns:GetTopicAttributes',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
      ]);
      expect(checkerActions(checker).every(isReadOnlyAction)).toBe(true);
    });
  });

  describe('shipped example facts', () => {
    it('are what gather records from the starting and solved worlds (regenerate with test/support/write-facts.ts)', async () => {
      for (const [name, path] of Object.entries(lab.examples)) {
        expect([name, JSON.parse(JSON.stringify(await freshFactsFile(name)))]).toEqual([name, load(path)]);
      }
    });

    it('score 0 on the starting state, every check failing with a hint or skipped', () => {
      const result = run(load(lab.examples.starting).facts);
      expect(result.score).toBe(0);
      expect(statuses(result)).toEqual(['FAIL', 'FAIL', 'FAIL', 'SKIPPED', 'FAIL', 'FAIL']);
      for (const c of result.checks) expect(c.hint).toBeTruthy();
      expect(check(result, 'pattern-behaviour').evidence).toEqual({
        observed: 'no rule with an event pattern on doplab-payments',
        expected: 'a rule whose pattern matches the 5 failed payments of severity HIGH or CRITICAL (any case) and none of the other 5 samples',
        where: `event bus doplab-payments in ${REGION}`,
      });
    });

    it('give full marks on the solved state, the optional check included', () => {
      const result = run(load(lab.examples.solved).facts);
      expect(statuses(result)).toEqual(CHECK_IDS.map(() => 'PASS'));
      expect(result.maxScore).toBe(100);
      expect(result.score).toBe(110);
    });

    it('reject malformed facts with the path of the problem', () => {
      const file = load(lab.examples.solved);
      const broken = { ...file.facts, busRules: { ok: true, value: [{ name: 'x' }] } };
      expect(checker.factsSchema.safeParse(broken).success).toBe(false);
    });
  });

  describe('pattern-behaviour on the sample events', () => {
    const withPattern = (pattern: object) => solvedWith((w) => (w.busRules[0] = { ...w.busRules[0], pattern }));

    it('fails the upper-case-only list, missing the legacy client, and hints at case-insensitive matching', async () => {
      const result = await judge(withPattern({ source: [EVENT_SOURCE], 'detail-type': ['Payment Failed'], detail: { severity: ['HIGH', 'CRITICAL'] } }));
      const c = check(result, 'pattern-behaviour');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toBe(
        'pattern matched 2 of 5 serious failures and 0 of 5 other samples: missed Payment Failed high (legacy client), Payment Failed critical (legacy client), Payment Failed Critical (legacy client)',
      );
      expect(c.hint).toMatch(/case included/);
      expect(c.hint).not.toMatch(/equals-ignore-case/);
      expect(check(result, 'deliveries-happen').status).toBe('SKIPPED');
    });

    it('fails a prefix match that catches Payment Failed Retry, naming the lookalike', async () => {
      const result = await judge(
        withPattern({ source: [EVENT_SOURCE], 'detail-type': [{ prefix: 'Payment Failed' }], detail: { severity: [{ 'equals-ignore-case': 'HIGH' }, { 'equals-ignore-case': 'CRITICAL' }] } }),
      );
      const c = check(result, 'pattern-behaviour');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toMatch(/also matched Payment Failed Retry HIGH \(lookalike\), Payment Failed Retry CRITICAL \(lookalike\)$/);
      expect(c.hint).toMatch(/lookalike "Payment Failed Retry"/);
    });

    it('fails a severity-only pattern that pages for a successful payment', async () => {
      const result = await judge(withPattern({ source: [EVENT_SOURCE], 'detail-type': ['Payment Failed', 'Payment Succeeded'], detail: SOLUTION_PATTERN.detail }));
      expect(check(result, 'pattern-behaviour').hint).toMatch(/successful payment/);
    });

    it('fails a pattern that pages for every failure', async () => {
      const result = await judge(withPattern({ source: [EVENT_SOURCE], 'detail-type': ['Payment Failed'] }));
      const c = check(result, 'pattern-behaviour');
      expect(c.evidence?.observed).toMatch(/^pattern matched 5 of 5 serious failures and 2 of 5 other samples/);
      expect(c.hint).toMatch(/low severity/);
    });

    it('passes an explicit list of every case variant too: behaviour, not syntax, is judged', async () => {
      const result = await judge(withPattern({ source: [EVENT_SOURCE], 'detail-type': ['Payment Failed'], detail: { severity: ['HIGH', 'high', 'CRITICAL', 'critical', 'Critical'] } }));
      expect(check(result, 'pattern-behaviour').status).toBe('PASS');
    });

    it('picks the right rule among several, and says how many were tested', async () => {
      const result = await judge(
        solvedWith((w) => w.busRules.unshift({ name: 'aaa-everything', pattern: { source: [EVENT_SOURCE] }, targets: [{ Id: 'log', Arn: QUEUE_ARN }] })),
      );
      const c = check(result, 'pattern-behaviour');
      expect(c.status).toBe('PASS');
      expect(c.evidence?.where).toMatch(/payments-page-on-call/);
      expect(c.evidence?.observed).toMatch(/best of 2 rules tested/);
    });
  });

  describe('queue-target-reliable', () => {
    const withQueueTarget = (edit: Partial<Target>) => solvedWith((w) => (w.busRules[0].targets[0] = { ...QUEUE_TARGET, ...edit }));

    it.each<[string, AwsWorld, RegExp, RegExp]>([
      ['no dead-letter queue', withQueueTarget({ DeadLetterConfig: undefined }), /the queue target has no dead-letter queue/, /dead-letter queue/],
      ['no retry policy', withQueueTarget({ RetryPolicy: undefined }), /no retry policy with a maximum event age/, /at most 1 h/],
      ['a day of retries', withQueueTarget({ RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 } }), /retry policy keeps events for 86400 s/, /at most 1 h/],
      [
        'the starting queue policy (EventBridge not allowed: the trap)',
        solvedWith((w) => (w.queuePolicy = SSL_ONLY_QUEUE_POLICY)),
        /queue's policy: EventBridge delivers for the rule \(sqs:SendMessage\) → ImplicitlyDenied, expected Allowed/,
        /FailedInvocations/,
      ],
      [
        'a grant to any rule of the account',
        solvedWith((w) => (w.queuePolicy = policy([allowEvents('sqs:SendMessage', QUEUE_ARN, { StringEquals: { 'aws:SourceAccount': ACCOUNT } })]))),
        /EventBridge delivers for another rule \(sqs:SendMessage\) → Allowed, expected Denied/,
        /ARN of your rule/,
      ],
      [
        'a grant of sqs:*',
        solvedWith((w) => (w.queuePolicy = policy([allowEvents('sqs:*', QUEUE_ARN, onRule)]))),
        /EventBridge calls sqs:ReceiveMessage for the rule \(sqs:ReceiveMessage\) → Allowed, expected Denied/,
        /nothing more/,
      ],
      [
        'a dead-letter queue without a policy',
        solvedWith((w) => (w.queues[DLQ_ARN] = {})),
        /dead-letter queue's policy: EventBridge delivers for the rule \(sqs:SendMessage\) → ImplicitlyDenied/,
        /dead-letter queue/,
      ],
      ['a dead-letter queue that does not exist', solvedWith((w) => (w.queues = {})), /dead-letter queue .*payments-incidents-dlq does not exist/, /exists/],
      [
        'the incident queue as its own dead-letter queue',
        withQueueTarget({ DeadLetterConfig: { Arn: QUEUE_ARN } }),
        /the dead-letter queue is the incident queue itself/,
        /another queue/,
      ],
    ])('fails with %s', async (_, world, observed, hint) => {
      const c = check(await judge(world), 'queue-target-reliable');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toMatch(observed);
      expect(c.hint).toMatch(hint);
    });

    it('fails when no rule targets the queue', async () => {
      const c = check(await judge(solvedWith((w) => (w.busRules[0].targets = [TOPIC_TARGET]))), 'queue-target-reliable');
      expect(c.evidence?.observed).toBe('no rule on the payments bus targets the incident queue');
    });

    it('passes a policy with ArnLike on the rule ARN and the account condition too', async () => {
      const world = solvedWith(
        (w) => (w.queuePolicy = policy([allowEvents('sqs:SendMessage', QUEUE_ARN, { ArnLike: { 'aws:SourceArn': RULE_ARN }, StringEquals: { 'aws:SourceAccount': ACCOUNT } })])),
      );
      expect(check(await judge(world), 'queue-target-reliable').status).toBe('PASS');
    });
  });

  describe('topic-message', () => {
    const withTopicTarget = (edit: Partial<Target>) => solvedWith((w) => (w.busRules[0].targets[1] = { ...TOPIC_TARGET, ...edit }));

    it('passes an unquoted template as well as the quoted one', async () => {
      const world = withTopicTarget({ InputTransformer: { ...SOLUTION_INPUT_TRANSFORMER, InputTemplate: ON_CALL_LINE } });
      const c = check(await judge(world), 'topic-message');
      expect(c.status).toBe('PASS');
      expect(c.evidence?.observed).toBe('target on-call-topic sends "Payment pay-7f3a91 failed (HIGH): card declined by issuer"; the topic\'s policy lets only this rule publish');
    });

    it.each<[string, AwsWorld, RegExp, RegExp]>([
      ['no input transformer', withTopicTarget({ InputTransformer: undefined }), /the topic target sends the whole event as JSON/, /input transformer/],
      [
        'a JSON template',
        withTopicTarget({ InputTransformer: { ...SOLUTION_INPUT_TRANSFORMER, InputTemplate: '{"message": "Payment <paymentId> failed (<severity>): <reason>"}' } }),
        /the topic receives "\{\\"message\\": \\"Payment pay-7f3a91 failed \(HIGH\): card declined by issuer\\"\}"/,
        /produces JSON/,
      ],
      [
        'a path outside the detail',
        withTopicTarget({ InputTransformer: { InputPathsMap: { ...SOLUTION_INPUT_TRANSFORMER.InputPathsMap, paymentId: '$.paymentId' }, InputTemplate: SOLUTION_INPUT_TRANSFORMER.InputTemplate } }),
        /receives "Payment  failed \(HIGH\): card declined by issuer"/,
        /placeholder/,
      ],
      [
        'the starting topic policy',
        solvedWith((w) => (w.topicPolicy = SSL_ONLY_TOPIC_POLICY)),
        /topic's policy: EventBridge delivers for the rule \(sns:Publish\) → ImplicitlyDenied, expected Allowed/,
        /events.amazonaws.com/,
      ],
    ])('fails with %s', async (_, world, observed, hint) => {
      const c = check(await judge(world), 'topic-message');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toMatch(observed);
      expect(c.hint).toMatch(hint);
    });
  });

  describe('deliveries-happen', () => {
    it('is PENDING before the first invocation shows in the metrics', async () => {
      const result = await judge(solvedWith((w) => ((w.ruleMetrics = {}), (w.queueMessages = 0), (w.handlerInvocations = 0))));
      expect(check(result, 'deliveries-happen').status).toBe('PENDING');
      expect(check(result, 'alarm-routed').status).toBe('PENDING');
      expect(check(result, 'alarm-routed').evidence?.expected).toMatch(/every 10 minutes/);
    });

    it('is PENDING while invocations show but the queue counts do not yet', async () => {
      const c = check(await judge(solvedWith((w) => (w.queueMessages = 0))), 'deliveries-happen');
      expect(c.status).toBe('PENDING');
      expect(c.evidence?.observed).toMatch(/^since \S+: 80 invocations, 0 failed \(0 in the last 5 minutes\); 0 messages in the incident queue$/);
      expect(c.evidence?.expected).toMatch(/waiting for the delivered messages/);
    });

    it('fails on recent FailedInvocations (a target without a queue policy), hinting at resource policies', async () => {
      const world = solvedWith((w) => {
        w.queuePolicy = SSL_ONLY_QUEUE_POLICY;
        w.ruleMetrics[SOLUTION_RULE_NAME] = { invocations: 30, failed: 30, recentFailed: 5 };
        w.queueMessages = 0;
      });
      const c = check(await judge(world), 'deliveries-happen');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toMatch(/30 invocations, 30 failed \(5 in the last 5 minutes\); 0 messages/);
      expect(c.hint).toMatch(/resource policy/);
    });

    it('passes once failures stopped after the policy was fixed', async () => {
      const world = solvedWith((w) => (w.ruleMetrics[SOLUTION_RULE_NAME] = { invocations: 80, failed: 12, recentFailed: 0 }));
      expect(check(await judge(world), 'deliveries-happen').status).toBe('PASS');
    });

    it('fails a disabled rule', async () => {
      const c = check(await judge(solvedWith((w) => (w.busRules[0] = { ...w.busRules[0], state: 'DISABLED' }))), 'deliveries-happen');
      expect(c.status).toBe('FAIL');
      expect(c.hint).toMatch(/enable/);
    });
  });

  describe('alarm-routed', () => {
    const withAlarmPattern = (pattern: object) => solvedWith((w) => (w.alarmRules[0] = { ...w.alarmRules[0], pattern }));

    it.each<[string, object, RegExp]>([
      ['every state change of the alarm', { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], resources: [ALARM_ARN] }, /new state value/],
      ['every alarm going into ALARM', { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { state: { value: ['ALARM'] } } }, /name or ARN/],
      ['the wrong source', { source: ['aws.lambda'], resources: [ALARM_ARN] }, /source, detail-type/],
    ])('fails a rule matching %s', async (_, pattern, hint) => {
      const c = check(await judge(withAlarmPattern(pattern)), 'alarm-routed');
      expect(c.status).toBe('FAIL');
      expect(c.hint).toMatch(hint);
    });

    it('passes a rule that names the alarm in the detail instead of resources', async () => {
      const pattern = { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { alarmName: ['DopLab-eventbridge-incidents-payment-errors'], state: { value: ['ALARM'] } } };
      expect(check(await judge(withAlarmPattern(pattern)), 'alarm-routed').status).toBe('PASS');
    });

    it('fails when EventBridge could not invoke the handler (no resource-based policy)', async () => {
      const world = solvedWith((w) => ((w.ruleMetrics[SOLUTION_ALARM_RULE_NAME] = { invocations: 2, failed: 2 }), (w.handlerInvocations = 0)));
      const c = check(await judge(world), 'alarm-routed');
      expect(c.status).toBe('FAIL');
      expect(c.hint).toMatch(/resource-based policy/);
    });

    it('fails when no default-bus rule targets the handler', async () => {
      const c = check(await judge(solvedWith((w) => (w.alarmRules = []))), 'alarm-routed');
      expect(c.evidence?.observed).toBe('no rule on the default bus targets DopLab-eventbridge-incidents-handler');
    });
  });

  describe('archive-replay (optional)', () => {
    it.each<[string, AwsWorld['archives'], Status]>([
      ['a 30-day archive', [{ name: 'a', retentionDays: 30, replays: [] }], 'FAIL'],
      ['an archive without replay', [{ name: 'a', retentionDays: 7, replays: [] }], 'FAIL'],
      ['a running replay', [{ name: 'a', retentionDays: 7, replays: [{ name: 'r', state: 'RUNNING' }] }], 'PENDING'],
      ['a cancelled replay', [{ name: 'a', retentionDays: 7, replays: [{ name: 'r', state: 'CANCELLED' }] }], 'FAIL'],
    ])('judges %s', async (_, archives, status) => {
      const result = await judge(solvedWith((w) => (w.archives = archives)));
      expect(check(result, 'archive-replay').status).toBe(status);
      // Optional: never fails the lab or lowers the required score.
      expect(result.score).toBe(100);
    });
  });

  describe('AWS errors', () => {
    it('errors the bus checks when ListRules is denied, naming the action; the others still run', async () => {
      const result = await judge(solvedWorld(), (stubs) =>
        stubs.events.on(ListRulesCommand).rejects(awsError('AccessDeniedException', `User: arn:aws:sts::${ACCOUNT}:assumed-role/DopLabGrader/alice is not authorized to perform: events:ListRules`)),
      );
      expect(statuses(result)).toEqual(['ERROR', 'ERROR', 'ERROR', 'SKIPPED', 'PASS', 'PASS']);
      expect(check(result, 'pattern-behaviour').error).toMatchObject({ code: 'ACCESS_DENIED', action: 'events:ListRules' });
    });

    it('errors pattern-behaviour when TestEventPattern fails, rather than failing the learner', async () => {
      const result = await judge(solvedWorld(), (stubs) => stubs.events.on(TestEventPatternCommand).rejects(awsError('InternalException', 'Internal error', 500)));
      expect(check(result, 'pattern-behaviour').status).toBe('ERROR');
      expect(check(result, 'queue-target-reliable').status).toBe('PASS');
      expect(check(result, 'alarm-routed').status).toBe('ERROR');
    });

    it('errors the metric checks only when GetMetricData is throttled', async () => {
      const result = await judge(solvedWorld(), (stubs) => stubs.cloudwatch.on(GetMetricDataCommand).rejects(awsError('Throttling', 'Rate exceeded')));
      expect(statuses(result)).toEqual(['PASS', 'PASS', 'PASS', 'ERROR', 'ERROR', 'PASS']);
    });

    it('errors queue-target-reliable when the queue attributes cannot be read', async () => {
      const result = await judge(solvedWorld(), (stubs) => stubs.sqs.on(GetQueueAttributesCommand).rejects(awsError('AccessDenied', 'not authorized to perform: sqs:GetQueueAttributes', 403)));
      expect(statuses(result)).toEqual(['PASS', 'ERROR', 'PASS', 'ERROR', 'PASS', 'PASS']);
    });
  });

  describe('gather', () => {
    it('sends exactly the declared read-only calls, TestEventPattern with every sample in a complete envelope', async () => {
      const actions: string[] = [];
      const { stubs, file } = await gatherWorld(solvedWorld(), undefined, (action) => actions.push(action));
      try {
        expect(stubs.cloudformation).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
        expect(stubs.events.commandCalls(ListRulesCommand).map((c) => c.args[0].input)).toEqual([{ EventBusName: 'doplab-payments' }]);
        expect(stubs.events.commandCalls(ListTargetsByRuleCommand).map((c) => c.args[0].input)).toEqual([{ Rule: SOLUTION_RULE_NAME, EventBusName: 'doplab-payments' }]);
        const tested = stubs.events.commandCalls(TestEventPatternCommand).map((c) => c.args[0].input);
        expect(tested).toHaveLength(SAMPLE_EVENTS.length + 3);
        expect(tested.filter((t) => t.EventPattern === JSON.stringify(SOLUTION_PATTERN))).toEqual(
          SAMPLE_EVENTS.map((s, i) => ({ EventPattern: JSON.stringify(SOLUTION_PATTERN), Event: JSON.stringify(sampleEnvelope(s, i, ACCOUNT, REGION)) })),
        );
        for (const { Event } of tested) expect(Object.keys(JSON.parse(Event ?? '{}') as object)).toEqual(['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail']);
        expect(stubs.events.commandCalls(ListRuleNamesByTargetCommand).map((c) => c.args[0].input)).toEqual([{ TargetArn: HANDLER_ARN, EventBusName: 'default' }]);
        expect(stubs.events.commandCalls(DescribeRuleCommand).map((c) => c.args[0].input)).toEqual([{ Name: SOLUTION_ALARM_RULE_NAME, EventBusName: 'default' }]);
        expect(stubs.events.commandCalls(ListArchivesCommand).map((c) => c.args[0].input)).toEqual([{ EventSourceArn: BUS_ARN }]);
        expect(stubs.events.commandCalls(ListReplaysCommand).map((c) => c.args[0].input)).toEqual([
          { EventSourceArn: `arn:aws:events:${REGION}:${ACCOUNT}:archive/${SOLUTION_ARCHIVE_NAME}` },
        ]);
        expect(stubs.sqs.commandCalls(GetQueueUrlCommand).map((c) => c.args[0].input)).toEqual([{ QueueName: SOLUTION_DLQ_NAME, QueueOwnerAWSAccountId: ACCOUNT }]);
        expect(stubs.sqs.commandCalls(GetQueueAttributesCommand).map((c) => c.args[0].input.QueueUrl)).toEqual([QUEUE_URL, `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${SOLUTION_DLQ_NAME}`]);
        expect(stubs.sns.commandCalls(GetTopicAttributesCommand).map((c) => c.args[0].input)).toEqual([{ TopicArn: TOPIC_ARN }]);
        const metricQueries = stubs.cloudwatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.MetricDataQueries?.map((q) => q.MetricStat?.Metric));
        expect(metricQueries).toEqual(
          expect.arrayContaining([
            [
              { Namespace: 'AWS/Events', MetricName: 'Invocations', Dimensions: [{ Name: 'EventBusName', Value: 'doplab-payments' }, { Name: 'RuleName', Value: SOLUTION_RULE_NAME }] },
              { Namespace: 'AWS/Events', MetricName: 'FailedInvocations', Dimensions: [{ Name: 'EventBusName', Value: 'doplab-payments' }, { Name: 'RuleName', Value: SOLUTION_RULE_NAME }] },
            ],
            [
              { Namespace: 'AWS/Events', MetricName: 'Invocations', Dimensions: [{ Name: 'RuleName', Value: SOLUTION_ALARM_RULE_NAME }] },
              { Namespace: 'AWS/Events', MetricName: 'FailedInvocations', Dimensions: [{ Name: 'RuleName', Value: SOLUTION_ALARM_RULE_NAME }] },
            ],
            [{ Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: [{ Name: 'FunctionName', Value: STACK_OUTPUTS.HandlerFunctionName }] }],
          ]),
        );
        expect(metricQueries).toHaveLength(3);
        expect([...new Set(actions)].sort()).toEqual(checkerActions(checker));
        expect(actions.every(isReadOnlyAction)).toBe(true);
        expect(JSON.parse(JSON.stringify(file.facts))).toEqual(file.facts);
        expect(file.stack).toEqual({ name: STACK_NAME, status: 'CREATE_COMPLETE', outputs: STACK_OUTPUTS });
      } finally {
        stubs.restore();
      }
    });

    it('starts the metrics window at the stack creation, at most a day back', async () => {
      const { stubs, file } = await gatherWorld(solvedWorld());
      stubs.restore();
      const input = stubs.cloudwatch.commandCalls(GetMetricDataCommand)[0].args[0].input;
      const dayAgo = Date.now() - 24 * 3600_000;
      expect((input.StartTime as Date).getTime()).toBeGreaterThanOrEqual(Math.floor(dayAgo / 60_000) * 60_000 - 60_000);
      expect(file.facts.since).toBe((input.StartTime as Date).toISOString());
    });

    it(`tests the patterns of at most ${MAX_RULES_TESTED} rules, those targeting the lab first`, async () => {
      const world = solvedWith((w) => {
        for (let i = 0; i < 7; i++) w.busRules.unshift({ name: `a-other-${i}`, pattern: { source: ['x'] }, targets: [] });
      });
      const { stubs, file } = await gatherWorld(world);
      stubs.restore();
      if (!file.facts.busRules.ok) throw new Error('rules not read');
      const tested = file.facts.busRules.value.filter((r) => r.matches !== null).map((r) => r.name);
      expect(tested).toHaveLength(MAX_RULES_TESTED);
      expect(tested).toContain(SOLUTION_RULE_NAME);
      expect(stubs.events.commandCalls(TestEventPatternCommand)).toHaveLength(MAX_RULES_TESTED * SAMPLE_EVENTS.length + 3);
    });

    it('rejects with LAB_NOT_DEPLOYED and a deploy hint when the stack does not exist', async () => {
      const error = await gatherWorld(solvedWorld(), (stubs) =>
        stubs.cloudformation.on(DescribeStacksCommand).rejects(awsError('ValidationError', `Stack with id ${STACK_NAME} does not exist`)),
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      mockClient(CloudFormationClient).restore();
      expect(error).toBeInstanceOf(DoplabError);
      expect(error).toMatchObject({ code: 'LAB_NOT_DEPLOYED', hint: expect.stringMatching(/doplab deploy eventbridge-incidents/) });
    });
  });

  describe('read-only guard', () => {
    it('refuses PutRule on a checker client before anything is sent', async () => {
      const events = mockClient(EventBridgeClient);
      try {
        const session = new MockedSession({ region: REGION, credentials: CREDENTIALS }, SDK_MODULES);
        const client = session.readOnlyClient(EventBridgeClient, REGION);
        await expect(client.send(new PutRuleCommand({ Name: 'x', EventPattern: '{}' }))).rejects.toThrow(/Refused events:PutRule: checkers may only read/);
        expect(events.calls()).toHaveLength(0);
        // The same client still reads, so the refusal above is the guard and not a broken mock.
        events.on(ListRulesCommand).resolves({ Rules: [] });
        await expect(client.send(new ListRulesCommand({ EventBusName: 'doplab-payments' }))).resolves.toMatchObject({ Rules: [] });
        expect(events.calls()).toHaveLength(1);
      } finally {
        events.restore();
      }
    });
  });

  describe('solution', () => {
    let events: AwsClientStub<EventBridgeClient>;
    let sqs: AwsClientStub<SQSClient>;
    let sns: AwsClientStub<SNSClient>;
    let lambda: AwsClientStub<LambdaClient>;

    beforeEach(() => {
      events = mockClient(EventBridgeClient);
      sqs = mockClient(SQSClient);
      sns = mockClient(SNSClient);
      lambda = mockClient(LambdaClient);
      sqs.on(CreateQueueCommand).resolves({ QueueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${SOLUTION_DLQ_NAME}` });
      sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { QueueArn: DLQ_ARN } });
      sqs.on(SetQueueAttributesCommand).resolves({});
      sns.on(SetTopicAttributesCommand).resolves({});
      events.on(PutRuleCommand, { Name: SOLUTION_RULE_NAME }).resolves({ RuleArn: RULE_ARN });
      events.on(PutRuleCommand, { Name: SOLUTION_ALARM_RULE_NAME }).resolves({ RuleArn: ALARM_RULE_ARN });
      events.on(PutTargetsCommand).resolves({ FailedEntryCount: 0, FailedEntries: [] });
      events.on(CreateArchiveCommand).resolves({ ArchiveArn: `arn:aws:events:${REGION}:${ACCOUNT}:archive/${SOLUTION_ARCHIVE_NAME}`, State: 'CREATING' });
      events.on(DescribeArchiveCommand).resolves({
        ArchiveArn: `arn:aws:events:${REGION}:${ACCOUNT}:archive/${SOLUTION_ARCHIVE_NAME}`,
        CreationTime: new Date('2026-11-27T10:31:40Z'),
      });
      events.on(StartReplayCommand).resolves({ State: 'STARTING' });
      lambda.on(AddPermissionCommand).resolves({});
    });
    afterEach(() => [events, sqs, sns, lambda].forEach((m) => m.restore()));

    function context(lines: string[] = []): SolutionContext<typeof Outputs> {
      const session = new AwsSession({ region: REGION, credentials: CREDENTIALS });
      const outputs = Object.fromEntries(Object.entries(Outputs).map(([key, id]) => [key, STACK_OUTPUTS[id as keyof typeof STACK_OUTPUTS]])) as SolutionContext<typeof Outputs>['outputs'];
      return { outputs, region: REGION, account: ACCOUNT, client: (ctor) => session.client(ctor, REGION), log: (line) => lines.push(line) };
    }

    it('sends only the actions calls.ts declares for it', async () => {
      await solve(context());
      const sent = [...events.calls(), ...sqs.calls(), ...sns.calls(), ...lambda.calls()].map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''));
      const declared = solutionActions.map((a) => a.split(':')[1]);
      for (const name of sent) expect(declared).toContain(name);
    });

    it('leaves a state that passes every check once events have flowed: the world is built from its own calls', async () => {
      await solve(context());
      const rule = events.commandCalls(PutRuleCommand, { Name: SOLUTION_RULE_NAME })[0].args[0].input;
      const alarmRule = events.commandCalls(PutRuleCommand, { Name: SOLUTION_ALARM_RULE_NAME })[0].args[0].input;
      const targetsOf = (name: string) => events.commandCalls(PutTargetsCommand, { Rule: name })[0].args[0].input.Targets ?? [];
      const policyOf = (url: string) => sqs.commandCalls(SetQueueAttributesCommand, { QueueUrl: url })[0].args[0].input.Attributes?.Policy;
      const archive = events.commandCalls(CreateArchiveCommand)[0].args[0].input;
      expect(events.commandCalls(StartReplayCommand)[0].args[0].input).toMatchObject({ Destination: { Arn: BUS_ARN }, EventStartTime: new Date('2026-11-27T10:31:40Z') });
      expect(lambda.commandCalls(AddPermissionCommand)[0].args[0].input).toMatchObject({ Principal: 'events.amazonaws.com', SourceArn: ALARM_RULE_ARN });
      const world: AwsWorld = {
        ...startingWorld(),
        busRules: [{ name: rule.Name ?? '', pattern: JSON.parse(rule.EventPattern ?? '{}') as object, targets: targetsOf(SOLUTION_RULE_NAME) }],
        alarmRules: [{ name: alarmRule.Name ?? '', pattern: JSON.parse(alarmRule.EventPattern ?? '{}') as object, targets: targetsOf(SOLUTION_ALARM_RULE_NAME) }],
        queuePolicy: policyOf(QUEUE_URL),
        queues: { [DLQ_ARN]: { policy: policyOf(`https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${SOLUTION_DLQ_NAME}`) } },
        topicPolicy: sns.commandCalls(SetTopicAttributesCommand)[0].args[0].input.AttributeValue,
        queueMessages: 25,
        ruleMetrics: { [SOLUTION_RULE_NAME]: { invocations: 50, failed: 0 }, [SOLUTION_ALARM_RULE_NAME]: { invocations: 1, failed: 0 } },
        handlerInvocations: 1,
        archives: [{ name: archive.ArchiveName ?? '', retentionDays: archive.RetentionDays, replays: [{ name: 'payments-archive-replay', state: 'COMPLETED' }] }],
      };
      const result = await judge(world);
      expect(result.checks.filter((c) => c.status !== 'PASS')).toEqual([]);
    });

    it('is idempotent: a second run sends the same calls', async () => {
      await solve(context());
      const first = [...events.calls(), ...sqs.calls(), ...sns.calls(), ...lambda.calls()].map((c) => (c.args[0] as { input: unknown }).input);
      for (const m of [events, sqs, sns, lambda]) m.resetHistory();
      lambda.on(AddPermissionCommand).rejects(awsError('ResourceConflictException', 'The statement id (payment-errors-to-handler) provided already exists.', 409));
      events.on(CreateArchiveCommand).rejects(awsError('ResourceAlreadyExistsException', 'Archive payments-archive already exists.'));
      events.on(StartReplayCommand).rejects(awsError('ResourceAlreadyExistsException', 'Replay payments-archive-replay already exists.'));
      await solve(context());
      const second = [...events.calls(), ...sqs.calls(), ...sns.calls(), ...lambda.calls()].map((c) => (c.args[0] as { input: unknown }).input);
      expect(JSON.parse(JSON.stringify(second, (k, v: unknown) => (k === 'EventEndTime' ? 0 : v)))).toEqual(JSON.parse(JSON.stringify(first, (k, v: unknown) => (k === 'EventEndTime' ? 0 : v))));
    });
  });
});

describe('calls.ts', () => {
  it('declares a role for each function of the stack, the cleanup with every command its handler sends', () => {
    const env = { partition: 'aws', account: ACCOUNT, region: REGION, regions: [REGION], stackName: STACK_NAME, stackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK_NAME}/x` };
    expect(roleCalls.map((r) => r.role)).toEqual(['Generator/Role', 'Handler/Role', 'Cleanup/Handler/Role']);
    const source: string = require('node:fs').readFileSync(require.resolve('../../labs/eventbridge-incidents/cleanup.handler.js'), 'utf8');
    const sent = [...source.matchAll(/new (?:ev|sqsSdk)\.(\w+)Command/g)].map((m) => m[1]);
    const cleanupActions = roleCalls[2].calls(env).map((c) => c.action.split(':')[1]);
    expect([...new Set(sent)].sort()).toEqual([...new Set(cleanupActions.filter((a) => a !== 'CreateLogStream' && a !== 'PutLogEvents'))].sort());
  });
});

describe('input transformer (pure)', () => {
  const event = sampleEnvelope(SAMPLE_EVENTS[0], 0, ACCOUNT, REGION);
  const paths = SOLUTION_INPUT_TRANSFORMER.InputPathsMap;

  it.each<[string, string, Record<string, string>, string]>([
    ['an unquoted line', 'Payment <paymentId> failed (<severity>): <reason>', paths, 'Payment pay-7f3a91 failed (HIGH): card declined by issuer'],
    ['a quoted line (SNS gets the string content)', '"Payment <paymentId> failed (<severity>): <reason>"', paths, 'Payment pay-7f3a91 failed (HIGH): card declined by issuer'],
    ['a number value', 'amount <amount>', { amount: '$.detail.amount' }, 'amount 249.9'],
    ['the AWS docs example', '<instance> is in state <status>', { instance: '$.detail.paymentId', status: '$.detail-type' }, 'pay-7f3a91 is in state Payment Failed'],
    ['escaped quotes in a quoted template', '"<id> is \\"<sev>\\""', { id: '$.detail.paymentId', sev: '$.detail.severity' }, 'pay-7f3a91 is "HIGH"'],
    ['a missing path (the variable is not created)', 'id=<id>.', { id: '$.detail.nothing' }, 'id=.'],
    ['an unknown placeholder (left as typed)', 'id=<nope>', {}, 'id=<nope>'],
    ['an array index', 'first <r>', { r: '$.resources[0]' }, 'first '],
    ['the predefined rule name', 'rule <aws.events.rule-name>', {}, 'rule my-rule'],
  ])('evaluates %s', (_, template, map, expected) => {
    expect(applyInputTransformer(event, { InputPathsMap: map, InputTemplate: template }, { ruleArn: RULE_ARN, ruleName: 'my-rule' })).toMatchObject({ ok: true, output: expected });
  });

  it('quotes string values placed outside a JSON string and escapes them inside one', () => {
    const quoteEvent = { detail: { reason: 'said "no"' } };
    expect(applyInputTransformer(quoteEvent, { InputPathsMap: { r: '$.detail.reason' }, InputTemplate: '{"a": <r>, "b": "why: <r>"}' })).toEqual({
      ok: true,
      output: '{"a": "said \\"no\\"", "b": "why: said \\"no\\""}',
      kind: 'json',
    });
    expect(JSON.parse((applyInputTransformer(quoteEvent, { InputPathsMap: { r: '$.detail.reason' }, InputTemplate: '{"a": <r>}' }) as { output: string }).output)).toEqual({ a: 'said "no"' });
  });

  it('refuses JSON path syntax EventBridge does not support, and a template missing', () => {
    expect(applyInputTransformer(event, { InputPathsMap: { x: "$['detail']" }, InputTemplate: '<x>' })).toEqual({ ok: false, error: expect.stringMatching(/does not support/) });
    expect(applyInputTransformer(event, { InputPathsMap: {} })).toEqual({ ok: false, error: 'the input transformer has no InputTemplate' });
    expect(() => readPath(event, 'detail.x')).toThrow(/must start with \$/);
  });

  it('yields the on-call line for every serious failure of the samples', () => {
    for (const [i, s] of SAMPLE_EVENTS.entries()) {
      const result = applyInputTransformer(sampleEnvelope(s, i, ACCOUNT, REGION), SOLUTION_INPUT_TRANSFORMER);
      expect(result).toEqual({ ok: true, output: onCallLine(s), kind: 'string' });
    }
  });
});

describe('delivery policy (pure), table-tested against iam-simulate', () => {
  /** The same probes decided by @cloud-copilot/iam-simulate, the reference implementation of IAM's evaluation. */
  async function oracle(document: string | undefined, resourceArn: string, kind: 'queue' | 'topic'): Promise<string[]> {
    const { runSimulation } = await import('@cloud-copilot/iam-simulate');
    return Promise.all(
      deliveryProbes(kind, RULE_ARN).map(async (probe) => {
        const result = await runSimulation(
          {
            request: { principal: 'events.amazonaws.com', action: probe.action, resource: { resource: resourceArn, accountId: ACCOUNT }, contextVariables: deliveryContext(probe.sourceArn, ACCOUNT) },
            identityPolicies: [],
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            ...(document ? { resourcePolicy: JSON.parse(document) as unknown } : {}),
          },
          {},
        );
        return result.resultType === 'error' ? `error ${JSON.stringify(result.errors)}` : result.overallResult;
      }),
    );
  }
  const decide = (document: string | undefined, resourceArn: string, kind: 'queue' | 'topic') =>
    simulateDelivery(document, resourceArn, ACCOUNT, deliveryProbes(kind, RULE_ARN)).map((d) => d.decision);
  const deny = (action: string, resource: string, condition?: object, principal: unknown = '*') => ({
    Effect: 'Deny',
    Principal: principal,
    Action: action,
    Resource: resource,
    ...(condition ? { Condition: condition } : {}),
  });

  it.each<[string, string | undefined, string[]]>([
    ['no policy', undefined, ['ImplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied']],
    ['the SSL-only starting policy', SSL_ONLY_QUEUE_POLICY, ['ImplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied']],
    ['SendMessage for the rule', policy([allowEvents('sqs:SendMessage', QUEUE_ARN, onRule)]), ['Allowed', 'ImplicitlyDenied', 'ImplicitlyDenied']],
    ['SendMessage for the rule, with the SSL deny kept', policy([allowEvents('sqs:SendMessage', QUEUE_ARN, onRule), deny('sqs:*', QUEUE_ARN, { Bool: { 'aws:SecureTransport': 'false' } }, { AWS: '*' })]), ['Allowed', 'ImplicitlyDenied', 'ImplicitlyDenied']],
    ['SendMessage for the whole account', policy([allowEvents('sqs:SendMessage', QUEUE_ARN, { StringEquals: { 'aws:SourceAccount': ACCOUNT } })]), ['Allowed', 'Allowed', 'ImplicitlyDenied']],
    ['SendMessage for rules of the bus (ArnLike wildcard)', policy([allowEvents('sqs:SendMessage', QUEUE_ARN, { ArnLike: { 'aws:SourceArn': 'arn:aws:events:*:*:rule/doplab-payments/*' } })]), ['Allowed', 'Allowed', 'ImplicitlyDenied']],
    ['SendMessage with no condition', policy([allowEvents('sqs:SendMessage', QUEUE_ARN)]), ['Allowed', 'Allowed', 'ImplicitlyDenied']],
    ['sqs:* for the rule', policy([allowEvents('sqs:*', QUEUE_ARN, onRule)]), ['Allowed', 'ImplicitlyDenied', 'Allowed']],
    ['sqs:Send* (wildcard action) for the rule', policy([allowEvents('sqs:Send*', QUEUE_ARN, onRule)]), ['Allowed', 'ImplicitlyDenied', 'ImplicitlyDenied']],
    ['SQS:SENDMESSAGE (actions ignore case)', policy([allowEvents('SQS:SENDMESSAGE', QUEUE_ARN, onRule)]), ['Allowed', 'ImplicitlyDenied', 'ImplicitlyDenied']],
    ['Principal "*" with the rule condition', policy([{ ...allowEvents('sqs:SendMessage', QUEUE_ARN, onRule), Principal: '*' }]), ['Allowed', 'ImplicitlyDenied', 'ImplicitlyDenied']],
    ['Principal {"AWS": "*"} with the rule condition', policy([{ ...allowEvents('sqs:SendMessage', QUEUE_ARN, onRule), Principal: { AWS: '*' } }]), ['Allowed', 'ImplicitlyDenied', 'ImplicitlyDenied']],
    ['another service principal', policy([{ ...allowEvents('sqs:SendMessage', QUEUE_ARN, onRule), Principal: { Service: 'sns.amazonaws.com' } }]), ['ImplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied']],
    ['an allow to the account root (not the service)', policy([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sqs:SendMessage', Resource: QUEUE_ARN }]), ['ImplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied']],
    ['an allow overridden by an explicit deny for the service', policy([allowEvents('sqs:SendMessage', QUEUE_ARN, onRule), deny('sqs:SendMessage', QUEUE_ARN, undefined, { Service: 'events.amazonaws.com' })]), ['ExplicitlyDenied', 'ExplicitlyDenied', 'ImplicitlyDenied']],
    ['a deny for every rule but this one (ArnNotEquals)', policy([allowEvents('sqs:SendMessage', QUEUE_ARN), deny('sqs:SendMessage', QUEUE_ARN, { ArnNotEquals: { 'aws:SourceArn': RULE_ARN } })]), ['Allowed', 'ExplicitlyDenied', 'ImplicitlyDenied']],
    ['a condition on a key the request lacks', policy([allowEvents('sqs:SendMessage', QUEUE_ARN, { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } })]), ['ImplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied']],
    ['...IfExists on a key the request lacks', policy([allowEvents('sqs:SendMessage', QUEUE_ARN, { StringEqualsIfExists: { 'aws:PrincipalOrgID': 'o-abc123' }, ...onRule })]), ['Allowed', 'ImplicitlyDenied', 'ImplicitlyDenied']],
    ['a Null condition', policy([allowEvents('sqs:SendMessage', QUEUE_ARN, { Null: { 'aws:SourceArn': 'false' }, ...onRule })]), ['Allowed', 'ImplicitlyDenied', 'ImplicitlyDenied']],
    ['NotAction', policy([{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, NotAction: 'sqs:ReceiveMessage', Resource: QUEUE_ARN, Condition: onRule }]), ['Allowed', 'ImplicitlyDenied', 'ImplicitlyDenied']],
    ['the wrong resource', policy([allowEvents('sqs:SendMessage', `${QUEUE_ARN}-other`, onRule)]), ['ImplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied']],
    ['a resource wildcard over the account', policy([allowEvents('sqs:SendMessage', `arn:aws:sqs:${REGION}:${ACCOUNT}:*`, onRule)]), ['Allowed', 'ImplicitlyDenied', 'ImplicitlyDenied']],
  ])('queue: %s', async (_, document, expected) => {
    expect(decide(document, QUEUE_ARN, 'queue')).toEqual(expected);
    expect(await oracle(document, QUEUE_ARN, 'queue')).toEqual(expected);
  });

  it.each<[string, string | undefined, string[]]>([
    ['the SSL-only starting policy', SSL_ONLY_TOPIC_POLICY, ['ImplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied']],
    ['Publish for the rule, with the SSL deny kept', policy([allowEvents('sns:Publish', TOPIC_ARN, onRule), deny('sns:Publish', TOPIC_ARN, { Bool: { 'aws:SecureTransport': 'false' } })]), ['Allowed', 'ImplicitlyDenied', 'ImplicitlyDenied']],
    ['sns:* for the rule', policy([allowEvents('sns:*', TOPIC_ARN, onRule)]), ['Allowed', 'ImplicitlyDenied', 'Allowed']],
    ['Publish for the account (SourceAccount)', policy([allowEvents('sns:Publish', TOPIC_ARN, { StringEquals: { 'aws:SourceAccount': ACCOUNT } })]), ['Allowed', 'Allowed', 'ImplicitlyDenied']],
  ])('topic: %s', async (_, document, expected) => {
    expect(decide(document, TOPIC_ARN, 'topic')).toEqual(expected);
    expect(await oracle(document, TOPIC_ARN, 'topic')).toEqual(expected);
  });

  it('marks decisions as expected or not', () => {
    const decisions = simulateDelivery(deliveryPolicy(QUEUE_ARN, 'sqs:SendMessage', RULE_ARN), QUEUE_ARN, ACCOUNT, deliveryProbes('queue', RULE_ARN));
    expect(decisions.every(asExpected)).toBe(true);
    expect(simulateDelivery(undefined, QUEUE_ARN, ACCOUNT, deliveryProbes('queue', RULE_ARN)).map(asExpected)).toEqual([false, true, true]);
  });

  it('gives Error, never a guess, for a policy that is not JSON or uses what it does not evaluate', () => {
    const notJson = simulateDelivery('{not json', QUEUE_ARN, ACCOUNT, deliveryProbes('queue', RULE_ARN));
    expect(notJson.map((d) => d.decision)).toEqual(['Error', 'Error', 'Error']);
    expect(notJson[0].error).toMatch(/not JSON/);
    const numeric = simulateDelivery(policy([allowEvents('sqs:SendMessage', QUEUE_ARN, { NumericLessThan: { 'aws:EpochTime': '1' } })]), QUEUE_ARN, ACCOUNT, deliveryProbes('queue', RULE_ARN));
    expect(numeric[0]).toMatchObject({ decision: 'Error', error: 'condition operator NumericLessThan is not evaluated' });
    const variable = simulateDelivery(policy([allowEvents('sqs:SendMessage', 'arn:aws:sqs:*:${aws:PrincipalAccount}:*')]), QUEUE_ARN, ACCOUNT, deliveryProbes('queue', RULE_ARN));
    expect(variable[0].decision).toBe('Error');
  });

  it('reads the real shape of policies the checks see', () => {
    expect(evaluateResourcePolicy(JSON.parse(SSL_ONLY_QUEUE_POLICY), { service: 'events.amazonaws.com', action: 'sqs:SendMessage', resource: QUEUE_ARN, context: { 'aws:SecureTransport': 'false' } })).toBe(
      'ExplicitlyDenied',
    );
  });
});

describe('event pattern test double', () => {
  it('agrees with the sample labels on the solution pattern', () => {
    SAMPLE_EVENTS.forEach((s, i) => expect([s.label, matchesPattern(SOLUTION_PATTERN, sampleEnvelope(s, i, ACCOUNT, REGION))]).toEqual([s.label, s.page]));
  });

  it('matches the alarm pattern on resources', () => {
    expect(matchesPattern(alarmPattern(ALARM_ARN), { source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', resources: [ALARM_ARN], detail: { state: { value: 'ALARM' } } })).toBe(true);
    expect(matchesPattern(alarmPattern(ALARM_ARN), { source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', resources: ['x'], detail: { state: { value: 'ALARM' } } })).toBe(false);
  });
});
