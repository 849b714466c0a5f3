import {
  CloudFormationClient,
  DescribeStackSetCommand,
  ListStackInstancesCommand,
  ListStackSetsCommand,
  ListStacksCommand,
  StackStatus,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { Leftover, LeftoverContext } from '../../lib/lab';
import { allPages } from '../../lib/sdk-facts';
import { BASELINE_ALARM_NAME, BASELINE_LOG_GROUP_NAME, LAB_ID, Outputs, STACK_INSTANCE_PREFIX } from './contract';

/** Every stack status but DELETE_COMPLETE: ListStacks lists deleted stacks for 90 days unless filtered. */
const LIVE_STATUSES = Object.values(StackStatus).filter((s) => s !== StackStatus.DELETE_COMPLETE);

/** The lab's role names; the stack names them after the deploy region, so they are known without its outputs. */
function labRoles(ctx: LeftoverContext): { readonly adminRoleSuffix: string; readonly executionRoleName: string } {
  const adminRoleArn = ctx.stack?.outputs[Outputs.administrationRoleArn];
  return {
    adminRoleSuffix: adminRoleArn ? `:role/${adminRoleArn.split('/').pop()}` : `:${ctx.account}:role/DopLab-StackSetAdministration-${ctx.region}`,
    executionRoleName: ctx.stack?.outputs[Outputs.executionRoleName] ?? `DopLab-StackSetExecution-${ctx.region}`,
  };
}

/**
 * What the tag audit cannot see: StackSets still using the lab's roles (the in-stack cleanup deletes them)
 * and their stack instances, `StackSet-*` stacks of the baseline, and the baseline's log group and alarm,
 * in every region the lab touches and every region a leftover StackSet still has instances in.
 */
export async function leftovers(ctx: LeftoverContext): Promise<Leftover[]> {
  const found: Leftover[] = [];
  const regions = new Set(ctx.regions);
  const cfn = ctx.client(CloudFormationClient);
  const roles = labRoles(ctx);
  const summaries = await allPages(async (NextToken) => {
    const page = await cfn.send(new ListStackSetsCommand({ Status: 'ACTIVE', NextToken }));
    return { items: page.Summaries, next: page.NextToken };
  });
  for (const summary of summaries) {
    if (summary.Status !== 'ACTIVE' || summary.PermissionModel === 'SERVICE_MANAGED') continue;
    const set = (await cfn.send(new DescribeStackSetCommand({ StackSetName: summary.StackSetName }))).StackSet;
    if (!set?.StackSetName || !(set.AdministrationRoleARN?.endsWith(roles.adminRoleSuffix) || set.ExecutionRoleName === roles.executionRoleName)) continue;
    found.push({ resource: set.StackSetARN ?? set.StackSetName, region: ctx.region, reason: "StackSet using the lab's roles (the cleanup deletes it)" });
    for (const instance of await stackInstances(cfn, set.StackSetName)) {
      if (instance.Region) regions.add(instance.Region);
      found.push({
        resource: instance.StackId ?? `${set.StackSetName}/${instance.Account}/${instance.Region}`,
        region: instance.Region ?? ctx.region,
        reason: `stack instance of StackSet ${set.StackSetName} (${instance.Status ?? 'unknown status'})`,
      });
    }
  }
  for (const region of regions) found.push(...(await baselineIn(ctx, region)));
  // A StackSet's instance stack is also listed by ListStacks: it counts once.
  const seen = new Set<string>();
  return found.filter((l) => !seen.has(`${l.region} ${l.resource}`) && seen.add(`${l.region} ${l.resource}`));
}

async function stackInstances(cfn: CloudFormationClient, stackSetName: string) {
  return allPages(async (NextToken) => {
    const page = await cfn.send(new ListStackInstancesCommand({ StackSetName: stackSetName, NextToken }));
    return { items: page.Summaries, next: page.NextToken };
  });
}

/** The baseline in one region: its instance stacks (`StackSet-*`, the baseline's description), log group and alarm. */
async function baselineIn(ctx: LeftoverContext, region: string): Promise<Leftover[]> {
  const found: Leftover[] = [];
  const cfn = ctx.client(CloudFormationClient, region);
  const stacks = await allPages(async (NextToken) => {
    const page = await cfn.send(new ListStacksCommand({ StackStatusFilter: LIVE_STATUSES, NextToken }));
    return { items: page.StackSummaries, next: page.NextToken };
  });
  for (const s of stacks) {
    if (s.StackName?.startsWith(STACK_INSTANCE_PREFIX) && s.TemplateDescription?.includes(`(lab ${LAB_ID})`)) {
      found.push({ resource: s.StackId ?? s.StackName, region, reason: `baseline stack of a StackSet (${s.StackStatus})` });
    }
  }
  const logs = ctx.client(CloudWatchLogsClient, region);
  const groups = await allPages(async (nextToken) => {
    const page = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: BASELINE_LOG_GROUP_NAME, nextToken }));
    return { items: page.logGroups, next: page.nextToken };
  });
  for (const g of groups) found.push({ resource: g.arn ?? g.logGroupName ?? '?', region, reason: "the baseline's log group" });
  const alarms = await ctx.client(CloudWatchClient, region).send(new DescribeAlarmsCommand({ AlarmNames: [BASELINE_ALARM_NAME] }));
  for (const a of alarms.MetricAlarms ?? []) found.push({ resource: a.AlarmArn ?? a.AlarmName ?? '?', region, reason: "the baseline's alarm" });
  return found;
}
