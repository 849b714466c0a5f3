import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as codeartifactSdk from '@aws-sdk/client-codeartifact';
import {
  CodeartifactClient,
  DeleteRepositoryCommand,
  DescribeRepositoryCommand,
  DisassociateExternalConnectionCommand,
  ListRepositoriesInDomainCommand,
  UpdateRepositoryCommand,
} from '@aws-sdk/client-codeartifact';
import * as ecrSdk from '@aws-sdk/client-ecr';
import { DescribeImagesCommand, ECRClient, GetRegistryScanningConfigurationCommand, PutRegistryScanningConfigurationCommand } from '@aws-sdk/client-ecr';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { roleCalls, solutionActions } from '../../labs/artifact-repositories/calls';
import {
  CI_ROLE_NAME,
  DOMAIN_NAME,
  NOT_RECORDED,
  NPM_REPOSITORY_NAME,
  Outputs,
  REPOSITORY_NAME,
  SCANNING_RECORD_PARAMETER,
} from '../../labs/artifact-repositories/contract';
import { leftovers } from '../../labs/artifact-repositories/leftovers';
import { preflight } from '../../labs/artifact-repositories/preflight';
import { addLabStack } from '../../labs/artifact-repositories/stack';
import type { PreflightContext } from '../../lib/lab';
import type { CallEnv } from '../../lib/policy/calls';
import { cfnEvent, lambdaContext, startCfnResponseServer } from '../support/cfn-response-server';
import { ACCOUNT, leftoverContext } from '../support/leftover-context';
import { MockedSession, awsError } from '../support/mocked-session';

type Log = (...args: unknown[]) => void;
const cleanup = require('../../labs/artifact-repositories/cleanup.handler.js') as {
  onCreate: (props: Record<string, string>, log: Log) => Promise<void>;
  onDelete: (props: Record<string, string>, log: Log) => Promise<void>;
};

interface Json {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;
}

function synth() {
  const template = Template.fromStack(addLabStack(new App()));
  return { template, json: template.toJSON() as Json };
}

function idOf(json: Json, type: string): string {
  const ids = Object.keys(json.Resources).filter((id) => json.Resources[id].Type === type);
  expect(ids).toHaveLength(1);
  return ids[0];
}

const REGION = 'eu-west-1';
const PROPS = { ScanningRecord: SCANNING_RECORD_PARAMETER, Domain: DOMAIN_NAME, NpmRepository: NPM_REPOSITORY_NAME };
const ACCOUNT_RULE = { scanFrequency: 'SCAN_ON_PUSH' as const, repositoryFilters: [{ filter: 'payments/*', filterType: 'WILDCARD' as const }] };
const AT_DEPLOY = { scanType: 'BASIC' as const, rules: [ACCOUNT_RULE] };
const LEARNER_MADE = {
  scanType: 'BASIC' as const,
  rules: [{ ...ACCOUNT_RULE, repositoryFilters: [...ACCOUNT_RULE.repositoryFilters, { filter: REPOSITORY_NAME, filterType: 'WILDCARD' as const }] }],
};

describe('artifact-repositories stack', () => {
  let built: ReturnType<typeof synth>;
  beforeAll(() => {
    built = synth();
  });

  it('has the ECR repository as the scenario starts: mutable tags, no scanning, no lifecycle, emptied on delete', () => {
    built.template.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: REPOSITORY_NAME,
      ImageTagMutability: 'MUTABLE',
      ImageScanningConfiguration: { ScanOnPush: false },
      EmptyOnDelete: true,
    });
    const repository = built.json.Resources[idOf(built.json, 'AWS::ECR::Repository')];
    expect(repository.Properties.LifecyclePolicy).toBeUndefined();
  });

  it('lets every principal of the account pull and push through the repository policy (the flaw)', () => {
    const repository = built.json.Resources[idOf(built.json, 'AWS::ECR::Repository')];
    expect(repository.Properties.RepositoryPolicyText).toEqual({
      Statement: [
        {
          Sid: 'AccountPullPush',
          Effect: 'Allow',
          Principal: '*',
          Action: [
            'ecr:BatchGetImage',
            'ecr:GetDownloadUrlForLayer',
            'ecr:BatchCheckLayerAvailability',
            'ecr:PutImage',
            'ecr:InitiateLayerUpload',
            'ecr:UploadLayerPart',
            'ecr:CompleteLayerUpload',
          ],
          Condition: { StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
        },
      ],
      Version: '2012-10-17',
    });
  });

  it('has the CI role, trusted by CodeBuild of this account, allowed only ecr:GetAuthorizationToken', () => {
    built.template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: CI_ROLE_NAME,
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'codebuild.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }],
        Version: '2012-10-17',
      },
      Policies: [{ PolicyName: 'EcrLogin', PolicyDocument: { Statement: [{ Action: 'ecr:GetAuthorizationToken', Effect: 'Allow', Resource: '*' }], Version: '2012-10-17' } }],
    });
  });

  it('has the CodeArtifact domain and orders-npm without upstream or external connection', () => {
    built.template.hasResourceProperties('AWS::CodeArtifact::Domain', { DomainName: DOMAIN_NAME });
    const npm = built.json.Resources[idOf(built.json, 'AWS::CodeArtifact::Repository')];
    expect(npm.Properties).toMatchObject({ RepositoryName: NPM_REPOSITORY_NAME, DomainName: { 'Fn::GetAtt': [idOf(built.json, 'AWS::CodeArtifact::Domain'), 'Name'] } });
    expect(npm.Properties.Upstreams).toBeUndefined();
    expect(npm.Properties.ExternalConnections).toBeUndefined();
  });

  it('runs the cleanup first on delete, with the parameter that holds the registry scanning record', () => {
    const { json, template } = built;
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: SCANNING_RECORD_PARAMETER, Value: NOT_RECORDED, Type: 'String' });
    const resource = json.Resources[idOf(json, 'Custom::DopLabCleanup')];
    const guarded = ['AWS::ECR::Repository', 'AWS::CodeArtifact::Domain', 'AWS::CodeArtifact::Repository', 'AWS::SSM::Parameter'].map((t) => idOf(json, t));
    expect(resource.DependsOn).toEqual(expect.arrayContaining(guarded));
    expect(resource.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^CleanupHandlerFunction/), 'Arn'] },
      ServiceTimeout: '420',
      ScanningRecord: { Ref: idOf(json, 'AWS::SSM::Parameter') },
      Domain: { 'Fn::GetAtt': [idOf(json, 'AWS::CodeArtifact::Domain'), 'Name'] },
      NpmRepository: { 'Fn::GetAtt': [idOf(json, 'AWS::CodeArtifact::Repository'), 'Name'] },
    });
  });

  it('exports the repository, the CI role and the CodeArtifact names', () => {
    const { template, json } = built;
    template.hasOutput(Outputs.repositoryName, { Value: { Ref: idOf(json, 'AWS::ECR::Repository') } });
    template.hasOutput(Outputs.repositoryArn, { Value: { 'Fn::GetAtt': [idOf(json, 'AWS::ECR::Repository'), 'Arn'] } });
    template.hasOutput(Outputs.domainName, { Value: { 'Fn::GetAtt': [idOf(json, 'AWS::CodeArtifact::Domain'), 'Name'] } });
    template.hasOutput(Outputs.npmRepositoryName, { Value: { 'Fn::GetAtt': [idOf(json, 'AWS::CodeArtifact::Repository'), 'Name'] } });
  });

  it('grants the cleanup role every action calls.ts declares for it, and no other', () => {
    const role = Object.entries(built.json.Resources).find(([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith('CleanupHandlerRole'));
    const statements = (role?.[1].Properties.Policies as { PolicyDocument: { Statement: { Action: string | string[] }[] } }[])[0].PolicyDocument.Statement;
    const granted = new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).filter((a) => !a.startsWith('logs:')));
    const env: CallEnv = { partition: 'aws', account: ACCOUNT, region: REGION, regions: [REGION], stackName: 'DopLab-artifact-repositories', stackId: 'x' };
    const cleanupCalls = roleCalls.find((r) => r.role === 'Cleanup/Handler/Role')?.calls(env) ?? [];
    // Its own log stream is InlineFunction's grant (proven with the rest in test/policy/); the lab's statements grant no more than it calls.
    expect([...new Set(cleanupCalls.map((c) => c.action).filter((a) => !a.startsWith('logs:')))].sort()).toEqual([...granted].sort());
    expect(roleCalls.map((r) => r.role)).toEqual(['Cleanup/Handler/Role', 'CiRole']);
    expect(solutionActions).toContain('ecr:SetRepositoryPolicy');
  });
});

describe('cleanup.handler.js', () => {
  let ecr: AwsClientStub<ECRClient>;
  let ssm: AwsClientStub<SSMClient>;
  let codeartifact: AwsClientStub<CodeartifactClient>;
  let log: jest.Mock;
  const order: string[] = [];
  const track = (name: string, output: object = {}) => (input: object) => {
    order.push(`${name} ${JSON.stringify(input)}`);
    return output;
  };

  beforeEach(() => {
    ecr = mockClient(ECRClient);
    ssm = mockClient(SSMClient);
    codeartifact = mockClient(CodeartifactClient);
    log = jest.fn();
    order.length = 0;
    ecr.on(GetRegistryScanningConfigurationCommand).resolves({ registryId: ACCOUNT, scanningConfiguration: LEARNER_MADE });
    ecr.on(PutRegistryScanningConfigurationCommand).callsFake(track('PutRegistryScanningConfiguration'));
    ssm.on(PutParameterCommand).callsFake(track('PutParameter', { Version: 2, Tier: 'Standard' }));
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: SCANNING_RECORD_PARAMETER, Type: 'String', Value: JSON.stringify(AT_DEPLOY), Version: 2 } });
    codeartifact.on(ListRepositoriesInDomainCommand).resolves({ repositories: [{ name: NPM_REPOSITORY_NAME }, { name: 'npmjs-store' }] });
    codeartifact.on(DescribeRepositoryCommand, { repository: NPM_REPOSITORY_NAME }).resolves({ repository: { name: NPM_REPOSITORY_NAME, upstreams: [{ repositoryName: 'npmjs-store' }], externalConnections: [] } });
    codeartifact.on(DescribeRepositoryCommand, { repository: 'npmjs-store' }).resolves({
      repository: { name: 'npmjs-store', upstreams: [], externalConnections: [{ externalConnectionName: 'public:npmjs', packageFormat: 'npm', status: 'Available' }] },
    });
    codeartifact.on(UpdateRepositoryCommand).callsFake(track('UpdateRepository'));
    codeartifact.on(DisassociateExternalConnectionCommand).callsFake(track('DisassociateExternalConnection'));
    codeartifact.on(DeleteRepositoryCommand).callsFake(track('DeleteRepository'));
  });
  afterEach(() => {
    ecr.restore();
    ssm.restore();
    codeartifact.restore();
  });

  it('records the registry scanning configuration at deploy, in the shape PutRegistryScanningConfiguration takes', async () => {
    ecr.on(GetRegistryScanningConfigurationCommand).resolves({ registryId: ACCOUNT, scanningConfiguration: AT_DEPLOY });
    await cleanup.onCreate(PROPS, log);
    expect(ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input)).toEqual([
      { Name: SCANNING_RECORD_PARAMETER, Value: JSON.stringify(AT_DEPLOY), Type: 'String', Overwrite: true, Tier: 'Intelligent-Tiering' },
    ]);
  });

  it('records a registry that has never been configured as BASIC with no rules', async () => {
    ecr.on(GetRegistryScanningConfigurationCommand).resolves({ registryId: ACCOUNT, scanningConfiguration: {} });
    await cleanup.onCreate(PROPS, log);
    expect(ssm.commandCalls(PutParameterCommand)[0].args[0].input.Value).toBe('{"scanType":"BASIC","rules":[]}');
  });

  it('puts back exactly the recorded configuration at delete, then removes upstreams and connections before deleting the learner repository', async () => {
    await cleanup.onDelete(PROPS, log);
    expect(order).toEqual([
      `PutRegistryScanningConfiguration ${JSON.stringify(AT_DEPLOY)}`,
      `UpdateRepository {"domain":"${DOMAIN_NAME}","repository":"${NPM_REPOSITORY_NAME}","upstreams":[]}`,
      `DisassociateExternalConnection {"domain":"${DOMAIN_NAME}","repository":"npmjs-store","externalConnection":"public:npmjs"}`,
      `DeleteRepository {"domain":"${DOMAIN_NAME}","repository":"npmjs-store"}`,
    ]);
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/^restored registry scanning configuration .* \(was .*doplab\/orders-api/));
  });

  it('changes nothing in the registry when the configuration is as recorded', async () => {
    ecr.on(GetRegistryScanningConfigurationCommand).resolves({ registryId: ACCOUNT, scanningConfiguration: AT_DEPLOY });
    await cleanup.onDelete(PROPS, log);
    expect(ecr.commandCalls(PutRegistryScanningConfigurationCommand)).toHaveLength(0);
    expect(log).toHaveBeenCalledWith('registry scanning configuration unchanged since deploy');
  });

  it.each([
    ['nothing was recorded (Create failed before recording)', () => ssm.on(GetParameterCommand).resolves({ Parameter: { Name: SCANNING_RECORD_PARAMETER, Value: NOT_RECORDED } })],
    ['the parameter is gone', () => ssm.on(GetParameterCommand).rejects(awsError('ParameterNotFound', ''))],
  ])('leaves the registry alone when %s', async (_, arrange) => {
    arrange();
    await cleanup.onDelete(PROPS, log);
    expect(ecr.commandCalls(PutRegistryScanningConfigurationCommand)).toHaveLength(0);
    expect(log).toHaveBeenCalledWith(`no registry scanning configuration recorded in ${SCANNING_RECORD_PARAMETER}: left as it is`);
  });

  it('follows every page of the domain and has nothing to do when the domain is gone', async () => {
    codeartifact.on(ListRepositoriesInDomainCommand).resolves({ repositories: [{ name: NPM_REPOSITORY_NAME }], nextToken: 'p2' });
    codeartifact.on(ListRepositoriesInDomainCommand, { nextToken: 'p2' }).resolves({ repositories: [{ name: 'npmjs-store' }] });
    await cleanup.onDelete(PROPS, log);
    expect(codeartifact.commandCalls(DeleteRepositoryCommand).map((c) => c.args[0].input.repository)).toEqual(['npmjs-store']);

    codeartifact.on(ListRepositoriesInDomainCommand).rejects(awsError('ResourceNotFoundException', `Domain ${DOMAIN_NAME} not found`));
    await cleanup.onDelete(PROPS, log);
    expect(log).toHaveBeenCalledWith(`domain ${DOMAIN_NAME} does not exist`);
  });

  it('keeps going after a failure and reports every one', async () => {
    ecr.on(PutRegistryScanningConfigurationCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: ecr:PutRegistryScanningConfiguration'));
    await expect(cleanup.onDelete(PROPS, log)).rejects.toThrow(
      'could not clean up registry scanning configuration: AccessDeniedException: not authorized to perform: ecr:PutRegistryScanningConfiguration',
    );
    expect(codeartifact.commandCalls(DeleteRepositoryCommand)).toHaveLength(1);
  });

  it('works as deployed: the inlined code records on Create and restores on Delete, answering CloudFormation', async () => {
    const fn = Object.values(synth().json.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
    // Inside the repository, so that the inlined require() calls find the SDK (and its mocks) in node_modules.
    const dir = mkdtempSync(join(__dirname, '.inline-'));
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const server = await startCfnResponseServer();
    try {
      writeFileSync(join(dir, 'index.js'), (fn?.Properties.Code as { ZipFile: string }).ZipFile);
      const index = require(join(dir, 'index.js')) as { handler: (event: unknown, context: unknown) => Promise<void> };
      await index.handler(cfnEvent('Create', server.url, PROPS), lambdaContext(120_000));
      await index.handler(cfnEvent('Delete', server.url, PROPS), lambdaContext(120_000));
      expect(order.map((line) => line.split(' ')[0])).toEqual(['PutParameter', 'PutRegistryScanningConfiguration', 'UpdateRepository', 'DisassociateExternalConnection', 'DeleteRepository']);
      expect(server.responses.map((r) => r.body)).toEqual([
        expect.objectContaining({ Status: 'SUCCESS', Reason: 'recorded' }),
        expect.objectContaining({ Status: 'SUCCESS', Reason: 'cleanup done' }),
      ]);
    } finally {
      jest.restoreAllMocks();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails the deploy when it cannot record the configuration', async () => {
    const fn = Object.values(synth().json.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
    const dir = mkdtempSync(join(__dirname, '.inline-'));
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const server = await startCfnResponseServer();
    ecr.on(GetRegistryScanningConfigurationCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: ecr:GetRegistryScanningConfiguration'));
    try {
      writeFileSync(join(dir, 'index.js'), (fn?.Properties.Code as { ZipFile: string }).ZipFile);
      const index = require(join(dir, 'index.js')) as { handler: (event: unknown, context: unknown) => Promise<void> };
      await index.handler(cfnEvent('Create', server.url, PROPS), lambdaContext(120_000));
      expect(server.responses[0].body).toMatchObject({ Status: 'FAILED', Reason: 'recording failed: not authorized to perform: ecr:GetRegistryScanningConfiguration' });
      expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    } finally {
      jest.restoreAllMocks();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('artifact-repositories leftovers', () => {
  let ecr: AwsClientStub<ECRClient>;
  let codeartifact: AwsClientStub<CodeartifactClient>;
  const context = () => leftoverContext([ecrSdk, codeartifactSdk], { region: REGION });

  beforeEach(() => {
    ecr = mockClient(ECRClient);
    codeartifact = mockClient(CodeartifactClient);
    codeartifact.on(ListRepositoriesInDomainCommand).rejects(awsError('ResourceNotFoundException', `Domain ${DOMAIN_NAME} not found`, 404));
    ecr.on(DescribeImagesCommand).rejects(awsError('RepositoryNotFoundException', `The repository with name '${REPOSITORY_NAME}' does not exist`));
    ecr.on(GetRegistryScanningConfigurationCommand).resolves({ registryId: ACCOUNT, scanningConfiguration: AT_DEPLOY });
  });
  afterEach(() => {
    ecr.restore();
    codeartifact.restore();
  });

  it('finds nothing after a clean destroy, with read-only calls only', async () => {
    const { ctx, calls } = context();
    expect(await leftovers(ctx)).toEqual([]);
    expect(calls.map((c) => c.action)).toEqual(['codeartifact:ListRepositoriesInDomain', 'ecr:DescribeImages', 'ecr:GetRegistryScanningConfiguration']);
  });

  it('reports repositories left in the lab domain, the ECR repository with its images, and doplab scanning filters', async () => {
    const arn = `arn:aws:codeartifact:${REGION}:${ACCOUNT}:repository/${DOMAIN_NAME}/npmjs-store`;
    codeartifact.on(ListRepositoriesInDomainCommand).resolves({ repositories: [{ name: 'npmjs-store', arn }] });
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: 'sha256:9f2c' }] });
    ecr.on(GetRegistryScanningConfigurationCommand).resolves({ registryId: ACCOUNT, scanningConfiguration: LEARNER_MADE });
    expect(await leftovers(context().ctx)).toEqual([
      { resource: arn, region: REGION, reason: `CodeArtifact repository in the lab domain ${DOMAIN_NAME}` },
      { resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${REPOSITORY_NAME}`, region: REGION, reason: 'lab ECR repository still exists and holds images' },
      { resource: `registry scanning rule SCAN_ON_PUSH filter ${REPOSITORY_NAME}`, region: REGION, reason: 'a registry scanning filter for doplab repositories' },
    ]);
  });
});

describe('artifact-repositories preflight', () => {
  let ecr: AwsClientStub<ECRClient>;
  beforeEach(() => {
    ecr = mockClient(ECRClient);
  });
  afterEach(() => ecr.restore());

  function context(): PreflightContext {
    const session = new MockedSession({ region: REGION, credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } }, [ecrSdk]);
    return { account: ACCOUNT, region: REGION, client: (ctor, region) => session.client(ctor, region ?? REGION), log: () => undefined };
  }

  it('notes the basic scanning configuration the cleanup will restore', async () => {
    ecr.on(GetRegistryScanningConfigurationCommand).resolves({ registryId: ACCOUNT, scanningConfiguration: AT_DEPLOY });
    expect(await preflight(context())).toEqual({
      notes: [`The ECR registry in ${REGION} uses basic scanning with 1 rule; the lab records this configuration and restores it on destroy.`],
    });
  });

  it('stops the deploy under enhanced scanning, saying what to do', async () => {
    ecr.on(GetRegistryScanningConfigurationCommand).resolves({ registryId: ACCOUNT, scanningConfiguration: { scanType: 'ENHANCED', rules: [] } });
    await expect(preflight(context())).rejects.toMatchObject({ code: 'DEPLOY_FAILED', message: expect.stringMatching(/uses ENHANCED scanning/), hint: expect.stringMatching(/basic scanning/) });
  });

  it('maps AccessDenied to an error naming the action', async () => {
    ecr.on(GetRegistryScanningConfigurationCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: ecr:GetRegistryScanningConfiguration', 403));
    await expect(preflight(context())).rejects.toMatchObject({ code: 'ACCESS_DENIED', action: 'ecr:GetRegistryScanningConfiguration' });
  });
});
