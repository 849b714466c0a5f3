import { defineLab } from '../../lib/lab';

export const lab = defineLab({
  id: 'codedeploy-blue-green',
  title: 'Ship an ECS service blue/green with CodeDeploy: canary traffic shifting and alarm rollback',
  summary:
    'A web service on ECS Fargate is deployed blue/green by CodeDeploy, but all at once and unwatched; make the group canary, roll back on a 5xx alarm, and ship version 2 through a deployment.',
  taskStatements: ['1.4', '1.1', '3.3'],
  difficulty: 'advanced',
  minutes: 60,
  // Estimated, not yet measured on a live deploy: the ALB and the first Fargate task dominate.
  deployMinutes: 7,
  cost: {
    usdPerHour: 0.05092,
    pricing: 'us-east-1 on-demand list prices, read 2026-11; free tier ignored',
    items: [
      {
        resource: 'Application Load Balancer (hours)',
        usdPerHour: 0.0225,
        basis: '$0.0225 per ALB-hour',
      },
      {
        resource: 'Application Load Balancer capacity (≤ 0.1 LCU: health checks and a learner clicking)',
        usdPerHour: 0.0008,
        basis: '0.1 LCU × $0.008 per LCU-hour',
      },
      {
        resource: 'Fargate task, 0.25 vCPU / 0.5 GB, 1 task (2 for a few minutes during each deployment)',
        usdPerHour: 0.01234,
        basis: '0.25 vCPU × $0.04048 + 0.5 GB × $0.004445 per hour (Linux/x86)',
      },
      {
        resource: 'Public IPv4 addresses: 2 for the load balancer (one per AZ), 1 for the task',
        usdPerHour: 0.015,
        basis: '3 × $0.005 per IP-hour (one more during each deployment)',
      },
      {
        resource: 'CloudWatch alarms on the target groups, standard resolution (learner-made, 2)',
        usdPerHour: 0.00028,
        basis: '2 × $0.10 per alarm-month ÷ 730 h',
      },
      {
        resource: 'VPC, ECS cluster, CodeDeploy, target groups, log ingestion, cleanup function',
        usdPerHour: 0,
        basis: 'free (CodeDeploy to ECS has no charge); nginx logs a few KB per hour',
      },
    ],
  },
});
