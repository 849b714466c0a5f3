import { defineLab } from '../../lib/lab';
import { secondRegionOf } from './contract';

export const lab = defineLab({
  id: 'backup-dr',
  title: 'Point-in-time recovery, a cross-region AWS Backup plan and a restore drill for DynamoDB',
  summary:
    'The orders table has no recovery story: turn on point-in-time recovery, back it up daily with AWS Backup and copy each backup to a second region, then prove it by restoring to a point in time and counting the items.',
  taskStatements: ['3.3'],
  difficulty: 'intermediate',
  minutes: 60,
  deployMinutes: 2,
  cost: {
    usdPerHour: 0.00005,
    pricing: 'us-east-1 on-demand list prices, read 2026-11; free tier ignored',
    items: [
      {
        resource: 'DynamoDB table, on demand, 300 items (~30 KB): storage and point-in-time recovery',
        usdPerHour: 0.00001,
        basis: '0.00003 GB × ($0.25 storage + $0.20 PITR) per GB-month ÷ 730 h; the seed writes cost $0.0004 once',
      },
      {
        resource: 'AWS Backup: warm storage of the on-demand backup and its copy (learner-made)',
        usdPerHour: 0.00001,
        basis: '2 × 0.00003 GB × $0.10 per GB-month ÷ 730 h; the cross-region transfer of 30 KB costs $0.0000006 once',
      },
      {
        resource: 'Restored table (learner-made): storage and the Scan of the restore drill',
        usdPerHour: 0.00003,
        basis: 'restore $0.15 per GB once (≈ $0.000005) and storage as the table; a 300-item Scan reads ~8 RRUs at $0.125 per million',
      },
      {
        resource: 'Backup vaults, IAM role, seed and cleanup functions',
        usdPerHour: 0,
        basis: 'vaults and roles are free; the functions run once at create and once at delete',
      },
    ],
  },
  // With -c doplab:backup-dr:secondRegion=<region> only the stack's SecondRegion output knows the second region.
  regions: (deployRegion, outputs) => [deployRegion, secondRegionOf(deployRegion, outputs)],
});
