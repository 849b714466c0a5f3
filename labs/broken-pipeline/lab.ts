import { defineLab } from '../../lib/lab';
import { LAB_ID } from './contract';

export const lab = defineLab({
  id: LAB_ID,
  title: 'Find and fix why the release pipeline fails',
  summary:
    'A CodePipeline that builds a status page has failed since yesterday; read the execution, the build phases, the build log and CloudTrail to find three layered causes, and fix them with the smallest correct changes.',
  taskStatements: ['5.3'],
  difficulty: 'intermediate',
  minutes: 45,
  deployMinutes: 4,
  cost: {
    usdPerHour: 0.0381,
    pricing:
      'us-east-1 on-demand list prices (CodePipeline V2, CodeBuild, Lambda, S3, Systems Manager Parameter Store, EventBridge), read 2026-11; free tiers ignored; ' +
      'a failing run costs under a cent (the build stops in seconds), a green one about $0.01; a learner runs about six in the hour; V2 pipelines have no idle fee',
    items: [
      {
        resource: 'CodeBuild general1.small: the Build stage (~6 runs an hour)',
        usdPerHour: 0.03,
        basis: '6 runs × ~1 min (provisioning included; the failing ones stop in DOWNLOAD_SOURCE or UPLOAD_ARTIFACTS) × $0.005 per build-minute (general1.small, Linux)',
      },
      {
        resource: 'CodePipeline V2 action executions (~6 runs an hour)',
        usdPerHour: 0.008,
        basis: '6 runs × ~0.7 action-minutes (Source, Build, and Deploy when the build succeeds) × $0.002 per action-minute; V2 pipelines cost nothing idle',
      },
      {
        resource: 'Lambda custom resources, S3 buckets and requests, String parameter, EventBridge rule',
        usdPerHour: 0.0001,
        basis: 'one Lambda invocation at deploy and one at delete (128 MB, < 5 s); a few KB in S3 and ~60 requests; a standard parameter and S3 events to EventBridge are free',
      },
    ],
  },
});
