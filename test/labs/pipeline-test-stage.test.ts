import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DeleteLogGroupCommand, CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { BatchGetBuildsCommand, BatchGetProjectsCommand, CodeBuildClient, DeleteProjectCommand, DeleteReportGroupCommand, ListBuildsForProjectCommand } from '@aws-sdk/client-codebuild';
import { CodePipelineClient, GetPipelineCommand } from '@aws-sdk/client-codepipeline';
import { DeleteRoleCommand, DeleteRolePolicyCommand, GetRoleCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { PRICING_BUG, SEEDED_SOURCE } from '../../labs/pipeline-test-stage/app-source';
import { roleCalls, servicePrincipalCalls, solutionActions } from '../../labs/pipeline-test-stage/calls';
import { API_KEY_PATTERN, FAILING_TEST, Outputs, SEEDED_TEST_CASES } from '../../labs/pipeline-test-stage/contract';
import { addLabStack, BUILD_SPEC } from '../../labs/pipeline-test-stage/stack';
import { cfnEvent, runInlineCode } from '../support/cfn-response-server';
import { labTemplate, type Json } from '../support/lab-template';
import { itDeclaresTheStackRoles } from '../support/calls-tests';
import { proofEnv } from '../../lib/policy/proof';
import { templateBody } from '../support/lab-synth';
import { awsError } from '../support/mocked-session';
import { pipeline } from '../fixtures/pipeline-test-stage/aws-world';

const { built, idOf } = labTemplate(addLabStack);

describe('pipeline-test-stage stack', () => {
  it('has a V2 pipeline Source (S3, no polling) → Build (the lab project) → Deploy (S3, extracted), with no test and no KMS key', () => {
    const { template } = built();
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Name: 'doplab-orders-api',
      PipelineType: 'V2',
      ArtifactStore: { Type: 'S3', Location: { Ref: idOf('AWS::S3::Bucket', 'OrdersArtifactBucket') } },
      Stages: [
        { Name: 'Source', Actions: [Match.objectLike({ ActionTypeId: Match.objectLike({ Provider: 'S3' }), Configuration: { S3Bucket: { Ref: idOf('AWS::S3::Bucket', 'OrdersSourceBucket') }, S3ObjectKey: 'source.zip', PollForSourceChanges: false } })] },
        { Name: 'Build', Actions: [Match.objectLike({ ActionTypeId: Match.objectLike({ Provider: 'CodeBuild' }), Configuration: { ProjectName: { Ref: idOf('AWS::CodeBuild::Project') } } })] },
        { Name: 'Deploy', Actions: [Match.objectLike({ ActionTypeId: Match.objectLike({ Category: 'Deploy', Provider: 'S3' }), Configuration: { BucketName: { Ref: idOf('AWS::S3::Bucket', 'OrdersReleaseBucket') }, Extract: 'true' } })] },
      ],
    });
    expect(template.findResources('AWS::KMS::Key')).toEqual({});
    expect(template.findResources('AWS::CloudTrail::Trail')).toEqual({});
  });

  it('starts the pipeline from S3 events through EventBridge: notifications on the versioned bucket, a rule on Object Created of source.zip', () => {
    const { template, json } = built();
    template.hasResourceProperties('AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' }, NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: [{ Ref: idOf('AWS::S3::Bucket', 'OrdersSourceBucket') }] }, object: { key: ['source.zip'] } } },
      Targets: [Match.objectLike({ Arn: Match.anyValue(), RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersPipelineEventsRole'), 'Arn'] } })],
    });
    // The rule comes after the pipeline, which comes after the seeded source: one first execution, and it finds the source.
    expect(json.Resources[idOf('AWS::CodePipeline::Pipeline')].DependsOn).toEqual(expect.arrayContaining([idOf('Custom::DopLabSeededSource')]));
  });

  it('seeds source.zip with the app, without the API key anywhere in the template', () => {
    const { json } = built();
    const seed = json.Resources[idOf('Custom::DopLabSeededSource')].Properties;
    expect(seed).toMatchObject({ Key: 'source.zip', Bucket: { Ref: idOf('AWS::S3::Bucket', 'OrdersSourceBucket') } });
    expect(JSON.parse(seed.Files as string)).toEqual(SEEDED_SOURCE);
    expect(JSON.stringify(json)).not.toMatch(API_KEY_PATTERN);
    expect(json.Resources[idOf('Custom::DopLabSecureString')].Properties).toMatchObject({ Name: '/doplab/pipeline-test-stage/api-key', Prefix: 'ordk_' });
  });

  it('builds on general1.small with an explicit log group, packaging the app without running a test', () => {
    const { template } = built();
    template.hasResourceProperties('AWS::CodeBuild::Project', {
      Name: 'doplab-orders-api-build',
      Environment: Match.objectLike({ ComputeType: 'BUILD_GENERAL1_SMALL', Image: 'aws/codebuild/amazonlinux-x86_64-standard:5.0' }),
      LogsConfig: { CloudWatchLogs: { GroupName: { Ref: idOf('AWS::Logs::LogGroup', 'OrdersBuildLogs') }, Status: 'ENABLED' } },
      Source: { Type: 'CODEPIPELINE', BuildSpec: JSON.stringify(BUILD_SPEC, null, 2) },
    });
    expect(JSON.stringify(BUILD_SPEC)).not.toMatch(/test/);
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/codebuild/doplab-orders-api-build' });
  });

  it("lets the pipeline run the learner's test project (any project name in this account and region)", () => {
    const { json } = built();
    const policy = json.Resources[idOf('AWS::IAM::Policy', 'OrdersPipelineRoleDefaultPolicy')].Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] };
    expect(policy.Statement).toContainEqual({
      Action: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds'],
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':codebuild:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':project/*']] },
    });
  });

  it('runs the cleanup first on delete: it depends on the pipeline, the build project and the three buckets', () => {
    const { json } = built();
    const cleanup = json.Resources[idOf('Custom::DopLabCleanup')];
    const buckets = ['OrdersSourceBucket', 'OrdersArtifactBucket', 'OrdersReleaseBucket'].map((p) => idOf('AWS::S3::Bucket', p));
    expect(cleanup.DependsOn).toEqual(expect.arrayContaining([idOf('AWS::CodePipeline::Pipeline'), idOf('AWS::CodeBuild::Project'), ...buckets]));
    expect(cleanup.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^DopLabResourcesHandlerFunction/), 'Arn'] },
      ServiceTimeout: '960',
      PipelineName: 'doplab-orders-api',
      BuildProjectName: 'doplab-orders-api-build',
      BucketNames: { 'Fn::Join': [',', buckets.map((id) => ({ Ref: id }))] },
      RoleTag: 'doplab:lab=pipeline-test-stage',
    });
  });

  it('still fits the template body limit with the expiry schedule doplab deploy --ttl adds', () => {
    const app = new App({ context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:version-reporting': true, 'doplab:expiresAt': '2026-11-24T13:00:00Z' } });
    const stack = addLabStack(app);
    const template = app.synth().getStackByName(stack.stackName).template as Json;
    expect(Object.values(template.Resources).map((r) => r.Type)).toContain('AWS::Scheduler::Schedule');
    expect(templateBody(template).length).toBeLessThan(51_200);
  });

  it('exports the pipeline, buckets, key, build project and parameter', () => {
    const { template } = built();
    template.hasOutput(Outputs.pipelineName, { Value: { Ref: idOf('AWS::CodePipeline::Pipeline') } });
    template.hasOutput(Outputs.sourceKey, { Value: 'source.zip' });
    template.hasOutput(Outputs.apiKeyParameterName, { Value: '/doplab/pipeline-test-stage/api-key' });
  });
});

describe('the seeded app', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'doplab-orders-api-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the app's tests with node --test and the junit reporter, as the Test stage does; returns the JUnit counts. */
  function runTests(files: Record<string, string>, apiKey?: string) {
    const root = mkdtempSync(join(dir, 'src-'));
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, name)), { recursive: true });
      writeFileSync(join(root, name), content);
    }
    mkdirSync(join(root, 'reports'));
    const env = { PATH: process.env.PATH, ...(apiKey ? { API_KEY: apiKey } : {}) };
    try {
      execFileSync(process.execPath, ['--test', '--test-reporter=junit', '--test-reporter-destination=reports/junit.xml'], { cwd: root, env, stdio: 'ignore' });
    } catch {
      // A failing test exits non-zero: the Test stage fails, the report still has every case.
    }
    const xml = require('node:fs').readFileSync(join(root, 'reports', 'junit.xml'), 'utf8') as string;
    const failed = [...xml.matchAll(/<testcase name="([^"]+)"[^>]*failure=/g)].map((m) => m[1]);
    return { total: (xml.match(/<testcase /g) ?? []).length, failed };
  }

  const KEY = `ordk_${'0123456789'.repeat(4)}`;
  const fixed = { ...SEEDED_SOURCE, [PRICING_BUG.file]: SEEDED_SOURCE[PRICING_BUG.file].replace(PRICING_BUG.line, PRICING_BUG.fixed) };

  it(`has ${SEEDED_TEST_CASES} test cases, one failing on the pricing bug`, () => {
    expect(runTests(SEEDED_SOURCE, KEY)).toEqual({ total: SEEDED_TEST_CASES, failed: [FAILING_TEST] });
  });

  it('passes every test once the one-line bug is fixed', () => {
    expect(SEEDED_SOURCE[PRICING_BUG.file]).toContain(PRICING_BUG.line);
    expect(runTests(fixed, KEY)).toEqual({ total: SEEDED_TEST_CASES, failed: [] });
  });

  it('needs the API key: without it the key tests fail too', () => {
    expect(runTests(fixed)).toEqual({ total: SEEDED_TEST_CASES, failed: ['reads the API key from the environment', 'accepts a request with the API key'] });
  });
});

describe('cleanup.handler.js', () => {
  const cleanup = require('../../labs/pipeline-test-stage/cleanup.handler.js') as { onDelete: (props: Record<string, string>, log: (line: string) => void) => Promise<void> };
  const PROPS = { PipelineName: 'doplab-orders-api', BuildProjectName: 'doplab-orders-api-build', BucketNames: 'src-bucket,artifact-bucket', RoleTag: 'doplab:lab=pipeline-test-stage' };
  const ROLE = 'arn:aws:iam::111122223333:role/service-role/orders-api-test-role';
  let pipelines: AwsClientStub<CodePipelineClient>;
  let codebuild: AwsClientStub<CodeBuildClient>;
  let logs: AwsClientStub<CloudWatchLogsClient>;
  let iam: AwsClientStub<IAMClient>;
  let s3: AwsClientStub<S3Client>;
  const order: string[] = [];
  const log = jest.fn();

  beforeEach(() => {
    order.length = 0;
    log.mockReset();
    pipelines = mockClient(CodePipelineClient);
    codebuild = mockClient(CodeBuildClient);
    logs = mockClient(CloudWatchLogsClient);
    iam = mockClient(IAMClient);
    s3 = mockClient(S3Client);
    const track = (name: string, output: object = {}) => (input: object) => {
      order.push(`${name} ${JSON.stringify(input)}`);
      return output;
    };
    pipelines.on(GetPipelineCommand).callsFake(track('GetPipeline', { pipeline: pipeline('tested') }));
    codebuild.on(BatchGetProjectsCommand).callsFake(track('BatchGetProjects', { projects: [{ name: 'orders-api-test', serviceRole: ROLE }] }));
    codebuild.on(ListBuildsForProjectCommand).callsFake(track('ListBuildsForProject', { ids: ['orders-api-test:b1', 'orders-api-test:b2'] }));
    codebuild.on(BatchGetBuildsCommand).callsFake(
      track('BatchGetBuilds', {
        builds: [
          { id: 'orders-api-test:b1', reportArns: ['arn:aws:codebuild:eu-west-1:111122223333:report/orders-api-test-unit-tests:b1'] },
          { id: 'orders-api-test:b2', reportArns: ['arn:aws:codebuild:eu-west-1:111122223333:report/orders-api-test-unit-tests:b2'] },
        ],
      }),
    );
    codebuild.on(DeleteReportGroupCommand).callsFake(track('DeleteReportGroup'));
    codebuild.on(DeleteProjectCommand).callsFake(track('DeleteProject'));
    logs.on(DeleteLogGroupCommand).callsFake(track('DeleteLogGroup'));
    iam.on(GetRoleCommand).callsFake(track('GetRole', { Role: { RoleName: 'orders-api-test-role', Arn: ROLE, Path: '/service-role/', RoleId: 'AROAEXAMPLE', CreateDate: new Date(), Tags: [{ Key: 'doplab:lab', Value: 'pipeline-test-stage' }] } }));
    iam.on(ListRolePoliciesCommand).callsFake(track('ListRolePolicies', { PolicyNames: ['UnitTests'] }));
    iam.on(DeleteRolePolicyCommand).callsFake(track('DeleteRolePolicy'));
    iam.on(ListAttachedRolePoliciesCommand).callsFake(track('ListAttachedRolePolicies', { AttachedPolicies: [] }));
    iam.on(DeleteRoleCommand).callsFake(track('DeleteRole'));
    s3.on(ListObjectVersionsCommand).callsFake(track('ListObjectVersions', { Versions: [{ Key: 'source.zip', VersionId: 'v1' }], IsTruncated: false }));
    s3.on(DeleteObjectsCommand).callsFake(track('DeleteObjects', { Deleted: [] }));
  });
  afterEach(() => [pipelines, codebuild, logs, iam, s3].forEach((m) => m.restore()));

  it("finds the learner's test project through the pipeline and removes its report group, project, log group and tagged role, then empties the buckets", async () => {
    await cleanup.onDelete(PROPS, log);
    expect(order.map((line) => line.split(' ')[0])).toEqual([
      'GetPipeline',
      'BatchGetProjects',
      'ListBuildsForProject',
      'BatchGetBuilds',
      'DeleteReportGroup',
      'DeleteProject',
      'DeleteLogGroup',
      'GetRole',
      'ListRolePolicies',
      'DeleteRolePolicy',
      'ListAttachedRolePolicies',
      'DeleteRole',
      'ListObjectVersions',
      'DeleteObjects',
      'ListObjectVersions',
      'DeleteObjects',
    ]);
    expect(codebuild.commandCalls(BatchGetProjectsCommand)[0].args[0].input).toEqual({ names: ['orders-api-test'] });
    expect(codebuild.commandCalls(DeleteReportGroupCommand).map((c) => c.args[0].input)).toEqual([
      { arn: 'arn:aws:codebuild:eu-west-1:111122223333:report-group/orders-api-test-unit-tests', deleteReports: true },
    ]);
    expect(logs.commandCalls(DeleteLogGroupCommand)[0].args[0].input).toEqual({ logGroupName: '/aws/codebuild/orders-api-test' });
  });

  it("never touches the lab's own build project, and leaves a role without the lab tag", async () => {
    iam.on(GetRoleCommand).resolves({ Role: { RoleName: 'orders-api-test-role', Arn: ROLE, Path: '/service-role/', RoleId: 'AROAEXAMPLE', CreateDate: new Date(), Tags: [] } });
    await cleanup.onDelete(PROPS, log);
    expect(codebuild.commandCalls(DeleteProjectCommand).map((c) => c.args[0].input.name)).toEqual(['orders-api-test']);
    expect(iam.commandCalls(DeleteRoleCommand)).toHaveLength(0);
    expect(log).toHaveBeenCalledWith('role orders-api-test-role left alone: not tagged doplab:lab=pipeline-test-stage');
  });

  it('empties the buckets when the pipeline is gone, and is safe to run twice (nothing left to delete)', async () => {
    pipelines.on(GetPipelineCommand).rejects(awsError('PipelineNotFoundException', 'Account 111122223333 does not have a pipeline with name doplab-orders-api'));
    codebuild.on(DeleteReportGroupCommand).rejects(awsError('ResourceNotFoundException', 'gone'));
    await cleanup.onDelete(PROPS, log);
    expect(codebuild.commandCalls(DeleteProjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(ListObjectVersionsCommand)).toHaveLength(2);
    expect(log).toHaveBeenCalledWith('pipeline doplab-orders-api does not exist');
  });

  it('keeps going after a failure and reports it', async () => {
    codebuild.on(DeleteProjectCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: codebuild:DeleteProject'));
    await expect(cleanup.onDelete(PROPS, log)).rejects.toThrow('could not clean up project orders-api-test: AccessDeniedException: not authorized to perform: codebuild:DeleteProject');
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(2);
  });

  it('works as deployed: the inlined code cleans up on Delete of Custom::DopLabCleanup and answers SUCCESS', async () => {
    const { json } = built();
    const fn = json.Resources[idOf('AWS::Lambda::Function')];
    const responses = await runInlineCode((fn.Properties.Code as { ZipFile: string }).ZipFile, __dirname, (url) => ({ ...cfnEvent('Delete', url, PROPS), ResourceType: 'Custom::DopLabCleanup' }));
    expect(order[0]).toBe('GetPipeline {"name":"doplab-orders-api"}');
    expect(responses[0].body).toMatchObject({ Status: 'SUCCESS', Reason: 'cleanup done' });
  });
});

describe('calls.ts', () => {
  const env = proofEnv('DopLab-pipeline-test-stage');

  itDeclaresTheStackRoles(env, () => built().json, { roleCalls, servicePrincipalCalls, solutionActions });
});
