import * as backupSdk from '@aws-sdk/client-backup';
import { BackupClient, DescribeBackupVaultCommand, GetBackupPlanCommand, ListBackupPlansCommand, ListRecoveryPointsByBackupVaultCommand } from '@aws-sdk/client-backup';
import * as dynamodbSdk from '@aws-sdk/client-dynamodb';
import { DescribeTableCommand, DynamoDBClient, ListBackupsCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { TABLE_NAME, VAULT_NAME } from '../../labs/backup-dr/contract';
import { lab } from '../../labs/backup-dr/lab';
import { leftovers } from '../../labs/backup-dr/leftovers';
import { ACCOUNT, leftoverContext } from '../support/leftover-context';
import { awsError } from '../support/mocked-session';

const REGION = 'eu-west-1';
const SECOND = 'us-east-1';
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${TABLE_NAME}`;
const DELETED_TABLE_BACKUP = `${TABLE_ARN}/backup/01764239912000-5e6f7a8b`;

describe('backup-dr leftovers', () => {
  let backup: AwsClientStub<BackupClient>;
  let ddb: AwsClientStub<DynamoDBClient>;
  const context = () => leftoverContext([backupSdk, dynamodbSdk], { region: REGION, regions: lab.regions?.(REGION) });

  beforeEach(() => {
    backup = mockClient(BackupClient);
    ddb = mockClient(DynamoDBClient);
    backup.on(DescribeBackupVaultCommand).rejects(awsError('ResourceNotFoundException', `Backup vault ${VAULT_NAME} does not exist`));
    backup.on(ListBackupPlansCommand).resolves({ BackupPlansList: [] });
    ddb.on(ListTablesCommand).resolves({ TableNames: ['payments-ledger'] });
    ddb.on(DescribeTableCommand).resolves({ Table: { TableName: 'payments-ledger', TableStatus: 'ACTIVE' } });
    // What every clean teardown of a table with PITR on leaves: DynamoDB's own system backup, kept 35 days.
    ddb.on(ListBackupsCommand).resolves({
      BackupSummaries: [
        { TableName: TABLE_NAME, BackupArn: DELETED_TABLE_BACKUP, BackupName: `${TABLE_NAME}$DeletedTableBackup`, BackupType: 'SYSTEM', BackupStatus: 'AVAILABLE', BackupCreationDateTime: new Date('2026-11-27T10:15:00.000Z') },
      ],
    });
  });
  afterEach(() => [backup, ddb].forEach((m) => m.restore()));

  it('finds nothing after a clean teardown, expecting the $DeletedTableBackup system backup, and looks in both regions', async () => {
    const { ctx, calls } = context();
    await expect(leftovers(ctx)).resolves.toEqual([]);
    expect(calls).toEqual([
      { action: 'backup:DescribeBackupVault', region: REGION },
      { action: 'backup:ListBackupPlans', region: REGION },
      { action: 'backup:DescribeBackupVault', region: SECOND },
      { action: 'backup:ListBackupPlans', region: SECOND },
      { action: 'dynamodb:ListTables', region: REGION },
      { action: 'dynamodb:DescribeTable', region: REGION },
      { action: 'dynamodb:ListBackups', region: REGION },
    ]);
    expect(ddb.commandCalls(ListBackupsCommand)[0].args[0].input).toMatchObject({ TableName: TABLE_NAME, BackupType: 'ALL' });
  });

  it('finds recovery points left in a vault, a plan into the lab vault, a restored table and a user backup', async () => {
    backup.on(DescribeBackupVaultCommand).callsFake(async (_input, getClient: () => BackupClient) => {
      if ((await getClient().config.region()) === SECOND) return { BackupVaultName: VAULT_NAME };
      throw awsError('ResourceNotFoundException', 'not found');
    });
    const copy = `arn:aws:backup:${SECOND}:${ACCOUNT}:recovery-point:1a2b3c4d-6e7f-4a8b-9c0d-1e2f3a4b5c6d`;
    backup.on(ListRecoveryPointsByBackupVaultCommand).resolves({ RecoveryPoints: [{ RecoveryPointArn: copy, Status: 'COMPLETED' }] });
    backup.on(ListBackupPlansCommand).callsFake(async (_input, getClient: () => BackupClient) =>
      (await getClient().config.region()) === REGION ? { BackupPlansList: [{ BackupPlanId: 'p1', BackupPlanName: 'orders-daily', BackupPlanArn: `arn:aws:backup:${REGION}:${ACCOUNT}:backup-plan:p1` }, { BackupPlanId: 'p2', BackupPlanName: 'org' }] } : { BackupPlansList: [] },
    );
    backup.on(GetBackupPlanCommand, { BackupPlanId: 'p1' }).resolves({ BackupPlan: { BackupPlanName: 'orders-daily', Rules: [{ RuleName: 'daily', TargetBackupVaultName: VAULT_NAME }] } });
    backup.on(GetBackupPlanCommand, { BackupPlanId: 'p2' }).resolves({ BackupPlan: { BackupPlanName: 'org', Rules: [{ RuleName: 'nightly', TargetBackupVaultName: 'Default' }] } });
    ddb.on(ListTablesCommand).resolves({ TableNames: ['orders-drill', 'payments-ledger'] });
    ddb.on(DescribeTableCommand, { TableName: 'orders-drill' }).resolves({
      Table: { TableName: 'orders-drill', TableArn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders-drill`, TableStatus: 'ACTIVE', RestoreSummary: { SourceTableArn: TABLE_ARN, RestoreDateTime: new Date(), RestoreInProgress: false } },
    });
    ddb.on(ListBackupsCommand).resolves({
      BackupSummaries: [
        { BackupArn: DELETED_TABLE_BACKUP, BackupName: `${TABLE_NAME}$DeletedTableBackup`, BackupType: 'SYSTEM', BackupStatus: 'AVAILABLE' },
        { BackupArn: `${TABLE_ARN}/backup/01764230512345-1a2b3c4d`, BackupName: 'before-migration', BackupType: 'USER', BackupStatus: 'AVAILABLE' },
      ],
    });
    const { ctx } = context();
    await expect(leftovers(ctx)).resolves.toEqual([
      { resource: `arn:aws:backup:${REGION}:${ACCOUNT}:backup-plan:p1`, region: REGION, reason: `backup plan orders-daily backs up into the lab vault ${VAULT_NAME}` },
      { resource: copy, region: SECOND, reason: `recovery point in the lab vault ${VAULT_NAME} (COMPLETED); the vault cannot be deleted while it holds one` },
      { resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders-drill`, region: REGION, reason: `table restored from the lab table ${TABLE_NAME} (ACTIVE)` },
      { resource: `${TABLE_ARN}/backup/01764230512345-1a2b3c4d`, region: REGION, reason: `USER backup of the lab table ${TABLE_NAME} (AVAILABLE)` },
    ]);
  });

  it('fails loudly, not silently, when a read is denied', async () => {
    backup.on(ListBackupPlansCommand).rejects(awsError('AccessDeniedException', 'User is not authorized to perform: backup:ListBackupPlans'));
    const { ctx } = context();
    await expect(leftovers(ctx)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });
});
