import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { Leftover, LeftoverContext } from '../../lib/lab';
import { allPages, partitionOf } from '../../lib/sdk-facts';
import { LAB_ID, METRIC_NAMESPACE } from './contract';

/** The lab's alert topic (a fixed name in the stack): learner-made alarms notify it. */
function topicArn(ctx: LeftoverContext): string {
  return `arn:${partitionOf(ctx.region)}:sns:${ctx.region}:${ctx.account}:DopLab-${LAB_ID}-alerts`;
}

function watchesLab(alarm: MetricAlarm): boolean {
  if (alarm.Namespace === METRIC_NAMESPACE) return true;
  return (alarm.Metrics ?? []).some((q) => q.MetricStat?.Metric?.Namespace === METRIC_NAMESPACE || q.Expression?.includes(METRIC_NAMESPACE));
}

/**
 * What the tag audit cannot see: the learner's alarms (untagged; the in-stack cleanup should have deleted
 * them) and log groups Lambda would create implicitly for the lab's functions (the stack gives each an
 * explicit one, so none should exist).
 */
export async function leftovers(ctx: LeftoverContext): Promise<Leftover[]> {
  const found: Leftover[] = [];
  const cw = ctx.client(CloudWatchClient);
  const topic = topicArn(ctx);
  const alarms = await allPages(async (token) => {
    const page = await cw.send(new DescribeAlarmsCommand({ AlarmTypes: ['CompositeAlarm', 'MetricAlarm'], MaxRecords: 100, NextToken: token }));
    return { items: [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])], next: page.NextToken };
  });
  for (const a of alarms) {
    const notifies = [a.AlarmActions, a.OKActions, a.InsufficientDataActions].some((arns) => arns?.includes(topic));
    if (notifies || ('Namespace' in a && watchesLab(a as MetricAlarm))) {
      found.push({ resource: a.AlarmArn ?? a.AlarmName ?? '?', region: ctx.region, reason: `alarm on the lab's topic or namespace ${METRIC_NAMESPACE} (learner-made, untagged)` });
    }
  }
  const logs = ctx.client(CloudWatchLogsClient);
  for (const prefix of [`/doplab/${LAB_ID}/`, `/aws/lambda/DopLab-${LAB_ID.slice(0, 18)}`]) {
    const groups = await allPages(async (nextToken) => {
      const page = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix, nextToken }));
      return { items: page.logGroups, next: page.nextToken };
    });
    for (const g of groups) {
      found.push({ resource: g.arn ?? g.logGroupName ?? '?', region: ctx.region, reason: `log group of the lab's functions (${prefix}*)` });
    }
  }
  return found;
}
