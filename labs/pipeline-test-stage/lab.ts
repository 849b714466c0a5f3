import { defineLab } from '../../lib/lab';
import { LAB_ID } from './contract';

export const lab = defineLab({
  id: LAB_ID,
  title: 'Add a tested, secret-safe stage to a CodePipeline',
  summary:
    'A CodePipeline ships the orders-api without running its unit tests; add a Test stage whose CodeBuild project publishes a JUnit report, reads the API key from Parameter Store, and stops a bad release.',
  taskStatements: ['1.1', '1.2'],
  difficulty: 'intermediate',
  minutes: 60,
  deployMinutes: 4,
  cost: {
    usdPerHour: 0.11205,
    pricing:
      'us-east-1 on-demand list prices (CodePipeline V2, CodeBuild, Lambda, S3, Systems Manager Parameter Store, EventBridge), read 2026-11; free tiers ignored; ' +
      'one release (Source, Test, Build, Deploy) costs about $0.03; a learner runs about four in the hour; V2 pipelines have no idle fee',
    items: [
      {
        resource: 'CodeBuild general1.small: the Test and Build stages (~4 releases an hour)',
        usdPerHour: 0.08,
        basis: '4 releases × (2 min test + 2 min build, provisioning included) × $0.005 per build-minute (general1.small, Linux)',
      },
      {
        resource: 'CodePipeline V2 action executions (~4 releases an hour)',
        usdPerHour: 0.032,
        basis: '4 releases × ~4 action-minutes (Source, Test, Build, Deploy) × $0.002 per action-minute; V2 pipelines cost nothing idle',
      },
      {
        resource: 'Lambda custom resources, S3 buckets and requests, SecureString parameter, EventBridge rule',
        usdPerHour: 0.00005,
        basis: 'two Lambda invocations at deploy and one at delete (128 MB, < 5 s); a few KB in S3 and ~50 requests; a standard parameter and S3 events to EventBridge are free',
      },
    ],
  },
});
