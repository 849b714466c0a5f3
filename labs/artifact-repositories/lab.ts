import { defineLab } from '../../lib/lab';
import { LAB_ID } from './contract';

export const lab = defineLab({
  id: LAB_ID,
  title: 'Govern an ECR repository and a CodeArtifact npm proxy',
  summary:
    'Images pile up in a wide-open ECR repository and builds fetch npm packages from the internet: make tags immutable, scan on push, ' +
    'expire old images, let only the CI role pull, and put a CodeArtifact repository connected to npmjs upstream of the build repository.',
  taskStatements: ['1.3'],
  difficulty: 'intermediate',
  minutes: 45,
  deployMinutes: 2,
  cost: {
    usdPerHour: 0.00116,
    pricing: 'us-east-1 on-demand list prices (Amazon ECR, AWS CodeArtifact, Lambda, Systems Manager), read 2026-11; free tiers ignored',
    items: [
      {
        resource: 'CodeArtifact requests and storage (one npm install through orders-npm: ~200 requests, ~20 MB cached)',
        usdPerHour: 0.00105,
        basis: '200 × $0.05/10,000 requests = $0.001, plus 0.02 GB × $0.05/GB-month ÷ 730 h',
      },
      {
        resource: 'ECR storage (one small image pushed for the optional task, ~50 MB)',
        usdPerHour: 0.00001,
        basis: '0.05 GB × $0.10/GB-month ÷ 730 h; basic scanning is free',
      },
      {
        resource: 'Cleanup function (runs at create and at delete) and its logs',
        usdPerHour: 0.0001,
        basis: '2 invocations × 128 MB × ~3 s × $0.0000166667/GB-s, plus a few KB of logs at $0.50/GB',
      },
      {
        resource: 'CodeArtifact domain and empty repositories, ECR repository policy and lifecycle policy, IAM role, SSM parameter',
        usdPerHour: 0,
        basis: 'CodeArtifact and ECR charge for storage and requests only; a standard SSM parameter of under 4 KB is free',
      },
    ],
  },
});
