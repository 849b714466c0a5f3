import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { Leftover, LeftoverContext } from '../../lib/lab';
import { customDeploymentConfigs } from '../../lib/lifecycle/codedeploy-leftovers';
import { allPages } from '../../lib/sdk-facts';
import { FUNCTION_NAME, HOOK_FUNCTION_NAME, LAB_ID } from './contract';

/**
 * What the tag audit cannot see (the in-stack cleanup should have removed all of it): the learner's alarms on the
 * pricing function, custom Lambda deployment configurations made while the lab was deployed, and log groups of the
 * lab's functions. The deployment groups and the published versions go with the application and the function.
 */
export async function leftovers(ctx: LeftoverContext): Promise<Leftover[]> {
  return [...(await alarms(ctx)), ...(await customDeploymentConfigs(ctx, 'Lambda')), ...(await logGroups(ctx))];
}

/** Alarms on a Lambda metric of the pricing function (any version or alias), directly or in metric math. */
async function alarms(ctx: LeftoverContext): Promise<Leftover[]> {
  const watchesFunction = (alarm: MetricAlarm) =>
    [alarm, ...(alarm.Metrics ?? []).map((q) => q.MetricStat?.Metric)].some(
      (m) => m?.Namespace === 'AWS/Lambda' && (m.Dimensions ?? []).some((d) => d.Name === 'FunctionName' && d.Value === FUNCTION_NAME),
    );
  const cw = ctx.client(CloudWatchClient);
  const metricAlarms = await allPages(async (token) => {
    const page = await cw.send(new DescribeAlarmsCommand({ AlarmTypes: ['MetricAlarm'], MaxRecords: 100, NextToken: token }));
    return { items: page.MetricAlarms, next: page.NextToken };
  });
  return metricAlarms
    .filter(watchesFunction)
    .map((a) => ({ resource: a.AlarmArn ?? a.AlarmName ?? '?', region: ctx.region, reason: `alarm on the lab's function ${FUNCTION_NAME} (learner-made, untagged)` }));
}

/** The stack gives each function an explicit log group; Lambda would create `/aws/lambda/<function>` implicitly. */
async function logGroups(ctx: LeftoverContext): Promise<Leftover[]> {
  const found: Leftover[] = [];
  const logs = ctx.client(CloudWatchLogsClient);
  for (const prefix of [`/doplab/${LAB_ID}/`, `/aws/lambda/DopLab-${LAB_ID}`, `/aws/lambda/${HOOK_FUNCTION_NAME}`]) {
    const groups = await allPages(async (nextToken) => {
      const page = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix, nextToken }));
      return { items: page.logGroups, next: page.nextToken };
    });
    for (const g of groups) found.push({ resource: g.arn ?? g.logGroupName ?? '?', region: ctx.region, reason: `log group of the lab (${prefix}*)` });
  }
  return found;
}
