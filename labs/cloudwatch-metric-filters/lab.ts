import { defineLab } from '../../lib/lab';

export const lab = defineLab({
  id: 'cloudwatch-metric-filters',
  title: 'Turn application errors into an alarm with CloudWatch Logs metric filters',
  summary:
    'An orders API logs JSON lines to CloudWatch Logs; count its ERROR lines with a metric filter, alarm on them to SNS, and set log retention.',
  taskStatements: ['4.1', '4.2'],
  difficulty: 'foundational',
  minutes: 30,
  deployMinutes: 2,
  cost: {
    usdPerHour: 0.00067,
    pricing: 'us-east-1 on-demand list prices, read 2026-11; free tier ignored',
    items: [
      {
        resource: 'Lambda log generator (128 MB, 60 invocations/h, ~0.3 s each)',
        usdPerHour: 0.00005,
        basis: '60 × $0.20/1M requests + 2.25 GB-s × $0.0000166667/GB-s',
      },
      {
        resource: 'CloudWatch Logs ingestion (~0.14 MB/h: app lines + Lambda platform lines)',
        usdPerHour: 0.00007,
        basis: '0.00014 GB × $0.50/GB ingested; storage negligible',
      },
      {
        resource: 'Custom metric DopLab/OrdersApi ErrorCount (learner-made)',
        usdPerHour: 0.00041,
        basis: '$0.30 per metric-month ÷ 730 h',
      },
      {
        resource: 'CloudWatch alarm, standard resolution (learner-made)',
        usdPerHour: 0.00014,
        basis: '$0.10 per alarm-month ÷ 730 h',
      },
      {
        resource: 'EventBridge schedule, SNS topic, IAM roles, cleanup function',
        usdPerHour: 0,
        basis: 'scheduled rules and idle topics are free; the cleanup function runs once at create and once at delete',
      },
    ],
  },
});
