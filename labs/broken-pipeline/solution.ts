// Reference solution of the broken-pipeline lab, through the SDK, with the smallest correct changes: an inline policy
// on the build role allowing ssm:GetParameters on the one parameter, then a buildspec with a Node.js version the image
// has and artifact paths that match what the build writes (dist/, as the release root), released as a new source.zip.
import { IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { DoplabError } from '../../lib/errors';
import type { Solution, SolutionContext } from '../../lib/lab';
import { DEFAULT_WAIT, releaseSource, type WaitOptions } from '../../lib/pipeline-release';
import { partitionOf } from '../../lib/sdk-facts';
import { BROKEN, SEEDED_SOURCE } from './app-source';
import { LAB_ID, Outputs } from './contract';

const { storedZip } = require('../../lib/cdk/seeded-source.handler.js') as { storedZip: (files: { name: string; content: string }[]) => Buffer };

export const POLICY_NAME = 'ReadStatusPageBanner';

/** The fixed buildspec: Node.js 22 (on the image), and dist/ as the artifact's root. */
export const FIXED_BUILDSPEC = SEEDED_SOURCE['buildspec.yml']
  .replace(BROKEN.runtime, '      nodejs: 22')
  .replace(BROKEN.artifacts, ['artifacts:', '  base-directory: dist', '  files:', "    - '**/*'"].join('\n'));

/** The source with the buildspec fixed, or as seeded. */
export function sourceZip(fixed: boolean): Buffer {
  return storedZip(Object.entries(SEEDED_SOURCE).map(([name, content]) => ({ name, content: fixed && name === 'buildspec.yml' ? FIXED_BUILDSPEC : content })));
}

/** The build role's new inline policy: ssm:GetParameters on the one parameter (a String: no KMS). */
export function readParameterPolicy(ctx: Pick<SolutionContext<typeof Outputs>, 'outputs' | 'region' | 'account'>): string {
  const arn = `arn:${partitionOf(ctx.region)}:ssm:${ctx.region}:${ctx.account}:parameter/${ctx.outputs.parameterName.replace(/^\//, '')}`;
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ssm:GetParameters', Resource: arn }] });
}

/** Applies the solution, waiting as `wait` says. */
export async function solveWith(ctx: SolutionContext<typeof Outputs>, wait: WaitOptions = DEFAULT_WAIT): Promise<void> {
  const roleName = ctx.outputs.buildRoleArn.split('/').pop() ?? ctx.outputs.buildRoleArn;
  ctx.log(`Role ${roleName}: inline policy ${POLICY_NAME}, ssm:GetParameters on ${ctx.outputs.parameterName} only`);
  await ctx.client(IAMClient).send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: POLICY_NAME, PolicyDocument: readParameterPolicy(ctx) }));
  const target = { labId: LAB_ID, pipelineName: ctx.outputs.pipelineName, bucket: ctx.outputs.sourceBucketName, key: ctx.outputs.sourceKey };
  const status = await releaseSource(ctx, target, sourceZip(true), 'with the buildspec fixed (runtime version, artifact paths)', wait);
  if (status !== 'Succeeded') {
    throw new DoplabError('AWS_ERROR', 'environment', `The fixed source's execution ended ${status}.`, { hint: `Run doplab check ${LAB_ID} to see which phase failed.` });
  }
}

export const solve: Solution<typeof Outputs> = (ctx) => solveWith(ctx);
