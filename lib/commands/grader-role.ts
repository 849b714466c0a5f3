import { AwsSession, type AwsOptions } from '../aws/clients';
import { whoAmI } from '../aws/lab-stack';
import { ExitCode } from '../errors';
import type { Io } from '../io';
import { GRADER_CONTEXT, GRADER_ROLE_STACK_NAME, graderPermissions, graderRoleTemplate, graderTrust, validateGraderInputs } from '../grade/grader-role';
import { selectLabs } from '../grade/checks';

/** Options of `doplab grader-role`. */
export interface GraderRoleOptions {
  readonly instructorAccount?: string;
  readonly externalId?: string;
  readonly roleName: string;
  readonly labs?: string;
  readonly format: 'policy' | 'cloudformation' | 'cdk';
}

/**
 * `doplab grader-role`: the role learners' accounts need for grading — trust (instructor account +
 * external id) and exactly the union of the selected checkers' read-only actions.
 */
export async function graderRoleCommand(opts: GraderRoleOptions, aws: AwsOptions, io: Io): Promise<number> {
  const labs = selectLabs(opts.labs);
  if (opts.format === 'cloudformation') {
    // Parameters left without a default are asked for by CloudFormation / the StackSet.
    // --region (else AWS_REGION) becomes RoleRegion's default: the one region the StackSet may target.
    const region = aws.region ?? process.env.AWS_REGION;
    io.out(JSON.stringify(graderRoleTemplate(labs, { instructorAccount: opts.instructorAccount, externalId: opts.externalId, roleName: opts.roleName, region }), null, 2));
    return ExitCode.OK;
  }
  let account = opts.instructorAccount;
  if (account === undefined && opts.externalId !== undefined) {
    const session = new AwsSession(aws);
    try {
      account = (await whoAmI(session)).account;
    } finally {
      session.destroy();
    }
  }
  const { instructorAccount, externalId } = validateGraderInputs(account, opts.externalId, opts.roleName);
  if (opts.format === 'cdk') {
    const context = [
      `-c ${GRADER_CONTEXT.instructorAccount}=${instructorAccount}`,
      `-c ${GRADER_CONTEXT.externalId}=${externalId}`,
      `-c ${GRADER_CONTEXT.roleName}=${opts.roleName}`,
      ...(opts.labs ? [`-c ${GRADER_CONTEXT.labs}=${labs.map((l) => l.id).join(',')}`] : []),
    ];
    io.out(`npx cdk deploy ${GRADER_ROLE_STACK_NAME} ${context.join(' ')}`);
    return ExitCode.OK;
  }
  io.out(JSON.stringify({ roleName: opts.roleName, trustPolicy: graderTrust(instructorAccount, externalId), permissionsPolicy: graderPermissions(labs) }, null, 2));
  return ExitCode.OK;
}
