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
import { z } from 'zod';
import { awsErrorName } from './aws/errors';
import { factSchema, readFact, type Fact } from './facts';
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

/** A pipeline's reads, as the facts of a pipeline lab hold them; each a Fact so one failure only ERRORs the checks that need it. */
export interface PipelineFacts {
  /** GetPipeline; null when the pipeline does not exist. */
  readonly pipeline: Fact<Jsonified<PipelineDeclaration> | null>;
  /** ListPipelineExecutions, newest first (up to 100). */
  readonly executions: Fact<Jsonified<PipelineExecutionSummary>[]>;
  /** ListActionExecutions of the pipeline, newest first (up to 300). */
  readonly actionExecutions: Fact<Jsonified<ActionExecutionDetail>[]>;
}

/** The IAM actions readPipelineFacts calls, for a checker's `actions`. */
export const PIPELINE_FACTS_ACTIONS = ['codepipeline:GetPipeline', 'codepipeline:ListPipelineExecutions', 'codepipeline:ListActionExecutions'] as const;

/** Reads the pipeline, its executions and its action executions at once (each read a Fact). */
export function readPipelineFacts(
  pipelines: CodePipelineClient,
  name: string,
): { pipeline: Promise<PipelineFacts['pipeline']>; executions: Promise<PipelineFacts['executions']>; actionExecutions: Promise<PipelineFacts['actionExecutions']> } {
  return {
    pipeline: readFact(() => readPipelineDeclaration(pipelines, name)),
    executions: readFact(() => readPipelineExecutions(pipelines, name)),
    actionExecutions: readFact(() => readActionExecutions(pipelines, name)),
  };
}

const date = z.string().optional();
const configuration = z.record(z.string(), z.string()).optional();
const actionTypeId = z.looseObject({ category: z.string().optional(), owner: z.string().optional(), provider: z.string().optional() }).optional();
const artifacts = z.array(z.looseObject({ name: z.string().optional() })).optional();

/** The fields of a pipeline declaration the pipeline labs' checks read (the rest is kept as it came). */
const pipelineSchema = z.looseObject({
  name: z.string(),
  version: z.number().optional(),
  stages: z.array(
    z.looseObject({
      name: z.string(),
      actions: z.array(z.looseObject({ name: z.string(), actionTypeId, runOrder: z.number().optional(), configuration, inputArtifacts: artifacts, outputArtifacts: artifacts })),
    }),
  ),
});

const executionSchema = z.looseObject({
  pipelineExecutionId: z.string().optional(),
  status: z.string().optional(),
  startTime: date,
  lastUpdateTime: date,
  sourceRevisions: z.array(z.looseObject({ actionName: z.string().optional(), revisionId: z.string().optional() })).optional(),
});

const actionExecutionSchema = z.looseObject({
  pipelineExecutionId: z.string().optional(),
  stageName: z.string().optional(),
  actionName: z.string().optional(),
  startTime: date,
  lastUpdateTime: date,
  status: z.string().optional(),
  input: z.looseObject({ actionTypeId, configuration }).optional(),
  output: z.looseObject({ executionResult: z.looseObject({ externalExecutionId: z.string().optional() }).optional() }).optional(),
});

/** The schema of PipelineFacts' fields, to spread into a lab's facts schema. */
export const pipelineFactsShape = {
  pipeline: factSchema(pipelineSchema.nullable()),
  executions: factSchema(z.array(executionSchema)),
  actionExecutions: factSchema(z.array(actionExecutionSchema)),
};
