'use strict';
// In-stack cleanup of lab pipeline-test-stage (DESIGN §7). The learner's test project is found by association: a
// CodeBuild action of the lab pipeline that runs another project than the lab's own build. For each such project,
// its report groups (they outlive the project; deleted with their reports), the project, its /aws/codebuild log
// group and its service role if tagged for the lab go; then the lab buckets are emptied, old versions included.
// Inlined at synth after lib/cdk/cleanup-runtime.js.
const { CodePipelineClient, GetPipelineCommand } = require('@aws-sdk/client-codepipeline');
const {
  CodeBuildClient,
  BatchGetProjectsCommand,
  ListBuildsForProjectCommand,
  BatchGetBuildsCommand,
  DeleteReportGroupCommand,
  DeleteProjectCommand,
} = require('@aws-sdk/client-codebuild');
const { CloudWatchLogsClient, DeleteLogGroupCommand } = require('@aws-sdk/client-cloudwatch-logs');
const { S3Client } = require('@aws-sdk/client-s3');
const {
  IAMClient,
  GetRoleCommand,
  ListRolePoliciesCommand,
  DeleteRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  DetachRolePolicyCommand,
  DeleteRoleCommand,
} = require('@aws-sdk/client-iam');
const { emptyBucket } = require('../../lib/cdk/cleanup-helpers.js');

// props: PipelineName, BuildProjectName (the lab's, kept), BucketNames (comma-separated), RoleTag (key=value).
exports.onDelete = async (props, log) => {
  // Not attempts() from cleanup-helpers.js: its wrapper costs ~110 inline characters this lab's function has not got.
  const failed = [];
  const attempt = async (what, work) => {
    try {
      await work();
    } catch (e) {
      failed.push(`${what}: ${e.name}: ${e.message}`);
    }
  };
  let projects = [];
  await attempt(`pipeline ${props.PipelineName}`, async () => (projects = await learnerProjects(props, log)));
  const cb = new CodeBuildClient({});
  const iam = new IAMClient({});
  for (const name of projects) await attempt(`project ${name}`, () => deleteProject(cb, iam, name, props.RoleTag, log));
  const s3 = new S3Client({});
  for (const bucket of (props.BucketNames || '').split(',').filter(Boolean)) {
    await attempt(`bucket ${bucket}`, () => emptyBucket(s3, bucket, log));
  }
  if (failed.length > 0) throw new Error(`could not clean up ${failed.join('; ')}`);
};

async function learnerProjects(props, log) {
  let pipeline;
  try {
    pipeline = (await new CodePipelineClient({}).send(new GetPipelineCommand({ name: props.PipelineName }))).pipeline;
  } catch (e) {
    if (e.name !== 'PipelineNotFoundException') throw e;
    log(`pipeline ${props.PipelineName} does not exist`);
    return [];
  }
  const names = new Set();
  for (const stage of pipeline.stages || []) {
    for (const action of stage.actions || []) {
      const project = action.actionTypeId && action.actionTypeId.provider === 'CodeBuild' && (action.configuration || {}).ProjectName;
      if (project && project !== props.BuildProjectName) names.add(project);
    }
  }
  return [...names];
}

// The project's report groups are read from its builds (a report's ARN names its group: report/<group>:<id>) and
// deleted with their reports: a group gets reports only from builds.
async function deleteProject(cb, iam, name, roleTag, log) {
  const found = (await cb.send(new BatchGetProjectsCommand({ names: [name] }))).projects || [];
  if (found.length === 0) return log(`project ${name} does not exist`);
  const project = found[0];
  const groups = new Set();
  let nextToken;
  do {
    const page = await cb.send(new ListBuildsForProjectCommand({ projectName: name, nextToken }));
    const ids = page.ids || [];
    for (let i = 0; i < ids.length; i += 100) {
      const builds = (await cb.send(new BatchGetBuildsCommand({ ids: ids.slice(i, i + 100) }))).builds || [];
      for (const b of builds) for (const arn of b.reportArns || []) groups.add(arn.replace(':report/', ':report-group/').replace(/:[^:/]+$/, ''));
    }
    nextToken = page.nextToken;
  } while (nextToken);
  for (const arn of groups) {
    try {
      await cb.send(new DeleteReportGroupCommand({ arn, deleteReports: true }));
      log(`deleted report group ${arn}`);
    } catch (e) {
      if (e.name !== 'ResourceNotFoundException') throw e;
    }
  }
  await cb.send(new DeleteProjectCommand({ name }));
  log(`deleted project ${name}`);
  try {
    await new CloudWatchLogsClient({}).send(new DeleteLogGroupCommand({ logGroupName: `/aws/codebuild/${name}` }));
    log(`deleted log group /aws/codebuild/${name}`);
  } catch (e) {
    if (e.name !== 'ResourceNotFoundException') throw e;
  }
  const role = /:role\/(?:.*\/)?([^/]+)$/.exec(project.serviceRole || '');
  if (role) await deleteLabRole(iam, role[1], roleTag, log);
}

// Only a role the learner tagged for the lab: a role they reused from elsewhere stays (IAM enforces it too).
async function deleteLabRole(iam, roleName, roleTag, log) {
  const [key, value] = (roleTag || '').split('=');
  let role;
  try {
    role = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
  } catch (e) {
    if (e.name === 'NoSuchEntity' || e.name === 'AccessDenied') return log(`role ${roleName} left alone: ${e.name}`);
    throw e;
  }
  if (!(role.Tags || []).some((t) => t.Key === key && t.Value === value)) return log(`role ${roleName} left alone: not tagged ${roleTag}`);
  const inline = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
  for (const PolicyName of inline.PolicyNames || []) await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName }));
  const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
  for (const p of attached.AttachedPolicies || []) await iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: p.PolicyArn }));
  await iam.send(new DeleteRoleCommand({ RoleName: roleName }));
  log(`deleted role ${roleName}`);
}
