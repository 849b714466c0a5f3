// The CDK app: one stack per lab, named DopLab-<lab id> (`npx cdk synth`, `npx cdk deploy DopLab-<lab id>`),
// and DopLab-Base, the CloudFormation execution role `doplab deploy` deploys lab stacks with.
import { App } from 'aws-cdk-lib';
import { LABS } from '../labs';
import { addBaseStack } from '../lib/cdk/base-stack';

async function main(): Promise<void> {
  const app = new App();
  addBaseStack(app);
  for (const lab of LABS) (await lab.loadStack()).addLabStack(app);
  // DopLab-GraderRole only when the doplab:grader:* context asks for it (doplab grader-role --format cdk prints the command).
  const { addGraderRoleStackFromContext }: typeof import('../lib/grade/grader-role-stack') = require('../lib/grade/grader-role-stack');
  addGraderRoleStackFromContext(app);
  app.synth();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
