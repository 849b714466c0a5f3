import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  CancelReplayCommand,
  DeleteArchiveCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  EventBridgeClient,
  ListArchivesCommand,
  ListReplaysCommand,
  ListRuleNamesByTargetCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import {
  ALARM_EVERY_MINUTES,
  ALARM_NAME,
  EVENT_BUS_NAME,
  EVENT_SOURCE,
  HANDLER_FUNCTION_NAME,
  INCIDENT_QUEUE_NAME,
  LAB_ID,
  ON_CALL_TOPIC_NAME,
  Outputs,
  SAMPLE_EVENTS,
} from '../../labs/eventbridge-incidents/contract';
import { addLabStack } from '../../labs/eventbridge-incidents/stack';
import { awsError } from '../support/mocked-session';

type Log = (...args: unknown[]) => void;
const cleanup = require('../../labs/eventbridge-incidents/cleanup.handler.js') as {
  onDelete: (props: Record<string, string>, log: Log) => Promise<void>;
};
const generator = require('../../labs/eventbridge-incidents/generator.handler.js') as {
  handler: () => Promise<{ put: number }>;
  buildEntries: (samples: unknown[], bus: string, source: string, now?: Date) => { EventBusName: string; Source: string; DetailType: string; Time: Date; Detail: string }[];
  failsAt: (now: Date, every: number) => boolean;
};
const incidentHandler = require('../../labs/eventbridge-incidents/handler.handler.js') as { handler: (event: unknown) => Promise<{ recorded: boolean }> };

describe('eventbridge-incidents stack', () => {
  let template: Template;
  let json: { Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }> };

  beforeAll(() => {
    template = Template.fromStack(addLabStack(new App()));
    json = template.toJSON() as typeof json;
  });

  const only = (type: string) => {
    const ids = Object.keys(template.findResources(type));
    expect(ids).toHaveLength(1);
    return ids[0];
  };
  const functionLoggingTo = (name: string) => {
    const [group] = Object.keys(template.findResources('AWS::Logs::LogGroup', { Properties: { LogGroupName: `/doplab/${LAB_ID}/lambda/${name}` } }));
    const [fn] = Object.keys(template.findResources('AWS::Lambda::Function', { Properties: { LoggingConfig: { LogGroup: { Ref: group } } } }));
    expect(fn).toBeDefined();
    return fn;
  };

  it('has the payments bus, with no rule on it', () => {
    const busId = only('AWS::Events::EventBus');
    expect(json.Resources[busId].Properties.Name).toBe(EVENT_BUS_NAME);
    const onBus = Object.values(json.Resources).filter((r) => r.Type === 'AWS::Events::Rule' && r.Properties.EventBusName !== undefined);
    expect(onBus).toEqual([]);
  });

  it('runs the generator every minute, with no retries (neither EventBridge\'s nor Lambda\'s), putting the samples on the bus and nothing else', () => {
    const fn = functionLoggingTo('generator');
    const props = json.Resources[fn].Properties as { Code: { ZipFile: string }; Environment: { Variables: Record<string, unknown> } };
    expect(props.Code.ZipFile).toContain('PutEventsCommand');
    expect(props.Environment.Variables).toEqual({
      EVENT_BUS_NAME: { Ref: only('AWS::Events::EventBus') },
      EVENT_SOURCE,
      ALARM_EVERY: String(ALARM_EVERY_MINUTES),
      ALARM_NAME,
      SAMPLE_EVENTS: JSON.stringify(SAMPLE_EVENTS.map(({ detailType, detail }) => ({ detailType, detail }))),
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fn, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: fn }, Qualifier: '$LATEST', MaximumRetryAttempts: 0 });
    template.hasResourceProperties('AWS::IAM::Role', {
      Policies: [
        {
          PolicyName: 'Function',
          PolicyDocument: {
            Statement: Match.arrayWith([{ Action: 'events:PutEvents', Effect: 'Allow', Resource: { 'Fn::GetAtt': [only('AWS::Events::EventBus'), 'Arn'] } }]),
          },
        },
      ],
    });
  });

  it('has an SSE-SQS incident queue whose policy only refuses plain HTTP', () => {
    const queueId = only('AWS::SQS::Queue');
    expect(json.Resources[queueId].Properties).toMatchObject({ QueueName: INCIDENT_QUEUE_NAME, SqsManagedSseEnabled: true });
    expect(json.Resources[queueId].Properties.KmsMasterKeyId).toBeUndefined();
    const policy = json.Resources[only('AWS::SQS::QueuePolicy')].Properties.PolicyDocument as { Statement: { Effect: string }[] };
    expect(policy.Statement.map((s) => s.Effect)).toEqual(['Deny']);
  });

  it('has an unencrypted on-call topic whose policy only refuses plain HTTP (granting EventBridge is the task)', () => {
    const topicId = only('AWS::SNS::Topic');
    expect(json.Resources[topicId].Properties).toMatchObject({ TopicName: ON_CALL_TOPIC_NAME });
    expect(json.Resources[topicId].Properties.KmsMasterKeyId).toBeUndefined();
    const policy = json.Resources[only('AWS::SNS::TopicPolicy')].Properties.PolicyDocument as { Statement: { Effect: string; Condition: unknown }[] };
    expect(policy.Statement).toEqual([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]);
  });

  it('has the incident handler under its fixed name, allowed to write its own logs only', () => {
    const fn = functionLoggingTo('handler');
    expect(json.Resources[fn].Properties.FunctionName).toBe(HANDLER_FUNCTION_NAME);
    const roleId = (json.Resources[fn].Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const statements = (json.Resources[roleId].Properties.Policies as { PolicyDocument: { Statement: { Action: unknown }[] } }[])[0].PolicyDocument.Statement;
    expect(statements.map((s) => s.Action)).toEqual([['logs:CreateLogStream', 'logs:PutLogEvents']]);
  });

  it("alarms on the generator's own Errors metric, one failed minute being enough", () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: ALARM_NAME,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionLoggingTo('generator') } }],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('cleans up before CloudFormation deletes the bus, the queue, the topic, the handler and the alarm', () => {
    const cleanupId = only('Custom::DopLabCleanup');
    const resource = json.Resources[cleanupId];
    expect(resource.Properties).toMatchObject({
      BusName: { Ref: only('AWS::Events::EventBus') },
      IncidentQueueArn: { 'Fn::GetAtt': [only('AWS::SQS::Queue'), 'Arn'] },
      Region: { Ref: 'AWS::Region' },
    });
    expect(resource.DependsOn).toEqual(
      expect.arrayContaining([
        only('AWS::Events::EventBus'),
        only('AWS::SQS::Queue'),
        only('AWS::SQS::QueuePolicy'),
        only('AWS::SNS::Topic'),
        only('AWS::SNS::TopicPolicy'),
        functionLoggingTo('handler'),
        only('AWS::CloudWatch::Alarm'),
      ]),
    );
  });

  it('exports every contract output', () => {
    for (const id of Object.values(Outputs)) template.hasOutput(id, {});
  });
});

describe('generator.handler.js', () => {
  const ENV = ['EVENT_BUS_NAME', 'EVENT_SOURCE', 'SAMPLE_EVENTS', 'ALARM_EVERY', 'ALARM_NAME'] as const;
  const saved = ENV.map((name) => process.env[name]);
  const samples = SAMPLE_EVENTS.map(({ detailType, detail }) => ({ detailType, detail }));
  let events: AwsClientStub<EventBridgeClient>;

  beforeEach(() => {
    events = mockClient(EventBridgeClient);
    Object.assign(process.env, { EVENT_BUS_NAME, EVENT_SOURCE, SAMPLE_EVENTS: JSON.stringify(samples), ALARM_EVERY: '10', ALARM_NAME });
  });
  afterEach(() => {
    events.restore();
    jest.useRealTimers();
    ENV.forEach((name, i) => {
      if (saved[i] === undefined) delete process.env[name];
      else process.env[name] = saved[i];
    });
  });

  it('puts every sample once on the lab bus, with fresh payment ids and the detail otherwise unchanged', () => {
    const now = new Date('2026-11-27T10:21:00Z');
    const entries = generator.buildEntries(samples, EVENT_BUS_NAME, EVENT_SOURCE, now);
    expect(entries).toHaveLength(SAMPLE_EVENTS.length);
    entries.forEach((entry, i) => {
      expect(entry).toMatchObject({ EventBusName: EVENT_BUS_NAME, Source: EVENT_SOURCE, DetailType: SAMPLE_EVENTS[i].detailType, Time: now });
      const detail = JSON.parse(entry.Detail) as Record<string, unknown>;
      expect(detail.paymentId).toMatch(/^pay-[0-9a-f]{6}$/);
      expect({ ...detail, paymentId: 'x' }).toEqual({ ...SAMPLE_EVENTS[i].detail, paymentId: 'x' });
    });
  });

  it('fails every tenth minute only', () => {
    const minutes = Array.from({ length: 30 }, (_, m) => generator.failsAt(new Date(Date.UTC(2026, 10, 27, 10, m)), 10));
    expect(minutes.filter(Boolean)).toHaveLength(3);
    expect(generator.failsAt(new Date('2026-11-27T10:20:30Z'), 10)).toBe(true);
    expect(generator.failsAt(new Date('2026-11-27T10:21:00Z'), 10)).toBe(false);
  });

  it('sends one PutEvents, and throws in a failing minute after putting the events', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: SAMPLE_EVENTS.map((_, i) => ({ EventId: `e-${i}` })) });
    jest.useFakeTimers({ now: new Date('2026-11-27T10:21:00Z'), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    await expect(generator.handler()).resolves.toEqual({ put: SAMPLE_EVENTS.length });
    jest.setSystemTime(new Date('2026-11-27T10:30:05Z'));
    await expect(generator.handler()).rejects.toThrow(/simulated payment processor crash .* DopLab-eventbridge-incidents-payment-errors/);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(2);
  });

  it('throws when EventBridge refuses entries, naming the error codes', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'x' }] });
    jest.useFakeTimers({ now: new Date('2026-11-27T10:21:00Z'), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    await expect(generator.handler()).rejects.toThrow('PutEvents refused 1 of 10 events: InternalFailure');
  });
});

describe('handler.handler.js', () => {
  it('records one JSON line per event', async () => {
    const spy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const event = { source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', resources: ['arn:x'], detail: { alarmName: ALARM_NAME, state: { value: 'ALARM' } } };
      await expect(incidentHandler.handler(event)).resolves.toEqual({ recorded: true });
      expect(JSON.parse(spy.mock.calls[0][0] as string)).toMatchObject({ source: 'aws.cloudwatch', alarmName: ALARM_NAME, state: 'ALARM', resources: ['arn:x'] });
    } finally {
      spy.mockRestore();
    }
  });
});

describe('cleanup.handler.js', () => {
  const REGION = 'eu-west-1';
  const ACCOUNT = '111122223333';
  const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  const BUS_ARN = arn('events', `event-bus/${EVENT_BUS_NAME}`);
  const QUEUE_ARN = arn('sqs', INCIDENT_QUEUE_NAME);
  const TOPIC_ARN = arn('sns', ON_CALL_TOPIC_NAME);
  const HANDLER_ARN = arn('lambda', `function:${HANDLER_FUNCTION_NAME}`);
  const props = { BusName: EVENT_BUS_NAME, BusArn: BUS_ARN, LabTargets: [QUEUE_ARN, TOPIC_ARN, HANDLER_ARN].join(','), IncidentQueueArn: QUEUE_ARN, Region: REGION };
  const BUS_CREATED = new Date('2026-11-27T10:02:30Z');
  let events: AwsClientStub<EventBridgeClient>;
  let sqs: AwsClientStub<SQSClient>;
  let log: jest.Mock;

  beforeEach(() => {
    events = mockClient(EventBridgeClient);
    sqs = mockClient(SQSClient);
    log = jest.fn();
    events.on(DescribeEventBusCommand, { Name: EVENT_BUS_NAME }).resolves({ Name: EVENT_BUS_NAME, Arn: BUS_ARN, CreationTime: BUS_CREATED });
    events.on(ListRulesCommand).resolves({ Rules: [] });
    events.on(ListRuleNamesByTargetCommand).resolves({ RuleNames: [] });
    events.on(ListArchivesCommand).resolves({ Archives: [] });
    events.on(RemoveTargetsCommand).resolves({ FailedEntryCount: 0 });
    events.on(DeleteRuleCommand).resolves({});
    events.on(DeleteArchiveCommand).resolves({});
    events.on(CancelReplayCommand).resolves({});
    sqs.on(DeleteQueueCommand).resolves({});
  });
  afterEach(() => {
    events.restore();
    sqs.restore();
  });

  /** The write calls, in the order sent. */
  function writes(): string[] {
    return [...events.calls(), ...sqs.calls()]
      .map((c) => ({ at: (c as unknown as { callId: number }).callId, command: c.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> } }))
      .filter((c) => /^(Remove|Delete|Cancel)/.test(c.command.constructor.name))
      .sort((a, b) => a.at - b.at)
      .map(({ command }) => `${command.constructor.name.replace(/Command$/, '')} ${JSON.stringify(command.input)}`);
  }

  it('removes targets before deleting each rule on the lab bus and each default-bus rule that targets a lab resource, then the new dead-letter queue', async () => {
    events.on(ListRulesCommand, { EventBusName: EVENT_BUS_NAME, NextToken: undefined }).resolves({ Rules: [{ Name: 'page-on-call', EventBusName: EVENT_BUS_NAME }], NextToken: 'p2' });
    events.on(ListRulesCommand, { EventBusName: EVENT_BUS_NAME, NextToken: 'p2' }).resolves({ Rules: [{ Name: 'managed', ManagedBy: 'schemas.amazonaws.com' }] });
    events.on(ListRuleNamesByTargetCommand, { TargetArn: HANDLER_ARN, EventBusName: 'default' }).resolves({ RuleNames: ['alarm-to-handler'] });
    events.on(ListTargetsByRuleCommand, { Rule: 'page-on-call', EventBusName: EVENT_BUS_NAME }).resolves({
      Targets: [
        { Id: 'queue', Arn: QUEUE_ARN, DeadLetterConfig: { Arn: arn('sqs', 'my-dlq') } },
        { Id: 'topic', Arn: TOPIC_ARN },
      ],
    });
    events.on(ListTargetsByRuleCommand, { Rule: 'alarm-to-handler', EventBusName: 'default' }).resolves({ Targets: [{ Id: 'handler', Arn: HANDLER_ARN }] });
    sqs.on(GetQueueUrlCommand, { QueueName: 'my-dlq', QueueOwnerAWSAccountId: ACCOUNT }).resolves({ QueueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/my-dlq` });
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { CreatedTimestamp: String(BUS_CREATED.getTime() / 1000 + 600) } });

    await cleanup.onDelete(props, log);

    expect(writes()).toEqual([
      `RemoveTargets {"Rule":"page-on-call","EventBusName":"${EVENT_BUS_NAME}","Ids":["queue","topic"]}`,
      `DeleteRule {"Name":"page-on-call","EventBusName":"${EVENT_BUS_NAME}"}`,
      'RemoveTargets {"Rule":"alarm-to-handler","EventBusName":"default","Ids":["handler"]}',
      'DeleteRule {"Name":"alarm-to-handler","EventBusName":"default"}',
      `DeleteQueue {"QueueUrl":"https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/my-dlq"}`,
    ]);
    expect(events.commandCalls(ListRuleNamesByTargetCommand).map((c) => c.args[0].input.TargetArn)).toEqual([QUEUE_ARN, TOPIC_ARN, HANDLER_ARN]);
  });

  it('keeps a dead-letter queue older than the lab, and never touches the incident queue', async () => {
    events.on(ListRulesCommand, { EventBusName: EVENT_BUS_NAME }).resolves({ Rules: [{ Name: 'r' }] });
    events.on(ListTargetsByRuleCommand).resolves({
      Targets: [
        { Id: 'a', Arn: QUEUE_ARN, DeadLetterConfig: { Arn: arn('sqs', 'team-dlq') } },
        { Id: 'b', Arn: TOPIC_ARN, DeadLetterConfig: { Arn: QUEUE_ARN } },
      ],
    });
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/team-dlq` });
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { CreatedTimestamp: '1700000000' } });

    await cleanup.onDelete(props, log);

    expect(sqs.commandCalls(GetQueueUrlCommand).map((c) => c.args[0].input.QueueName)).toEqual(['team-dlq']);
    expect(sqs.commandCalls(DeleteQueueCommand)).toHaveLength(0);
    expect(log).toHaveBeenCalledWith(`kept ${arn('sqs', 'team-dlq')}: it is older than the lab`);
  });

  it('cancels running replays before deleting each archive of the bus', async () => {
    events.on(ListArchivesCommand, { EventSourceArn: BUS_ARN }).resolves({ Archives: [{ ArchiveName: 'payments-archive', EventSourceArn: BUS_ARN }] });
    events.on(ListReplaysCommand, { EventSourceArn: arn('events', 'archive/payments-archive') }).resolves({
      Replays: [
        { ReplayName: 'done', State: 'COMPLETED' },
        { ReplayName: 'running', State: 'RUNNING' },
      ],
    });
    await cleanup.onDelete(props, log);
    expect(writes()).toEqual(['CancelReplay {"ReplayName":"running"}', 'DeleteArchive {"ArchiveName":"payments-archive"}']);
  });

  it('sends no write when the learner made nothing', async () => {
    await cleanup.onDelete(props, log);
    expect(writes()).toEqual([]);
  });

  it('keeps going after a failed delete and reports every failure at the end', async () => {
    events.on(ListRulesCommand, { EventBusName: EVENT_BUS_NAME }).resolves({ Rules: [{ Name: 'a' }, { Name: 'b' }] });
    events.on(ListTargetsByRuleCommand).resolves({ Targets: [{ Id: 't', Arn: QUEUE_ARN }] });
    events.on(DeleteRuleCommand, { Name: 'a', EventBusName: EVENT_BUS_NAME }).rejects(awsError('AccessDeniedException', 'not authorized to perform: events:DeleteRule'));
    await expect(cleanup.onDelete(props, log)).rejects.toThrow(/could not clean up: deleted rule doplab-payments\/a: AccessDeniedException/);
    expect(events.commandCalls(DeleteRuleCommand).map((c) => c.args[0].input.Name)).toEqual(['a', 'b']);
  });

  it('treats a dead-letter queue that is already gone as done', async () => {
    events.on(ListRulesCommand, { EventBusName: EVENT_BUS_NAME }).resolves({ Rules: [{ Name: 'r' }] });
    events.on(ListTargetsByRuleCommand).resolves({ Targets: [{ Id: 'a', Arn: QUEUE_ARN, DeadLetterConfig: { Arn: arn('sqs', 'gone') } }] });
    sqs.on(GetQueueUrlCommand).rejects(awsError('QueueDoesNotExist', 'The specified queue does not exist.'));
    await cleanup.onDelete(props, log);
    expect(log).toHaveBeenCalledWith(`dead-letter queue ${arn('sqs', 'gone')} is already gone`);
  });
});
