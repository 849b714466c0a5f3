// The CDK app: one stack per lab, named DopLab-<lab id> (`npx cdk synth`, `npx cdk deploy DopLab-<lab id>`).
// With the doplab:grader:* context (see `doplab grader-role --format cdk`) it also holds DopLab-GraderRole.
import { App } from 'aws-cdk-lib';
import { LABS } from '../labs';
import { GRADER_CONTEXT } from '../lib/grade/grader-role';

async function main(): Promise<void> {
  const app = new App();
  for (const lab of LABS) (await lab.loadStack()).addLabStack(app);
  const instructorAccount = app.node.tryGetContext(GRADER_CONTEXT.instructorAccount) as string | undefined;
  if (instructorAccount !== undefined) {
    const { GraderRoleStack }: typeof import('../lib/grade/grader-role-stack') = require('../lib/grade/grader-role-stack');
    const { selectLabs }: typeof import('../lib/commands/grade') = require('../lib/commands/grade');
    const { validateGraderInputs }: typeof import('../lib/grade/grader-role') = require('../lib/grade/grader-role');
    const roleName = (app.node.tryGetContext(GRADER_CONTEXT.roleName) as string | undefined) ?? 'DopLabGrader';
    const inputs = validateGraderInputs(String(instructorAccount), app.node.tryGetContext(GRADER_CONTEXT.externalId) as string | undefined, roleName);
    new GraderRoleStack(app, selectLabs(app.node.tryGetContext(GRADER_CONTEXT.labs) as string | undefined), { ...inputs, roleName });
  }
  app.synth();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
