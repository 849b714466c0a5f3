import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import type { Leftover, LeftoverContext } from '../../lib/lab';
import { customDeploymentConfigs } from '../../lib/lifecycle/codedeploy-leftovers';
import { allPages } from '../../lib/sdk-facts';
import { LAB_ID, Outputs, TASK_FAMILY } from './contract';

/**
 * What the tag audit cannot see (the in-stack cleanup should have removed all of it): the learner's alarms on
 * the lab's target groups or load balancer, ACTIVE revisions of the lab's task family, custom ECS deployment
 * configurations made while the lab was deployed, and log groups of the lab's functions. The learner's hook
 * function has a name of their choosing, so it is theirs to delete (README, Clean up).
 */
export async function leftovers(ctx: LeftoverContext): Promise<Leftover[]> {
  return [...(await alarms(ctx)), ...(await taskDefinitions(ctx)), ...(await customDeploymentConfigs(ctx, 'ECS')), ...(await logGroups(ctx))];
}

/** Alarms on ALB metrics of the lab's target groups or load balancer; their generated names come from the stack outputs. */
async function alarms(ctx: LeftoverContext): Promise<Leftover[]> {
  const outputs = ctx.stack?.outputs;
  if (!outputs) return [];
  const groups = [outputs[Outputs.blueTargetGroupFullName], outputs[Outputs.greenTargetGroupFullName]].filter(Boolean);
  const loadBalancer = outputs[Outputs.loadBalancerFullName];
  const watchesLab = (alarm: MetricAlarm) =>
    [alarm, ...(alarm.Metrics ?? []).map((q) => q.MetricStat?.Metric)].some(
      (m) =>
        m?.Namespace === 'AWS/ApplicationELB' &&
        (m.Dimensions ?? []).some((d) => (d.Name === 'TargetGroup' && groups.includes(d.Value ?? '')) || (d.Name === 'LoadBalancer' && d.Value === loadBalancer)),
    );
  const cw = ctx.client(CloudWatchClient);
  const metricAlarms = await allPages(async (token) => {
    const page = await cw.send(new DescribeAlarmsCommand({ AlarmTypes: ['MetricAlarm'], MaxRecords: 100, NextToken: token }));
    return { items: page.MetricAlarms, next: page.NextToken };
  });
  return metricAlarms
    .filter(watchesLab)
    .map((a) => ({ resource: a.AlarmArn ?? a.AlarmName ?? '?', region: ctx.region, reason: "alarm on the lab's target groups or load balancer (learner-made, untagged)" }));
}

/** CloudFormation deregisters the stack's own revision, so any ACTIVE revision of the family is the learner's. */
async function taskDefinitions(ctx: LeftoverContext): Promise<Leftover[]> {
  const ecs = ctx.client(ECSClient);
  const arns = await allPages(async (nextToken) => {
    const page = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: TASK_FAMILY, status: 'ACTIVE', nextToken }));
    return { items: page.taskDefinitionArns, next: page.nextToken };
  });
  // familyPrefix also matches longer family names.
  return arns
    .filter((arn) => arn.split('/').pop()?.replace(/:\d+$/, '') === TASK_FAMILY)
    .map((arn) => ({ resource: arn, region: ctx.region, reason: `ACTIVE revision of the lab's task family ${TASK_FAMILY}` }));
}

/** The stack gives each function an explicit log group; Lambda would create `/aws/lambda/<function>` implicitly. */
async function logGroups(ctx: LeftoverContext): Promise<Leftover[]> {
  const found: Leftover[] = [];
  const logs = ctx.client(CloudWatchLogsClient);
  for (const prefix of [`/doplab/${LAB_ID}/`, `/aws/lambda/DopLab-${LAB_ID.slice(0, 18)}`]) {
    const groups = await allPages(async (nextToken) => {
      const page = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix, nextToken }));
      return { items: page.logGroups, next: page.nextToken };
    });
    for (const g of groups) found.push({ resource: g.arn ?? g.logGroupName ?? '?', region: ctx.region, reason: `log group of the lab (${prefix}*)` });
  }
  return found;
}
