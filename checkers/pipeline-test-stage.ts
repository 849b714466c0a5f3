// Checker of the pipeline-test-stage lab: SDK only (never aws-cdk-lib), read-only calls.
import {
  BatchGetBuildsCommand,
  BatchGetProjectsCommand,
  BatchGetReportsCommand,
  CodeBuildClient,
  type Build,
  type EnvironmentVariable,
  type Project,
  type Report,
} from '@aws-sdk/client-codebuild';
import {
  CodePipelineClient,
  type ActionExecutionDetail,
  type PipelineDeclaration,
} from '@aws-sdk/client-codepipeline';
import { IAMClient, SimulatePrincipalPolicyCommand, type EvaluationResult } from '@aws-sdk/client-iam';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import * as YAML from 'yaml';
import { z } from 'zod';
import { defineChecker, type Check, type Verdict } from '../lib/checker';
import { factSchema, need, readFact, type Fact } from '../lib/facts';
import { describeStages, PIPELINE_FACTS_ACTIONS, pipelineFactsShape, readPipelineFacts, type PipelineFacts } from '../lib/pipeline-facts';
import { byName, jsonified, partitionOf, type Jsonified } from '../lib/sdk-facts';
import { zipTextFiles } from '../lib/zip';
import { API_KEY_PATTERN, API_KEY_VARIABLE, FAILING_TEST, LAB_ID, Outputs, SEEDED_TEST_CASES, STAGES } from '../labs/pipeline-test-stage/contract';

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

/** Where the buildspec of a test project comes from, and what it says. */
export interface BuildspecFacts {
  /** `project <name>` (inline in the project) or `source.zip:<path>` (a file of the source). */
  readonly origin: string;
  /** The buildspec's text; null when the file named by the project is not in the source. */
  readonly text: string | null;
}

/** What gather reads; each AWS read is a Fact so one failure only ERRORs the checks that need it. */
export interface PipelineTestStageFacts extends PipelineFacts {
  readonly region: string;
  readonly account: string;
  readonly pipelineName: string;
  readonly buildProjectName: string;
  readonly apiKeyParameter: string;
  /** BatchGetBuilds of the builds the test actions ran; absent when none ran. */
  readonly testBuilds?: Fact<Jsonified<Build>[]>;
  /** BatchGetReports of those builds' reports; absent when they have none. */
  readonly reports?: Fact<Jsonified<Report>[]>;
  /** BatchGetProjects of the projects the pipeline's test actions run; absent when there is none. */
  readonly testProjects?: Fact<Jsonified<Project>[]>;
  /** The test projects' buildspecs (inline, or read from the source zip with GetObject); absent when there is no test project. */
  readonly buildspecs?: Fact<BuildspecFacts[]>;
  /** SimulatePrincipalPolicy of each test project's role: ssm:GetParameters on the key and on another /doplab/ parameter. */
  readonly simulations?: Fact<{ readonly role: string; readonly results: Jsonified<EvaluationResult>[] }[]>;
}

const buildSchema = z.looseObject({
  id: z.string().optional(),
  buildStatus: z.string().optional(),
  currentPhase: z.string().optional(),
  reportArns: z.array(z.string()).optional(),
  phases: z.array(z.looseObject({ phaseType: z.string().optional(), phaseStatus: z.string().optional() })).optional(),
});

const reportSchema = z.looseObject({
  arn: z.string().optional(),
  type: z.string().optional(),
  reportGroupArn: z.string().optional(),
  executionId: z.string().optional(),
  status: z.string().optional(),
  created: z.string().optional(),
  testSummary: z.looseObject({ total: z.number().optional(), statusCounts: z.record(z.string(), z.number()).optional() }).optional(),
});

const variableSchema = z.looseObject({ name: z.string().optional(), value: z.string().optional(), type: z.string().optional() });

const projectSchema = z.looseObject({
  name: z.string().optional(),
  serviceRole: z.string().optional(),
  source: z.looseObject({ type: z.string().optional(), buildspec: z.string().optional() }).optional(),
  environment: z.looseObject({ computeType: z.string().optional(), environmentVariables: z.array(variableSchema).optional() }).optional(),
});

const simulationSchema = z.looseObject({ EvalActionName: z.string().optional(), EvalResourceName: z.string().optional(), EvalDecision: z.string().optional() });

const schema = z.object({
  region: z.string().min(1),
  account: z.string().min(1),
  pipelineName: z.string().min(1),
  buildProjectName: z.string().min(1),
  apiKeyParameter: z.string().min(1),
  ...pipelineFactsShape,
  testBuilds: factSchema(z.array(buildSchema)).optional(),
  reports: factSchema(z.array(reportSchema)).optional(),
  testProjects: factSchema(z.array(projectSchema)).optional(),
  buildspecs: factSchema(z.array(z.object({ origin: z.string(), text: z.string().nullable() }))).optional(),
  simulations: factSchema(z.array(z.object({ role: z.string(), results: z.array(simulationSchema) }))).optional(),
});

// The schema checks what the checks rely on and passes the rest through; the facts type keeps the SDK's shapes.
const factsSchema = schema as unknown as z.ZodType<PipelineTestStageFacts>;

type Facts = PipelineTestStageFacts;
type ActionExecution = Jsonified<ActionExecutionDetail>;
type Pipeline = Jsonified<PipelineDeclaration>;

// ---------------------------------------------------------------------------------------------
// Reading the pipeline (pure)
// ---------------------------------------------------------------------------------------------

/** A CodeBuild action of the pipeline that runs another project than the lab's build: the learner's test. */
export interface TestAction {
  readonly stageIndex: number;
  readonly stageName: string;
  readonly actionName: string;
  readonly project: string;
  /** The action's EnvironmentVariables configuration (JSON text), if any. */
  readonly environmentVariables?: string;
}

export function testActions(pipeline: Pipeline, buildProject: string): TestAction[] {
  return (pipeline.stages ?? []).flatMap((stage, stageIndex) =>
    (stage.actions ?? [])
      .filter((a) => a.actionTypeId?.provider === 'CodeBuild' && a.configuration?.ProjectName && a.configuration.ProjectName !== buildProject)
      .map((a) => ({
        stageIndex,
        stageName: stage.name ?? '',
        actionName: a.name ?? '',
        project: a.configuration?.ProjectName ?? '',
        ...(a.configuration?.EnvironmentVariables ? { environmentVariables: a.configuration.EnvironmentVariables } : {}),
      })),
  );
}

/** Index of the first stage holding an action that matches. */
function stageIndexOf(pipeline: Pipeline, matches: (a: NonNullable<NonNullable<Pipeline['stages']>[number]['actions']>[number]) => boolean): number {
  return (pipeline.stages ?? []).findIndex((s) => (s.actions ?? []).some(matches));
}

function isTestExecution(a: ActionExecution, buildProject: string): boolean {
  const project = a.input?.configuration?.ProjectName;
  return a.input?.actionTypeId?.provider === 'CodeBuild' && !!project && project !== buildProject;
}

function isBuildExecution(a: ActionExecution, buildProject: string): boolean {
  return a.input?.actionTypeId?.provider === 'CodeBuild' && a.input?.configuration?.ProjectName === buildProject;
}

function isDeployExecution(a: ActionExecution): boolean {
  return a.input?.actionTypeId?.category === 'Deploy';
}

/** The pipeline executions that ran a test action, newest first, with their test, build and deploy action executions. */
interface TestedExecution {
  readonly id: string;
  readonly status: string;
  readonly startTime: string;
  readonly test: ActionExecution;
  readonly build?: ActionExecution;
  readonly deploy?: ActionExecution;
}

function testedExecutions(facts: Facts): TestedExecution[] {
  const actions = need(facts.actionExecutions);
  const executions = need(facts.executions);
  const out: TestedExecution[] = [];
  for (const execution of executions) {
    const id = execution.pipelineExecutionId ?? '';
    const mine = actions.filter((a) => a.pipelineExecutionId === id);
    const test = latestOf(mine.filter((a) => isTestExecution(a, facts.buildProjectName)));
    if (!test) continue;
    const build = latestOf(mine.filter((a) => isBuildExecution(a, facts.buildProjectName)));
    const deploy = latestOf(mine.filter(isDeployExecution));
    out.push({ id, status: execution.status ?? 'Unknown', startTime: execution.startTime ?? '', test, ...(build ? { build } : {}), ...(deploy ? { deploy } : {}) });
  }
  return out.sort((a, b) => Date.parse(b.startTime) - Date.parse(a.startTime));
}

function latestOf(actions: readonly ActionExecution[]): ActionExecution | undefined {
  return [...actions].sort((a, b) => Date.parse(b.startTime ?? '') - Date.parse(a.startTime ?? ''))[0];
}

function buildIdOf(action: ActionExecution): string | undefined {
  return action.output?.executionResult?.externalExecutionId;
}

/** The TEST reports of a build, with their counts. */
function testReportsOf(facts: Facts, buildId: string | undefined): Jsonified<Report>[] {
  if (!buildId || !facts.reports) return [];
  const build = need(facts.testBuilds ?? { ok: true, value: [] }).find((b) => b.id === buildId);
  const arns = new Set(build?.reportArns ?? []);
  return need(facts.reports).filter((r) => arns.has(r.arn ?? '') && (r.type ?? 'TEST') === 'TEST');
}

interface Counts {
  readonly total: number;
  readonly passed: number;
  readonly failed: number;
}

function countsOf(reports: readonly Jsonified<Report>[]): Counts {
  let total = 0;
  let passed = 0;
  for (const r of reports) {
    total += r.testSummary?.total ?? 0;
    passed += r.testSummary?.statusCounts?.SUCCEEDED ?? 0;
  }
  return { total, passed, failed: total - passed };
}

function pipelineWhere(facts: Facts): string {
  return `CodePipeline ${facts.pipelineName} in ${facts.region}`;
}

function pipelineOf(facts: Facts): Pipeline {
  const pipeline = need(facts.pipeline);
  if (!pipeline) throw new Error(`pipeline ${facts.pipelineName} does not exist`);
  return pipeline;
}


// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

const STAGE_EXPECTED = `a stage after ${STAGES.source} and before ${STAGES.build} with a CodeBuild action that runs your test project`;

const testStageBeforeBuild: Check<Facts> = {
  id: 'test-stage-before-build',
  title: 'A Test stage runs a CodeBuild test project after Source and before Build',
  points: 15,
  taskStatement: '1.1',
  hint:
    "Edit the pipeline and add a stage between Source and Build with a CodeBuild action that takes the source artifact and runs a project of your own. A stage's position decides what it can stop.",
  run(facts): Verdict {
    const where = pipelineWhere(facts);
    const pipeline = need(facts.pipeline);
    if (!pipeline) {
      return { status: 'FAIL', evidence: { observed: `pipeline ${facts.pipelineName} does not exist`, expected: STAGE_EXPECTED, where }, hint: `Run doplab deploy ${LAB_ID} to recreate the lab.` };
    }
    const observed = describeStages(pipeline);
    const evidence = { observed, expected: STAGE_EXPECTED, where };
    const tests = testActions(pipeline, facts.buildProjectName);
    const source = stageIndexOf(pipeline, (a) => a.actionTypeId?.category === 'Source');
    const build = stageIndexOf(pipeline, (a) => a.actionTypeId?.provider === 'CodeBuild' && a.configuration?.ProjectName === facts.buildProjectName);
    const deploy = stageIndexOf(pipeline, (a) => a.actionTypeId?.category === 'Deploy');
    if (tests.length === 0) return { status: 'FAIL', evidence };
    const releaseAt = [build, deploy].filter((i) => i >= 0);
    const first = releaseAt.length ? Math.min(...releaseAt) : Infinity;
    const good = tests.find((t) => t.stageIndex > source && t.stageIndex < first);
    if (good) return { status: 'PASS', evidence: { ...evidence, observed: `${observed}; test project ${good.project} in stage ${good.stageName}` } };
    const t = tests[0];
    if (deploy >= 0 && t.stageIndex > deploy) {
      return { status: 'FAIL', evidence, hint: `Your test runs in stage ${t.stageName}, after Deploy: by then the release has shipped. Move it between Source and Build.` };
    }
    if (t.stageIndex === build) {
      return { status: 'FAIL', evidence, hint: `Your test action shares stage ${t.stageName} with the build. Give it a stage of its own before Build, so a failing test stops the stage that packages the release.` };
    }
    return { status: 'FAIL', evidence, hint: `Your test action in stage ${t.stageName} does not sit between Source and Build.` };
  },
};

const REPORT_HINT =
  "CodeBuild publishes test results only from the buildspec's reports section: a report group, the files the test runner writes and their format (JUNITXML for node --test's junit reporter). " +
  "The project's role also needs the CodeBuild report permissions (CreateReportGroup, CreateReport, UpdateReport, BatchPutTestCases) on the report group.";

const testsReported: Check<Facts> = {
  id: 'tests-reported',
  title: `The Test stage publishes a JUnit test report: at least ${SEEDED_TEST_CASES} test cases, all passed`,
  points: 20,
  taskStatement: '1.2',
  dependsOn: ['test-stage-before-build'],
  hint: REPORT_HINT,
  run(facts): Verdict {
    const where = pipelineWhere(facts);
    const expected = `a test report from the Test stage's build with at least ${SEEDED_TEST_CASES} test cases, all passed`;
    const tested = testedExecutions(facts);
    if (tested.length === 0) {
      return {
        status: 'FAIL',
        evidence: { observed: 'no execution has run the Test stage yet', expected, where },
        hint: 'Release a change (upload a new version of source.zip) or release the latest one, so that an execution runs your Test stage.',
      };
    }
    const judged = tested.map((t) => ({ t, buildId: buildIdOf(t.test), counts: countsOf(testReportsOf(facts, buildIdOf(t.test))), reports: testReportsOf(facts, buildIdOf(t.test)) }));
    const passing = judged.find((j) => j.counts.total >= SEEDED_TEST_CASES && j.counts.failed === 0 && j.reports.every((r) => r.status === 'SUCCEEDED'));
    const latest = judged[0];
    const show = (j: (typeof judged)[number]) =>
      `build ${j.buildId ?? '(none)'} of execution ${j.t.id}: ${j.reports.length ? `${j.counts.total} test cases, ${j.counts.passed} passed, ${j.counts.failed} failed` : 'no test report'}`;
    if (passing) return { status: 'PASS', evidence: { observed: show(passing), expected, where } };
    const observed = show(latest);
    if (latest.t.test.status === 'InProgress' || latest.reports.some((r) => r.status === 'GENERATING')) {
      return { status: 'PENDING', evidence: { observed: `${observed}; the Test action is still running`, expected: `waiting for: ${expected}`, where } };
    }
    if (latest.reports.length === 0) return { status: 'FAIL', evidence: { observed, expected, where }, hint: REPORT_HINT };
    if (latest.counts.total < SEEDED_TEST_CASES) {
      return {
        status: 'FAIL',
        evidence: { observed, expected, where },
        hint: `The app has ${SEEDED_TEST_CASES} test cases; the report holds fewer. Run every test file (node --test finds test/*.test.js by itself) and report the whole JUnit file.`,
      };
    }
    return {
      status: 'FAIL',
      evidence: { observed, expected, where },
      hint: `A test fails: read the report group's failed test case ("${FAILING_TEST}" points at a one-line bug in src/pricing.js), fix the code and release it.`,
    };
  },
};

const releaseBlocked: Check<Facts> = {
  id: 'release-blocked-by-tests',
  title: 'A failing test stopped a release in the Test stage, before the first green one',
  points: 20,
  taskStatement: '1.1',
  dependsOn: ['test-stage-before-build'],
  hint: 'Release the source as seeded, with the failing test, once your Test stage exists: the Test stage must fail and Build and Deploy must not run.',
  run(facts): Verdict {
    const where = pipelineWhere(facts);
    const expected = 'an execution that failed in the Test stage on a failing test case (Build and Deploy did not ship), before the first execution that succeeded';
    const tested = testedExecutions(facts);
    const firstGreen = [...tested].reverse().find((t) => t.status === 'Succeeded');
    const before = tested.filter((t) => !firstGreen || Date.parse(t.startTime) <= Date.parse(firstGreen.startTime));
    const blocked = before.find((t) => t.test.status === 'Failed' && t.deploy?.status !== 'Succeeded' && countsOf(testReportsOf(facts, buildIdOf(t.test))).failed > 0);
    if (blocked) {
      const counts = countsOf(testReportsOf(facts, buildIdOf(blocked.test)));
      return {
        status: 'PASS',
        evidence: { observed: `execution ${blocked.id} (${blocked.startTime}) failed in stage ${blocked.test.stageName}: ${counts.failed} of ${counts.total} test cases failed; Deploy did not run`, expected, where },
      };
    }
    const failedOther = before.find((t) => t.test.status === 'Failed');
    if (failedOther) {
      const build = need(facts.testBuilds ?? { ok: true, value: [] }).find((b) => b.id === buildIdOf(failedOther.test));
      const phase = build?.phases?.find((p) => p.phaseStatus === 'FAILED' || p.phaseStatus === 'FAULT' || p.phaseStatus === 'TIMED_OUT');
      return {
        status: 'FAIL',
        evidence: { observed: `execution ${failedOther.id} failed in stage ${failedOther.test.stageName}${phase ? ` in build phase ${phase.phaseType}` : ''}, with no failed test case reported`, expected, where },
        hint: 'A build that fails before the tests run (source download, install, permissions) proves nothing about the tests. Fix the build, then release the seeded source again.',
      };
    }
    if (firstGreen) {
      return {
        status: 'FAIL',
        evidence: { observed: `the first execution with the Test stage that ran, ${firstGreen.id}, succeeded: no release was ever stopped by a test`, expected, where },
        hint: 'The seeded source has a failing test: upload it again (with the bug) so that your Test stage stops it, then release the fix.',
      };
    }
    return { status: 'FAIL', evidence: { observed: tested.length ? 'no execution with the Test stage has failed yet' : 'no execution has run the Test stage yet', expected, where } };
  },
};

const pipelineGreen: Check<Facts> = {
  id: 'pipeline-green',
  title: 'The latest execution ran Test, then Build, then Deploy, and succeeded',
  points: 15,
  taskStatement: '1.1',
  dependsOn: ['test-stage-before-build'],
  hint: 'Fix the one-line bug the failing test exposes in src/pricing.js, zip the source again and upload it as source.zip: the pipeline starts by itself.',
  run(facts): Verdict {
    const where = pipelineWhere(facts);
    const expected = 'the latest execution Succeeded, its Test action succeeded before Build and Deploy';
    const executions = [...need(facts.executions)].sort((a, b) => Date.parse(b.startTime ?? '') - Date.parse(a.startTime ?? ''));
    const latest = executions[0];
    if (!latest) return { status: 'FAIL', evidence: { observed: 'the pipeline has never run', expected, where } };
    const observedHead = `latest execution ${latest.pipelineExecutionId} (${latest.startTime}): ${latest.status}`;
    if (latest.status === 'InProgress' || latest.status === 'Stopping') {
      return { status: 'PENDING', evidence: { observed: observedHead, expected: `waiting for: ${expected}`, where } };
    }
    const tested = testedExecutions(facts).find((t) => t.id === latest.pipelineExecutionId);
    if (!tested) return { status: 'FAIL', evidence: { observed: `${observedHead}, without running the Test stage`, expected, where }, hint: 'Release a change once your Test stage exists.' };
    const order = [tested.test, tested.build, tested.deploy];
    const observed = `${observedHead}; Test ${tested.test.status}, Build ${tested.build?.status ?? 'did not run'}, Deploy ${tested.deploy?.status ?? 'did not run'}`;
    const inOrder = order.every((a, i) => a && (i === 0 || Date.parse(a.startTime ?? '') > Date.parse(order[i - 1]?.startTime ?? '')));
    if (latest.status === 'Succeeded' && order.every((a) => a?.status === 'Succeeded') && inOrder) return { status: 'PASS', evidence: { observed, expected, where } };
    return { status: 'FAIL', evidence: { observed, expected, where } };
  },
};

/** One place a value of the test environment is set: where, the variable, its type and value. */
interface Variable {
  readonly where: string;
  readonly name: string;
  readonly type: string;
  readonly value: string;
}

function buildspecVariables(spec: BuildspecFacts): { variables: Variable[]; error?: string } {
  if (spec.text === null) return { variables: [], error: `${spec.origin} is not in the source` };
  let doc: unknown;
  try {
    doc = YAML.parse(spec.text);
  } catch (error) {
    return { variables: [], error: `${spec.origin} is not valid YAML (${(error as Error).message.split('\n')[0]})` };
  }
  const env = (doc as { env?: Record<string, unknown> } | null)?.env ?? {};
  const section = (key: string, type: string): Variable[] =>
    Object.entries((env[key] as Record<string, unknown> | undefined) ?? {}).map(([name, value]) => ({ where: `${spec.origin} env.${key}`, name, type, value: String(value) }));
  return { variables: [...section('variables', 'PLAINTEXT'), ...section('parameter-store', 'PARAMETER_STORE'), ...section('secrets-manager', 'SECRETS_MANAGER')] };
}

function actionVariables(action: TestAction): Variable[] {
  if (!action.environmentVariables) return [];
  try {
    const list = JSON.parse(action.environmentVariables) as { name?: string; value?: string; type?: string }[];
    return list.map((v) => ({ where: `pipeline action ${action.stageName}/${action.actionName}`, name: v.name ?? '', type: v.type ?? 'PLAINTEXT', value: v.value ?? '' }));
  } catch {
    return [];
  }
}

function projectVariables(project: Jsonified<Project>): Variable[] {
  return (project.environment?.environmentVariables ?? []).map((v: Jsonified<EnvironmentVariable>) => ({
    where: `project ${project.name}`,
    name: v.name ?? '',
    type: v.type ?? 'PLAINTEXT',
    value: v.value ?? '',
  }));
}

const secretNotPlaintext: Check<Facts> = {
  id: 'secret-not-plaintext',
  title: 'The tests get the API key from Parameter Store; no plain-text variable holds it',
  points: 15,
  taskStatement: '1.2',
  dependsOn: ['test-stage-before-build'],
  hint: `Reference the SecureString from Parameter Store (the buildspec's env parameter-store section, or a PARAMETER_STORE environment variable) as ${API_KEY_VARIABLE}. A plain-text value is visible to anyone who can read the project, the pipeline or the source.`,
  run(facts): Verdict {
    const pipeline = pipelineOf(facts);
    const actions = testActions(pipeline, facts.buildProjectName);
    const where = `test project ${actions.map((a) => a.project).join(', ')} and pipeline ${facts.pipelineName} in ${facts.region}`;
    const expected = `${API_KEY_VARIABLE} read from Parameter Store (${facts.apiKeyParameter}); no PLAINTEXT variable named ${API_KEY_VARIABLE} or holding a key`;
    const specs = need(facts.buildspecs ?? { ok: true, value: [] });
    const parsed = specs.map(buildspecVariables);
    const variables = [...need(facts.testProjects ?? { ok: true, value: [] }).flatMap(projectVariables), ...actions.flatMap(actionVariables), ...parsed.flatMap((p) => p.variables)];
    const plaintext = variables.filter((v) => v.type === 'PLAINTEXT' && (v.name === API_KEY_VARIABLE || API_KEY_PATTERN.test(v.value)));
    if (plaintext.length > 0) {
      return {
        status: 'FAIL',
        evidence: { observed: plaintext.map((v) => `${v.where}: ${v.name} is PLAINTEXT${API_KEY_PATTERN.test(v.value) ? ' and holds an API key' : ''}`).join('; '), expected, where },
        hint: 'A plain-text variable shows its value in the console, the API and the build logs. Delete it (and consider the key leaked), then reference the parameter instead.',
      };
    }
    const referenced = variables.filter((v) => v.name === API_KEY_VARIABLE && v.type === 'PARAMETER_STORE' && v.value === facts.apiKeyParameter);
    const errors = parsed.flatMap((p) => (p.error ? [p.error] : []));
    if (referenced.length === 0) {
      const other = variables.filter((v) => v.name === API_KEY_VARIABLE);
      return {
        status: 'FAIL',
        evidence: {
          observed: other.length ? other.map((v) => `${v.where}: ${v.name} from ${v.type} ${v.value}`).join('; ') : `nothing sets ${API_KEY_VARIABLE}${errors.length ? ` (${errors.join('; ')})` : ''}`,
          expected,
          where,
        },
      };
    }
    return { status: 'PASS', evidence: { observed: referenced.map((v) => `${v.where}: ${v.name} from Parameter Store ${v.value}`).join('; '), expected, where } };
  },
};

/** A parameter the test role must not read: another one under /doplab/. */
export function otherParameterArn(facts: Pick<Facts, 'region' | 'account'>): string {
  return `arn:${partitionOf(facts.region)}:ssm:${facts.region}:${facts.account}:parameter/doplab/another-lab/secret`;
}

export function keyArn(facts: Pick<Facts, 'region' | 'account' | 'apiKeyParameter'>): string {
  return `arn:${partitionOf(facts.region)}:ssm:${facts.region}:${facts.account}:parameter/${facts.apiKeyParameter.replace(/^\//, '')}`;
}

const leastPrivilegeSecret: Check<Facts> = {
  id: 'least-privilege-secret',
  title: "The test project's role may read the API key, and no other parameter",
  points: 15,
  taskStatement: '1.2',
  dependsOn: ['test-stage-before-build'],
  hint: "Give the test project's service role ssm:GetParameters on the key's ARN only; CodeBuild reads Parameter Store with that action. IAM policy simulation proves it.",
  run(facts): Verdict {
    const simulations = need(facts.simulations ?? { ok: true, value: [] });
    const key = keyArn(facts);
    const other = otherParameterArn(facts);
    const expected = `ssm:GetParameters allowed on ${key}, refused on ${other}`;
    if (simulations.length === 0) return { status: 'FAIL', evidence: { observed: 'the test project has no service role to simulate', expected, where: pipelineWhere(facts) } };
    const judged = simulations.map((s) => {
      const decision = (arn: string) => s.results.find((r) => r.EvalResourceName === arn && r.EvalActionName?.toLowerCase() === 'ssm:getparameters')?.EvalDecision ?? 'not simulated';
      return { role: s.role, key: decision(key), other: decision(other) };
    });
    const observed = judged.map((j) => `role ${j.role}: ssm:GetParameters on the key ${j.key}, on another /doplab/ parameter ${j.other}`).join('; ');
    const where = judged.map((j) => `IAM role ${j.role}`).join(', ');
    const bad = judged.find((j) => j.key !== 'allowed' || j.other === 'allowed');
    if (!bad) return { status: 'PASS', evidence: { observed, expected, where } };
    if (bad.key !== 'allowed') {
      return {
        status: 'FAIL',
        evidence: { observed, expected, where },
        hint:
          bad.key === 'explicitDeny'
            ? 'A Deny statement (or a permissions boundary) refuses the read; an explicit deny wins over every allow.'
            : 'Nothing allows the role to read the key yet: CodeBuild fails the build in DOWNLOAD_SOURCE with a Parameter Store access error.',
      };
    }
    return {
      status: 'FAIL',
      evidence: { observed, expected, where },
      hint: 'The role may read parameters it does not need: scope the statement to the one parameter ARN (ssm:* on * is the classic mistake).',
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Gather
// ---------------------------------------------------------------------------------------------

/** A buildspec value of a project: a file name in the source, or the buildspec itself (YAML with a version key). */
function isInlineBuildspec(buildspec: string): boolean {
  return /(^|\n)\s*version\s*:/.test(buildspec);
}

async function readSourceFiles(s3: S3Client, bucket: string, key: string, wanted: ReadonlySet<string>): Promise<Record<string, string>> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = await object.Body?.transformToByteArray();
  if (!bytes) return {};
  return zipTextFiles(bytes, { wanted: (name) => wanted.has(name) });
}

function roleNameOrArn(serviceRole: string, partition: string, account: string): string {
  return serviceRole.startsWith('arn:') ? serviceRole : `arn:${partition}:iam::${account}:role/${serviceRole}`;
}

const MAX_BUILDS = 100;

export const checker = defineChecker({
  labId: LAB_ID,
  outputs: Outputs,
  actions: [
    ...PIPELINE_FACTS_ACTIONS,
    'codebuild:BatchGetBuilds',
    'codebuild:BatchGetReports',
    'codebuild:BatchGetProjects',
    's3:GetObject',
    'iam:SimulatePrincipalPolicy',
  ],
  factsSchema,
  async gather({ outputs, region, account, client }): Promise<PipelineTestStageFacts> {
    const pipelines = client(CodePipelineClient);
    const codebuild = client(CodeBuildClient);
    const iam = client(IAMClient);
    const name = outputs.pipelineName;
    const buildProjectName = outputs.buildProjectName;
    const base = { region, account, pipelineName: name, buildProjectName, apiKeyParameter: outputs.apiKeyParameterName };

    const { pipeline: pipelineRead, executions: executionsRead, actionExecutions: actionsRead } = readPipelineFacts(pipelines, name);

    // Builds and reports of the test actions, as soon as the action executions are in.
    const buildReads = actionsRead.then(async (actions) => {
      if (!actions.ok) return {};
      const ids = [...new Set(actions.value.filter((a) => isTestExecution(a, buildProjectName)).map(buildIdOf).filter((id): id is string => !!id))].slice(0, MAX_BUILDS);
      if (ids.length === 0) return {};
      const testBuilds = await readFact(async () => jsonified((await codebuild.send(new BatchGetBuildsCommand({ ids }))).builds ?? []));
      if (!testBuilds.ok) return { testBuilds };
      const reportArns = [...new Set(testBuilds.value.flatMap((b) => b.reportArns ?? []))];
      if (reportArns.length === 0) return { testBuilds };
      const reports = await readFact(async () => {
        const found: Report[] = [];
        for (let i = 0; i < reportArns.length; i += 100) {
          found.push(...((await codebuild.send(new BatchGetReportsCommand({ reportArns: reportArns.slice(i, i + 100) }))).reports ?? []));
        }
        return jsonified(found);
      });
      return { testBuilds, reports };
    });

    // The test projects, their buildspecs and their roles, as soon as the pipeline is in.
    const projectReads = pipelineRead.then(async (pipeline) => {
      if (!pipeline.ok || !pipeline.value) return {};
      const names = [...new Set(testActions(pipeline.value, buildProjectName).map((a) => a.project))].sort(byName);
      if (names.length === 0) return {};
      const testProjects = await readFact(async () => jsonified((await codebuild.send(new BatchGetProjectsCommand({ names }))).projects ?? []));
      if (!testProjects.ok) return { testProjects };
      const projects = testProjects.value;
      const partition = partitionOf(region);
      const roles = [...new Set(projects.map((p) => p.serviceRole).filter((r): r is string => !!r).map((r) => roleNameOrArn(r, partition, account)))];
      const [buildspecs, simulations] = await Promise.all([
        readFact(async (): Promise<BuildspecFacts[]> => {
          const inline = projects.filter((p) => p.source?.buildspec && isInlineBuildspec(p.source.buildspec));
          const files = new Map(projects.filter((p) => !inline.includes(p)).map((p) => [p.name ?? '', p.source?.buildspec || 'buildspec.yml']));
          const specs: BuildspecFacts[] = inline.map((p) => ({ origin: `project ${p.name}`, text: p.source?.buildspec ?? '' }));
          if (files.size > 0) {
            // The S3 client (and its SDK package) only when a buildspec lives in the source: most checks never read it.
            const source = await readSourceFiles(client(S3Client), outputs.sourceBucketName, outputs.sourceKey, new Set(files.values()));
            for (const file of new Set(files.values())) specs.push({ origin: `${outputs.sourceKey}:${file}`, text: source[file] ?? null });
          }
          return specs;
        }),
        readFact(async () =>
          Promise.all(
            roles.map(async (role) => {
              const page = await iam.send(
                new SimulatePrincipalPolicyCommand({ PolicySourceArn: role, ActionNames: ['ssm:GetParameters'], ResourceArns: [keyArn(base), otherParameterArn(base)] }),
              );
              return { role, results: jsonified(page.EvaluationResults ?? []) };
            }),
          ),
        ),
      ]);
      return { testProjects, buildspecs, simulations };
    });

    const [pipeline, executions, actionExecutions, builds, projects] = await Promise.all([pipelineRead, executionsRead, actionsRead, buildReads, projectReads]);
    return { ...base, pipeline, executions, actionExecutions, ...builds, ...projects };
  },
  checks: [testStageBeforeBuild, testsReported, releaseBlocked, pipelineGreen, secretNotPlaintext, leastPrivilegeSecret],
});
