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
    usdPerHour: 0.09,
    pricing: 'us-east-1 on-demand list prices (CodePipeline V2, CodeBuild, S3, Lambda), read 2026-11; free tiers ignored',
    items: [],
  },
});
