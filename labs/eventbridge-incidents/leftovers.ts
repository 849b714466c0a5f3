import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { EventBridgeClient, ListArchivesCommand, ListRuleNamesByTargetCommand, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { awsErrorName } from '../../lib/aws/errors';
import type { Leftover, LeftoverContext } from '../../lib/lab';
import { allPages, partitionOf } from '../../lib/sdk-facts';
import { EVENT_BUS_NAME, HANDLER_FUNCTION_NAME, INCIDENT_QUEUE_NAME, LAB_ID, ON_CALL_TOPIC_NAME } from './contract';

/**
 * What the tag audit cannot see: the learner's rules (untagged) on the default bus that still target the lab's fixed-name
 * handler, queue or topic, rules and archives left on the lab bus, and log groups Lambda would create implicitly for the
 * lab's functions. Dead-letter queues are found only through their rule, so once the rules are gone the tag audit is
 * what finds a tagged one.
 */
export async function leftovers(ctx: LeftoverContext): Promise<Leftover[]> {
  const found: Leftover[] = [];
  const arn = (service: string, resource: string) => `arn:${partitionOf(ctx.region)}:${service}:${ctx.region}:${ctx.account}:${resource}`;
  const events = ctx.client(EventBridgeClient);
  const labTargets = [arn('lambda', `function:${HANDLER_FUNCTION_NAME}`), arn('sqs', INCIDENT_QUEUE_NAME), arn('sns', ON_CALL_TOPIC_NAME)];
  for (const TargetArn of labTargets) {
    const names = await allPages(async (NextToken) => {
      const page = await events.send(new ListRuleNamesByTargetCommand({ TargetArn, EventBusName: 'default', NextToken }));
      return { items: page.RuleNames, next: page.NextToken };
    });
    for (const name of names) found.push({ resource: arn('events', `rule/${name}`), region: ctx.region, reason: `rule on the default bus targeting ${TargetArn} (learner-made)` });
  }
  try {
    const rules = await allPages(async (NextToken) => {
      const page = await events.send(new ListRulesCommand({ EventBusName: EVENT_BUS_NAME, NextToken }));
      return { items: page.Rules, next: page.NextToken };
    });
    for (const r of rules) found.push({ resource: r.Arn ?? r.Name ?? '?', region: ctx.region, reason: `rule on the lab bus ${EVENT_BUS_NAME} (learner-made)` });
  } catch (error) {
    // The bus is gone, and its rules with it.
    if (awsErrorName(error) !== 'ResourceNotFoundException') throw error;
  }
  const archives = await allPages(async (NextToken) => {
    const page = await events.send(new ListArchivesCommand({ EventSourceArn: arn('events', `event-bus/${EVENT_BUS_NAME}`), NextToken }));
    return { items: page.Archives, next: page.NextToken };
  });
  for (const a of archives) found.push({ resource: arn('events', `archive/${a.ArchiveName}`), region: ctx.region, reason: `archive of the lab bus ${EVENT_BUS_NAME} (learner-made)` });
  const logs = ctx.client(CloudWatchLogsClient);
  for (const prefix of [`/doplab/${LAB_ID}/`, `/aws/lambda/DopLab-${LAB_ID}`]) {
    const groups = await allPages(async (nextToken) => {
      const page = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix, nextToken }));
      return { items: page.logGroups, next: page.nextToken };
    });
    for (const g of groups) found.push({ resource: g.arn ?? g.logGroupName ?? '?', region: ctx.region, reason: `log group of the lab's functions (${prefix}*)` });
  }
  return found;
}
