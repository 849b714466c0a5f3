import { defineLab } from '../../lib/lab';
import { CONTEXT_CREATE_RECORDER, LAB_ID } from './contract';

export const lab = defineLab({
  id: LAB_ID,
  title: 'Remediate non-compliant resources automatically with AWS Config and SSM Automation',
  summary:
    'An AWS Config rule flags two S3 buckets without versioning; attach an automatic SSM Automation remediation with a least-privilege role and get them COMPLIANT.',
  taskStatements: ['5.2', '4.3', '6.2'],
  difficulty: 'intermediate',
  minutes: 45,
  deployMinutes: 3,
  cost: {
    usdPerHour: 0.06401,
    pricing: 'us-east-1 on-demand list prices (AWS Config, Systems Manager Automation, S3), read 2026-11; free tiers ignored; one-off charges of a ~1 h lab counted in its hour',
    items: [
      {
        resource: 'AWS Config configuration items (~12: 2–3 buckets created, tagged, policy set, versioning remediated)',
        usdPerHour: 0.036,
        basis: '12 × $0.003 per configuration item recorded (continuous recording); the lab recorder records AWS::S3::Bucket only',
      },
      {
        resource: 'AWS Config rule evaluations (~20: initial, on each bucket change, re-evaluations)',
        usdPerHour: 0.02,
        basis: '20 × $0.001 per rule evaluation (first 100,000 per month)',
      },
      {
        resource: 'SSM Automation remediation runs (2 buckets, ~2 steps each, retries aside)',
        usdPerHour: 0.008,
        basis: '4 basic steps × $0.002 per step (accounts new to Automation since 2025-08-14 have no free tier)',
      },
      {
        resource: 'S3 delivery bucket (a few configuration history objects)',
        usdPerHour: 0.00001,
        basis: '~2 PUT requests × $0.005/1,000; storage of a few KB negligible',
      },
      {
        resource: 'AWS Config rule, buckets without data, IAM roles, cleanup function',
        usdPerHour: 0,
        basis: 'a rule costs only its evaluations; empty buckets and roles are free; the cleanup function runs once at create and once at delete',
      },
    ],
  },
  // No context is what plain `cdk deploy` gets, and the same stack as preflight's "false".
  stackContexts: [{}, { [CONTEXT_CREATE_RECORDER]: 'true' }],
});
