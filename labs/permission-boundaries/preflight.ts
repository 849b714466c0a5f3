// The lab's deploy preflight: the lab owns the IAM path /app/ (destroy empties it), so a first deploy stops when the
// account already has anything there, or a DopLab-AppBoundary policy. Loaded only by deploy.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetPolicyCommand, IAMClient, ListInstanceProfilesCommand, ListPoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { awsErrorName } from '../../lib/aws/errors';
import { stackNameFor } from '../../lib/contract';
import { DoplabError } from '../../lib/errors';
import type { PreflightContext, PreflightResult } from '../../lib/lab';
import { partitionOf } from '../../lib/sdk-facts';
import { APP_PATH, BOUNDARY_POLICY_NAME, LAB_ID, iamArnPrefix } from './contract';

/** Whether the lab's stack exists already (a redeploy keeps what the learner made). */
async function deployed(ctx: PreflightContext): Promise<boolean> {
  try {
    const stacks = (await ctx.client(CloudFormationClient).send(new DescribeStacksCommand({ StackName: stackNameFor(LAB_ID) }))).Stacks ?? [];
    return stacks.some((s) => s.StackStatus !== 'DELETE_COMPLETE');
  } catch (error) {
    if (awsErrorName(error) === 'ValidationError') return false;
    throw error;
  }
}

/** Stops a first deploy into an account whose /app/ path, or DopLab-AppBoundary policy, is not the lab's to delete. */
export async function preflight(ctx: PreflightContext): Promise<PreflightResult> {
  if (await deployed(ctx)) return { notes: [`Keeping what is under the IAM path ${APP_PATH} and ${BOUNDARY_POLICY_NAME}: the lab is deployed already.`] };
  const iam = ctx.client(IAMClient);
  // One item of each is enough to stop: MaxItems 1.
  const [roles, policies, profiles] = await Promise.all([
    iam.send(new ListRolesCommand({ PathPrefix: APP_PATH, MaxItems: 1 })),
    iam.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: APP_PATH, MaxItems: 1 })),
    iam.send(new ListInstanceProfilesCommand({ PathPrefix: APP_PATH, MaxItems: 1 })),
  ]);
  const found = [
    ...(roles.Roles ?? []).map((r) => `role ${r.Arn}`),
    ...(policies.Policies ?? []).map((p) => `policy ${p.Arn}`),
    ...(profiles.InstanceProfiles ?? []).map((p) => `instance profile ${p.Arn}`),
  ];
  const boundaryArn = `${iamArnPrefix(partitionOf(ctx.region), ctx.account)}policy/${BOUNDARY_POLICY_NAME}`;
  try {
    await iam.send(new GetPolicyCommand({ PolicyArn: boundaryArn }));
    found.push(`policy ${boundaryArn}`);
  } catch (error) {
    if (awsErrorName(error) !== 'NoSuchEntity' && awsErrorName(error) !== 'NoSuchEntityException') throw error;
  }
  if (found.length > 0) {
    throw new DoplabError(
      'DEPLOY_FAILED',
      'environment',
      `Account ${ctx.account} already has ${found.join(', ')}. The lab owns the IAM path ${APP_PATH} and the policy ${BOUNDARY_POLICY_NAME}: destroy deletes everything there.`,
      { hint: `Use a sandbox account whose ${APP_PATH} path is empty, or delete what is there first (aws iam list-roles --path-prefix ${APP_PATH}).` },
    );
  }
  return { notes: [`The IAM path ${APP_PATH} is empty: the lab owns it until destroy, which deletes everything made there.`] };
}
