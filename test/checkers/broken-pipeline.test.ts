import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { BatchGetBuildsCommand } from '@aws-sdk/client-codebuild';
import { GetPipelineCommand, ListActionExecutionsCommand, ListPipelineExecutionsCommand } from '@aws-sdk/client-codepipeline';
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  SimulatePrincipalPolicyCommand,
} from '@aws-sdk/client-iam';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { checker, runtimeSupported, runtimeVersions, wildcardActions, type BrokenPipelineFacts } from '../../checkers/broken-pipeline';
import { AwsSession } from '../../lib/aws/clients';
import type { LabResult } from '../../lib/checker';
import { checkerActions } from '../../lib/engine';
import { DoplabError } from '../../lib/errors';
import { loadFactsFile } from '../../lib/facts-file';
import type { SolutionContext } from '../../lib/lab';
import type { WaitOptions } from '../../lib/pipeline-release';
import { zipTextFiles } from '../../lib/zip';
import { SEEDED_BUILDSPEC } from '../../labs/broken-pipeline/app-source';
import { Outputs } from '../../labs/broken-pipeline/contract';
import { lab } from '../../labs/broken-pipeline/lab';
import { FIXED_BUILDSPEC, POLICY_NAME, solveWith } from '../../labs/broken-pipeline/solution';
import {
  ACCOUNT,
  BUILD_PROJECT,
  BUILD_ROLE_ARN,
  BUILD_ROLE_NAME,
  DEPLOYED_INLINE,
  FIX_INLINE,
  KEY_ARN,
  markerOf,
  OTHER_ARN,
  OUTPUTS,
  PARAMETER,
  pipeline,
  REGION,
  RELEASE_BUCKET,
  REVISIONS,
  RUNS,
  simulation,
  SOURCE_BUCKET,
  WORLDS,
  type World,
} from '../fixtures/broken-pipeline/aws-world';
import { CREDENTIALS, FACTS_FILES, freshFactsFile, gatherWorld, IDENTITY, SDK_MODULES } from '../fixtures/broken-pipeline/gather-world';
import { mockWorld, type WorldMocks } from '../fixtures/broken-pipeline/mock-world';
import { awsError, MockedSession } from '../support/mocked-session';
import { checkFinder, factsRunner, gatherRecorded, itDeclaresChecks } from '../support/checker-tests';
import { roundTrips } from '../support/pipeline-world';

const CHECK_IDS = ['pipeline-green', 'least-privilege-fix', 'runtime-fixed', 'release-is-built', 'same-pipeline'] as const;

const run = factsRunner(checker, ACCOUNT, REGION);

const check = checkFinder(CHECK_IDS);

const statuses = (result: LabResult) => Object.fromEntries(result.checks.map((c) => [c.id, c.status]));

/** Facts gathered from a world through the real gather, against mocks. */
async function factsOf(world: World): Promise<BrokenPipelineFacts> {
  return (await gatherWorld(world)).facts;
}

async function resultOf(world: World): Promise<LabResult> {
  return run(await factsOf(world));
}

describe('broken-pipeline checker', () => {
  describe('declaration', () => {
    itDeclaresChecks(checker, lab.taskStatements, CHECK_IDS, [
      'cloudformation:DescribeStacks',
      'codebuild:BatchGetBuilds',
      'codepipeline:GetPipeline',
      'codepipeline:ListActionExecutions',
      'codepipeline:ListPipelineExecutions',
      'iam:GetPolicy',
      'iam:GetPolicyVersion',
      'iam:GetRolePolicy',
      'iam:ListAttachedRolePolicies',
      'iam:ListRolePolicies',
      'iam:SimulatePrincipalPolicy',
      's3:GetObject',
      's3:GetObjectVersion',
    ]);
  });

  describe('example facts', () => {
    it('scores 0 on the starting state, each failing check naming where to look and never the fix', () => {
      const result = run(loadFactsFile(lab.examples.starting, checker.labId, checker.factsSchema).facts);
      expect(result.score).toBe(0);
      expect(statuses(result)).toEqual({ 'pipeline-green': 'FAIL', 'least-privilege-fix': 'FAIL', 'runtime-fixed': 'FAIL', 'release-is-built': 'FAIL', 'same-pipeline': 'SKIPPED' });
      expect(check(result, 'pipeline-green')).toMatchObject({
        evidence: { observed: expect.stringContaining('action Build/Build failed (build doplab-status-page-build:1f1d8e2a-3c4b-4d5e-9f60-7a8b9c0d1e2f: DOWNLOAD_SOURCE FAILED: Decrypted Variables Error)') },
        hint: expect.stringMatching(/action's details.*phase details.*build log/),
      });
      expect(check(result, 'least-privilege-fix').hint).toMatch(/DOWNLOAD_SOURCE phase context, or CloudTrail event history/);
      expect(check(result, 'runtime-fixed')).toMatchObject({
        evidence: { observed: expect.stringContaining('stopped before runtime selection; the buildspec it built asks for nodejs 222') },
        hint: expect.stringMatching(/an earlier failure in DOWNLOAD_SOURCE comes first/),
      });
      expect(check(result, 'release-is-built')).toMatchObject({ evidence: { observed: 'no build-info.json at the root of the release bucket' }, hint: expect.stringMatching(/UPLOAD_ARTIFACTS phase context/) });
      // Hints point at places; none of them hands over a fix.
      for (const c of result.checks) expect(c.hint ?? '').not.toMatch(/nodejs: 2\d|base-directory|ssm:GetParameters on arn/);
    });

    it('gives full marks on the solved state', () => {
      const result = run(loadFactsFile(lab.examples.solved, checker.labId, checker.factsSchema).facts);
      expect(result.score).toBe(100);
      expect(check(result, 'release-is-built').evidence?.observed).toBe(
        `build-info.json written by build ${BUILD_PROJECT}:4f1d8e2a-3c4b-4d5e-9f60-7a8b9c0d1e2f (execution ${RUNS.green.id})`,
      );
    });

    it('are the lab examples', () => {
      expect(Object.fromEntries(Object.entries(FACTS_FILES).map(([name, f]) => [name, f.path]))).toEqual(lab.examples);
    });

    it.each(Object.keys(FACTS_FILES))('%s is exactly what gather records from its world (regenerate with test/support/write-facts.ts)', async (name) => {
      expect(loadFactsFile(FACTS_FILES[name].path, checker.labId, checker.factsSchema)).toEqual(JSON.parse(JSON.stringify(await freshFactsFile(name))));
    });
  });

  describe('partial states: one layer at a time', () => {
    it('layer 1 fixed: the role may read the banner; the build now fails on the runtime version, named by its phase context', async () => {
      const result = await resultOf(WORLDS.policyFixed);
      expect(statuses(result)).toEqual({ 'pipeline-green': 'FAIL', 'least-privilege-fix': 'PASS', 'runtime-fixed': 'FAIL', 'release-is-built': 'FAIL', 'same-pipeline': 'SKIPPED' });
      expect(result.score).toBe(25);
      expect(check(result, 'pipeline-green').evidence?.observed).toMatch(/DOWNLOAD_SOURCE FAILED: YAML_FILE_ERROR\)$/);
      expect(check(result, 'runtime-fixed').evidence?.observed).toBe(
        `build ${BUILD_PROJECT}:2f1d8e2a-3c4b-4d5e-9f60-7a8b9c0d1e2f failed in DOWNLOAD_SOURCE: YAML_FILE_ERROR: Unknown runtime version named '222' of nodejs. This build image has the following versions: 18, 20, 22, 24`,
      );
    });

    it('layers 1 and 2 fixed: the build runs, and fails in UPLOAD_ARTIFACTS; nothing reaches the release bucket', async () => {
      const result = await resultOf(WORLDS.runtimeFixed);
      expect(statuses(result)).toEqual({ 'pipeline-green': 'FAIL', 'least-privilege-fix': 'PASS', 'runtime-fixed': 'PASS', 'release-is-built': 'FAIL', 'same-pipeline': 'SKIPPED' });
      expect(result.score).toBe(40);
      expect(check(result, 'pipeline-green').evidence?.observed).toMatch(/UPLOAD_ARTIFACTS FAILED: CLIENT_ERROR\)$/);
      expect(check(result, 'runtime-fixed').evidence?.observed).toMatch(/installed its runtimes \(INSTALL SUCCEEDED\); buildspec runtime-versions: nodejs 22$/);
    });

    it('is pending while a release runs: the execution, the build before runtime selection, and the release not written yet', async () => {
      const result = await resultOf(WORLDS.releasing);
      expect(statuses(result)).toEqual({ 'pipeline-green': 'PENDING', 'least-privilege-fix': 'PASS', 'runtime-fixed': 'PENDING', 'release-is-built': 'PENDING', 'same-pipeline': 'SKIPPED' });
      expect(check(result, 'pipeline-green').evidence?.expected).toMatch(/^waiting for: /);
    });

    it('judges the buildspec by the runtime table when the build stopped before runtime selection with a good version', async () => {
      const world = { ...WORLDS.starting, executions: [{ ...RUNS.first, revision: REVISIONS.runtimeFixed }] };
      const result = await resultOf(world);
      expect(check(result, 'runtime-fixed')).toMatchObject({ status: 'PASS', evidence: { observed: expect.stringMatching(/stopped before runtime selection; the buildspec it built asks for nodejs 22$/) } });
    });

    it('fails the runtime when CodeBuild tries to install the impossible version and INSTALL fails, naming the INSTALL phase', async () => {
      const result = await resultOf({ ...WORLDS.policyFixed, executions: [RUNS.first, RUNS.afterPolicyInstalling] });
      expect(check(result, 'runtime-fixed')).toMatchObject({
        status: 'FAIL',
        evidence: { observed: expect.stringMatching(/did not install its runtimes; the buildspec it built asks for nodejs 222; it failed in INSTALL: COMMAND_EXECUTION_ERROR: /) },
        hint: expect.stringMatching(/INSTALL phase context/),
      });
      expect(check(result, 'pipeline-green').evidence?.observed).toMatch(/INSTALL FAILED: COMMAND_EXECUTION_ERROR\)$/);
    });

    it('counts only executions since the lab deployed', async () => {
      const facts = { ...(await factsOf(WORLDS.solved)), deployedAt: '2026-11-24T09:55:00.000Z' };
      expect(check(run(facts), 'pipeline-green')).toMatchObject({ status: 'FAIL', evidence: { observed: 'the pipeline has not run since the lab deployed' } });
    });
  });

  describe('traps', () => {
    const solved = WORLDS.solved;

    it('fails an AWS managed administrator policy on the build role, even though the build goes green', async () => {
      const result = await resultOf({ ...solved, attached: [{ PolicyName: 'AdministratorAccess', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }], simulation: simulation('allowed', 'allowed') });
      expect(check(result, 'least-privilege-fix')).toMatchObject({ status: 'FAIL', evidence: { observed: expect.stringContaining('attached: AdministratorAccess') }, hint: expect.stringMatching(/administrator/) });
      expect(check(result, 'pipeline-green').status).toBe('PASS');
    });

    it('fails an inline ssm:* statement and a customer-managed "*" statement, read through GetPolicy and GetPolicyVersion', async () => {
      const star = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
      const ssmAll = JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: ['ssm:*'], Resource: KEY_ARN } });
      const managedArn = `arn:aws:iam::${ACCOUNT}:policy/build-fix`;
      const result = await resultOf({ ...solved, inline: { ...DEPLOYED_INLINE, Fix: ssmAll }, attached: [{ PolicyName: 'build-fix', PolicyArn: managedArn }], managed: { [managedArn]: star } });
      expect(check(result, 'least-privilege-fix')).toMatchObject({
        status: 'FAIL',
        evidence: { observed: expect.stringContaining(`inline Fix allows ssm:*; ${managedArn} allows *`) },
        hint: expect.stringMatching(/whole service/),
      });
    });

    it('fails a grant on every parameter, and an explicit deny', async () => {
      expect(check(await resultOf({ ...solved, simulation: simulation('allowed', 'allowed') }), 'least-privilege-fix')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/parameters it does not need/) });
      expect(check(await resultOf({ ...solved, simulation: simulation('explicitDeny') }), 'least-privilege-fix')).toMatchObject({ status: 'FAIL', hint: expect.stringMatching(/explicit deny/) });
    });

    it('fails a Deploy fed with the source: same-pipeline says so, and the release has no build marker', async () => {
      const result = await resultOf({ ...solved, pipeline: pipeline('deploy-from-source'), marker: null });
      expect(check(result, 'same-pipeline')).toMatchObject({ status: 'FAIL', evidence: { observed: expect.stringContaining("Deploy does not take Build's output") } });
      expect(check(result, 'release-is-built').status).toBe('FAIL');
    });

    it('fails an extra stage, and a pipeline that is gone', async () => {
      expect(check(await resultOf({ ...solved, pipeline: pipeline('extra-stage') }), 'same-pipeline')).toMatchObject({ status: 'FAIL', evidence: { observed: expect.stringContaining('Approve [Approve: Manual]') } });
      expect(check(await resultOf({ ...solved, pipeline: null }), 'same-pipeline')).toMatchObject({ status: 'FAIL', hint: 'Run doplab deploy broken-pipeline to recreate the lab.' });
    });

    it('fails a marker put by hand or left by a failed build', async () => {
      const byHand = await resultOf({ ...solved, marker: '{"buildId":"made-by-hand"}' });
      expect(check(byHand, 'release-is-built')).toMatchObject({ status: 'FAIL', evidence: { observed: expect.stringContaining('names build made-by-hand') }, hint: expect.stringMatching(/by hand/) });
      expect(check(await resultOf({ ...solved, marker: markerOf(RUNS.afterRuntime) }), 'release-is-built').status).toBe('FAIL');
      expect(check(await resultOf({ ...solved, marker: 'not json' }), 'release-is-built').status).toBe('FAIL');
    });
  });

  describe('gather', () => {
    let mocks: WorldMocks;
    afterEach(() => mocks?.restore());

    it('sends exactly the declared read-only calls: the pipeline, the latest build, the buildspec it built, the role, the release marker', async () => {
      mocks = mockWorld(WORLDS.runtimeFixed);
      const { facts, actions } = await gather();
      expect(mocks.pipelines.commandCalls(GetPipelineCommand).map((c) => c.args[0].input)).toEqual([{ name: 'doplab-status-page' }]);
      expect(mocks.pipelines.commandCalls(ListPipelineExecutionsCommand).map((c) => c.args[0].input)).toEqual([{ pipelineName: 'doplab-status-page', maxResults: 100 }]);
      expect(mocks.pipelines.commandCalls(ListActionExecutionsCommand).map((c) => c.args[0].input)).toEqual([{ pipelineName: 'doplab-status-page', maxResults: 100 }]);
      expect(mocks.codebuild.commandCalls(BatchGetBuildsCommand).map((c) => c.args[0].input)).toEqual([{ ids: [`${BUILD_PROJECT}:3f1d8e2a-3c4b-4d5e-9f60-7a8b9c0d1e2f`] }]);
      expect(mocks.iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input)).toEqual([{ PolicySourceArn: BUILD_ROLE_ARN, ActionNames: ['ssm:GetParameters'], ResourceArns: [KEY_ARN, OTHER_ARN] }]);
      expect(mocks.iam.commandCalls(ListAttachedRolePoliciesCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: BUILD_ROLE_NAME }]);
      expect(mocks.iam.commandCalls(ListRolePoliciesCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: BUILD_ROLE_NAME }]);
      expect(mocks.iam.commandCalls(GetRolePolicyCommand).map((c) => c.args[0].input.PolicyName).sort()).toEqual([...Object.keys(DEPLOYED_INLINE), ...Object.keys(FIX_INLINE)].sort());
      expect(mocks.iam.commandCalls(GetPolicyCommand)).toHaveLength(0);
      expect(mocks.s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([
        { Bucket: RELEASE_BUCKET, Key: 'build-info.json', ChecksumMode: 'ENABLED' },
        { Bucket: SOURCE_BUCKET, Key: 'source.zip', VersionId: REVISIONS.runtimeFixed, ChecksumMode: 'ENABLED' },
      ]);
      // A versioned GetObject is authorized as s3:GetObjectVersion: declared, though the client names it GetObject.
      expect(actions).toEqual(checkerActions(checker).filter((a) => !['iam:GetPolicy', 'iam:GetPolicyVersion', 's3:GetObjectVersion'].includes(a)));
      expect(facts.buildspec).toEqual({ ok: true, value: { sourceVersion: REVISIONS.runtimeFixed, text: expect.stringContaining('nodejs: 22') } });
      expect(JSON.parse(JSON.stringify(facts))).toEqual(facts);
    });

    it('reads no build and no source when the Build action never ran', async () => {
      mocks = mockWorld({ ...WORLDS.starting, executions: [] });
      const { facts } = await gather();
      expect(mocks.codebuild.calls()).toHaveLength(0);
      expect(mocks.s3.commandCalls(GetObjectCommand)).toHaveLength(1);
      expect(facts.latestBuild).toBeUndefined();
      expect(check(run(facts), 'runtime-fixed')).toMatchObject({ status: 'FAIL', evidence: { observed: 'the Build action has not run a build yet' } });
      expect(check(run(facts), 'pipeline-green').evidence?.observed).toBe('the pipeline has not run since the lab deployed');
    });

    it('needs three sequential round trips: the stack, the reads that need only outputs, then the build, its source and the inline policies', async () => {
      const { wrap, rounds } = roundTrips();
      const { facts } = await gatherWorld(WORLDS.solved, undefined, undefined, wrap);
      expect(rounds).toEqual({
        DescribeStacks: [1],
        GetPipeline: [2],
        ListPipelineExecutions: [2],
        ListActionExecutions: [2],
        SimulatePrincipalPolicy: [2],
        ListAttachedRolePolicies: [2],
        ListRolePolicies: [2],
        // The release marker with the reads above, the source version once the build is known.
        GetObject: [2, 3],
        BatchGetBuilds: [3],
        GetRolePolicy: [3, 3],
      });
      expect(run(facts).score).toBe(100);
    });

    it('records AccessDenied on SimulatePrincipalPolicy as an ERROR of the one check that needs it', async () => {
      mocks = mockWorld(WORLDS.solved);
      mocks.iam.on(SimulatePrincipalPolicyCommand).rejects(awsError('AccessDenied', 'User is not authorized to perform: iam:SimulatePrincipalPolicy', 403));
      const result = run((await gather()).facts);
      expect(check(result, 'least-privilege-fix')).toMatchObject({ status: 'ERROR', error: { action: 'iam:SimulatePrincipalPolicy' } });
      expect(result.checks.filter((c) => c.status !== 'PASS').map((c) => c.id)).toEqual(['least-privilege-fix']);
    });

    it('records a failed GetPolicyVersion as an ERROR of least-privilege-fix only', async () => {
      const managedArn = `arn:aws:iam::${ACCOUNT}:policy/build-fix`;
      mocks = mockWorld({ ...WORLDS.solved, attached: [{ PolicyName: 'build-fix', PolicyArn: managedArn }] });
      mocks.iam.on(GetPolicyVersionCommand).rejects(awsError('AccessDenied', 'User is not authorized to perform: iam:GetPolicyVersion', 403));
      const result = run((await gather()).facts);
      expect(result.checks.filter((c) => c.status !== 'PASS').map((c) => [c.id, c.status])).toEqual([['least-privilege-fix', 'ERROR']]);
    });

    it('records a failed BatchGetBuilds as an ERROR of runtime-fixed; pipeline-green still decides from the executions', async () => {
      mocks = mockWorld(WORLDS.solved);
      mocks.codebuild.on(BatchGetBuildsCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
      const result = run((await gather()).facts);
      expect(statuses(result)).toEqual({ 'pipeline-green': 'PASS', 'least-privilege-fix': 'PASS', 'runtime-fixed': 'ERROR', 'release-is-built': 'PASS', 'same-pipeline': 'PASS' });
    });

    it('records AccessDenied on the release marker as an ERROR of release-is-built only', async () => {
      mocks = mockWorld(WORLDS.solved);
      mocks.s3.on(GetObjectCommand, { Bucket: RELEASE_BUCKET }).rejects(awsError('AccessDenied', 'Access Denied', 403));
      const result = run((await gather()).facts);
      expect(result.checks.filter((c) => c.status !== 'PASS').map((c) => [c.id, c.status])).toEqual([['release-is-built', 'ERROR']]);
    });

    it('records a failed ListActionExecutions as ERROR of the checks that read actions; same-pipeline is skipped behind pipeline-green', async () => {
      mocks = mockWorld(WORLDS.solved);
      mocks.pipelines.on(ListActionExecutionsCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
      const { facts } = await gather();
      expect(mocks.codebuild.calls()).toHaveLength(0);
      expect(statuses(run(facts))).toEqual({ 'pipeline-green': 'ERROR', 'least-privilege-fix': 'PASS', 'runtime-fixed': 'ERROR', 'release-is-built': 'ERROR', 'same-pipeline': 'SKIPPED' });
    });

    it('rejects with LAB_NOT_DEPLOYED when the stack does not exist, reading nothing else', async () => {
      mocks = mockWorld(WORLDS.solved);
      mocks.cloudformation.on(DescribeStacksCommand).rejects(awsError('ValidationError', 'Stack with id DopLab-broken-pipeline does not exist'));
      const error = await gather().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DoplabError);
      expect(error).toMatchObject({ code: 'LAB_NOT_DEPLOYED' });
      expect(mocks.pipelines.calls()).toHaveLength(0);
    });

    it('rejects malformed facts', () => {
      const facts = loadFactsFile(lab.examples.solved, checker.labId, checker.factsSchema).facts;
      expect(checker.factsSchema.safeParse({ ...facts, marker: { ok: true, value: 42 } }).success).toBe(false);
      expect(checker.factsSchema.safeParse({ ...facts, buildRoleArn: '' }).success).toBe(false);
    });
  });

  describe('runtime versions', () => {
    it.each([
      ['18', true],
      ['22', true],
      ['16', true],
      ['20.11', true],
      ['14.21.3', true],
      ['24.x', true],
      ['latest', true],
      ['222', false],
      ['2.2', false],
      ['3', false],
      ['27', false],
      ['lts', false],
    ])('nodejs %s on amazonlinux-x86_64-standard:5.0: %s', (version, supported) => {
      expect(runtimeSupported('aws/codebuild/amazonlinux-x86_64-standard:5.0', 'nodejs', version)).toBe(supported);
    });

    it("takes other runtimes from the image's table only", () => {
      expect(runtimeSupported('aws/codebuild/amazonlinux-x86_64-standard:5.0', 'python', '3.12')).toBe(false);
    });

    it('reads runtime-versions from a buildspec, and says when it is not YAML', () => {
      expect(runtimeVersions(SEEDED_BUILDSPEC)).toEqual({ versions: { nodejs: '222' } });
      expect(runtimeVersions(FIXED_BUILDSPEC)).toEqual({ versions: { nodejs: '22' } });
      expect(runtimeVersions('version: 0.2\nphases: [').error).toMatch(/^buildspec.yml is not valid YAML/);
    });
  });

  describe('wildcardActions', () => {
    it('finds "*" and service-wide actions in Allow statements only, not CDK\'s action groups', () => {
      expect(wildcardActions(DEPLOYED_INLINE['StatusPageBuildProjectRoleDefaultPolicy9F222031'])).toEqual([]);
      expect(wildcardActions(JSON.stringify({ Statement: [{ Effect: 'Allow', Action: ['ssm:*', 's3:Get*'], Resource: '*' }, { Effect: 'Deny', Action: '*', Resource: '*' }] }))).toEqual(['ssm:*']);
      expect(wildcardActions('not json')).toEqual([]);
    });
  });
});

function gather() {
  return gatherRecorded(checker, new MockedSession({ region: REGION, credentials: CREDENTIALS }, SDK_MODULES), IDENTITY);
}

describe('broken-pipeline solution', () => {
  let iam: AwsClientStub<IAMClient>;
  let pipelines: AwsClientStub<CodePipelineClient>;
  let s3: AwsClientStub<S3Client>;
  const NO_WAIT: WaitOptions = { sleep: async () => undefined, pollMs: 15_000, timeoutMs: 60_000 };
  let outcome: 'Succeeded' | 'Failed';

  beforeEach(() => {
    outcome = 'Succeeded';
    iam = mockClient(IAMClient);
    pipelines = mockClient(CodePipelineClient);
    s3 = mockClient(S3Client);
    iam.on(PutRolePolicyCommand).resolves({});
    const history = [{ pipelineExecutionId: 'first', status: 'Failed' as string, startTime: new Date('2026-11-24T09:05:00Z') }];
    let polls = 0;
    s3.on(PutObjectCommand).callsFake(() => {
      history.unshift({ pipelineExecutionId: 'fix', status: 'InProgress', startTime: new Date('2026-11-24T09:50:00Z') });
      polls = 0;
      return { VersionId: REVISIONS.fixed };
    });
    pipelines.on(ListPipelineExecutionsCommand).callsFake(() => {
      if (history[0].status === 'InProgress' && polls++ >= 1) history[0] = { ...history[0], status: outcome };
      return { pipelineExecutionSummaries: history.map((e) => ({ ...e })) };
    });
  });
  afterEach(() => [iam, pipelines, s3].forEach((m) => m.restore()));

  function context(lines: string[] = []): SolutionContext<typeof Outputs> {
    const session = new AwsSession({ region: REGION, credentials: CREDENTIALS });
    return {
      outputs: {
        pipelineName: OUTPUTS.PipelineName,
        sourceBucketName: SOURCE_BUCKET,
        sourceKey: 'source.zip',
        releaseBucketName: RELEASE_BUCKET,
        buildProjectName: BUILD_PROJECT,
        buildRoleArn: BUILD_ROLE_ARN,
        parameterName: PARAMETER,
      },
      region: REGION,
      account: ACCOUNT,
      client: (ctor) => session.client(ctor, REGION),
      log: (line) => lines.push(line),
    };
  }

  it('grants the build role ssm:GetParameters on the one parameter, then releases the fixed buildspec and waits for green', async () => {
    const lines: string[] = [];
    await solveWith(context(lines), NO_WAIT);
    expect(iam.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input)).toEqual([
      { RoleName: BUILD_ROLE_NAME, PolicyName: POLICY_NAME, PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ssm:GetParameters', Resource: KEY_ARN }] }) },
    ]);
    const uploads = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]).toMatchObject({ Bucket: SOURCE_BUCKET, Key: 'source.zip' });
    expect(zipTextFiles(uploads[0].Body as Uint8Array)['buildspec.yml']).toBe(FIXED_BUILDSPEC);
    expect(lines).toContain('Execution fix: Succeeded');
  });

  it("is what the solved facts judge: its policy and buildspec pass least-privilege-fix's and runtime-fixed's rules", () => {
    expect(FIX_INLINE[POLICY_NAME]).toBe(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ssm:GetParameters', Resource: KEY_ARN }] }));
    expect(wildcardActions(FIX_INLINE[POLICY_NAME])).toEqual([]);
    expect(FIXED_BUILDSPEC).toContain('  base-directory: dist');
  });

  it('stops with the execution status when the release does not go green', async () => {
    outcome = 'Failed';
    await expect(solveWith(context(), NO_WAIT)).rejects.toMatchObject({ code: 'AWS_ERROR', message: "The fixed source's execution ended Failed." });
  });
});
