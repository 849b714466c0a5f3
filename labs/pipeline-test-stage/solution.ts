// Reference solution of the pipeline-test-stage lab, through the SDK: a least-privilege role and a CodeBuild test
// project (inline buildspec: node --test with a JUnit report, the API key from Parameter Store), a Test stage between
// Source and Build, then two releases: the seeded source (the Test stage stops it) and the fix (green).
import { CodeBuildClient, CreateProjectCommand, UpdateProjectCommand, type CreateProjectCommandInput } from '@aws-sdk/client-codebuild';
import { CodePipelineClient, GetPipelineCommand, UpdatePipelineCommand, type StageDeclaration } from '@aws-sdk/client-codepipeline';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { awsErrorName } from '../../lib/aws/errors';
import { LAB_TAG_KEY } from '../../lib/contract';
import { DoplabError } from '../../lib/errors';
import type { Solution, SolutionContext } from '../../lib/lab';
import { DEFAULT_WAIT, releaseSource, type WaitOptions } from '../../lib/pipeline-release';
import { partitionOf } from '../../lib/sdk-facts';
import { PRICING_BUG, SEEDED_SOURCE } from './app-source';
import { API_KEY_VARIABLE, LAB_ID, Outputs, STAGES } from './contract';

const { storedZip } = require('../../lib/cdk/seeded-source.handler.js') as { storedZip: (files: { name: string; content: string }[]) => Buffer };

export const TEST_PROJECT_NAME = 'orders-api-test';
export const TEST_ROLE_NAME = `DopLab-${LAB_ID}-tests`;
export const REPORT_NAME = 'unit-tests';
export const TEST_STAGE = { stage: 'Test', action: 'UnitTests' } as const;

/** The test project's buildspec: the key from Parameter Store, node --test with a JUnit report for CodeBuild. */
export function testBuildspec(parameterName: string): string {
  return [
    'version: 0.2',
    'env:',
    '  parameter-store:',
    `    ${API_KEY_VARIABLE}: ${parameterName}`,
    'phases:',
    '  install:',
    '    runtime-versions:',
    '      nodejs: 22',
    '  build:',
    '    commands:',
    '      - mkdir -p reports',
    '      - node --test --test-reporter=spec --test-reporter-destination=stdout --test-reporter=junit --test-reporter-destination=reports/junit.xml',
    'reports:',
    `  ${REPORT_NAME}:`,
    '    files:',
    '      - reports/junit.xml',
    '    file-format: JUNITXML',
    '',
  ].join('\n');
}

/** The seeded source, with the pricing bug fixed or not. */
export function sourceZip(fixed: boolean): Buffer {
  const files = Object.entries(SEEDED_SOURCE).map(([name, content]) => ({
    name,
    content: fixed && name === PRICING_BUG.file ? content.replace(PRICING_BUG.line, PRICING_BUG.fixed) : content,
  }));
  return storedZip(files);
}

export type { WaitOptions } from '../../lib/pipeline-release';

const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'codebuild.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

/** The test role's policy: logs of its project, the pipeline's input artifacts, its report group, the one parameter. */
export function testRolePolicy(ctx: Pick<SolutionContext<typeof Outputs>, 'outputs' | 'region' | 'account'>): string {
  const p = partitionOf(ctx.region);
  const regional = (service: string, resource: string) => `arn:${p}:${service}:${ctx.region}:${ctx.account}:${resource}`;
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [regional('logs', `log-group:/aws/codebuild/${TEST_PROJECT_NAME}`), regional('logs', `log-group:/aws/codebuild/${TEST_PROJECT_NAME}:*`)],
      },
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: `arn:${p}:s3:::${ctx.outputs.artifactBucketName}/*` },
      { Effect: 'Allow', Action: ['s3:GetBucketAcl', 's3:GetBucketLocation'], Resource: `arn:${p}:s3:::${ctx.outputs.artifactBucketName}` },
      {
        Effect: 'Allow',
        Action: ['codebuild:CreateReportGroup', 'codebuild:CreateReport', 'codebuild:UpdateReport', 'codebuild:BatchPutTestCases'],
        Resource: regional('codebuild', `report-group/${TEST_PROJECT_NAME}-${REPORT_NAME}`),
      },
      { Effect: 'Allow', Action: 'ssm:GetParameters', Resource: regional('ssm', `parameter/${ctx.outputs.apiKeyParameterName.replace(/^\//, '')}`) },
    ],
  });
}

async function testRole(ctx: SolutionContext<typeof Outputs>): Promise<string> {
  const iam = ctx.client(IAMClient);
  let arn = `arn:${partitionOf(ctx.region)}:iam::${ctx.account}:role/${TEST_ROLE_NAME}`;
  try {
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: TEST_ROLE_NAME,
        AssumeRolePolicyDocument: TRUST,
        Description: `CodeBuild test project ${TEST_PROJECT_NAME} of doplab lab ${LAB_ID}`,
        Tags: [{ Key: LAB_TAG_KEY, Value: LAB_ID }],
      }),
    );
    arn = created.Role?.Arn ?? arn;
  } catch (error) {
    if (awsErrorName(error) !== 'EntityAlreadyExists' && awsErrorName(error) !== 'EntityAlreadyExistsException') throw error;
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: TEST_ROLE_NAME, PolicyDocument: TRUST }));
  }
  await iam.send(new PutRolePolicyCommand({ RoleName: TEST_ROLE_NAME, PolicyName: 'UnitTests', PolicyDocument: testRolePolicy(ctx) }));
  return arn;
}

async function testProject(ctx: SolutionContext<typeof Outputs>, roleArn: string, wait: WaitOptions): Promise<void> {
  const codebuild = ctx.client(CodeBuildClient);
  const project: CreateProjectCommandInput = {
    name: TEST_PROJECT_NAME,
    description: `Unit tests of the orders-api (doplab lab ${LAB_ID})`,
    source: { type: 'CODEPIPELINE', buildspec: testBuildspec(ctx.outputs.apiKeyParameterName) },
    artifacts: { type: 'CODEPIPELINE' },
    environment: { type: 'LINUX_CONTAINER', image: 'aws/codebuild/amazonlinux-x86_64-standard:5.0', computeType: 'BUILD_GENERAL1_SMALL' },
    serviceRole: roleArn,
    timeoutInMinutes: 10,
    tags: [{ key: LAB_TAG_KEY, value: LAB_ID }],
  };
  // A role just created takes a few seconds before CodeBuild may assume it.
  for (let attempt = 1; ; attempt++) {
    try {
      await codebuild.send(new CreateProjectCommand(project));
      return;
    } catch (error) {
      if (awsErrorName(error) === 'ResourceAlreadyExistsException') {
        await codebuild.send(new UpdateProjectCommand(project));
        return;
      }
      if (awsErrorName(error) !== 'InvalidInputException' || attempt >= 6) throw error;
      ctx.log(`CodeBuild cannot use role ${TEST_ROLE_NAME} yet; retrying in 10 s`);
      await wait.sleep(10_000);
    }
  }
}

async function addTestStage(ctx: SolutionContext<typeof Outputs>): Promise<void> {
  const pipelines = ctx.client(CodePipelineClient);
  const { pipeline } = await pipelines.send(new GetPipelineCommand({ name: ctx.outputs.pipelineName }));
  if (!pipeline) throw new DoplabError('AWS_ERROR', 'environment', `Pipeline ${ctx.outputs.pipelineName} has no declaration.`);
  const stages = (pipeline.stages ?? []).filter((s) => s.name !== TEST_STAGE.stage);
  const source = stages.findIndex((s) => s.name === STAGES.source);
  const sourceArtifact = stages[source]?.actions?.[0]?.outputArtifacts?.[0]?.name ?? 'Source';
  const test: StageDeclaration = {
    name: TEST_STAGE.stage,
    actions: [
      {
        name: TEST_STAGE.action,
        actionTypeId: { category: 'Test', owner: 'AWS', provider: 'CodeBuild', version: '1' },
        runOrder: 1,
        configuration: { ProjectName: TEST_PROJECT_NAME },
        inputArtifacts: [{ name: sourceArtifact }],
      },
    ],
  };
  stages.splice(source + 1, 0, test);
  await pipelines.send(new UpdatePipelineCommand({ pipeline: { ...pipeline, stages } }));
}

/** Uploads a source version and waits for the execution it starts to end; returns its status. */
function release(ctx: SolutionContext<typeof Outputs>, fixed: boolean, wait: WaitOptions): Promise<string> {
  const target = { labId: LAB_ID, pipelineName: ctx.outputs.pipelineName, bucket: ctx.outputs.sourceBucketName, key: ctx.outputs.sourceKey };
  return releaseSource(ctx, target, sourceZip(fixed), fixed ? 'with the pricing fix' : 'as seeded (one test fails)', wait);
}

/** Applies the solution, waiting as `wait` says. */
export async function solveWith(ctx: SolutionContext<typeof Outputs>, wait: WaitOptions = DEFAULT_WAIT): Promise<void> {
  ctx.log(`Role ${TEST_ROLE_NAME}: its project's logs, the pipeline's artifacts, its report group, ssm:GetParameters on ${ctx.outputs.apiKeyParameterName} only`);
  const roleArn = await testRole(ctx);
  ctx.log(`CodeBuild project ${TEST_PROJECT_NAME}: node --test, JUnit report ${REPORT_NAME}, ${API_KEY_VARIABLE} from Parameter Store`);
  await testProject(ctx, roleArn, wait);
  ctx.log(`Pipeline ${ctx.outputs.pipelineName}: stage ${TEST_STAGE.stage} between ${STAGES.source} and ${STAGES.build}`);
  await addTestStage(ctx);
  const blocked = await release(ctx, false, wait);
  if (blocked !== 'Failed') throw new DoplabError('AWS_ERROR', 'environment', `The seeded source should fail in the Test stage; its execution ended ${blocked}.`);
  const green = await release(ctx, true, wait);
  if (green !== 'Succeeded') {
    throw new DoplabError('AWS_ERROR', 'environment', `The fixed source's execution ended ${green}.`, { hint: `Run doplab check ${LAB_ID} to see which stage failed.` });
  }
}

export const solve: Solution<typeof Outputs> = (ctx) => solveWith(ctx);
