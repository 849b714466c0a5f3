import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { BatchGetProjectsCommand, CodeBuildClient, ListProjectsCommand, ListReportGroupsCommand, type Project } from '@aws-sdk/client-codebuild';
import { IAMClient, ListRolesCommand, ListRoleTagsCommand } from '@aws-sdk/client-iam';
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { LAB_TAG_KEY } from '../../lib/contract';
import type { Leftover, LeftoverContext } from '../../lib/lab';
import { remainingBuckets } from '../../lib/lifecycle/bucket-leftovers';
import { allPages } from '../../lib/sdk-facts';
import { API_KEY_PARAMETER, LAB_ID, Outputs } from './contract';

/** BatchGetProjects takes at most 100 names. */
const PROJECTS_PER_CALL = 100;

/**
 * What the tag audit cannot see, or what the in-stack cleanup should have removed. The pipeline is gone by now, so the
 * learner's test projects are found by what ties them to the lab: the lab tag, or a buildspec or variable that reads
 * the lab's API key. With them: their report groups (`<project>-*`), their `/aws/codebuild/<project>` log groups, the
 * SecureString, roles CodeBuild can assume that carry the lab tag, and the lab buckets if still there.
 */
export async function leftovers(ctx: LeftoverContext): Promise<Leftover[]> {
  const found: Leftover[] = [];
  const projects = await testProjects(ctx);
  for (const p of projects) found.push({ resource: p.arn ?? p.name ?? '?', region: ctx.region, reason: `CodeBuild project ${p.name} reading the lab's API key or tagged ${LAB_TAG_KEY}=${LAB_ID}` });
  const names = projects.map((p) => p.name ?? '').filter(Boolean);
  found.push(...(await reportGroups(ctx, names)), ...(await logGroups(ctx, names)), ...(await parameter(ctx)), ...(await codeBuildRoles(ctx)), ...(await remainingBuckets(ctx, [ctx.stack?.outputs[Outputs.sourceBucketName], ctx.stack?.outputs[Outputs.artifactBucketName]])));
  return found;
}

function readsLabKey(p: Project): boolean {
  const tagged = (p.tags ?? []).some((t) => t.key === LAB_TAG_KEY && t.value === LAB_ID);
  const variables = (p.environment?.environmentVariables ?? []).some((v) => v.value === API_KEY_PARAMETER);
  return tagged || variables || (p.source?.buildspec ?? '').includes(API_KEY_PARAMETER);
}

async function testProjects(ctx: LeftoverContext): Promise<Project[]> {
  const codebuild = ctx.client(CodeBuildClient);
  const names = await allPages(async (nextToken) => {
    const page = await codebuild.send(new ListProjectsCommand({ nextToken }));
    return { items: page.projects, next: page.nextToken };
  });
  const found: Project[] = [];
  for (let i = 0; i < names.length; i += PROJECTS_PER_CALL) {
    const page = await codebuild.send(new BatchGetProjectsCommand({ names: names.slice(i, i + PROJECTS_PER_CALL) }));
    found.push(...(page.projects ?? []).filter(readsLabKey));
  }
  return found;
}

/** Report groups CodeBuild made for the projects (`<project>-<report name>`): they outlive their project. */
async function reportGroups(ctx: LeftoverContext, projects: readonly string[]): Promise<Leftover[]> {
  if (projects.length === 0) return [];
  const codebuild = ctx.client(CodeBuildClient);
  const arns = await allPages(async (nextToken) => {
    const page = await codebuild.send(new ListReportGroupsCommand({ nextToken }));
    return { items: page.reportGroups, next: page.nextToken };
  });
  return arns
    .filter((arn) => projects.some((p) => arn.split(':report-group/')[1]?.startsWith(`${p}-`)))
    .map((arn) => ({ resource: arn, region: ctx.region, reason: "report group of a learner's test project (report groups outlive their project)" }));
}

async function logGroups(ctx: LeftoverContext, projects: readonly string[]): Promise<Leftover[]> {
  if (projects.length === 0) return [];
  const logs = ctx.client(CloudWatchLogsClient);
  const groups = await allPages(async (nextToken) => {
    const page = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/codebuild/', nextToken }));
    return { items: page.logGroups, next: page.nextToken };
  });
  const wanted = new Set(projects.map((p) => `/aws/codebuild/${p}`));
  return groups
    .filter((g) => wanted.has(g.logGroupName ?? ''))
    .map((g) => ({ resource: g.logGroupArn ?? g.arn ?? g.logGroupName ?? '?', region: ctx.region, reason: "log group of a learner's test project" }));
}

async function parameter(ctx: LeftoverContext): Promise<Leftover[]> {
  const page = await ctx.client(SSMClient).send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [API_KEY_PARAMETER] }] }));
  return (page.Parameters ?? []).map((p) => ({ resource: p.ARN ?? p.Name ?? API_KEY_PARAMETER, region: ctx.region, reason: "the lab's SecureString API key" }));
}

/** Roles tagged for the lab that CodeBuild can assume (GetResources lists no IAM roles; ListRoles returns no tags). */
async function codeBuildRoles(ctx: LeftoverContext): Promise<Leftover[]> {
  const iam = ctx.client(IAMClient);
  const roles = await allPages(async (Marker) => {
    const page = await iam.send(new ListRolesCommand({ Marker }));
    return { items: page.Roles, next: page.IsTruncated ? page.Marker : undefined };
  });
  const found: Leftover[] = [];
  for (const role of roles.filter((r) => decodeURIComponent(r.AssumeRolePolicyDocument ?? '').includes('codebuild.amazonaws.com'))) {
    const tags = (await iam.send(new ListRoleTagsCommand({ RoleName: role.RoleName }))).Tags ?? [];
    if (tags.some((t) => t.Key === LAB_TAG_KEY && t.Value === LAB_ID)) {
      found.push({ resource: role.Arn ?? role.RoleName ?? '?', region: 'global', reason: `CodeBuild role tagged ${LAB_TAG_KEY}=${LAB_ID} (IAM roles are not in the tagging API)` });
    }
  }
  return found;
}

