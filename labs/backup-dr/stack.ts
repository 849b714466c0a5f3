import { join } from 'node:path';
import { Aws, type CfnResource, CustomResource, Duration, RemovalPolicy, Tags, Token, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { InlineCleanup } from '../../lib/cdk/inline-cleanup';
import { InlineResources } from '../../lib/cdk/inline-resources';
import { DopLabStack } from '../../lib/cdk/lab-stack';
import { chooseSecondRegion } from '../../lib/cdk/second-region';
import { LAB_TAG_KEY } from '../../lib/contract';
import { LAB_ID, Outputs, SECOND_REGION_CONTEXT, SEEDED_ITEM_COUNT, TABLE_NAME, TABLE_TAG, VAULT_NAME } from './contract';

/** How long the in-stack cleanup may wait for jobs, restores and recovery point deletions (Lambda allows 15 min). */
export const CLEANUP_TIMEOUT = Duration.minutes(14);
/** How often the cleanup polls, in seconds. */
export const CLEANUP_POLL_SECONDS = 10;

/** Custom resource types the stack's InlineResources function serves. */
export const SEED_TYPE = 'Custom::DopLabSeedTable';
export const VAULT_TYPE = 'Custom::DopLabBackupVault';
export const REGION_SETTINGS_TYPE = 'Custom::DopLabBackupRegionSettings';

/**
 * Starting state: the orders table (on demand, seeded, no point-in-time recovery, no backups), the lab's backup vault
 * in the deploy region and in the second region, and the role AWS Backup uses for the learner's plan and jobs. The
 * second-region vault is a custom resource of this stack (a stack lives in one region): `cdk destroy` of this one stack
 * removes both vaults, unlike a second stack, which the lab's single `DopLab-backup-dr` stack could not tear down.
 */
export class BackupDrStack extends DopLabStack {
  /** The second region: the CDK context value, or a CloudFormation expression of the deploy region. */
  readonly secondRegion: string;

  constructor(scope: Construct) {
    super(scope, LAB_ID, 'doplab lab backup-dr: point-in-time recovery, an AWS Backup plan with a cross-region copy, and a restore drill.');
    this.secondRegion = chooseSecondRegion(this, SECOND_REGION_CONTEXT);
    const arnIn = (service: string, region: string, resource: string) => `arn:${Aws.PARTITION}:${service}:${region}:${Aws.ACCOUNT_ID}:${resource}`;
    // How cdk-nag prints those ARNs in a finding's id, to acknowledge it.
    const secondRegionText = Token.isUnresolved(this.secondRegion) ? JSON.stringify(this.resolve(this.secondRegion)) : this.secondRegion;
    const nagArn = (service: string, region: 'deploy' | 'second', resource: string) =>
      `arn:<AWS::Partition>:${service}:${region === 'deploy' ? '<AWS::Region>' : secondRegionText}:<AWS::AccountId>:${resource}`;

    const table = new dynamodb.Table(this, 'Orders', {
      tableName: TABLE_NAME,
      partitionKey: { name: 'orderId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Tags.of(table).add(TABLE_TAG.key, TABLE_TAG.value);
    Validations.of(table).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason: "The scenario's starting point: the orders table has no point-in-time recovery; enabling it is the learner's first task.",
    });

    const resources = InlineResources.of(this, LAB_ID);
    const seed = new CustomResource(this, 'Seed', {
      serviceToken: resources.register(SEED_TYPE, join(__dirname, 'seed.handler.js'), [
        new iam.PolicyStatement({ actions: ['dynamodb:BatchWriteItem'], resources: [table.tableArn] }),
      ]),
      resourceType: SEED_TYPE,
      properties: { TableName: table.tableName, Count: String(SEEDED_ITEM_COUNT) },
      serviceTimeout: Duration.seconds(150),
    });

    const vault = new backup.BackupVault(this, 'Vault', { backupVaultName: VAULT_NAME, removalPolicy: RemovalPolicy.DESTROY });
    const secondVaultArn = arnIn('backup', this.secondRegion, `backup-vault:${VAULT_NAME}`);
    const secondVault = new CustomResource(this, 'SecondVault', {
      serviceToken: resources.register(VAULT_TYPE, join(__dirname, 'vault.handler.js'), [
        new iam.PolicyStatement({
          actions: ['backup:CreateBackupVault', 'backup:TagResource', 'backup:DescribeBackupVault', 'backup:DeleteBackupVault'],
          resources: [secondVaultArn],
        }),
        // What CreateBackupVault needs besides itself ("Backup vault creation and deletion"): the vault's default key, aws/backup.
        new iam.PolicyStatement({ actions: ['backup-storage:MountCapsule'], resources: ['*'] }),
        new iam.PolicyStatement({
          actions: ['kms:CreateGrant', 'kms:DescribeKey', 'kms:RetireGrant', 'kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [arnIn('kms', this.secondRegion, 'key/*')],
          conditions: { StringEquals: { 'kms:ViaService': `backup.${this.secondRegion}.amazonaws.com` } },
        }),
      ]),
      resourceType: VAULT_TYPE,
      properties: { Region: this.secondRegion, Name: VAULT_NAME, Tags: JSON.stringify({ [LAB_TAG_KEY]: LAB_ID }) },
      serviceTimeout: Duration.seconds(150),
    });

    const regionSettings = new CustomResource(this, 'RegionSettings', {
      serviceToken: resources.register(REGION_SETTINGS_TYPE, join(__dirname, 'region-settings.handler.js'), [
        new iam.PolicyStatement({ actions: ['backup:DescribeRegionSettings', 'backup:UpdateRegionSettings'], resources: ['*'] }),
      ]),
      resourceType: REGION_SETTINGS_TYPE,
      properties: { Regions: `${Aws.REGION},${this.secondRegion}` },
      serviceTimeout: Duration.seconds(150),
    });
    Validations.of(resources.handler.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'backup:DescribeRegionSettings/UpdateRegionSettings act on the Region and backup-storage:MountCapsule supports no resource type ' +
          '(Service Authorization Reference): they are granted on * or not at all.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagArn('kms', 'second', 'key/*')}]`,
        reason: "The second vault's key is AWS Backup's managed key aws/backup, whose id is not known before deploy; kms:ViaService limits use to AWS Backup.",
      },
    );

    const vaultArns = [vault.backupVaultArn, secondVaultArn];
    const backupRole = new iam.Role(this, 'BackupRole', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: `AWS Backup role of doplab lab ${LAB_ID}: backs up and copies the orders table, nothing else.`,
      // AWS's DynamoDB statements of AWSBackupServiceRolePolicyForBackup, narrowed to the lab table and vaults.
      inlinePolicies: {
        BackupOrders: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['dynamodb:DescribeTable', 'dynamodb:CreateBackup', 'dynamodb:StartAwsBackupJob', 'dynamodb:ListTagsOfResource'],
              resources: [table.tableArn],
            }),
            new iam.PolicyStatement({ actions: ['dynamodb:DescribeBackup', 'dynamodb:DeleteBackup'], resources: [`${table.tableArn}/backup/*`] }),
            new iam.PolicyStatement({ actions: ['backup:DescribeBackupVault', 'backup:CopyIntoBackupVault'], resources: vaultArns }),
            // Selections by tag: AWS Backup finds the resources through the tagging API.
            new iam.PolicyStatement({ actions: ['tag:GetResources'], resources: ['*'] }),
            new iam.PolicyStatement({
              actions: ['kms:DescribeKey', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:CreateGrant'],
              resources: [arnIn('kms', Aws.REGION, 'key/*'), arnIn('kms', this.secondRegion, 'key/*')],
              conditions: { StringEquals: { 'kms:ViaService': [`backup.${Aws.REGION}.amazonaws.com`, `backup.${this.secondRegion}.amazonaws.com`] } },
            }),
          ],
        }),
      },
    });
    const tableBackups = `<${this.getLogicalId(table.node.defaultChild as CfnResource)}.Arn>/backup/*`;
    Validations.of(backupRole).acknowledge(
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'tag:GetResources supports no resource type; AWS Backup calls it to resolve selections by tag.' },
      {
        id: `AwsSolutions-IAM5[Resource::${tableBackups}]`,
        reason: 'DynamoDB names each backup of the table itself; the grant covers the backups of the lab table only.',
      },
      ...[nagArn('kms', 'deploy', 'key/*'), nagArn('kms', 'second', 'key/*')].map((arn) => ({
        id: `AwsSolutions-IAM5[Resource::${arn}]`,
        reason: "The vaults use AWS Backup's managed key aws/backup, whose id is not known before deploy; kms:ViaService limits use to AWS Backup.",
      })),
    );

    const backupPlanArns = arnIn('backup', Aws.REGION, 'backup-plan:*');
    const cleanup = new InlineCleanup(this, 'Cleanup', {
      labId: LAB_ID,
      handlerFile: join(__dirname, 'cleanup.handler.js'),
      properties: {
        Region: Aws.REGION,
        SecondRegion: this.secondRegion,
        TableName: table.tableName,
        TableArn: table.tableArn,
        VaultName: VAULT_NAME,
        BackupRoleArn: backupRole.roleArn,
        PollSeconds: String(CLEANUP_POLL_SECONDS),
      },
      // Runs first on delete: vaults cannot go while they hold recovery points, and the region settings are put back after.
      guards: [table, seed, vault, secondVault, regionSettings, backupRole],
      timeout: CLEANUP_TIMEOUT,
      statements: [
        new iam.PolicyStatement({ actions: ['backup:ListBackupPlans', 'backup:ListBackupJobs', 'backup:ListCopyJobs', 'dynamodb:ListTables', 'dynamodb:ListBackups'], resources: ['*'] }),
        new iam.PolicyStatement({
          actions: ['backup:GetBackupPlan', 'backup:ListBackupSelections', 'backup:GetBackupSelection', 'backup:DeleteBackupSelection', 'backup:DeleteBackupPlan'],
          resources: [backupPlanArns],
        }),
        new iam.PolicyStatement({ actions: ['backup:ListRecoveryPointsByBackupVault'], resources: vaultArns }),
        new iam.PolicyStatement({
          actions: ['backup:DeleteRecoveryPoint'],
          resources: [arnIn('backup', Aws.REGION, 'recovery-point:*'), arnIn('backup', this.secondRegion, 'recovery-point:*')],
        }),
        // Recovery points of backups made without advanced features are DynamoDB backups; learners' own too.
        new iam.PolicyStatement({ actions: ['dynamodb:DeleteBackup'], resources: [`${table.tableArn}/backup/*`] }),
        new iam.PolicyStatement({ actions: ['dynamodb:DescribeTable', 'dynamodb:DeleteTable'], resources: [arnIn('dynamodb', Aws.REGION, 'table/*')] }),
      ],
    });
    Validations.of(cleanup.handler.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'backup:ListBackupPlans/ListBackupJobs/ListCopyJobs and dynamodb:ListTables/ListBackups support no resource type: the cleanup lists to find what the learner made.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:backup:<AWS::Region>:<AWS::AccountId>:backup-plan:*]',
        reason: "The learner names the plan; the cleanup deletes only plans that back up into the lab vault, and selections that use the lab role or name the table.",
      },
      ...[nagArn('backup', 'deploy', 'recovery-point:*'), nagArn('backup', 'second', 'recovery-point:*')].map((arn) => ({
        id: `AwsSolutions-IAM5[Resource::${arn}]`,
        reason: 'AWS Backup names recovery points; the cleanup deletes only those it lists in the two lab vaults.',
      })),
      {
        id: `AwsSolutions-IAM5[Resource::${tableBackups}]`,
        reason: 'DynamoDB names each backup of the table itself; the cleanup deletes backups of the lab table only.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:table/*]',
        reason: 'The learner names the restored table; the cleanup deletes only tables whose RestoreSummary names the lab table as source.',
      },
    );

    this.exportOutputs(Outputs, {
      tableName: table.tableName,
      tableArn: table.tableArn,
      vaultName: vault.backupVaultName,
      vaultArn: vault.backupVaultArn,
      secondRegion: this.secondRegion,
      secondVaultArn: secondVault.getAttString('Arn'),
      backupRoleArn: backupRole.roleArn,
    });
  }
}

/** Adds the lab's stack to a CDK app. */
export function addLabStack(app: Construct): BackupDrStack {
  return new BackupDrStack(app);
}
