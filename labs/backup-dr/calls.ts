// The calls each role of the lab must be able to make, and the service deliveries it relies on (test/policy/ proves them).
import { functionLogCalls, lambdaAssumesRole, type CallEnv, type DeclaredCall, type LabRoleCalls, type LabServicePrincipalCalls } from '../../lib/policy/calls';
import type { PolicyDocument } from '../../lib/policy/template-policies';
import { LAB_ID, TABLE_NAME, VAULT_NAME, tableArnIn, vaultArnIn } from './contract';

const table = (env: CallEnv) => tableArnIn(env.partition, env.region, env.account);
const tableBackup = (env: CallEnv) => `${table(env)}/backup/01764230512345-1a2b3c4d`;
const restoredTable = (env: CallEnv) => `arn:${env.partition}:dynamodb:${env.region}:${env.account}:table/${TABLE_NAME}-drill`;
/** The lab vault in each region the lab touches (deploy region first). */
const vaults = (env: CallEnv) => env.regions.map((region) => vaultArnIn(env.partition, region, env.account));
const secondVault = (env: CallEnv) => vaultArnIn(env.partition, env.regions[1], env.account);
const awsBackupKey = (env: CallEnv, region: string) => `arn:${env.partition}:kms:${region}:${env.account}:key/6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0`;
const viaBackup = (env: CallEnv, region: string) => ({ 'kms:ViaService': `backup.${region}.amazonaws.com`, 'kms:CallerAccount': env.account });

/**
 * The key policy of an AWS managed key such as aws/backup (the vaults' default key), as AWS writes it for every managed
 * key: any principal of the account may use it through the owning service. KMS honours the role's grant only with it.
 */
function awsBackupKeyPolicy(env: CallEnv, region: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:DescribeKey', 'kms:RetireGrant'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:CallerAccount': env.account, 'kms:ViaService': `backup.${region}.amazonaws.com` } },
      },
      { Effect: 'Allow', Principal: { AWS: `arn:${env.partition}:iam::${env.account}:root` }, Action: ['kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:RevokeGrant'], Resource: '*' },
    ],
  } as PolicyDocument;
}
const keyCall = (env: CallEnv, region: string, op: string): DeclaredCall => ({
  action: `kms:${op}`,
  resource: awsBackupKey(env, region),
  context: viaBackup(env, region),
  resourcePolicy: awsBackupKeyPolicy(env, region),
});
const plan = (env: CallEnv) => `arn:${env.partition}:backup:${env.region}:${env.account}:backup-plan:8e2f6a1c-3b4d-4e5f-9a0b-1c2d3e4f5a6b`;
const recoveryPoint = (env: CallEnv, region: string) => `arn:${env.partition}:backup:${region}:${env.account}:recovery-point:2c4e6a8b-0d1f-4a3c-8e5b-7d9f1a3c5e7b`;

/** What CreateBackupVault needs with the vault's default key, aws/backup, in `region` ("Backup vault creation and deletion"). */
function vaultKeyCalls(env: CallEnv, region: string): DeclaredCall[] {
  return ['CreateGrant', 'DescribeKey', 'RetireGrant', 'Decrypt', 'GenerateDataKey'].map((op) => keyCall(env, region, op));
}

export const roleCalls: LabRoleCalls = [
  {
    role: 'BackupRole',
    purpose: "AWS Backup's role for the learner's plan, on-demand backup and copy of the orders table",
    calls: (env) => [
      ...['DescribeTable', 'CreateBackup', 'StartAwsBackupJob', 'ListTagsOfResource'].map((op) => ({ action: `dynamodb:${op}`, resource: table(env) })),
      ...['DescribeBackup', 'DeleteBackup'].map((op) => ({ action: `dynamodb:${op}`, resource: tableBackup(env) })),
      ...vaults(env).flatMap((vault) => ['DescribeBackupVault', 'CopyIntoBackupVault'].map((op) => ({ action: `backup:${op}`, resource: vault }))),
      { action: 'tag:GetResources', resource: '*' },
      ...env.regions.flatMap((region) => ['DescribeKey', 'Decrypt', 'GenerateDataKey', 'CreateGrant'].map((op) => keyCall(env, region, op))),
      {
        action: 'dynamodb:CreateBackup',
        resource: `arn:${env.partition}:dynamodb:${env.region}:${env.account}:table/payments`,
        deniedBecause: 'the lab role backs up the orders table only',
      },
    ],
  },
  {
    role: 'DopLabResources/Handler/Role',
    purpose: 'inline custom resources: the table seed, the second-region vault and the AWS Backup region settings record',
    calls: (env) => [
      ...functionLogCalls(env, LAB_ID, 'resources'),
      { action: 'dynamodb:BatchWriteItem', resource: table(env) },
      // Not backup:TagResource (granted for the tags CreateBackupVault sets): the simulator cannot tell a vault ARN from a
      // recovery point's, whose pattern in the Service Authorization Reference is arn:<partition>:<vendor>:<region>:*:<type>:<id>.
      ...['CreateBackupVault', 'DescribeBackupVault', 'DeleteBackupVault'].map((op) => ({ action: `backup:${op}`, resource: secondVault(env) })),
      { action: 'backup-storage:MountCapsule', resource: '*' },
      ...vaultKeyCalls(env, env.regions[1]),
      ...env.regions.flatMap((region) =>
        ['DescribeRegionSettings', 'UpdateRegionSettings'].map((op) => ({ action: `backup:${op}`, resource: '*', context: { 'aws:RequestedRegion': region } })),
      ),
      { action: 'backup:DeleteBackupVault', resource: vaultArnIn(env.partition, env.regions[1], env.account).replace(VAULT_NAME, 'prod-vault'), deniedBecause: 'the vault resource manages the lab vault only' },
    ],
  },
  {
    role: 'Cleanup/Handler/Role',
    purpose: 'in-stack cleanup handler',
    calls: (env) => [
      ...functionLogCalls(env, LAB_ID, 'cleanup'),
      ...['backup:ListBackupPlans', 'backup:ListBackupJobs', 'backup:ListCopyJobs', 'dynamodb:ListTables', 'dynamodb:ListBackups'].map((action) => ({ action, resource: '*' })),
      ...['GetBackupPlan', 'ListBackupSelections', 'GetBackupSelection', 'DeleteBackupSelection', 'DeleteBackupPlan'].map((op) => ({ action: `backup:${op}`, resource: plan(env) })),
      ...vaults(env).map((vault) => ({ action: 'backup:ListRecoveryPointsByBackupVault', resource: vault })),
      ...env.regions.map((region) => ({ action: 'backup:DeleteRecoveryPoint', resource: recoveryPoint(env, region) })),
      { action: 'dynamodb:DeleteBackup', resource: tableBackup(env) },
      { action: 'dynamodb:DescribeTable', resource: restoredTable(env) },
      { action: 'dynamodb:DeleteTable', resource: restoredTable(env) },
    ],
  },
];

export const servicePrincipalCalls: LabServicePrincipalCalls = (env) => [
  { principal: 'backup.amazonaws.com', purpose: "AWS Backup runs the learner's jobs with the lab role", action: 'sts:AssumeRole', resource: '@{BackupRole.Arn}', context: { 'aws:SourceAccount': env.account } },
  lambdaAssumesRole(env, 'DopLabResources/Handler/Role'),
  lambdaAssumesRole(env, 'Cleanup/Handler/Role'),
];

/** What the reference solution sends, with the learner's credentials. */
export const solutionActions: readonly string[] = [
  'dynamodb:UpdateContinuousBackups',
  'backup:DescribeRegionSettings',
  'backup:UpdateRegionSettings',
  'backup:ListBackupPlans',
  'backup:CreateBackupPlan',
  'backup:TagResource',
  'backup:ListBackupSelections',
  'backup:CreateBackupSelection',
  'iam:PassRole',
  'backup:StartBackupJob',
  'backup:DescribeBackupJob',
  'backup:StartCopyJob',
  'backup:DescribeCopyJob',
  'dynamodb:RestoreTableToPointInTime',
  'dynamodb:DescribeTable',
];
