import { defineLab } from '../../lib/lab';

export const lab = defineLab({
  id: 'scaling-self-healing',
  title: 'Make an Auto Scaling group heal and scale: ELB health checks, two AZs, target tracking and an instance refresh',
  summary:
    'An orders web tier on an Auto Scaling group behind an ALB keeps serving from a hung instance, in one AZ, at a fixed size; make it heal on ELB health, spread and scale, and roll out a new template version safely.',
  taskStatements: ['3.1', '3.2'],
  difficulty: 'intermediate',
  minutes: 50,
  // Estimated, not yet measured on a live deploy: the ALB (~3 min) and the first instance dominate.
  deployMinutes: 6,
  cost: {
    usdPerHour: 0.0517,
    pricing: 'us-east-1 on-demand list prices, read 2026-11; free tier ignored',
    items: [
      {
        resource: 'Application Load Balancer (hours)',
        usdPerHour: 0.0225,
        basis: '$0.0225 per ALB-hour',
      },
      {
        resource: 'Application Load Balancer capacity (≤ 0.1 LCU: health checks every 10 s and a learner clicking)',
        usdPerHour: 0.0008,
        basis: '0.1 LCU × $0.008 per LCU-hour',
      },
      {
        resource: 'Public IPv4 addresses of the load balancer (one per AZ); the instances have none',
        usdPerHour: 0.01,
        basis: '2 × $0.005 per IP-hour',
      },
      {
        resource: 'EC2 t4g.micro instances, Linux, 2 (the task\'s minimum; 1 before it, up to 4 briefly during a refresh or scale-out)',
        usdPerHour: 0.0168,
        basis: '2 × $0.0084 per hour',
      },
      {
        resource: 'EBS gp3 root volumes, 8 GB each, 2',
        usdPerHour: 0.00132,
        basis: '2 × 8 GB × $0.08 per GB-month ÷ 730 h',
      },
      {
        resource: 'CloudWatch alarms of the target tracking policy (2, made by Auto Scaling)',
        usdPerHour: 0.00028,
        basis: '2 × $0.10 per alarm-month ÷ 730 h',
      },
      {
        resource: 'VPC, subnets, security groups, launch template, Auto Scaling, cleanup function',
        usdPerHour: 0,
        basis: 'free; Auto Scaling has no charge of its own',
      },
    ],
  },
});
