// The calls each role of the lab must be able to make (the policy proofs simulate them against the synthesized
// policies). Where CloudFormation generates a name, `@{<construct path>.<attribute>}` stands for it.
import { lambdaAssumesRole, type CallEnv, type DeclaredCall, type LabRoleCalls, type LabServicePrincipalCalls } from '../../lib/policy/calls';
import type { LabAcceptedWarnings } from '../../lib/policy/warnings';
import { LAB_TAG_KEY } from '../../lib/contract';
import { API_KEY_PARAMETER, BUILD_PROJECT_NAME, LAB_ID, PIPELINE_NAME, SOURCE_KEY } from './contract';
import { REPORT_NAME, TEST_PROJECT_NAME } from './solution';

const SOURCE = '@{Orders/SourceBucket.Arn}';
const ARTIFACTS = '@{Orders/ArtifactBucket.Arn}';
const RELEASE = '@{Orders/ReleaseBucket.Arn}';
/** An artifact object as CodePipeline names it: <pipeline name, truncated>/<artifact name, truncated>/<random>. */
const artifact = (name: string) => `${ARTIFACTS}/${PIPELINE_NAME.slice(0, 20)}/${name}/Xk3pQ8w`;

const regional = (env: CallEnv, service: string, resource: string) => `arn:${env.partition}:${service}:${env.region}:${env.account}:${resource}`;
const pipelineArn = (env: CallEnv) => regional(env, 'codepipeline', PIPELINE_NAME);
const projectArn = (env: CallEnv, name: string) => regional(env, 'codebuild', `project/${name}`);
const logStream = (env: CallEnv, group: string) => regional(env, 'logs', `log-group:${group}:log-stream:${group.startsWith('/aws/codebuild/') ? '5b1e2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e' : '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef'}`);

function ownLogs(env: CallEnv, group: string): DeclaredCall[] {
  return ['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({ action, resource: logStream(env, group) }));
}

export const roleCalls: LabRoleCalls = [
  {
    role: 'Orders/Pipeline/Role',
    purpose: `CodePipeline ${PIPELINE_NAME} (every action runs with the pipeline role)`,
    calls: (env) => [
      // Source: the S3 source action reads the object version and the bucket's versioning.
      { action: 's3:GetObject', resource: `${SOURCE}/${SOURCE_KEY}` },
      { action: 's3:GetObjectVersion', resource: `${SOURCE}/${SOURCE_KEY}` },
      { action: 's3:GetBucketVersioning', resource: SOURCE },
      // The artifact store.
      ...['s3:PutObject', 's3:GetObject', 's3:GetObjectVersion'].map((action) => ({ action, resource: artifact('Source') })),
      { action: 's3:GetBucketVersioning', resource: ARTIFACTS },
      // Build, and the learner's Test stage (a project the learner names).
      ...[BUILD_PROJECT_NAME, TEST_PROJECT_NAME].flatMap((name) => ['codebuild:StartBuild', 'codebuild:BatchGetBuilds'].map((action) => ({ action, resource: projectArn(env, name) }))),
      // Deploy: extracts the build output into the release bucket.
      { action: 's3:PutObject', resource: `${RELEASE}/src/pricing.js` },
    ],
  },
  {
    role: 'Orders/BuildProject/Role',
    purpose: `CodeBuild project ${BUILD_PROJECT_NAME} (the Build stage)`,
    calls: (env) => [
      ...ownLogs(env, `/aws/codebuild/${BUILD_PROJECT_NAME}`),
      { action: 's3:GetObject', resource: artifact('Source') },
      { action: 's3:GetObjectVersion', resource: artifact('Source') },
      { action: 's3:PutObject', resource: artifact('Built') },
    ],
  },
  {
    role: 'Orders/Pipeline/EventsRole',
    purpose: `EventBridge rule that starts ${PIPELINE_NAME} when ${SOURCE_KEY} changes`,
    calls: (env) => [{ action: 'codepipeline:StartPipelineExecution', resource: pipelineArn(env) }],
  },
  {
    role: 'DopLabResources/Handler/Role',
    purpose: 'inline custom resources: the seeded source writer, the SecureString parameter and the in-stack cleanup',
    calls: (env) => {
      const parameter = regional(env, 'ssm', `parameter/${API_KEY_PARAMETER.slice(1)}`);
      const role = (name: string) => `arn:${env.partition}:iam::${env.account}:role/service-role/${name}`;
      return [
        ...ownLogs(env, `/doplab/${LAB_ID}/lambda/resources`),
        // Source writer.
        { action: 's3:PutObject', resource: `${SOURCE}/${SOURCE_KEY}` },
        // SecureString: PutParameter with tags needs AddTagsToResource.
        { action: 'ssm:PutParameter', resource: parameter },
        { action: 'ssm:AddTagsToResource', resource: parameter },
        { action: 'ssm:DeleteParameter', resource: parameter },
        // Cleanup: the learner's project found through the pipeline, its report group, log group and tagged role.
        { action: 'codepipeline:GetPipeline', resource: pipelineArn(env) },
        ...['BatchGetProjects', 'ListBuildsForProject', 'BatchGetBuilds', 'DeleteProject'].map((op) => ({ action: `codebuild:${op}`, resource: projectArn(env, TEST_PROJECT_NAME) })),
        { action: 'codebuild:DeleteReportGroup', resource: regional(env, 'codebuild', `report-group/${TEST_PROJECT_NAME}-${REPORT_NAME}`) },
        { action: 'logs:DeleteLogGroup', resource: regional(env, 'logs', `log-group:/aws/codebuild/${TEST_PROJECT_NAME}`) },
        ...['GetRole', 'ListRolePolicies', 'DeleteRolePolicy', 'ListAttachedRolePolicies', 'DetachRolePolicy', 'DeleteRole'].map((op) => ({
          action: `iam:${op}`,
          resource: role('orders-api-test-role'),
          context: { [`aws:ResourceTag/${LAB_TAG_KEY}`]: LAB_ID },
        })),
        {
          action: 'iam:DeleteRole',
          resource: role('payments-ci-role'),
          context: { [`aws:ResourceTag/${LAB_TAG_KEY}`]: 'another-lab' },
          deniedBecause: "the cleanup deletes only a test project's role tagged for this lab",
        },
        { action: 'ssm:PutParameter', resource: regional(env, 'ssm', 'parameter/doplab/another-lab/secret'), deniedBecause: 'the SecureString writer may write its own parameter only' },
        ...[SOURCE, ARTIFACTS, RELEASE].flatMap((bucket) => [
          { action: 's3:ListBucketVersions', resource: bucket },
          { action: 's3:DeleteObject', resource: `${bucket}/src/pricing.js` },
          { action: 's3:DeleteObjectVersion', resource: `${bucket}/src/pricing.js` },
        ]),
      ];
    },
  },
];

/** The services that assume the lab's roles. */
export const servicePrincipalCalls: LabServicePrincipalCalls = (env) => [
  lambdaAssumesRole(env, 'DopLabResources/Handler/Role'),
  { principal: 'codepipeline.amazonaws.com', purpose: `CodePipeline runs ${PIPELINE_NAME}`, action: 'sts:AssumeRole', resource: '@{Orders/Pipeline/Role.Arn}', context: { 'aws:SourceAccount': env.account } },
  { principal: 'codebuild.amazonaws.com', purpose: `CodeBuild runs ${BUILD_PROJECT_NAME}`, action: 'sts:AssumeRole', resource: '@{Orders/BuildProject/Role.Arn}', context: { 'aws:SourceAccount': env.account } },
  { principal: 'events.amazonaws.com', purpose: `EventBridge starts ${PIPELINE_NAME}`, action: 'sts:AssumeRole', resource: '@{Orders/Pipeline/EventsRole.Arn}', context: { 'aws:SourceAccount': env.account } },
];

/**
 * aws-cdk-lib's Bucket.grantReadWrite (the Pipeline's artifact store) and Bucket.grantWrite (S3DeployAction's release
 * bucket) put the bucket ARN next to bucket/* in their write statement (s3:PutObject, s3:DeleteObject*, s3:Abort*…).
 * These actions act on objects only (Service Authorization Reference, Amazon S3: resource type `object`), so the bucket
 * ARN never matches one of their requests and grants nothing: IAM Access Analyzer grades that a warning, not an error.
 * The object grants do the work (roleCalls above proves the pipeline's writes). Not narrowed: the statements are built
 * inside codepipeline.Pipeline and S3DeployAction, and rewriting them would replace CDK's grants with hand-kept ones.
 */
export const acceptedPolicyWarnings: LabAcceptedWarnings = [
  {
    policy: 'Orders/Pipeline/Role/DefaultPolicy',
    resource: ARTIFACTS,
    reason: "CDK's artifact-store grant (Bucket.grantReadWrite): the bucket ARN in the object-write statement grants nothing; bucket/* does the work.",
  },
  {
    policy: 'Orders/Pipeline/Role/DefaultPolicy',
    resource: RELEASE,
    reason: "CDK's S3DeployAction grant (Bucket.grantWrite): the bucket ARN in the object-write statement grants nothing; bucket/* does the work.",
  },
];

/** What the reference solution sends, with the learner's credentials. */
export const solutionActions: readonly string[] = [
  'iam:CreateRole',
  'iam:TagRole',
  'iam:UpdateAssumeRolePolicy',
  'iam:PutRolePolicy',
  'iam:PassRole',
  'codebuild:CreateProject',
  'codebuild:UpdateProject',
  'codepipeline:GetPipeline',
  'codepipeline:UpdatePipeline',
  's3:PutObject',
  'codepipeline:ListPipelineExecutions',
];
