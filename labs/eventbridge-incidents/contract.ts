// Names shared by the stack, the checker, the solution and the cleanup. No CDK import: the checker loads this.

export const LAB_ID = 'eventbridge-incidents';

/** Stack outputs the checker and the solution read (values are CloudFormation output ids). */
export const Outputs = {
  eventBusName: 'EventBusName',
  eventBusArn: 'EventBusArn',
  incidentQueueUrl: 'IncidentQueueUrl',
  incidentQueueArn: 'IncidentQueueArn',
  onCallTopicArn: 'OnCallTopicArn',
  handlerFunctionArn: 'HandlerFunctionArn',
  handlerFunctionName: 'HandlerFunctionName',
  alarmArn: 'AlarmArn',
} as const;

/** The custom event bus the payments service publishes to (stated in the README). */
export const EVENT_BUS_NAME = 'doplab-payments';
/** The `source` of every payments event. */
export const EVENT_SOURCE = 'doplab.payments';
/** Fixed names, so the README can state them and the leftover audit can find what targets them. */
export const INCIDENT_QUEUE_NAME = `DopLab-${LAB_ID}-incidents`;
export const ON_CALL_TOPIC_NAME = `DopLab-${LAB_ID}-on-call`;
export const HANDLER_FUNCTION_NAME = `DopLab-${LAB_ID}-handler`;
/** The lab alarm on the generator function's own Errors metric (stated in the README). */
export const ALARM_NAME = `DopLab-${LAB_ID}-payment-errors`;

/** The generator throws in every minute whose number is a multiple of this, driving the lab alarm into ALARM. */
export const ALARM_EVERY_MINUTES = 10;

/** The longest retry window the queue target may have (task 2: max event age ≤ 1 h), in seconds. */
export const MAX_EVENT_AGE_SECONDS = 3600;
/** The archive retention of the optional task, in days. */
export const ARCHIVE_RETENTION_DAYS = 7;

/** The on-call line the topic target's input transformer must produce, with `<field>` for the event's detail fields. */
export const ON_CALL_LINE = 'Payment <paymentId> failed (<severity>): <reason>';

/** What the payments service puts in an event's detail. */
export interface PaymentDetail {
  readonly paymentId: string;
  readonly amount: number;
  readonly currency: string;
  /** LOW, HIGH or CRITICAL; the legacy client sends it in lower or mixed case. */
  readonly severity: string;
  readonly reason: string;
  readonly client: string;
}

/** An event as EventBridge delivers it: the complete envelope TestEventPattern requires. */
export interface PaymentEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: PaymentDetail;
}

/** One sample of the generator's stream, with whether on-call must be paged for it. */
export interface SampleEvent {
  /** Short label for evidence, e.g. `Payment Failed high (legacy client)`. */
  readonly label: string;
  /** True for a failed payment of severity HIGH or CRITICAL in any case: the rule must match exactly these. */
  readonly page: boolean;
  readonly detailType: string;
  readonly detail: PaymentDetail;
}

const detail = (paymentId: string, severity: string, reason: string, amount: number, client = 'checkout-web'): PaymentDetail => ({
  paymentId,
  amount,
  currency: 'EUR',
  severity,
  reason,
  client,
});

/**
 * The payments stream, exactly as the generator puts it (fresh ids and times each minute). The checker sends each, in a
 * complete envelope, to TestEventPattern: a good rule matches the five `page` events and none of the others. The traps:
 * lower- and mixed-case severities from the legacy client, the lookalike `Payment Failed Retry`, and a successful
 * payment that carries a severity too.
 */
export const SAMPLE_EVENTS: readonly SampleEvent[] = [
  { label: 'Payment Failed HIGH', page: true, detailType: 'Payment Failed', detail: detail('pay-7f3a91', 'HIGH', 'card declined by issuer', 249.9) },
  { label: 'Payment Failed CRITICAL', page: true, detailType: 'Payment Failed', detail: detail('pay-2c81d4', 'CRITICAL', 'payment gateway timed out', 1299) },
  { label: 'Payment Failed LOW', page: false, detailType: 'Payment Failed', detail: detail('pay-91be07', 'LOW', 'customer cancelled 3-D Secure', 19.5) },
  { label: 'Payment Failed high (legacy client)', page: true, detailType: 'Payment Failed', detail: detail('pay-5d0c62', 'high', 'fraud check rejected the card', 480, 'legacy-pos') },
  { label: 'Payment Failed critical (legacy client)', page: true, detailType: 'Payment Failed', detail: detail('pay-e4a713', 'critical', 'acquirer unreachable', 3120, 'legacy-pos') },
  { label: 'Payment Failed Critical (legacy client)', page: true, detailType: 'Payment Failed', detail: detail('pay-0b7f28', 'Critical', 'settlement batch rejected', 875.25, 'legacy-pos') },
  { label: 'Payment Failed low (legacy client)', page: false, detailType: 'Payment Failed', detail: detail('pay-68c5ea', 'low', 'card expired', 12, 'legacy-pos') },
  { label: 'Payment Failed Retry HIGH (lookalike)', page: false, detailType: 'Payment Failed Retry', detail: detail('pay-7f3a91', 'HIGH', 'retry 1 of 3 scheduled', 249.9) },
  { label: 'Payment Failed Retry CRITICAL (lookalike)', page: false, detailType: 'Payment Failed Retry', detail: detail('pay-2c81d4', 'CRITICAL', 'retry 2 of 3 scheduled', 1299) },
  { label: 'Payment Succeeded HIGH', page: false, detailType: 'Payment Succeeded', detail: detail('pay-a2f640', 'HIGH', 'high-value payment captured', 5400) },
];

/** A sample in the complete envelope EventBridge delivers (TestEventPattern refuses events without id, account, time…). */
export function sampleEnvelope(sample: SampleEvent, index: number, account: string, region: string): PaymentEvent {
  return {
    version: '0',
    id: `6f1c2e3a-4b5d-4e6f-8a9b-0c1d2e3f4a${String(index).padStart(2, '0')}`,
    'detail-type': sample.detailType,
    source: EVENT_SOURCE,
    account,
    time: '2026-11-27T10:15:00Z',
    region,
    resources: [],
    detail: sample.detail,
  };
}

/** The line on-call must receive for a sample. */
export function onCallLine(sample: Pick<SampleEvent, 'detail'>): string {
  return ON_CALL_LINE.replace(/<(\w+)>/g, (_, key: keyof PaymentDetail) => String(sample.detail[key]));
}

/** A CloudWatch alarm state change as EventBridge puts it on the default bus. */
export function alarmStateChange(alarmArn: string, alarmName: string, account: string, region: string, state: 'ALARM' | 'OK') {
  return {
    version: '0',
    id: state === 'ALARM' ? 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92' : '2dde0303-1f77-4e9b-a77c-5b2f04bd5a1a',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account,
    time: '2026-11-27T10:20:00Z',
    region,
    resources: [alarmArn],
    detail: {
      alarmName,
      state: { value: state, reason: 'Threshold Crossed: 1 datapoint [1.0 (27/11/26 10:19:00)] was greater than or equal to the threshold (1.0).', timestamp: '2026-11-27T10:20:00.000+0000' },
      previousState: { value: state === 'ALARM' ? 'OK' : 'ALARM', timestamp: '2026-11-27T10:10:00.000+0000' },
      configuration: { metrics: [{ id: 'm1', metricStat: { metric: { namespace: 'AWS/Lambda', name: 'Errors', dimensions: {} }, period: 60, stat: 'Sum' }, returnData: true }] },
    },
  };
}
