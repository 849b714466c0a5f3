// Checker of the lambda-canary lab: SDK only (never aws-cdk-lib), read-only calls.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  BatchGetDeploymentGroupsCommand,
  BatchGetDeploymentTargetsCommand,
  CodeDeployClient,
  GetDeploymentConfigCommand,
  ListDeploymentGroupsCommand,
  ListDeploymentTargetsCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { GetAliasCommand, LambdaClient, ListVersionsByFunctionCommand } from '@aws-sdk/client-lambda';
import { z } from 'zod';
import { awsErrorName } from '../lib/aws/errors';
import { defineChecker, type Check, type Verdict } from '../lib/checker';
import { factSchema, need, readFact, type Fact } from '../lib/facts';
import { allPages, byName, jsonified } from '../lib/sdk-facts';
import {
  alarmSchema,
  deploymentConfigSchema,
  deploymentSchema,
  describeMetric,
  learnerDeployments as learnerDeploymentsSince,
  MAX_DEPLOYMENTS,
  newestFirst,
  readDeploymentsByIds,
  readMetricAlarms,
  type Alarm,
  type Deployment,
  type DeploymentConfig,
  type Metric,
} from '../lib/codedeploy-facts';
import {
  BAD_RELEASE,
  GOOD_RELEASE,
  IN_FLIGHT_STATUSES,
  LAB_ID,
  MAX_CANARY_PERCENT,
  MIN_CANARY_MINUTES,
  Outputs,
  RELEASE_VARIABLE,
} from '../labs/lambda-canary/contract';

// ---------------------------------------------------------------------------------------------
// Facts: loose schemas of the SDK shapes the checks read (everything else passes through), dates as ISO strings
// ---------------------------------------------------------------------------------------------

const deploymentGroupSchema = z.looseObject({
  deploymentGroupName: z.string(),
  deploymentConfigName: z.string().optional(),
  alarmConfiguration: z
    .looseObject({ enabled: z.boolean().optional(), alarms: z.array(z.looseObject({ name: z.string().optional() })).optional() })
    .optional(),
  autoRollbackConfiguration: z.looseObject({ enabled: z.boolean().optional(), events: z.array(z.string()).optional() }).optional(),
});

const lifecycleEventSchema = z.looseObject({
  lifecycleEventName: z.string().optional(),
  status: z.string().optional(),
  startTime: z.string().optional(),
  diagnostics: z.looseObject({ errorCode: z.string().optional(), message: z.string().optional() }).optional(),
});

const lambdaTargetSchema = z.looseObject({
  deploymentId: z.string().optional(),
  targetId: z.string().optional(),
  status: z.string().optional(),
  lifecycleEvents: z.array(lifecycleEventSchema).optional(),
  lambdaFunctionInfo: z
    .looseObject({
      functionName: z.string().optional(),
      functionAlias: z.string().optional(),
      currentVersion: z.string().optional(),
      targetVersion: z.string().optional(),
      targetVersionWeight: z.number().optional(),
    })
    .optional(),
});

const aliasSchema = z.looseObject({
  Name: z.string().optional(),
  FunctionVersion: z.string().optional(),
  RoutingConfig: z.looseObject({ AdditionalVersionWeights: z.record(z.string(), z.number()).optional() }).optional(),
});

/** A published version and the release its environment runs (`RELEASE`). */
const versionSchema = z.object({ version: z.string(), release: z.string().nullable(), lastModified: z.string().optional() });

const schema = z.object({
  region: z.string().min(1),
  /** When the lab's stack was created; deployments before it are not the learner's. */
  stackCreatedAt: z.string().nullable(),
  applicationName: z.string().min(1),
  functionName: z.string().min(1),
  aliasName: z.string().min(1),
  initialVersion: z.string().min(1),
  hookFunctionName: z.string().min(1),
  /** ListDeploymentGroups of the lab's application, then BatchGetDeploymentGroups; by name. */
  deploymentGroups: factSchema(z.array(deploymentGroupSchema)),
  /** GetDeploymentConfig of each configuration the groups use. */
  deploymentConfigs: factSchema(z.array(deploymentConfigSchema)),
  /** DescribeAlarms of the alarms named in the groups' alarm configurations. */
  alarms: factSchema(z.array(alarmSchema)),
  /** ListDeployments of each group since the stack was created, then BatchGetDeployments; newest first. */
  deployments: factSchema(z.array(deploymentSchema)),
  /** ListDeploymentTargets and BatchGetDeploymentTargets of the newest deployments: lifecycle events and versions. */
  targets: factSchema(z.array(lambdaTargetSchema)),
  /** GetAlias of the live alias; null when it is gone. */
  alias: factSchema(aliasSchema.nullable()),
  /** ListVersionsByFunction: the published versions and their releases ($LATEST left out). */
  versions: factSchema(z.array(versionSchema)),
});

type DeploymentGroup = z.infer<typeof deploymentGroupSchema>;
type LambdaTarget = z.infer<typeof lambdaTargetSchema>;
type Alias = z.infer<typeof aliasSchema>;
type Version = z.infer<typeof versionSchema>;

/** What gather reads; each AWS read is a Fact so one failure only ERRORs the checks that need it. */
export interface LambdaCanaryFacts
  extends Omit<z.infer<typeof schema>, 'deploymentGroups' | 'deploymentConfigs' | 'alarms' | 'deployments' | 'targets' | 'alias' | 'versions'> {
  readonly deploymentGroups: Fact<DeploymentGroup[]>;
  readonly deploymentConfigs: Fact<DeploymentConfig[]>;
  readonly alarms: Fact<Alarm[]>;
  readonly deployments: Fact<Deployment[]>;
  readonly targets: Fact<LambdaTarget[]>;
  readonly alias: Fact<Alias | null>;
  readonly versions: Fact<Version[]>;
}
type Facts = LambdaCanaryFacts;

// The schema validates error codes as strings, the facts type as the ErrorCode union; otherwise they are the same.
const factsSchema = schema as unknown as z.ZodType<LambdaCanaryFacts>;

/** Deployment groups read per gather at most (BatchGetDeploymentGroups takes 100; a learner makes one or two). */
export const MAX_GROUPS = 10;
export { MAX_DEPLOYMENTS };
/** Deployments whose targets (lifecycle events, versions) are read: the newest learner deployments. */
export const MAX_TARGETED = 10;

// ---------------------------------------------------------------------------------------------
// Gather
// ---------------------------------------------------------------------------------------------

/** The names of the application's deployment groups, by name, at most MAX_GROUPS; none when the application is gone. */
async function readGroupNames(codedeploy: CodeDeployClient, applicationName: string): Promise<string[]> {
  try {
    const names = await allPages(async (nextToken) => {
      const page = await codedeploy.send(new ListDeploymentGroupsCommand({ applicationName, nextToken }));
      return { items: page.deploymentGroups, next: page.nextToken };
    });
    return [...names].sort(byName).slice(0, MAX_GROUPS);
  } catch (error) {
    if (awsErrorName(error) === 'ApplicationDoesNotExistException') return [];
    throw error;
  }
}

async function readGroups(codedeploy: CodeDeployClient, applicationName: string, names: string[]): Promise<DeploymentGroup[]> {
  if (names.length === 0) return [];
  const out = await codedeploy.send(new BatchGetDeploymentGroupsCommand({ applicationName, deploymentGroupNames: names }));
  return jsonified(out.deploymentGroupsInfo ?? [])
    .filter((g): g is typeof g & { deploymentGroupName: string } => !!g.deploymentGroupName)
    .sort((a, b) => byName(a.deploymentGroupName, b.deploymentGroupName));
}

async function readDeployments(codedeploy: CodeDeployClient, applicationName: string, groupNames: string[], since: string | null): Promise<Deployment[]> {
  const perGroup = await Promise.all(
    groupNames.map((deploymentGroupName) =>
      allPages(
        async (nextToken) => {
          const page = await codedeploy.send(
            new ListDeploymentsCommand({
              applicationName,
              deploymentGroupName,
              ...(since ? { createTimeRange: { start: new Date(since) } } : {}),
              nextToken,
            }),
          );
          return { items: page.deployments, next: page.nextToken };
        },
        { stop: (items) => items.length >= MAX_DEPLOYMENTS },
      ),
    ),
  );
  return readDeploymentsByIds(codedeploy, perGroup.flat());
}

async function readTargets(codedeploy: CodeDeployClient, deployments: Deployment[]): Promise<LambdaTarget[]> {
  const targeted = deployments.filter((d) => d.creator !== 'codeDeployRollback').slice(0, MAX_TARGETED);
  const perDeployment = await Promise.all(
    targeted.map(async ({ deploymentId }) => {
      const targetIds = (await codedeploy.send(new ListDeploymentTargetsCommand({ deploymentId }))).targetIds ?? [];
      if (targetIds.length === 0) return [];
      const out = await codedeploy.send(new BatchGetDeploymentTargetsCommand({ deploymentId, targetIds: targetIds.slice(0, 25) }));
      return (out.deploymentTargets ?? []).flatMap((t) => (t.lambdaTarget ? [jsonified(t.lambdaTarget)] : []));
    }),
  );
  return perDeployment.flat() as LambdaTarget[];
}


// ---------------------------------------------------------------------------------------------
// Judging helpers (pure)
// ---------------------------------------------------------------------------------------------

function appWhere(facts: Facts): string {
  return `CodeDeploy application ${facts.applicationName} in ${facts.region}`;
}

function groupWhere(facts: Facts, group: DeploymentGroup): string {
  return `deployment group ${group.deploymentGroupName} of application ${facts.applicationName} in ${facts.region}`;
}

function isInFlight(d: Deployment): boolean {
  return IN_FLIGHT_STATUSES.includes(d.status ?? '');
}

/** The learner's deployments, newest first: CodeDeploy's own rollback deployments are not theirs. */
function learnerDeployments(facts: Facts): Deployment[] {
  return learnerDeploymentsSince(need(facts.deployments), facts.stackCreatedAt);
}

/**
 * The group the learner deploys with: the group of their newest deployment, else the first group by name.
 * Undefined when the application has no group.
 */
function labGroup(facts: Facts): DeploymentGroup | undefined {
  const groups = need(facts.deploymentGroups);
  const latest = facts.deployments.ok ? learnerDeployments(facts)[0] : undefined;
  return groups.find((g) => g.deploymentGroupName === latest?.deploymentGroupName) ?? groups[0];
}

function noGroup(facts: Facts, expected: string): Verdict {
  return {
    status: 'FAIL',
    evidence: { observed: 'the application has no deployment group', expected, where: appWhere(facts) },
    hint: `Create a deployment group in the application ${facts.applicationName} with the service role the stack outputs (ServiceRoleArn).`,
  };
}

/** The TargetVersion an AppSpec names, in JSON or YAML (as the lab's hook reads it). */
export function appSpecTargetVersion(appSpec: string | undefined): string | undefined {
  return /["']?TargetVersion["']?\s*:\s*["']?(\d+)/.exec(appSpec ?? '')?.[1];
}

function targetOf(facts: Facts, d: Deployment): LambdaTarget | undefined {
  return facts.targets.ok ? facts.targets.value.find((t) => t.deploymentId === d.deploymentId) : undefined;
}

/** The version a deployment moves the alias to: CodeDeploy's target info, else the deployment's AppSpec. */
function targetVersion(facts: Facts, d: Deployment): string | undefined {
  return targetOf(facts, d)?.lambdaFunctionInfo?.targetVersion || appSpecTargetVersion(d.revision?.appSpecContent?.content ?? d.revision?.string?.content);
}

function releaseOf(facts: Facts, version: string | undefined): string | null | undefined {
  return need(facts.versions).find((v) => v.version === version)?.release;
}

function describeVersion(facts: Facts, version: string | undefined): string {
  if (!version) return 'an unknown version';
  const release = releaseOf(facts, version);
  return `version ${version} (${release ? `${RELEASE_VARIABLE}=${release}` : `no ${RELEASE_VARIABLE}`})`;
}

/** The learner's deployments whose target version runs `release`, newest first. */
function deploymentsTo(facts: Facts, release: string): Deployment[] {
  return learnerDeployments(facts).filter((d) => releaseOf(facts, targetVersion(facts, d)) === release);
}

function weights(alias: Alias): [string, number][] {
  return Object.entries(alias.RoutingConfig?.AdditionalVersionWeights ?? {});
}

function describeAlias(facts: Facts, alias: Alias | null): string {
  if (!alias) return `alias ${facts.aliasName} does not exist`;
  const extra = weights(alias);
  const routing = extra.length > 0 ? `, routing ${extra.map(([v, w]) => `${Math.round(w * 100)}% to ${describeVersion(facts, v)}`).join(', ')}` : '';
  return `alias ${alias.Name ?? facts.aliasName} points to ${describeVersion(facts, alias.FunctionVersion)}${routing}`;
}

/** True when the alias serves `release` alone: its version runs it and no weighted routing is left. */
function aliasServes(facts: Facts, alias: Alias | null, release: string): boolean {
  return !!alias && releaseOf(facts, alias.FunctionVersion) === release && weights(alias).every(([, w]) => w === 0);
}

function deploymentHead(facts: Facts, d: Deployment): string {
  return `deployment ${d.deploymentId} (created ${d.createTime ?? '?'}) to ${describeVersion(facts, targetVersion(facts, d))} is ${d.status ?? 'unknown'}`;
}

/** The traffic share and lifecycle event under way, when the deployment target says. */
function progress(facts: Facts, d: Deployment): string {
  const target = targetOf(facts, d);
  const parts: string[] = [];
  const weight = target?.lambdaFunctionInfo?.targetVersionWeight;
  // CodeDeploy reports the weight as a fraction, as Lambda's alias routing does; a percentage reads the same.
  if (weight !== undefined) parts.push(`${Math.round(weight <= 1 ? weight * 100 : weight)}% of traffic on the new version`);
  const current = (target?.lifecycleEvents ?? []).find((e) => e.status === 'InProgress');
  if (current?.lifecycleEventName) parts.push(`${current.lifecycleEventName} in progress`);
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

function failureReason(d: Deployment): string {
  const error = d.errorInformation;
  const why = error ? `: ${error.code ?? 'error'}: ${error.message ?? ''}`.trimEnd() : '';
  const rollback = d.rollbackInfo?.rollbackDeploymentId ? `; rolled back by ${d.rollbackInfo.rollbackDeploymentId}` : '';
  return `${why}${rollback}`;
}

function pendingVerdict(facts: Facts, d: Deployment, expected: string, where: string): Verdict {
  return {
    status: 'PENDING',
    evidence: { observed: `${deploymentHead(facts, d)}${progress(facts, d)}`, expected: `waiting for ${d.deploymentId} to finish; ${expected}`, where },
    hint: `CodeDeploy is still shifting traffic; doplab check ${LAB_ID} --wait 15m follows it to the end.`,
  };
}

/** A Lambda Errors metric of the lab's function, and what it is qualified by (the alias, a version, or nothing). */
function errorsScope(facts: Facts, metric: Metric | undefined): 'alias' | 'unqualified' | 'other' | undefined {
  if (metric?.Namespace !== 'AWS/Lambda' || metric.MetricName !== 'Errors') return undefined;
  const dims = metric.Dimensions ?? [];
  if (!dims.some((d) => d.Name === 'FunctionName' && d.Value === facts.functionName)) return undefined;
  const resource = dims.find((d) => d.Name === 'Resource')?.Value;
  if (resource === undefined && dims.length === 1) return 'unqualified';
  if (resource === `${facts.functionName}:${facts.aliasName}` && dims.length === 2) return 'alias';
  return 'other';
}

function alarmScope(facts: Facts, alarm: Alarm): 'alias' | 'unqualified' | 'other' | undefined {
  const scopes = [errorsScope(facts, alarm), ...(alarm.Metrics ?? []).map((q) => errorsScope(facts, q.MetricStat?.Metric))];
  return scopes.includes('alias') ? 'alias' : scopes.includes('unqualified') ? 'unqualified' : scopes.includes('other') ? 'other' : undefined;
}


// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

const CANARY_EXPECTED = `a TimeBasedCanary configuration that shifts at most ${MAX_CANARY_PERCENT}% first and waits at least ${MIN_CANARY_MINUTES} minutes before the rest`;

const canaryConfig: Check<Facts> = {
  id: 'canary-config',
  title: 'The deployment group releases as a canary',
  points: 20,
  taskStatement: '1.4',
  hint: 'CodeDeploy has predefined Lambda configurations whose names say how they shift traffic; choose a canary, or create your own.',
  run(facts): Verdict {
    const group = labGroup(facts);
    if (!group) return noGroup(facts, CANARY_EXPECTED);
    const where = groupWhere(facts, group);
    const name = group.deploymentConfigName ?? 'CodeDeployDefault.LambdaAllAtOnce';
    const config = need(facts.deploymentConfigs).find((c) => c.deploymentConfigName === name);
    const routing = config?.trafficRoutingConfig;
    const type = routing?.type ?? 'AllAtOnce';
    if (type === 'TimeBasedCanary') {
      const { canaryPercentage = 0, canaryInterval = 0 } = routing?.timeBasedCanary ?? {};
      const observed = `configuration ${name}: TimeBasedCanary, ${canaryPercentage}% first, the rest after ${canaryInterval} min`;
      if (canaryPercentage > 0 && canaryPercentage <= MAX_CANARY_PERCENT && canaryInterval >= MIN_CANARY_MINUTES) {
        return { status: 'PASS', evidence: { observed, expected: CANARY_EXPECTED, where } };
      }
      return {
        status: 'FAIL',
        evidence: { observed, expected: CANARY_EXPECTED, where },
        hint: 'A canary exposes a small share of traffic long enough for an alarm to see its errors: keep the first step small and the wait long.',
      };
    }
    if (type === 'TimeBasedLinear') {
      const { linearPercentage = 0, linearInterval = 0 } = routing?.timeBasedLinear ?? {};
      return {
        status: 'FAIL',
        evidence: { observed: `configuration ${name}: TimeBasedLinear, ${linearPercentage}% every ${linearInterval} min`, expected: CANARY_EXPECTED, where },
        hint: 'Linear shifting is gradual, but this lab asks for a canary: one small step, a wait, then the rest.',
      };
    }
    return {
      status: 'FAIL',
      evidence: { observed: `configuration ${name}: ${type} traffic routing`, expected: CANARY_EXPECTED, where },
      hint: 'All at once is how the last bad release reached every client. ' + canaryConfig.hint,
    };
  },
};

const REQUIRED_EVENTS = ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] as const;
const ALARM_EXPECTED = `automatic rollback on ${REQUIRED_EVENTS.join(' and ')}, and alarm monitoring with an alarm on the Errors of the alias (dimensions FunctionName and Resource=<function>:<alias>)`;

const alarmRollback: Check<Facts> = {
  id: 'alarm-rollback',
  title: "The group rolls back on failure and on an alarm on the alias's errors",
  points: 20,
  taskStatement: '1.4',
  hint:
    "Alarm on the alias's errors (namespace AWS/Lambda, metric Errors, dimensions FunctionName and Resource), add the alarm " +
    "to the deployment group's alarm configuration, and roll back automatically when a deployment fails and when an alarm fires.",
  run(facts): Verdict {
    const group = labGroup(facts);
    if (!group) return noGroup(facts, ALARM_EXPECTED);
    const where = groupWhere(facts, group);
    const rollback = group.autoRollbackConfiguration;
    const events = rollback?.enabled === true ? (rollback.events ?? []) : [];
    const missing = REQUIRED_EVENTS.filter((e) => !events.includes(e));
    const rollbackSeen = rollback?.enabled === true ? `rolls back on ${events.length > 0 ? events.join(', ') : 'no event'}` : 'automatic rollback is disabled';
    if (missing.length > 0) {
      return {
        status: 'FAIL',
        evidence: { observed: rollbackSeen, expected: `${ALARM_EXPECTED}; ${missing.join(' and ')} missing`, where },
        hint: "In the group's rollback settings, roll back when a deployment fails and when an alarm threshold is met.",
      };
    }
    const names = (group.alarmConfiguration?.alarms ?? []).map((a) => a.name).filter((n): n is string => !!n);
    if (group.alarmConfiguration?.enabled !== true || names.length === 0) {
      const observed = `${rollbackSeen}; ${names.length === 0 ? 'no alarm in the alarm configuration' : `alarm monitoring is disabled (alarms listed: ${names.join(', ')})`}`;
      return { status: 'FAIL', evidence: { observed, expected: ALARM_EXPECTED, where } };
    }
    const alarms = need(facts.alarms);
    const seen: string[] = [];
    let unqualified = false;
    let version = false;
    for (const name of names) {
      const alarm = alarms.find((a) => a.AlarmName === name);
      if (!alarm) {
        seen.push(`"${name}" does not exist in CloudWatch`);
        continue;
      }
      const scope = alarmScope(facts, alarm);
      if (scope === 'alias') {
        return { status: 'PASS', evidence: { observed: `${rollbackSeen}; alarm "${name}" watches Errors of ${facts.functionName}:${facts.aliasName}`, expected: ALARM_EXPECTED, where } };
      }
      unqualified ||= scope === 'unqualified';
      version ||= [alarm, ...(alarm.Metrics ?? []).map((q) => q.MetricStat?.Metric)].some((m) =>
        (m?.Dimensions ?? []).some((d) => d.Name === 'Resource' && /:\d+$/.test(d.Value ?? '')),
      );
      seen.push(`"${name}" watches ${describeMetric(alarm)}`);
    }
    const missingAlarm = seen.some((s) => s.endsWith('does not exist in CloudWatch'));
    return {
      status: 'FAIL',
      evidence: { observed: `${rollbackSeen}; no alarm of the group watches the alias's errors: ${seen.join('; ')}`, expected: ALARM_EXPECTED, where },
      hint: unqualified
        ? 'The alarm watches the function\'s unqualified Errors: every version and alias counts there, so errors of anything but the release under way fire it too. ' +
          'Lambda also publishes each alias\'s metrics with a Resource dimension (<function>:<alias>): alarm on those.'
        : version
          ? 'The alarm watches one published version; every release is a new version, so it never sees the next one. Alarm on the alias, which follows whatever it serves.'
          : missingAlarm
            ? 'CodeDeploy looks alarms up by name: create the alarm in CloudWatch with exactly the name the group lists.'
            : alarmRollback.hint,
    };
  },
};

const HOOK_EXPECTED = `the BeforeAllowTraffic lifecycle event of the deployment to release ${GOOD_RELEASE} Succeeded (the hook ran and reported)`;
const HOOK_REPORT_HINT =
  'A hook must report its result with codedeploy:PutLifecycleEventHookExecutionStatus (the deployment id and the hook execution id ' +
  'from its event, and Succeeded or Failed); until it does, CodeDeploy waits, up to an hour.';

const hookRan: Check<Facts> = {
  id: 'hook-ran',
  title: 'The pre-traffic hook smoke-tested release 2 before it took traffic',
  points: 20,
  taskStatement: '1.4',
  hint: `Name the provided hook function in the AppSpec's Hooks as BeforeAllowTraffic when you release ${RELEASE_VARIABLE}=${GOOD_RELEASE}.`,
  run(facts): Verdict {
    const releases = deploymentsTo(facts, GOOD_RELEASE);
    const d = releases.find((x) => x.status === 'Succeeded') ?? releases[0];
    if (!d) {
      return {
        status: 'FAIL',
        evidence: { observed: `no deployment to a version with ${RELEASE_VARIABLE}=${GOOD_RELEASE} since the lab was deployed`, expected: HOOK_EXPECTED, where: appWhere(facts) },
      };
    }
    const where = `deployment ${d.deploymentId} in ${facts.region}`;
    const target = need(facts.targets).find((t) => t.deploymentId === d.deploymentId);
    const event = (target?.lifecycleEvents ?? []).find((e) => e.lifecycleEventName === 'BeforeAllowTraffic');
    const status = event?.status ?? 'not found';
    const observed = `BeforeAllowTraffic ${status}`;
    if (status === 'Succeeded') return { status: 'PASS', evidence: { observed, expected: HOOK_EXPECTED, where } };
    if (status === 'Skipped') {
      return { status: 'FAIL', evidence: { observed: `${observed}: the AppSpec names no BeforeAllowTraffic hook`, expected: HOOK_EXPECTED, where } };
    }
    if (status === 'Pending' || status === 'InProgress') {
      return {
        status: 'PENDING',
        evidence: { observed: `${observed}${event?.startTime ? ` since ${event.startTime}` : ''}`, expected: `waiting for the hook to report; ${HOOK_EXPECTED}`, where },
        hint: `${HOOK_REPORT_HINT} doplab check ${LAB_ID} --wait 10m follows it.`,
      };
    }
    const why = event?.diagnostics?.message ? `: ${event.diagnostics.errorCode ?? 'error'}: ${event.diagnostics.message}` : '';
    return {
      status: 'FAIL',
      evidence: { observed: `${observed}${why}`, expected: HOOK_EXPECTED, where },
      hint: `The hook reported Failed or never reported. ${HOOK_REPORT_HINT} Its log group shows what it saw.`,
    };
  },
};

const V2_EXPECTED = `a CodeDeploy deployment to a version with ${RELEASE_VARIABLE}=${GOOD_RELEASE} Succeeded, and the alias points to that release with no weighted routing left`;

const v2Released: Check<Facts> = {
  id: 'v2-released',
  title: 'Release 2 went live through a CodeDeploy deployment',
  points: 20,
  taskStatement: '1.4',
  hint:
    `Publish a version of the function with ${RELEASE_VARIABLE}=${GOOD_RELEASE}, then create a deployment in your group whose AppSpec ` +
    'moves the alias from its current version to the new one.',
  run(facts): Verdict {
    const alias = need(facts.alias);
    const where = `function ${facts.functionName} and ${appWhere(facts)}`;
    const releases = deploymentsTo(facts, GOOD_RELEASE);
    const succeeded = releases.find((d) => d.status === 'Succeeded');
    const aliasSeen = describeAlias(facts, alias);
    if (!succeeded) {
      const inFlight = releases.find(isInFlight);
      if (inFlight) return pendingVerdict(facts, inFlight, V2_EXPECTED, where);
      const latest = releases[0];
      if (latest) {
        return {
          status: 'FAIL',
          evidence: { observed: `${deploymentHead(facts, latest)}${failureReason(latest)}; ${aliasSeen}`, expected: V2_EXPECTED, where },
          hint: 'The release did not succeed: the CodeDeploy console shows which lifecycle event failed and why (a hook that failed or never reported, an alarm that fired).',
        };
      }
      const byHand = aliasServes(facts, alias, GOOD_RELEASE) || weights(alias ?? {}).some(([v]) => releaseOf(facts, v) === GOOD_RELEASE);
      return {
        status: 'FAIL',
        evidence: { observed: `no CodeDeploy deployment to release ${GOOD_RELEASE}; ${aliasSeen}`, expected: V2_EXPECTED, where },
        hint: byHand
          ? 'The alias was moved by hand: nothing watched the release and nothing can roll it back. Release through a CodeDeploy deployment instead.'
          : v2Released.hint,
      };
    }
    const observed = `${deploymentHead(facts, succeeded)}; ${aliasSeen}`;
    if (aliasServes(facts, alias, GOOD_RELEASE)) return { status: 'PASS', evidence: { observed, expected: V2_EXPECTED, where } };
    // A later release under way (or CodeDeploy rolling one back) moves the alias for a while.
    const moving = newestFirst(need(facts.deployments)).find(isInFlight);
    if (moving) return pendingVerdict(facts, moving, V2_EXPECTED, where);
    return {
      status: 'FAIL',
      evidence: { observed, expected: V2_EXPECTED, where },
      hint: 'Release 2 went out, but the alias has since moved elsewhere; let CodeDeploy own the alias and release again.',
    };
  },
};

const ROLLBACK_EXPECTED = `a deployment to a version with ${RELEASE_VARIABLE}=${BAD_RELEASE}, after release ${GOOD_RELEASE}, that ended Stopped or Failed with a rollback, and the alias back on release ${GOOD_RELEASE}`;

const badReleaseRolledBack: Check<Facts> = {
  id: 'bad-release-rolled-back',
  title: 'The alarm rolled release 3 back',
  points: 20,
  taskStatement: '1.4',
  hint: `Publish a version with ${RELEASE_VARIABLE}=${BAD_RELEASE} and release it the same way; watch the alarm stop the canary.`,
  run(facts): Verdict {
    const alias = need(facts.alias);
    const where = `function ${facts.functionName} and ${appWhere(facts)}`;
    const good = deploymentsTo(facts, GOOD_RELEASE).find((d) => d.status === 'Succeeded');
    const bad = deploymentsTo(facts, BAD_RELEASE).filter((d) => !good || byName(d.createTime, good.createTime) > 0);
    const latest = bad[0];
    if (!latest) {
      const after = good ? ` after ${good.deploymentId} released ${GOOD_RELEASE}` : ` (and release ${GOOD_RELEASE} has not succeeded yet)`;
      return { status: 'FAIL', evidence: { observed: `no deployment to release ${BAD_RELEASE}${after}`, expected: ROLLBACK_EXPECTED, where } };
    }
    if (isInFlight(latest)) return pendingVerdict(facts, latest, ROLLBACK_EXPECTED, where);
    const head = `${deploymentHead(facts, latest)}${failureReason(latest)}`;
    if (latest.status === 'Succeeded') {
      return {
        status: 'FAIL',
        evidence: { observed: `${head}; ${describeAlias(facts, alias)}`, expected: ROLLBACK_EXPECTED, where },
        hint:
          "Release 3 reached all traffic: nothing stopped the canary. Check that the group's alarm watches the alias's Errors, " +
          'fires on a single error in a minute, treats missing data as not breaching, and that rollback on alarm is on.',
      };
    }
    const rollbackId = latest.rollbackInfo?.rollbackDeploymentId;
    if (!rollbackId) {
      return {
        status: 'FAIL',
        evidence: { observed: `${head}; no rollback`, expected: ROLLBACK_EXPECTED, where },
        hint: 'The deployment stopped, but CodeDeploy did not roll the alias back: turn on automatic rollback for failures and alarms.',
      };
    }
    const rollback = need(facts.deployments).find((d) => d.deploymentId === rollbackId);
    if (rollback && isInFlight(rollback)) {
      return {
        status: 'PENDING',
        evidence: { observed: `${head}; rollback ${rollbackId} is ${rollback.status}`, expected: `waiting for rollback ${rollbackId}; ${ROLLBACK_EXPECTED}`, where },
        hint: `CodeDeploy is moving the alias back; doplab check ${LAB_ID} --wait 5m follows it.`,
      };
    }
    const observed = `${head}; ${describeAlias(facts, alias)}`;
    if (aliasServes(facts, alias, GOOD_RELEASE)) return { status: 'PASS', evidence: { observed, expected: ROLLBACK_EXPECTED, where } };
    return {
      status: 'FAIL',
      evidence: { observed, expected: ROLLBACK_EXPECTED, where },
      hint: `The rollback ran, but the alias is not on release ${GOOD_RELEASE} alone; let CodeDeploy own the alias rather than moving it by hand.`,
    };
  },
};

// ---------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------

export const checker = defineChecker({
  labId: LAB_ID,
  outputs: Outputs,
  actions: [
    'codedeploy:ListDeploymentGroups',
    'codedeploy:BatchGetDeploymentGroups',
    'codedeploy:GetDeploymentConfig',
    'codedeploy:ListDeployments',
    'codedeploy:BatchGetDeployments',
    'codedeploy:ListDeploymentTargets',
    'codedeploy:BatchGetDeploymentTargets',
    'cloudwatch:DescribeAlarms',
    'lambda:GetAlias',
    'lambda:ListVersionsByFunction',
  ],
  factsSchema,
  async gather({ outputs, region, stackCreatedAt, client }): Promise<LambdaCanaryFacts> {
    const codedeploy = client(CodeDeployClient);
    const cloudwatch = client(CloudWatchClient);
    const lambda = client(LambdaClient);
    const since = stackCreatedAt ?? null;
    const base = {
      region,
      stackCreatedAt: since,
      applicationName: outputs.applicationName,
      functionName: outputs.functionName,
      aliasName: outputs.aliasName,
      initialVersion: outputs.initialVersion,
      hookFunctionName: outputs.hookFunctionName,
    };

    const namesRead = readFact(() => readGroupNames(codedeploy, base.applicationName));
    // The groups' settings and their deployments are read side by side once the names are known.
    const groupsRead = namesRead.then((names): Promise<Fact<DeploymentGroup[]>> => {
      if (!names.ok) return Promise.resolve(names);
      return readFact(() => readGroups(codedeploy, base.applicationName, names.value));
    });
    const configsRead = groupsRead.then((groups): Promise<Fact<DeploymentConfig[]>> => {
      if (!groups.ok) return Promise.resolve(groups);
      const names = [...new Set(groups.value.map((g) => g.deploymentConfigName).filter((n): n is string => !!n))].sort(byName);
      return readFact(() =>
        Promise.all(
          names.map(async (deploymentConfigName) => {
            const info = (await codedeploy.send(new GetDeploymentConfigCommand({ deploymentConfigName }))).deploymentConfigInfo;
            return jsonified(info ?? { deploymentConfigName });
          }),
        ),
      );
    });
    const alarmsRead = groupsRead.then((groups): Promise<Fact<Alarm[]>> => {
      if (!groups.ok) return Promise.resolve(groups);
      const names = [...new Set(groups.value.flatMap((g) => (g.alarmConfiguration?.alarms ?? []).map((a) => a.name)).filter((n): n is string => !!n))].sort(byName);
      if (names.length === 0) return Promise.resolve({ ok: true, value: [] });
      return readFact(() => readMetricAlarms(cloudwatch, names));
    });
    const deploymentsRead = namesRead.then((names): Promise<Fact<Deployment[]>> => {
      if (!names.ok) return Promise.resolve(names);
      return readFact(() => readDeployments(codedeploy, base.applicationName, names.value, since));
    });
    const targetsRead = deploymentsRead.then((deployments): Promise<Fact<LambdaTarget[]>> => {
      if (!deployments.ok) return Promise.resolve(deployments);
      return readFact(() => readTargets(codedeploy, deployments.value));
    });
    const aliasRead = readFact(async () => {
      try {
        const { Name, FunctionVersion, RoutingConfig, AliasArn, RevisionId } = await lambda.send(new GetAliasCommand({ FunctionName: base.functionName, Name: base.aliasName }));
        return jsonified({ Name, AliasArn, FunctionVersion, RoutingConfig, RevisionId });
      } catch (error) {
        if (awsErrorName(error) === 'ResourceNotFoundException') return null;
        throw error;
      }
    });
    const versionsRead = readFact(async () => {
      const versions = await allPages(async (Marker) => {
        const page = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: base.functionName, Marker }));
        return { items: page.Versions, next: page.NextMarker };
      });
      return versions
        .filter((v) => v.Version && v.Version !== '$LATEST')
        .map((v) => ({ version: v.Version ?? '', release: v.Environment?.Variables?.[RELEASE_VARIABLE] ?? null, lastModified: v.LastModified }));
    });

    const [deploymentGroups, deploymentConfigs, alarms, deployments, targets, alias, versions] = await Promise.all([
      groupsRead,
      configsRead,
      alarmsRead,
      deploymentsRead,
      targetsRead,
      aliasRead,
      versionsRead,
    ]);
    return { ...base, deploymentGroups, deploymentConfigs, alarms, deployments, targets, alias, versions };
  },
  checks: [canaryConfig, alarmRollback, hookRan, v2Released, badReleaseRolledBack],
});
