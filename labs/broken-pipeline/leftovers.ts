import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Leftover, LeftoverContext } from '../../lib/lab';
import { remainingBuckets } from '../../lib/lifecycle/bucket-leftovers';
import { allPages } from '../../lib/sdk-facts';
import { BUILD_PROJECT_NAME, LAB_ID, Outputs, PARAMETER_NAME } from './contract';

/**
 * What the tag audit cannot see, or what the stack and its cleanup should have removed: the build's and the lab
 * functions' log groups (a build still running while the stack goes re-creates `/aws/codebuild/<project>`), the banner
 * parameter, and the lab buckets named by the stack outputs if they still exist.
 */
export async function leftovers(ctx: LeftoverContext): Promise<Leftover[]> {
  const found: Leftover[] = [];
  const logs = ctx.client(CloudWatchLogsClient);
  for (const prefix of [`/aws/codebuild/${BUILD_PROJECT_NAME}`, `/doplab/${LAB_ID}/`]) {
    const groups = await allPages(async (nextToken) => {
      const page = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix, nextToken }));
      return { items: page.logGroups, next: page.nextToken };
    });
    for (const g of groups) found.push({ resource: g.logGroupArn ?? g.arn ?? g.logGroupName ?? '?', region: ctx.region, reason: `log group of the lab's build or functions (${prefix}*)` });
  }
  const page = await ctx.client(SSMClient).send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [PARAMETER_NAME] }] }));
  for (const p of page.Parameters ?? []) found.push({ resource: p.ARN ?? p.Name ?? PARAMETER_NAME, region: ctx.region, reason: "the lab's banner parameter" });
  found.push(...(await remainingBuckets(ctx, [ctx.stack?.outputs[Outputs.sourceBucketName], ctx.stack?.outputs[Outputs.releaseBucketName]])));
  return found;
}

