import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { INLINE_CODE_LIMIT } from '../../../lib/cdk/inline-cleanup';
import { InlineResources, SharedInlineCleanup } from '../../../lib/cdk/inline-resources';
import { SecureStringParameter } from '../../../lib/cdk/secure-string-parameter';
import { SeededSource } from '../../../lib/cdk/seeded-source';
import { cfnEvent, lambdaContext, startCfnResponseServer } from '../../support/cfn-response-server';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;

function handlerFile(dir: string, name: string, source: string): string {
  const file = join(dir, name);
  writeFileSync(file, source);
  return file;
}

let dir: string;
beforeAll(() => {
  // Inside the repository, so that inlined require() calls find the SDK (and its mocks) in node_modules.
  dir = mkdtempSync(join(__dirname, '.inline-resources-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Synthesizes `build`'s stack and loads its one function's inline code as a module. */
function deployed(build: (stack: Stack) => void): { resources: Resources; handler: (event: unknown, context: unknown) => Promise<void> } {
  const stack = new Stack(new App(), 'DopLab-test');
  build(stack);
  const resources = (stack.node.root as App).synth().getStackByName('DopLab-test').template.Resources as Resources;
  const functions = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  expect(functions).toHaveLength(1);
  const codeDir = mkdtempSync(join(dir, 'code-'));
  writeFileSync(join(codeDir, 'index.js'), (functions[0].Properties.Code as { ZipFile: string }).ZipFile);
  return { resources, handler: (require(join(codeDir, 'index.js')) as { handler: (event: unknown, context: unknown) => Promise<void> }).handler };
}

describe('InlineResources', () => {
  beforeEach(() => jest.spyOn(console, 'log').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('serves every registered type, the SecureString, the seeded source and the cleanup, from one function, role and log group', async () => {
    const cleanupFile = handlerFile(dir, 'cleanup.js', "'use strict';\nexports.onDelete = async (props, log) => log(`cleaned ${props.What}`);\n");
    const { resources, handler } = deployed((stack) => {
      const bucket = new s3.Bucket(stack, 'Source');
      new SeededSource(stack, 'Seed', { labId: 'test', bucket, key: 'source.zip', files: { 'a.txt': 'a' } });
      new SecureStringParameter(stack, 'Key', { labId: 'test', parameterName: '/doplab/test/key', valuePrefix: 'k_', description: 'a key' });
      new SharedInlineCleanup(stack, 'Cleanup', { labId: 'test', handlerFile: cleanupFile, properties: { What: 'everything' }, statements: [], guards: [bucket] });
    });
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Role')).toHaveLength(1);
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::Logs::LogGroup')).toHaveLength(1);
    const fn = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function');
    // A cleanup may take minutes; creating a resource takes seconds.
    expect(fn?.Properties.Timeout).toBe(300);
    const cleanup = Object.values(resources).find((r) => r.Type === 'Custom::DopLabCleanup');
    expect(cleanup?.Properties).toMatchObject({ What: 'everything', ServiceTimeout: '960' });
    expect(cleanup?.DependsOn).toEqual([expect.stringMatching(/^Source/)]);

    const server = await startCfnResponseServer();
    try {
      await handler({ ...cfnEvent('Delete', server.url, { What: 'everything' }), ResourceType: 'Custom::DopLabCleanup' }, lambdaContext(300_000));
      await handler({ ...cfnEvent('Create', server.url), ResourceType: 'Custom::DopLabUnknown' }, lambdaContext(300_000));
      expect(server.responses.map((r) => [r.body.Status, r.body.Reason])).toEqual([
        ['SUCCESS', 'cleanup done'],
        ['FAILED', 'Error: no handler for Custom::DopLabUnknown'],
      ]);
      expect(console.log).toHaveBeenCalledWith('cleaned everything');
    } finally {
      await server.close();
    }
  });

  it('refuses a second handler file for a type, and a second cleanup', () => {
    const stack = new Stack(new App(), 'DopLab-test');
    const provider = InlineResources.of(stack, 'test');
    expect(InlineResources.of(new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() }), 'test')).toBe(provider);
    provider.register('Custom::X', '/a.js', []);
    expect(() => provider.register('Custom::X', '/b.js', [])).toThrow('DopLab-test/DopLabResources serves Custom::X with /a.js already.');
    provider.registerCleanup('/c.js', []);
    expect(() => provider.registerCleanup('/d.js', [])).toThrow('DopLab-test/DopLabResources serves a cleanup (/c.js) already.');
  });

  it('stops the synth when the inlined code outgrows the limit', () => {
    const big = handlerFile(dir, 'big.js', `exports.onEvent = async () => '${'x'.repeat(INLINE_CODE_LIMIT)}';\n`);
    const stack = new Stack(new App(), 'DopLab-test');
    InlineResources.of(stack, 'test').register('Custom::Big', big, []);
    expect(() => (stack.node.root as App).synth()).toThrow(/Inline code of DopLab-test\/DopLabResources\/Handler is \d+ characters; doplab's limit is 12288\./);
  });

  it('refuses a cleanup property CloudFormation reserves', () => {
    const stack = new Stack(new App(), 'DopLab-test');
    expect(() => new SharedInlineCleanup(stack, 'Cleanup', { labId: 'test', handlerFile: '/c.js', properties: { ServiceToken: 'x' }, statements: [], guards: [] })).toThrow(
      'Cleanup property ServiceToken of DopLab-test/Cleanup is reserved by CloudFormation.',
    );
  });
});

describe('SecureStringParameter', () => {
  let ssm: AwsClientStub<SSMClient>;
  const handler = (require('../../../lib/cdk/secure-string.handler.js') as { onEvent: (event: unknown) => Promise<{ id: string }> }).onEvent;
  const props = { Name: '/doplab/test/key', Prefix: 'k_', Description: 'a key', Tags: '{"doplab:lab":"test"}' };
  const event = (RequestType: string, PhysicalResourceId?: string, ResourceProperties: Record<string, string> = props) => ({ RequestType, PhysicalResourceId, ResourceProperties });
  beforeEach(() => {
    ssm = mockClient(SSMClient);
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => {
    ssm.restore();
    jest.restoreAllMocks();
  });

  it('grants the writer PutParameter, AddTagsToResource and DeleteParameter on that one parameter, and keeps the value out of the template', () => {
    const stack = new Stack(new App(), 'DopLab-test');
    const key = new SecureStringParameter(stack, 'Key', { labId: 'test', parameterName: '/doplab/test/key', valuePrefix: 'k_', description: 'a key' });
    expect(stack.resolve(key.parameterArn)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':parameter/doplab/test/key']] });
    const template = (stack.node.root as App).synth().getStackByName('DopLab-test').template as { Resources: Resources };
    const custom = Object.values(template.Resources).find((r) => r.Type === 'Custom::DopLabSecureString');
    expect(custom?.Properties).toMatchObject(props);
    expect(JSON.stringify(template)).toContain('"Action":["ssm:PutParameter","ssm:AddTagsToResource","ssm:DeleteParameter"]');
  });

  it('refuses a name that is not a parameter path', () => {
    const stack = new Stack(new App(), 'DopLab-test');
    expect(() => new SecureStringParameter(stack, 'Key', { labId: 'test', parameterName: 'doplab key', description: 'x' })).toThrow(
      'SecureStringParameter DopLab-test/Key: name "doplab key" must be a path of letters, digits, _ . - and /, starting with /.',
    );
  });

  it('puts a random SecureString with the prefix and the tags on Create, under the default key', async () => {
    ssm.on(PutParameterCommand).resolves({ Version: 1, Tier: 'Standard' });
    expect(await handler(event('Create'))).toEqual({ id: '/doplab/test/key' });
    const [put] = ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input);
    expect(put).toEqual({ Name: '/doplab/test/key', Type: 'SecureString', Value: expect.stringMatching(/^k_[0-9a-f]{40}$/), Description: 'a key', Tags: [{ Key: 'doplab:lab', Value: 'test' }] });
    expect(put).not.toHaveProperty('KeyId');
    await handler(event('Create'));
    expect(ssm.commandCalls(PutParameterCommand)[1].args[0].input.Value).not.toBe(put.Value);
  });

  it('takes over a parameter left from an earlier deploy, overwriting it without tags', async () => {
    ssm.on(PutParameterCommand).rejectsOnce(Object.assign(new Error('The parameter already exists.'), { name: 'ParameterAlreadyExists' })).resolves({ Version: 2 });
    await handler(event('Create'));
    expect(ssm.commandCalls(PutParameterCommand)[1].args[0].input).toEqual({ Name: '/doplab/test/key', Type: 'SecureString', Value: expect.stringMatching(/^k_/), Description: 'a key', Overwrite: true });
  });

  it('keeps the value on an Update of the same name, and puts a new parameter when the name changes', async () => {
    ssm.on(PutParameterCommand).resolves({ Version: 1 });
    expect(await handler(event('Update', '/doplab/test/key'))).toEqual({ id: '/doplab/test/key' });
    expect(ssm.calls()).toHaveLength(0);
    expect(await handler(event('Update', '/doplab/test/key', { ...props, Name: '/doplab/test/key2' }))).toEqual({ id: '/doplab/test/key2' });
    expect(ssm.commandCalls(PutParameterCommand)[0].args[0].input.Name).toBe('/doplab/test/key2');
  });

  it('deletes the parameter on Delete, twice safely, and nothing when the Create never made one', async () => {
    ssm.on(DeleteParameterCommand).resolvesOnce({}).rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound' }));
    await handler(event('Delete', '/doplab/test/key'));
    await handler(event('Delete', '/doplab/test/key'));
    await handler(event('Delete', 'KeyF9DDEE66'));
    expect(ssm.commandCalls(DeleteParameterCommand).map((c) => c.args[0].input)).toEqual([{ Name: '/doplab/test/key' }, { Name: '/doplab/test/key' }]);
  });

  it('fails the Delete on another error, so CloudFormation reports it', async () => {
    ssm.on(DeleteParameterCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    await expect(handler(event('Delete', '/doplab/test/key'))).rejects.toThrow('not authorized');
  });
});
