import { CfnOutput, CfnParameter, CfnResource, Fn, LegacyStackSynthesizer, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { AnyLab } from '../registry';
import { GRADER_ROLE_STACK_NAME, graderRoleTemplate } from './grader-role';

/**
 * The grader role as a CDK stack (`DopLab-GraderRole`), built from the same template the plain
 * CloudFormation output prints, so the two cannot differ. No bootstrap needed.
 */
export class GraderRoleStack extends Stack {
  constructor(scope: Construct, labs: readonly AnyLab[], defaults: { instructorAccount: string; externalId: string; roleName?: string }) {
    super(scope, GRADER_ROLE_STACK_NAME, { stackName: GRADER_ROLE_STACK_NAME, synthesizer: new LegacyStackSynthesizer() });
    const template = graderRoleTemplate(labs, defaults);
    this.templateOptions.description = template.Description;
    for (const [id, p] of Object.entries(template.Parameters) as [string, { Type: string; Description: string; Default?: string; AllowedPattern?: string; NoEcho?: boolean }][]) {
      new CfnParameter(this, id, { type: p.Type, description: p.Description, default: p.Default, allowedPattern: p.AllowedPattern, noEcho: p.NoEcho });
    }
    // The template's properties as they are (CfnResource does not rename keys); parameters keep their logical ids.
    const role = new CfnResource(this, 'GraderRole', { type: 'AWS::IAM::Role', properties: template.Resources.GraderRole.Properties });
    role.overrideLogicalId('GraderRole');
    new CfnOutput(this, 'GraderRoleArn', { value: Fn.getAtt('GraderRole', 'Arn').toString() }).overrideLogicalId('GraderRoleArn');
  }
}
