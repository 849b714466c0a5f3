'use strict';
// In-stack cleanup of lab config-remediation (DESIGN §7). Config refuses to delete a rule that has a remediation action
// (ResourceInUseException), so the learner's remediation goes first; then the lab's own recorder stops (its delivery
// channel cannot be deleted while it records) and the lab buckets are emptied, old versions included.
// Inlined at synth after lib/cdk/cleanup-runtime.js.
const {
  ConfigServiceClient,
  DescribeRemediationConfigurationsCommand,
  DeleteRemediationConfigurationCommand,
  DescribeRemediationExceptionsCommand,
  DeleteRemediationExceptionsCommand,
  StopConfigurationRecorderCommand,
  DescribeConfigRulesCommand,
  DeleteConfigRuleCommand,
} = require('@aws-sdk/client-config-service');
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
const { attempts, emptyBucket } = require('../../lib/cdk/cleanup-helpers.js');

// Removes the remediation of the lab rule and of the learner's rules (props.LearnerRulePrefix, deleted too), the automation
// roles they used that carry props.RoleTag (key=value), stops the lab recorder (props.RecorderName, only when the lab owns
// it) and empties props.BucketNames.
exports.onDelete = async (props, log, wait = sleep) => {
  const cfg = new ConfigServiceClient({});
  const attempt = attempts();
  let learnerRules = [];
  if (props.LearnerRulePrefix) await attempt('learner rules', async () => (learnerRules = await findRules(cfg, props.LearnerRulePrefix)));
  const roles = [];
  for (const rule of [props.ConfigRuleName, ...learnerRules]) {
    // A rule deleted by hand has nothing left to remove.
    const ruleGone = (e) => {
      if (e.name !== 'NoSuchConfigRuleException') throw e;
      log(`rule ${rule} does not exist`);
    };
    await attempt(`remediation exceptions of ${rule}`, () => deleteExceptions(cfg, rule, log).catch(ruleGone));
    await attempt(`remediation of ${rule}`, () => deleteRemediation(cfg, rule, log, wait, roles).catch(ruleGone));
  }
  for (const rule of learnerRules) {
    await attempt(`rule ${rule}`, async () => {
      await cfg.send(new DeleteConfigRuleCommand({ ConfigRuleName: rule }));
      log(`deleted rule ${rule}`);
    });
  }
  const iam = new IAMClient({});
  for (const roleName of roles) await attempt(`role ${roleName}`, () => deleteLabRole(iam, roleName, props.RoleTag, log));
  if (props.RecorderName) {
    await attempt(`recorder ${props.RecorderName}`, async () => {
      await cfg.send(new StopConfigurationRecorderCommand({ ConfigurationRecorderName: props.RecorderName }));
      log(`stopped recorder ${props.RecorderName}`);
    });
  }
  const s3 = new S3Client({});
  for (const bucket of (props.BucketNames || '').split(',').filter(Boolean)) {
    await attempt(`bucket ${bucket}`, () => emptyBucket(s3, bucket, log));
  }
  attempt.done();
};

async function findRules(cfg, prefix) {
  const names = [];
  let NextToken;
  do {
    const page = await cfg.send(new DescribeConfigRulesCommand({ NextToken }));
    for (const r of page.ConfigRules || []) if (r.ConfigRuleName.startsWith(prefix)) names.push(r.ConfigRuleName);
    NextToken = page.NextToken;
  } while (NextToken);
  return names;
}

async function deleteExceptions(cfg, rule, log) {
  let NextToken;
  do {
    const page = await cfg.send(new DescribeRemediationExceptionsCommand({ ConfigRuleName: rule, Limit: 100, NextToken }));
    const keys = (page.RemediationExceptions || []).map((e) => ({ ResourceType: e.ResourceType, ResourceId: e.ResourceId }));
    if (keys.length > 0) {
      const out = await cfg.send(new DeleteRemediationExceptionsCommand({ ConfigRuleName: rule, ResourceKeys: keys }));
      if ((out.FailedBatches || []).length > 0) throw new Error(out.FailedBatches.map((b) => b.FailureMessage).join(', '));
      log(`deleted remediation exceptions ${keys.map((k) => k.ResourceId).join(', ')}`);
    }
    NextToken = page.NextToken;
  } while (NextToken);
}

// A remediation execution in progress blocks the deletion (RemediationInProgressException): wait for it, up to ~4 min.
async function deleteRemediation(cfg, rule, log, wait, roles) {
  const page = await cfg.send(new DescribeRemediationConfigurationsCommand({ ConfigRuleNames: [rule] }));
  for (const rc of page.RemediationConfigurations || []) {
    for (let n = 1; ; n++) {
      try {
        await cfg.send(new DeleteRemediationConfigurationCommand({ ConfigRuleName: rule, ResourceType: rc.ResourceType }));
        log(`deleted remediation ${rc.TargetId} of ${rule}`);
        const roleArn = (((rc.Parameters || {}).AutomationAssumeRole || {}).StaticValue || {}).Values || [];
        const roleName = /:role\/(?:.*\/)?([^/]+)$/.exec(roleArn[0] || '');
        if (roleName && !roles.includes(roleName[1])) roles.push(roleName[1]);
        break;
      } catch (e) {
        if (e.name !== 'RemediationInProgressException' || n >= 16) throw e;
        log(`remediation of ${rule} in progress, retrying in 15 s`);
        await wait(15000);
      }
    }
  }
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

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
