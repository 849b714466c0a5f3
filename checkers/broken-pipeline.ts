// Checker of the broken-pipeline lab: SDK only (never aws-cdk-lib), read-only calls.
import { BatchGetBuildsCommand, CodeBuildClient, type Build } from '@aws-sdk/client-codebuild';
import {
  CodePipelineClient,
  type ActionExecutionDetail,
  type PipelineExecutionSummary,
} from '@aws-sdk/client-codepipeline';
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  SimulatePrincipalPolicyCommand,
  type AttachedPolicy,
  type EvaluationResult,
} from '@aws-sdk/client-iam';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import * as YAML from 'yaml';
import { z } from 'zod';
import { awsErrorName } from '../lib/aws/errors';
import { defineChecker, type Check, type Verdict } from '../lib/checker';
import { factSchema, need, readFact, type Fact } from '../lib/facts';
import { describeStages, PIPELINE_FACTS_ACTIONS, pipelineFactsShape, readPipelineFacts, type PipelineFacts } from '../lib/pipeline-facts';
import { allPages, jsonified, partitionOf, type Jsonified } from '../lib/sdk-facts';
import { zipTextFiles } from '../lib/zip';
import { LAB_ID, MARKER_KEY, NODEJS_RELEASED_MAJORS, Outputs, PREINSTALLED_RUNTIMES, STAGES } from '../labs/broken-pipeline/contract';

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

/** A policy document of the build role, as IAM returns it (URL-decoded JSON text). */
export interface PolicyText {
  /** `inline <name>` or the managed policy's ARN. */
  readonly source: string;
  readonly document: string;
}

/** The build role's policies: attached managed ones (with the documents of customer-managed ones) and inline ones. */
export interface RolePolicies {
  readonly attached: Jsonified<AttachedPolicy>[];
  readonly documents: PolicyText[];
}

/** What gather reads; each AWS read is a Fact so one failure only ERRORs the checks that need it. */
export interface BrokenPipelineFacts extends PipelineFacts {
  readonly region: string;
  readonly account: string;
  /** When the lab's stack was created (ISO 8601), if known: executions before it are not the learner's. */
  readonly deployedAt?: string;
  readonly pipelineName: string;
  readonly buildProjectName: string;
  readonly buildRoleArn: string;
  readonly parameterName: string;
  readonly sourceBucketName: string;
  readonly sourceKey: string;
  readonly releaseBucketName: string;
  /** BatchGetBuilds of the latest build the Build action ran; absent when it never ran one. */
  readonly latestBuild?: Fact<Jsonified<Build> | null>;
  /** buildspec.yml in the source version that build built (GetObject of that S3 version); null when the file is not in it. */
  readonly buildspec?: Fact<{ readonly sourceVersion: string; readonly text: string | null }>;
  /** SimulatePrincipalPolicy of the build role: ssm:GetParameters on the lab's parameter and on another one. */
  readonly simulation: Fact<Jsonified<EvaluationResult>[]>;
  readonly policies: Fact<RolePolicies>;
  /** The release bucket's marker object (GetObject), null when there is none. */
  readonly marker: Fact<string | null>;
}

const buildSchema = z.looseObject({
  id: z.string().optional(),
  buildStatus: z.string().optional(),
  currentPhase: z.string().optional(),
  environment: z.looseObject({ image: z.string().optional() }).optional(),
  phases: z
    .array(
      z.looseObject({
        phaseType: z.string().optional(),
        phaseStatus: z.string().optional(),
        contexts: z.array(z.looseObject({ statusCode: z.string().optional(), message: z.string().optional() })).optional(),
      }),
    )
    .optional(),
});

const schema = z.object({
  region: z.string().min(1),
  account: z.string().min(1),
  deployedAt: z.string().optional(),
  pipelineName: z.string().min(1),
  buildProjectName: z.string().min(1),
  buildRoleArn: z.string().min(1),
  parameterName: z.string().min(1),
  sourceBucketName: z.string().min(1),
  sourceKey: z.string().min(1),
  releaseBucketName: z.string().min(1),
  ...pipelineFactsShape,
  latestBuild: factSchema(buildSchema.nullable()).optional(),
  buildspec: factSchema(z.object({ sourceVersion: z.string(), text: z.string().nullable() })).optional(),
  simulation: factSchema(z.array(z.looseObject({ EvalActionName: z.string().optional(), EvalResourceName: z.string().optional(), EvalDecision: z.string().optional() }))),
  policies: factSchema(
    z.object({
      attached: z.array(z.looseObject({ PolicyName: z.string().optional(), PolicyArn: z.string().optional() })),
      documents: z.array(z.object({ source: z.string(), document: z.string() })),
    }),
  ),
  marker: factSchema(z.string().nullable()),
});

// The schema checks what the checks rely on and passes the rest through; the facts type keeps the SDK's shapes.
const factsSchema = schema as unknown as z.ZodType<BrokenPipelineFacts>;

type Facts = BrokenPipelineFacts;
type ActionExecution = Jsonified<ActionExecutionDetail>;
type Execution = Jsonified<PipelineExecutionSummary>;
type BuildFacts = Jsonified<Build>;

// ---------------------------------------------------------------------------------------------
// Reading the facts (pure)
// ---------------------------------------------------------------------------------------------

const newestFirst = <T extends { startTime?: string }>(items: readonly T[]): T[] => [...items].sort((a, b) => Date.parse(b.startTime ?? '') - Date.parse(a.startTime ?? ''));

function isLabBuild(a: ActionExecution, project: string): boolean {
  return a.input?.actionTypeId?.provider === 'CodeBuild' && a.input?.configuration?.ProjectName === project;
}

/** The newest action execution of the pipeline's Build action (the lab's project), if any ran. */
export function latestBuildAction(actions: readonly ActionExecution[], project: string): ActionExecution | undefined {
  return newestFirst(actions.filter((a) => isLabBuild(a, project) && a.output?.executionResult?.externalExecutionId))[0];
}

/** Executions since the lab was deployed, newest first. */
function executionsSinceDeploy(facts: Facts): Execution[] {
  const since = facts.deployedAt ? Date.parse(facts.deployedAt) : -Infinity;
  return newestFirst(need(facts.executions).filter((e) => Date.parse(e.startTime ?? '') >= since));
}

const RUNNING = new Set(['InProgress', 'Stopping']);

/** The failed phases of a build, as `PHASE: status code` (the phase context CodeBuild records). */
function failedPhases(build: BuildFacts): string[] {
  return (build.phases ?? [])
    .filter((p) => p.phaseStatus && !['SUCCEEDED', 'IN_PROGRESS'].includes(p.phaseStatus))
    .map((p) => `${p.phaseType} ${p.phaseStatus}${p.contexts?.[0]?.statusCode ? `: ${p.contexts[0].statusCode}` : ''}`);
}

function phaseContext(build: BuildFacts, phase: string): { statusCode: string; message: string } | undefined {
  const context = (build.phases ?? []).find((p) => p.phaseType === phase)?.contexts?.find((c) => c.statusCode || c.message);
  return context ? { statusCode: context.statusCode ?? '', message: context.message ?? '' } : undefined;
}

function latestBuildOf(facts: Facts): BuildFacts | null | undefined {
  return facts.latestBuild?.ok ? facts.latestBuild.value : undefined;
}

function pipelineWhere(facts: Facts): string {
  return `CodePipeline ${facts.pipelineName} in ${facts.region}`;
}

// ---------------------------------------------------------------------------------------------
// Runtime versions (pure, table-tested)
// ---------------------------------------------------------------------------------------------

/** The `phases.install.runtime-versions` of a buildspec, as runtime → version text; an error when it cannot be read. */
export function runtimeVersions(buildspec: string): { versions: Record<string, string>; error?: string } {
  let doc: unknown;
  try {
    doc = YAML.parse(buildspec);
  } catch (error) {
    return { versions: {}, error: `buildspec.yml is not valid YAML (${(error as Error).message.split('\n')[0]})` };
  }
  const phases = (doc as { phases?: { install?: { 'runtime-versions'?: Record<string, unknown> } } } | null)?.phases;
  const versions = phases?.install?.['runtime-versions'] ?? {};
  return { versions: Object.fromEntries(Object.entries(versions).map(([runtime, version]) => [runtime, String(version)])) };
}

/**
 * Whether CodeBuild can give a build on `image` this runtime version: one the image has (contract table), or for
 * Node.js a release CodeBuild installs on demand (`<major>`, `<major>.<minor>`, `<major>.<minor>.<patch>`, `<major>.x`,
 * `latest`) of a Node.js major that exists. Other runtimes: only the image's table.
 */
export function runtimeSupported(image: string, runtime: string, version: string): boolean {
  if ((PREINSTALLED_RUNTIMES[image]?.[runtime] ?? []).includes(version)) return true;
  if (runtime !== 'nodejs') return false;
  if (version === 'latest') return true;
  const match = /^(\d+)(?:\.x|\.\d+|\.\d+\.\d+)?$/.exec(version);
  if (!match) return false;
  const major = Number(match[1]);
  return major >= NODEJS_RELEASED_MAJORS.first && major <= NODEJS_RELEASED_MAJORS.last;
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

const WHERE_TO_LOOK =
  "Open the failed execution in CodePipeline and the Build action's details: the build's phase details give the failed phase and its context, and the build log in CloudWatch Logs shows the lines before it.";

const pipelineGreen: Check<Facts> = {
  id: 'pipeline-green',
  title: 'An execution since the lab deployed succeeded end to end: Source, Build and Deploy',
  points: 30,
  taskStatement: '5.3',
  hint: WHERE_TO_LOOK,
  run(facts): Verdict {
    const where = pipelineWhere(facts);
    const expected = 'an execution that Succeeded, its Build and Deploy actions Succeeded';
    const executions = executionsSinceDeploy(facts);
    const actions = need(facts.actionExecutions);
    const green = executions.find(
      (e) =>
        e.status === 'Succeeded' &&
        actions.some((a) => a.pipelineExecutionId === e.pipelineExecutionId && isLabBuild(a, facts.buildProjectName) && a.status === 'Succeeded') &&
        actions.some((a) => a.pipelineExecutionId === e.pipelineExecutionId && a.input?.actionTypeId?.category === 'Deploy' && a.status === 'Succeeded'),
    );
    if (green) return { status: 'PASS', evidence: { observed: `execution ${green.pipelineExecutionId} (${green.startTime}) Succeeded: Source, Build and Deploy`, expected, where } };
    const latest = executions[0];
    if (!latest) return { status: 'FAIL', evidence: { observed: 'the pipeline has not run since the lab deployed', expected, where }, hint: `Release a change (upload a new version of ${facts.sourceKey}) or choose Release change in the console.` };
    const head = `latest execution ${latest.pipelineExecutionId} (${latest.startTime}): ${latest.status}`;
    if (RUNNING.has(latest.status ?? '')) return { status: 'PENDING', evidence: { observed: head, expected: `waiting for: ${expected}`, where } };
    const failedAction = newestFirst(actions.filter((a) => a.pipelineExecutionId === latest.pipelineExecutionId && a.status === 'Failed'))[0];
    const build = latestBuildOf(facts);
    const phases = build && failedAction && build.id === failedAction.output?.executionResult?.externalExecutionId ? failedPhases(build) : [];
    const observed = `${head}${failedAction ? `; action ${failedAction.stageName}/${failedAction.actionName} failed` : ''}${phases.length ? ` (build ${build?.id}: ${phases.join(', ')})` : ''}`;
    return { status: 'FAIL', evidence: { observed, expected, where } };
  },
};

/** A parameter the build role must not read. */
export function otherParameterArn(facts: Pick<Facts, 'region' | 'account'>): string {
  return `arn:${partitionOf(facts.region)}:ssm:${facts.region}:${facts.account}:parameter/doplab/another-lab/secret`;
}

export function parameterArn(facts: Pick<Facts, 'region' | 'account' | 'parameterName'>): string {
  return `arn:${partitionOf(facts.region)}:ssm:${facts.region}:${facts.account}:parameter/${facts.parameterName.replace(/^\//, '')}`;
}

/** AWS managed policies that make a build role an administrator. */
export const ADMIN_POLICIES = ['AdministratorAccess', 'PowerUserAccess'] as const;

/** The actions of a policy document that grant every action of every service, or of one (`*`, `ssm:*`). */
export function wildcardActions(document: string): string[] {
  let parsed: { Statement?: unknown };
  try {
    parsed = JSON.parse(document) as { Statement?: unknown };
  } catch {
    return [];
  }
  const statements = (Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement]) as { Effect?: string; Action?: string | string[] }[];
  return statements
    .filter((s) => s?.Effect === 'Allow')
    .flatMap((s) => (Array.isArray(s.Action) ? s.Action : s.Action ? [s.Action] : []))
    .filter((a) => a === '*' || /^[a-z0-9-]+:\*$/i.test(a));
}

const leastPrivilegeFix: Check<Facts> = {
  id: 'least-privilege-fix',
  title: 'The build role may read the banner parameter, and nothing broader was granted',
  points: 25,
  taskStatement: '5.3',
  hint: "Find who was refused what: the build's DOWNLOAD_SOURCE phase context, or CloudTrail event history (event name GetParameters, filtered on the error code). Then give that role exactly that.",
  run(facts): Verdict {
    const key = parameterArn(facts);
    const other = otherParameterArn(facts);
    const role = facts.buildRoleArn;
    const where = `IAM role ${role}`;
    const expected = `ssm:GetParameters allowed on ${key} and refused on ${other}; no ${ADMIN_POLICIES.join(' or ')} attached, no statement allowing every action`;
    const results = need(facts.simulation);
    const decision = (arn: string) => results.find((r) => r.EvalResourceName === arn && r.EvalActionName?.toLowerCase() === 'ssm:getparameters')?.EvalDecision ?? 'not simulated';
    const policies = need(facts.policies);
    const admin = policies.attached.filter((p) => (ADMIN_POLICIES as readonly string[]).includes(p.PolicyName ?? '') && p.PolicyArn?.includes(':iam::aws:policy/'));
    const wildcards = policies.documents.flatMap((d) => wildcardActions(d.document).map((a) => `${d.source} allows ${a}`));
    const observed = [
      `ssm:GetParameters on the banner: ${decision(key)}, on another parameter: ${decision(other)}`,
      ...(admin.length ? [`attached: ${admin.map((p) => p.PolicyName).join(', ')}`] : []),
      ...wildcards,
    ].join('; ');
    const evidence = { observed, expected, where };
    if (admin.length) {
      return { status: 'FAIL', evidence, hint: 'An administrator policy on a build role makes every buildspec change an administrator: whoever can push source controls the account. Detach it and grant what the build was refused.' };
    }
    if (wildcards.length) return { status: 'FAIL', evidence, hint: 'A statement allows a whole service (or everything). Name the one action the build was refused instead.' };
    if (decision(key) === 'explicitDeny') return { status: 'FAIL', evidence, hint: 'A Deny statement (or a permissions boundary) refuses the read; an explicit deny wins over every allow.' };
    if (decision(key) !== 'allowed') return { status: 'FAIL', evidence };
    if (decision(other) === 'allowed') {
      return { status: 'FAIL', evidence, hint: 'The role may read parameters it does not need: scope the statement to the one parameter the buildspec names (its ARN).' };
    }
    return { status: 'PASS', evidence };
  },
};

const runtimeFixed: Check<Facts> = {
  id: 'runtime-fixed',
  title: "The latest build asks for runtime versions the project's image supports",
  points: 15,
  taskStatement: '5.3',
  hint: "Read the latest build's DOWNLOAD_SOURCE phase context and the runtime-versions of the buildspec in the source it built; CodeBuild's \"Available runtimes\" page lists what each image has.",
  run(facts): Verdict {
    const where = `CodeBuild project ${facts.buildProjectName} in ${facts.region}`;
    const action = latestBuildAction(need(facts.actionExecutions), facts.buildProjectName);
    const build = action && facts.latestBuild ? need(facts.latestBuild) : null;
    const expected = 'runtime versions the build image has, or that CodeBuild installs on demand (real Node.js releases)';
    if (!build) return { status: 'FAIL', evidence: { observed: 'the Build action has not run a build yet', expected, where }, hint: 'Release a change so that the pipeline runs a build.' };
    const image = build.environment?.image ?? '';
    const download = phaseContext(build, 'DOWNLOAD_SOURCE');
    if (download?.statusCode === 'YAML_FILE_ERROR' && /runtime version/i.test(download.message)) {
      return { status: 'FAIL', evidence: { observed: `build ${build.id} failed in DOWNLOAD_SOURCE: ${download.statusCode}: ${download.message}`, expected, where } };
    }
    if (build.buildStatus === 'IN_PROGRESS' && ['SUBMITTED', 'QUEUED', 'PROVISIONING', 'DOWNLOAD_SOURCE'].includes(build.currentPhase ?? '')) {
      return { status: 'PENDING', evidence: { observed: `build ${build.id} is in ${build.currentPhase}: runtimes not selected yet`, expected: `waiting for: ${expected}`, where } };
    }
    const spec = facts.buildspec ? need(facts.buildspec) : null;
    const read = spec?.text ? runtimeVersions(spec.text) : { versions: {}, error: spec ? `buildspec.yml is not in ${facts.sourceKey} version ${spec.sourceVersion}` : 'the source version of the build is unknown' };
    const shown = Object.entries(read.versions).map(([runtime, version]) => `${runtime} ${version}`).join(', ') || 'none (the image defaults)';
    // Runtimes are selected in DOWNLOAD_SOURCE and installed in INSTALL (a version the image lacks is installed on demand there).
    const installed = (build.phases ?? []).some((p) => p.phaseType === 'INSTALL' && p.phaseStatus === 'SUCCEEDED');
    if (installed) {
      return { status: 'PASS', evidence: { observed: `build ${build.id} on ${image} installed its runtimes (INSTALL SUCCEEDED); buildspec runtime-versions: ${read.error ?? shown}`, expected, where } };
    }
    if (build.buildStatus === 'IN_PROGRESS' && build.currentPhase === 'INSTALL') {
      return { status: 'PENDING', evidence: { observed: `build ${build.id} is installing its runtimes`, expected: `waiting for: ${expected}`, where } };
    }
    const install = phaseContext(build, 'INSTALL');
    const reached = install ? `; it failed in INSTALL: ${install.statusCode}: ${install.message}` : '';
    if (read.error) return { status: 'FAIL', evidence: { observed: `build ${build.id}: ${read.error}`, expected, where } };
    const unsupported = Object.entries(read.versions).filter(([runtime, version]) => !runtimeSupported(image, runtime, version));
    const observed = `build ${build.id} on ${image} ${install ? 'did not install its runtimes' : 'stopped before runtime selection'}; the buildspec it built asks for ${shown}${reached}`;
    if (unsupported.length) {
      return {
        status: 'FAIL',
        evidence: { observed: `${observed}: neither on the image nor a release CodeBuild installs: ${unsupported.map(([r, v]) => `${r} ${v}`).join(', ')}`, expected, where },
        hint: install
          ? "Read the INSTALL phase context and the build log's install lines: CodeBuild tried to install a runtime version the image does not have."
          : 'CodeBuild has not reached runtime selection yet: an earlier failure in DOWNLOAD_SOURCE comes first. Compare the runtime-versions of the buildspec with what the image offers (the "Available runtimes" page of the CodeBuild User Guide).',
      };
    }
    return { status: 'PASS', evidence: { observed, expected, where } };
  },
};

const releaseIsBuilt: Check<Facts> = {
  id: 'release-is-built',
  title: `The release bucket holds the build's output: ${MARKER_KEY} written by a build of the Build stage, at its root`,
  points: 20,
  taskStatement: '5.3',
  hint: "Look at what the last build uploaded: its UPLOAD_ARTIFACTS phase context, the build log's artifact lines, and the files the Deploy action extracted into the release bucket. The build writes its output into one folder.",
  run(facts): Verdict {
    const where = `s3://${facts.releaseBucketName}/${MARKER_KEY}`;
    const expected = `${MARKER_KEY} whose buildId is a succeeded build of ${facts.buildProjectName} that the pipeline ran`;
    const text = need(facts.marker);
    const actions = need(facts.actionExecutions);
    if (text === null) {
      const running = executionsSinceDeploy(facts).some((e) => RUNNING.has(e.status ?? ''));
      const observed = `no ${MARKER_KEY} at the root of the release bucket`;
      if (running) return { status: 'PENDING', evidence: { observed: `${observed}; an execution is running`, expected: `waiting for: ${expected}`, where } };
      return { status: 'FAIL', evidence: { observed, expected, where } };
    }
    let buildId: unknown;
    try {
      buildId = (JSON.parse(text) as { buildId?: unknown }).buildId;
    } catch {
      buildId = undefined;
    }
    const built = actions.find((a) => isLabBuild(a, facts.buildProjectName) && a.status === 'Succeeded' && a.output?.executionResult?.externalExecutionId === buildId);
    if (built) return { status: 'PASS', evidence: { observed: `${MARKER_KEY} written by build ${String(buildId)} (execution ${built.pipelineExecutionId})`, expected, where } };
    return {
      status: 'FAIL',
      evidence: { observed: `${MARKER_KEY} names build ${typeof buildId === 'string' ? buildId : '(none)'}, not a succeeded build of the pipeline's Build action`, expected, where },
      hint: 'Only the Build stage may produce the release: an object put into the bucket by hand, or a Deploy fed with the source, ships something nobody built.',
    };
  },
};


const samePipeline: Check<Facts> = {
  id: 'same-pipeline',
  title: `The lab's pipeline still runs ${STAGES.join(' → ')}: Deploy ships what Build made`,
  points: 10,
  taskStatement: '5.3',
  hint: 'Fix the causes, not the shape: keep the pipeline, its stages in their order, and the Deploy action fed by the Build output.',
  // Judged once the pipeline is green: it guards the fix, so it scores nothing before there is one.
  dependsOn: ['pipeline-green'],
  run(facts): Verdict {
    const where = pipelineWhere(facts);
    const expected = `stages ${STAGES.join(' → ')}; Build runs ${facts.buildProjectName}; Deploy's input is Build's output artifact`;
    const pipeline = need(facts.pipeline);
    if (!pipeline) return { status: 'FAIL', evidence: { observed: `pipeline ${facts.pipelineName} does not exist`, expected, where }, hint: `Run doplab deploy ${LAB_ID} to recreate the lab.` };
    const observed = describeStages(pipeline);
    const evidence = { observed, expected, where };
    const names = (pipeline.stages ?? []).map((s) => s.name);
    if (names.join(',') !== STAGES.join(',')) return { status: 'FAIL', evidence };
    const [, buildStage, deployStage] = pipeline.stages ?? [];
    const build = (buildStage?.actions ?? []).find((a) => a.actionTypeId?.provider === 'CodeBuild' && a.configuration?.ProjectName === facts.buildProjectName);
    if (!build) return { status: 'FAIL', evidence, hint: `The Build stage must run the lab's project ${facts.buildProjectName}.` };
    const outputs = new Set((build.outputArtifacts ?? []).map((o) => o.name));
    const fed = (deployStage?.actions ?? []).some((a) => a.actionTypeId?.category === 'Deploy' && (a.inputArtifacts ?? []).some((i) => outputs.has(i.name)));
    if (!fed) return { status: 'FAIL', evidence: { ...evidence, observed: `${observed}; Deploy does not take Build's output` }, hint: 'A Deploy fed with the source ships what nobody built: its input must be the Build output.' };
    return { status: 'PASS', evidence };
  },
};

// ---------------------------------------------------------------------------------------------
// Gather
// ---------------------------------------------------------------------------------------------

function roleNameOf(arn: string): string {
  return arn.split('/').pop() ?? arn;
}

async function readText(s3: S3Client, input: { Bucket: string; Key: string; VersionId?: string }): Promise<Uint8Array | null> {
  try {
    const object = await s3.send(new GetObjectCommand(input));
    return (await object.Body?.transformToByteArray()) ?? null;
  } catch (error) {
    if (awsErrorName(error) === 'NoSuchKey') return null;
    throw error;
  }
}

async function rolePolicies(iam: IAMClient, RoleName: string): Promise<RolePolicies> {
  const [attached, inlineNames] = await Promise.all([
    allPages(async (Marker) => {
      const page = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName, Marker }));
      return { items: page.AttachedPolicies, next: page.IsTruncated ? page.Marker : undefined };
    }),
    allPages(async (Marker) => {
      const page = await iam.send(new ListRolePoliciesCommand({ RoleName, Marker }));
      return { items: page.PolicyNames, next: page.IsTruncated ? page.Marker : undefined };
    }),
  ]);
  // AWS managed policies are judged by name; customer-managed ones by their default version's document.
  const customer = attached.filter((p) => p.PolicyArn && !p.PolicyArn.includes(':iam::aws:policy/'));
  const documents = await Promise.all([
    ...inlineNames.map(async (PolicyName) => ({
      source: `inline ${PolicyName}`,
      document: decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName, PolicyName }))).PolicyDocument ?? '{}'),
    })),
    ...customer.map(async (p) => {
      const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: p.PolicyArn }))).Policy;
      const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: p.PolicyArn, VersionId: policy?.DefaultVersionId }));
      return { source: p.PolicyArn ?? '', document: decodeURIComponent(version.PolicyVersion?.Document ?? '{}') };
    }),
  ]);
  return { attached: jsonified(attached), documents };
}

export const checker = defineChecker({
  labId: LAB_ID,
  outputs: Outputs,
  actions: [
    ...PIPELINE_FACTS_ACTIONS,
    'codebuild:BatchGetBuilds',
    // GetObject of the release marker, and of the source version a build built (a versioned read: s3:GetObjectVersion).
    's3:GetObject',
    's3:GetObjectVersion',
    'iam:SimulatePrincipalPolicy',
    'iam:ListAttachedRolePolicies',
    'iam:ListRolePolicies',
    'iam:GetRolePolicy',
    'iam:GetPolicy',
    'iam:GetPolicyVersion',
  ],
  factsSchema,
  async gather({ outputs, region, account, stackCreatedAt, client }): Promise<BrokenPipelineFacts> {
    const pipelines = client(CodePipelineClient);
    const codebuild = client(CodeBuildClient);
    const s3 = client(S3Client);
    const iam = client(IAMClient);
    const name = outputs.pipelineName;
    const base = {
      region,
      account,
      ...(stackCreatedAt ? { deployedAt: stackCreatedAt } : {}),
      pipelineName: name,
      buildProjectName: outputs.buildProjectName,
      buildRoleArn: outputs.buildRoleArn,
      parameterName: outputs.parameterName,
      sourceBucketName: outputs.sourceBucketName,
      sourceKey: outputs.sourceKey,
      releaseBucketName: outputs.releaseBucketName,
    };

    const { pipeline: pipelineRead, executions: executionsRead, actionExecutions: actionsRead } = readPipelineFacts(pipelines, name);
    const simulationRead = readFact(async () => {
      const page = await iam.send(
        new SimulatePrincipalPolicyCommand({ PolicySourceArn: outputs.buildRoleArn, ActionNames: ['ssm:GetParameters'], ResourceArns: [parameterArn(base), otherParameterArn(base)] }),
      );
      return jsonified(page.EvaluationResults ?? []);
    });
    const policiesRead = readFact(() => rolePolicies(iam, roleNameOf(outputs.buildRoleArn)));
    const markerRead = readFact(async () => {
      const bytes = await readText(s3, { Bucket: outputs.releaseBucketName, Key: MARKER_KEY });
      return bytes ? new TextDecoder('utf-8').decode(bytes.slice(0, 64 * 1024)) : null;
    });

    // The latest build and the buildspec it built, as soon as the action executions (and executions) are in.
    const buildReads = Promise.all([actionsRead, executionsRead]).then(async ([actions, executions]) => {
      if (!actions.ok) return {};
      const action = latestBuildAction(actions.value, outputs.buildProjectName);
      const id = action?.output?.executionResult?.externalExecutionId;
      if (!action || !id) return {};
      const revision = executions.ok
        ? executions.value.find((e) => e.pipelineExecutionId === action.pipelineExecutionId)?.sourceRevisions?.find((r) => r.revisionId)?.revisionId
        : undefined;
      const [latestBuild, buildspec] = await Promise.all([
        readFact(async () => jsonified((await codebuild.send(new BatchGetBuildsCommand({ ids: [id] }))).builds?.[0] ?? null)),
        revision
          ? readFact(async () => {
              const bytes = await readText(s3, { Bucket: outputs.sourceBucketName, Key: outputs.sourceKey, VersionId: revision });
              const files = bytes ? zipTextFiles(bytes, { wanted: (file) => file === 'buildspec.yml' }) : {};
              return { sourceVersion: revision, text: files['buildspec.yml'] ?? null };
            })
          : undefined,
      ]);
      return { latestBuild, ...(buildspec ? { buildspec } : {}) };
    });

    const [pipeline, executions, actionExecutions, simulation, policies, marker, builds] = await Promise.all([
      pipelineRead,
      executionsRead,
      actionsRead,
      simulationRead,
      policiesRead,
      markerRead,
      buildReads,
    ]);
    return { ...base, pipeline, executions, actionExecutions, ...builds, simulation, policies, marker };
  },
  checks: [pipelineGreen, leastPrivilegeFix, runtimeFixed, releaseIsBuilt, samePipeline],
});
