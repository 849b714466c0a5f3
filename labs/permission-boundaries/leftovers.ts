import { GetPolicyCommand, GetRoleCommand, IAMClient, ListInstanceProfilesCommand, ListPoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { awsErrorName } from '../../lib/aws/errors';
import type { Leftover, LeftoverContext } from '../../lib/lab';
import { allPages, partitionOf } from '../../lib/sdk-facts';
import { APP_PATH, APP_TEAM_ROLE_NAME, BOUNDARY_POLICY_NAME, appBucketName, iamArnPrefix } from './contract';

function gone(error: unknown): boolean {
  return ['NoSuchEntity', 'NoSuchEntityException', 'NoSuchBucket'].includes(awsErrorName(error) ?? '');
}

/** Whether a read finds the thing; false when AWS says it does not exist. */
async function exists(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return true;
  } catch (error) {
    if (gone(error)) return false;
    throw error;
  }
}

/**
 * What the tag audit cannot see (the tagging API lists no IAM roles, policies or instance profiles), or what the in-stack
 * cleanup should have removed: everything under the IAM path /app/ (the lab owns it), the boundary policy, the AppTeam
 * role, and the app bucket if it is still there. IAM is global: reported with region `global`.
 */
export async function leftovers(ctx: LeftoverContext): Promise<Leftover[]> {
  const iam = ctx.client(IAMClient);
  const found: Leftover[] = [];
  const underApp = `under the IAM path ${APP_PATH}, which the lab owns`;
  const roles = await allPages(async (Marker) => {
    const page = await iam.send(new ListRolesCommand({ PathPrefix: APP_PATH, Marker }));
    return { items: page.Roles, next: page.IsTruncated ? page.Marker : undefined };
  });
  for (const r of roles) found.push({ resource: r.Arn ?? r.RoleName ?? '?', region: 'global', reason: `role ${underApp}` });
  const policies = await allPages(async (Marker) => {
    const page = await iam.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: APP_PATH, Marker }));
    return { items: page.Policies, next: page.IsTruncated ? page.Marker : undefined };
  });
  for (const p of policies) found.push({ resource: p.Arn ?? p.PolicyName ?? '?', region: 'global', reason: `managed policy ${underApp}` });
  const profiles = await allPages(async (Marker) => {
    const page = await iam.send(new ListInstanceProfilesCommand({ PathPrefix: APP_PATH, Marker }));
    return { items: page.InstanceProfiles, next: page.IsTruncated ? page.Marker : undefined };
  });
  for (const p of profiles) found.push({ resource: p.Arn ?? p.InstanceProfileName ?? '?', region: 'global', reason: `instance profile ${underApp}` });

  const prefix = iamArnPrefix(partitionOf(ctx.region), ctx.account);
  const boundaryArn = `${prefix}policy/${BOUNDARY_POLICY_NAME}`;
  if (await exists(() => iam.send(new GetPolicyCommand({ PolicyArn: boundaryArn })))) {
    found.push({ resource: boundaryArn, region: 'global', reason: 'the permissions boundary the learner wrote for the lab' });
  }
  if (await exists(() => iam.send(new GetRoleCommand({ RoleName: APP_TEAM_ROLE_NAME })))) {
    found.push({ resource: `${prefix}role/${APP_TEAM_ROLE_NAME}`, region: 'global', reason: "the lab's AppTeam role" });
  }
  const bucket = appBucketName(ctx.account, ctx.region);
  const s3 = ctx.client(S3Client);
  if (await exists(() => s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1 })))) {
    found.push({ resource: `arn:${partitionOf(ctx.region)}:s3:::${bucket}`, region: ctx.region, reason: "the lab's app bucket still exists" });
  }
  return found;
}
