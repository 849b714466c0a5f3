import { defineLab } from '../../lib/lab';
import { LAB_ID } from './contract';

export const lab = defineLab({
  id: LAB_ID,
  title: 'Delegate role creation without letting anyone escalate: IAM permissions boundaries',
  summary:
    'An app team may create any role and attach any policy, so it could make itself an administrator; write a permissions boundary and ' +
    'rewrite the team’s permissions so that it creates only bounded roles under /app/, passes them only to Lambda, and cannot undo any of it — proven with the IAM policy simulator.',
  taskStatements: ['6.1'],
  difficulty: 'advanced',
  minutes: 45,
  deployMinutes: 2,
  cost: {
    usdPerHour: 0,
    pricing: 'us-east-1 on-demand list prices (IAM, S3, DynamoDB on-demand), read 2026-11; free tiers ignored',
    items: [
      {
        resource: 'IAM roles and managed policies, IAM policy simulation',
        usdPerHour: 0,
        basis: 'IAM and its policy simulator have no charge',
      },
      {
        resource: 'S3 app bucket (empty)',
        usdPerHour: 0,
        basis: 'no objects stored; the cleanup lists it once at delete (~$0.000005 per LIST request)',
      },
      {
        resource: 'DynamoDB app table, on-demand (empty)',
        usdPerHour: 0,
        basis: 'on-demand tables cost only the requests and storage they serve; an empty table serves none',
      },
      {
        resource: 'cleanup function and its log group',
        usdPerHour: 0,
        basis: 'runs once at create and once at delete, within the Lambda and CloudWatch Logs free amounts of a few requests and KB',
      },
    ],
  },
});
