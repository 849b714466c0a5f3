// What the mocked worlds of the S3-source pipeline labs (broken-pipeline, pipeline-test-stage) answer alike: the lab's
// stack, the pipeline's declaration, executions and action executions, and S3 objects as GetObject returns them.
// Each lab's mock-world adds its own reads.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { CloudFormationClient, DescribeStacksCommand, type DescribeStacksCommandOutput } from '@aws-sdk/client-cloudformation';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import {
  CodePipelineClient,
  GetPipelineCommand,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  type ActionExecutionDetail,
  type PipelineDeclaration,
  type PipelineExecutionSummary,
} from '@aws-sdk/client-codepipeline';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { awsError } from './mocked-session';

/** DescribeStacks of a lab stack in CREATE_COMPLETE with these outputs. */
export function deployedStack(stackName: string, region: string, account: string, created: Date, outputs: Readonly<Record<string, string>>) {
  return {
    Stacks: [
      {
        StackName: stackName,
        StackId: `arn:aws:cloudformation:${region}:${account}:stack/${stackName}/3f6a2c10-cb7e-11f0-9a41-0a5e3c7d2b19`,
        CreationTime: created,
        StackStatus: 'CREATE_COMPLETE' as const,
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  };
}

/** Mocks of every client a pipeline lab's checker uses. */
export interface PipelineWorldMocks {
  readonly cloudformation: AwsClientStub<CloudFormationClient>;
  readonly pipelines: AwsClientStub<CodePipelineClient>;
  readonly codebuild: AwsClientStub<CodeBuildClient>;
  readonly iam: AwsClientStub<IAMClient>;
  readonly s3: AwsClientStub<S3Client>;
  restore(): void;
}

/** What the pipeline's reads answer: GetPipeline (null: PipelineNotFoundException), its executions, its action executions. */
export interface PipelineAnswers {
  readonly stack: Omit<DescribeStacksCommandOutput, '$metadata'>;
  readonly pipelineName: string;
  readonly pipeline: PipelineDeclaration | null;
  readonly executions: PipelineExecutionSummary[];
  readonly actionExecutions: ActionExecutionDetail[];
}

/** Wraps each answer of a world, e.g. to delay it (the round-trip tests); named by the operation. */
export type AnswerWrapper = (operation: string, answer: (input: never) => unknown) => (input: never) => unknown;

/** `fn` as a callsFake answer, through `wrap`. */
export function wrapped<I>(wrap: AnswerWrapper, operation: string, fn: (input: I) => unknown): (input: I) => never {
  return wrap(operation, fn as (input: never) => unknown) as (input: I) => never;
}

/**
 * Round trips, observed: an AnswerWrapper that delays every answer by 20 ms and notes, by operation, the round each
 * call came in (1 + the rounds finished when it was sent), sorted.
 */
export function roundTrips(): { wrap: AnswerWrapper; rounds: Record<string, number[]> } {
  let finished = 0;
  const rounds: Record<string, number[]> = {};
  const wrap: AnswerWrapper = (operation, answer) => async (input) => {
    const round = finished + 1;
    rounds[operation] = [...(rounds[operation] ?? []), round].sort();
    await new Promise((resolve) => setTimeout(resolve, 20));
    finished = Math.max(finished, round);
    return answer(input);
  };
  return { wrap, rounds };
}

/** Mocks the five clients; the stack and the pipeline answer as given, the rest is the lab's to answer. */
export function mockPipelineWorld({ stack, pipelineName, pipeline, executions, actionExecutions }: PipelineAnswers, wrap: AnswerWrapper = (_, answer) => answer): PipelineWorldMocks {
  const mocks = {
    cloudformation: mockClient(CloudFormationClient),
    pipelines: mockClient(CodePipelineClient),
    codebuild: mockClient(CodeBuildClient),
    iam: mockClient(IAMClient),
    s3: mockClient(S3Client),
  };
  mocks.cloudformation.on(DescribeStacksCommand).callsFake(wrapped(wrap, 'DescribeStacks', () => stack));
  mocks.pipelines.on(GetPipelineCommand).callsFake(
    wrapped(wrap, 'GetPipeline', () => {
      if (!pipeline) throw awsError('PipelineNotFoundException', `Account 111122223333 does not have a pipeline with name ${pipelineName}`);
      return { pipeline, metadata: { pipelineArn: `arn:aws:codepipeline:eu-west-1:111122223333:${pipelineName}` } };
    }),
  );
  mocks.pipelines.on(ListPipelineExecutionsCommand).callsFake(wrapped(wrap, 'ListPipelineExecutions', () => ({ pipelineExecutionSummaries: executions })));
  mocks.pipelines.on(ListActionExecutionsCommand).callsFake(wrapped(wrap, 'ListActionExecutions', () => ({ actionExecutionDetails: actionExecutions })));
  return { ...mocks, restore: () => Object.values(mocks).forEach((m) => m.restore()) };
}

/** An object as S3 stores it: its bytes and what PutObject (or the writing service) recorded with them. */
export interface S3Object {
  readonly bytes: Uint8Array;
  readonly contentType: string;
  readonly lastModified: Date;
  /** The version id, in a versioned bucket. */
  readonly versionId?: string;
  /** Uploaded with the SDK's default CRC32 checksum (S3 returns it to a GetObject with ChecksumMode ENABLED). */
  readonly crc32?: boolean;
}

/** GetObject's answer for `object`: the body as the SDK's own stream (readable once), the headers S3 sends with it (SSE-S3 buckets). */
export function getObjectOutput(object: S3Object): Omit<GetObjectCommandOutput, '$metadata'> {
  const { bytes } = object;
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32BE(crc32(bytes));
  return {
    Body: sdkStreamMixin(Readable.from(Buffer.from(bytes))),
    AcceptRanges: 'bytes',
    LastModified: object.lastModified,
    ContentLength: bytes.byteLength,
    ETag: `"${createHash('md5').update(bytes).digest('hex')}"`,
    ...(object.crc32 ? { ChecksumCRC32: checksum.toString('base64'), ChecksumType: 'FULL_OBJECT' as const } : {}),
    ...(object.versionId ? { VersionId: object.versionId } : {}),
    ContentType: object.contentType,
    ServerSideEncryption: 'AES256',
  };
}
