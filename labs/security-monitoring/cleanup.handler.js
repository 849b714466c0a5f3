'use strict';
// In-stack cleanup of lab security-monitoring (DESIGN §7), before CloudFormation deletes the trail, log group, topic and
// bucket: stop the trail (so no log file lands after the bucket is emptied), schedule deletion of the learner's KMS key
// (found as the trail's key), delete the learner's alarms (found by the metrics of the log group's filters and by the
// topic), empty the bucket. Metric filters need nothing: they go with the log group. Safe to run twice.
const { CloudTrailClient, GetTrailCommand, DescribeTrailsCommand, StopLoggingCommand } = require('@aws-sdk/client-cloudtrail');
const { CloudWatchClient, DescribeAlarmsCommand, DeleteAlarmsCommand } = require('@aws-sdk/client-cloudwatch');
const { CloudWatchLogsClient, DescribeMetricFiltersCommand, DescribeLogGroupsCommand } = require('@aws-sdk/client-cloudwatch-logs');
const { KMSClient, DescribeKeyCommand, ScheduleKeyDeletionCommand } = require('@aws-sdk/client-kms');
const { S3Client, ListObjectsV2Command, DeleteObjectsCommand } = require('@aws-sdk/client-s3');
const { attempts } = require('../../lib/cdk/cleanup-helpers.js');

/** KMS's shortest deletion window, in days. */
const PENDING_WINDOW_DAYS = 7;

exports.onDelete = async (props, log) => {
  const trails = new CloudTrailClient({});
  const attempt = attempts('cleanup incomplete: ');
  let keyId;
  await attempt('trail', async () => {
    const { Trail } = await trails.send(new GetTrailCommand({ Name: props.TrailName }));
    keyId = Trail && Trail.KmsKeyId;
    await trails.send(new StopLoggingCommand({ Name: props.TrailName }));
    log(`stopped logging of ${props.TrailName}; its key: ${keyId || 'none'}`);
  });
  if (keyId) await attempt('key', () => retireKey(trails, keyId, props, log));
  await attempt('alarms', () => deleteAlarms(props, log));
  await attempt('bucket', () => emptyBucket(props.BucketName, log));
  attempt.done();
};

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

/** Deletes every object of the (unversioned) bucket. */
async function emptyBucket(Bucket, log) {
  const s3 = new S3Client({});
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
  log(`emptied ${Bucket}: ${count} objects`);
}
