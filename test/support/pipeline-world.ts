// What the mocked worlds of the S3-source pipeline labs (broken-pipeline, pipeline-test-stage) answer alike: the lab's
// stack, and the pipeline's declaration, executions and action executions. Each lab's mock-world adds its own reads.
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
import { S3Client } from '@aws-sdk/client-s3';
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

/** Mocks the five clients; the stack and the pipeline answer as given, the rest is the lab's to answer. */
export function mockPipelineWorld({ stack, pipelineName, pipeline, executions, actionExecutions }: PipelineAnswers): PipelineWorldMocks {
  const mocks = {
    cloudformation: mockClient(CloudFormationClient),
    pipelines: mockClient(CodePipelineClient),
    codebuild: mockClient(CodeBuildClient),
    iam: mockClient(IAMClient),
    s3: mockClient(S3Client),
  };
  mocks.cloudformation.on(DescribeStacksCommand).resolves(stack);
  if (pipeline) {
    mocks.pipelines.on(GetPipelineCommand).resolves({ pipeline, metadata: { pipelineArn: `arn:aws:codepipeline:eu-west-1:111122223333:${pipelineName}` } });
  } else {
    mocks.pipelines.on(GetPipelineCommand).rejects(awsError('PipelineNotFoundException', `Account 111122223333 does not have a pipeline with name ${pipelineName}`));
  }
  mocks.pipelines.on(ListPipelineExecutionsCommand).resolves({ pipelineExecutionSummaries: executions });
  mocks.pipelines.on(ListActionExecutionsCommand).resolves({ actionExecutionDetails: actionExecutions });
  return { ...mocks, restore: () => Object.values(mocks).forEach((m) => m.restore()) };
}
