import { BackupClient, DescribeBackupVaultCommand, GetBackupPlanCommand, ListBackupPlansCommand, ListRecoveryPointsByBackupVaultCommand } from '@aws-sdk/client-backup';
import { DescribeTableCommand, DynamoDBClient, ListBackupsCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { awsErrorName } from '../../lib/aws/errors';
import type { Leftover, LeftoverContext } from '../../lib/lab';
import { allPages, partitionOf } from '../../lib/sdk-facts';
import { DELETED_TABLE_BACKUP_SUFFIX, TABLE_NAME, VAULT_NAME, tableArnIn } from './contract';

/**
 * What the tag audit cannot see, in every region the lab touches: recovery points left in a lab vault (copies too),
 * backup plans that back up into the lab vault, tables restored from the lab table, and DynamoDB backups of the lab
 * table — except the `<table>$DeletedTableBackup` system backup DynamoDB keeps for 35 days after deleting a table
 * that had point-in-time recovery on: it is expected, free and cannot be deleted.
 */
export async function leftovers(ctx: LeftoverContext): Promise<Leftover[]> {
  const found: Leftover[] = [];
  for (const region of ctx.regions) {
    const backup = ctx.client(BackupClient, region);
    found.push(...(await recoveryPoints(backup, region)));
    found.push(...(await labPlans(backup, region)));
  }
  found.push(...(await restoredTables(ctx)));
  found.push(...(await tableBackups(ctx)));
  return found;
}

async function recoveryPoints(backup: BackupClient, region: string): Promise<Leftover[]> {
  try {
    await backup.send(new DescribeBackupVaultCommand({ BackupVaultName: VAULT_NAME }));
  } catch (error) {
    if (awsErrorName(error) === 'ResourceNotFoundException') return [];
    throw error;
  }
  const points = await allPages(async (token) => {
    const page = await backup.send(new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName: VAULT_NAME, NextToken: token }));
    return { items: page.RecoveryPoints, next: page.NextToken };
  });
  return points.map((p) => ({ resource: p.RecoveryPointArn ?? '?', region, reason: `recovery point in the lab vault ${VAULT_NAME} (${p.Status ?? 'unknown status'}); the vault cannot be deleted while it holds one` }));
}

async function labPlans(backup: BackupClient, region: string): Promise<Leftover[]> {
  const plans = await allPages(async (token) => {
    const page = await backup.send(new ListBackupPlansCommand({ NextToken: token }));
    return { items: page.BackupPlansList, next: page.NextToken };
  });
  const found: Leftover[] = [];
  for (const summary of plans) {
    const plan = (await backup.send(new GetBackupPlanCommand({ BackupPlanId: summary.BackupPlanId }))).BackupPlan;
    if ((plan?.Rules ?? []).some((r) => r.TargetBackupVaultName === VAULT_NAME)) {
      found.push({ resource: summary.BackupPlanArn ?? summary.BackupPlanId ?? '?', region, reason: `backup plan ${summary.BackupPlanName} backs up into the lab vault ${VAULT_NAME}` });
    }
  }
  return found;
}

async function restoredTables(ctx: LeftoverContext): Promise<Leftover[]> {
  const ddb = ctx.client(DynamoDBClient);
  const source = tableArnIn(partitionOf(ctx.region), ctx.region, ctx.account);
  const names = await allPages(async (token) => {
    const page = await ddb.send(new ListTablesCommand({ ExclusiveStartTableName: token }));
    return { items: page.TableNames, next: page.LastEvaluatedTableName };
  });
  const found: Leftover[] = [];
  for (const TableName of names) {
    let table;
    try {
      table = (await ddb.send(new DescribeTableCommand({ TableName }))).Table;
    } catch (error) {
      if (awsErrorName(error) === 'ResourceNotFoundException') continue;
      throw error;
    }
    if (table?.RestoreSummary?.SourceTableArn === source) {
      found.push({ resource: table.TableArn ?? TableName, region: ctx.region, reason: `table restored from the lab table ${TABLE_NAME} (${table.TableStatus})` });
    }
  }
  return found;
}

async function tableBackups(ctx: LeftoverContext): Promise<Leftover[]> {
  const ddb = ctx.client(DynamoDBClient);
  const backups = await allPages(async (token) => {
    const page = await ddb.send(new ListBackupsCommand({ TableName: TABLE_NAME, BackupType: 'ALL', ExclusiveStartBackupArn: token }));
    return { items: page.BackupSummaries, next: page.LastEvaluatedBackupArn };
  });
  return backups
    .filter((b) => !(b.BackupType === 'SYSTEM' && b.BackupName?.endsWith(DELETED_TABLE_BACKUP_SUFFIX)))
    .map((b) => ({ resource: b.BackupArn ?? b.BackupName ?? '?', region: ctx.region, reason: `${b.BackupType ?? 'unknown'} backup of the lab table ${TABLE_NAME} (${b.BackupStatus ?? 'unknown status'})` }));
}
