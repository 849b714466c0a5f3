import { CodeDeployClient, GetDeploymentConfigCommand, ListDeploymentConfigsCommand } from '@aws-sdk/client-codedeploy';
import type { Leftover, LeftoverContext } from '../lab';
import { allPages, partitionOf } from '../sdk-facts';

/**
 * Custom CodeDeploy deployment configurations of one compute platform: CodeDeploy records no owner, so those
 * created since the lab's stack was (all of them when its creation time is unknown) count. Shared by the labs whose
 * learners make deployment configurations (codedeploy-blue-green: ECS; lambda-canary: Lambda).
 */
export async function customDeploymentConfigs(ctx: LeftoverContext, platform: 'ECS' | 'Lambda'): Promise<Leftover[]> {
  const found: Leftover[] = [];
  const codedeploy = ctx.client(CodeDeployClient);
  const since = ctx.stack?.createdAt;
  const names = await allPages(async (nextToken) => {
    const page = await codedeploy.send(new ListDeploymentConfigsCommand({ nextToken }));
    return { items: page.deploymentConfigsList, next: page.nextToken };
  });
  for (const name of names) {
    if (name.startsWith('CodeDeployDefault.')) continue;
    const info = (await codedeploy.send(new GetDeploymentConfigCommand({ deploymentConfigName: name }))).deploymentConfigInfo;
    if (info?.computePlatform !== platform || (since && info.createTime && info.createTime < since)) continue;
    found.push({
      resource: `arn:${partitionOf(ctx.region)}:codedeploy:${ctx.region}:${ctx.account}:deploymentconfig:${name}`,
      region: ctx.region,
      reason: `custom ${platform} deployment configuration made while the lab was deployed (aws deploy delete-deployment-config)`,
    });
  }
  return found;
}
