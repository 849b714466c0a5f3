'use strict';
// In-stack cleanup of lab broken-pipeline (DESIGN §7). The learner fixes the pipeline by changing the lab's own
// resources, so nothing of theirs stands alone; but a managed policy they attached to a lab role makes CloudFormation
// fail to delete the role, and the buckets must be empty (old versions included) before they go. So: detach every
// managed policy and delete every inline policy the stack did not make from the lab roles, then empty the buckets.
// Inlined at synth after lib/cdk/cleanup-runtime.js.
const { IAMClient, ListAttachedRolePoliciesCommand, DetachRolePolicyCommand, ListRolePoliciesCommand, DeleteRolePolicyCommand } = require('@aws-sdk/client-iam');
const { S3Client } = require('@aws-sdk/client-s3');
const { attempts, emptyBucket } = require('../../lib/cdk/cleanup-helpers.js');

// props: RoleNames, KeepPolicies (the stack's own inline policies), BucketNames: each comma-separated.
exports.onDelete = async (props, log) => {
  const attempt = attempts();
  const list = (value) => (value || '').split(',').filter(Boolean);
  const iam = new IAMClient({});
  const keep = new Set(list(props.KeepPolicies));
  for (const role of list(props.RoleNames)) await attempt(`role ${role}`, () => freeRole(iam, role, keep, log));
  const s3 = new S3Client({});
  for (const bucket of list(props.BucketNames)) await attempt(`bucket ${bucket}`, () => emptyBucket(s3, bucket, log));
  attempt.done();
};

async function freeRole(iam, RoleName, keep, log) {
  let Marker;
  const attached = [];
  const inline = [];
  try {
    do {
      const page = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName, Marker }));
      attached.push(...(page.AttachedPolicies || []).map((p) => p.PolicyArn));
      Marker = page.IsTruncated ? page.Marker : undefined;
    } while (Marker);
    do {
      const page = await iam.send(new ListRolePoliciesCommand({ RoleName, Marker }));
      inline.push(...(page.PolicyNames || []));
      Marker = page.IsTruncated ? page.Marker : undefined;
    } while (Marker);
  } catch (e) {
    if (e.name === 'NoSuchEntity' || e.name === 'NoSuchEntityException') return log(`role ${RoleName} does not exist`);
    throw e;
  }
  for (const PolicyArn of attached) {
    await iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn }));
    log(`detached ${PolicyArn} from ${RoleName}`);
  }
  for (const PolicyName of inline.filter((name) => !keep.has(name))) {
    await iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName }));
    log(`deleted inline policy ${PolicyName} of ${RoleName}`);
  }
}
