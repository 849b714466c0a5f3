// Names shared by the stack, the checker, the cleanup and the solution. No CDK import: the checker loads this.

export const LAB_ID = 'permission-boundaries';

/** Stack outputs the checker and the solution read (values are CloudFormation output ids). */
export const Outputs = {
  /** The role the app team works with: `DopLab-permission-boundaries-AppTeam`. */
  appTeamRoleArn: 'AppTeamRoleArn',
  /** Where the learner's boundary policy lives: `arn:<partition>:iam::<account>:policy/DopLab-AppBoundary`. */
  boundaryPolicyArn: 'BoundaryPolicyArn',
  /** `doplab-permission-boundaries-app-<account>-<region>`. */
  appBucketName: 'AppBucketName',
  appTableArn: 'AppTableArn',
} as const;

/** The role the app team assumes; the starting state lets it create any role and attach any policy. */
export const APP_TEAM_ROLE_NAME = `DopLab-${LAB_ID}-AppTeam`;

/** The name of the stack's own (over-broad) inline policy on the AppTeam role; CloudFormation deletes it with the role. */
export const APP_TEAM_POLICY_NAME = 'AppTeamAccess';

/** The managed policy the learner writes (at the default path `/`, as the console creates it): the permissions boundary. */
export const BOUNDARY_POLICY_NAME = 'DopLab-AppBoundary';

/** The IAM path the app team's roles live under; the lab owns it in the sandbox account (destroy empties it). */
export const APP_PATH = '/app/';

/** The one service the app team's roles may be passed to. */
export const LAMBDA_SERVICE = 'lambda.amazonaws.com';

/** The AWS managed policy an escalation would attach (optional task 3 attaches it to a bounded role on purpose). */
export const ADMIN_POLICY_NAME = 'AdministratorAccess';

/** The app bucket's name. */
export function appBucketName(account: string, region: string): string {
  return `doplab-${LAB_ID}-app-${account}-${region}`;
}

/** The ARN prefix of IAM entities in an account: `arn:<partition>:iam::<account>:`. */
export function iamArnPrefix(partition: string, account: string): string {
  return `arn:${partition}:iam::${account}:`;
}

/** The ARN of an AWS managed policy, e.g. AdministratorAccess. */
export function awsManagedPolicyArn(partition: string, name: string): string {
  return `arn:${partition}:iam::aws:policy/${name}`;
}

/** What the starting AppTeam policy allows on IAM roles, on any role (the scenario's flaw). */
export const STARTING_ROLE_ACTIONS = [
  'iam:CreateRole',
  'iam:DeleteRole',
  'iam:GetRole',
  'iam:ListRoles',
  'iam:TagRole',
  'iam:UpdateAssumeRolePolicy',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:ListRolePolicies',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:ListAttachedRolePolicies',
  'iam:PutRolePermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary',
  'iam:PassRole',
] as const;

/** What the starting AppTeam policy allows on managed policies, on any policy (the scenario's flaw). */
export const STARTING_POLICY_ACTIONS = [
  'iam:CreatePolicy',
  'iam:GetPolicy',
  'iam:GetPolicyVersion',
  'iam:ListPolicies',
  'iam:ListPolicyVersions',
  'iam:CreatePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:DeletePolicyVersion',
  'iam:DeletePolicy',
] as const;
