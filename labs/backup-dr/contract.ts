// Names shared by the stack, the checker, the solution and the leftover audit. No CDK import: the checker loads this.
import { secondRegionContext, secondRegionFromOutputs } from '../../lib/second-region';

export const LAB_ID = 'backup-dr';

/** Stack outputs the checker and the solution read (values are CloudFormation output ids). */
export const Outputs = {
  tableName: 'TableName',
  tableArn: 'TableArn',
  vaultName: 'VaultName',
  vaultArn: 'VaultArn',
  secondRegion: 'SecondRegion',
  secondVaultArn: 'SecondVaultArn',
  backupRoleArn: 'BackupRoleArn',
} as const;

/** CDK context key that picks the second region (`-c doplab:backup-dr:secondRegion=eu-west-1`). */
export const SECOND_REGION_CONTEXT = secondRegionContext(LAB_ID);

/** The second region of a deployed lab: its stack's SecondRegion output when known, else the default. */
export function secondRegionOf(deployRegion: string, outputs?: Readonly<Record<string, string>>): string {
  return secondRegionFromOutputs(deployRegion, Outputs.secondRegion, outputs);
}

/** The orders table (a fixed name: the README and the restore drill refer to it). */
export const TABLE_NAME = 'doplab-backup-dr-orders';
/** How many items the stack seeds into the table; the restore drill must find exactly these. */
export const SEEDED_ITEM_COUNT = 300;
/** The lab's backup vault, the same name in the deploy region and in the second region. */
export const VAULT_NAME = 'doplab-backup-dr';
/** The tag the stack puts on the table besides `doplab:lab` (a selection by tag can use it). */
export const TABLE_TAG = { key: 'data-class', value: 'orders' } as const;

/** The least retention the task asks for, in days, of the daily backups and of their copies. */
export const MIN_RETENTION_DAYS = 7;

/** The system backup DynamoDB keeps for 35 days when a table with PITR on is deleted (not deletable, free). */
export const DELETED_TABLE_BACKUP_SUFFIX = '$DeletedTableBackup';

/** The ARN of the lab table in a region (the table name is fixed). */
export function tableArnIn(partition: string, region: string, account: string): string {
  return `arn:${partition}:dynamodb:${region}:${account}:table/${TABLE_NAME}`;
}

/** The ARN of the lab vault in a region (the vault name is fixed). */
export function vaultArnIn(partition: string, region: string, account: string): string {
  return `arn:${partition}:backup:${region}:${account}:backup-vault:${VAULT_NAME}`;
}
