// Reference solution of the backup-dr lab, through the SDK with the learner's credentials: PITR, AWS Backup's advanced
// DynamoDB features, a daily plan with a cross-region copy and its selection, an on-demand backup copied to the second
// region, and a point-in-time restore into a new table. Each job is awaited before the next step needs its result.
import {
  BackupClient,
  CreateBackupPlanCommand,
  CreateBackupSelectionCommand,
  DescribeBackupJobCommand,
  DescribeCopyJobCommand,
  DescribeRegionSettingsCommand,
  ListBackupPlansCommand,
  ListBackupSelectionsCommand,
  StartBackupJobCommand,
  StartCopyJobCommand,
  UpdateRegionSettingsCommand,
} from '@aws-sdk/client-backup';
import { DescribeTableCommand, DynamoDBClient, RestoreTableToPointInTimeCommand, UpdateContinuousBackupsCommand } from '@aws-sdk/client-dynamodb';
import { awsErrorName } from '../../lib/aws/errors';
import { LAB_TAG_KEY } from '../../lib/contract';
import { DoplabError } from '../../lib/errors';
import type { Solution } from '../../lib/lab';
import { LAB_ID, MIN_RETENTION_DAYS, Outputs } from './contract';

/** The plan, selection and restored table the solution makes. */
export const SOLUTION_PLAN_NAME = 'doplab-orders-daily';
export const SOLUTION_SELECTION_NAME = 'orders-table';
export const SOLUTION_RESTORED_TABLE_SUFFIX = '-drill';
/** Daily at 05:00 UTC. */
export const SOLUTION_SCHEDULE = 'cron(0 5 ? * * *)';

/** How the solution waits for jobs and the restore. */
export interface WaitOptions {
  readonly pollMs: number;
  readonly timeoutMs: number;
}

const BUSY = ['CREATED', 'PENDING', 'RUNNING', 'CREATING'];

/** The solution with its waiting made explicit (tests poll without delay). */
export function makeSolve(wait: WaitOptions): Solution<typeof Outputs> {
  return async (ctx) => {
    const ddb = ctx.client(DynamoDBClient);
    const backup = ctx.client(BackupClient);
    const { tableName, tableArn, vaultName, secondVaultArn, backupRoleArn } = ctx.outputs;
    const lifecycle = { DeleteAfterDays: MIN_RETENTION_DAYS };

    /** Polls `read` until it reports a state not in BUSY; throws unless that state is `success`. */
    const waitFor = async (what: string, read: () => Promise<{ state?: string; message?: string }>, success: string) => {
      const started = Date.now();
      for (;;) {
        const { state, message } = await read();
        if (state === success) return;
        if (!BUSY.includes(state ?? '')) {
          throw new DoplabError('AWS_ERROR', 'environment', `${what} ended ${state}${message ? `: ${message}` : ''}.`, {
            hint: `Look at it in the AWS Backup or DynamoDB console, then run doplab solve ${LAB_ID} again.`,
          });
        }
        if (Date.now() - started > wait.timeoutMs) {
          throw new DoplabError('TIMEOUT', 'environment', `${what} is still ${state} after ${Math.round(wait.timeoutMs / 60_000)} min.`, {
            hint: `Backups, copies and restores can take tens of minutes; wait for it, then run doplab solve ${LAB_ID} again.`,
          });
        }
        ctx.log(`  waiting: ${what} is ${state}`);
        await new Promise((resolve) => setTimeout(resolve, wait.pollMs));
      }
    };

    ctx.log(`Point-in-time recovery on ${tableName}`);
    await ddb.send(new UpdateContinuousBackupsCommand({ TableName: tableName, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));

    const settings = await backup.send(new DescribeRegionSettingsCommand({}));
    if (settings.ResourceTypeOptInPreference?.DynamoDB !== true || settings.ResourceTypeManagementPreference?.DynamoDB !== true) {
      ctx.log(`AWS Backup advanced features for DynamoDB in ${ctx.region} (opt-in and full management)`);
      await backup.send(new UpdateRegionSettingsCommand({ ResourceTypeOptInPreference: { DynamoDB: true }, ResourceTypeManagementPreference: { DynamoDB: true } }));
    }

    const plans = (await backup.send(new ListBackupPlansCommand({}))).BackupPlansList ?? [];
    let planId = plans.find((p) => p.BackupPlanName === SOLUTION_PLAN_NAME)?.BackupPlanId;
    if (planId) {
      ctx.log(`Backup plan ${SOLUTION_PLAN_NAME} exists; reusing it`);
    } else {
      ctx.log(`Backup plan ${SOLUTION_PLAN_NAME}: daily into ${vaultName}, copied to ${secondVaultArn}, each kept ${MIN_RETENTION_DAYS} days`);
      planId = (
        await backup.send(
          new CreateBackupPlanCommand({
            BackupPlan: {
              BackupPlanName: SOLUTION_PLAN_NAME,
              Rules: [
                {
                  RuleName: 'daily',
                  TargetBackupVaultName: vaultName,
                  ScheduleExpression: SOLUTION_SCHEDULE,
                  Lifecycle: lifecycle,
                  CopyActions: [{ DestinationBackupVaultArn: secondVaultArn, Lifecycle: lifecycle }],
                },
              ],
            },
            BackupPlanTags: { [LAB_TAG_KEY]: LAB_ID },
          }),
        )
      ).BackupPlanId;
    }
    const selections = (await backup.send(new ListBackupSelectionsCommand({ BackupPlanId: planId }))).BackupSelectionsList ?? [];
    if (!selections.some((s) => s.SelectionName === SOLUTION_SELECTION_NAME)) {
      ctx.log(`Selection ${SOLUTION_SELECTION_NAME}: ${tableArn} with the lab's backup role`);
      await backup.send(
        new CreateBackupSelectionCommand({
          BackupPlanId: planId,
          BackupSelection: { SelectionName: SOLUTION_SELECTION_NAME, IamRoleArn: backupRoleArn, Resources: [tableArn] },
        }),
      );
    }

    ctx.log(`On-demand backup of ${tableName} into ${vaultName} (minutes to tens of minutes)`);
    const { BackupJobId } = await backup.send(
      new StartBackupJobCommand({ BackupVaultName: vaultName, ResourceArn: tableArn, IamRoleArn: backupRoleArn, Lifecycle: lifecycle }),
    );
    let recoveryPointArn: string | undefined;
    await waitFor(`Backup job ${BackupJobId}`, async () => {
      const job = await backup.send(new DescribeBackupJobCommand({ BackupJobId }));
      recoveryPointArn = job.RecoveryPointArn;
      return { state: job.State, message: job.StatusMessage };
    }, 'COMPLETED');

    ctx.log(`Copy of ${recoveryPointArn} to ${secondVaultArn}`);
    const { CopyJobId } = await backup.send(
      new StartCopyJobCommand({
        RecoveryPointArn: recoveryPointArn,
        SourceBackupVaultName: vaultName,
        DestinationBackupVaultArn: secondVaultArn,
        IamRoleArn: backupRoleArn,
        Lifecycle: lifecycle,
      }),
    );
    await waitFor(`Copy job ${CopyJobId}`, async () => {
      const job = (await backup.send(new DescribeCopyJobCommand({ CopyJobId }))).CopyJob;
      return { state: job?.State, message: job?.StatusMessage };
    }, 'COMPLETED');

    const target = `${tableName}${SOLUTION_RESTORED_TABLE_SUFFIX}`;
    try {
      ctx.log(`Restore of ${tableName} to its latest restorable time into ${target}`);
      await ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableArn: tableArn, TargetTableName: target, UseLatestRestorableTime: true }));
    } catch (error) {
      if (awsErrorName(error) !== 'TableAlreadyExistsException') throw error;
      ctx.log(`${target} exists; waiting for it instead`);
    }
    await waitFor(`Restore into ${target}`, async () => {
      const table = (await ddb.send(new DescribeTableCommand({ TableName: target }))).Table;
      return { state: table?.TableStatus === 'ACTIVE' && table.RestoreSummary?.RestoreInProgress ? 'CREATING' : table?.TableStatus };
    }, 'ACTIVE');
  };
}

export const solve: Solution<typeof Outputs> = makeSolve({ pollMs: 15_000, timeoutMs: 60 * 60_000 });
