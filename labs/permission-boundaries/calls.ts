// The calls each role of the permission-boundaries stack must be able to make (lib/policy/calls.ts), as the code forms them.
import { lambdaAssumesRole, type CallEnv, type DeclaredCall, type LabRoleCalls, type LabServicePrincipalCalls } from '../../lib/policy/calls';
import {
  ADMIN_POLICY_NAME,
  APP_PATH,
  APP_TEAM_ROLE_NAME,
  BOUNDARY_POLICY_NAME,
  LAB_ID,
  LAMBDA_SERVICE,
  appBucketName,
  awsManagedPolicyArn,
  iamArnPrefix,
} from './contract';

/** A role the app team makes for one of its functions. */
const APP_ROLE = `role${APP_PATH}orders-function`;

function arns(env: CallEnv) {
  const iam = iamArnPrefix(env.partition, env.account);
  const bucket = appBucketName(env.account, env.region);
  return {
    appTeam: `${iam}role/${APP_TEAM_ROLE_NAME}`,
    appRole: `${iam}${APP_ROLE}`,
    boundary: `${iam}policy/${BOUNDARY_POLICY_NAME}`,
    bucket: `arn:${env.partition}:s3:::${bucket}`,
    logStream: `arn:${env.partition}:logs:${env.region}:${env.account}:log-group:/doplab/${LAB_ID}/lambda/cleanup:log-stream:2026/11/27/[$LATEST]0a1b2c3d4e5f`,
    iam,
  };
}

/**
 * The AppTeam role's calls: what the app team must be able to do (create bounded roles under /app/ for its functions,
 * give them policies, pass them to Lambda). The starting policy allows all of them, and far more (the scenario's flaw,
 * which the learner fixes without taking any of these away).
 */
function appTeamCalls(env: CallEnv): DeclaredCall[] {
  const a = arns(env);
  const bounded = { 'iam:PermissionsBoundary': a.boundary };
  return [
    { action: 'iam:CreateRole', resource: a.appRole, context: bounded },
    { action: 'iam:TagRole', resource: a.appRole },
    { action: 'iam:GetRole', resource: a.appRole },
    { action: 'iam:ListRoles', resource: '*' },
    { action: 'iam:PutRolePolicy', resource: a.appRole, context: bounded },
    { action: 'iam:DeleteRolePolicy', resource: a.appRole, context: bounded },
    { action: 'iam:AttachRolePolicy', resource: a.appRole, context: { ...bounded, 'iam:PolicyARN': awsManagedPolicyArn(env.partition, ADMIN_POLICY_NAME) } },
    { action: 'iam:DetachRolePolicy', resource: a.appRole, context: { ...bounded, 'iam:PolicyARN': awsManagedPolicyArn(env.partition, ADMIN_POLICY_NAME) } },
    { action: 'iam:ListRolePolicies', resource: a.appRole },
    { action: 'iam:ListAttachedRolePolicies', resource: a.appRole },
    { action: 'iam:UpdateAssumeRolePolicy', resource: a.appRole, context: bounded },
    { action: 'iam:DeleteRole', resource: a.appRole, context: bounded },
    { action: 'iam:PassRole', resource: a.appRole, context: { 'iam:PassedToService': LAMBDA_SERVICE } },
    { action: 'iam:ListPolicies', resource: '*' },
    { action: 'iam:GetPolicy', resource: a.boundary },
    { action: 'iam:GetPolicyVersion', resource: a.boundary },
  ];
}

/** The in-stack cleanup (cleanup.handler.js): every command it sends, on the ARNs it sends them for. */
function cleanupCalls(env: CallEnv): DeclaredCall[] {
  const a = arns(env);
  const appPolicy = `${a.iam}policy${APP_PATH}orders-data`;
  const learnerPolicy = `${a.iam}policy/AppTeamDelegation`;
  const appProfile = `${a.iam}instance-profile${APP_PATH}orders-worker`;
  const otherProfile = `${a.iam}instance-profile/orders-worker`;
  const policyCalls = (resource: string): DeclaredCall[] =>
    ['iam:ListEntitiesForPolicy', 'iam:ListPolicyVersions', 'iam:DeletePolicyVersion', 'iam:DeletePolicy'].map((action) => ({ action, resource }));
  return [
    { action: 'iam:ListRoles', resource: '*' },
    { action: 'iam:ListPolicies', resource: '*' },
    { action: 'iam:ListInstanceProfiles', resource: '*' },
    ...['iam:ListAttachedRolePolicies', 'iam:DetachRolePolicy', 'iam:ListRolePolicies', 'iam:DeleteRolePolicy', 'iam:GetRole', 'iam:DeleteRolePermissionsBoundary'].map(
      (action) => ({ action, resource: a.appTeam }),
    ),
    ...[
      'iam:ListInstanceProfilesForRole',
      'iam:ListAttachedRolePolicies',
      'iam:DetachRolePolicy',
      'iam:ListRolePolicies',
      'iam:DeleteRolePolicy',
      'iam:DeleteRole',
    ].map((action) => ({ action, resource: a.appRole })),
    { action: 'iam:RemoveRoleFromInstanceProfile', resource: appProfile },
    { action: 'iam:RemoveRoleFromInstanceProfile', resource: otherProfile },
    { action: 'iam:DeleteInstanceProfile', resource: appProfile },
    ...policyCalls(appPolicy),
    ...policyCalls(learnerPolicy),
    ...policyCalls(a.boundary),
    { action: 's3:ListBucketVersions', resource: a.bucket },
    { action: 's3:DeleteObject', resource: `${a.bucket}/uploads/report.json` },
    { action: 's3:DeleteObjectVersion', resource: `${a.bucket}/uploads/report.json` },
    { action: 'logs:CreateLogStream', resource: a.logStream },
    { action: 'logs:PutLogEvents', resource: a.logStream },
    // Nothing outside what the lab owns (the proofs check that each of these is refused).
    ...[
      { action: 'iam:DeleteRole', resource: `${a.iam}role/OrganizationAccountAccessRole` },
      { action: 'iam:DetachRolePolicy', resource: `${a.iam}role/OrganizationAccountAccessRole` },
      { action: 'iam:DeleteRolePermissionsBoundary', resource: a.appRole },
      { action: 'iam:DeleteInstanceProfile', resource: `${a.iam}instance-profile/web-servers` },
      { action: 'iam:CreatePolicyVersion', resource: a.boundary },
      { action: 's3:DeleteObject', resource: `arn:${env.partition}:s3:::another-bucket/report.json` },
    ].map((call) => ({ ...call, deniedBecause: 'the cleanup touches only what the lab and the learner made for it' })),
  ];
}

export const roleCalls: LabRoleCalls = [
  { role: 'AppTeam', purpose: 'the app team (assumed by the account administrators, for trying things)', calls: appTeamCalls },
  { role: 'Cleanup/Handler/Role', purpose: 'in-stack cleanup handler', calls: cleanupCalls },
];

/** The service deliveries the lab relies on: Lambda assumes the cleanup's role. (AppTeam is assumed by the account, not a service.) */
export const servicePrincipalCalls: LabServicePrincipalCalls = (env) => [lambdaAssumesRole(env, 'Cleanup/Handler/Role')];

/** What the reference solution (solution.ts) sends, with the learner's credentials. */
export const solutionActions: readonly string[] = [
  'iam:CreatePolicy',
  'iam:TagPolicy',
  'iam:ListPolicyVersions',
  'iam:DeletePolicyVersion',
  'iam:CreatePolicyVersion',
  'iam:PutRolePolicy',
  'iam:CreateRole',
  'iam:TagRole',
  'iam:PutRolePermissionsBoundary',
  'iam:AttachRolePolicy',
];
