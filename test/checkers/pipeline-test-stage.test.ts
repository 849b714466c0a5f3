import 'aws-sdk-client-mock-jest';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { BatchGetBuildsCommand, BatchGetProjectsCommand, BatchGetReportsCommand, CreateProjectCommand, UpdateProjectCommand } from '@aws-sdk/client-codebuild';
import {
  CodePipelineClient,
  GetPipelineCommand,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  StartPipelineExecutionCommand,
  UpdatePipelineCommand,
  type PipelineDeclaration,
} from '@aws-sdk/client-codepipeline';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { checker, testActions, type PipelineTestStageFacts } from '../../checkers/pipeline-test-stage';
import { AwsSession } from '../../lib/aws/clients';
import type { LabResult, Status } from '../../lib/checker';
import { checkerActions } from '../../lib/engine';
import { DoplabError } from '../../lib/errors';
import { loadFactsFile } from '../../lib/facts-file';
import type { SolutionContext } from '../../lib/lab';
import { zipTextFiles } from '../../lib/zip';
import { SEEDED_SOURCE } from '../../labs/pipeline-test-stage/app-source';
import { Outputs } from '../../labs/pipeline-test-stage/contract';
import { lab } from '../../labs/pipeline-test-stage/lab';
import { solveWith, sourceZip, testBuildspec, testRolePolicy, TEST_PROJECT_NAME, TEST_ROLE_NAME, type WaitOptions } from '../../labs/pipeline-test-stage/solution';
import {
  ACCOUNT,
  BUILDSPEC,
  EXECUTIONS,
  KEY_ARN,
  OTHER_ARN,
  OUTPUTS,
  PARAMETER,
  pipeline,
  REGION,
  simulation,
  SOURCE_BUCKET,
  sourceObject,
  TEST_ROLE_ARN,
  testProject,
  testStage,
  WORLDS,
  type World,
} from '../fixtures/pipeline-test-stage/aws-world';
import { CREDENTIALS, FACTS_FILES, freshFactsFile, gatherWorld, IDENTITY, SDK_MODULES } from '../fixtures/pipeline-test-stage/gather-world';
import { mockWorld, type WorldMocks } from '../fixtures/pipeline-test-stage/mock-world';
import { MockedSession, awsError } from '../support/mocked-session';
import { checkFinder, factsRunner, gatherRecorded, itDeclaresChecks } from '../support/checker-tests';
import { roundTrips } from '../support/pipeline-world';

const CHECK_IDS = ['test-stage-before-build', 'tests-reported', 'release-blocked-by-tests', 'pipeline-green', 'secret-not-plaintext', 'least-privilege-secret'] as const;
const KEY = `ordk_${'3f9a'.repeat(10)}`;

function load(path: string) {
  return loadFactsFile(path, checker.labId, checker.factsSchema);
}

const run = factsRunner(checker, ACCOUNT, REGION);

const check = checkFinder(CHECK_IDS);

const statuses = (result: LabResult) => result.checks.map((c) => c.status);

/** Facts gathered from a world (through the real gather, against mocks). */
async function factsOf(world: World): Promise<PipelineTestStageFacts> {
  return (await gatherWorld(world)).facts;
}

describe('pipeline-test-stage checker', () => {
  describe('declaration', () => {
    itDeclaresChecks(checker, lab.taskStatements, CHECK_IDS, [
      'cloudformation:DescribeStacks',
      'codebuild:BatchGetBuilds',
      'codebuild:BatchGetProjects',
      'codebuild:BatchGetReports',
      'codepipeline:GetPipeline',
      'codepipeline:ListActionExecutions',
      'codepipeline:ListPipelineExecutions',
      'iam:SimulatePrincipalPolicy',
      's3:GetObject',
    ]);
  });

  describe('example facts', () => {
    it('scores 0 on the starting state, failing with a hint', () => {
      const result = run(load(lab.examples.starting).facts);
      expect(result.score).toBe(0);
      expect(statuses(result)).toEqual(['FAIL', 'SKIPPED', 'SKIPPED', 'SKIPPED', 'SKIPPED', 'SKIPPED']);
      expect(check(result, 'test-stage-before-build')).toMatchObject({
        hint: expect.stringMatching(/between Source and Build/),
        evidence: {
          observed: 'Source [Source: S3] → Build [Build: CodeBuild doplab-orders-api-build] → Deploy [Deploy: S3]',
          where: `CodePipeline doplab-orders-api in ${REGION}`,
        },
      });
    });

    it('gives full marks on the solved state', () => {
      const result = run(load(lab.examples.solved).facts);
      expect(statuses(result)).toEqual(CHECK_IDS.map(() => 'PASS'));
      expect(result.score).toBe(100);
      expect(check(result, 'tests-reported').evidence?.observed).toBe(
        `build orders-api-test:8a2e9f3b-4d5c-4e6f-a071-8b9c0d1e2f3a of execution ${EXECUTIONS.solved[2].id}: 7 test cases, 7 passed, 0 failed`,
      );
      expect(check(result, 'release-blocked-by-tests').evidence?.observed).toBe(
        `execution ${EXECUTIONS.solved[1].id} (2026-11-24T09:41:17.502Z) failed in stage Test: 1 of 7 test cases failed; Deploy did not run`,
      );
      expect(check(result, 'secret-not-plaintext').evidence?.observed).toBe(`project ${TEST_PROJECT_NAME} env.parameter-store: API_KEY from Parameter Store ${PARAMETER}`);
    });

    it('are the lab examples', () => {
      expect(Object.fromEntries(Object.entries(FACTS_FILES).map(([name, f]) => [name, f.path]))).toEqual(lab.examples);
    });

    it.each(Object.keys(FACTS_FILES))('%s is exactly what gather records from its world (regenerate with test/support/write-facts.ts)', async (name) => {
      expect(load(FACTS_FILES[name].path)).toEqual(JSON.parse(JSON.stringify(await freshFactsFile(name))));
    });
  });

  describe('checks on states', () => {
    it('blocked: the Test stage stopped the seeded source; tests-reported and pipeline-green fail until the fix ships', async () => {
      const result = run(await factsOf(WORLDS.blocked));
      expect(statuses(result)).toEqual(['PASS', 'FAIL', 'PASS', 'FAIL', 'PASS', 'PASS']);
      expect(check(result, 'tests-reported')).toMatchObject({
        evidence: { observed: expect.stringMatching(/: 7 test cases, 6 passed, 1 failed$/) },
        hint: expect.stringMatching(/src\/pricing\.js/),
      });
      expect(check(result, 'pipeline-green').evidence?.observed).toMatch(/Failed; Test Failed, Build did not run, Deploy did not run$/);
    });

    it('fails a Test stage after Deploy, saying the release has shipped by then', async () => {
      const c = check(run(await factsOf({ ...WORLDS.blocked, pipeline: pipeline('test-after-deploy') })), 'test-stage-before-build');
      expect(c).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/after Deploy: by then the release has shipped/) });
    });

    it('fails a test action inside the Build stage, asking for a stage of its own', async () => {
      const deployed = pipeline('deployed');
      const shared: PipelineDeclaration = { ...deployed, stages: deployed.stages?.map((s) => (s.name === 'Build' ? { ...s, actions: [{ ...testStage().actions[0], runOrder: 1 }, { ...s.actions![0], runOrder: 2 }] } : s)) };
      const c = check(run(await factsOf({ ...WORLDS.blocked, pipeline: shared })), 'test-stage-before-build');
      expect(c).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/shares stage Build with the build/) });
    });

    it('fails when the pipeline is gone, with a redeploy hint', async () => {
      const mocks = mockWorld(WORLDS.starting);
      try {
        mocks.pipelines.on(GetPipelineCommand).rejects(awsError('PipelineNotFoundException', 'Account 111122223333 does not have a pipeline with name doplab-orders-api'));
        const { facts } = await gather();
        expect(check(run(facts), 'test-stage-before-build')).toMatchObject({ status: 'FAIL', hint: 'Run doplab deploy pipeline-test-stage to recreate the lab.' });
      } finally {
        mocks.restore();
      }
    });

    it('fails tests-reported when the builds publish no report, naming the reports section and the report permissions', async () => {
      const executions = EXECUTIONS.blocked.map((e) => (e.test ? { ...e, test: { ...e.test, reported: false } } : e));
      const result = run(await factsOf({ ...WORLDS.blocked, executions }));
      expect(check(result, 'tests-reported')).toMatchObject({
        status: 'FAIL',
        evidence: { observed: expect.stringMatching(/: no test report$/) },
        hint: expect.stringMatching(/reports section.*JUNITXML.*CreateReportGroup, CreateReport, UpdateReport, BatchPutTestCases/s),
      });
      // A failed build without a failed test case proves nothing about the tests.
      expect(check(result, 'release-blocked-by-tests')).toMatchObject({ status: 'FAIL', evidence: { observed: expect.stringMatching(/in build phase BUILD, with no failed test case reported$/) } });
    });

    it('fails tests-reported when the report holds fewer test cases than the app has', async () => {
      const executions = EXECUTIONS.solved.map((e) => (e.test ? { ...e, test: { ...e.test, total: 4, failed: 0 } } : e));
      const c = check(run(await factsOf({ ...WORLDS.solved, executions })), 'tests-reported');
      expect(c).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/The app has 7 test cases/) });
    });

    it('is pending while the Test action runs, and while the latest execution runs', async () => {
      const running = [...EXECUTIONS.blocked, { id: 'd4a6f5b7-8e9a-4b02-9cde-3f4a5b6c7d8e', status: 'InProgress' as const, start: '09:50:01.000', shipped: false, test: { status: 'InProgress' as const, total: 0, failed: 0, build: '9b3f0a4c-5e6d-4f70-b182-9c0d1e2f3a4b' } }];
      const result = run(await factsOf({ ...WORLDS.blocked, executions: running }));
      expect(check(result, 'tests-reported')).toMatchObject({ status: 'PENDING', evidence: { observed: expect.stringMatching(/the Test action is still running$/) } });
      expect(check(result, 'pipeline-green').status).toBe('PENDING');
      expect(check(result, 'release-blocked-by-tests').status).toBe('PASS');
    });

    it('fails release-blocked-by-tests when the first tested execution went green: no release was ever stopped', async () => {
      const executions = [EXECUTIONS.solved[0], EXECUTIONS.solved[2]];
      const result = run(await factsOf({ ...WORLDS.solved, executions }));
      expect(check(result, 'release-blocked-by-tests')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/upload it again \(with the bug\)/) });
      expect(check(result, 'pipeline-green').status).toBe('PASS');
    });

    it('ignores a test failure after the first green execution', async () => {
      const late = { ...EXECUTIONS.solved[1], id: 'e5b7a6c8-9fab-4c13-8def-4a5b6c7d8e9f', start: '10:05:00.000' };
      const result = run(await factsOf({ ...WORLDS.solved, executions: [EXECUTIONS.solved[0], EXECUTIONS.solved[2], late] }));
      expect(check(result, 'release-blocked-by-tests').status).toBe('FAIL');
      expect(check(result, 'pipeline-green').status).toBe('FAIL');
    });

    it.each<[string, Partial<Parameters<typeof testProject>[0]>, RegExp]>([
      [
        'a PLAINTEXT project variable holding the key',
        { environment: { ...testProject().environment!, environmentVariables: [{ name: 'API_KEY', value: KEY, type: 'PLAINTEXT' }] }, source: { type: 'CODEPIPELINE', buildspec: BUILDSPEC.replace(/env:\n {2}parameter-store:\n {4}API_KEY: .*\n/, '') } },
        /^project orders-api-test: API_KEY is PLAINTEXT and holds an API key$/,
      ],
      [
        'a key pasted into the buildspec variables',
        { source: { type: 'CODEPIPELINE', buildspec: BUILDSPEC.replace('  parameter-store:\n', `  variables:\n    ORDERS_KEY: ${KEY}\n  parameter-store:\n`) } },
        /^project orders-api-test env\.variables: ORDERS_KEY is PLAINTEXT and holds an API key$/,
      ],
    ])('fails secret-not-plaintext on %s', async (_, edit, observed) => {
      const c = check(run(await factsOf({ ...WORLDS.solved, project: testProject(edit) })), 'secret-not-plaintext');
      expect(c).toMatchObject({ status: 'FAIL', evidence: { observed: expect.stringMatching(observed) }, hint: expect.stringMatching(/consider the key leaked/) });
    });

    it('fails secret-not-plaintext on a plain-text action variable of the pipeline', async () => {
      const withVariable = pipeline('tested');
      const stages = withVariable.stages!.map((s) => (s.name === 'Test' ? testStage({ ProjectName: TEST_PROJECT_NAME, EnvironmentVariables: JSON.stringify([{ name: 'API_KEY', value: KEY, type: 'PLAINTEXT' }]) }) : s));
      const c = check(run(await factsOf({ ...WORLDS.solved, pipeline: { ...withVariable, stages } })), 'secret-not-plaintext');
      expect(c.evidence?.observed).toBe('pipeline action Test/UnitTests: API_KEY is PLAINTEXT and holds an API key');
    });

    it('passes a PARAMETER_STORE project variable, and fails when nothing sets the key', async () => {
      const noEnv = BUILDSPEC.replace(/env:\n {2}parameter-store:\n {4}API_KEY: .*\n/, '');
      const project = testProject({ source: { type: 'CODEPIPELINE', buildspec: noEnv }, environment: { ...testProject().environment!, environmentVariables: [{ name: 'API_KEY', value: PARAMETER, type: 'PARAMETER_STORE' }] } });
      expect(check(run(await factsOf({ ...WORLDS.solved, project })), 'secret-not-plaintext').status).toBe('PASS');
      const nothing = check(run(await factsOf({ ...WORLDS.solved, project: testProject({ source: { type: 'CODEPIPELINE', buildspec: noEnv } }) })), 'secret-not-plaintext');
      expect(nothing).toMatchObject({ status: 'FAIL', evidence: { observed: 'nothing sets API_KEY' } });
    });

    it('reads a buildspec file from the source zip with GetObject when the project names none inline', async () => {
      const source = sourceObject({ ...SEEDED_SOURCE, 'buildspec.yml': BUILDSPEC });
      const facts = await factsOf({ ...WORLDS.solved, project: testProject({ source: { type: 'CODEPIPELINE' } }), source });
      expect(facts.buildspecs).toEqual({ ok: true, value: [{ origin: 'source.zip:buildspec.yml', text: BUILDSPEC }] });
      expect(check(run(facts), 'secret-not-plaintext').status).toBe('PASS');
      const missing = await factsOf({ ...WORLDS.solved, project: testProject({ source: { type: 'CODEPIPELINE', buildspec: 'ci/test.yml' } }), source });
      expect(check(run(missing), 'secret-not-plaintext').evidence?.observed).toBe('nothing sets API_KEY (source.zip:ci/test.yml is not in the source)');
    });

    it.each<[string, ReturnType<typeof simulation>, Status, RegExp]>([
      ['ssm:* on *: another /doplab/ parameter is readable too', simulation('allowed', 'allowed'), 'FAIL', /ssm:\* on \* is the classic mistake/],
      ['no statement for the key', simulation('implicitDeny', 'implicitDeny'), 'FAIL', /Nothing allows the role to read the key/],
      ['an explicit deny', simulation('explicitDeny', 'implicitDeny'), 'FAIL', /explicit deny wins/],
    ])('judges a role with %s', async (_, results, expected, hint) => {
      const c = check(run(await factsOf({ ...WORLDS.solved, simulation: results })), 'least-privilege-secret');
      expect(c).toMatchObject({ status: expected, hint: expect.stringMatching(hint) });
    });

    it('rejects malformed facts', () => {
      const facts = structuredClone(load(lab.examples.solved).facts) as unknown as { executions: { value: { status: unknown }[] } };
      facts.executions.value[0].status = 42;
      expect(checker.factsSchema.safeParse(facts).success).toBe(false);
    });
  });

  describe('gather', () => {
    let mocks: WorldMocks;
    afterEach(() => mocks?.restore());

    it('sends exactly the declared read-only calls, with the lab pipeline, the test builds, reports, project and role', async () => {
      mocks = mockWorld(WORLDS.solved);
      const { facts, actions } = await gather();
      expect(mocks.pipelines.commandCalls(GetPipelineCommand).map((c) => c.args[0].input)).toEqual([{ name: 'doplab-orders-api' }]);
      expect(mocks.pipelines.commandCalls(ListPipelineExecutionsCommand).map((c) => c.args[0].input)).toEqual([{ pipelineName: 'doplab-orders-api', maxResults: 100 }]);
      expect(mocks.pipelines.commandCalls(ListActionExecutionsCommand).map((c) => c.args[0].input)).toEqual([{ pipelineName: 'doplab-orders-api', maxResults: 100 }]);
      expect(mocks.codebuild.commandCalls(BatchGetBuildsCommand).map((c) => c.args[0].input)).toEqual([
        { ids: ['orders-api-test:8a2e9f3b-4d5c-4e6f-a071-8b9c0d1e2f3a', 'orders-api-test:6f1d8e2a-3c4b-4d5e-9f60-7a8b9c0d1e2f'] },
      ]);
      expect(mocks.codebuild.commandCalls(BatchGetReportsCommand)).toHaveLength(1);
      expect(mocks.codebuild.commandCalls(BatchGetProjectsCommand).map((c) => c.args[0].input)).toEqual([{ names: [TEST_PROJECT_NAME] }]);
      expect(mocks.iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input)).toEqual([
        { PolicySourceArn: TEST_ROLE_ARN, ActionNames: ['ssm:GetParameters'], ResourceArns: [KEY_ARN, OTHER_ARN] },
      ]);
      // The buildspec is inline in the project: the source is not read.
      expect(mocks.s3.calls()).toHaveLength(0);
      expect(actions.filter((a) => a !== 's3:GetObject')).toEqual(checkerActions(checker).filter((a) => a !== 's3:GetObject'));
      expect(JSON.parse(JSON.stringify(facts))).toEqual(facts);
      expect(run(facts).score).toBe(100);
    });

    it('reads the source object with GetObject only for a buildspec file, and says so in the declared actions', async () => {
      mocks = mockWorld({ ...WORLDS.solved, project: testProject({ source: { type: 'CODEPIPELINE', buildspec: 'buildspec.yml' } }), source: sourceObject({ 'buildspec.yml': BUILDSPEC }) });
      const { actions } = await gather();
      expect(mocks.s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: SOURCE_BUCKET, Key: 'source.zip', ChecksumMode: 'ENABLED' }]);
      expect(actions).toEqual(checkerActions(checker));
    });

    it('reads no builds, projects or roles in the starting state', async () => {
      mocks = mockWorld(WORLDS.starting);
      const { facts } = await gather();
      expect(mocks.codebuild.calls()).toHaveLength(0);
      expect(mocks.iam.calls()).toHaveLength(0);
      expect(facts.testProjects).toBeUndefined();
    });

    it('needs four sequential round trips: the stack, the pipeline reads in parallel, then builds and projects, then reports and the simulation', async () => {
      const { wrap, rounds } = roundTrips();
      const { facts } = await gatherWorld(WORLDS.solved, undefined, undefined, wrap);
      expect(rounds).toEqual({
        DescribeStacks: [1],
        GetPipeline: [2],
        ListPipelineExecutions: [2],
        ListActionExecutions: [2],
        BatchGetBuilds: [3],
        BatchGetProjects: [3],
        BatchGetReports: [4],
        SimulatePrincipalPolicy: [4],
      });
      expect(run(facts).score).toBe(100);
    });

    it('records AccessDenied on SimulatePrincipalPolicy as an ERROR of the one check that needs it', async () => {
      mocks = mockWorld(WORLDS.solved);
      mocks.iam.on(SimulatePrincipalPolicyCommand).rejects(awsError('AccessDenied', 'User is not authorized to perform: iam:SimulatePrincipalPolicy', 403));
      const { facts } = await gather();
      const result = run(facts);
      expect(check(result, 'least-privilege-secret')).toMatchObject({ status: 'ERROR', error: { action: 'iam:SimulatePrincipalPolicy' } });
      expect(result.checks.filter((c) => c.status !== 'PASS').map((c) => c.id)).toEqual(['least-privilege-secret']);
    });

    it('records a failed ListActionExecutions as ERROR of the checks that read executions only', async () => {
      mocks = mockWorld(WORLDS.solved);
      mocks.pipelines.on(ListActionExecutionsCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
      const { facts } = await gather();
      expect(statuses(run(facts))).toEqual(['PASS', 'ERROR', 'ERROR', 'ERROR', 'PASS', 'PASS']);
    });

    it('rejects with LAB_NOT_DEPLOYED when the stack does not exist, reading nothing else', async () => {
      mocks = mockWorld(WORLDS.solved);
      mocks.cloudformation.on(DescribeStacksCommand).rejects(awsError('ValidationError', 'Stack with id DopLab-pipeline-test-stage does not exist'));
      const error = await gather().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DoplabError);
      expect(error).toMatchObject({ code: 'LAB_NOT_DEPLOYED' });
      expect(mocks.pipelines.calls()).toHaveLength(0);
    });

    it('refuses StartPipelineExecution on a checker client before anything is sent', async () => {
      mocks = mockWorld(WORLDS.solved);
      const session = new MockedSession({ region: REGION, credentials: CREDENTIALS }, SDK_MODULES);
      const client = session.readOnlyClient(CodePipelineClient, REGION);
      await expect(client.send(new StartPipelineExecutionCommand({ name: 'doplab-orders-api' }))).rejects.toThrow(/Refused codepipeline:StartPipelineExecution: checkers may only read/);
      expect(mocks.pipelines.calls()).toHaveLength(0);
    });
  });

  describe('testActions', () => {
    it("finds CodeBuild actions that run another project than the lab's build, with their stage", () => {
      expect(testActions(pipeline('tested') as never, 'doplab-orders-api-build')).toEqual([{ stageIndex: 1, stageName: 'Test', actionName: 'UnitTests', project: TEST_PROJECT_NAME }]);
      expect(testActions(pipeline('deployed') as never, 'doplab-orders-api-build')).toEqual([]);
    });
  });
});

function gather() {
  return gatherRecorded(checker, new MockedSession({ region: REGION, credentials: CREDENTIALS }, SDK_MODULES), IDENTITY);
}

describe('pipeline-test-stage solution', () => {
  let iam: AwsClientStub<IAMClient>;
  let codebuild: AwsClientStub<CodeBuildClient>;
  let pipelines: AwsClientStub<CodePipelineClient>;
  let s3: AwsClientStub<S3Client>;
  const NOW = new Date('2026-11-24T09:40:00.000Z');
  const NO_WAIT: WaitOptions = { sleep: async () => undefined, pollMs: 15_000, timeoutMs: 60_000 };

  beforeEach(() => {
    iam = mockClient(IAMClient);
    codebuild = mockClient(CodeBuildClient);
    pipelines = mockClient(CodePipelineClient);
    s3 = mockClient(S3Client);
    iam.on(CreateRoleCommand).resolves({ Role: { RoleName: TEST_ROLE_NAME, Arn: `arn:aws:iam::${ACCOUNT}:role/${TEST_ROLE_NAME}`, Path: '/', RoleId: 'AROAEXAMPLE1234567890', CreateDate: NOW } });
    iam.on(PutRolePolicyCommand).resolves({});
    codebuild.on(CreateProjectCommand).resolves({ project: { name: TEST_PROJECT_NAME } });
    pipelines.on(GetPipelineCommand).resolves({ pipeline: pipeline('deployed') });
    pipelines.on(UpdatePipelineCommand).resolves({});
    // The account as the releases go: each upload starts an execution, seen running once, then ended.
    const summary = (id: string, status: 'InProgress' | 'Failed' | 'Succeeded', minute: number) => ({ pipelineExecutionId: id, status, startTime: new Date(Date.UTC(2026, 10, 24, 9, minute)) });
    const history = [summary('initial', 'Succeeded', 5)];
    const outcomes: ['blocked' | 'green', 'Failed' | 'Succeeded'][] = [['blocked', 'Failed'], ['green', 'Succeeded']];
    let polls = 0;
    let pending: 'Failed' | 'Succeeded' = 'Succeeded';
    s3.on(PutObjectCommand).callsFake(() => {
      const [id, status] = outcomes.shift() ?? ['extra', 'Succeeded'];
      history.unshift(summary(id, 'InProgress', 40 + history.length));
      polls = 0;
      pending = status;
      return { VersionId: `v${history.length}` };
    });
    pipelines.on(ListPipelineExecutionsCommand).callsFake(() => {
      if (history[0].status === 'InProgress' && polls++ >= 1) history[0] = { ...history[0], status: pending };
      return { pipelineExecutionSummaries: history.map((e) => ({ ...e })) };
    });
  });
  afterEach(() => [iam, codebuild, pipelines, s3].forEach((m) => m.restore()));

  function context(lines: string[] = []): SolutionContext<typeof Outputs> {
    const session = new AwsSession({ region: REGION, credentials: CREDENTIALS });
    return {
      outputs: { pipelineName: 'doplab-orders-api', sourceBucketName: SOURCE_BUCKET, sourceKey: 'source.zip', artifactBucketName: OUTPUTS.ArtifactBucketName, buildProjectName: 'doplab-orders-api-build', apiKeyParameterName: PARAMETER },
      region: REGION,
      account: ACCOUNT,
      client: (ctor) => session.client(ctor, REGION),
      log: (line) => lines.push(line),
    };
  }

  it('makes the role, the project and the Test stage, then releases the seeded source (blocked) and the fix (green)', async () => {
    const lines: string[] = [];
    await solveWith(context(lines), NO_WAIT);
    expect(iam.commandCalls(CreateRoleCommand)[0].args[0].input).toMatchObject({ RoleName: TEST_ROLE_NAME, Tags: [{ Key: 'doplab:lab', Value: 'pipeline-test-stage' }] });
    expect(JSON.parse(iam.commandCalls(PutRolePolicyCommand)[0].args[0].input.PolicyDocument ?? '').Statement).toContainEqual({ Effect: 'Allow', Action: 'ssm:GetParameters', Resource: KEY_ARN });
    expect(codebuild.commandCalls(CreateProjectCommand)[0].args[0].input).toMatchObject({
      name: TEST_PROJECT_NAME,
      source: { type: 'CODEPIPELINE', buildspec: testBuildspec(PARAMETER) },
      environment: { computeType: 'BUILD_GENERAL1_SMALL' },
    });
    const updated = pipelines.commandCalls(UpdatePipelineCommand)[0].args[0].input.pipeline;
    expect(updated?.stages?.map((s) => s.name)).toEqual(['Source', 'Test', 'Build', 'Deploy']);
    expect(updated?.stages?.[1]).toEqual({ name: 'Test', actions: [{ name: 'UnitTests', actionTypeId: { category: 'Test', owner: 'AWS', provider: 'CodeBuild', version: '1' }, runOrder: 1, configuration: { ProjectName: TEST_PROJECT_NAME }, inputArtifacts: [{ name: 'Source' }] }] });
    const uploads = s3.commandCalls(PutObjectCommand).map((c) => zipTextFiles(c.args[0].input.Body as Uint8Array)['src/pricing.js']);
    expect(uploads.map((u) => u.includes('discountPercent / 100'))).toEqual([false, true]);
    expect(lines.filter((l) => l.startsWith('Execution '))).toEqual(['Execution blocked: Failed', 'Execution green: Succeeded']);
  });

  it('passes the checks it is meant to make pass: its buildspec and role policy are what the solved facts judge', () => {
    const policy = JSON.parse(testRolePolicy(context())) as { Statement: { Action: string | string[]; Resource: string | string[] }[] };
    expect(policy.Statement.filter((s) => JSON.stringify(s.Action).includes('ssm:'))).toEqual([{ Effect: 'Allow', Action: 'ssm:GetParameters', Resource: KEY_ARN }]);
    expect(policy.Statement.flatMap((s) => [s.Action].flat())).toEqual(expect.arrayContaining(['codebuild:CreateReportGroup', 'codebuild:CreateReport', 'codebuild:UpdateReport', 'codebuild:BatchPutTestCases']));
    expect(testProject().source?.buildspec).toBe(testBuildspec(PARAMETER));
  });

  it('zips the seeded source with the bug, and the fix changes that one line only', () => {
    const seeded = zipTextFiles(sourceZip(false));
    const fixed = zipTextFiles(sourceZip(true));
    expect(seeded).toEqual(SEEDED_SOURCE);
    const changed = Object.keys(fixed).filter((k) => fixed[k] !== seeded[k]);
    expect(changed).toEqual(['src/pricing.js']);
  });

  it('stops when the seeded release is not blocked', async () => {
    s3.on(PutObjectCommand).resolves({ VersionId: 'v2' });
    pipelines
      .on(ListPipelineExecutionsCommand)
      .resolvesOnce({ pipelineExecutionSummaries: [{ pipelineExecutionId: 'initial', status: 'Succeeded', startTime: new Date('2026-11-24T09:05:02Z') }] })
      .resolves({ pipelineExecutionSummaries: [{ pipelineExecutionId: 'x', status: 'Succeeded', startTime: new Date('2026-11-24T09:40:09Z') }, { pipelineExecutionId: 'initial', status: 'Succeeded', startTime: new Date('2026-11-24T09:05:02Z') }] });
    await expect(solveWith(context(), NO_WAIT)).rejects.toThrow('The seeded source should fail in the Test stage; its execution ended Succeeded.');
  });

  it('updates a project left from an earlier run, and gives up with a TIMEOUT when no execution ends', async () => {
    codebuild.on(CreateProjectCommand).rejects(awsError('ResourceAlreadyExistsException', 'Project already exists: orders-api-test'));
    codebuild.on(UpdateProjectCommand).resolves({});
    pipelines.on(ListPipelineExecutionsCommand).resolves({ pipelineExecutionSummaries: [] });
    await expect(solveWith(context(), NO_WAIT)).rejects.toMatchObject({ code: 'TIMEOUT', hint: /doplab check pipeline-test-stage/ });
    expect(codebuild.commandCalls(UpdateProjectCommand)).toHaveLength(1);
  });
});
