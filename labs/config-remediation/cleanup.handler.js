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
} = require('@aws-sdk/client-config-service');
const { S3Client, ListObjectVersionsCommand, DeleteObjectsCommand } = require('@aws-sdk/client-s3');

/** Removes the remediation of props.ConfigRuleName, stops props.RecorderName (if the lab owns one), empties props.BucketNames. */
exports.onDelete = async (props, log, wait = sleep) => {
  const cfg = new ConfigServiceClient({});
  const failed = [];
  const attempt = async (what, work) => {
    try {
      await work();
    } catch (e) {
      failed.push(`${what}: ${e.name}: ${e.message}`);
    }
  };
  const rule = props.ConfigRuleName;
  await attempt(`remediation exceptions of ${rule}`, () => deleteExceptions(cfg, rule, log));
  await attempt(`remediation of ${rule}`, () => deleteRemediation(cfg, rule, log, wait));
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
  if (failed.length > 0) throw new Error(`could not clean up ${failed.join('; ')}`);
};

async function deleteExceptions(cfg, rule, log) {
  let NextToken;
  do {
    const page = await cfg.send(new DescribeRemediationExceptionsCommand({ ConfigRuleName: rule, Limit: 100, NextToken }));
    const keys = (page.RemediationExceptions || []).map((e) => ({ ResourceType: e.ResourceType, ResourceId: e.ResourceId }));
    if (keys.length > 0) {
      await cfg.send(new DeleteRemediationExceptionsCommand({ ConfigRuleName: rule, ResourceKeys: keys }));
      log(`deleted remediation exceptions ${keys.map((k) => k.ResourceId).join(', ')}`);
    }
    NextToken = page.NextToken;
  } while (NextToken);
}

// A remediation execution in progress blocks the deletion (RemediationInProgressException): wait for it, up to ~4 min.
async function deleteRemediation(cfg, rule, log, wait) {
  const page = await cfg.send(new DescribeRemediationConfigurationsCommand({ ConfigRuleNames: [rule] }));
  for (const rc of page.RemediationConfigurations || []) {
    for (let n = 1; ; n++) {
      try {
        await cfg.send(new DeleteRemediationConfigurationCommand({ ConfigRuleName: rule, ResourceType: rc.ResourceType }));
        log(`deleted remediation ${rc.TargetId} of ${rule}`);
        break;
      } catch (e) {
        if (e.name !== 'RemediationInProgressException' || n >= 16) throw e;
        log(`remediation of ${rule} in progress, retrying in 15 s`);
        await wait(15000);
      }
    }
  }
}

async function emptyBucket(s3, bucket, log) {
  let KeyMarker;
  let VersionIdMarker;
  let count = 0;
  do {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker, VersionIdMarker, MaxKeys: 1000 }));
    const objects = [...(page.Versions || []), ...(page.DeleteMarkers || [])].map((v) => ({ Key: v.Key, VersionId: v.VersionId }));
    if (objects.length > 0) {
      const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
      if ((out.Errors || []).length > 0) throw new Error(out.Errors.map((e) => `${e.Key}: ${e.Code}`).join(', '));
      count += objects.length;
    }
    KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (KeyMarker);
  log(`emptied ${bucket}: ${count} object versions`);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
