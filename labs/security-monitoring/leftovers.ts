import { CloudTrailClient, DescribeTrailsCommand } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeKeyCommand, KMSClient, ListResourceTagsCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { LAB_TAG_KEY, stackNameFor } from '../../lib/contract';
import type { Leftover, LeftoverContext } from '../../lib/lab';
import { remainingBuckets } from '../../lib/lifecycle/bucket-leftovers';
import { allPages } from '../../lib/sdk-facts';
import { LAB_ID, Outputs, SECURITY_TOPIC_NAME } from './contract';

/**
 * What the tag audit cannot see: the learner's alarms on the security topic (untagged; the in-stack cleanup should have
 * deleted them), a lab-tagged KMS key not pending deletion, log groups left under the lab's prefix, the lab bucket if
 * it outlived the stack, and any trail still delivering to it (the cleanup deletes the learner's; one it could not
 * delete fails every delivery from then on, and CloudTrail retries them for 30 days).
 */
export async function leftovers(ctx: LeftoverContext): Promise<Leftover[]> {
  const found: Leftover[] = [];
  const topic = `arn:aws:sns:${ctx.region}:${ctx.account}:${SECURITY_TOPIC_NAME}`;
  const cw = ctx.client(CloudWatchClient);
  const alarms = await allPages(async (token) => {
    const page = await cw.send(new DescribeAlarmsCommand({ AlarmTypes: ['CompositeAlarm', 'MetricAlarm'], MaxRecords: 100, NextToken: token }));
    return { items: [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])], next: page.NextToken };
  });
  for (const a of alarms) {
    if ([a.AlarmActions, a.OKActions, a.InsufficientDataActions].some((arns) => arns?.some((arn) => arn.endsWith(`:${SECURITY_TOPIC_NAME}`) || arn === topic))) {
      found.push({ resource: a.AlarmArn ?? a.AlarmName ?? '?', region: ctx.region, reason: 'alarm notifying the lab security topic (learner-made, untagged)' });
    }
  }
  // The solution tags its key; a key the learner tagged the same way is found too. Pending deletion is the end state.
  const kms = ctx.client(KMSClient);
  const keys = await allPages(async (marker) => {
    const page = await kms.send(new ListKeysCommand({ Marker: marker }));
    return { items: page.Keys, next: page.Truncated ? page.NextMarker : undefined };
  });
  for (const key of keys) {
    const tags = await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId })).catch(() => ({ Tags: [] }));
    if (!(tags.Tags ?? []).some((t) => t.TagKey === LAB_TAG_KEY && t.TagValue === LAB_ID)) continue;
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    if (KeyMetadata?.KeyState !== 'PendingDeletion') {
      found.push({ resource: KeyMetadata?.Arn ?? key.KeyArn ?? '?', region: ctx.region, reason: `KMS key tagged ${LAB_TAG_KEY}=${LAB_ID}, ${KeyMetadata?.KeyState}, not scheduled for deletion` });
    }
  }
  const logs = ctx.client(CloudWatchLogsClient);
  const groups = await allPages(async (nextToken) => {
    const page = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/doplab/${LAB_ID}/`, nextToken }));
    return { items: page.logGroups, next: page.nextToken };
  });
  for (const g of groups) found.push({ resource: g.arn ?? g.logGroupName ?? '?', region: ctx.region, reason: `log group under /doplab/${LAB_ID}/` });
  // The bucket by its output; without the stack (destroyed earlier), by the name CloudFormation gave it: the stack name,
  // lower-cased, then the bucket's logical id.
  const bucket = ctx.stack?.outputs[Outputs.trailBucketName];
  const isLabBucket = (name: string | undefined) => !!name && (bucket ? name === bucket : name.startsWith(`${stackNameFor(LAB_ID).toLowerCase()}-`));
  // Every region's trails, the multi-region ones once (from their home region).
  const { trailList = [] } = await ctx.client(CloudTrailClient).send(new DescribeTrailsCommand({ includeShadowTrails: true }));
  for (const t of trailList.filter((t) => isLabBucket(t.S3BucketName))) {
    found.push({ resource: t.TrailARN ?? t.Name ?? '?', region: t.HomeRegion ?? ctx.region, reason: `trail delivering to the lab bucket ${t.S3BucketName}` });
  }
  found.push(...(await remainingBuckets(ctx, [bucket])));
  return found;
}
