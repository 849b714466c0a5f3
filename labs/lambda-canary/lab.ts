import { defineLab } from '../../lib/lab';

export const lab = defineLab({
  id: 'lambda-canary',
  title: 'Release a Lambda function as a canary with CodeDeploy: a pre-traffic hook and alarm rollback',
  summary:
    'A pricing function is released by moving its alias all at once; release through a CodeDeploy canary with a smoke-test hook, and let an alarm on the alias roll a bad release back.',
  taskStatements: ['1.4'],
  difficulty: 'intermediate',
  minutes: 45,
  // Estimated, not yet measured on a live deploy: four small functions, a version, an alias and an application.
  deployMinutes: 2,
  cost: {
    usdPerHour: 0.00105,
    pricing: 'us-east-1 on-demand list prices, read 2026-11; free tier ignored',
    items: [
      {
        resource: 'Pricing function invocations (1,800/h from the generator, 128 MB, ~5 ms each)',
        usdPerHour: 0.00038,
        basis: '1,800 × $0.20/1M requests + 1.125 GB-s × $0.0000166667/GB-s',
      },
      {
        resource: 'Traffic generator (60 invocations/h, 128 MB, ~1.5 s each: 30 calls in a row)',
        usdPerHour: 0.0002,
        basis: '60 × $0.20/1M requests + 11.25 GB-s × $0.0000166667/GB-s',
      },
      {
        resource: 'CloudWatch Logs ingestion (~0.66 MB/h: Lambda START/END/REPORT lines)',
        usdPerHour: 0.00033,
        basis: '0.00066 GB × $0.50/GB ingested; storage negligible',
      },
      {
        resource: 'CloudWatch alarm on the alias, standard resolution (learner-made)',
        usdPerHour: 0.00014,
        basis: '$0.10 per alarm-month ÷ 730 h',
      },
      {
        resource: 'CodeDeploy application and Lambda deployments, EventBridge schedule, hook and cleanup functions, IAM roles',
        usdPerHour: 0,
        basis: 'CodeDeploy to Lambda has no charge; scheduled rules are free; the hook runs once per deployment, the cleanup once at delete',
      },
    ],
  },
});
