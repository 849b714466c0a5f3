import { CfnOutput, CfnParameter, LegacyStackSynthesizer, Stack, Tags, Validations } from 'aws-cdk-lib';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { selectLabs } from './checks';
import type { AnyLab } from '../registry';
import { DEFAULT_GRADER_ROLE_NAME, GRADER_CONTEXT, GRADER_ROLE_STACK_NAME, graderRoleTemplate, validateGraderInputs } from './grader-role';

/**
 * The grader role as a CDK stack (`DopLab-GraderRole`), built from the same template the plain
 * CloudFormation output prints, so the two cannot differ. No bootstrap needed.
 */
export class GraderRoleStack extends Stack {
  /** The role, for nag acknowledgements and tests. */
  readonly role: CfnRole;

  constructor(scope: Construct, labs: readonly AnyLab[], defaults: { instructorAccount: string; externalId: string; roleName?: string }) {
    super(scope, GRADER_ROLE_STACK_NAME, { stackName: GRADER_ROLE_STACK_NAME, synthesizer: new LegacyStackSynthesizer() });
    const template = graderRoleTemplate(labs, defaults);
    this.templateOptions.description = template.Description;
    const parameters = template.Parameters as Record<string, { Type: string; Description: string; Default?: string; AllowedPattern?: string; NoEcho?: boolean }>;
    // One stack is one region: RoleRegion and its rule only guard the StackSet rollout of the plain template.
    for (const [id, p] of Object.entries(parameters).filter(([id]) => id !== 'RoleRegion')) {
      new CfnParameter(this, id, { type: p.Type, description: p.Description, default: p.Default, allowedPattern: p.AllowedPattern, noEcho: p.NoEcho });
    }
    const props = template.Resources.GraderRole.Properties;
    // Parameters keep their logical ids at the stack's top level, so the template's Ref/Fn::Sub resolve as written.
    this.role = new CfnRole(this, 'GraderRole', {
      roleName: { Ref: 'RoleName' } as unknown as string,
      description: props.Description,
      maxSessionDuration: props.MaxSessionDuration,
      assumeRolePolicyDocument: props.AssumeRolePolicyDocument,
      policies: props.Policies.map((p) => ({ policyName: p.PolicyName, policyDocument: p.PolicyDocument })),
    });
    this.role.overrideLogicalId('GraderRole');
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "The checkers' Describe/List/Test calls support no resource-level permissions (DescribeAlarms, DescribeLogGroups, TestMetricFilter) " +
        "or read resources the learner named; the actions are exactly the union the checkers declare, all read-only.",
    });
    for (const tag of props.Tags) Tags.of(this.role).add(tag.Key, tag.Value);
    new CfnOutput(this, 'GraderRoleArn', { value: this.role.attrArn }).overrideLogicalId('GraderRoleArn');
  }
}

/** Adds DopLab-GraderRole to the CDK app when the `doplab:grader:*` context gives the instructor account; otherwise nothing. */
export function addGraderRoleStackFromContext(app: Construct): GraderRoleStack | undefined {
  const context = (key: string) => app.node.tryGetContext(key) as string | undefined;
  const instructorAccount = context(GRADER_CONTEXT.instructorAccount);
  if (instructorAccount === undefined) return undefined;
  const roleName = context(GRADER_CONTEXT.roleName) ?? DEFAULT_GRADER_ROLE_NAME;
  const inputs = validateGraderInputs(String(instructorAccount), context(GRADER_CONTEXT.externalId), roleName);
  return new GraderRoleStack(app, selectLabs(context(GRADER_CONTEXT.labs)), { ...inputs, roleName });
}
