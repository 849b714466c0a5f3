import { defineLab } from '../../lib/lab';
import { secondRegionOf } from './contract';

export const lab = defineLab({
  id: 'stacksets-multi-region',
  title: 'Roll a governed baseline out to two regions with CloudFormation StackSets',
  summary:
    'A platform team enforces an audit-log baseline; roll it out with a self-managed StackSet to two regions in parallel, change its retention everywhere at once, and prove with drift detection that nothing has strayed.',
  taskStatements: ['2.1', '2.2'],
  difficulty: 'intermediate',
  minutes: 45,
  deployMinutes: 2,
  cost: {
    usdPerHour: 0.00028,
    pricing: 'us-east-1 on-demand list prices, read 2026-11; free tier ignored',
    items: [
      {
        resource: 'CloudWatch alarm of the baseline, standard resolution, in 2 regions (learner-made)',
        usdPerHour: 0.00028,
        basis: '2 × $0.10 per alarm-month ÷ 730 h',
      },
      {
        resource: 'StackSet, stack instances, baseline log groups and metric filters (no log data), IAM roles, cleanup function',
        usdPerHour: 0,
        basis: 'StackSets and IAM are free; empty log groups store nothing; a filter publishes no metric until a line matches; the cleanup runs once at create and once at delete',
      },
    ],
  },
  // With -c doplab:stacksets-multi-region:secondRegion=<region> only the stack's SecondRegion output knows the second region.
  regions: (deployRegion, outputs) => [deployRegion, secondRegionOf(deployRegion, outputs)],
});
