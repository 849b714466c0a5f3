// The grader role: what an instructor's account may do in a learner's account. No CDK import here:
// `doplab grader-role` prints it without loading aws-cdk-lib; lib/grade/grader-role-stack.ts deploys the same.
import { checkerActions } from '../engine';
import { DoplabError } from '../errors';
import type { AnyLab } from '../registry';

/** The role name `--role-name` defaults to in rosters and templates. */
export const DEFAULT_GRADER_ROLE_NAME = 'DopLabGrader';

/** The stack that holds the grader role when deployed with the CDK app. */
export const GRADER_ROLE_STACK_NAME = 'DopLab-GraderRole';

/** CDK context keys of the grader role stack (`cdk deploy DopLab-GraderRole -c key=value`). */
export const GRADER_CONTEXT = {
  instructorAccount: 'doplab:grader:instructorAccount',
  externalId: 'doplab:grader:externalId',
  roleName: 'doplab:grader:roleName',
  labs: 'doplab:grader:labs',
} as const;

/** Exactly the union of the read-only actions the labs' checkers declare (reading the lab stack included), sorted. */
export function graderActions(labs: readonly AnyLab[]): string[] {
  return [...new Set(labs.flatMap((lab) => checkerActions(lab.checker)))].sort();
}

/** The permissions of the grader role: the union of the checkers' actions, nothing else. */
export function graderPermissions(labs: readonly AnyLab[]) {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'DopLabCheckersReadOnly', Effect: 'Allow', Action: graderActions(labs), Resource: '*' }],
  };
}

/** Who may assume the grader role: the instructor's account, only with the external id. */
export function graderTrust(instructorAccount: string, externalId: string, partition = 'aws') {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:${partition}:iam::${instructorAccount}:root` },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': externalId } },
      },
    ],
  };
}

/** Validates what the trust policy is built from; bad values are usage errors. */
export function validateGraderInputs(instructorAccount: string | undefined, externalId: string | undefined, roleName: string): { instructorAccount: string; externalId: string } {
  if (instructorAccount === undefined || !/^\d{12}$/.test(instructorAccount)) {
    throw new DoplabError('BAD_OPTION', 'usage', `--instructor-account must be your 12-digit AWS account id; got "${instructorAccount ?? ''}".`, {
      hint: 'aws sts get-caller-identity prints it.',
    });
  }
  if (externalId === undefined || !/^[\w+=,.@:/-]{2,1224}$/.test(externalId)) {
    throw new DoplabError('BAD_OPTION', 'usage', '--external-id must be 2 to 1224 characters of letters, digits and +=,.@:/- (e.g. a random string you also put in the roster).');
  }
  if (!/^[\w+=,.@-]{1,64}$/.test(roleName)) throw new DoplabError('BAD_OPTION', 'usage', `--role-name "${roleName}" is not an IAM role name.`);
  return { instructorAccount, externalId };
}

/** The template's rule that keeps a StackSet to one region: IAM is global, and the role has a fixed name. */
export const ONE_REGION_RULE = 'GraderRoleInOneRegionOnly';

/**
 * A plain CloudFormation template of the grader role (no CDK, no bootstrap), with the instructor's
 * account and external id as parameters: roll it out to a whole OU with a service-managed StackSet, in
 * exactly one region (`RoleRegion`): the role's name is fixed (rosters name it), and IAM is global, so a
 * second region's stack instance would fail on the existing role. A rule refuses any other region at once,
 * saying so, instead.
 */
export function graderRoleTemplate(
  labs: readonly AnyLab[],
  defaults: { instructorAccount?: string; externalId?: string; roleName?: string; region?: string } = {},
) {
  const param = (description: string, value: string | undefined, extra: object = {}) => ({
    Type: 'String',
    Description: description,
    ...extra,
    ...(value !== undefined ? { Default: value } : {}),
  });
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `doplab grader role: read-only access for grading ${labs.map((l) => l.id).join(', ')}, assumable by the instructor's account with an external id.`,
    Parameters: {
      InstructorAccountId: param("The instructor's AWS account id (trusted to assume the role)", defaults.instructorAccount, { AllowedPattern: '^\\d{12}$' }),
      ExternalId: param('The external id the instructor passes to AssumeRole (also in the roster)', defaults.externalId, { AllowedPattern: '^[\\w+=,.@:/-]{2,1224}$', NoEcho: true }),
      RoleName: param('Name of the grader role', defaults.roleName ?? DEFAULT_GRADER_ROLE_NAME, { AllowedPattern: '^[\\w+=,.@-]{1,64}$' }),
      RoleRegion: param(
        'The one region to deploy this template to (a StackSet: target only this region). IAM is global: the role exists once per account.',
        defaults.region,
        { AllowedPattern: '^[a-z]{2}(-gov)?-[a-z]+-\\d{1,2}$' },
      ),
    },
    Rules: {
      [ONE_REGION_RULE]: {
        Assertions: [
          {
            Assert: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, { Ref: 'RoleRegion' }] },
            AssertDescription:
              'The grader role is global (IAM) and has a fixed name: deploy this template to the RoleRegion region only. ' +
              'For a StackSet, target exactly one region, the same as RoleRegion.',
          },
        ],
      },
    },
    Resources: {
      GraderRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: { Ref: 'RoleName' },
          Description: 'doplab grader: reads what the lab checkers need, nothing else',
          MaxSessionDuration: 3600,
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${InstructorAccountId}:root' } },
                Action: 'sts:AssumeRole',
                Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'ExternalId' } } },
              },
            ],
          },
          Policies: [{ PolicyName: 'DopLabCheckersReadOnly', PolicyDocument: graderPermissions(labs) }],
          Tags: [{ Key: 'doplab:grader', Value: 'true' }],
        },
      },
    },
    Outputs: { GraderRoleArn: { Value: { 'Fn::GetAtt': ['GraderRole', 'Arn'] } } },
  };
}
