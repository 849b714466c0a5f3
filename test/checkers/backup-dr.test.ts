import 'aws-sdk-client-mock-jest';
import { BackupClient, ListBackupPlansCommand, ListCopyJobsCommand } from '@aws-sdk/client-backup';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, ScanCommand, UpdateContinuousBackupsCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { arnRegion, checker, coverage, isDailySchedule, wildcardMatch, type BackupDrFacts } from '../../checkers/backup-dr';
import { isReadOnlyAction, type CallListener } from '../../lib/aws/clients';
import type { LabResult } from '../../lib/checker';
import { checkerActions, evaluate, gatherFacts } from '../../lib/engine';
import { DoplabError } from '../../lib/errors';
import { loadFactsFile } from '../../lib/facts-file';
import { lab } from '../../labs/backup-dr/lab';
import { SEEDED_ITEM_COUNT, TABLE_NAME } from '../../labs/backup-dr/contract';
import {
  ACCOUNT,
  BACKUP_ROLE_ARN,
  REGION,
  RESTORED_TABLE,
  SECOND_VAULT_ARN,
  STACK_NAME,
  STACK_OUTPUTS,
  TABLE_ARN,
  VAULT_ARN,
  goodRule,
  selectionByArn,
  solvedAccount,
  startingAccount,
  type AccountModel,
  type Stubs,
} from '../fixtures/backup-dr/aws-world';
import { CREDENTIALS, FACTS_FILES, IDENTITY, SDK_MODULES, freshFactsFile, gatherWorld } from '../fixtures/backup-dr/gather-world';
import { MockedSession, awsError } from '../support/mocked-session';

const CHECK_IDS = ['pitr-enabled', 'plan-with-copy', 'selection-covers-table', 'copy-completed', 'restore-drill'] as const;
type CheckId = (typeof CHECK_IDS)[number];

function run(facts: BackupDrFacts): LabResult {
  return evaluate(checker.checks, facts, { lab: checker.labId, account: ACCOUNT, region: REGION, source: 'facts-file' });
}

function check(result: LabResult, id: CheckId) {
  const found = result.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id}`);
  return found;
}

describe('backup-dr checker', () => {
  let stubs: Stubs | undefined;
  const restore = () => {
    for (const stub of Object.values(stubs ?? {})) stub.restore();
    stubs = undefined;
  };
  afterEach(restore);
  /** Bare mocks answering nothing, restored after the test. */
  const mockStubs = (): Stubs => {
    restore();
    stubs = { cloudformation: mockClient(CloudFormationClient), dynamodb: mockClient(DynamoDBClient), backup: mockClient(BackupClient) };
    return stubs;
  };

  /** Gathers through the real engine and middleware from the account's AWS answers (test/fixtures/backup-dr). */
  async function gather(account: AccountModel, edit?: (s: Stubs) => void) {
    const actions: string[] = [];
    const listener: CallListener = (action) => actions.push(action);
    restore();
    const gathered = await gatherWorld(account, edit, listener);
    stubs = gathered.stubs;
    return { file: gathered.file, facts: gathered.file.facts, actions, stubs: gathered.stubs };
  }
  const statusesOf = (result: LabResult) => result.checks.map((c) => c.status);

  describe('declaration', () => {
    it('has five checks with unique ids, hints and task statement 3.3, worth 100 points', () => {
      expect(checker.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
      for (const c of checker.checks) {
        expect(c.hint.length).toBeGreaterThan(40);
        expect(c.taskStatement).toBe('3.3');
      }
      expect(checker.checks.reduce((sum, c) => sum + c.points, 0)).toBe(100);
    });

    it('declares only read-only actions, Scan among them', () => {
      expect(checkerActions(checker)).toEqual([
        'backup:DescribeRegionSettings',
        'backup:GetBackupPlan',
        'backup:GetBackupSelection',
        'backup:ListBackupJobs',
        'backup:ListBackupPlans',
        'backup:ListBackupSelections',
        'backup:ListCopyJobs',
        'cloudformation:DescribeStacks',
        'dynamodb:DescribeContinuousBackups',
        'dynamodb:DescribeTable',
        'dynamodb:ListTables',
        'dynamodb:ListTagsOfResource',
        'dynamodb:Scan',
      ]);
      expect(checkerActions(checker).every(isReadOnlyAction)).toBe(true);
    });
  });

  describe('the shipped examples, recorded through the real gather', () => {
    it.each(Object.keys(FACTS_FILES))('%s.json is what gather records from its account (regenerate with test/support/write-facts.ts)', async (name) => {
      expect(FACTS_FILES[name].path).toBe(lab.examples[name as keyof typeof lab.examples]);
      const shipped = loadFactsFile(FACTS_FILES[name].path, checker.labId, checker.factsSchema);
      expect(JSON.parse(JSON.stringify(await freshFactsFile(name)))).toEqual(shipped);
    });
  });

  describe('checks', () => {
    it('scores 0 on the starting state, every check failing with a hint', async () => {
      const result = run(loadFactsFile(lab.examples.starting, checker.labId, checker.factsSchema).facts);
      expect(result.score).toBe(0);
      expect(statusesOf(result)).toEqual(['FAIL', 'FAIL', 'FAIL', 'FAIL', 'FAIL']);
      for (const c of result.checks) expect(c.hint).toBeTruthy();
      expect(check(result, 'pitr-enabled').evidence).toEqual({
        observed: 'PointInTimeRecoveryStatus DISABLED',
        expected: 'PointInTimeRecoveryStatus ENABLED',
        where: `DynamoDB table ${TABLE_NAME} in ${REGION}`,
      });
      expect(check(result, 'plan-with-copy').evidence?.observed).toBe(`no backup plan in ${REGION}`);
      expect(check(result, 'selection-covers-table').evidence?.observed).toBe('no backup selection in any plan');
      expect(check(result, 'copy-completed').evidence?.observed).toBe('no backup job and no copy job of the table');
      // Advanced features are off in the starting account: the hint says what the copy needs.
      expect(check(result, 'copy-completed').hint).toMatch(/advanced features for DynamoDB.*opt-in and the full-management preference/);
      expect(check(result, 'restore-drill').evidence?.observed).toBe(`no table restored from ${TABLE_NAME}`);
      expect(check(result, 'restore-drill').hint).toMatch(/NEW table \(a restore never writes into an existing table/);
    });

    it('gives full marks on the solved state, counting the restored items over two Scan pages', async () => {
      const result = run(loadFactsFile(lab.examples.solved, checker.labId, checker.factsSchema).facts);
      expect(statusesOf(result)).toEqual(CHECK_IDS.map(() => 'PASS'));
      expect(result.score).toBe(100);
      expect(check(result, 'restore-drill').evidence?.observed).toBe(`${RESTORED_TABLE} ACTIVE, restored to 2026-11-27T09:38:55.000Z, ${SEEDED_ITEM_COUNT} items`);
      expect(check(result, 'copy-completed').evidence?.observed).toBe(`copy job c0d1e2f3-a4b5-4c6d-8e7f-9a0b1c2d3e4f COMPLETED into ${SECOND_VAULT_ARN}`);
    });

    it('partial: PITR only passes the first check', async () => {
      const account = startingAccount();
      account.pitr = 'ENABLED';
      const result = run((await gather(account)).facts);
      expect(statusesOf(result)).toEqual(['PASS', 'FAIL', 'FAIL', 'FAIL', 'FAIL']);
      expect(result.score).toBe(15);
      expect(check(result, 'pitr-enabled').evidence?.observed).toBe('PointInTimeRecoveryStatus ENABLED (restorable from 2026-11-27T09:12:30.000Z to 2026-11-27T09:45:25.000Z)');
    });

    it('trap: a copy action to a vault in the same region fails the plan, naming regional failure', async () => {
      const account = solvedAccount();
      account.plans[0].rules = [goodRule({ CopyActions: [{ DestinationBackupVaultArn: `arn:aws:backup:${REGION}:${ACCOUNT}:backup-vault:Default`, Lifecycle: { DeleteAfterDays: 7 } }] })];
      const c = check(run((await gather(account)).facts), 'plan-with-copy');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toContain(`copy to arn:aws:backup:${REGION}:${ACCOUNT}:backup-vault:Default kept 7 days`);
      expect(c.hint).toMatch(/same region as the backup: it would die with the region/);
    });

    it('trap: a completed copy into the deploy region fails the copy check with the same lesson', async () => {
      const account = solvedAccount();
      account.copyJobs[0].DestinationBackupVaultArn = `arn:aws:backup:${REGION}:${ACCOUNT}:backup-vault:Default`;
      const c = check(run((await gather(account)).facts), 'copy-completed');
      expect(c.status).toBe('FAIL');
      expect(c.hint).toMatch(/same region/);
    });

    it.each<[string, Partial<Parameters<typeof goodRule>[0]>, RegExp]>([
      ['a weekly schedule', { ScheduleExpression: 'cron(0 5 ? * SUN *)' }, /every day/],
      ['a 3-day retention', { Lifecycle: { DeleteAfterDays: 3 } }, /at least 7 days \(the rule's lifecycle\)/],
      ['another vault', { TargetBackupVaultName: 'Default' }, /lab's vault in this region/],
      ['no copy', { CopyActions: [] }, /Add a copy action/],
      ['copies kept 1 day', { CopyActions: [{ DestinationBackupVaultArn: SECOND_VAULT_ARN, Lifecycle: { DeleteAfterDays: 1 } }] }, /own lifecycle/],
      ['a copy to another vault of the second region', { CopyActions: [{ DestinationBackupVaultArn: SECOND_VAULT_ARN.replace('doplab-backup-dr', 'Default'), Lifecycle: { DeleteAfterDays: 7 } }] }, /not into the lab's vault there/],
    ])('fails a plan with %s, with its own hint', async (_, edit, hint) => {
      const account = solvedAccount();
      account.plans[0].rules = [goodRule(edit)];
      const c = check(run((await gather(account)).facts), 'plan-with-copy');
      expect(c.status).toBe('FAIL');
      expect(c.hint).toMatch(hint);
    });

    it('trap: a selection on a tag the table does not have fails, listing the tags it has', async () => {
      const account = solvedAccount();
      account.plans[0].selections[0].selection = selectionByArn({ Resources: [], ListOfTags: [{ ConditionType: 'STRINGEQUALS', ConditionKey: 'backup', ConditionValue: 'daily' }] });
      const c = check(run((await gather(account)).facts), 'selection-covers-table');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toBe('"orders-table" of plan "doplab-orders-daily" (role DopLab-backup-dr-BackupRole8F3C9A51-Xk2pQ7rT4vNw, does not include the table)');
      expect(c.hint).toBe("A selection by tag matches only resources that carry that tag with that value; the table's tags are doplab:lab=backup-dr, data-class=orders. Select on one of those, or by ARN.");
    });

    it('passes a selection on the tag the table has, when DynamoDB is opted in; fails it when not', async () => {
      const account = solvedAccount();
      account.plans[0].selections[0].selection = selectionByArn({
        Resources: ['*'],
        Conditions: { StringEquals: [{ ConditionKey: 'aws:ResourceTag/data-class', ConditionValue: 'orders' }], StringNotEquals: [], StringLike: [], StringNotLike: [] },
      });
      expect(check(run((await gather(account)).facts), 'selection-covers-table').status).toBe('PASS');
      account.optIn = false;
      const c = check(run((await gather(account)).facts), 'selection-covers-table');
      expect(c.status).toBe('FAIL');
      expect(c.hint).toMatch(/opted in to AWS Backup in the Region; DynamoDB is not/);
    });

    it("fails a selection that covers the table with another role, naming the lab's", async () => {
      const account = solvedAccount();
      account.plans[0].selections[0].selection = selectionByArn({ IamRoleArn: `arn:aws:iam::${ACCOUNT}:role/service-role/AWSBackupDefaultServiceRole` });
      const c = check(run((await gather(account)).facts), 'selection-covers-table');
      expect(c.status).toBe('FAIL');
      expect(c.hint).toMatch(/lab's role \(BackupRoleArn\)/);
    });

    it('trap: the lab table restored into its own name fails the drill, explaining why restores make new tables', async () => {
      const account = solvedAccount();
      account.tables = account.tables.filter((t) => t.TableName !== RESTORED_TABLE);
      account.labTable = { ...account.labTable, CreationDateTime: new Date('2026-11-27T10:02:11.000Z'), RestoreSummary: { SourceTableArn: TABLE_ARN, RestoreDateTime: new Date('2026-11-27T09:38:55.000Z'), RestoreInProgress: false } };
      const c = check(run((await gather(account)).facts), 'restore-drill');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toMatch(/the lab table doplab-backup-dr-orders itself was restored .* deleted and re-created outside CloudFormation/);
      expect(c.hint).toMatch(/Restores always create a new table and refuse an existing name/);
    });

    it('fails a restored table that lacks items, with the count', async () => {
      const account = solvedAccount();
      account.scanPages[RESTORED_TABLE] = [120];
      const c = check(run((await gather(account)).facts), 'restore-drill');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toBe(`${RESTORED_TABLE} ACTIVE, restored to 2026-11-27T09:38:55.000Z, 120 items`);
      expect(c.hint).toMatch(/does not hold the 300 seeded items/);
    });

    it('passes the drill on the full restore even when a second restore could not be counted', async () => {
      const account = solvedAccount();
      account.tables.push({ ...account.tables[1], TableName: 'orders-second-try', TableArn: TABLE_ARN.replace(TABLE_NAME, 'orders-second-try') });
      const { facts } = await gather(account, (s) => s.dynamodb.on(ScanCommand, { TableName: 'orders-second-try' }).rejects(awsError('AccessDeniedException', 'not authorized to perform: dynamodb:Scan', 400)));
      expect(facts.restoredTables.ok && facts.restoredTables.value.map((r) => [r.table.TableName, r.itemCount?.ok])).toEqual([
        [RESTORED_TABLE, true],
        ['orders-second-try', false],
      ]);
      expect(check(run(facts), 'restore-drill').status).toBe('PASS');
    });

    it("prefers a selection in the plan that backs up into the lab vault, and judges that one", async () => {
      const account = solvedAccount();
      account.plans.unshift({ id: '00000000-0000-4000-8000-000000000000', name: 'a-org-plan', rules: [goodRule({ TargetBackupVaultName: 'Default', RuleName: 'org' })], selections: [{ id: 'org-sel', selection: selectionByArn({ SelectionName: 'org-orders' }) }] });
      const c = check(run((await gather(account)).facts), 'selection-covers-table');
      expect(c.status).toBe('PASS');
      expect(c.evidence?.observed).toMatch(/^"orders-table" of plan "doplab-orders-daily"/);
    });

    it('is pending while the copy job runs and while the restored table is being created, and counts nothing then', async () => {
      const account = solvedAccount();
      Object.assign(account.copyJobs[0], { State: 'RUNNING', CompletionDate: undefined });
      Object.assign(account.tables[1], { TableStatus: 'CREATING', RestoreSummary: { ...account.tables[1].RestoreSummary, RestoreInProgress: true } });
      const { facts, stubs: s } = await gather(account);
      const result = run(facts);
      expect(statusesOf(result)).toEqual(['PASS', 'PASS', 'PASS', 'PENDING', 'PENDING']);
      expect(check(result, 'copy-completed').evidence?.observed).toBe(`copy job c0d1e2f3-a4b5-4c6d-8e7f-9a0b1c2d3e4f RUNNING into ${SECOND_VAULT_ARN}`);
      expect(check(result, 'restore-drill').evidence?.observed).toBe(`${RESTORED_TABLE} CREATING (restore in progress), restored to 2026-11-27T09:38:55.000Z, not counted yet`);
      expect(s.dynamodb).toHaveReceivedCommandTimes(ScanCommand, 0);
    });

    it('fails, not pends, while only the backup job runs: the copy is the learner\'s next step', async () => {
      const account = solvedAccount();
      account.copyJobs = [];
      Object.assign(account.backupJobs[0], { State: 'RUNNING', CompletionDate: undefined });
      const c = check(run((await gather(account)).facts), 'copy-completed');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toBe('no copy job; backup job 3e4f5a6b-7c8d-4e9f-0a1b-2c3d4e5f6a7b is RUNNING');
      expect(c.hint).toMatch(/once it completes, copy its recovery point/);
    });

    it('fails a failed copy with its status message, pointing at the advanced features when they are off', async () => {
      const account = solvedAccount();
      account.management = false;
      Object.assign(account.copyJobs[0], { State: 'FAILED', StatusMessage: 'Cross-region copy is not supported for this resource type without advanced DynamoDB backup.' });
      const c = check(run((await gather(account)).facts), 'copy-completed');
      expect(c.status).toBe('FAIL');
      expect(c.evidence?.observed).toMatch(/FAILED into .*: Cross-region copy is not supported/);
      expect(c.hint).toMatch(/advanced features for DynamoDB/);
    });

    it('errors only the checks whose reads failed, naming the action', async () => {
      const denied = (action: string) => awsError('AccessDeniedException', `User: ${IDENTITY.arn} is not authorized to perform: ${action}`, 400);
      const { facts } = await gather(solvedAccount(), (s) => {
        s.backup.on(ListCopyJobsCommand).rejects(denied('backup:ListCopyJobs'));
        s.dynamodb.on(ScanCommand).rejects(awsError('ThrottlingException', 'Rate exceeded', 400));
      });
      const result = run(facts);
      expect(statusesOf(result)).toEqual(['PASS', 'PASS', 'PASS', 'ERROR', 'ERROR']);
      expect(check(result, 'copy-completed').error).toMatchObject({ code: 'ACCESS_DENIED', action: 'backup:ListCopyJobs' });
      expect(check(result, 'restore-drill').error?.action).toBe('dynamodb:Scan');
      expect(result.score).toBe(60);
    });

    it('errors the plan and selection checks when plans cannot be listed', async () => {
      const { facts } = await gather(solvedAccount(), (s) => s.backup.on(ListBackupPlansCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: backup:ListBackupPlans', 400)));
      expect(statusesOf(run(facts))).toEqual(['PASS', 'ERROR', 'ERROR', 'PASS', 'PASS']);
    });

    it('rejects malformed facts', () => {
      const facts = structuredClone(loadFactsFile(lab.examples.solved, checker.labId, checker.factsSchema).facts) as unknown as { restoredTables: { value: { itemCount: { value: unknown } }[] } };
      facts.restoredTables.value[0].itemCount.value = '300';
      expect(checker.factsSchema.safeParse(facts).success).toBe(false);
    });
  });

  describe('gather', () => {
    it('sends exactly these read-only, declared commands, Scan following LastEvaluatedKey', async () => {
      const { actions, stubs: s } = await gather(solvedAccount());
      expect([...new Set(actions)].sort()).toEqual(checkerActions(checker));
      expect(actions.every(isReadOnlyAction)).toBe(true);
      expect(s.dynamodb.commandCalls(ScanCommand).map((c) => c.args[0].input)).toEqual([
        { TableName: RESTORED_TABLE, Select: 'COUNT' },
        { TableName: RESTORED_TABLE, Select: 'COUNT', ExclusiveStartKey: { orderId: { S: 'page-1' } } },
      ]);
      const names = (stub: { calls(): readonly { args: readonly unknown[] }[] }) => stub.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, ''));
      expect(names(s.dynamodb).sort()).toEqual(['DescribeContinuousBackups', 'DescribeTable', 'DescribeTable', 'DescribeTable', 'ListTables', 'ListTagsOfResource', 'Scan', 'Scan']);
      expect(names(s.backup).sort()).toEqual(['DescribeRegionSettings', 'GetBackupPlan', 'GetBackupSelection', 'ListBackupJobs', 'ListBackupPlans', 'ListBackupSelections', 'ListCopyJobs']);
      const inputs = (stub: { calls(): readonly { args: readonly unknown[] }[] }) =>
        stub.calls().map((c) => `${(c.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, '')} ${JSON.stringify((c.args[0] as { input: unknown }).input)}`).sort();
      expect(inputs(s.backup)).toEqual([
        'DescribeRegionSettings {}',
        'GetBackupPlan {"BackupPlanId":"8e2f6a1c-3b4d-4e5f-9a0b-1c2d3e4f5a6b"}',
        'GetBackupSelection {"BackupPlanId":"8e2f6a1c-3b4d-4e5f-9a0b-1c2d3e4f5a6b","SelectionId":"7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a"}',
        `ListBackupJobs {"ByResourceArn":"${TABLE_ARN}"}`,
        'ListBackupPlans {}',
        'ListBackupSelections {"BackupPlanId":"8e2f6a1c-3b4d-4e5f-9a0b-1c2d3e4f5a6b"}',
        `ListCopyJobs {"ByResourceArn":"${TABLE_ARN}"}`,
      ]);
      expect(inputs(s.dynamodb).filter((c) => !c.startsWith('Scan'))).toEqual([
        `DescribeContinuousBackups {"TableName":"${TABLE_NAME}"}`,
        `DescribeTable {"TableName":"${TABLE_NAME}"}`,
        `DescribeTable {"TableName":"${RESTORED_TABLE}"}`,
        'DescribeTable {"TableName":"payments-ledger"}',
        'ListTables {}',
        `ListTagsOfResource {"ResourceArn":"${TABLE_ARN}"}`,
      ]);
    });

    it('refuses a write even if a checker tried one', async () => {
      mockStubs();
      const session = new MockedSession({ region: REGION, credentials: CREDENTIALS }, SDK_MODULES);
      const ddb = session.readOnlyClient(DynamoDBClient, REGION);
      await expect(ddb.send(new UpdateContinuousBackupsCommand({ TableName: TABLE_NAME, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }))).rejects.toThrow(
        /Refused dynamodb:UpdateContinuousBackups: checkers may only read/,
      );
    });

    it('rejects with LAB_NOT_DEPLOYED when the stack does not exist, reading nothing else', async () => {
      const stubs = mockStubs();
      stubs.cloudformation.on(DescribeStacksCommand).rejects(awsError('ValidationError', `Stack with id ${STACK_NAME} does not exist`));
      const session = new MockedSession({ region: REGION, credentials: CREDENTIALS }, SDK_MODULES);
      const error = await gatherFacts(checker, session, { identity: IDENTITY }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DoplabError);
      expect(error).toMatchObject({ code: 'LAB_NOT_DEPLOYED' });
      expect(stubs.dynamodb.calls()).toHaveLength(0);
      expect(stubs.backup.calls()).toHaveLength(0);
    });

    it('records the stack outputs it read', async () => {
      const { file } = await gather(startingAccount());
      expect(file.stack.outputs).toEqual(STACK_OUTPUTS);
      expect(file.facts).toMatchObject({ vaultName: 'doplab-backup-dr', secondRegion: 'us-east-1', backupRoleArn: BACKUP_ROLE_ARN });
    });
  });

  describe('judging helpers', () => {
    it.each([
      ['cron(0 5 ? * * *)', true],
      ['cron(0 5 * * ? *)', true],
      ['cron(0 */12 ? * * *)', true],
      ['cron(0 5 ? * MON-FRI *)', false],
      ['cron(0 5 1 * ? *)', false],
      ['rate(1 day)', false],
      [undefined, false],
    ])('isDailySchedule(%s) is %s', (expression, daily) => {
      expect(isDailySchedule(expression)).toBe(daily);
    });

    it('matches AWS Backup wildcards and reads ARN regions', () => {
      expect(wildcardMatch('arn:aws:dynamodb:*:*:table/*', TABLE_ARN)).toBe(true);
      expect(wildcardMatch('arn:aws:dynamodb:*:*:table/orders', TABLE_ARN)).toBe(false);
      expect(arnRegion(VAULT_ARN)).toBe(REGION);
    });

    it('tells how a selection covers the table: by ARN, by tag or wildcard, or not, with NotResources winning', () => {
      const tags = [{ Key: 'data-class', Value: 'orders' }];
      const base = { SelectionName: 's', IamRoleArn: BACKUP_ROLE_ARN };
      expect(coverage({ ...base, Resources: ['arn:aws:dynamodb:*:*:table/*'] }, TABLE_ARN, tags)).toBe('arn');
      expect(coverage({ ...base, Resources: ['*'] }, TABLE_ARN, tags)).toBe('tag');
      expect(coverage({ ...base, ListOfTags: [{ ConditionType: 'STRINGEQUALS', ConditionKey: 'data-class', ConditionValue: 'orders' }] }, TABLE_ARN, tags)).toBe('tag');
      expect(coverage({ ...base, Resources: ['*'], Conditions: { StringLike: [{ ConditionKey: 'aws:ResourceTag/data-class', ConditionValue: 'ord*' }] } }, TABLE_ARN, tags)).toBe('tag');
      expect(coverage({ ...base, Resources: ['*'], Conditions: { StringNotEquals: [{ ConditionKey: 'aws:ResourceTag/data-class', ConditionValue: 'orders' }] } }, TABLE_ARN, tags)).toBe('none');
      expect(coverage({ ...base, Resources: [TABLE_ARN], NotResources: ['arn:aws:dynamodb:*:*:table/doplab-*'] }, TABLE_ARN, tags)).toBe('none');
    });
  });
});
