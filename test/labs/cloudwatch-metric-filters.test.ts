import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CloudWatchClient, DeleteAlarmsCommand, DescribeAlarmsCommand, type MetricAlarm, type CompositeAlarm } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { INLINE_CODE_LIMIT } from '../../lib/cdk/inline-cleanup';
import type { CfnTemplate } from '../../lib/cost-gate';
import {
  APP_LOG_GROUP_NAME,
  APP_LOG_STREAM_NAME,
  LAB_ID,
  METRIC_NAMESPACE,
  Outputs,
  SAMPLE_EVENTS,
} from '../../labs/cloudwatch-metric-filters/contract';
import { addLabStack } from '../../labs/cloudwatch-metric-filters/stack';
import { cfnEvent, lambdaContext, startCfnResponseServer } from '../support/cfn-response-server';

type Log = (...args: unknown[]) => void;
 
const cleanup = require('../../labs/cloudwatch-metric-filters/cleanup.handler.js') as {
  onDelete: (props: Record<string, string>, log: Log) => Promise<void>;
};
const generator = require('../../labs/cloudwatch-metric-filters/generator.handler.js') as {
  handler: () => Promise<{ written: number }>;
  buildLogEvents: (samples: typeof SAMPLE_EVENTS, now?: number, random?: () => number) => { timestamp: number; message: string }[];
};
const runtime = require('../../lib/cdk/cleanup-runtime.js') as {
  createHandler: (onDelete: typeof cleanup.onDelete) => (event: unknown, context: unknown) => Promise<void>;
};
 

describe('cloudwatch-metric-filters stack', () => {
  let template: Template;
  let json: CfnTemplate & {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;
    Outputs?: Record<string, unknown>;
  };

  beforeAll(() => {
    template = Template.fromStack(addLabStack(new App()));
    json = template.toJSON() as typeof json;
  });

  const idsOf = (type: string) => Object.keys(template.findResources(type));
  const only = (type: string) => {
    const ids = idsOf(type);
    expect(ids).toHaveLength(1);
    return ids[0];
  };
  const logGroupId = (name: string) =>
    Object.keys(template.findResources('AWS::Logs::LogGroup', { Properties: { LogGroupName: name } }))[0];

  describe('the scenario the README promises', () => {
    it('has the application log group, with no retention set, and its log stream', () => {
      template.hasResource('AWS::Logs::LogGroup', {
        Properties: { LogGroupName: APP_LOG_GROUP_NAME, RetentionInDays: Match.absent() },
        DeletionPolicy: 'Delete',
      });
      template.hasResourceProperties('AWS::Logs::LogStream', {
        LogGroupName: { Ref: logGroupId(APP_LOG_GROUP_NAME) },
        LogStreamName: APP_LOG_STREAM_NAME,
      });
    });

    it('runs an inline log generator every minute that writes to the application stream', () => {
      const generatorLogGroup = logGroupId(`/doplab/${LAB_ID}/lambda/generator`);
      const [generatorId] = Object.keys(
        template.findResources('AWS::Lambda::Function', { Properties: { LoggingConfig: { LogGroup: { Ref: generatorLogGroup } } } }),
      );
      expect(generatorId).toBeDefined();
      const fn = json.Resources[generatorId].Properties;
      expect(fn.Code).toEqual({ ZipFile: expect.stringContaining('PutLogEventsCommand') });
      expect(fn.Environment).toEqual({
        Variables: { LOG_GROUP_NAME: APP_LOG_GROUP_NAME, LOG_STREAM_NAME: APP_LOG_STREAM_NAME, SAMPLE_EVENTS: JSON.stringify(SAMPLE_EVENTS) },
      });
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [generatorId, 'Arn'] } })],
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [generatorId, 'Arn'] },
        Principal: 'events.amazonaws.com',
      });
    });

    it('lets the generator put log events on the application stream only', () => {
      const generatorLogGroup = logGroupId(`/doplab/${LAB_ID}/lambda/generator`);
      template.hasResourceProperties('AWS::IAM::Role', {
        Policies: [
          {
            PolicyName: 'Function',
            PolicyDocument: {
              Statement: [
                { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [generatorLogGroup, 'Arn'] } },
                {
                  Action: 'logs:PutLogEvents',
                  Effect: 'Allow',
                  Resource: {
                    'Fn::Join': [
                      '',
                      [
                        'arn:',
                        { Ref: 'AWS::Partition' },
                        ':logs:',
                        { Ref: 'AWS::Region' },
                        ':',
                        { Ref: 'AWS::AccountId' },
                        `:log-group:${APP_LOG_GROUP_NAME}:log-stream:${APP_LOG_STREAM_NAME}`,
                      ],
                    ],
                  },
                },
              ],
            },
          },
        ],
      });
    });

    it("has an alert topic that refuses publishing without TLS and lets the account's CloudWatch alarms publish", () => {
      const topicId = only('AWS::SNS::Topic');
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topicId }],
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            // A topic policy replaces the default one: without this Allow the alarm's notification is refused (issue 10, defect 1).
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: { Ref: topicId },
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': Match.anyValue() } },
            }),
          ],
        },
      });
    });

    it('cleans up learner alarms before CloudFormation deletes the topic and the log group', () => {
      const cleanupId = only('Custom::DopLabCleanup');
      const cleanupResource = json.Resources[cleanupId] as unknown as { Properties: Record<string, unknown>; DependsOn: string[] };
      expect(cleanupResource.Properties).toMatchObject({
        TopicArn: { Ref: only('AWS::SNS::Topic') },
        Namespace: METRIC_NAMESPACE,
        ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^CleanupHandlerFunction/), 'Arn'] },
      });
      expect(cleanupResource.DependsOn).toEqual(
        expect.arrayContaining([only('AWS::SNS::Topic'), only('AWS::SNS::TopicPolicy'), logGroupId(APP_LOG_GROUP_NAME)]),
      );
      template.hasResourceProperties('AWS::IAM::Role', {
        Policies: [
          {
            PolicyDocument: {
              Statement: Match.arrayWith([
                { Action: 'cloudwatch:DescribeAlarms', Effect: 'Allow', Resource: '*' },
                Match.objectLike({ Action: 'cloudwatch:DeleteAlarms', Resource: { 'Fn::Join': ['', Match.arrayWith([':alarm:*'])] } }),
              ]),
            },
          },
        ],
      });
    });

    it('exports the application log group and the alert topic', () => {
      template.hasOutput(Outputs.appLogGroupName, { Value: { Ref: logGroupId(APP_LOG_GROUP_NAME) } });
      template.hasOutput(Outputs.alertTopicArn, { Value: { Ref: only('AWS::SNS::Topic') } });
    });
  });

  describe('housekeeping', () => {
    it("has two Lambda functions, each within doplab's inline code limit", () => {
      const functions = Object.values(template.findResources('AWS::Lambda::Function'));
      expect(functions).toHaveLength(2);
      for (const fn of functions) expect(fn.Properties.Code.ZipFile.length).toBeLessThanOrEqual(INLINE_CODE_LIMIT);
    });
  });
});

describe('cleanup.handler.js', () => {
  const TOPIC = 'arn:aws:sns:us-east-1:123456789012:DopLab-cloudwatch-metric-filters-alerts';
  const OTHER_TOPIC = 'arn:aws:sns:us-east-1:123456789012:billing-alerts';
  const props = { TopicArn: TOPIC, Namespace: METRIC_NAMESPACE };
  let cw: AwsClientStub<CloudWatchClient>;
  let log: jest.Mock;

  beforeEach(() => {
    cw = mockClient(CloudWatchClient);
    log = jest.fn();
  });
  afterEach(() => cw.restore());

  function metricAlarm(name: string, extra: Partial<MetricAlarm>): MetricAlarm {
    return {
      AlarmName: name,
      AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`,
      ActionsEnabled: true,
      AlarmActions: [],
      OKActions: [],
      InsufficientDataActions: [],
      StateValue: 'ALARM',
      MetricName: 'ErrorCount',
      Namespace: 'AWS/Lambda',
      Statistic: 'Sum',
      Dimensions: [],
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      ...extra,
    };
  }

  function compositeAlarm(name: string, rule: string, extra: Partial<CompositeAlarm> = {}): CompositeAlarm {
    return {
      AlarmName: name,
      AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`,
      ActionsEnabled: true,
      AlarmActions: [TOPIC],
      OKActions: [],
      InsufficientDataActions: [],
      AlarmRule: rule,
      StateValue: 'OK',
      ...extra,
    };
  }

  const deleted = () => cw.commandCalls(DeleteAlarmsCommand).map((call) => call.args[0].input.AlarmNames);

  it('finds alarms by the lab topic in any action list and by the lab namespace, across pages, and ignores the rest', async () => {
    cw.on(DescribeAlarmsCommand, { NextToken: undefined })
      .resolves({
        MetricAlarms: [
          metricAlarm('orders-api-errors', { Namespace: METRIC_NAMESPACE, AlarmActions: [TOPIC] }),
          metricAlarm('recovered', { OKActions: [TOPIC] }),
          metricAlarm('billing', { Namespace: 'AWS/Billing', AlarmActions: [OTHER_TOPIC] }),
        ],
        CompositeAlarms: [],
        NextToken: 'page-2',
      })
      .on(DescribeAlarmsCommand, { NextToken: 'page-2' })
      .resolves({
        MetricAlarms: [
          metricAlarm('no-data', { InsufficientDataActions: [TOPIC] }),
          metricAlarm('error-rate', {
            MetricName: undefined,
            Namespace: undefined,
            Statistic: undefined,
            Metrics: [
              { Id: 'errors', MetricStat: { Metric: { Namespace: METRIC_NAMESPACE, MetricName: 'ErrorCount' }, Period: 60, Stat: 'Sum' }, ReturnData: false },
              { Id: 'rate', Expression: 'errors / 60', ReturnData: true },
            ],
          }),
          metricAlarm('search', {
            MetricName: undefined,
            Namespace: undefined,
            Metrics: [{ Id: 's', Expression: `SUM(SEARCH('{${METRIC_NAMESPACE}} MetricName="ErrorCount"', 'Sum', 60))`, ReturnData: true }],
          }),
          metricAlarm('lambda-errors', { Namespace: 'AWS/Lambda', MetricName: 'Errors' }),
        ],
        CompositeAlarms: [compositeAlarm('unrelated-composite', 'ALARM("billing")', { AlarmActions: [OTHER_TOPIC] })],
      });
    cw.on(DeleteAlarmsCommand).resolves({});

    await cleanup.onDelete(props, log);

    expect(cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      { AlarmTypes: ['CompositeAlarm', 'MetricAlarm'], MaxRecords: 100, NextToken: undefined },
      { AlarmTypes: ['CompositeAlarm', 'MetricAlarm'], MaxRecords: 100, NextToken: 'page-2' },
    ]);
    expect(deleted()).toEqual([['orders-api-errors', 'recovered', 'no-data', 'error-rate', 'search']]);
  });

  it('deletes composite alarms first, one per call and parents before children, then the metric alarms', async () => {
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [metricAlarm('orders-api-errors', { Namespace: METRIC_NAMESPACE })],
      CompositeAlarms: [
        compositeAlarm('child', 'ALARM("orders-api-errors")'),
        compositeAlarm('parent', 'ALARM("child") AND ALARM("orders-api-errors")'),
      ],
    });
    cw.on(DeleteAlarmsCommand).resolves({});

    await cleanup.onDelete(props, log);

    expect(deleted()).toEqual([['parent'], ['child'], ['orders-api-errors']]);
  });

  it('deletes metric alarms in batches of at most 100', async () => {
    const many = Array.from({ length: 150 }, (_, i) => metricAlarm(`orders-${i}`, { AlarmActions: [TOPIC] }));
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: many, CompositeAlarms: [] });
    cw.on(DeleteAlarmsCommand).resolves({});

    await cleanup.onDelete(props, log);

    expect(deleted().map((names) => names?.length)).toEqual([100, 50]);
  });

  it('sends no DeleteAlarms when the learner made no alarm', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
    await cleanup.onDelete(props, log);
    expect(cw.commandCalls(DeleteAlarmsCommand)).toHaveLength(0);
  });

  it('keeps going after an AccessDenied on delete, and the runtime reports it without failing the stack delete', async () => {
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [metricAlarm('orders-api-errors', { AlarmActions: [TOPIC] })],
      CompositeAlarms: [compositeAlarm('orders-composite', 'ALARM("orders-api-errors")')],
    });
    const denied = Object.assign(
      new Error(
        'User: arn:aws:sts::123456789012:assumed-role/DopLab-cleanup/fn is not authorized to perform: cloudwatch:DeleteAlarms ' +
          'on resource: arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-composite',
      ),
      { name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } },
    );
    cw.on(DeleteAlarmsCommand, { AlarmNames: ['orders-composite'] }).rejects(denied);
    cw.on(DeleteAlarmsCommand, { AlarmNames: ['orders-api-errors'] }).resolves({});
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const server = await startCfnResponseServer();
    try {
      await expect(runtime.createHandler(cleanup.onDelete)(cfnEvent('Delete', server.url, props), lambdaContext(120_000))).resolves.toBeUndefined();
      expect(deleted()).toEqual([['orders-composite'], ['orders-api-errors']]);
      expect(server.responses[0].body).toMatchObject({
        Status: 'SUCCESS',
        Reason: expect.stringMatching(/^cleanup failed: could not delete orders-composite: AccessDenied: User: .* is not authorized/),
      });
      expect(console.log).toHaveBeenCalledWith(expect.stringMatching(/^Delete: SUCCESS: cleanup failed: could not delete orders-composite/));
    } finally {
      jest.restoreAllMocks();
      await server.close();
    }
  });
});

describe('generator.handler.js', () => {
  const LEVELS = new Set(SAMPLE_EVENTS.map((e) => e.level));
  const ENV = ['LOG_GROUP_NAME', 'LOG_STREAM_NAME', 'SAMPLE_EVENTS'] as const;
  const saved = ENV.map((name) => process.env[name]);
  let logs: AwsClientStub<CloudWatchLogsClient>;

  beforeEach(() => {
    logs = mockClient(CloudWatchLogsClient);
    process.env.LOG_GROUP_NAME = APP_LOG_GROUP_NAME;
    process.env.LOG_STREAM_NAME = APP_LOG_STREAM_NAME;
    process.env.SAMPLE_EVENTS = JSON.stringify(SAMPLE_EVENTS);
  });
  afterEach(() => {
    logs.restore();
    ENV.forEach((name, i) => {
      if (saved[i] === undefined) delete process.env[name];
      else process.env[name] = saved[i];
    });
  });

  it('writes 6 to 10 JSON lines, oldest first, to the application log stream', async () => {
    logs.on(PutLogEventsCommand).resolves({ rejectedLogEventsInfo: undefined });
    const before = Date.now();
    const result = await generator.handler();
    const calls = logs.commandCalls(PutLogEventsCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0].args[0].input;
    expect(input).toMatchObject({ logGroupName: APP_LOG_GROUP_NAME, logStreamName: APP_LOG_STREAM_NAME });
    const events = input.logEvents ?? [];
    expect(result).toEqual({ written: events.length });
    expect(events.length).toBeGreaterThanOrEqual(6);
    expect(events.length).toBeLessThanOrEqual(10);
    const times = events.map((e) => e.timestamp ?? 0);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    for (const event of events) {
      const line = JSON.parse(event.message ?? '') as { level: string; timestamp: string; requestId: string; service: string };
      expect(LEVELS).toContain(line.level);
      expect(line.service).toBe('orders-api');
      expect(Date.parse(line.timestamp)).toBe(event.timestamp);
      expect(event.timestamp).toBeGreaterThan(before - 60_000);
      expect(event.timestamp).toBeLessThanOrEqual(Date.now());
    }
    expect(new Set(events.map((e) => (JSON.parse(e.message ?? '') as { requestId: string }).requestId)).size).toBe(events.length);
  });

  it('writes at least one ERROR line every run, about a fifth of all lines', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    let errors = 0;
    let total = 0;
    for (let run = 0; run < 500; run++) {
      const levels = generator.buildLogEvents(SAMPLE_EVENTS, Date.now(), random).map((e) => (JSON.parse(e.message) as { level: string }).level);
      expect(levels).toContain('ERROR');
      errors += levels.filter((l) => l === 'ERROR').length;
      total += levels.length;
    }
    expect(errors / total).toBeGreaterThan(0.15);
    expect(errors / total).toBeLessThan(0.25);
  });

  it('keeps each line exactly as the sample but for timestamp, requestId and latency', () => {
    const samples = new Map(SAMPLE_EVENTS.map((s) => [(JSON.parse(s.line) as { path: string; message: string }).message, JSON.parse(s.line)]));
    for (const event of generator.buildLogEvents(SAMPLE_EVENTS)) {
      const line = JSON.parse(event.message) as Record<string, unknown>;
      const sample = samples.get(line.message as string) as Record<string, unknown>;
      expect(Object.keys(line)).toEqual(Object.keys(sample));
      expect({ ...line, timestamp: 0, requestId: 0, latencyMs: 0 }).toEqual({ ...sample, timestamp: 0, requestId: 0, latencyMs: 0 });
    }
  });
});
