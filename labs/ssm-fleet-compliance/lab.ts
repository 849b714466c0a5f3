import { defineLab } from '../../lib/lab';

export const lab = defineLab({
  id: 'ssm-fleet-compliance',
  title: 'Keep a fleet configured and patched with Systems Manager: State Manager, patch baselines and compliance',
  summary:
    'Two Amazon Linux 2023 instances are managed by Systems Manager but nobody keeps them configured or patched, and one has drifted; enforce their configuration with a State Manager association by tag, approve security patches with a custom baseline for a patch group, and scan so compliance is reported.',
  taskStatements: ['2.3', '5.2'],
  difficulty: 'intermediate',
  minutes: 60,
  // Estimated, not yet measured on a live deploy: two instances boot and register with Systems Manager.
  deployMinutes: 5,
  cost: {
    usdPerHour: 0.02855,
    pricing: 'us-east-1 on-demand list prices, read 2026-11; free tier ignored',
    items: [
      {
        resource: 'EC2 instances, 2 × t4g.micro (Linux, arm64)',
        usdPerHour: 0.0168,
        basis: '2 × $0.0084 per instance-hour',
      },
      {
        resource: 'Public IPv4 addresses, 1 per instance',
        usdPerHour: 0.01,
        basis: '2 × $0.005 per IP-hour',
      },
      {
        resource: 'EBS gp3 root volumes, 2 × 8 GiB',
        usdPerHour: 0.00175,
        basis: '16 GiB × $0.08 per GB-month ÷ 730 h',
      },
      {
        resource: 'Systems Manager State Manager, Patch Manager, Run Command and compliance; VPC; cleanup function',
        usdPerHour: 0,
        basis: 'free for EC2 instances (no advanced-tier on-premises instances); the cleanup runs once',
      },
    ],
  },
});
