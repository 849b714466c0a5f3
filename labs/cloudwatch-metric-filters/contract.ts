// Names shared by the stack, the checker and the solution. No CDK import: the checker loads this.

export const LAB_ID = 'cloudwatch-metric-filters';

/** Stack outputs the checker and the solution read (values are CloudFormation output ids). */
export const Outputs = {
  appLogGroupName: 'AppLogGroupName',
  alertTopicArn: 'AlertTopicArn',
  generatorFunctionName: 'GeneratorFunctionName',
} as const;

/** The application log group the learner works on. */
export const APP_LOG_GROUP_NAME = '/doplab/cloudwatch-metric-filters/orders-api';
/** The log stream the generator writes to. */
export const APP_LOG_STREAM_NAME = 'orders-api/instance-1';

/** The metric the learner's filter must publish (stated in the README). */
export const METRIC_NAMESPACE = 'DopLab/OrdersApi';
export const METRIC_NAME = 'ErrorCount';

/** The retention the learner must set on the application log group, in days (stated in the README). */
export const RETENTION_DAYS = 14;

/** What a sensible alarm on the error count looks like (stated in the README). */
export const ALARM_RULES = {
  /** Period of the alarm's metric, in seconds. */
  minPeriodSeconds: 60,
  maxPeriodSeconds: 300,
  /** The alarm must fire at some error count in this range (inclusive) per period. */
  minErrorsToFire: 1,
  maxErrorsToFire: 10,
  statistics: ['Sum'] as readonly string[],
} as const;

export type LogLevel = 'INFO' | 'WARN' | 'ERROR';

/**
 * The orders-api's log lines, exactly as the generator writes them (it gets this list through an
 * environment variable and refreshes timestamp, requestId and latency). The checker sends them to
 * TestMetricFilter: a good filter matches every ERROR line and no other. Two lines are traps: an INFO
 * line that mentions "error" and a WARN line that contains the text ERROR.
 */
export const SAMPLE_EVENTS: readonly { readonly level: LogLevel; readonly line: string }[] = [
  {
    level: 'INFO',
    line: '{"timestamp":"2026-11-23T10:15:02.114Z","level":"INFO","service":"orders-api","requestId":"c0a8012e-6b1f-4d6e-9a51-1f3c2b7d9e01","method":"POST","path":"/orders","status":201,"latencyMs":84,"message":"order created"}',
  },
  {
    level: 'INFO',
    line: '{"timestamp":"2026-11-23T10:15:02.391Z","level":"INFO","service":"orders-api","requestId":"5d2e7c41-0b9a-4f3e-8c62-7a1b9e3d4f20","method":"GET","path":"/orders/8812","status":200,"latencyMs":23,"message":"order fetched"}',
  },
  {
    level: 'INFO',
    line: '{"timestamp":"2026-11-23T10:15:03.007Z","level":"INFO","service":"orders-api","requestId":"9f4b3a62-2c8d-4e71-b0a5-3d6e8f1c2a47","method":"POST","path":"/payments","status":200,"latencyMs":412,"message":"payment retried after a transient error and succeeded"}',
  },
  {
    level: 'INFO',
    line: '{"timestamp":"2026-11-23T10:15:03.250Z","level":"INFO","service":"orders-api","requestId":"1e7d5b93-4a2f-4c8e-9d16-5b0a7c3e8f64","method":"GET","path":"/health","status":200,"latencyMs":2,"message":"health check ok"}',
  },
  {
    level: 'WARN',
    line: '{"timestamp":"2026-11-23T10:15:04.518Z","level":"WARN","service":"orders-api","requestId":"7b1c9e24-6d3a-4f85-a2e7-0c4d8b6f1a39","method":"GET","path":"/inventory/sku-4471","status":200,"latencyMs":1840,"message":"inventory service slow, served from cache"}',
  },
  {
    level: 'WARN',
    line: '{"timestamp":"2026-11-23T10:15:05.062Z","level":"WARN","service":"orders-api","requestId":"3a9f6d18-8e2b-4c07-b5d4-9f1e2a7c6b53","method":"POST","path":"/shipping/quote","status":200,"latencyMs":655,"message":"carrier API answered ERROR 429 (rate limited), retrying in 200 ms"}',
  },
  {
    level: 'ERROR',
    line: '{"timestamp":"2026-11-23T10:15:06.733Z","level":"ERROR","service":"orders-api","requestId":"e4c2a7f9-5b8d-4136-9e0a-2d7f4b1c8e96","method":"POST","path":"/payments","status":504,"latencyMs":3004,"errorCode":"PAYMENT_TIMEOUT","message":"payment provider timed out"}',
  },
  {
    level: 'ERROR',
    line: '{"timestamp":"2026-11-23T10:15:07.120Z","level":"ERROR","service":"orders-api","requestId":"0d8e3b5a-7f1c-4a92-8b6e-4c9a2f7d1e05","method":"POST","path":"/orders","status":500,"latencyMs":97,"errorCode":"UNHANDLED_EXCEPTION","message":"Cannot read properties of undefined (reading \'sku\')"}',
  },
  {
    level: 'ERROR',
    line: '{"timestamp":"2026-11-23T10:15:08.884Z","level":"ERROR","service":"orders-api","requestId":"6f5a1c8d-3e9b-4d27-a4f0-8b2e6d9c3a71","method":"GET","path":"/orders/9120","status":503,"latencyMs":1502,"errorCode":"DB_POOL_EXHAUSTED","message":"database connection pool exhausted"}',
  },
];
