import { join } from 'node:path';
import { ArnFormat, Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { InlineCleanup, InlineFunction, inlineSource } from '../../lib/cdk/inline-cleanup';
import { DopLabStack } from '../../lib/cdk/lab-stack';
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
} from './contract';

/**
 * Starting state: a payments bus with a stream of events, an incident queue, an on-call topic and an incident handler,
 * none of them connected; and an alarm on the generator's errors that nobody routes.
 */
export class EventBridgeIncidentsStack extends DopLabStack {
  constructor(scope: Construct) {
    super(scope, LAB_ID, 'doplab lab eventbridge-incidents: route the right payment events to the right responders, reliably.');

    const bus = new events.EventBus(this, 'PaymentsBus', { eventBusName: EVENT_BUS_NAME, description: 'doplab payments service events' });

    const generator = new InlineFunction(this, 'Generator', {
      labId: LAB_ID,
      name: 'generator',
      source: inlineSource(join(__dirname, 'generator.handler.js')),
      description: `Puts a minute of payments events on ${EVENT_BUS_NAME}; fails every ${ALARM_EVERY_MINUTES} minutes on purpose.`,
      environment: {
        EVENT_BUS_NAME: bus.eventBusName,
        EVENT_SOURCE,
        ALARM_EVERY: String(ALARM_EVERY_MINUTES),
        ALARM_NAME,
        SAMPLE_EVENTS: JSON.stringify(SAMPLE_EVENTS.map(({ detailType, detail }) => ({ detailType, detail }))),
      },
      statements: [new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [bus.eventBusArn] })],
    });
    // EventBridge invokes Lambda asynchronously, and Lambda retries a failed asynchronous run twice: each retry would
    // put the minute's events again.
    generator.function.configureAsyncInvoke({ retryAttempts: 0 });
    new events.Rule(this, 'GeneratorSchedule', {
      description: 'Runs the payments event generator every minute.',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      // No retries: a failed run must count once in the Errors metric the lab alarm watches.
      targets: [new targets.LambdaFunction(generator.function, { retryAttempts: 0 })],
    });

    // SSE-SQS, not KMS: a queue encrypted with a KMS key refuses EventBridge unless the key policy grants it.
    const incidentQueue = new sqs.Queue(this, 'IncidentQueue', {
      queueName: INCIDENT_QUEUE_NAME,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
    });
    Validations.of(incidentQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "Nothing consumes the incident queue in this lab; the dead-letter queue the task asks for belongs on the learner's " +
        'EventBridge target, where undeliverable events go, not on this queue (whose redrive is for failed consumers).',
    });

    // Unencrypted on purpose: EventBridge and CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key,
    // and a customer managed key costs $1/month and lingers 7+ days after deletion. (cdk-nag 3's AwsSolutions pack has
    // no SNS2 rule, so there is nothing to acknowledge.) Its policy only refuses plain HTTP: granting EventBridge,
    // conditioned on the learner's rule, is the task.
    const onCallTopic = new sns.Topic(this, 'OnCallTopic', {
      topicName: ON_CALL_TOPIC_NAME,
      displayName: 'doplab payments on-call',
      enforceSSL: true,
    });

    const handler = new InlineFunction(this, 'Handler', {
      labId: LAB_ID,
      name: 'handler',
      source: inlineSource(join(__dirname, 'handler.handler.js')),
      description: 'Incident handler: records every event it receives.',
    });
    (handler.function.node.defaultChild as lambda.CfnFunction).functionName = HANDLER_FUNCTION_NAME;

    const alarm = new cloudwatch.Alarm(this, 'PaymentErrorsAlarm', {
      alarmName: ALARM_NAME,
      alarmDescription: `Errors of the payments generator (doplab lab ${LAB_ID}); it fails every ${ALARM_EVERY_MINUTES} minutes on purpose.`,
      metric: generator.function.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const arn = (service: string, resource: string, resourceName: string, arnFormat = ArnFormat.SLASH_RESOURCE_NAME) =>
      this.formatArn({ service, resource, resourceName, arnFormat });
    const queueArns = this.formatArn({ service: 'sqs', resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME });
    const cleanup = new InlineCleanup(this, 'Cleanup', {
      labId: LAB_ID,
      handlerFile: join(__dirname, 'cleanup.handler.js'),
      properties: {
        BusName: bus.eventBusName,
        BusArn: bus.eventBusArn,
        LabTargets: [incidentQueue.queueArn, onCallTopic.topicArn, handler.function.functionArn].join(','),
        IncidentQueueArn: incidentQueue.queueArn,
        Region: this.region,
      },
      guards: [bus, incidentQueue, onCallTopic, handler.function, alarm],
      statements: [
        new iam.PolicyStatement({ actions: ['events:DescribeEventBus'], resources: [bus.eventBusArn] }),
        new iam.PolicyStatement({ actions: ['events:ListRules', 'events:ListRuleNamesByTarget', 'events:ListArchives', 'events:ListReplays'], resources: ['*'] }),
        new iam.PolicyStatement({
          actions: ['events:ListTargetsByRule', 'events:RemoveTargets', 'events:DeleteRule'],
          resources: [arn('events', 'rule', `${EVENT_BUS_NAME}/*`), arn('events', 'rule', '*')],
        }),
        new iam.PolicyStatement({ actions: ['events:DeleteArchive'], resources: [arn('events', 'archive', '*')] }),
        new iam.PolicyStatement({ actions: ['events:CancelReplay'], resources: [arn('events', 'replay', '*')] }),
        new iam.PolicyStatement({ actions: ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes', 'sqs:DeleteQueue'], resources: [queueArns] }),
      ],
    });
    Validations.of(cleanup.handler.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'events:ListRules, ListRuleNamesByTarget, ListArchives and ListReplays support no resource type, so IAM grants them ' +
        'only on *; the cleanup finds what the learner made through them.',
    });
    for (const wildcard of [
      `arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/${EVENT_BUS_NAME}/*`,
      'arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/*',
      'arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:archive/*',
      'arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:replay/*',
      'arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:*',
    ]) {
      Validations.of(cleanup.handler.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${wildcard}]`,
        reason:
          'The learner names their rules, archives, replays and dead-letter queues; the cleanup deletes only those on the ' +
          'lab bus, those targeting lab resources, and dead-letter queues of those rules made after the lab bus.',
      });
    }

    this.exportOutputs(Outputs, {
      eventBusName: bus.eventBusName,
      eventBusArn: bus.eventBusArn,
      incidentQueueUrl: incidentQueue.queueUrl,
      incidentQueueArn: incidentQueue.queueArn,
      onCallTopicArn: onCallTopic.topicArn,
      handlerFunctionArn: handler.function.functionArn,
      handlerFunctionName: handler.function.functionName,
      alarmArn: alarm.alarmArn,
    });
  }
}

/** Adds the lab's stack to a CDK app. */
export function addLabStack(app: Construct): EventBridgeIncidentsStack {
  return new EventBridgeIncidentsStack(app);
}
