// The calls of what lib/cdk/s3-source-pipeline.ts builds (S3 source → CodeBuild → S3 deploy), for the calls.ts of the
// labs that use it: each lab adds its own calls (its scenario, its cleanup) around these.
import { functionLogCalls, type CallEnv, type DeclaredCall, type RoleCalls, type ServicePrincipalCall } from './calls';
import type { LabAcceptedWarnings } from './warnings';

/** An ARN in the environment's region and account: `arn:<partition>:<service>:<region>:<account>:<resource>`. */
export function regionalArn(env: CallEnv, service: string, resource: string): string {
  return `arn:${env.partition}:${service}:${env.region}:${env.account}:${resource}`;
}

/** The names an S3SourcePipeline was built with. */
export interface S3SourcePipelineNames {
  /** Its construct path below the stack (`Orders`). */
  readonly path: string;
  readonly pipelineName: string;
  readonly sourceKey: string;
  readonly buildProjectName: string;
}

/** The calls, resources and accepted warnings of one S3SourcePipeline. */
export function s3SourcePipelineCalls({ path, pipelineName, sourceKey, buildProjectName }: S3SourcePipelineNames) {
  const source = `@{${path}/SourceBucket.Arn}`;
  const artifacts = `@{${path}/ArtifactBucket.Arn}`;
  const release = `@{${path}/ReleaseBucket.Arn}`;
  /** An artifact object as CodePipeline names it: <pipeline name, truncated>/<artifact name, truncated>/<random>. */
  const artifact = (name: string) => `${artifacts}/${pipelineName.slice(0, 20)}/${name}/Xk3pQ8w`;
  const pipelineArn = (env: CallEnv) => regionalArn(env, 'codepipeline', pipelineName);
  const projectArn = (env: CallEnv, name: string) => regionalArn(env, 'codebuild', `project/${name}`);
  const buildLogs = (env: CallEnv, project: string): DeclaredCall[] =>
    ['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({ action, resource: regionalArn(env, 'logs', `log-group:/aws/codebuild/${project}:log-stream:5b1e2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e`) }));
  return {
    source,
    artifacts,
    release,
    artifact,
    pipelineArn,
    projectArn,
    /** The pipeline role (every action runs with it): the S3 source action and the artifact store. */
    sourceCalls: (): DeclaredCall[] => [
      // Source: the S3 source action reads the object version and the bucket's versioning.
      { action: 's3:GetObject', resource: `${source}/${sourceKey}` },
      { action: 's3:GetObjectVersion', resource: `${source}/${sourceKey}` },
      { action: 's3:GetBucketVersioning', resource: source },
      // The artifact store.
      ...['s3:PutObject', 's3:GetObject', 's3:GetObjectVersion'].map((action) => ({ action, resource: artifact('Source') })),
      { action: 's3:GetBucketVersioning', resource: artifacts },
    ],
    /** The pipeline role starting and following a build of each project (a CodeBuild action). */
    buildActionCalls: (env: CallEnv, projects: readonly string[]): DeclaredCall[] =>
      projects.flatMap((name) => ['codebuild:StartBuild', 'codebuild:BatchGetBuilds'].map((action) => ({ action, resource: projectArn(env, name) }))),
    /** The build project's role: its own log group, the source artifact in, the built artifact out. */
    buildRoleCalls: (env: CallEnv): DeclaredCall[] => [
      ...buildLogs(env, buildProjectName),
      { action: 's3:GetObject', resource: artifact('Source') },
      { action: 's3:GetObjectVersion', resource: artifact('Source') },
      { action: 's3:PutObject', resource: artifact('Built') },
    ],
    /** The role the EventBridge rule starts the pipeline with. */
    eventsRole: {
      role: `${path}/Pipeline/EventsRole`,
      purpose: `EventBridge rule that starts ${pipelineName} when ${sourceKey} changes`,
      calls: (env: CallEnv) => [{ action: 'codepipeline:StartPipelineExecution', resource: pipelineArn(env) }],
    } satisfies RoleCalls,
    /** The inline resources function writing its log group and the seeded source (SeededSource). */
    seedCalls: (env: CallEnv, labId: string): DeclaredCall[] => [...functionLogCalls(env, labId, 'resources'), { action: 's3:PutObject', resource: `${source}/${sourceKey}` }],
    /** What emptying the three buckets sends (cleanup-helpers.js emptyBucket), on an object `key`. */
    emptyBucketCalls: (key: string): DeclaredCall[] =>
      [source, artifacts, release].flatMap((bucket) => [
        { action: 's3:ListBucketVersions', resource: bucket },
        { action: 's3:DeleteObject', resource: `${bucket}/${key}` },
        { action: 's3:DeleteObjectVersion', resource: `${bucket}/${key}` },
      ]),
    /** CodePipeline, CodeBuild and EventBridge assuming the pipeline's roles. */
    servicePrincipalCalls: (env: CallEnv): ServicePrincipalCall[] => [
      { principal: 'codepipeline.amazonaws.com', purpose: `CodePipeline runs ${pipelineName}`, action: 'sts:AssumeRole', resource: `@{${path}/Pipeline/Role.Arn}`, context: { 'aws:SourceAccount': env.account } },
      { principal: 'codebuild.amazonaws.com', purpose: `CodeBuild runs ${buildProjectName}`, action: 'sts:AssumeRole', resource: `@{${path}/BuildProject/Role.Arn}`, context: { 'aws:SourceAccount': env.account } },
      { principal: 'events.amazonaws.com', purpose: `EventBridge starts ${pipelineName}`, action: 'sts:AssumeRole', resource: `@{${path}/Pipeline/EventsRole.Arn}`, context: { 'aws:SourceAccount': env.account } },
    ],
    /**
     * aws-cdk-lib's Bucket.grantReadWrite (the Pipeline's artifact store) and Bucket.grantWrite (S3DeployAction's release
     * bucket) put the bucket ARN next to bucket/* in their write statement (s3:PutObject, s3:DeleteObject*, s3:Abort*…).
     * These actions act on objects only (Service Authorization Reference, Amazon S3: resource type `object`), so the
     * bucket ARN never matches one of their requests and grants nothing: IAM Access Analyzer grades that a warning, not
     * an error. The object grants do the work (sourceCalls proves the pipeline's writes). Not narrowed: the statements
     * are built inside codepipeline.Pipeline and S3DeployAction, and rewriting them would replace CDK's grants with
     * hand-kept ones.
     */
    acceptedPolicyWarnings: [
      {
        policy: `${path}/Pipeline/Role/DefaultPolicy`,
        resource: artifacts,
        reason: "CDK's artifact-store grant (Bucket.grantReadWrite): the bucket ARN in the object-write statement grants nothing; bucket/* does the work.",
      },
      {
        policy: `${path}/Pipeline/Role/DefaultPolicy`,
        resource: release,
        reason: "CDK's S3DeployAction grant (Bucket.grantWrite): the bucket ARN in the object-write statement grants nothing; bucket/* does the work.",
      },
    ] satisfies LabAcceptedWarnings,
  };
}
