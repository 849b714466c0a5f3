import { defineLab } from '../../lib/lab';

export const lab = defineLab({
  id: 'eventbridge-incidents',
  title: 'Route the right events to the right responders, reliably, with EventBridge',
  summary:
    'A payments service publishes to a custom event bus and on-call is paged for everything or nothing; route only serious failures to a queue (with a dead-letter queue and retries) and a topic (one human line), and an alarm to a handler.',
  taskStatements: ['5.1', '4.3'],
  difficulty: 'intermediate',
  minutes: 45,
  deployMinutes: 2,
  cost: {
    usdPerHour: 0.00113,
    pricing: 'us-east-1 on-demand list prices, read 2026-11; free tier ignored',
    items: [
      {
        resource: 'EventBridge custom events on doplab-payments (10 a minute)',
        usdPerHour: 0.0006,
        basis: '600 events/h × $1.00 per million custom events put; rule matching and deliveries to SQS, SNS and Lambda are free',
      },
      {
        resource: 'Lambda generator (128 MB, 60 invocations/h, ~0.3 s each) and incident handler (~6 invocations/h)',
        usdPerHour: 0.00005,
        basis: '66 × $0.20/1M requests + 2.3 GB-s × $0.0000166667/GB-s',
      },
      {
        resource: 'SQS requests to the incident queue (learner-routed, ~300 messages/h)',
        usdPerHour: 0.00012,
        basis: '300 × $0.40 per million requests; the dead-letter queue stays empty',
      },
      {
        resource: 'SNS publishes to the on-call topic (learner-routed, ~300/h, no subscription)',
        usdPerHour: 0.00015,
        basis: '300 × $0.50 per million publishes',
      },
      {
        resource: 'CloudWatch alarm DopLab-eventbridge-incidents-payment-errors (standard resolution)',
        usdPerHour: 0.00014,
        basis: '$0.10 per alarm-month ÷ 730 h; AWS/Lambda and AWS/Events metrics are free',
      },
      {
        resource: 'CloudWatch Logs ingestion (function platform lines, ~0.05 MB/h)',
        usdPerHour: 0.00003,
        basis: '0.00005 GB × $0.50/GB ingested; storage negligible',
      },
      {
        resource: 'Optional archive (7 days, ~0.4 MB/h) and replay',
        usdPerHour: 0.00004,
        basis: '0.0004 GB × $0.10/GB archived; replayed events count as custom events; storage negligible',
      },
    ],
  },
});
