import { CodeartifactClient, ListRepositoriesInDomainCommand } from '@aws-sdk/client-codeartifact';
import { DescribeImagesCommand, ECRClient, GetRegistryScanningConfigurationCommand } from '@aws-sdk/client-ecr';
import { awsErrorName } from '../../lib/aws/errors';
import type { Leftover, LeftoverContext } from '../../lib/lab';
import { allPages, partitionOf } from '../../lib/sdk-facts';
import { DOMAIN_NAME, REPOSITORY_NAME } from './contract';

/**
 * What the tag audit cannot see, or what the in-stack cleanup should have removed: repositories left in the lab's
 * CodeArtifact domain (the learner's upstream repository carries no lab tag), the ECR repository if it is still
 * there (with its images), and registry scanning filters naming doplab repositories (the registry configuration is
 * not a taggable resource; the cleanup restores the configuration recorded at deploy).
 */
export async function leftovers(ctx: LeftoverContext): Promise<Leftover[]> {
  const found: Leftover[] = [];
  const partition = partitionOf(ctx.region);
  const codeartifact = ctx.client(CodeartifactClient);
  try {
    const repositories = await allPages(async (nextToken) => {
      const page = await codeartifact.send(new ListRepositoriesInDomainCommand({ domain: DOMAIN_NAME, nextToken }));
      return { items: page.repositories, next: page.nextToken };
    });
    for (const r of repositories) found.push({ resource: r.arn ?? `${DOMAIN_NAME}/${r.name}`, region: ctx.region, reason: `CodeArtifact repository in the lab domain ${DOMAIN_NAME}` });
  } catch (error) {
    if (awsErrorName(error) !== 'ResourceNotFoundException') throw error;
  }
  const ecr = ctx.client(ECRClient);
  try {
    const images = await ecr.send(new DescribeImagesCommand({ repositoryName: REPOSITORY_NAME, maxResults: 1 }));
    const held = (images.imageDetails ?? []).length > 0 ? 'and holds images' : '(empty)';
    found.push({ resource: `arn:${partition}:ecr:${ctx.region}:${ctx.account}:repository/${REPOSITORY_NAME}`, region: ctx.region, reason: `lab ECR repository still exists ${held}` });
  } catch (error) {
    if (awsErrorName(error) !== 'RepositoryNotFoundException') throw error;
  }
  const scanning = (await ecr.send(new GetRegistryScanningConfigurationCommand({}))).scanningConfiguration;
  for (const rule of scanning?.rules ?? []) {
    for (const f of rule.repositoryFilters ?? []) {
      if ((f.filter ?? '').startsWith('doplab/')) {
        found.push({ resource: `registry scanning rule ${rule.scanFrequency} filter ${f.filter}`, region: ctx.region, reason: 'a registry scanning filter for doplab repositories' });
      }
    }
  }
  return found;
}
