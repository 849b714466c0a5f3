// Reference solution of the permission-boundaries lab, through the SDK: the boundary policy, the AppTeam role's delegation
// policy (replacing the over-broad starting one), and the optional bounded role with AdministratorAccess.
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyVersionCommand,
  IAMClient,
  ListPolicyVersionsCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { awsErrorName } from '../../lib/aws/errors';
import { LAB_TAG_KEY } from '../../lib/contract';
import type { Solution } from '../../lib/lab';
import { partitionOf } from '../../lib/sdk-facts';
import {
  ADMIN_POLICY_NAME,
  APP_PATH,
  APP_TEAM_POLICY_NAME,
  APP_TEAM_ROLE_NAME,
  BOUNDARY_POLICY_NAME,
  LAB_ID,
  LAMBDA_SERVICE,
  Outputs,
  awsManagedPolicyArn,
  iamArnPrefix,
} from './contract';

/** The optional task's role: under /app/, bounded, with AdministratorAccess attached. */
export const DEMO_ROLE_NAME = 'doplab-demo-function';

/** IAM keeps at most 5 versions of a managed policy. */
const MAX_POLICY_VERSIONS = 5;

/** What the policies are written for. */
export interface SolutionTargets {
  readonly partition: string;
  readonly account: string;
  readonly region: string;
  readonly bucketName: string;
  readonly tableArn: string;
  readonly boundaryArn: string;
  readonly appTeamRoleArn: string;
}

/** The permissions boundary: read/write on the app bucket and table, and the functions' logs. Nothing else. */
export function boundaryDocument(t: SolutionTargets): string {
  const logGroups = `arn:${t.partition}:logs:${t.region}:${t.account}:log-group:/aws/lambda/*`;
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'AppObjects', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: `arn:${t.partition}:s3:::${t.bucketName}/*` },
      { Sid: 'AppBucketListing', Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:${t.partition}:s3:::${t.bucketName}` },
      {
        Sid: 'AppTable',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'],
        Resource: [t.tableArn, `${t.tableArn}/index/*`],
      },
      { Sid: 'FunctionLogs', Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [logGroups, `${logGroups}:log-stream:*`] },
    ],
  });
}

/** The AppTeam role's delegation policy: bounded roles under /app/, passed to Lambda only; the boundary and itself out of reach. */
export function delegationDocument(t: SolutionTargets): string {
  const appRoles = `${iamArnPrefix(t.partition, t.account)}role${APP_PATH}*`;
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AppRolesOnlyWithTheBoundary',
        Effect: 'Allow',
        Action: [
          'iam:CreateRole',
          'iam:DeleteRole',
          'iam:PutRolePolicy',
          'iam:DeleteRolePolicy',
          'iam:AttachRolePolicy',
          'iam:DetachRolePolicy',
          'iam:UpdateAssumeRolePolicy',
          'iam:PutRolePermissionsBoundary',
        ],
        Resource: appRoles,
        Condition: { StringEquals: { 'iam:PermissionsBoundary': t.boundaryArn } },
      },
      { Sid: 'ReadAndTagAppRoles', Effect: 'Allow', Action: ['iam:GetRole', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies', 'iam:TagRole'], Resource: appRoles },
      { Sid: 'Browse', Effect: 'Allow', Action: ['iam:ListRoles', 'iam:ListPolicies', 'iam:GetPolicy', 'iam:GetPolicyVersion'], Resource: '*' },
      { Sid: 'PassAppRolesToLambdaOnly', Effect: 'Allow', Action: 'iam:PassRole', Resource: appRoles, Condition: { StringEquals: { 'iam:PassedToService': LAMBDA_SERVICE } } },
      { Sid: 'NeverRemoveABoundary', Effect: 'Deny', Action: 'iam:DeleteRolePermissionsBoundary', Resource: '*' },
      {
        Sid: 'TheBoundaryIsImmutable',
        Effect: 'Deny',
        Action: ['iam:CreatePolicyVersion', 'iam:DeletePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicy'],
        Resource: t.boundaryArn,
      },
      {
        Sid: 'NoChangesToItself',
        Effect: 'Deny',
        Action: ['iam:PutRole*', 'iam:DeleteRole*', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:UpdateRole'],
        Resource: t.appTeamRoleArn,
      },
    ],
  });
}

const LAMBDA_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: LAMBDA_SERVICE }, Action: 'sts:AssumeRole' }],
});

function alreadyExists(error: unknown): boolean {
  return awsErrorName(error) === 'EntityAlreadyExists' || awsErrorName(error) === 'EntityAlreadyExistsException';
}

/** Writes the boundary policy: created, or a new default version of it when it exists (making room for it first). */
async function writeBoundary(iam: IAMClient, t: SolutionTargets): Promise<void> {
  const PolicyDocument = boundaryDocument(t);
  try {
    await iam.send(
      new CreatePolicyCommand({
        PolicyName: BOUNDARY_POLICY_NAME,
        PolicyDocument,
        Description: `Permissions boundary of the app team's roles (doplab lab ${LAB_ID})`,
        Tags: [{ Key: LAB_TAG_KEY, Value: LAB_ID }],
      }),
    );
    return;
  } catch (error) {
    if (!alreadyExists(error)) throw error;
  }
  const versions = (await iam.send(new ListPolicyVersionsCommand({ PolicyArn: t.boundaryArn }))).Versions ?? [];
  const old = versions.filter((v) => !v.IsDefaultVersion).sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0));
  if (versions.length >= MAX_POLICY_VERSIONS && old[0]?.VersionId) {
    await iam.send(new DeletePolicyVersionCommand({ PolicyArn: t.boundaryArn, VersionId: old[0].VersionId }));
  }
  await iam.send(new CreatePolicyVersionCommand({ PolicyArn: t.boundaryArn, PolicyDocument, SetAsDefault: true }));
}

export const solve: Solution<typeof Outputs> = async (ctx) => {
  const iam = ctx.client(IAMClient);
  const partition = partitionOf(ctx.region);
  const t: SolutionTargets = {
    partition,
    account: ctx.account,
    region: ctx.region,
    bucketName: ctx.outputs.appBucketName,
    tableArn: ctx.outputs.appTableArn,
    boundaryArn: ctx.outputs.boundaryPolicyArn,
    appTeamRoleArn: ctx.outputs.appTeamRoleArn,
  };

  ctx.log(`Boundary ${BOUNDARY_POLICY_NAME}: read/write on ${t.bucketName} and its table, and Lambda logs`);
  await writeBoundary(iam, t);

  ctx.log(`Role ${APP_TEAM_ROLE_NAME}: policy ${APP_TEAM_POLICY_NAME} replaced by roles under ${APP_PATH} with the boundary, passed to Lambda only`);
  await iam.send(new PutRolePolicyCommand({ RoleName: APP_TEAM_ROLE_NAME, PolicyName: APP_TEAM_POLICY_NAME, PolicyDocument: delegationDocument(t) }));

  ctx.log(`Optional: role ${APP_PATH}${DEMO_ROLE_NAME} with the boundary and ${ADMIN_POLICY_NAME}`);
  try {
    await iam.send(
      new CreateRoleCommand({
        RoleName: DEMO_ROLE_NAME,
        Path: APP_PATH,
        AssumeRolePolicyDocument: LAMBDA_TRUST,
        PermissionsBoundary: t.boundaryArn,
        Description: `A bounded app role with ${ADMIN_POLICY_NAME} (doplab lab ${LAB_ID})`,
        Tags: [{ Key: LAB_TAG_KEY, Value: LAB_ID }],
      }),
    );
  } catch (error) {
    if (!alreadyExists(error)) throw error;
    await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: DEMO_ROLE_NAME, PermissionsBoundary: t.boundaryArn }));
  }
  await iam.send(new AttachRolePolicyCommand({ RoleName: DEMO_ROLE_NAME, PolicyArn: awsManagedPolicyArn(partition, ADMIN_POLICY_NAME) }));
};
