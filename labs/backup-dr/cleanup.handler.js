'use strict';
// In-stack cleanup of lab backup-dr (DESIGN §7). CloudFormation cannot delete a backup vault that holds recovery points,
// and the learner's backup plans, on-demand backups, copies and restored tables would outlive the stack. Order: the
// learner's plans and selections covering the table (no new jobs) → running backup and copy jobs of the table (wait) →
// restored tables → recovery points in both vaults (deletion is asynchronous: wait until both are empty) → the vaults
// (CloudFormation, after this). Inlined at synth after lib/cdk/cleanup-runtime.js.
const {
  BackupClient,
  ListBackupPlansCommand,
  GetBackupPlanCommand,
  ListBackupSelectionsCommand,
  GetBackupSelectionCommand,
  DeleteBackupSelectionCommand,
  DeleteBackupPlanCommand,
  ListBackupJobsCommand,
  ListCopyJobsCommand,
  ListRecoveryPointsByBackupVaultCommand,
  DeleteRecoveryPointCommand,
} = require('@aws-sdk/client-backup');
const { DynamoDBClient, ListTablesCommand, DescribeTableCommand, DeleteTableCommand, ListBackupsCommand, DeleteBackupCommand } = require('@aws-sdk/client-dynamodb');
const { attempts } = require('../../lib/cdk/cleanup-helpers.js');

const BUSY = ['CREATED', 'PENDING', 'RUNNING'];

exports.onDelete = async (props, log, sleep = (ms) => new Promise((r) => setTimeout(r, ms))) => {
  const pause = () => sleep(Number(props.PollSeconds ?? 10) * 1000);
  // Jobs and restores get at most this long, so that the vaults are still emptied within the function's time.
  const until = Date.now() + Number(props.WaitSeconds ?? 480) * 1000;
  const backup = new BackupClient({ region: props.Region });
  const ddb = new DynamoDBClient({ region: props.Region });
  const attempt = attempts();
  await attempt('backup plans', () => removePlans(backup, props, log));
  await attempt('running jobs', () => waitForJobs(backup, props.TableArn, pause, until, log));
  await attempt('restored tables', () => removeRestoredTables(ddb, props.TableArn, pause, until, log));
  await attempt('DynamoDB backups', () => removeUserBackups(ddb, props.TableName, log));
  const vaults = [
    [backup, props.Region, props.VaultName],
    [new BackupClient({ region: props.SecondRegion }), props.SecondRegion, props.VaultName],
  ];
  await attempt('recovery points', () => emptyVaults(vaults, pause, log));
  attempt.done();
};

async function pages(read) {
  const items = [];
  let token;
  do {
    const [page, next] = await read(token);
    items.push(...(page || []));
    token = next;
  } while (token);
  return items;
}

// A selection is the learner's when it uses the lab's backup role or names the lab table; a plan is when one of its
// rules backs up into the lab vault. Every selection of a learner's plan goes, then the plan; elsewhere only those.
async function removePlans(backup, props, log) {
  const plans = await pages(async (NextToken) => {
    const p = await backup.send(new ListBackupPlansCommand({ NextToken }));
    return [p.BackupPlansList, p.NextToken];
  });
  for (const { BackupPlanId } of plans) {
    const plan = (await backup.send(new GetBackupPlanCommand({ BackupPlanId }))).BackupPlan || {};
    const labPlan = (plan.Rules || []).some((r) => r.TargetBackupVaultName === props.VaultName);
    const selections = await pages(async (NextToken) => {
      const p = await backup.send(new ListBackupSelectionsCommand({ BackupPlanId, NextToken }));
      return [p.BackupSelectionsList, p.NextToken];
    });
    for (const { SelectionId } of selections) {
      const s = (await backup.send(new GetBackupSelectionCommand({ BackupPlanId, SelectionId }))).BackupSelection || {};
      if (!labPlan && s.IamRoleArn !== props.BackupRoleArn && !(s.Resources || []).includes(props.TableArn)) continue;
      await backup.send(new DeleteBackupSelectionCommand({ BackupPlanId, SelectionId }));
      log(`deleted selection ${s.SelectionName} of plan ${plan.BackupPlanName}`);
    }
    if (labPlan) {
      await backup.send(new DeleteBackupPlanCommand({ BackupPlanId }));
      log(`deleted backup plan ${plan.BackupPlanName}`);
    }
  }
}

async function waitForJobs(backup, ByResourceArn, pause, until, log) {
  for (;;) {
    const backups = (await backup.send(new ListBackupJobsCommand({ ByResourceArn }))).BackupJobs || [];
    const copies = (await backup.send(new ListCopyJobsCommand({ ByResourceArn }))).CopyJobs || [];
    const busy = [...backups.map((j) => [j.BackupJobId, j.State]), ...copies.map((j) => [j.CopyJobId, j.State])].filter(([, s]) => BUSY.includes(s));
    if (busy.length === 0) return;
    if (Date.now() > until) throw new Error(`jobs still running: ${busy.map(([id]) => id).join(', ')}`);
    log(`waiting for jobs ${busy.map(([id, s]) => `${id} ${s}`).join(', ')}`);
    await pause();
  }
}

async function removeRestoredTables(ddb, tableArn, pause, until, log) {
  const names = await pages(async (ExclusiveStartTableName) => {
    const p = await ddb.send(new ListTablesCommand({ ExclusiveStartTableName }));
    return [p.TableNames, p.LastEvaluatedTableName];
  });
  for (const TableName of names) {
    for (;;) {
      let t;
      try {
        t = (await ddb.send(new DescribeTableCommand({ TableName }))).Table;
      } catch (e) {
        if (e.name === 'ResourceNotFoundException') break;
        throw e;
      }
      if (!t.RestoreSummary || t.RestoreSummary.SourceTableArn !== tableArn || t.TableArn === tableArn || t.TableStatus === 'DELETING') break;
      // A table that is still being restored cannot be deleted yet.
      if (t.TableStatus === 'ACTIVE' && !t.RestoreSummary.RestoreInProgress) {
        await ddb.send(new DeleteTableCommand({ TableName }));
        log(`deleted restored table ${TableName}`);
        break;
      }
      if (Date.now() > until) throw new Error(`restored table ${TableName} is still ${t.TableStatus}`);
      log(`waiting for restored table ${TableName} (${t.TableStatus})`);
      await pause();
    }
  }
}

// On-demand backups made in DynamoDB itself (not through AWS Backup) are not in a vault.
async function removeUserBackups(ddb, TableName, log) {
  const list = await pages(async (ExclusiveStartBackupArn) => {
    const p = await ddb.send(new ListBackupsCommand({ TableName, BackupType: 'USER', ExclusiveStartBackupArn }));
    return [p.BackupSummaries, p.LastEvaluatedBackupArn];
  });
  for (const b of list) {
    await ddb.send(new DeleteBackupCommand({ BackupArn: b.BackupArn }));
    log(`deleted DynamoDB backup ${b.BackupName}`);
  }
}

async function emptyVaults(vaults, pause, log) {
  for (;;) {
    let left = 0;
    for (const [backup, region, BackupVaultName] of vaults) {
      let points;
      try {
        points = await pages(async (NextToken) => {
          const p = await backup.send(new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName, NextToken }));
          return [p.RecoveryPoints, p.NextToken];
        });
      } catch (e) {
        if (e.name === 'ResourceNotFoundException') continue;
        throw e;
      }
      left += points.length;
      for (const rp of points.filter((p) => p.Status !== 'DELETING')) {
        await backup.send(new DeleteRecoveryPointCommand({ BackupVaultName, RecoveryPointArn: rp.RecoveryPointArn }));
        log(`${region}: deleting recovery point ${rp.RecoveryPointArn}`);
      }
    }
    if (left === 0) return;
    await pause();
  }
}
