// The calls each role of the lab must be able to make (the policy proofs simulate them against the synthesized
// policies). Where CloudFormation generates a name, `@{<construct path>.<attribute>}` stands for it.
import { lambdaAssumesRole, type CallEnv, type DeclaredCall, type LabRoleCalls, type LabServicePrincipalCalls } from '../../lib/policy/calls';
import type { LabAcceptedWarnings } from '../../lib/policy/warnings';
import { LAB_TAG_KEY } from '../../lib/contract';
import { BUILD_PROJECT_NAME, LAB_ID, MARKER_KEY, PARAMETER_NAME, PIPELINE_NAME, SOURCE_KEY } from './contract';

const SOURCE = '@{StatusPage/SourceBucket.Arn}';
const ARTIFACTS = '@{StatusPage/ArtifactBucket.Arn}';
const RELEASE = '@{StatusPage/ReleaseBucket.Arn}';
const BUILD_ROLE = '@{StatusPage/BuildProject/Role.Arn}';
const PIPELINE_ROLE = '@{StatusPage/Pipeline/Role.Arn}';
/** An artifact object as CodePipeline names it: <pipeline name, truncated>/<artifact name, truncated>/<random>. */
const artifact = (name: string) => `${ARTIFACTS}/${PIPELINE_NAME.slice(0, 20)}/${name}/Xk3pQ8w`;

const regional = (env: CallEnv, service: string, resource: string) => `arn:${env.partition}:${service}:${env.region}:${env.account}:${resource}`;
const pipelineArn = (env: CallEnv) => regional(env, 'codepipeline', PIPELINE_NAME);
const logStream = (env: CallEnv, group: string) => regional(env, 'logs', `log-group:${group}:log-stream:${group.startsWith('/aws/codebuild/') ? '5b1e2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e' : '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef'}`);

function ownLogs(env: CallEnv, group: string): DeclaredCall[] {
  return ['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({ action, resource: logStream(env, group) }));
}

export const roleCalls: LabRoleCalls = [
  {
    role: 'StatusPage/Pipeline/Role',
    purpose: `CodePipeline ${PIPELINE_NAME} (every action runs with the pipeline role)`,
    calls: (env) => [
      // Source: the S3 source action reads the object version and the bucket's versioning.
      { action: 's3:GetObject', resource: `${SOURCE}/${SOURCE_KEY}` },
      { action: 's3:GetObjectVersion', resource: `${SOURCE}/${SOURCE_KEY}` },
      { action: 's3:GetBucketVersioning', resource: SOURCE },
      ...['s3:PutObject', 's3:GetObject', 's3:GetObjectVersion'].map((action) => ({ action, resource: artifact('Source') })),
      { action: 's3:GetBucketVersioning', resource: ARTIFACTS },
      ...['codebuild:StartBuild', 'codebuild:BatchGetBuilds'].map((action) => ({ action, resource: regional(env, 'codebuild', `project/${BUILD_PROJECT_NAME}`) })),
      // Deploy: extracts the build output into the release bucket.
      ...['index.html', MARKER_KEY].map((file) => ({ action: 's3:PutObject', resource: `${RELEASE}/${file}` })),
    ],
  },
  {
    role: 'StatusPage/BuildProject/Role',
    purpose: `CodeBuild project ${BUILD_PROJECT_NAME} (the Build stage)`,
    calls: (env) => [
      ...ownLogs(env, `/aws/codebuild/${BUILD_PROJECT_NAME}`),
      { action: 's3:GetObject', resource: artifact('Source') },
      { action: 's3:GetObjectVersion', resource: artifact('Source') },
      { action: 's3:PutObject', resource: artifact('Built') },
      {
        action: 'ssm:GetParameters',
        resource: regional(env, 'ssm', `parameter/${PARAMETER_NAME.slice(1)}`),
        deniedBecause: "the scenario's first failure: the buildspec reads the banner from Parameter Store, and nothing lets the build role read it (the learner grants it)",
      },
    ],
  },
  {
    role: 'StatusPage/Pipeline/EventsRole',
    purpose: `EventBridge rule that starts ${PIPELINE_NAME} when ${SOURCE_KEY} changes`,
    calls: (env) => [{ action: 'codepipeline:StartPipelineExecution', resource: pipelineArn(env) }],
  },
  {
    role: 'DopLabResources/Handler/Role',
    purpose: 'inline custom resources: the seeded source writer and the in-stack cleanup',
    calls: (env) => [
      ...ownLogs(env, `/doplab/${LAB_ID}/lambda/resources`),
      { action: 's3:PutObject', resource: `${SOURCE}/${SOURCE_KEY}` },
      // Cleanup: the learner's policies off the lab roles, then the buckets emptied.
      ...[BUILD_ROLE, PIPELINE_ROLE].flatMap((role) =>
        ['iam:ListAttachedRolePolicies', 'iam:DetachRolePolicy', 'iam:ListRolePolicies', 'iam:DeleteRolePolicy'].map((action) => ({ action, resource: role, context: { [`aws:ResourceTag/${LAB_TAG_KEY}`]: LAB_ID } })),
      ),
      {
        action: 'iam:DetachRolePolicy',
        resource: `arn:${env.partition}:iam::${env.account}:role/payments-ci-role`,
        context: { [`aws:ResourceTag/${LAB_TAG_KEY}`]: 'another-lab' },
        deniedBecause: "the cleanup frees roles tagged for this lab only",
      },
      ...[SOURCE, ARTIFACTS, RELEASE].flatMap((bucket) => [
        { action: 's3:ListBucketVersions', resource: bucket },
        { action: 's3:DeleteObject', resource: `${bucket}/${MARKER_KEY}` },
        { action: 's3:DeleteObjectVersion', resource: `${bucket}/${MARKER_KEY}` },
      ]),
    ],
  },
];

/** The services that assume the lab's roles. */
export const servicePrincipalCalls: LabServicePrincipalCalls = (env) => [
  lambdaAssumesRole(env, 'DopLabResources/Handler/Role'),
  { principal: 'codepipeline.amazonaws.com', purpose: `CodePipeline runs ${PIPELINE_NAME}`, action: 'sts:AssumeRole', resource: `@{StatusPage/Pipeline/Role.Arn}`, context: { 'aws:SourceAccount': env.account } },
  { principal: 'codebuild.amazonaws.com', purpose: `CodeBuild runs ${BUILD_PROJECT_NAME}`, action: 'sts:AssumeRole', resource: BUILD_ROLE, context: { 'aws:SourceAccount': env.account } },
  { principal: 'events.amazonaws.com', purpose: `EventBridge starts ${PIPELINE_NAME}`, action: 'sts:AssumeRole', resource: '@{StatusPage/Pipeline/EventsRole.Arn}', context: { 'aws:SourceAccount': env.account } },
];

/**
 * aws-cdk-lib's Bucket.grantReadWrite (the Pipeline's artifact store) and Bucket.grantWrite (S3DeployAction's release
 * bucket) put the bucket ARN next to bucket/* in their object-write statement; those actions act on objects only, so
 * the bucket ARN grants nothing (an IAM Access Analyzer warning). Not narrowed: the statements are CDK's own (as in
 * pipeline-test-stage, which builds the same pipeline).
 */
export const acceptedPolicyWarnings: LabAcceptedWarnings = [
  {
    policy: 'StatusPage/Pipeline/Role/DefaultPolicy',
    resource: ARTIFACTS,
    reason: "CDK's artifact-store grant (Bucket.grantReadWrite): the bucket ARN in the object-write statement grants nothing; bucket/* does the work.",
  },
  {
    policy: 'StatusPage/Pipeline/Role/DefaultPolicy',
    resource: RELEASE,
    reason: "CDK's S3DeployAction grant (Bucket.grantWrite): the bucket ARN in the object-write statement grants nothing; bucket/* does the work.",
  },
];

/** What the reference solution sends, with the learner's credentials. */
export const solutionActions: readonly string[] = ['iam:PutRolePolicy', 'codepipeline:ListPipelineExecutions', 's3:PutObject'];
