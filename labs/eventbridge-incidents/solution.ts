// Reference solution of the eventbridge-incidents lab, through the SDK. Every call is a put (or tolerates "already
// exists"), so running it twice leaves the same state.
import {
  CreateArchiveCommand,
  DescribeArchiveCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { AddPermissionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsErrorName } from '../../lib/aws/errors';
import { LAB_TAG_KEY } from '../../lib/contract';
import type { Solution } from '../../lib/lab';
import { ALARM_NAME, ARCHIVE_RETENTION_DAYS, EVENT_SOURCE, LAB_ID, MAX_EVENT_AGE_SECONDS, Outputs } from './contract';

export const SOLUTION_RULE_NAME = 'payments-page-on-call';
export const SOLUTION_ALARM_RULE_NAME = 'payment-errors-to-handler';
export const SOLUTION_DLQ_NAME = 'payments-incidents-dlq';
export const SOLUTION_ARCHIVE_NAME = 'payments-archive';

/** Failed payments of severity HIGH or CRITICAL in any case: exact detail-type, case-insensitive severity. */
export const SOLUTION_PATTERN = {
  source: [EVENT_SOURCE],
  'detail-type': ['Payment Failed'],
  detail: { severity: [{ 'equals-ignore-case': 'HIGH' }, { 'equals-ignore-case': 'CRITICAL' }] },
};

/** The lab alarm, and only it, going into ALARM. */
export function alarmPattern(alarmArn: string) {
  return { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], resources: [alarmArn], detail: { state: { value: ['ALARM'] } } };
}

/** The one human line on-call reads (a quoted template: SNS delivers the string's content). */
export const SOLUTION_INPUT_TRANSFORMER = {
  InputPathsMap: { paymentId: '$.detail.paymentId', severity: '$.detail.severity', reason: '$.detail.reason' },
  InputTemplate: '"Payment <paymentId> failed (<severity>): <reason>"',
};

/** A resource policy that refuses plain HTTP and lets EventBridge deliver for one rule only. */
export function deliveryPolicy(resourceArn: string, action: 'sqs:SendMessage' | 'sns:Publish', ruleArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowEventBridgeForTheRule',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: action,
        Resource: resourceArn,
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
      },
      {
        Sid: 'DenyPlainHttp',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: action.startsWith('sqs:') ? 'sqs:*' : 'sns:Publish',
        Resource: resourceArn,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  });
}

async function ignoring<T>(names: readonly string[], work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    if (names.includes(awsErrorName(error) ?? '')) return undefined;
    throw error;
  }
}

export const solve: Solution<typeof Outputs> = async (ctx) => {
  const events = ctx.client(EventBridgeClient);
  const sqs = ctx.client(SQSClient);
  const sns = ctx.client(SNSClient);
  const lambda = ctx.client(LambdaClient);
  const tags = [{ Key: LAB_TAG_KEY, Value: LAB_ID }];
  const bus = ctx.outputs.eventBusName;

  ctx.log(`Dead-letter queue ${SOLUTION_DLQ_NAME} (SSE-SQS)`);
  const { QueueUrl: dlqUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: SOLUTION_DLQ_NAME, Attributes: { SqsManagedSseEnabled: 'true' }, tags: { [LAB_TAG_KEY]: LAB_ID } }),
  );
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn ?? '';

  ctx.log(`Rule ${SOLUTION_RULE_NAME} on ${bus}: ${JSON.stringify(SOLUTION_PATTERN)}`);
  const { RuleArn: ruleArn = '' } = await events.send(
    new PutRuleCommand({ Name: SOLUTION_RULE_NAME, EventBusName: bus, EventPattern: JSON.stringify(SOLUTION_PATTERN), State: 'ENABLED', Tags: tags }),
  );

  ctx.log('Queue, dead-letter queue and topic policies: EventBridge may deliver for that rule only');
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: ctx.outputs.incidentQueueUrl, Attributes: { Policy: deliveryPolicy(ctx.outputs.incidentQueueArn, 'sqs:SendMessage', ruleArn) } }));
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: dlqUrl, Attributes: { Policy: deliveryPolicy(dlqArn, 'sqs:SendMessage', ruleArn) } }));
  await sns.send(new SetTopicAttributesCommand({ TopicArn: ctx.outputs.onCallTopicArn, AttributeName: 'Policy', AttributeValue: deliveryPolicy(ctx.outputs.onCallTopicArn, 'sns:Publish', ruleArn) }));

  ctx.log(`Targets: the incident queue (dead-letter queue, events kept ≤ ${MAX_EVENT_AGE_SECONDS} s) and the on-call topic (one line)`);
  await events.send(
    new PutTargetsCommand({
      Rule: SOLUTION_RULE_NAME,
      EventBusName: bus,
      Targets: [
        {
          Id: 'incident-queue',
          Arn: ctx.outputs.incidentQueueArn,
          DeadLetterConfig: { Arn: dlqArn },
          RetryPolicy: { MaximumEventAgeInSeconds: MAX_EVENT_AGE_SECONDS, MaximumRetryAttempts: 10 },
        },
        { Id: 'on-call-topic', Arn: ctx.outputs.onCallTopicArn, InputTransformer: SOLUTION_INPUT_TRANSFORMER },
      ],
    }),
  );

  ctx.log(`Rule ${SOLUTION_ALARM_RULE_NAME} on the default bus: ${ALARM_NAME} → ALARM invokes ${ctx.outputs.handlerFunctionName}`);
  const { RuleArn: alarmRuleArn } = await events.send(
    new PutRuleCommand({ Name: SOLUTION_ALARM_RULE_NAME, EventPattern: JSON.stringify(alarmPattern(ctx.outputs.alarmArn)), State: 'ENABLED', Tags: tags }),
  );
  await ignoring(['ResourceConflictException'], () =>
    lambda.send(
      new AddPermissionCommand({
        FunctionName: ctx.outputs.handlerFunctionName,
        StatementId: SOLUTION_ALARM_RULE_NAME,
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: alarmRuleArn,
      }),
    ),
  );
  await events.send(new PutTargetsCommand({ Rule: SOLUTION_ALARM_RULE_NAME, Targets: [{ Id: 'incident-handler', Arn: ctx.outputs.handlerFunctionArn }] }));

  ctx.log(`Optional: archive ${SOLUTION_ARCHIVE_NAME} (${ARCHIVE_RETENTION_DAYS} days) and a replay of what it archived since`);
  await ignoring(['ResourceAlreadyExistsException'], () =>
    events.send(new CreateArchiveCommand({ ArchiveName: SOLUTION_ARCHIVE_NAME, EventSourceArn: ctx.outputs.eventBusArn, RetentionDays: ARCHIVE_RETENTION_DAYS })),
  );
  const archive = await events.send(new DescribeArchiveCommand({ ArchiveName: SOLUTION_ARCHIVE_NAME }));
  const start = archive.CreationTime ?? new Date();
  // One replay per archive: a second run finds it already started.
  await ignoring(['ResourceAlreadyExistsException'], () =>
    events.send(
      new StartReplayCommand({
        ReplayName: `${SOLUTION_ARCHIVE_NAME}-replay`,
        EventSourceArn: archive.ArchiveArn,
        EventStartTime: start,
        EventEndTime: new Date(),
        Destination: { Arn: ctx.outputs.eventBusArn },
      }),
    ),
  );
};
