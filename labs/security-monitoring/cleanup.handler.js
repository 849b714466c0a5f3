'use strict';
// In-stack cleanup of lab security-monitoring (DESIGN §7), before CloudFormation deletes the trail, log group, topic and
// bucket: stop the trail, delete the learner's trails that deliver to the lab bucket, schedule deletion of the learner's
// KMS key (found as the trail's key), delete the learner's alarms (found by the metrics of the log group's filters and by
// the topic), then shut CloudTrail out of the bucket and empty it. Metric filters need nothing: they go with the log
// group. Safe to run twice.
//
// The race: CloudTrail delivers log files about every 5 minutes and digest files hourly, so a file can land after
// StopLogging, and after the bucket was emptied: the bucket's deletion then fails. Deleting the bucket policy (its only
// grant to CloudTrail) stops every delivery, digests included; CloudFormation deletes its BucketPolicy resource after the
// trail (DependsOn) anyway, and S3 answers success for a bucket without a policy. Bucket configuration is eventually
// consistent, so the bucket is then emptied again until it stays empty for QUIET_POLLS checks.
const { CloudTrailClient, GetTrailCommand, DescribeTrailsCommand, StopLoggingCommand, DeleteTrailCommand } = require('@aws-sdk/client-cloudtrail');
const { CloudWatchClient, DescribeAlarmsCommand, DeleteAlarmsCommand } = require('@aws-sdk/client-cloudwatch');
const { CloudWatchLogsClient, DescribeMetricFiltersCommand, DescribeLogGroupsCommand } = require('@aws-sdk/client-cloudwatch-logs');
const { KMSClient, DescribeKeyCommand, ScheduleKeyDeletionCommand } = require('@aws-sdk/client-kms');
const { S3Client, ListObjectsV2Command, DeleteObjectsCommand, DeleteBucketPolicyCommand } = require('@aws-sdk/client-s3');
const { attempts } = require('../../lib/cdk/cleanup-helpers.js');

/** KMS's shortest deletion window, in days. */
const PENDING_WINDOW_DAYS = 7;

/** Milliseconds between checks that the emptied bucket stays empty. */
const POLL_MS = 15000;
/** Checks in a row the bucket must be found empty. */
const QUIET_POLLS = 4;
/** Checks at most: within the function's timeout (stack.ts). */
const MAX_POLLS = 12;

exports.onDelete = async (props, log, sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))) => {
  const trails = new CloudTrailClient({});
  const attempt = attempts('cleanup incomplete: ');
  let keyId;
  await attempt('trail', async () => {
    const { Trail } = await trails.send(new GetTrailCommand({ Name: props.TrailName }));
    keyId = Trail && Trail.KmsKeyId;
    await trails.send(new StopLoggingCommand({ Name: props.TrailName }));
    log(`stopped logging of ${props.TrailName}; its key: ${keyId || 'none'}`);
  });
  await attempt('learner trails', () => deleteLearnerTrails(trails, props, log));
  if (keyId) await attempt('key', () => retireKey(trails, keyId, props, log));
  await attempt('alarms', () => deleteAlarms(props, log));
  await attempt('bucket', () => emptyForGood(props.BucketName, log, sleep));
  attempt.done();
};

/**
 * Deletes the account's trails other than the lab's that deliver to the lab bucket: once it is gone they would fail and
 * retry for 30 days. An organization trail is the management account's to delete.
 */
async function deleteLearnerTrails(trails, props, log) {
  const { trailList = [] } = await trails.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
  for (const t of trailList.filter((t) => t.S3BucketName === props.BucketName && t.Name !== props.TrailName && !t.IsOrganizationTrail)) {
    // A multi-region trail can be deleted only in its home region.
    await new CloudTrailClient({ region: t.HomeRegion }).send(new DeleteTrailCommand({ Name: t.TrailARN }));
    log(`deleted trail ${t.TrailARN}, which delivered to the lab bucket`);
  }
}

/** Schedules deletion of the trail's key when it is customer managed, made during the lab, and no other trail uses it. */
async function retireKey(trails, keyId, props, log) {
  const kms = new KMSClient({});
  const { KeyMetadata: key } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
  if (key.KeyManager !== 'CUSTOMER' || key.KeyState === 'PendingDeletion') {
    log(`key ${key.Arn}: ${key.KeyManager} managed, ${key.KeyState}; left alone`);
    return;
  }
  const logs = new CloudWatchLogsClient({});
  const { logGroups = [] } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: props.LogGroupName }));
  const group = logGroups.find((g) => g.logGroupName === props.LogGroupName);
  if (!group || new Date(key.CreationDate).getTime() < group.creationTime) {
    log(`key ${key.Arn} predates the lab; left alone`);
    return;
  }
  const { trailList = [] } = await trails.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
  const others = trailList.filter((t) => t.Name !== props.TrailName && t.KmsKeyId && (t.KmsKeyId === key.Arn || t.KmsKeyId.endsWith(key.KeyId)));
  if (others.length > 0) {
    log(`key ${key.Arn} is also used by ${others.map((t) => t.TrailARN).join(', ')}; left alone`);
    return;
  }
  await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.Arn, PendingWindowInDays: PENDING_WINDOW_DAYS }));
  log(`scheduled deletion of key ${key.Arn} in ${PENDING_WINDOW_DAYS} days`);
}

/** Deletes alarms on the metrics the log group's filters publish, or notifying the lab topic: composite alarms first. */
async function deleteAlarms(props, log) {
  const logs = new CloudWatchLogsClient({});
  const metrics = new Set();
  let nextToken;
  try {
    do {
      const page = await logs.send(new DescribeMetricFiltersCommand({ logGroupName: props.LogGroupName, nextToken }));
      for (const f of page.metricFilters || []) for (const t of f.metricTransformations || []) metrics.add(`${t.metricNamespace}/${t.metricName}`);
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (e) {
    if (e.name !== 'ResourceNotFoundException') throw e;
  }
  const cw = new CloudWatchClient({});
  const composite = [];
  const metric = [];
  let NextToken;
  do {
    const page = await cw.send(new DescribeAlarmsCommand({ AlarmTypes: ['CompositeAlarm', 'MetricAlarm'], MaxRecords: 100, NextToken }));
    for (const a of page.CompositeAlarms || []) if (notifies(a, props.TopicArn)) composite.push(a.AlarmName);
    for (const a of page.MetricAlarms || []) if (notifies(a, props.TopicArn) || watches(a, metrics)) metric.push(a.AlarmName);
    NextToken = page.NextToken;
  } while (NextToken);
  // DeleteAlarms takes one composite alarm per call, and a composite goes before the alarms its rule names.
  const batches = composite.map((name) => [name]);
  for (let i = 0; i < metric.length; i += 100) batches.push(metric.slice(i, i + 100));
  for (const names of batches) {
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: names }));
    log(`deleted alarms ${names.join(', ')}`);
  }
}

function notifies(alarm, topicArn) {
  return [alarm.AlarmActions, alarm.OKActions, alarm.InsufficientDataActions].some((arns) => arns && arns.includes(topicArn));
}

function watches(alarm, metrics) {
  if (metrics.has(`${alarm.Namespace}/${alarm.MetricName}`)) return true;
  return (alarm.Metrics || []).some((q) => q.MetricStat && metrics.has(`${q.MetricStat.Metric.Namespace}/${q.MetricStat.Metric.MetricName}`));
}

/** Shuts CloudTrail out of the bucket, empties it, then empties it again until it stays empty for QUIET_POLLS checks. */
async function emptyForGood(Bucket, log, sleep) {
  const s3 = new S3Client({});
  await s3.send(new DeleteBucketPolicyCommand({ Bucket }));
  log(`deleted the policy of ${Bucket}: CloudTrail can no longer deliver to it`);
  let count = await emptyBucket(s3, Bucket);
  log(`emptied ${Bucket}: ${count} objects`);
  for (let poll = 1, quiet = 0; quiet < QUIET_POLLS; poll++) {
    if (poll > MAX_POLLS) throw new Error(`objects still arrive in ${Bucket} after ${(MAX_POLLS * POLL_MS) / 1000} s`);
    await sleep(POLL_MS);
    count = await emptyBucket(s3, Bucket);
    quiet = count > 0 ? 0 : quiet + 1;
    if (count > 0) log(`emptied ${Bucket} again: ${count} objects arrived`);
  }
}

/** Deletes every object of the (unversioned) bucket; returns how many. */
async function emptyBucket(s3, Bucket) {
  let ContinuationToken;
  let count = 0;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket, ContinuationToken }));
    const objects = (page.Contents || []).map((o) => ({ Key: o.Key }));
    // A page holds at most 1,000 keys, DeleteObjects' limit; its permission is s3:DeleteObject.
    if (objects.length > 0) {
      const { Errors = [] } = await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: objects, Quiet: true } }));
      if (Errors.length > 0) throw new Error(`could not delete ${Errors.map((e) => `${e.Key}: ${e.Code}`).join(', ')}`);
      count += objects.length;
    }
    ContinuationToken = page.NextContinuationToken;
  } while (ContinuationToken);
  return count;
}
