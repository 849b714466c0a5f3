import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DeleteRolePolicyCommand, DetachRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import * as YAML from 'yaml';
import { SEEDED_SOURCE } from '../../labs/broken-pipeline/app-source';
import { roleCalls, servicePrincipalCalls, solutionActions } from '../../labs/broken-pipeline/calls';
import { Outputs } from '../../labs/broken-pipeline/contract';
import { FIXED_BUILDSPEC } from '../../labs/broken-pipeline/solution';
import { addLabStack } from '../../labs/broken-pipeline/stack';
import { cfnEvent, runInlineCode } from '../support/cfn-response-server';
import { labTemplate, type Json } from '../support/lab-template';
import { itDeclaresTheStackRoles } from '../support/calls-tests';
import { proofEnv } from '../../lib/policy/proof';
import { templateBody } from '../support/lab-synth';
import { awsError } from '../support/mocked-session';

const { built, idOf } = labTemplate(addLabStack);

describe('broken-pipeline stack', () => {
  it('has a V2 pipeline Source (S3) → Build (the lab project) → Deploy (S3, extracted from the Build output)', () => {
    const { template } = built();
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Name: 'doplab-status-page',
      PipelineType: 'V2',
      Stages: [
        { Name: 'Source', Actions: [Match.objectLike({ ActionTypeId: Match.objectLike({ Provider: 'S3' }), OutputArtifacts: [{ Name: 'Source' }] })] },
        { Name: 'Build', Actions: [Match.objectLike({ ActionTypeId: Match.objectLike({ Provider: 'CodeBuild' }), InputArtifacts: [{ Name: 'Source' }], OutputArtifacts: [{ Name: 'Built' }] })] },
        { Name: 'Deploy', Actions: [Match.objectLike({ ActionTypeId: Match.objectLike({ Provider: 'S3' }), InputArtifacts: [{ Name: 'Built' }], Configuration: Match.objectLike({ Extract: 'true' }) })] },
      ],
    });
  });

  it('builds from the buildspec.yml in the source (no inline buildspec) on general1.small, with an explicit log group', () => {
    const { json, template } = built();
    const project = json.Resources[idOf('AWS::CodeBuild::Project')].Properties;
    expect(project.Source).toEqual({ Type: 'CODEPIPELINE' });
    expect(project.Environment).toMatchObject({ ComputeType: 'BUILD_GENERAL1_SMALL', Image: 'aws/codebuild/amazonlinux-x86_64-standard:5.0' });
    expect(project.Environment).not.toHaveProperty('EnvironmentVariables');
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/codebuild/doplab-status-page-build' });
  });

  it('creates the banner as a plain String parameter that the build role may not read (the first failure)', () => {
    const { json, template } = built();
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/doplab/broken-pipeline/banner', Type: 'String', Value: 'All systems operational' });
    const buildPolicy = JSON.stringify(json.Resources[idOf('AWS::IAM::Policy', 'StatusPageBuildProjectRoleDefaultPolicy')].Properties.PolicyDocument);
    expect(buildPolicy).not.toMatch(/ssm:/);
  });

  it('seeds source.zip with the app and its broken buildspec', () => {
    const { json } = built();
    const seed = json.Resources[idOf('Custom::DopLabSeededSource')].Properties;
    expect(seed).toMatchObject({ Key: 'source.zip', Bucket: { Ref: idOf('AWS::S3::Bucket', 'StatusPageSourceBucket') } });
    expect(JSON.parse(seed.Files as string)).toEqual(SEEDED_SOURCE);
  });

  it('runs the cleanup first on delete: it depends on the pipeline, the project, both roles it frees and the buckets', () => {
    const { json } = built();
    const cleanup = json.Resources[idOf('Custom::DopLabCleanup')];
    const buckets = ['StatusPageSourceBucket', 'StatusPageArtifactBucket', 'StatusPageReleaseBucket'].map((p) => idOf('AWS::S3::Bucket', p));
    const roles = [idOf('AWS::IAM::Role', 'StatusPageBuildProjectRole'), idOf('AWS::IAM::Role', 'StatusPagePipelineRole')];
    expect(cleanup.DependsOn).toEqual(expect.arrayContaining([idOf('AWS::CodePipeline::Pipeline'), idOf('AWS::CodeBuild::Project'), ...roles, ...buckets]));
    expect(cleanup.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^DopLabResourcesHandlerFunction/), 'Arn'] },
      ServiceTimeout: '960',
      BucketNames: { 'Fn::Join': [',', buckets.map((id) => ({ Ref: id }))] },
      RoleNames: { 'Fn::Join': [',', roles.map((id) => ({ Ref: id }))] },
      KeepPolicies: [idOf('AWS::IAM::Policy', 'StatusPageBuildProjectRoleDefaultPolicy'), idOf('AWS::IAM::Policy', 'StatusPagePipelineRoleDefaultPolicy')]
        .map((id) => json.Resources[id].Properties.PolicyName)
        .join(','),
    });
  });

  it('fits the template body limit with the expiry schedule, and the inline code limit', () => {
    const app = new App({ context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:version-reporting': true, 'doplab:expiresAt': '2026-11-24T13:00:00Z' } });
    const stack = addLabStack(app);
    const template = app.synth().getStackByName(stack.stackName).template as Json;
    expect(Object.values(template.Resources).map((r) => r.Type)).toContain('AWS::Scheduler::Schedule');
    expect(templateBody(template).length).toBeLessThan(51_200);
    const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
    expect(((fn?.Properties.Code as { ZipFile: string }).ZipFile).length).toBeLessThanOrEqual(12_288);
  });

  it('exports every contract output', () => {
    const { template } = built();
    for (const id of Object.values(Outputs)) template.hasOutput(id, Match.anyValue());
    template.hasOutput(Outputs.buildRoleArn, { Value: { 'Fn::GetAtt': [idOf('AWS::IAM::Role', 'StatusPageBuildProjectRole'), 'Arn'] } });
    template.hasOutput(Outputs.parameterName, { Value: { Ref: idOf('AWS::SSM::Parameter') } });
  });
});

describe('the seeded app', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'doplab-status-page-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the buildspec's build command (node build.js) as CodeBuild would; returns the files it wrote, relative to the source root. */
  function build(env: Record<string, string>): string[] {
    const root = mkdtempSync(join(dir, 'src-'));
    for (const [name, content] of Object.entries(SEEDED_SOURCE)) {
      mkdirSync(dirname(join(root, name)), { recursive: true });
      writeFileSync(join(root, name), content);
    }
    execFileSync(process.execPath, ['build.js'], { cwd: root, env: { PATH: process.env.PATH, ...env }, stdio: 'ignore' });
    return readdirSync(join(root, 'dist')).map((f) => `dist/${f}`).concat([JSON.stringify({ page: readFileSync(join(root, 'dist', 'index.html'), 'utf8'), info: readFileSync(join(root, 'dist', 'build-info.json'), 'utf8') })]);
  }

  it('builds the page with the banner into dist/, with a build-info.json naming the build', () => {
    const [index, info, contents] = build({ BANNER: 'All <systems> operational', CODEBUILD_BUILD_ID: 'doplab-status-page-build:b1' }).sort();
    expect([index, info]).toEqual(['dist/build-info.json', 'dist/index.html'].sort());
    const { page, info: marker } = JSON.parse(contents) as { page: string; info: string };
    expect(page).toContain('<p class="banner">All &lt;systems&gt; operational</p>');
    expect(JSON.parse(marker)).toMatchObject({ buildId: 'doplab-status-page-build:b1' });
  });

  it('fails without the banner: the build needs the parameter', () => {
    expect(() => build({})).toThrow();
  });

  it("seeds a buildspec whose artifact paths match nothing the build writes; the fix's base directory is what it writes", () => {
    const seeded = YAML.parse(SEEDED_SOURCE['buildspec.yml']) as { artifacts: { files: string[]; 'base-directory'?: string }; env: Record<string, Record<string, string>> };
    expect(seeded.env['parameter-store']).toEqual({ BANNER: '/doplab/broken-pipeline/banner' });
    expect(seeded.artifacts).toEqual({ files: ['public/**/*'] });
    const fixed = YAML.parse(FIXED_BUILDSPEC) as { artifacts: { files: string[]; 'base-directory'?: string }; phases: { install: { 'runtime-versions': Record<string, number> } } };
    expect(fixed.artifacts).toEqual({ 'base-directory': 'dist', files: ['**/*'] });
    expect(fixed.phases.install['runtime-versions']).toEqual({ nodejs: 22 });
  });
});

describe('cleanup.handler.js', () => {
  const cleanup = require('../../labs/broken-pipeline/cleanup.handler.js') as { onDelete: (props: Record<string, string>, log: (line: string) => void) => Promise<void> };
  const PROPS = { RoleNames: 'build-role,pipeline-role', KeepPolicies: 'BuildDefault,PipelineDefault', BucketNames: 'src-bucket,release-bucket' };
  let iam: AwsClientStub<IAMClient>;
  let s3: AwsClientStub<S3Client>;
  const order: string[] = [];
  const log = jest.fn();

  beforeEach(() => {
    order.length = 0;
    log.mockReset();
    iam = mockClient(IAMClient);
    s3 = mockClient(S3Client);
    const track = (name: string, output: (input: Record<string, string>) => object = () => ({})) => (input: Record<string, string>) => {
      order.push(`${name} ${JSON.stringify(input)}`);
      return output(input);
    };
    iam.on(ListAttachedRolePoliciesCommand).callsFake(
      track('ListAttachedRolePolicies', (input) => ({ AttachedPolicies: input.RoleName === 'build-role' ? [{ PolicyName: 'AmazonSSMReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess' }] : [], IsTruncated: false })),
    );
    iam.on(ListRolePoliciesCommand).callsFake(track('ListRolePolicies', (input) => ({ PolicyNames: input.RoleName === 'build-role' ? ['BuildDefault', 'ReadBanner'] : ['PipelineDefault'], IsTruncated: false })));
    iam.on(DetachRolePolicyCommand).callsFake(track('DetachRolePolicy'));
    iam.on(DeleteRolePolicyCommand).callsFake(track('DeleteRolePolicy'));
    s3.on(ListObjectVersionsCommand).callsFake(track('ListObjectVersions', () => ({ Versions: [{ Key: 'source.zip', VersionId: 'v1' }, { Key: 'source.zip', VersionId: 'v2' }], IsTruncated: false })));
    s3.on(DeleteObjectsCommand).callsFake(track('DeleteObjects', () => ({ Deleted: [] })));
  });
  afterEach(() => [iam, s3].forEach((m) => m.restore()));

  it("detaches the learner's managed policies and deletes their inline ones, keeping the stack's, then empties every version of the buckets", async () => {
    await cleanup.onDelete(PROPS, log);
    expect(order).toEqual([
      'ListAttachedRolePolicies {"RoleName":"build-role"}',
      'ListRolePolicies {"RoleName":"build-role"}',
      'DetachRolePolicy {"RoleName":"build-role","PolicyArn":"arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess"}',
      'DeleteRolePolicy {"RoleName":"build-role","PolicyName":"ReadBanner"}',
      'ListAttachedRolePolicies {"RoleName":"pipeline-role"}',
      'ListRolePolicies {"RoleName":"pipeline-role"}',
      'ListObjectVersions {"Bucket":"src-bucket","MaxKeys":1000}',
      'DeleteObjects {"Bucket":"src-bucket","Delete":{"Objects":[{"Key":"source.zip","VersionId":"v1"},{"Key":"source.zip","VersionId":"v2"}],"Quiet":true}}',
      'ListObjectVersions {"Bucket":"release-bucket","MaxKeys":1000}',
      'DeleteObjects {"Bucket":"release-bucket","Delete":{"Objects":[{"Key":"source.zip","VersionId":"v1"},{"Key":"source.zip","VersionId":"v2"}],"Quiet":true}}',
    ]);
  });

  it('is safe to run twice: a role already gone and empty buckets are nothing to do', async () => {
    iam.on(ListAttachedRolePoliciesCommand).rejects(awsError('NoSuchEntity', 'The role with name build-role cannot be found.', 404));
    s3.on(ListObjectVersionsCommand).resolves({ IsTruncated: false });
    await cleanup.onDelete(PROPS, log);
    expect(iam.commandCalls(DetachRolePolicyCommand)).toHaveLength(0);
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
    expect(log).toHaveBeenCalledWith('role build-role does not exist');
  });

  it('keeps going after a failure and reports it', async () => {
    iam.on(DetachRolePolicyCommand).rejects(awsError('AccessDenied', 'not authorized to perform: iam:DetachRolePolicy', 403));
    await expect(cleanup.onDelete(PROPS, log)).rejects.toThrow('could not clean up role build-role: AccessDenied: not authorized to perform: iam:DetachRolePolicy');
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(2);
  });

  it('works as deployed: the inlined code cleans up on Delete of Custom::DopLabCleanup and answers SUCCESS', async () => {
    const { json } = built();
    const fn = json.Resources[idOf('AWS::Lambda::Function')];
    const responses = await runInlineCode((fn.Properties.Code as { ZipFile: string }).ZipFile, __dirname, (url) => ({ ...cfnEvent('Delete', url, PROPS), ResourceType: 'Custom::DopLabCleanup' }));
    expect(order[0]).toBe('ListAttachedRolePolicies {"RoleName":"build-role"}');
    expect(responses[0].body).toMatchObject({ Status: 'SUCCESS', Reason: 'cleanup done' });
  });
});

describe('calls.ts', () => {
  const env = proofEnv('DopLab-broken-pipeline');

  itDeclaresTheStackRoles(env, () => built().json, { roleCalls, servicePrincipalCalls, solutionActions });

  it("declares the scenario's flaw: the build role is refused ssm:GetParameters on the banner", () => {
    const build = roleCalls.find((r) => r.role === 'StatusPage/BuildProject/Role');
    expect(build?.calls(env).filter((c) => c.deniedBecause)).toEqual([
      { action: 'ssm:GetParameters', resource: 'arn:aws:ssm:eu-west-1:111122223333:parameter/doplab/broken-pipeline/banner', deniedBecause: expect.stringMatching(/first failure/) },
    ]);
  });
});
