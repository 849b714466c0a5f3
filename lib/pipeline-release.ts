// Releasing a new version of an S3-sourced pipeline's source and waiting for the execution it starts: what the reference
// solutions of the pipeline labs do (lib/cdk/s3-source-pipeline.ts builds those pipelines). SDK only.
import { CodePipelineClient, ListPipelineExecutionsCommand } from '@aws-sdk/client-codepipeline';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DoplabError } from './errors';
import type { SolutionContext } from './lab';

/** How a solution waits; tests shorten it. */
export interface WaitOptions {
  readonly sleep: (ms: number) => Promise<void>;
  readonly pollMs: number;
  /** How long one release may take. */
  readonly timeoutMs: number;
}

export const DEFAULT_WAIT: WaitOptions = { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), pollMs: 15_000, timeoutMs: 15 * 60_000 };

/** The pipeline and its source object. */
export interface ReleaseTarget {
  readonly labId: string;
  readonly pipelineName: string;
  readonly bucket: string;
  readonly key: string;
}

/** Uploads `body` as the source, waits for the execution the upload starts to end, and returns its status. */
export async function releaseSource(
  ctx: Pick<SolutionContext<never>, 'client' | 'log'>,
  target: ReleaseTarget,
  body: Uint8Array,
  what: string,
  wait: WaitOptions,
): Promise<string> {
  const pipelines = ctx.client(CodePipelineClient);
  const executions = async () =>
    (await pipelines.send(new ListPipelineExecutionsCommand({ pipelineName: target.pipelineName, maxResults: 10 }))).pipelineExecutionSummaries ?? [];
  // The upload's execution is the first one not there before it (EventBridge starts it seconds after the upload).
  const before = new Set((await executions()).map((e) => e.pipelineExecutionId));
  await ctx.client(S3Client).send(new PutObjectCommand({ Bucket: target.bucket, Key: target.key, Body: body, ContentType: 'application/zip' }));
  ctx.log(`Uploaded ${target.key} ${what}; waiting for the pipeline`);
  for (let waited = 0; ; waited += wait.pollMs) {
    await wait.sleep(wait.pollMs);
    const mine = (await executions()).find((e) => !before.has(e.pipelineExecutionId));
    if (mine && !['InProgress', 'Stopping'].includes(mine.status ?? '')) {
      ctx.log(`Execution ${mine.pipelineExecutionId}: ${mine.status}`);
      return mine.status ?? 'Unknown';
    }
    if (waited >= wait.timeoutMs) {
      throw new DoplabError('TIMEOUT', 'environment', `No execution of ${target.pipelineName} ended within ${wait.timeoutMs / 1000} s of the upload.`, {
        hint: `Run doplab check ${target.labId}: it shows the latest executions.`,
      });
    }
  }
}
