// The calls each role of the lab must be able to make (the policy proofs simulate them against the synthesized
// policies). Where CloudFormation generates a name, `@{<construct path>.<attribute>}` stands for it.
import { lambdaAssumesRole, type LabRoleCalls, type LabServicePrincipalCalls } from '../../lib/policy/calls';
import { regionalArn, s3SourcePipelineCalls } from '../../lib/policy/s3-source-pipeline-calls';
import type { LabAcceptedWarnings } from '../../lib/policy/warnings';
import { LAB_TAG_KEY } from '../../lib/contract';
import { API_KEY_PARAMETER, BUILD_PROJECT_NAME, LAB_ID, PIPELINE_NAME, SOURCE_KEY } from './contract';
import { REPORT_NAME, TEST_PROJECT_NAME } from './solution';

const pipeline = s3SourcePipelineCalls({ path: 'Orders', pipelineName: PIPELINE_NAME, sourceKey: SOURCE_KEY, buildProjectName: BUILD_PROJECT_NAME });

export const roleCalls: LabRoleCalls = [
  {
    role: 'Orders/Pipeline/Role',
    purpose: `CodePipeline ${PIPELINE_NAME} (every action runs with the pipeline role)`,
    calls: (env) => [
      ...pipeline.sourceCalls(),
      // Build, and the learner's Test stage (a project the learner names).
      ...pipeline.buildActionCalls(env, [BUILD_PROJECT_NAME, TEST_PROJECT_NAME]),
      // Deploy: extracts the build output into the release bucket.
      { action: 's3:PutObject', resource: `${pipeline.release}/src/pricing.js` },
    ],
  },
  {
    role: 'Orders/BuildProject/Role',
    purpose: `CodeBuild project ${BUILD_PROJECT_NAME} (the Build stage)`,
    calls: (env) => pipeline.buildRoleCalls(env),
  },
  pipeline.eventsRole,
  {
    role: 'DopLabResources/Handler/Role',
    purpose: 'inline custom resources: the seeded source writer, the SecureString parameter and the in-stack cleanup',
    calls: (env) => {
      const parameter = regionalArn(env, 'ssm', `parameter/${API_KEY_PARAMETER.slice(1)}`);
      const role = (name: string) => `arn:${env.partition}:iam::${env.account}:role/service-role/${name}`;
      return [
        // Source writer.
        ...pipeline.seedCalls(env, LAB_ID),
        // SecureString: PutParameter with tags needs AddTagsToResource.
        { action: 'ssm:PutParameter', resource: parameter },
        { action: 'ssm:AddTagsToResource', resource: parameter },
        { action: 'ssm:DeleteParameter', resource: parameter },
        // Cleanup: the learner's project found through the pipeline, its report group, log group and tagged role.
        { action: 'codepipeline:GetPipeline', resource: pipeline.pipelineArn(env) },
        ...['BatchGetProjects', 'ListBuildsForProject', 'BatchGetBuilds', 'DeleteProject'].map((op) => ({ action: `codebuild:${op}`, resource: pipeline.projectArn(env, TEST_PROJECT_NAME) })),
        { action: 'codebuild:DeleteReportGroup', resource: regionalArn(env, 'codebuild', `report-group/${TEST_PROJECT_NAME}-${REPORT_NAME}`) },
        { action: 'logs:DeleteLogGroup', resource: regionalArn(env, 'logs', `log-group:/aws/codebuild/${TEST_PROJECT_NAME}`) },
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
        { action: 'ssm:PutParameter', resource: regionalArn(env, 'ssm', 'parameter/doplab/another-lab/secret'), deniedBecause: 'the SecureString writer may write its own parameter only' },
        ...pipeline.emptyBucketCalls('src/pricing.js'),
      ];
    },
  },
];

/** The services that assume the lab's roles. */
export const servicePrincipalCalls: LabServicePrincipalCalls = (env) => [lambdaAssumesRole(env, 'DopLabResources/Handler/Role'), ...pipeline.servicePrincipalCalls(env)];

/** CDK's grants of the pipeline put bucket ARNs in object-write statements (see s3SourcePipelineCalls). */
export const acceptedPolicyWarnings: LabAcceptedWarnings = pipeline.acceptedPolicyWarnings;

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
