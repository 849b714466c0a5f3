import { Aws, CfnOutput, LegacyStackSynthesizer, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

import { BASE_STACK_NAME, EXECUTION_ROLE_OUTPUT } from './base-names';

export { BASE_STACK_NAME, EXECUTION_ROLE_OUTPUT };

/**
 * The services lab stacks create resources in (IAM prefixes). A lab whose template uses another service
 * fails test/lib/cdk/base-stack.test.ts until it is added here. IAM is handled apart (roles `DopLab-*` only).
 */
export const LAB_SERVICES = [
  'logs',
  'lambda',
  'events',
  'sns',
  'scheduler',
  'cloudwatch',
  'ec2',
  'autoscaling',
  'ecs',
  'elasticloadbalancing',
  'codedeploy',
  's3',
  'config',
  'dynamodb',
  'sqs',
  'ecr',
  'codeartifact',
  'ssm',
  'codebuild',
  'codepipeline',
  'cloudtrail',
  'backup',
  // CreateBackupVault ties the vault to its key with backup-storage:MountCapsule ("Backup vault creation and deletion").
  'backup-storage',
] as const;

/** Services that create their service-linked role the first time a lab uses them in an account. */
const SERVICE_LINKED_ROLES = ['ecs.amazonaws.com', 'elasticloadbalancing.amazonaws.com', 'config.amazonaws.com', 'autoscaling.amazonaws.com'] as const;

/** The IAM actions CloudFormation needs to manage a lab's roles (CDK-generated names start with the stack name). */
const ROLE_ACTIONS = [
  'iam:GetRole',
  'iam:CreateRole',
  'iam:DeleteRole',
  'iam:UpdateRole',
  'iam:UpdateRoleDescription',
  'iam:UpdateAssumeRolePolicy',
  'iam:TagRole',
  'iam:UntagRole',
  'iam:GetRolePolicy',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:ListRolePolicies',
  'iam:ListAttachedRolePolicies',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:PassRole',
];

/** The IAM actions CloudFormation needs to manage the instance profiles of a lab's EC2 instances. */
const INSTANCE_PROFILE_ACTIONS = [
  'iam:GetInstanceProfile',
  'iam:CreateInstanceProfile',
  'iam:DeleteInstanceProfile',
  'iam:AddRoleToInstanceProfile',
  'iam:RemoveRoleFromInstanceProfile',
  'iam:TagInstanceProfile',
  'iam:UntagInstanceProfile',
];

/**
 * DopLab-Base: the CloudFormation execution (service) role lab stacks are deployed with. It lives outside
 * the lab stacks so that a DeleteStack from the expiry schedule, whose role may only call DeleteStack,
 * is carried out with this role, and so the role survives the deletion it performs. Scoped to the
 * services labs use, in this region, and to IAM roles named `DopLab-*`.
 */
export class DopLabBaseStack extends Stack {
  readonly executionRole: iam.Role;

  constructor(scope: Construct) {
    super(scope, BASE_STACK_NAME, {
      stackName: BASE_STACK_NAME,
      description: 'doplab base: the CloudFormation execution role lab stacks DopLab-* are deployed and deleted with.',
      synthesizer: new LegacyStackSynthesizer(),
    });
    Tags.of(this).add('doplab:component', 'base');
    const inThisRegion = { StringEquals: { 'aws:RequestedRegion': Aws.REGION } };
    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('cloudformation.amazonaws.com'),
      description: 'CloudFormation service role of doplab lab stacks (DopLab-*).',
      inlinePolicies: {
        LabServices: new iam.PolicyDocument({
          statements: [
            // Custom resources (the in-stack cleanups) are invoked by CloudFormation with this role: lambda:InvokeFunction is in lambda:*.
            new iam.PolicyStatement({ actions: LAB_SERVICES.map((s) => `${s}:*`), resources: ['*'], conditions: inThisRegion }),
            new iam.PolicyStatement({
              actions: ROLE_ACTIONS,
              resources: [`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/DopLab-*`],
            }),
            new iam.PolicyStatement({
              actions: ['iam:CreateServiceLinkedRole'],
              resources: [`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/aws-service-role/*`],
              conditions: { StringEquals: { 'iam:AWSServiceName': [...SERVICE_LINKED_ROLES] } },
            }),
            // EC2 instances of a lab (ssm-fleet-compliance) take their role through an instance profile named after the stack.
            new iam.PolicyStatement({
              actions: INSTANCE_PROFILE_ACTIONS,
              resources: [`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:instance-profile/DopLab-*`],
            }),
            // `{{resolve:ssm:/aws/service/...}}` dynamic references and launch templates whose image is
            // `resolve:ssm:/aws/service/...` (the latest AMI; public parameters have no account) are read with this role.
            new iam.PolicyStatement({
              actions: ['ssm:GetParameter', 'ssm:GetParameters'],
              resources: [`arn:${Aws.PARTITION}:ssm:${Aws.REGION}::parameter/aws/service/*`],
            }),
            // A backup vault with AWS Backup's default key (aws/backup, id unknown before deploy) needs these on it, through AWS Backup only.
            new iam.PolicyStatement({
              actions: ['kms:CreateGrant', 'kms:DescribeKey', 'kms:RetireGrant', 'kms:Decrypt', 'kms:GenerateDataKey'],
              resources: [`arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/*`],
              conditions: { StringEquals: { 'kms:ViaService': `backup.${Aws.REGION}.amazonaws.com` } },
            }),
          ],
        }),
      },
    });
    Validations.of(this.executionRole).acknowledge(
      ...LAB_SERVICES.map((service) => ({
        id: `AwsSolutions-IAM5[Action::${service}:*]`,
        reason: `CloudFormation creates, updates and deletes whatever ${service} resources the lab templates declare; the set of actions follows the templates, limited to this region.`,
      })),
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Lab resources get CloudFormation-generated names unknown before deploy; the grant is limited to the lab services and to this region (aws:RequestedRegion).',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/aws-service-role/*]',
        reason: 'ECS, Elastic Load Balancing, AWS Config and EC2 Auto Scaling create their service-linked role on first use; the iam:AWSServiceName condition allows exactly those four.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>::parameter/aws/service/*]',
        reason: "Launch templates name AWS's public image parameters (/aws/service/...); the grant reads only AWS-published public parameters, none of the account's own.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]',
        reason: "Backup vaults use AWS Backup's managed key aws/backup, whose id is not known before deploy; kms:ViaService limits the grant to AWS Backup in this region.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:instance-profile/DopLab-*]',
        reason: 'CloudFormation names lab instance profiles after their stack (DopLab-<lab>-...), so the prefix is the tightest scope.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/DopLab-*]',
        reason: 'CloudFormation names lab roles after their stack (DopLab-<lab>-...), so the prefix is the tightest scope that covers every lab role and no other role.',
      },
    );
    new CfnOutput(this, EXECUTION_ROLE_OUTPUT, { value: this.executionRole.roleArn }).overrideLogicalId(EXECUTION_ROLE_OUTPUT);
  }
}

/** Adds DopLab-Base to a CDK app. */
export function addBaseStack(app: Construct): DopLabBaseStack {
  return new DopLabBaseStack(app);
}
