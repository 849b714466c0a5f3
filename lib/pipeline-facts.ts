// Reading a CodePipeline into facts: its declaration, its executions and its action executions, as the checkers of the
// pipeline labs need them (newest first, capped). SDK only, read-only calls; no aws-cdk-lib.
import {
  GetPipelineCommand,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  type ActionExecutionDetail,
  type CodePipelineClient,
  type PipelineDeclaration,
  type PipelineExecutionSummary,
} from '@aws-sdk/client-codepipeline';
import { awsErrorName } from './aws/errors';
import { allPages, jsonified, type Jsonified } from './sdk-facts';

/** How many executions and action executions a checker reads at most (the newest). */
export const MAX_EXECUTIONS = 100;
export const MAX_ACTION_EXECUTIONS = 300;

/** GetPipeline's declaration; null when the pipeline does not exist. */
export async function readPipelineDeclaration(pipelines: CodePipelineClient, name: string): Promise<Jsonified<PipelineDeclaration> | null> {
  try {
    return jsonified((await pipelines.send(new GetPipelineCommand({ name }))).pipeline ?? null);
  } catch (error) {
    if (awsErrorName(error) === 'PipelineNotFoundException') return null;
    throw error;
  }
}

/** ListPipelineExecutions, newest first (up to MAX_EXECUTIONS). */
export async function readPipelineExecutions(pipelines: CodePipelineClient, pipelineName: string): Promise<Jsonified<PipelineExecutionSummary>[]> {
  return jsonified(
    await allPages(
      async (nextToken) => {
        const page = await pipelines.send(new ListPipelineExecutionsCommand({ pipelineName, maxResults: 100, nextToken }));
        return { items: page.pipelineExecutionSummaries, next: page.nextToken };
      },
      { stop: (items) => items.length >= MAX_EXECUTIONS },
    ),
  );
}

/** ListActionExecutions of the pipeline, newest first (up to MAX_ACTION_EXECUTIONS). */
export async function readActionExecutions(pipelines: CodePipelineClient, pipelineName: string): Promise<Jsonified<ActionExecutionDetail>[]> {
  return jsonified(
    await allPages(
      async (nextToken) => {
        const page = await pipelines.send(new ListActionExecutionsCommand({ pipelineName, maxResults: 100, nextToken }));
        return { items: page.actionExecutionDetails, next: page.nextToken };
      },
      { stop: (items) => items.length >= MAX_ACTION_EXECUTIONS },
    ),
  );
}

/** A pipeline's stages and actions on one line, for evidence: `Source [Source: S3] → Build [Build: CodeBuild my-project]`. */
export function describeStages(pipeline: Jsonified<PipelineDeclaration>): string {
  return (pipeline.stages ?? [])
    .map((s) => `${s.name} [${(s.actions ?? []).map((a) => `${a.name}: ${a.actionTypeId?.provider ?? '?'}${a.configuration?.ProjectName ? ` ${a.configuration.ProjectName}` : ''}`).join(', ')}]`)
    .join(' → ');
}
