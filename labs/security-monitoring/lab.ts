import { defineLab } from '../../lib/lab';

export const lab = defineLab({
  id: 'security-monitoring',
  title: 'Alarm on security events: CIS-style CloudTrail metric filters and a trail you can trust',
  summary:
    'A CloudTrail trail delivers management events to CloudWatch Logs; harden it (log file validation, a KMS key) and alarm the security team on root use, denied calls, sign-in without MFA, and IAM, CloudTrail and security group changes.',
  taskStatements: ['6.3', '4.2'],
  difficulty: 'intermediate',
  minutes: 60,
  // Estimated, not yet measured on a live deploy: a bucket, a log group, a trail, a topic and the cleanup function.
  deployMinutes: 2,
  cost: {
    usdPerHour: 0.02666,
    pricing:
      "us-east-1 list prices, read 2026-11; free tier ignored. Assumes the account already has a trail (an organization or Control Tower trail), so this one is an additional copy of management events; the lab's own event rate, from its log group's IncomingLogEvents, is assumed at 1,000/h",
    items: [
      {
        resource: 'CloudTrail management events, additional copy (1,000 events/h; 10,000 events/h would cost $0.20/h)',
        usdPerHour: 0.02,
        basis: '$2.00 per 100,000 events; the first copy of management events per region is free, so in an account with no other trail this is $0',
      },
      {
        resource: 'CloudWatch Logs ingestion of the events (1,000/h × ~1.5 KB = 1.5 MB/h)',
        usdPerHour: 0.00075,
        basis: '0.0015 GB × $0.50/GB ingested; one-week retention, storage negligible',
      },
      {
        resource: 'Six metric filters publishing six custom metrics (learner-made)',
        usdPerHour: 0.00247,
        basis: '6 × $0.30 per metric-month ÷ 730 h',
      },
      {
        resource: 'Six CloudWatch alarms, standard resolution (learner-made)',
        usdPerHour: 0.00082,
        basis: '6 × $0.10 per alarm-month ÷ 730 h',
      },
      {
        resource: 'Customer managed KMS key (learner-made) and CloudTrail requests to it',
        usdPerHour: 0.00137,
        basis: '$1.00 per key-month ÷ 730 h, prorated hourly, nothing while pending deletion; ~300 GenerateDataKey/h × $0.03/10,000 = $0.00001',
      },
      {
        resource: 'S3 storage and PUTs of log and digest files (~250 objects/h)',
        usdPerHour: 0.00125,
        basis: '250 × $0.005/1,000 PUT requests; storage of a few MB negligible',
      },
      {
        resource: 'SNS topic, IAM role, cleanup function',
        usdPerHour: 0,
        basis: 'an idle topic is free (the first 1,000 email notifications a month are free); the cleanup runs once at create and once at delete',
      },
    ],
  },
});
