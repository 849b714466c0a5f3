import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribePatchGroupsCommand, ListAssociationsCommand, ListComplianceItemsCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Leftover, LeftoverContext } from '../../lib/lab';
import { allPages, partitionOf } from '../../lib/sdk-facts';
import { FLEET_TAG, LAB_ID, Outputs, PATCH_GROUP, PATCH_GROUP_TAG_KEYS } from './contract';

/**
 * What the tag audit cannot see: the learner's associations (untagged) aimed at the fleet tag or the patch group,
 * registrations for the lab's patch group, and the cleanup function's log group if Lambda made one implicitly.
 * Compliance data has no delete API: it goes with the associations and the instances, and the audit (so selftest)
 * confirms that none is left on the lab's instances.
 */
export async function leftovers(ctx: LeftoverContext): Promise<Leftover[]> {
  const found: Leftover[] = [];
  const arn = (resource: string) => `arn:${partitionOf(ctx.region)}:ssm:${ctx.region}:${ctx.account}:${resource}`;
  const ssm = ctx.client(SSMClient);
  const groupKeys = PATCH_GROUP_TAG_KEYS.map((k) => `tag:${k}`);
  const associations = await allPages(async (NextToken) => {
    const page = await ssm.send(new ListAssociationsCommand({ NextToken }));
    return { items: page.Associations, next: page.NextToken };
  });
  for (const a of associations) {
    const aimed = (a.Targets ?? []).some(
      (t) => t.Key === `tag:${FLEET_TAG.key}` || (t.Key !== undefined && groupKeys.includes(t.Key) && (t.Values ?? []).some((v) => v.toLowerCase() === PATCH_GROUP)),
    );
    if (aimed) found.push({ resource: arn(`association/${a.AssociationId}`), region: ctx.region, reason: `association ${a.AssociationName ?? ''} (${a.Name}) aimed at the lab fleet or patch group` });
  }
  const mappings = await allPages(async (NextToken) => {
    const page = await ssm.send(new DescribePatchGroupsCommand({ NextToken }));
    return { items: page.Mappings, next: page.NextToken };
  });
  for (const m of mappings.filter((x) => x.PatchGroup?.toLowerCase() === PATCH_GROUP)) {
    const id = m.BaselineIdentity?.BaselineId ?? '?';
    found.push({ resource: id.startsWith('arn:') ? id : arn(`patchbaseline/${id}`), region: ctx.region, reason: `patch baseline registered for the lab's patch group ${m.PatchGroup}` });
  }
  for (const id of (ctx.stack?.outputs[Outputs.instanceIds] ?? '').split(',').filter(Boolean)) {
    const items = await allPages(async (NextToken) => {
      const page = await ssm.send(new ListComplianceItemsCommand({ ResourceIds: [id], ResourceTypes: ['ManagedInstance'], NextToken }));
      return { items: page.ComplianceItems, next: page.NextToken };
    });
    const types = [...new Set(items.map((i) => i.ComplianceType))];
    if (types.length > 0) found.push({ resource: `arn:${partitionOf(ctx.region)}:ec2:${ctx.region}:${ctx.account}:instance/${id}`, region: ctx.region, reason: `compliance data (${types.join(', ')}) still reported for a lab instance` });
  }
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
