'use strict';
// In-stack cleanup of lab permission-boundaries (DESIGN §7). The lab owns the IAM path /app/: roles there go first (out
// of their instance profiles, policies detached, inline policies deleted, then the role), then instance profiles and
// managed policies there (non-default versions, then the policy), the policies the learner attached to the AppTeam role
// (CloudFormation cannot delete a role with policies it did not attach), then the boundary policy, and the app bucket
// is emptied. Inlined at synth after lib/cdk/cleanup-runtime.js.
const {
  IAMClient,
  ListRolesCommand,
  ListPoliciesCommand,
  ListInstanceProfilesCommand,
  ListInstanceProfilesForRoleCommand,
  RemoveRoleFromInstanceProfileCommand,
  DeleteInstanceProfileCommand,
  ListAttachedRolePoliciesCommand,
  DetachRolePolicyCommand,
  ListRolePoliciesCommand,
  DeleteRolePolicyCommand,
  DeleteRoleCommand,
  GetRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  ListEntitiesForPolicyCommand,
  ListPolicyVersionsCommand,
  DeletePolicyVersionCommand,
  DeletePolicyCommand,
} = require('@aws-sdk/client-iam');
const { S3Client } = require('@aws-sdk/client-s3');
const { emptyBucket } = require('../../lib/cdk/cleanup-helpers.js');

// props: AppPath, BoundaryPolicyArn, AppTeamRoleName, AppTeamPolicyName (the stack's own inline policy), BucketName.
exports.onDelete = async (props, log) => {
  const iam = new IAMClient({});
  const failed = [];
  const attempt = async (what, work) => {
    try {
      await work();
    } catch (e) {
      if (e.name === 'NoSuchEntity' || e.name === 'NoSuchEntityException') return log(`${what}: already gone`);
      failed.push(`${what}: ${e.name}: ${e.message}`);
    }
  };
  const learnerPolicies = [];
  await attempt(`role ${props.AppTeamRoleName}`, () => strip(iam, props, learnerPolicies, log));
  const list = async (what, read, key) => {
    let items = [];
    await attempt(what, async () => (items = await pages(read, key)));
    return items;
  };
  const roles = await list('roles under /app/', (Marker) => iam.send(new ListRolesCommand({ PathPrefix: props.AppPath, Marker })), 'Roles');
  for (const role of roles) await attempt(`role ${role.Arn}`, () => deleteRole(iam, role.RoleName, props.AppPath, log));
  const profiles = await list('instance profiles', (Marker) => iam.send(new ListInstanceProfilesCommand({ PathPrefix: props.AppPath, Marker })), 'InstanceProfiles');
  for (const p of profiles) {
    await attempt(`instance profile ${p.Arn}`, async () => {
      for (const r of p.Roles || []) await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: p.InstanceProfileName, RoleName: r.RoleName }));
      await iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: p.InstanceProfileName }));
      log(`deleted instance profile ${p.Arn}`);
    });
  }
  const appPolicies = await list('policies', (Marker) => iam.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: props.AppPath, Marker })), 'Policies');
  for (const p of appPolicies) await attempt(`policy ${p.Arn}`, () => deletePolicy(iam, p.Arn, log));
  for (const arn of learnerPolicies) {
    await attempt(`policy ${arn}`, async () => {
      if (await attachedAnywhere(iam, arn)) return log(`policy ${arn} left alone: still attached elsewhere`);
      await deletePolicy(iam, arn, log);
    });
  }
  await attempt(`policy ${props.BoundaryPolicyArn}`, () => deletePolicy(iam, props.BoundaryPolicyArn, log));
  if (props.BucketName) await attempt(`bucket ${props.BucketName}`, () => emptyBucket(new S3Client({}), props.BucketName, log));
  if (failed.length > 0) throw new Error(`could not clean up ${failed.join('; ')}`);
};

async function pages(read, key) {
  const items = [];
  let Marker;
  do {
    const page = await read(Marker);
    items.push(...(page[key] || []));
    Marker = page.IsTruncated ? page.Marker : undefined;
  } while (Marker);
  return items;
}

// The AppTeam role keeps the stack's own inline policy (CloudFormation deletes it); the learner's policies and boundary go.
// Customer managed policies detached from it are remembered: they are deleted if then attached to nothing.
async function strip(iam, props, learnerPolicies, log) {
  const RoleName = props.AppTeamRoleName;
  const attached = await pages((Marker) => iam.send(new ListAttachedRolePoliciesCommand({ RoleName, Marker })), 'AttachedPolicies');
  for (const p of attached) {
    await iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: p.PolicyArn }));
    log(`detached ${p.PolicyArn} from ${RoleName}`);
    if (!/^arn:[^:]+:iam::aws:/.test(p.PolicyArn) && p.PolicyArn !== props.BoundaryPolicyArn) learnerPolicies.push(p.PolicyArn);
  }
  const inline = await pages((Marker) => iam.send(new ListRolePoliciesCommand({ RoleName, Marker })), 'PolicyNames');
  for (const PolicyName of inline.filter((n) => n !== props.AppTeamPolicyName)) {
    await iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName }));
    log(`deleted inline policy ${PolicyName} of ${RoleName}`);
  }
  const role = (await iam.send(new GetRoleCommand({ RoleName }))).Role;
  if (role.PermissionsBoundary) {
    await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName }));
    log(`removed the permissions boundary of ${RoleName}`);
  }
}

async function deleteRole(iam, RoleName, appPath, log) {
  const profiles = await pages((Marker) => iam.send(new ListInstanceProfilesForRoleCommand({ RoleName, Marker })), 'InstanceProfiles');
  for (const p of profiles) {
    await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: p.InstanceProfileName, RoleName }));
    if (p.Path.startsWith(appPath)) {
      await iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: p.InstanceProfileName }));
      log(`deleted instance profile ${p.Arn}`);
    }
  }
  const attached = await pages((Marker) => iam.send(new ListAttachedRolePoliciesCommand({ RoleName, Marker })), 'AttachedPolicies');
  for (const p of attached) await iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: p.PolicyArn }));
  const inline = await pages((Marker) => iam.send(new ListRolePoliciesCommand({ RoleName, Marker })), 'PolicyNames');
  for (const PolicyName of inline) await iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName }));
  await iam.send(new DeleteRoleCommand({ RoleName }));
  log(`deleted role ${RoleName}`);
}

async function attachedAnywhere(iam, PolicyArn) {
  const page = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn }));
  return [page.PolicyRoles, page.PolicyUsers, page.PolicyGroups].some((list) => (list || []).length > 0);
}

// Non-default versions first: IAM refuses to delete a policy that has any.
async function deletePolicy(iam, PolicyArn, log) {
  const versions = await pages((Marker) => iam.send(new ListPolicyVersionsCommand({ PolicyArn, Marker })), 'Versions');
  for (const v of versions.filter((x) => !x.IsDefaultVersion)) await iam.send(new DeletePolicyVersionCommand({ PolicyArn, VersionId: v.VersionId }));
  await iam.send(new DeletePolicyCommand({ PolicyArn }));
  log(`deleted policy ${PolicyArn} (${versions.length} versions)`);
}
