// Checker of the backup-dr lab: SDK only (never aws-cdk-lib), read-only calls (DynamoDB's Scan counts the restored items).
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
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  ScanCommand,
  type Tag,
} from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { awsErrorName } from '../lib/aws/errors';
import { defineChecker, type Check, type Verdict } from '../lib/checker';
import { factSchema, need, readFact, type Fact } from '../lib/facts';
import { allPages, byName, isoDates, jsonified, type Jsonified, type WithIsoDates } from '../lib/sdk-facts';
import { LAB_ID, MIN_RETENTION_DAYS, Outputs, SEEDED_ITEM_COUNT } from '../labs/backup-dr/contract';

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

/** What DescribeTable says about a table, as far as the checks need it. */
export interface TableView {
  readonly TableName?: string;
  readonly TableArn?: string;
  readonly TableStatus?: string;
  readonly CreationDateTime?: string;
  readonly RestoreSummary?: { SourceTableArn?: string; SourceBackupArn?: string; RestoreDateTime?: string; RestoreInProgress?: boolean };
}

/** A table restored from the lab table, and how many items a full Scan counted (once it is ACTIVE). */
export interface RestoredTable {
  readonly table: TableView;
  /** Scan with Select COUNT, every page; null while the table is not ACTIVE or still restoring. */
  readonly itemCount: Fact<number> | null;
}

/** One backup plan: its rules and its selections. */
export interface PlanFacts {
  readonly BackupPlanId: string;
  readonly BackupPlanName?: string;
  readonly Rules: Jsonified<BackupRule>[];
  readonly Selections: (Jsonified<BackupSelection> & { SelectionId?: string })[];
}

/** AWS Backup's DynamoDB settings in the deploy region (DescribeRegionSettings). */
export interface DynamoDbSettings {
  readonly optIn?: boolean;
  readonly management?: boolean;
}

/** What gather reads; each AWS read is a Fact so one failure only ERRORs the checks that need it. */
export interface BackupDrFacts {
  readonly region: string;
  readonly account: string;
  /** The copy's region (stack output). */
  readonly secondRegion: string;
  readonly tableName: string;
  readonly tableArn: string;
  readonly vaultName: string;
  readonly secondVaultArn: string;
  readonly backupRoleArn: string;
  /** DescribeContinuousBackups of the lab table. */
  readonly pitr: Fact<{ readonly status?: string; readonly earliest?: string; readonly latest?: string }>;
  /** DescribeTable of the lab table (null when it is gone). */
  readonly table: Fact<TableView | null>;
  /** ListTagsOfResource of the lab table. */
  readonly tableTags: Fact<Tag[]>;
  readonly regionSettings: Fact<DynamoDbSettings>;
  /** ListBackupPlans, then GetBackupPlan, ListBackupSelections and GetBackupSelection of each. */
  readonly plans: Fact<PlanFacts[]>;
  /** ListBackupJobs and ListCopyJobs of the lab table in the deploy region. */
  readonly backupJobs: Fact<WithIsoDates<BackupJob>[]>;
  readonly copyJobs: Fact<WithIsoDates<CopyJob>[]>;
  /** ListTables, then DescribeTable of each: those restored from the lab table, with their item count. */
  readonly restoredTables: Fact<RestoredTable[]>;
}

/** Tables described per gather at most; a sandbox rarely holds more. */
export const MAX_TABLES = 100;
/** Backup plans read per gather at most. */
export const MAX_PLANS = 20;

const tableSchema = z.looseObject({
  TableName: z.string().optional(),
  TableArn: z.string().optional(),
  TableStatus: z.string().optional(),
  CreationDateTime: z.string().optional(),
  RestoreSummary: z
    .looseObject({ SourceTableArn: z.string().optional(), SourceBackupArn: z.string().optional(), RestoreDateTime: z.string().optional(), RestoreInProgress: z.boolean().optional() })
    .optional(),
});
const lifecycleSchema = z.looseObject({ DeleteAfterDays: z.number().optional(), MoveToColdStorageAfterDays: z.number().optional() }).optional();
const conditionSchema = z.looseObject({ ConditionKey: z.string().optional(), ConditionValue: z.string().optional() });
const jobSchema = z.looseObject({ State: z.string().optional(), ResourceArn: z.string().optional(), CreationDate: z.string().optional(), StatusMessage: z.string().optional() });

const schema = z.object({
  region: z.string().min(1),
  account: z.string().min(1),
  secondRegion: z.string().min(1),
  tableName: z.string().min(1),
  tableArn: z.string().startsWith('arn:'),
  vaultName: z.string().min(1),
  secondVaultArn: z.string().startsWith('arn:'),
  backupRoleArn: z.string().startsWith('arn:'),
  pitr: factSchema(z.object({ status: z.string().optional(), earliest: z.string().optional(), latest: z.string().optional() })),
  table: factSchema(tableSchema.nullable()),
  tableTags: factSchema(z.array(z.looseObject({ Key: z.string(), Value: z.string() }))),
  regionSettings: factSchema(z.object({ optIn: z.boolean().optional(), management: z.boolean().optional() })),
  plans: factSchema(
    z.array(
      z.object({
        BackupPlanId: z.string(),
        BackupPlanName: z.string().optional(),
        Rules: z.array(
          z.looseObject({
            RuleName: z.string().optional(),
            TargetBackupVaultName: z.string().optional(),
            ScheduleExpression: z.string().optional(),
            Lifecycle: lifecycleSchema,
            CopyActions: z.array(z.looseObject({ DestinationBackupVaultArn: z.string().optional(), Lifecycle: lifecycleSchema })).optional(),
          }),
        ),
        Selections: z.array(
          z.looseObject({
            SelectionName: z.string().optional(),
            IamRoleArn: z.string().optional(),
            Resources: z.array(z.string()).optional(),
            NotResources: z.array(z.string()).optional(),
            ListOfTags: z.array(conditionSchema).optional(),
            Conditions: z.record(z.string(), z.array(conditionSchema)).optional(),
          }),
        ),
      }),
    ),
  ),
  backupJobs: factSchema(z.array(jobSchema)),
  copyJobs: factSchema(z.array(jobSchema.extend({ DestinationBackupVaultArn: z.string().optional() }))),
  restoredTables: factSchema(z.array(z.object({ table: tableSchema, itemCount: factSchema(z.number().int().nonnegative()).nullable() }))),
});

// The schema checks what the checks rely on and passes the rest through, while the facts type keeps the SDK's own shapes.
const factsSchema = schema as unknown as z.ZodType<BackupDrFacts>;

// ---------------------------------------------------------------------------------------------
// Gather
// ---------------------------------------------------------------------------------------------

function tableView(table: { TableName?: string; TableArn?: string; TableStatus?: string; CreationDateTime?: Date; RestoreSummary?: object } | undefined): TableView | null {
  if (!table) return null;
  const { TableName, TableArn, TableStatus, CreationDateTime, RestoreSummary } = table;
  return jsonified({ TableName, TableArn, TableStatus, CreationDateTime, RestoreSummary }) as TableView;
}

async function describeTable(ddb: DynamoDBClient, TableName: string): Promise<TableView | null> {
  try {
    return tableView((await ddb.send(new DescribeTableCommand({ TableName }))).Table);
  } catch (error) {
    if (awsErrorName(error) === 'ResourceNotFoundException') return null;
    throw error;
  }
}

/** Counts a table's items with a paginated Scan that returns counts only. */
export async function countItems(ddb: DynamoDBClient, TableName: string): Promise<number> {
  let count = 0;
  await allPages(async (token) => {
    const page = await ddb.send(
      new ScanCommand({ TableName, Select: 'COUNT', ExclusiveStartKey: token === undefined ? undefined : (JSON.parse(token) as never) }),
    );
    count += page.Count ?? 0;
    return { items: [], next: page.LastEvaluatedKey ? JSON.stringify(page.LastEvaluatedKey) : undefined };
  });
  return count;
}

async function readRestoredTables(ddb: DynamoDBClient, tableArn: string): Promise<RestoredTable[]> {
  const names = await allPages(async (token) => {
    const page = await ddb.send(new ListTablesCommand({ ExclusiveStartTableName: token }));
    return { items: page.TableNames, next: page.LastEvaluatedTableName };
  });
  const tableName = tableArn.split('/').pop();
  const candidates = names.filter((n) => n !== tableName).sort().slice(0, MAX_TABLES);
  const tables = await Promise.all(candidates.map((name) => describeTable(ddb, name)));
  const restored = tables.filter((t): t is TableView => t?.RestoreSummary?.SourceTableArn === tableArn);
  return Promise.all(
    restored.map(async (table) => ({
      table,
      itemCount: table.TableStatus === 'ACTIVE' && !table.RestoreSummary?.RestoreInProgress ? await readFact(() => countItems(ddb, table.TableName!)) : null,
    })),
  );
}

async function readPlans(backup: BackupClient): Promise<PlanFacts[]> {
  const list = await allPages(async (token) => {
    const page = await backup.send(new ListBackupPlansCommand({ NextToken: token }));
    return { items: page.BackupPlansList, next: page.NextToken };
  });
  const ids = list.sort((a, b) => byName(a.BackupPlanName, b.BackupPlanName)).slice(0, MAX_PLANS).map((p) => p.BackupPlanId!);
  return Promise.all(
    ids.map(async (BackupPlanId) => {
      const [plan, selections] = await Promise.all([
        backup.send(new GetBackupPlanCommand({ BackupPlanId })),
        allPages(async (token) => {
          const page = await backup.send(new ListBackupSelectionsCommand({ BackupPlanId, NextToken: token }));
          return { items: page.BackupSelectionsList, next: page.NextToken };
        }),
      ]);
      const Selections = await Promise.all(
        selections.map(async ({ SelectionId }) => ({
          SelectionId,
          ...jsonified((await backup.send(new GetBackupSelectionCommand({ BackupPlanId, SelectionId }))).BackupSelection ?? ({} as BackupSelection)),
        })),
      );
      return { BackupPlanId, BackupPlanName: plan.BackupPlan?.BackupPlanName, Rules: jsonified(plan.BackupPlan?.Rules ?? []), Selections };
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Judging helpers (pure)
// ---------------------------------------------------------------------------------------------

type Facts = BackupDrFacts;
type Rule = Jsonified<BackupRule>;
type Selection = PlanFacts['Selections'][number];

const BUSY = ['CREATED', 'PENDING', 'RUNNING'];

function pending(observed: string, expected: string, where: string): Verdict {
  return { status: 'PENDING', evidence: { observed, expected, where } };
}

/** The region of an ARN (its fourth field). */
export function arnRegion(arn: string | undefined): string {
  return arn?.split(':')[3] ?? '';
}

/** Whether `value` matches an AWS Backup pattern, where `*` stands for any characters. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

/**
 * Whether a cron(...) schedule of AWS Backup runs at least once every day: every day of the month, every month, every
 * weekday (minutes and hours may be anything).
 */
export function isDailySchedule(expression: string | undefined): boolean {
  const match = /^cron\((.+)\)$/.exec(expression?.trim() ?? '');
  if (!match) return false;
  const fields = match[1].trim().split(/\s+/);
  if (fields.length !== 6) return false;
  const [, , dayOfMonth, month, dayOfWeek] = fields;
  const every = (f: string) => f === '*' || f === '?';
  return every(dayOfMonth) && every(month) && every(dayOfWeek);
}

function tagValue(tags: readonly Tag[], key: string | undefined): string | undefined {
  const bare = key?.replace(/^aws:ResourceTag\//, '');
  return tags.find((t) => t.Key === bare)?.Value;
}

/**
 * How a selection covers the table: `arn` (a DynamoDB ARN pattern names it: the Region's opt-in is disregarded), `tag`
 * (by tag or by a pattern like `*`: the opt-in for DynamoDB applies), or `none`.
 */
export function coverage(selection: Selection, tableArn: string, tags: readonly Tag[]): 'arn' | 'tag' | 'none' {
  if ((selection.NotResources ?? []).some((p) => wildcardMatch(p, tableArn))) return 'none';
  const conditions = selection.Conditions ?? {};
  const all = <T>(list: T[] | undefined, ok: (c: T) => boolean) => (list ?? []).every(ok);
  const conditionsHold =
    all(conditions.StringEquals, (c) => tagValue(tags, c.ConditionKey) === c.ConditionValue) &&
    all(conditions.StringNotEquals, (c) => tagValue(tags, c.ConditionKey) !== c.ConditionValue) &&
    all(conditions.StringLike, (c) => wildcardMatch(c.ConditionValue ?? '', tagValue(tags, c.ConditionKey) ?? '\u0000')) &&
    all(conditions.StringNotLike, (c) => !wildcardMatch(c.ConditionValue ?? '', tagValue(tags, c.ConditionKey) ?? '\u0000'));
  if (!conditionsHold) return 'none';
  const named = (selection.Resources ?? []).filter((p) => wildcardMatch(p, tableArn));
  // A pattern naming DynamoDB assigns the resource type explicitly: AWS Backup then disregards the opt-in.
  if (named.some((p) => p.split(':')[2] === 'dynamodb')) return 'arn';
  // ListOfTags is OR-ed with the named resources; Conditions (checked above) narrow both.
  const byListOfTags = (selection.ListOfTags ?? []).some((c) => tagValue(tags, c.ConditionKey) === c.ConditionValue);
  if (byListOfTags || named.length > 0) return 'tag';
  return 'none';
}

function describeLifecycle(lifecycle: Rule['Lifecycle'] | undefined): string {
  return lifecycle?.DeleteAfterDays === undefined ? 'kept forever' : `kept ${lifecycle.DeleteAfterDays} days`;
}

function describeRule(plan: PlanFacts, rule: Rule): string {
  const copies = (rule.CopyActions ?? []).map((c) => `copy to ${c.DestinationBackupVaultArn} ${describeLifecycle(c.Lifecycle)}`);
  return `plan "${plan.BackupPlanName}" rule "${rule.RuleName}": ${rule.ScheduleExpression ?? 'no schedule'} into ${rule.TargetBackupVaultName}, ${describeLifecycle(rule.Lifecycle)}${copies.length > 0 ? `, ${copies.join(', ')}` : ', no copy'}`;
}

/** What is wrong with a rule, in the order the learner should fix it; empty when it does all the task asks. */
function ruleProblems(facts: Facts, rule: Rule): string[] {
  const problems: string[] = [];
  if (rule.TargetBackupVaultName !== facts.vaultName) problems.push('vault');
  if (!isDailySchedule(rule.ScheduleExpression)) problems.push('schedule');
  if ((rule.Lifecycle?.DeleteAfterDays ?? Infinity) < MIN_RETENTION_DAYS) problems.push('retention');
  const copies = rule.CopyActions ?? [];
  const toSecond = copies.find((c) => c.DestinationBackupVaultArn === facts.secondVaultArn);
  if (!toSecond) {
    if (copies.some((c) => arnRegion(c.DestinationBackupVaultArn) === facts.region)) problems.push('copy-same-region');
    else if (copies.some((c) => arnRegion(c.DestinationBackupVaultArn) === facts.secondRegion)) problems.push('copy-other-vault');
    else problems.push('copy');
  } else if (toSecond.Lifecycle?.DeleteAfterDays === undefined || toSecond.Lifecycle.DeleteAfterDays < MIN_RETENTION_DAYS) {
    problems.push('copy-retention');
  }
  return problems;
}

/** Every rule of every plan, best first: fewest problems, then by plan and rule name. */
function rankedRules(facts: Facts): { plan: PlanFacts; rule: Rule; problems: string[] }[] {
  return need(facts.plans)
    .flatMap((plan) => plan.Rules.map((rule) => ({ plan, rule, problems: ruleProblems(facts, rule) })))
    .sort((a, b) => a.problems.length - b.problems.length || byName(a.plan.BackupPlanName, b.plan.BackupPlanName) || byName(a.rule.RuleName, b.rule.RuleName));
}

const RULE_HINTS: Record<string, string> = {
  vault: "Back up into the lab's vault in this region (stack output VaultName): the cleanup empties it, and the copy starts there.",
  schedule: 'The schedule must run every day: a cron expression whose day-of-month, month and day-of-week fields are all wildcards.',
  retention: `Keep the daily backups at least ${MIN_RETENTION_DAYS} days (the rule's lifecycle).`,
  'copy-same-region':
    "The copy goes to a vault in the same region as the backup: it would die with the region. A copy that survives a regional outage goes to a vault in another region — the lab's second vault (stack output SecondVaultArn).",
  'copy-other-vault': "The copy goes to the second region, but not into the lab's vault there (stack output SecondVaultArn), which the cleanup empties.",
  copy: "Add a copy action to the rule whose destination is the lab's vault in the second region, by ARN (stack output SecondVaultArn).",
  'copy-retention': `A copy has its own lifecycle: keep the copies at least ${MIN_RETENTION_DAYS} days too.`,
};

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

const pitrEnabled: Check<Facts> = {
  id: 'pitr-enabled',
  title: 'Point-in-time recovery is on for the orders table',
  points: 15,
  taskStatement: '3.3',
  hint: 'Point-in-time recovery is a setting of the table (its backups settings), not of AWS Backup; it gives a restore point for any second of the last 35 days by default.',
  run(facts): Verdict {
    const pitr = need(facts.pitr);
    const where = `DynamoDB table ${facts.tableName} in ${facts.region}`;
    const expected = 'PointInTimeRecoveryStatus ENABLED';
    const window = pitr.earliest ? ` (restorable from ${pitr.earliest} to ${pitr.latest ?? 'now'})` : '';
    const evidence = { observed: `PointInTimeRecoveryStatus ${pitr.status ?? 'unknown'}${window}`, expected, where };
    if (pitr.status === 'ENABLED') return { status: 'PASS', evidence };
    return { status: 'FAIL', evidence };
  },
};

const planWithCopy: Check<Facts> = {
  id: 'plan-with-copy',
  title: 'A daily backup plan keeps backups a week and copies them to the second region',
  points: 25,
  taskStatement: '3.3',
  hint:
    `Create an AWS Backup plan with a rule that runs daily into the lab vault, keeps recovery points at least ${MIN_RETENTION_DAYS} days, ` +
    "and has a copy action to the lab's vault in the second region (stack output SecondVaultArn) with its own lifecycle.",
  run(facts): Verdict {
    const where = `AWS Backup plans in ${facts.region}`;
    const expected = `a rule: daily cron schedule into ${facts.vaultName}, DeleteAfterDays ≥ ${MIN_RETENTION_DAYS}, copy action to ${facts.secondVaultArn} with DeleteAfterDays ≥ ${MIN_RETENTION_DAYS}`;
    const ranked = rankedRules(facts);
    if (ranked.length === 0) return { status: 'FAIL', evidence: { observed: `no backup plan in ${facts.region}`, expected, where } };
    const best = ranked[0];
    const evidence = { observed: describeRule(best.plan, best.rule), expected, where: `backup plan "${best.plan.BackupPlanName}" in ${facts.region}` };
    if (best.problems.length === 0) return { status: 'PASS', evidence };
    return { status: 'FAIL', evidence, hint: RULE_HINTS[best.problems[0]] };
  },
};

const selectionCoversTable: Check<Facts> = {
  id: 'selection-covers-table',
  title: "A backup selection covers the orders table with the lab's backup role",
  points: 20,
  taskStatement: '3.3',
  hint:
    "Assign the table to the plan with a resource selection — by ARN, or by a tag the table really has — and the lab's backup role (stack output BackupRoleArn).",
  run(facts): Verdict {
    const plans = need(facts.plans);
    const tags = need(facts.tableTags);
    const where = `backup selections in ${facts.region}`;
    const expected = `a selection with IAM role ${facts.backupRoleArn} that includes ${facts.tableArn}`;
    const selections = plans.flatMap((plan) => plan.Selections.map((s) => ({ plan, s, how: coverage(s, facts.tableArn, tags) })));
    const describe = ({ plan, s, how }: (typeof selections)[number]) =>
      `"${s.SelectionName}" of plan "${plan.BackupPlanName}" (role ${s.IamRoleArn?.split('/').pop()}, ${how === 'none' ? 'does not include the table' : `includes the table by ${how === 'arn' ? 'ARN' : 'tag or wildcard'}`})`;
    if (selections.length === 0) return { status: 'FAIL', evidence: { observed: 'no backup selection in any plan', expected, where } };
    // Best first: covers the table, then uses the lab role, then belongs to a plan that backs up into the lab vault.
    const intoLabVault = (plan: PlanFacts) => plan.Rules.some((r) => r.TargetBackupVaultName === facts.vaultName);
    const rank = (x: (typeof selections)[number]) => (x.how !== 'none' ? 4 : 0) + (x.s.IamRoleArn === facts.backupRoleArn ? 2 : 0) + (intoLabVault(x.plan) ? 1 : 0);
    const best = [...selections].sort((a, b) => rank(b) - rank(a))[0];
    const optedIn = facts.regionSettings.ok ? facts.regionSettings.value.optIn : undefined;
    const evidence = { observed: describe(best), expected, where };
    if (best.how === 'none') {
      const tagged = selections.some((x) => (x.s.ListOfTags ?? []).length > 0 || Object.values(x.s.Conditions ?? {}).some((l) => (l ?? []).length > 0));
      const tableTags = tags.map((t) => `${t.Key}=${t.Value}`).join(', ');
      return {
        status: 'FAIL',
        evidence,
        hint: tagged
          ? `A selection by tag matches only resources that carry that tag with that value; the table's tags are ${tableTags}. Select on one of those, or by ARN.`
          : undefined,
      };
    }
    if (best.s.IamRoleArn !== facts.backupRoleArn) {
      return {
        status: 'FAIL',
        evidence,
        hint: "AWS Backup runs the plan's jobs with the selection's role. Use the lab's role (BackupRoleArn), not a console-made default role the lab cannot clean up.",
      };
    }
    if (best.how === 'tag' && optedIn === false) {
      return {
        status: 'FAIL',
        evidence: { ...evidence, observed: `${evidence.observed}; DynamoDB is not opted in to AWS Backup in ${facts.region}` },
        hint: "A selection that finds resources by tag only backs up resource types opted in to AWS Backup in the Region; DynamoDB is not. Opt it in (the Region's settings), or select the table by ARN.",
      };
    }
    return { status: 'PASS', evidence };
  },
};

const copyCompleted: Check<Facts> = {
  id: 'copy-completed',
  title: 'A recovery point of the table was copied to the second region',
  points: 20,
  taskStatement: '3.3',
  hint:
    "Back up the table on demand into the lab vault with the lab's role, then copy that recovery point to the lab's vault in the second region. " +
    "Cross-region copies of DynamoDB need AWS Backup's advanced features for DynamoDB turned on in this region.",
  run(facts): Verdict {
    const copies = need(facts.copyJobs);
    const backups = need(facts.backupJobs);
    const where = `AWS Backup copy jobs of ${facts.tableName} in ${facts.region}`;
    const expected = `a COMPLETED copy job into ${facts.secondVaultArn}`;
    const describe = (j: WithIsoDates<CopyJob>) => `copy job ${j.CopyJobId} ${j.State} into ${j.DestinationBackupVaultArn}${j.StatusMessage ? `: ${j.StatusMessage}` : ''}`;
    const toSecond = copies.filter((j) => j.DestinationBackupVaultArn === facts.secondVaultArn);
    const done = toSecond.find((j) => j.State === 'COMPLETED');
    if (done) return { status: 'PASS', evidence: { observed: describe(done), expected, where } };
    const running = toSecond.find((j) => BUSY.includes(j.State ?? ''));
    if (running) return pending(describe(running), expected, where);
    const settings = facts.regionSettings.ok ? facts.regionSettings.value : {};
    const advancedOff = settings.optIn === false || settings.management === false;
    const advancedHint =
      "Cross-region copy of DynamoDB needs AWS Backup's advanced features for DynamoDB in this region: both the opt-in and the full-management preference for DynamoDB in the Region's settings. Turn them on, then back up again (older recovery points stay DynamoDB-managed).";
    if (copies.length === 0) {
      const busyBackup = backups.find((j) => BUSY.includes(j.State ?? ''));
      const completed = backups.find((j) => j.State === 'COMPLETED');
      const observed = busyBackup
        ? `no copy job; backup job ${busyBackup.BackupJobId} is ${busyBackup.State}`
        : completed
          ? `no copy job; backup job ${completed.BackupJobId} COMPLETED (${completed.RecoveryPointArn})`
          : 'no backup job and no copy job of the table';
      return {
        status: 'FAIL',
        evidence: { observed, expected, where },
        hint: busyBackup ? 'The backup is still running: once it completes, copy its recovery point to the second region.' : advancedOff ? advancedHint : undefined,
      };
    }
    const latest = [...copies].sort((a, b) => byName(b.CreationDate, a.CreationDate))[0];
    const evidence = { observed: describe(latest), expected, where };
    if (arnRegion(latest.DestinationBackupVaultArn) === facts.region) return { status: 'FAIL', evidence, hint: RULE_HINTS['copy-same-region'] };
    if (latest.State === 'FAILED' && advancedOff) return { status: 'FAIL', evidence, hint: advancedHint };
    if (latest.State === 'FAILED') return { status: 'FAIL', evidence, hint: "A failed copy says why in its status message; check the lab role's permissions and the destination vault, then copy again." };
    return { status: 'FAIL', evidence, hint: RULE_HINTS['copy-other-vault'] };
  },
};

const restoreDrill: Check<Facts> = {
  id: 'restore-drill',
  title: 'A point-in-time restore of the table is ACTIVE and holds every item',
  points: 20,
  taskStatement: '3.3',
  hint:
    'Restore the orders table to a point in time into a NEW table (a restore never writes into an existing table, so the lab table cannot be its own target), ' +
    `wait until it is ACTIVE, and count its items: ${SEEDED_ITEM_COUNT} were seeded.`,
  run(facts): Verdict {
    const expected = `an ACTIVE table whose RestoreSummary names ${facts.tableArn} as source, holding ${SEEDED_ITEM_COUNT} items`;
    const where = `DynamoDB tables in ${facts.region}`;
    const labTable = need(facts.table);
    if (labTable?.RestoreSummary) {
      return {
        status: 'FAIL',
        evidence: { observed: `the lab table ${facts.tableName} itself was restored (created ${labTable.CreationDateTime}): it was deleted and re-created outside CloudFormation`, expected, where },
        hint:
          'Restores always create a new table and refuse an existing name; deleting the lab table to reuse its name replaces the table the stack owns and loses its settings (point-in-time recovery, tags). Restore into a new name instead.',
      };
    }
    const restored = need(facts.restoredTables);
    if (restored.length === 0) return { status: 'FAIL', evidence: { observed: `no table restored from ${facts.tableName}`, expected, where } };
    const describe = (r: RestoredTable) => {
      const count = r.itemCount === null ? 'not counted yet' : r.itemCount.ok ? `${r.itemCount.value} items` : `count failed: ${r.itemCount.error.message}`;
      return `${r.table.TableName} ${r.table.TableStatus}${r.table.RestoreSummary?.RestoreInProgress ? ' (restore in progress)' : ''}, restored to ${r.table.RestoreSummary?.RestoreDateTime}, ${count}`;
    };
    const full = restored.find((r) => r.itemCount?.ok && r.itemCount.value === SEEDED_ITEM_COUNT);
    if (full) return { status: 'PASS', evidence: { observed: describe(full), expected, where: `DynamoDB table ${full.table.TableName} in ${facts.region}` } };
    const restoring = restored.find((r) => r.itemCount === null);
    if (restoring) return pending(describe(restoring), expected, `DynamoDB table ${restoring.table.TableName} in ${facts.region}`);
    // A count that could not be read decides nothing: ERROR, not the learner's fault.
    for (const r of restored) if (r.itemCount) need(r.itemCount);
    return {
      status: 'FAIL',
      evidence: { observed: restored.map(describe).join('; '), expected, where },
      hint: `The restored table does not hold the ${SEEDED_ITEM_COUNT} seeded items: restore to a time after the items were written (any time since point-in-time recovery was turned on) and leave the restored copy unchanged.`,
    };
  },
};

// ---------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------

export const checker = defineChecker({
  labId: LAB_ID,
  outputs: Outputs,
  actions: [
    'dynamodb:DescribeContinuousBackups',
    'dynamodb:DescribeTable',
    'dynamodb:ListTagsOfResource',
    'dynamodb:ListTables',
    'dynamodb:Scan',
    'backup:DescribeRegionSettings',
    'backup:ListBackupPlans',
    'backup:GetBackupPlan',
    'backup:ListBackupSelections',
    'backup:GetBackupSelection',
    'backup:ListBackupJobs',
    'backup:ListCopyJobs',
  ],
  factsSchema,
  async gather({ outputs, account, region, client }): Promise<BackupDrFacts> {
    const ddb = client(DynamoDBClient);
    const backup = client(BackupClient);
    const tableArn = outputs.tableArn;
    const [pitr, table, tableTags, regionSettings, plans, backupJobs, copyJobs, restoredTables] = await Promise.all([
      readFact(async () => {
        const d = (await ddb.send(new DescribeContinuousBackupsCommand({ TableName: outputs.tableName }))).ContinuousBackupsDescription?.PointInTimeRecoveryDescription;
        return jsonified({ status: d?.PointInTimeRecoveryStatus, earliest: d?.EarliestRestorableDateTime, latest: d?.LatestRestorableDateTime });
      }),
      readFact(() => describeTable(ddb, outputs.tableName)),
      readFact(async () => (await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: tableArn }))).Tags ?? []),
      readFact(async () => {
        const s = await backup.send(new DescribeRegionSettingsCommand({}));
        return jsonified({ optIn: s.ResourceTypeOptInPreference?.DynamoDB, management: s.ResourceTypeManagementPreference?.DynamoDB });
      }),
      readFact(() => readPlans(backup)),
      readFact(async () =>
        (
          await allPages(async (token) => {
            const page = await backup.send(new ListBackupJobsCommand({ ByResourceArn: tableArn, NextToken: token }));
            return { items: page.BackupJobs, next: page.NextToken };
          })
        ).map(isoDates),
      ),
      readFact(async () =>
        (
          await allPages(async (token) => {
            const page = await backup.send(new ListCopyJobsCommand({ ByResourceArn: tableArn, NextToken: token }));
            return { items: page.CopyJobs, next: page.NextToken };
          })
        ).map(isoDates),
      ),
      readFact(() => readRestoredTables(ddb, tableArn)),
    ]);
    return {
      region,
      account,
      secondRegion: outputs.secondRegion,
      tableName: outputs.tableName,
      tableArn,
      vaultName: outputs.vaultName,
      secondVaultArn: outputs.secondVaultArn,
      backupRoleArn: outputs.backupRoleArn,
      pitr,
      table,
      tableTags,
      regionSettings,
      plans,
      backupJobs,
      copyJobs,
      restoredTables,
    };
  },
  checks: [pitrEnabled, planWithCopy, selectionCoversTable, copyCompleted, restoreDrill],
});
