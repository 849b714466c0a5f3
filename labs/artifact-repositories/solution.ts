// Reference solution of the artifact-repositories lab, through the SDK: immutable tags, a basic scan-on-push registry rule
// added to the rules already there, a lifecycle policy, a repository policy for the CI role only, and an npmjs-connected
// CodeArtifact repository upstream of orders-npm. The optional push of an image needs Docker and is left to the learner.
import {
  AssociateExternalConnectionCommand,
  CodeartifactClient,
  CreateRepositoryCommand,
  UpdateRepositoryCommand,
} from '@aws-sdk/client-codeartifact';
import {
  ECRClient,
  GetRegistryScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  PutRegistryScanningConfigurationCommand,
  SetRepositoryPolicyCommand,
  type RegistryScanningRule,
} from '@aws-sdk/client-ecr';
import { awsErrorName } from '../../lib/aws/errors';
import { LAB_TAG_KEY } from '../../lib/contract';
import { DoplabError } from '../../lib/errors';
import type { SolutionContext } from '../../lib/lab';
import { tagPatternMatches } from './lifecycle-policy';
import { LAB_ID, NPM_EXTERNAL_CONNECTION, Outputs, PULL_ACTIONS, RELEASE_TAG_PREFIX, RELEASES_KEPT, UNTAGGED_DAYS } from './contract';

/** The repository the solution puts upstream of orders-npm, holding the external connection. */
export const UPSTREAM_REPOSITORY_NAME = 'npmjs-store';

/** The lifecycle policy the solution applies. */
export const LIFECYCLE_POLICY = {
  rules: [
    {
      rulePriority: 1,
      description: `Expire untagged images ${UNTAGGED_DAYS} day after push`,
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: UNTAGGED_DAYS },
      action: { type: 'expire' },
    },
    {
      rulePriority: 2,
      description: `Keep the ${RELEASES_KEPT} most recent ${RELEASE_TAG_PREFIX}* images`,
      selection: { tagStatus: 'tagged', tagPatternList: [`${RELEASE_TAG_PREFIX}*`], countType: 'imageCountMoreThan', countNumber: RELEASES_KEPT },
      action: { type: 'expire' },
    },
  ],
};

/** The repository policy the solution sets: the CI role may pull, nothing else is granted. */
export function repositoryPolicy(ciRoleArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'CiPullOnly', Effect: 'Allow', Principal: { AWS: ciRoleArn }, Action: [...PULL_ACTIONS] }],
  });
}

/** The registry's scanning rules with a scan-on-push filter for the repository added, unless a filter already matches it. */
export function withScanOnPush(rules: readonly RegistryScanningRule[], repositoryName: string): RegistryScanningRule[] {
  const filter = { filter: repositoryName, filterType: 'WILDCARD' as const };
  const onPush = rules.find((r) => r.scanFrequency === 'SCAN_ON_PUSH');
  if (!onPush) return [...rules, { scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [filter] }];
  if ((onPush.repositoryFilters ?? []).some((f) => tagPatternMatches(f.filter ?? '', repositoryName))) return [...rules];
  return rules.map((r) => (r === onPush ? { ...r, repositoryFilters: [...(r.repositoryFilters ?? []), filter] } : r));
}

function ignoring(...names: string[]) {
  return (error: unknown): void => {
    if (!names.includes(awsErrorName(error) ?? '')) throw error;
  };
}

/** Applies the solution. */
export async function solve(ctx: SolutionContext<typeof Outputs>): Promise<void> {
  const ecr = ctx.client(ECRClient);
  const repositoryName = ctx.outputs.repositoryName;

  await ecr.send(new PutImageTagMutabilityCommand({ repositoryName, imageTagMutability: 'IMMUTABLE' }));
  ctx.log(`Tags of ${repositoryName} are immutable`);

  const registry = (await ecr.send(new GetRegistryScanningConfigurationCommand({}))).scanningConfiguration ?? {};
  if (registry.scanType === 'ENHANCED') {
    throw new DoplabError(
      'AWS_ERROR',
      'environment',
      `The registry in ${ctx.region} uses ENHANCED scanning (Amazon Inspector); the lab's solution adds a basic scanning rule and does not switch an account's scanning off.`,
      { hint: 'Solve this lab in a Region whose registry uses basic scanning.' },
    );
  }
  await ecr.send(new PutRegistryScanningConfigurationCommand({ scanType: 'BASIC', rules: withScanOnPush(registry.rules ?? [], repositoryName) }));
  ctx.log(`Basic scanning on push applies to ${repositoryName}; the registry's other rules are kept`);

  await ecr.send(new PutLifecyclePolicyCommand({ repositoryName, lifecyclePolicyText: JSON.stringify(LIFECYCLE_POLICY) }));
  ctx.log(`Lifecycle policy set: untagged images expire after ${UNTAGGED_DAYS} day, the ${RELEASES_KEPT} newest ${RELEASE_TAG_PREFIX}* images are kept`);

  await ecr.send(new SetRepositoryPolicyCommand({ repositoryName, policyText: repositoryPolicy(ctx.outputs.ciRoleArn) }));
  ctx.log(`Only ${ctx.outputs.ciRoleArn} may pull through the repository policy`);

  const codeartifact = ctx.client(CodeartifactClient);
  const domain = ctx.outputs.domainName;
  await codeartifact
    .send(
      new CreateRepositoryCommand({
        domain,
        repository: UPSTREAM_REPOSITORY_NAME,
        description: 'Cache of public npm packages',
        tags: [{ key: LAB_TAG_KEY, value: LAB_ID }],
      }),
    )
    .catch(ignoring('ConflictException'));
  await codeartifact
    .send(new AssociateExternalConnectionCommand({ domain, repository: UPSTREAM_REPOSITORY_NAME, externalConnection: NPM_EXTERNAL_CONNECTION }))
    .catch(ignoring('ConflictException'));
  await codeartifact.send(new UpdateRepositoryCommand({ domain, repository: ctx.outputs.npmRepositoryName, upstreams: [{ repositoryName: UPSTREAM_REPOSITORY_NAME }] }));
  ctx.log(`${UPSTREAM_REPOSITORY_NAME} (connected to ${NPM_EXTERNAL_CONNECTION}) is upstream of ${ctx.outputs.npmRepositoryName}`);
}
