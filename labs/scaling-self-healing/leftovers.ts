import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { Leftover, LeftoverContext } from '../../lib/lab';
import { allPages } from '../../lib/sdk-facts';
import { GROUP_NAME, LAB_ID } from './contract';

/**
 * What the tag audit cannot see (the in-stack cleanup should have removed all of it): alarms that watch the lab's
 * group or invoke one of its scaling policies (learner-made, untagged; target tracking alarms go with their policy),
 * and the log group of the cleanup function. Instances, policies, hooks and template versions go with the group and
 * the template.
 */
export async function leftovers(ctx: LeftoverContext): Promise<Leftover[]> {
  return [...(await alarms(ctx)), ...(await logGroups(ctx))];
}

/** True when the alarm watches the group's metrics or acts on one of its scaling policies. */
export function concernsGroup(alarm: MetricAlarm): boolean {
  const metrics = [alarm, ...(alarm.Metrics ?? []).map((q) => q.MetricStat?.Metric)];
  const watches = metrics.some((m) => (m?.Dimensions ?? []).some((d) => d.Name === 'AutoScalingGroupName' && d.Value === GROUP_NAME));
  const acts = [...(alarm.AlarmActions ?? []), ...(alarm.OKActions ?? []), ...(alarm.InsufficientDataActions ?? [])].some((a) =>
    a.includes(`:autoScalingGroupName/${GROUP_NAME}:`),
  );
  return watches || acts;
}

async function alarms(ctx: LeftoverContext): Promise<Leftover[]> {
  const cw = ctx.client(CloudWatchClient);
  const metricAlarms = await allPages(async (token) => {
    const page = await cw.send(new DescribeAlarmsCommand({ AlarmTypes: ['MetricAlarm'], MaxRecords: 100, NextToken: token }));
    return { items: page.MetricAlarms, next: page.NextToken };
  });
  return metricAlarms
    .filter(concernsGroup)
    .map((a) => ({ resource: a.AlarmArn ?? a.AlarmName ?? '?', region: ctx.region, reason: `alarm on the lab's group ${GROUP_NAME} or its scaling policies (learner-made, untagged)` }));
}

/** The stack gives the cleanup function an explicit log group under /doplab/<lab id>/. */
async function logGroups(ctx: LeftoverContext): Promise<Leftover[]> {
  const logs = ctx.client(CloudWatchLogsClient);
  const prefix = `/doplab/${LAB_ID}/`;
  const groups = await allPages(async (nextToken) => {
    const page = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix, nextToken }));
    return { items: page.logGroups, next: page.nextToken };
  });
  return groups.map((g) => ({ resource: g.arn ?? g.logGroupName ?? '?', region: ctx.region, reason: `log group of the lab (${prefix}*)` }));
}
