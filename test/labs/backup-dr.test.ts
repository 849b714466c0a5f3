import 'aws-sdk-client-mock-jest';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  BackupClient,
  CreateBackupPlanCommand,
  CreateBackupSelectionCommand,
  CreateBackupVaultCommand,
  DeleteBackupPlanCommand,
  DeleteBackupSelectionCommand,
  DeleteBackupVaultCommand,
  DeleteRecoveryPointCommand,
  DescribeBackupJobCommand,
  DescribeBackupVaultCommand,
  DescribeCopyJobCommand,
  DescribeRegionSettingsCommand,
  GetBackupPlanCommand,
  GetBackupSelectionCommand,
  ListBackupJobsCommand,
  ListBackupPlansCommand,
  ListBackupSelectionsCommand,
  ListCopyJobsCommand,
  ListRecoveryPointsByBackupVaultCommand,
  StartBackupJobCommand,
  StartCopyJobCommand,
  UpdateRegionSettingsCommand,
} from '@aws-sdk/client-backup';
import {
  BatchWriteItemCommand,
  DeleteBackupCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListBackupsCommand,
  ListTablesCommand,
  RestoreTableToPointInTimeCommand,
  UpdateContinuousBackupsCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { checker } from '../../checkers/backup-dr';
import { AwsSession } from '../../lib/aws/clients';
import { INLINE_CODE_LIMIT } from '../../lib/cdk/inline-cleanup';
import { LAB_TAG_KEY } from '../../lib/contract';
import { evaluate } from '../../lib/engine';
import type { SolutionContext } from '../../lib/lab';
import { LAB_ID, Outputs, SECOND_REGION_CONTEXT, SEEDED_ITEM_COUNT, TABLE_NAME, TABLE_TAG, VAULT_NAME } from '../../labs/backup-dr/contract';
import { lab } from '../../labs/backup-dr/lab';
import { SOLUTION_PLAN_NAME, makeSolve } from '../../labs/backup-dr/solution';
import { CLEANUP_TIMEOUT, REGION_SETTINGS_TYPE, SEED_TYPE, VAULT_TYPE, addLabStack } from '../../labs/backup-dr/stack';
import {
  ACCOUNT,
  BACKUP_ROLE_ARN,
  COPY_ARN,
  RECOVERY_POINT_ARN,
  REGION,
  RESTORED_TABLE,
  SECOND,
  SECOND_VAULT_ARN,
  TABLE_ARN,
  VAULT_ARN,
  solvedAccount,
} from '../fixtures/backup-dr/aws-world';
import { gatherWorld } from '../fixtures/backup-dr/gather-world';
import { templateBody } from '../support/lab-synth';
import { awsError } from '../support/mocked-session';

type Log = (...args: unknown[]) => void;
type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;
const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

const cleanup = require('../../labs/backup-dr/cleanup.handler.js') as { onDelete: (props: Record<string, string>, log: Log, sleep?: () => Promise<void>) => Promise<void> };
const seed = require('../../labs/backup-dr/seed.handler.js') as {
  onEvent: (event: object, ddb?: DynamoDBClient, pauseMs?: number) => Promise<{ id: string }>;
  item: (i: number) => Record<string, unknown>;
};
const vault = require('../../labs/backup-dr/vault.handler.js') as { onEvent: (event: object) => Promise<{ id: string; data?: { Arn: string } }> };
const settings = require('../../labs/backup-dr/region-settings.handler.js') as { onEvent: (event: object) => Promise<{ id: string }> };

/** The region a mocked call was sent to. */
async function regionOf(call: { thisValue: unknown }): Promise<string> {
  return (call.thisValue as { config: { region: () => Promise<string> } }).config.region();
}

describe('backup-dr stack', () => {
  let template: Template;
  let json: { Resources: Resources; Outputs: Record<string, { Value: unknown }>; Conditions?: unknown };

  beforeAll(() => {
    template = Template.fromStack(addLabStack(new App()));
    json = template.toJSON() as typeof json;
  });
  const only = (type: string) => {
    const found = Object.entries(json.Resources).filter(([, r]) => r.Type === type);
    expect(found).toHaveLength(1);
    return found[0];
  };

  it('has the orders table on demand, without point-in-time recovery, tagged for a selection by tag', () => {
    const [, table] = only('AWS::DynamoDB::Table');
    expect(table.Properties).toMatchObject({ TableName: TABLE_NAME, BillingMode: 'PAY_PER_REQUEST', KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }] });
    expect(table.Properties.PointInTimeRecoverySpecification).toBeUndefined();
    expect(table.Properties.Tags).toEqual(expect.arrayContaining([{ Key: TABLE_TAG.key, Value: TABLE_TAG.value }, { Key: LAB_TAG_KEY, Value: LAB_ID }]));
  });

  it('seeds the table at deploy with the count the restore drill expects', () => {
    const [, seedResource] = only(SEED_TYPE);
    expect(seedResource.Properties).toMatchObject({ TableName: { Ref: only('AWS::DynamoDB::Table')[0] }, Count: String(SEEDED_ITEM_COUNT) });
  });

  it('has a vault in the deploy region and one of the same name in the second region, both tagged', () => {
    const [, deployVault] = only('AWS::Backup::BackupVault');
    expect(deployVault.Properties).toMatchObject({ BackupVaultName: VAULT_NAME, BackupVaultTags: { [LAB_TAG_KEY]: LAB_ID } });
    const [, second] = only(VAULT_TYPE);
    expect(second.Properties).toMatchObject({ Region: { 'Fn::If': ['DeployedInUsEast1', 'us-west-2', 'us-east-1'] }, Name: VAULT_NAME, Tags: JSON.stringify({ [LAB_TAG_KEY]: LAB_ID }) });
    template.hasOutput(Outputs.secondVaultArn, { Value: { 'Fn::GetAtt': [only(VAULT_TYPE)[0], 'Arn'] } });
  });

  it('records the AWS Backup region settings of both regions', () => {
    const [, record] = only(REGION_SETTINGS_TYPE);
    expect(record.Properties.Regions).toEqual({ 'Fn::Join': ['', [{ Ref: 'AWS::Region' }, ',', { 'Fn::If': ['DeployedInUsEast1', 'us-west-2', 'us-east-1'] }]] });
  });

  it('has a backup role only AWS Backup may assume, scoped to the table and the two vaults', () => {
    const roles = Object.entries(json.Resources).filter(([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith('BackupRole'));
    expect(roles).toHaveLength(1);
    const [roleId, role] = roles[0];
    expect(role.Properties.AssumeRolePolicyDocument).toMatchObject({ Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' } }] });
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const text = JSON.stringify(role.Properties.Policies);
    expect(text).toContain('dynamodb:StartAwsBackupJob');
    expect(text).toContain('backup:CopyIntoBackupVault');
    template.hasOutput(Outputs.backupRoleArn, { Value: { 'Fn::GetAtt': [roleId, 'Arn'] } });
  });

  it('cleans up first on delete: the cleanup depends on the table, both vaults, the region settings record and the role, and may wait 14 minutes', () => {
    const [, resource] = only('Custom::DopLabCleanup');
    const dependsOn = resource.DependsOn ?? [];
    for (const type of ['AWS::DynamoDB::Table', 'AWS::Backup::BackupVault', VAULT_TYPE, REGION_SETTINGS_TYPE, SEED_TYPE]) expect(dependsOn).toContain(only(type)[0]);
    expect(resource.Properties).toMatchObject({ VaultName: VAULT_NAME, TableName: { Ref: only('AWS::DynamoDB::Table')[0] }, PollSeconds: '10' });
    const fn = Object.entries(json.Resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('CleanupHandler'))!;
    expect(fn[1].Properties.Timeout).toBe(CLEANUP_TIMEOUT.toSeconds());
    expect(CLEANUP_TIMEOUT.toSeconds()).toBeLessThanOrEqual(900);
  });

  it('keeps each inline function under the inline limit and the template under 51,200 bytes (sizes reported)', () => {
    const functions = Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(2);
    for (const [, fn] of functions) expect((fn.Properties.Code as { ZipFile: string }).ZipFile.length).toBeLessThan(INLINE_CODE_LIMIT);
    expect(Buffer.byteLength(templateBody(json))).toBeLessThan(51_200);
  });

  it('takes the second region from CDK context, in its outputs and its regions', () => {
    const t = Template.fromStack(addLabStack(new App({ context: { [SECOND_REGION_CONTEXT]: 'eu-central-1' } }))).toJSON() as typeof json & { Rules: unknown };
    expect(t.Outputs[Outputs.secondRegion].Value).toBe('eu-central-1');
    expect(t.Rules).toBeDefined();
    expect(lab.regions?.('eu-west-1', { SecondRegion: 'eu-central-1' })).toEqual(['eu-west-1', 'eu-central-1']);
    expect(lab.regions?.('us-east-1')).toEqual(['us-east-1', 'us-west-2']);
  });
});

describe('backup-dr custom resources', () => {
  let ddb: AwsClientStub<DynamoDBClient>;
  let backup: AwsClientStub<BackupClient>;
  beforeEach(() => {
    ddb = mockClient(DynamoDBClient);
    backup = mockClient(BackupClient);
  });
  afterEach(() => {
    ddb.restore();
    backup.restore();
  });
  const event = (RequestType: string, ResourceProperties: Record<string, string>, PhysicalResourceId?: string) => ({ RequestType, ResourceProperties, PhysicalResourceId, LogicalResourceId: 'X' });

  it('seeds the items 25 at a time, retrying what DynamoDB left unprocessed, and does nothing on update or delete', async () => {
    ddb.on(BatchWriteItemCommand).resolvesOnce({ UnprocessedItems: { [TABLE_NAME]: [{ PutRequest: { Item: seed.item(1) as never } }] } }).resolves({ UnprocessedItems: {} });
    await expect(seed.onEvent(event('Create', { TableName: TABLE_NAME, Count: '60' }), new DynamoDBClient({}), 0)).resolves.toEqual({ id: `${TABLE_NAME}/seed` });
    const batches = ddb.commandCalls(BatchWriteItemCommand).map((c) => c.args[0].input.RequestItems![TABLE_NAME].length);
    expect(batches).toEqual([25, 1, 25, 10]);
    expect(seed.item(7)).toEqual({ orderId: { S: 'order-0007' }, customer: { S: 'customer-7' }, amountCents: { N: String(1000 + ((7 * 7919) % 90000)) }, status: { S: 'DELIVERED' } });
    ddb.resetHistory();
    await seed.onEvent(event('Delete', { TableName: TABLE_NAME, Count: '60' }, `${TABLE_NAME}/seed`), new DynamoDBClient({}), 0);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('creates the second vault in its region with the lab tag, takes over a leftover one, and deletes it', async () => {
    backup.on(CreateBackupVaultCommand).resolves({ BackupVaultName: VAULT_NAME, BackupVaultArn: SECOND_VAULT_ARN, CreationDate: new Date() });
    const props = { Region: SECOND, Name: VAULT_NAME, Tags: JSON.stringify({ [LAB_TAG_KEY]: LAB_ID }) };
    await expect(vault.onEvent(event('Create', props))).resolves.toEqual({ id: SECOND_VAULT_ARN, data: { Arn: SECOND_VAULT_ARN } });
    const create = backup.commandCalls(CreateBackupVaultCommand)[0];
    expect(create.args[0].input).toEqual({ BackupVaultName: VAULT_NAME, BackupVaultTags: { [LAB_TAG_KEY]: LAB_ID } });
    expect(await regionOf(create)).toBe(SECOND);

    backup.on(CreateBackupVaultCommand).rejects(awsError('AlreadyExistsException', 'Backup vault with the same name already exists'));
    backup.on(DescribeBackupVaultCommand).resolves({ BackupVaultArn: SECOND_VAULT_ARN });
    await expect(vault.onEvent(event('Create', props))).resolves.toMatchObject({ id: SECOND_VAULT_ARN });

    backup.on(DeleteBackupVaultCommand).resolvesOnce({}).rejects(awsError('ResourceNotFoundException', 'not found'));
    await vault.onEvent(event('Delete', props, SECOND_VAULT_ARN));
    await vault.onEvent(event('Delete', props, SECOND_VAULT_ARN));
    await vault.onEvent(event('Delete', props, 'X'));
    expect(backup).toHaveReceivedCommandTimes(DeleteBackupVaultCommand, 2);
  });

  it('records both regions on create and restores only what changed on delete', async () => {
    backup.on(DescribeRegionSettingsCommand).callsFake(async (_input, getClient: () => BackupClient) => {
      const region = await getClient().config.region();
      return region === REGION
        ? { ResourceTypeOptInPreference: { DynamoDB: true, EBS: true }, ResourceTypeManagementPreference: { DynamoDB: false } }
        : { ResourceTypeOptInPreference: { DynamoDB: false }, ResourceTypeManagementPreference: {} };
    });
    const created = await settings.onEvent(event('Create', { Regions: `${REGION},${SECOND}` }));
    expect(created.id).toBe(`dynamodb-settings:${REGION}=true/false,${SECOND}=false/false`);

    // The learner turned the advanced features on in the deploy region only.
    backup.on(DescribeRegionSettingsCommand).callsFake(async (_input, getClient: () => BackupClient) =>
      (await getClient().config.region()) === REGION
        ? { ResourceTypeOptInPreference: { DynamoDB: true }, ResourceTypeManagementPreference: { DynamoDB: true } }
        : { ResourceTypeOptInPreference: { DynamoDB: false }, ResourceTypeManagementPreference: { DynamoDB: false } },
    );
    backup.on(UpdateRegionSettingsCommand).resolves({});
    await settings.onEvent(event('Delete', { Regions: `${REGION},${SECOND}` }, created.id));
    const updates = backup.commandCalls(UpdateRegionSettingsCommand);
    expect(updates.map((c) => c.args[0].input)).toEqual([{ ResourceTypeOptInPreference: { DynamoDB: true }, ResourceTypeManagementPreference: { DynamoDB: false } }]);
    expect(await regionOf(updates[0])).toBe(REGION);
  });

  it('never fails a delete over the settings: it logs and lets the stack go', async () => {
    backup.on(DescribeRegionSettingsCommand).rejects(awsError('AccessDeniedException', 'not authorized'));
    await expect(settings.onEvent(event('Delete', {}, `dynamodb-settings:${REGION}=true/true`))).resolves.toEqual({ id: `dynamodb-settings:${REGION}=true/true` });
    await expect(settings.onEvent(event('Delete', {}, 'X'))).resolves.toEqual({ id: 'X' });
  });
});

describe('backup-dr cleanup handler', () => {
  let ddb: AwsClientStub<DynamoDBClient>;
  let backup: AwsClientStub<BackupClient>;
  const props = { Region: REGION, SecondRegion: SECOND, TableName: TABLE_NAME, TableArn: TABLE_ARN, VaultName: VAULT_NAME, BackupRoleArn: BACKUP_ROLE_ARN, PollSeconds: '0' };
  const LEARNER_PLAN = '8e2f6a1c-3b4d-4e5f-9a0b-1c2d3e4f5a6b';
  const ORG_PLAN = '1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9';

  beforeEach(() => {
    ddb = mockClient(DynamoDBClient);
    backup = mockClient(BackupClient);
    backup.on(ListBackupPlansCommand).resolves({ BackupPlansList: [{ BackupPlanId: LEARNER_PLAN, BackupPlanName: 'orders-daily' }, { BackupPlanId: ORG_PLAN, BackupPlanName: 'org-baseline' }] });
    backup.on(GetBackupPlanCommand, { BackupPlanId: LEARNER_PLAN }).resolves({ BackupPlan: { BackupPlanName: 'orders-daily', Rules: [{ RuleName: 'daily', TargetBackupVaultName: VAULT_NAME }] } });
    backup.on(GetBackupPlanCommand, { BackupPlanId: ORG_PLAN }).resolves({ BackupPlan: { BackupPlanName: 'org-baseline', Rules: [{ RuleName: 'nightly', TargetBackupVaultName: 'Default' }] } });
    backup.on(ListBackupSelectionsCommand, { BackupPlanId: LEARNER_PLAN }).resolves({ BackupSelectionsList: [{ SelectionId: 'sel-1' }] });
    backup.on(ListBackupSelectionsCommand, { BackupPlanId: ORG_PLAN }).resolves({ BackupSelectionsList: [{ SelectionId: 'sel-org' }, { SelectionId: 'sel-orders' }] });
    backup.on(GetBackupSelectionCommand, { SelectionId: 'sel-1' }).resolves({ BackupSelection: { SelectionName: 'by-tag', IamRoleArn: BACKUP_ROLE_ARN, ListOfTags: [] } });
    backup.on(GetBackupSelectionCommand, { SelectionId: 'sel-org' }).resolves({ BackupSelection: { SelectionName: 'everything', IamRoleArn: 'arn:aws:iam::111122223333:role/OrgBackup', Resources: ['*'] } });
    backup.on(GetBackupSelectionCommand, { SelectionId: 'sel-orders' }).resolves({ BackupSelection: { SelectionName: 'orders', IamRoleArn: 'arn:aws:iam::111122223333:role/OrgBackup', Resources: [TABLE_ARN] } });
    backup.on(ListBackupJobsCommand).resolvesOnce({ BackupJobs: [{ BackupJobId: 'job-1', State: 'RUNNING' }] }).resolves({ BackupJobs: [{ BackupJobId: 'job-1', State: 'COMPLETED' }] });
    backup.on(ListCopyJobsCommand).resolves({ CopyJobs: [{ CopyJobId: 'copy-1', State: 'COMPLETED' }] });
    // Each vault lists its recovery point until its deletion has gone through (asynchronous: DELETING first).
    backup.on(ListRecoveryPointsByBackupVaultCommand).callsFake(async (_input, getClient: () => BackupClient) => {
      const region = await getClient().config.region();
      const arn = region === REGION ? RECOVERY_POINT_ARN : COPY_ARN;
      const deletes = backup.commandCalls(DeleteRecoveryPointCommand).filter((c) => c.args[0].input.RecoveryPointArn === arn).length;
      const lists = backup.commandCalls(ListRecoveryPointsByBackupVaultCommand).length;
      if (deletes === 0) return { RecoveryPoints: [{ RecoveryPointArn: arn, Status: 'COMPLETED' }] };
      return lists < 5 ? { RecoveryPoints: [{ RecoveryPointArn: arn, Status: 'DELETING' }] } : { RecoveryPoints: [] };
    });
    ddb.on(ListTablesCommand).resolves({ TableNames: [TABLE_NAME, RESTORED_TABLE, 'payments-ledger'] });
    ddb.on(DescribeTableCommand, { TableName: TABLE_NAME }).resolves({ Table: { TableName: TABLE_NAME, TableArn: TABLE_ARN, TableStatus: 'ACTIVE' } });
    ddb.on(DescribeTableCommand, { TableName: 'payments-ledger' }).resolves({ Table: { TableName: 'payments-ledger', TableStatus: 'ACTIVE' } });
    ddb
      .on(DescribeTableCommand, { TableName: RESTORED_TABLE })
      .resolvesOnce({ Table: { TableName: RESTORED_TABLE, TableStatus: 'CREATING', RestoreSummary: { SourceTableArn: TABLE_ARN, RestoreInProgress: true, RestoreDateTime: new Date() } } })
      .resolves({ Table: { TableName: RESTORED_TABLE, TableStatus: 'ACTIVE', RestoreSummary: { SourceTableArn: TABLE_ARN, RestoreInProgress: false, RestoreDateTime: new Date() } } });
    ddb.on(ListBackupsCommand).resolves({ BackupSummaries: [{ BackupArn: `${TABLE_ARN}/backup/01764230512345-1a2b3c4d`, BackupName: 'before-migration', BackupType: 'USER' }] });
  });
  afterEach(() => {
    ddb.restore();
    backup.restore();
  });

  it("removes the learner's plan and selections, waits for jobs, deletes restored tables and backups, then empties both vaults and waits until they are", async () => {
    const lines: string[] = [];
    await cleanup.onDelete(props, (line) => lines.push(String(line)), async () => undefined);

    expect(backup.commandCalls(DeleteBackupSelectionCommand).map((c) => c.args[0].input)).toEqual([
      { BackupPlanId: LEARNER_PLAN, SelectionId: 'sel-1' },
      { BackupPlanId: ORG_PLAN, SelectionId: 'sel-orders' },
    ]);
    // The organization's plan stays; only its selection naming the lab table went.
    expect(backup.commandCalls(DeleteBackupPlanCommand).map((c) => c.args[0].input)).toEqual([{ BackupPlanId: LEARNER_PLAN }]);
    expect(backup).toHaveReceivedCommandTimes(ListBackupJobsCommand, 2);
    expect(ddb.commandCalls(DeleteTableCommand).map((c) => c.args[0].input)).toEqual([{ TableName: RESTORED_TABLE }]);
    expect(ddb.commandCalls(ListBackupsCommand)[0].args[0].input).toMatchObject({ TableName: TABLE_NAME, BackupType: 'USER' });
    expect(ddb).toHaveReceivedCommandWith(DeleteBackupCommand, { BackupArn: `${TABLE_ARN}/backup/01764230512345-1a2b3c4d` });
    const deletes = await Promise.all(backup.commandCalls(DeleteRecoveryPointCommand).map(async (c) => [await regionOf(c), c.args[0].input]));
    expect(deletes).toEqual([
      [REGION, { BackupVaultName: VAULT_NAME, RecoveryPointArn: RECOVERY_POINT_ARN }],
      [SECOND, { BackupVaultName: VAULT_NAME, RecoveryPointArn: COPY_ARN }],
    ]);
    // Listed until both vaults were empty: a recovery point being deleted is not deleted again.
    expect(backup.commandCalls(ListRecoveryPointsByBackupVaultCommand).length).toBeGreaterThanOrEqual(6);
    expect(lines).toEqual(expect.arrayContaining(['deleted backup plan orders-daily', `deleted restored table ${RESTORED_TABLE}`, `waiting for restored table ${RESTORED_TABLE} (CREATING)`]));
  });

  it('is safe to run twice: with nothing left it deletes nothing', async () => {
    backup.on(ListBackupPlansCommand).resolves({ BackupPlansList: [] });
    backup.on(ListBackupJobsCommand).resolves({ BackupJobs: [] });
    backup.on(ListCopyJobsCommand).resolves({ CopyJobs: [] });
    backup.on(ListRecoveryPointsByBackupVaultCommand).rejects(awsError('ResourceNotFoundException', 'Backup vault not found'));
    ddb.on(ListTablesCommand).resolves({ TableNames: [] });
    ddb.on(ListBackupsCommand).resolves({ BackupSummaries: [] });
    await cleanup.onDelete(props, () => undefined, async () => undefined);
    expect(backup).toHaveReceivedCommandTimes(DeleteBackupPlanCommand, 0);
    expect(backup).toHaveReceivedCommandTimes(DeleteBackupSelectionCommand, 0);
    expect(backup).toHaveReceivedCommandTimes(DeleteRecoveryPointCommand, 0);
    expect(ddb).toHaveReceivedCommandTimes(DeleteTableCommand, 0);
  });

  it('stops waiting for a job that runs on, empties the vaults anyway, and says which job', async () => {
    backup.on(ListBackupJobsCommand).resolves({ BackupJobs: [{ BackupJobId: 'job-stuck', State: 'RUNNING' }] });
    await expect(cleanup.onDelete({ ...props, WaitSeconds: '0' }, () => undefined, async () => new Promise((r) => setTimeout(r, 5)))).rejects.toThrow(
      /could not clean up running jobs: Error: jobs still running: job-stuck/,
    );
    expect(backup.commandCalls(DeleteRecoveryPointCommand)).toHaveLength(2);
  });

  it('carries on past a failure and reports every one at the end', async () => {
    backup.on(ListBackupPlansCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: backup:ListBackupPlans'));
    await expect(cleanup.onDelete(props, () => undefined, async () => undefined)).rejects.toThrow(/could not clean up backup plans: AccessDeniedException/);
    expect(backup.commandCalls(DeleteRecoveryPointCommand)).toHaveLength(2);
  });
});

describe('backup-dr solution', () => {
  let ddb: AwsClientStub<DynamoDBClient>;
  let backup: AwsClientStub<BackupClient>;
  const solve = makeSolve({ pollMs: 0, timeoutMs: 60_000 });
  const outputs = { tableName: TABLE_NAME, tableArn: TABLE_ARN, vaultName: VAULT_NAME, vaultArn: VAULT_ARN, secondRegion: SECOND, secondVaultArn: SECOND_VAULT_ARN, backupRoleArn: BACKUP_ROLE_ARN };

  beforeEach(() => {
    ddb = mockClient(DynamoDBClient);
    backup = mockClient(BackupClient);
    ddb.on(UpdateContinuousBackupsCommand).resolves({});
    backup.on(DescribeRegionSettingsCommand).resolves({ ResourceTypeOptInPreference: { DynamoDB: true }, ResourceTypeManagementPreference: { DynamoDB: false } });
    backup.on(UpdateRegionSettingsCommand).resolves({});
    backup.on(ListBackupPlansCommand).resolves({ BackupPlansList: [] });
    backup.on(CreateBackupPlanCommand).resolves({ BackupPlanId: 'plan-1' });
    backup.on(ListBackupSelectionsCommand).resolves({ BackupSelectionsList: [] });
    backup.on(CreateBackupSelectionCommand).resolves({ SelectionId: 'sel-1' });
    backup.on(StartBackupJobCommand).resolves({ BackupJobId: 'job-1' });
    backup.on(DescribeBackupJobCommand).resolvesOnce({ State: 'RUNNING' }).resolves({ State: 'COMPLETED', RecoveryPointArn: RECOVERY_POINT_ARN });
    backup.on(StartCopyJobCommand).resolves({ CopyJobId: 'copy-1' });
    backup.on(DescribeCopyJobCommand).resolvesOnce({ CopyJob: { State: 'RUNNING' } }).resolves({ CopyJob: { State: 'COMPLETED' } });
    ddb.on(RestoreTableToPointInTimeCommand).resolves({});
    ddb.on(DescribeTableCommand).resolvesOnce({ Table: { TableStatus: 'CREATING' } }).resolves({ Table: { TableStatus: 'ACTIVE', RestoreSummary: { RestoreInProgress: false, SourceTableArn: TABLE_ARN, RestoreDateTime: new Date() } } });
  });
  afterEach(() => {
    ddb.restore();
    backup.restore();
  });

  function context(lines: string[] = []): SolutionContext<typeof Outputs> {
    const session = new AwsSession({ region: REGION, credentials: CREDENTIALS });
    return { outputs, region: REGION, account: ACCOUNT, client: (ctor) => session.client(ctor, REGION), log: (line) => lines.push(line) };
  }

  it('performs every task in order, waiting for the backup, the copy and the restore', async () => {
    await solve(context());
    expect(ddb).toHaveReceivedCommandWith(UpdateContinuousBackupsCommand, { TableName: TABLE_NAME, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
    expect(backup).toHaveReceivedCommandWith(UpdateRegionSettingsCommand, { ResourceTypeOptInPreference: { DynamoDB: true }, ResourceTypeManagementPreference: { DynamoDB: true } });
    const plan = backup.commandCalls(CreateBackupPlanCommand)[0].args[0].input;
    expect(plan.BackupPlan?.Rules?.[0]).toMatchObject({ TargetBackupVaultName: VAULT_NAME, Lifecycle: { DeleteAfterDays: 7 }, CopyActions: [{ DestinationBackupVaultArn: SECOND_VAULT_ARN, Lifecycle: { DeleteAfterDays: 7 } }] });
    expect(plan.BackupPlanTags).toEqual({ [LAB_TAG_KEY]: LAB_ID });
    expect(backup).toHaveReceivedCommandWith(CreateBackupSelectionCommand, { BackupPlanId: 'plan-1', BackupSelection: { SelectionName: 'orders-table', IamRoleArn: BACKUP_ROLE_ARN, Resources: [TABLE_ARN] } });
    expect(backup).toHaveReceivedCommandWith(StartCopyJobCommand, { RecoveryPointArn: RECOVERY_POINT_ARN, SourceBackupVaultName: VAULT_NAME, DestinationBackupVaultArn: SECOND_VAULT_ARN, IamRoleArn: BACKUP_ROLE_ARN });
    expect(ddb).toHaveReceivedCommandWith(RestoreTableToPointInTimeCommand, { SourceTableArn: TABLE_ARN, TargetTableName: RESTORED_TABLE, UseLatestRestorableTime: true });
    expect(backup).toHaveReceivedCommandTimes(DescribeBackupJobCommand, 2);
    expect(backup).toHaveReceivedCommandTimes(DescribeCopyJobCommand, 2);
    expect(ddb).toHaveReceivedCommandTimes(DescribeTableCommand, 2);
  });

  it('reuses its plan when run again, and leaves settings that are already on alone', async () => {
    backup.on(ListBackupPlansCommand).resolves({ BackupPlansList: [{ BackupPlanId: 'plan-1', BackupPlanName: SOLUTION_PLAN_NAME }] });
    backup.on(ListBackupSelectionsCommand).resolves({ BackupSelectionsList: [{ SelectionId: 'sel-1', SelectionName: 'orders-table' }] });
    backup.on(DescribeRegionSettingsCommand).resolves({ ResourceTypeOptInPreference: { DynamoDB: true }, ResourceTypeManagementPreference: { DynamoDB: true } });
    ddb.on(RestoreTableToPointInTimeCommand).rejects(awsError('TableAlreadyExistsException', `Table already exists: ${RESTORED_TABLE}`));
    await solve(context());
    expect(backup).toHaveReceivedCommandTimes(CreateBackupPlanCommand, 0);
    expect(backup).toHaveReceivedCommandTimes(CreateBackupSelectionCommand, 0);
    expect(backup).toHaveReceivedCommandTimes(UpdateRegionSettingsCommand, 0);
  });

  it('stops with the status message when the copy fails', async () => {
    backup.on(DescribeCopyJobCommand).resolves({ CopyJob: { State: 'FAILED', StatusMessage: 'Insufficient privileges to perform this action.' } });
    await expect(solve(context())).rejects.toMatchObject({ code: 'AWS_ERROR', message: 'Copy job copy-1 ended FAILED: Insufficient privileges to perform this action..' });
    expect(ddb).toHaveReceivedCommandTimes(RestoreTableToPointInTimeCommand, 0);
  });

  it('gives up waiting with a TIMEOUT that says backups can take long', async () => {
    backup.on(DescribeBackupJobCommand).resolves({ State: 'RUNNING' });
    await expect(makeSolve({ pollMs: 0, timeoutMs: 0 })(context())).rejects.toMatchObject({ code: 'TIMEOUT', hint: expect.stringMatching(/tens of minutes/) });
  });

  it('leaves an account that passes every check', async () => {
    await solve(context());
    const plan = backup.commandCalls(CreateBackupPlanCommand)[0].args[0].input;
    const selection = backup.commandCalls(CreateBackupSelectionCommand)[0].args[0].input;
    ddb.restore();
    backup.restore();
    // The account as AWS describes it after those calls (jobs settled), read back by the real gather.
    const account = solvedAccount();
    account.plans = [{ id: 'plan-1', name: plan.BackupPlan!.BackupPlanName!, rules: plan.BackupPlan!.Rules as never, selections: [{ id: 'sel-1', selection: selection.BackupSelection! }] }];
    const { stubs, file } = await gatherWorld(account);
    for (const stub of Object.values(stubs)) stub.restore();
    const result = evaluate(checker.checks, file.facts, { lab: LAB_ID, account: ACCOUNT, region: REGION, source: 'facts-file' });
    expect(result.checks.filter((c) => c.status !== 'PASS')).toEqual([]);
  });
});
