// A model of the AWS answers of a backup-dr account (DynamoDB and AWS Backup), shaped as the SDK returns them, and the
// aws-sdk-client-mock wiring that serves it. The checker, solution and example-facts tests share it.
import {
  BackupClient,
  DescribeRegionSettingsCommand,
  GetBackupPlanCommand,
  GetBackupSelectionCommand,
  ListBackupJobsCommand,
  ListBackupPlansCommand,
  ListBackupSelectionsCommand,
  ListCopyJobsCommand,
  type BackupJob,
  type BackupRule,
  type BackupSelection,
  type CopyJob,
} from '@aws-sdk/client-backup';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  ScanCommand,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { SEEDED_ITEM_COUNT, TABLE_NAME, TABLE_TAG, VAULT_NAME } from '../../labs/backup-dr/contract';
import { awsError } from './mocked-session';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const SECOND = 'us-east-1';
export const STACK_NAME = 'DopLab-backup-dr';
export const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${TABLE_NAME}`;
export const VAULT_ARN = `arn:aws:backup:${REGION}:${ACCOUNT}:backup-vault:${VAULT_NAME}`;
export const SECOND_VAULT_ARN = `arn:aws:backup:${SECOND}:${ACCOUNT}:backup-vault:${VAULT_NAME}`;
export const BACKUP_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/DopLab-backup-dr-BackupRole8F3C9A51-Xk2pQ7rT4vNw`;
export const STACK_OUTPUTS = {
  TableName: TABLE_NAME,
  TableArn: TABLE_ARN,
  VaultName: VAULT_NAME,
  VaultArn: VAULT_ARN,
  SecondRegion: SECOND,
  SecondVaultArn: SECOND_VAULT_ARN,
  BackupRoleArn: BACKUP_ROLE_ARN,
};
export const RESTORED_TABLE = `${TABLE_NAME}-drill`;
export const RECOVERY_POINT_ARN = `arn:aws:backup:${REGION}:${ACCOUNT}:recovery-point:9f3b2c1d-5e6a-4b7c-8d9e-0f1a2b3c4d5e`;
export const COPY_ARN = `arn:aws:backup:${SECOND}:${ACCOUNT}:recovery-point:1a2b3c4d-6e7f-4a8b-9c0d-1e2f3a4b5c6d`;

/** One backup plan as AWS Backup stores it. */
export interface PlanModel {
  id: string;
  name: string;
  rules: BackupRule[];
  selections: { id: string; selection: BackupSelection }[];
}

/** What the account holds, as the checker reads it. */
export interface AccountModel {
  pitr: 'ENABLED' | 'DISABLED';
  optIn: boolean;
  management: boolean;
  plans: PlanModel[];
  backupJobs: BackupJob[];
  copyJobs: CopyJob[];
  /** The lab table's own description; a RestoreSummary here means it was deleted and restored into its own name. */
  labTable: TableDescription;
  /** Every other table of the region. */
  tables: TableDescription[];
  /** Items per Scan page of a table (missing: the seeded count in one page). */
  scanPages: Record<string, number[]>;
}

const d = (iso: string) => new Date(iso);

function table(name: string, extra: Partial<TableDescription> = {}): TableDescription {
  return {
    AttributeDefinitions: [{ AttributeName: 'orderId', AttributeType: 'S' }],
    TableName: name,
    KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
    TableStatus: 'ACTIVE',
    CreationDateTime: d('2026-11-27T09:02:41.512Z'),
    ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
    TableSizeBytes: 0,
    ItemCount: 0,
    TableArn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`,
    TableId: '4c5d6e7f-8a9b-4c0d-9e1f-2a3b4c5d6e7f',
    BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST', LastUpdateToPayPerRequestDateTime: d('2026-11-27T09:02:41.512Z') },
    DeletionProtectionEnabled: false,
    ...extra,
  };
}

/** The account right after deploy: no PITR, advanced features off, no plan, job or restore; another team's table. */
export function startingAccount(): AccountModel {
  return {
    pitr: 'DISABLED',
    optIn: true,
    management: false,
    plans: [],
    backupJobs: [],
    copyJobs: [],
    labTable: table(TABLE_NAME),
    tables: [table('payments-ledger', { CreationDateTime: d('2025-03-14T08:11:05.000Z'), TableId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' })],
    scanPages: {},
  };
}

/** A rule as the task asks for it. */
export function goodRule(extra: Partial<BackupRule> = {}): BackupRule {
  return {
    RuleName: 'daily',
    TargetBackupVaultName: VAULT_NAME,
    ScheduleExpression: 'cron(0 5 ? * * *)',
    StartWindowMinutes: 480,
    CompletionWindowMinutes: 10080,
    Lifecycle: { DeleteAfterDays: 7, OptInToArchiveForSupportedResources: false },
    RuleId: '5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e',
    CopyActions: [{ DestinationBackupVaultArn: SECOND_VAULT_ARN, Lifecycle: { DeleteAfterDays: 7, OptInToArchiveForSupportedResources: false } }],
    ScheduleExpressionTimezone: 'Etc/UTC',
    ...extra,
  };
}

export function selectionByArn(extra: Partial<BackupSelection> = {}): BackupSelection {
  return {
    SelectionName: 'orders-table',
    IamRoleArn: BACKUP_ROLE_ARN,
    Resources: [TABLE_ARN],
    ListOfTags: [],
    NotResources: [],
    Conditions: { StringEquals: [], StringNotEquals: [], StringLike: [], StringNotLike: [] },
    ...extra,
  };
}

/** Every task done and settled. */
export function solvedAccount(): AccountModel {
  const account = startingAccount();
  account.pitr = 'ENABLED';
  account.management = true;
  account.plans = [{ id: '8e2f6a1c-3b4d-4e5f-9a0b-1c2d3e4f5a6b', name: 'doplab-orders-daily', rules: [goodRule()], selections: [{ id: '7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a', selection: selectionByArn() }] }];
  account.backupJobs = [
    {
      AccountId: ACCOUNT,
      BackupJobId: '3e4f5a6b-7c8d-4e9f-0a1b-2c3d4e5f6a7b',
      BackupVaultName: VAULT_NAME,
      BackupVaultArn: VAULT_ARN,
      RecoveryPointArn: RECOVERY_POINT_ARN,
      ResourceArn: TABLE_ARN,
      CreationDate: d('2026-11-27T09:20:14.118Z'),
      CompletionDate: d('2026-11-27T09:31:52.604Z'),
      State: 'COMPLETED',
      PercentDone: '100.0',
      BackupSizeInBytes: 31872,
      IamRoleArn: BACKUP_ROLE_ARN,
      ResourceType: 'DynamoDB',
      ResourceName: TABLE_NAME,
      InitiationDate: d('2026-11-27T09:20:14.118Z'),
    },
  ];
  account.copyJobs = [
    {
      AccountId: ACCOUNT,
      CopyJobId: 'c0d1e2f3-a4b5-4c6d-8e7f-9a0b1c2d3e4f',
      SourceBackupVaultArn: VAULT_ARN,
      SourceRecoveryPointArn: RECOVERY_POINT_ARN,
      DestinationBackupVaultArn: SECOND_VAULT_ARN,
      DestinationRecoveryPointArn: COPY_ARN,
      ResourceArn: TABLE_ARN,
      CreationDate: d('2026-11-27T09:33:07.251Z'),
      CompletionDate: d('2026-11-27T09:41:46.930Z'),
      State: 'COMPLETED',
      BackupSizeInBytes: 31872,
      IamRoleArn: BACKUP_ROLE_ARN,
      ResourceType: 'DynamoDB',
      ResourceName: TABLE_NAME,
    },
  ];
  account.tables.push(
    table(RESTORED_TABLE, {
      CreationDateTime: d('2026-11-27T09:44:02.377Z'),
      TableId: '6e7f8a9b-0c1d-4e2f-9a3b-4c5d6e7f8a9b',
      RestoreSummary: { SourceTableArn: TABLE_ARN, RestoreDateTime: d('2026-11-27T09:38:55.000Z'), RestoreInProgress: false },
    }),
  );
  // A full Scan of 300 small items takes one page; two pages prove the count follows LastEvaluatedKey.
  account.scanPages[RESTORED_TABLE] = [180, SEEDED_ITEM_COUNT - 180];
  return account;
}

/** Which stubs answer which client. */
export interface Stubs {
  readonly cloudformation: AwsClientStub<CloudFormationClient>;
  readonly dynamodb: AwsClientStub<DynamoDBClient>;
  readonly backup: AwsClientStub<BackupClient>;
}

/** Serves `account` (and the lab stack) to the stubs, as AWS would. */
export function mockAccount({ cloudformation, dynamodb, backup }: Stubs, account: AccountModel): void {
  cloudformation.on(DescribeStacksCommand, { StackName: STACK_NAME }).resolves({
    Stacks: [
      {
        StackName: STACK_NAME,
        StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK_NAME}/2a7c1e90-cb5f-11f0-9d3e-0a1b2c3d4e5f`,
        CreationTime: d('2026-11-27T09:00:12.447Z'),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: Object.entries(STACK_OUTPUTS).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
  const enabled = account.pitr === 'ENABLED';
  dynamodb.on(DescribeContinuousBackupsCommand, { TableName: TABLE_NAME }).resolves({
    ContinuousBackupsDescription: {
      ContinuousBackupsStatus: 'ENABLED',
      PointInTimeRecoveryDescription: enabled
        ? { PointInTimeRecoveryStatus: 'ENABLED', RecoveryPeriodInDays: 35, EarliestRestorableDateTime: d('2026-11-27T09:12:30.000Z'), LatestRestorableDateTime: d('2026-11-27T09:45:25.000Z') }
        : { PointInTimeRecoveryStatus: 'DISABLED' },
    },
  });
  dynamodb.on(ListTagsOfResourceCommand, { ResourceArn: TABLE_ARN }).resolves({ Tags: [{ Key: 'doplab:lab', Value: 'backup-dr' }, { Key: TABLE_TAG.key, Value: TABLE_TAG.value }] });
  const all = [account.labTable, ...account.tables];
  dynamodb.on(ListTablesCommand).resolves({ TableNames: all.map((t) => t.TableName!).sort() });
  dynamodb.on(DescribeTableCommand).callsFake(async (input: { TableName: string }) => {
    const found = all.find((t) => t.TableName === input.TableName);
    if (!found) throw awsError('ResourceNotFoundException', `Requested resource not found: Table: ${input.TableName} not found`);
    return { Table: found };
  });
  dynamodb.on(ScanCommand).callsFake(async (input: { TableName: string; ExclusiveStartKey?: { orderId: { S: string } } }) => {
    const pages = account.scanPages[input.TableName] ?? [SEEDED_ITEM_COUNT];
    const index = input.ExclusiveStartKey ? Number(input.ExclusiveStartKey.orderId.S.split('-')[1]) : 0;
    const last = index === pages.length - 1;
    return { Count: pages[index], ScannedCount: pages[index], ...(last ? {} : { LastEvaluatedKey: { orderId: { S: `page-${index + 1}` } } }) };
  });

  backup.on(DescribeRegionSettingsCommand).resolves({
    ResourceTypeOptInPreference: { Aurora: true, DocumentDB: true, DynamoDB: account.optIn, EBS: true, EC2: true, EFS: true, RDS: true, S3: false },
    ResourceTypeManagementPreference: { DynamoDB: account.management, EFS: true },
  });
  backup.on(ListBackupPlansCommand).resolves({
    BackupPlansList: account.plans.map((p) => ({
      BackupPlanArn: `arn:aws:backup:${REGION}:${ACCOUNT}:backup-plan:${p.id}`,
      BackupPlanId: p.id,
      CreationDate: d('2026-11-27T09:16:40.020Z'),
      BackupPlanName: p.name,
      VersionId: 'ZjQ1YTc3MDQtNDMzMi00ZGE2LWE2ZjItY2M3N2Y5MDNiZmE4',
    })),
  });
  for (const plan of account.plans) {
    backup.on(GetBackupPlanCommand, { BackupPlanId: plan.id }).resolves({
      BackupPlan: { BackupPlanName: plan.name, Rules: plan.rules },
      BackupPlanId: plan.id,
      BackupPlanArn: `arn:aws:backup:${REGION}:${ACCOUNT}:backup-plan:${plan.id}`,
      VersionId: 'ZjQ1YTc3MDQtNDMzMi00ZGE2LWE2ZjItY2M3N2Y5MDNiZmE4',
      CreationDate: d('2026-11-27T09:16:40.020Z'),
    });
    backup.on(ListBackupSelectionsCommand, { BackupPlanId: plan.id }).resolves({
      BackupSelectionsList: plan.selections.map((s) => ({ SelectionId: s.id, SelectionName: s.selection.SelectionName, BackupPlanId: plan.id, CreationDate: d('2026-11-27T09:17:02.881Z'), IamRoleArn: s.selection.IamRoleArn })),
    });
    for (const s of plan.selections) {
      backup.on(GetBackupSelectionCommand, { BackupPlanId: plan.id, SelectionId: s.id }).resolves({ BackupSelection: s.selection, SelectionId: s.id, BackupPlanId: plan.id, CreationDate: d('2026-11-27T09:17:02.881Z') });
    }
  }
  backup.on(ListBackupJobsCommand, { ByResourceArn: TABLE_ARN }).resolves({ BackupJobs: account.backupJobs });
  backup.on(ListCopyJobsCommand, { ByResourceArn: TABLE_ARN }).resolves({ CopyJobs: account.copyJobs });
}
