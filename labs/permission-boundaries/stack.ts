import { join } from 'node:path';
import { Aws, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { InlineCleanup } from '../../lib/cdk/inline-cleanup';
import { DopLabStack } from '../../lib/cdk/lab-stack';
import {
  APP_PATH,
  APP_TEAM_POLICY_NAME,
  APP_TEAM_ROLE_NAME,
  BOUNDARY_POLICY_NAME,
  LAB_ID,
  Outputs,
  STARTING_POLICY_ACTIONS,
  STARTING_ROLE_ACTIONS,
  appBucketName,
} from './contract';

/** Starting state: an AppTeam role that may create any role and attach any policy, and the app's bucket and table. */
export class PermissionBoundariesStack extends DopLabStack {
  constructor(scope: Construct) {
    super(scope, LAB_ID, 'doplab lab permission-boundaries: an app team that can make itself admin; delegate role creation safely.');

    const bucket = new s3.Bucket(this, 'AppBucket', {
      bucketName: appBucketName(Aws.ACCOUNT_ID, Aws.REGION),
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'A lab bucket that holds no data; server access logs would need a log bucket that outlives the lab, for no lesson.',
    });

    const table = new dynamodb.Table(this, 'AppTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(table).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason: 'An empty table of a short-lived lab: point-in-time recovery would cost money and protect nothing.',
    });

    // Assumable by the account's administrators (whoever may sts:AssumeRole in the account), for trying things.
    const appTeam = new iam.Role(this, 'AppTeam', {
      roleName: APP_TEAM_ROLE_NAME,
      assumedBy: new iam.AccountRootPrincipal(),
      description: `The app team of doplab lab ${LAB_ID}: creates roles for its Lambda functions.`,
      inlinePolicies: {
        [APP_TEAM_POLICY_NAME]: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ sid: 'ManageAnyRole', actions: [...STARTING_ROLE_ACTIONS], resources: ['*'] }),
            new iam.PolicyStatement({ sid: 'ManageAnyPolicy', actions: [...STARTING_POLICY_ACTIONS], resources: ['*'] }),
          ],
        }),
      },
    });
    Validations.of(appTeam).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "The scenario's intended flaw, which the learner fixes: the app team may create any role and attach or edit any policy, " +
        'so it could make itself an administrator.',
    });

    const boundaryArn = this.formatArn({ service: 'iam', region: '', resource: 'policy', resourceName: BOUNDARY_POLICY_NAME });
    const cleanup = new InlineCleanup(this, 'Cleanup', {
      labId: LAB_ID,
      handlerFile: join(__dirname, 'cleanup.handler.js'),
      properties: {
        AppPath: APP_PATH,
        BoundaryPolicyArn: boundaryArn,
        AppTeamRoleName: APP_TEAM_ROLE_NAME,
        AppTeamPolicyName: APP_TEAM_POLICY_NAME,
        BucketName: bucket.bucketName,
      },
      // Deleted first: CloudFormation cannot delete the AppTeam role while learner policies are attached to it, nor a
      // bucket with objects in it.
      guards: [appTeam, bucket],
      statements: this.cleanupStatements(bucket),
    });
    Validations.of(cleanup.handler.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ListRoles, ListPolicies and ListInstanceProfiles support no resource type; the cleanup lists the /app/ path with them.',
      },
      ...Object.entries(CLEANUP_WILDCARD_REASONS).map(([resource, reason]) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:${resource}]`,
        reason,
      })),
      {
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
        reason: 'Emptying the app bucket means deleting every object version in it, whatever the learner or their functions put there.',
      },
    );

    this.exportOutputs(Outputs, {
      appTeamRoleArn: appTeam.roleArn,
      boundaryPolicyArn: boundaryArn,
      appBucketName: bucket.bucketName,
      appTableArn: table.tableArn,
    });
  }

  private cleanupStatements(bucket: s3.Bucket): iam.PolicyStatement[] {
    const iamArn = (resource: string) => `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:${resource}`;
    const appRoles = iamArn('role/app/*');
    const appTeam = iamArn(`role/${APP_TEAM_ROLE_NAME}`);
    return [
      new iam.PolicyStatement({ actions: ['iam:ListRoles', 'iam:ListPolicies', 'iam:ListInstanceProfiles'], resources: ['*'] }),
      // The app team's roles, and what the learner attached to the AppTeam role itself.
      new iam.PolicyStatement({
        actions: ['iam:ListRolePolicies', 'iam:DeleteRolePolicy', 'iam:ListAttachedRolePolicies', 'iam:DetachRolePolicy'],
        resources: [appRoles, appTeam],
      }),
      new iam.PolicyStatement({ actions: ['iam:ListInstanceProfilesForRole', 'iam:DeleteRole'], resources: [appRoles] }),
      new iam.PolicyStatement({ actions: ['iam:GetRole', 'iam:DeleteRolePermissionsBoundary'], resources: [appTeam] }),
      new iam.PolicyStatement({ actions: ['iam:RemoveRoleFromInstanceProfile'], resources: [iamArn('instance-profile/*')] }),
      new iam.PolicyStatement({ actions: ['iam:DeleteInstanceProfile'], resources: [iamArn('instance-profile/app/*')] }),
      // Policies under /app/, the boundary, and the policies the learner attached to the AppTeam role (any name: the code
      // deletes one of those only once it is attached to nothing): every version, then the policy.
      new iam.PolicyStatement({
        actions: ['iam:ListEntitiesForPolicy', 'iam:ListPolicyVersions', 'iam:DeletePolicyVersion', 'iam:DeletePolicy'],
        resources: [iamArn('policy/*')],
      }),
      new iam.PolicyStatement({ actions: ['s3:ListBucket', 's3:ListBucketVersions'], resources: [bucket.bucketArn] }),
      new iam.PolicyStatement({ actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'], resources: [bucket.arnForObjects('*')] }),
    ];
  }
}

/** Why the cleanup role's IAM wildcards are as wide as they are (cdk-nag AwsSolutions-IAM5). */
const CLEANUP_WILDCARD_REASONS: Record<string, string> = {
  'role/app/*': 'The lab owns the IAM path /app/ in the sandbox account: destroy deletes the roles the learner and the app team made there.',
  'instance-profile/app/*': 'The lab owns the IAM path /app/ in the sandbox account: destroy deletes the instance profiles made there.',
  'instance-profile/*': 'A role under /app/ must leave every instance profile before it can be deleted, wherever the learner put the profile.',
  'policy/*':
    'Policies under /app/ and the DopLab-AppBoundary policy are the lab\'s; the learner names the policies they attach to the AppTeam role, ' +
    'which the cleanup deletes only after detaching them from that role, and only when they are then attached to nothing else.',
};

/** Adds the lab's stack to a CDK app. */
export function addLabStack(app: Construct): PermissionBoundariesStack {
  return new PermissionBoundariesStack(app);
}
