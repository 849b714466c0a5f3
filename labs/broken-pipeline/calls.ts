// The calls each role of the lab must be able to make (the policy proofs simulate them against the synthesized
// policies). Where CloudFormation generates a name, `@{<construct path>.<attribute>}` stands for it.
import { lambdaAssumesRole, type LabRoleCalls, type LabServicePrincipalCalls } from '../../lib/policy/calls';
import { regionalArn, s3SourcePipelineCalls } from '../../lib/policy/s3-source-pipeline-calls';
import type { LabAcceptedWarnings } from '../../lib/policy/warnings';
import { LAB_TAG_KEY } from '../../lib/contract';
import { BUILD_PROJECT_NAME, LAB_ID, MARKER_KEY, PARAMETER_NAME, PIPELINE_NAME, SOURCE_KEY } from './contract';

const pipeline = s3SourcePipelineCalls({ path: 'StatusPage', pipelineName: PIPELINE_NAME, sourceKey: SOURCE_KEY, buildProjectName: BUILD_PROJECT_NAME });
const BUILD_ROLE = '@{StatusPage/BuildProject/Role.Arn}';
const PIPELINE_ROLE = '@{StatusPage/Pipeline/Role.Arn}';

export const roleCalls: LabRoleCalls = [
  {
    role: 'StatusPage/Pipeline/Role',
    purpose: `CodePipeline ${PIPELINE_NAME} (every action runs with the pipeline role)`,
    calls: (env) => [
      ...pipeline.sourceCalls(),
      ...pipeline.buildActionCalls(env, [BUILD_PROJECT_NAME]),
      // Deploy: extracts the build output into the release bucket.
      ...['index.html', MARKER_KEY].map((file) => ({ action: 's3:PutObject', resource: `${pipeline.release}/${file}` })),
    ],
  },
  {
    role: 'StatusPage/BuildProject/Role',
    purpose: `CodeBuild project ${BUILD_PROJECT_NAME} (the Build stage)`,
    calls: (env) => [
      ...pipeline.buildRoleCalls(env),
      {
        action: 'ssm:GetParameters',
        resource: regionalArn(env, 'ssm', `parameter/${PARAMETER_NAME.slice(1)}`),
        deniedBecause: "the scenario's first failure: the buildspec reads the banner from Parameter Store, and nothing lets the build role read it (the learner grants it)",
      },
    ],
  },
  pipeline.eventsRole,
  {
    role: 'DopLabResources/Handler/Role',
    purpose: 'inline custom resources: the seeded source writer and the in-stack cleanup',
    calls: (env) => [
      ...pipeline.seedCalls(env, LAB_ID),
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
      ...pipeline.emptyBucketCalls(MARKER_KEY),
    ],
  },
];

/** The services that assume the lab's roles. */
export const servicePrincipalCalls: LabServicePrincipalCalls = (env) => [lambdaAssumesRole(env, 'DopLabResources/Handler/Role'), ...pipeline.servicePrincipalCalls(env)];

/** CDK's grants of the pipeline put bucket ARNs in object-write statements (see s3SourcePipelineCalls). */
export const acceptedPolicyWarnings: LabAcceptedWarnings = pipeline.acceptedPolicyWarnings;

/** What the reference solution sends, with the learner's credentials. */
export const solutionActions: readonly string[] = ['iam:PutRolePolicy', 'codepipeline:ListPipelineExecutions', 's3:PutObject'];
