// Checker of the codedeploy-blue-green lab: SDK only (never aws-cdk-lib), read-only calls.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  BatchGetDeploymentTargetsCommand,
  CodeDeployClient,
  GetDeploymentConfigCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeRulesCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { z } from 'zod';
import { awsErrorName } from '../lib/aws/errors';
import { defineChecker, type Check, type Verdict } from '../lib/checker';
import { factSchema, need, readFact, type Fact } from '../lib/facts';
import { allPages, jsonified } from '../lib/sdk-facts';
import {
  alarmSchema,
  deploymentConfigSchema,
  deploymentSchema,
  describeMetric,
  learnerDeployments as learnerDeploymentsSince,
  MAX_DEPLOYMENTS,
  readDeploymentsByIds,
  readMetricAlarms,
  type Alarm,
  type Deployment,
  type DeploymentConfig,
  type Metric,
} from '../lib/codedeploy-facts';
import { IN_FLIGHT_STATUSES, LAB_ID, Outputs, TASK_FAMILY } from '../labs/codedeploy-blue-green/contract';

// ---------------------------------------------------------------------------------------------
// Facts: loose schemas of the SDK shapes the checks read (everything else passes through), dates as ISO strings
// ---------------------------------------------------------------------------------------------

const deploymentGroupSchema = z.looseObject({
  applicationName: z.string().optional(),
  deploymentGroupName: z.string().optional(),
  deploymentConfigName: z.string().optional(),
  alarmConfiguration: z
    .looseObject({ enabled: z.boolean().optional(), ignorePollAlarmFailure: z.boolean().optional(), alarms: z.array(z.looseObject({ name: z.string().optional() })).optional() })
    .optional(),
  autoRollbackConfiguration: z.looseObject({ enabled: z.boolean().optional(), events: z.array(z.string()).optional() }).optional(),
});

const ecsTargetSchema = z.looseObject({
  deploymentId: z.string().optional(),
  targetId: z.string().optional(),
  status: z.string().optional(),
  lifecycleEvents: z.array(z.looseObject({ lifecycleEventName: z.string().optional(), status: z.string().optional() })).optional(),
  taskSetsInfo: z
    .array(
      z.looseObject({
        identifer: z.string().optional(),
        status: z.string().optional(),
        trafficWeight: z.number().optional(),
        taskSetLabel: z.string().optional(),
        targetGroup: z.looseObject({ name: z.string().optional() }).optional(),
      }),
    )
    .optional(),
});

const taskSetSchema = z.looseObject({
  id: z.string().optional(),
  status: z.string().optional(),
  taskDefinition: z.string().optional(),
  runningCount: z.number().optional(),
  loadBalancers: z.array(z.looseObject({ targetGroupArn: z.string().optional() })).optional(),
});

const serviceSchema = z.looseObject({
  serviceName: z.string().optional(),
  status: z.string().optional(),
  taskDefinition: z.string().optional(),
  taskSets: z.array(taskSetSchema).optional(),
});

const ruleSchema = z.looseObject({
  IsDefault: z.boolean().optional(),
  Priority: z.string().optional(),
  Actions: z
    .array(
      z.looseObject({
        Type: z.string().optional(),
        TargetGroupArn: z.string().optional(),
        ForwardConfig: z
          .looseObject({ TargetGroups: z.array(z.looseObject({ TargetGroupArn: z.string().optional(), Weight: z.number().optional() })).optional() })
          .optional(),
      }),
    )
    .optional(),
});

const targetGroupSchema = z.object({ label: z.enum(['blue', 'green']), arn: z.string(), fullName: z.string() });

const schema = z.object({
  region: z.string().min(1),
  /** When the lab's stack was created; deployments before it are not the learner's. */
  stackCreatedAt: z.string().nullable(),
  applicationName: z.string().min(1),
  deploymentGroupName: z.string().min(1),
  clusterName: z.string().min(1),
  serviceName: z.string().min(1),
  initialTaskDefinitionArn: z.string().startsWith('arn:'),
  loadBalancerFullName: z.string().min(1),
  productionListenerArn: z.string().startsWith('arn:'),
  targetGroups: z.array(targetGroupSchema).length(2),
  /** GetDeploymentGroup; null when the group no longer exists. */
  deploymentGroup: factSchema(deploymentGroupSchema.nullable()),
  /** GetDeploymentConfig of the group's configuration; null without a group. */
  deploymentConfig: factSchema(deploymentConfigSchema.nullable()),
  /** DescribeAlarms of the alarms named in the group's alarm configuration. */
  alarms: factSchema(z.array(alarmSchema)),
  /** ListDeployments of the group since the stack was created, then BatchGetDeployments; newest first. */
  deployments: factSchema(z.array(deploymentSchema)),
  /** BatchGetDeploymentTargets: the ECS target of the newest learner deployment; null without one. */
  deploymentTarget: factSchema(ecsTargetSchema.nullable()),
  /** DescribeServices of the lab service; null when it is gone. */
  service: factSchema(serviceSchema.nullable()),
  /** DescribeRules of the production listener, its default rule included. */
  productionRules: factSchema(z.array(ruleSchema)),
});

type TargetGroup = z.infer<typeof targetGroupSchema>;
type DeploymentGroup = z.infer<typeof deploymentGroupSchema>;
type EcsTarget = z.infer<typeof ecsTargetSchema>;
type Service = z.infer<typeof serviceSchema>;
type Rule = z.infer<typeof ruleSchema>;

/** What gather reads; each AWS read is a Fact so one failure only ERRORs the checks that need it. */
export interface CodeDeployBlueGreenFacts
  extends Omit<z.infer<typeof schema>, 'deploymentGroup' | 'deploymentConfig' | 'alarms' | 'deployments' | 'deploymentTarget' | 'service' | 'productionRules'> {
  readonly deploymentGroup: Fact<DeploymentGroup | null>;
  readonly deploymentConfig: Fact<DeploymentConfig | null>;
  readonly alarms: Fact<Alarm[]>;
  readonly deployments: Fact<Deployment[]>;
  readonly deploymentTarget: Fact<EcsTarget | null>;
  readonly service: Fact<Service | null>;
  readonly productionRules: Fact<Rule[]>;
}
type Facts = CodeDeployBlueGreenFacts;

// The schema validates error codes as strings, the facts type as the ErrorCode union; otherwise they are the same.
const factsSchema = schema as unknown as z.ZodType<CodeDeployBlueGreenFacts>;

export { MAX_DEPLOYMENTS };

// ---------------------------------------------------------------------------------------------
// Gather
// ---------------------------------------------------------------------------------------------

async function readDeploymentGroup(codedeploy: CodeDeployClient, applicationName: string, deploymentGroupName: string) {
  try {
    const out = await codedeploy.send(new GetDeploymentGroupCommand({ applicationName, deploymentGroupName }));
    return out.deploymentGroupInfo ? jsonified(out.deploymentGroupInfo) : null;
  } catch (error) {
    if (['DeploymentGroupDoesNotExistException', 'ApplicationDoesNotExistException'].includes(awsErrorName(error) ?? '')) return null;
    throw error;
  }
}

async function readDeployments(codedeploy: CodeDeployClient, facts: Pick<Facts, 'applicationName' | 'deploymentGroupName' | 'stackCreatedAt'>) {
  const ids = await allPages(
    async (nextToken) => {
      const page = await codedeploy.send(
        new ListDeploymentsCommand({
          applicationName: facts.applicationName,
          deploymentGroupName: facts.deploymentGroupName,
          ...(facts.stackCreatedAt ? { createTimeRange: { start: new Date(facts.stackCreatedAt) } } : {}),
          nextToken,
        }),
      );
      return { items: page.deployments, next: page.nextToken };
    },
    { stop: (items) => items.length >= MAX_DEPLOYMENTS },
  );
  return readDeploymentsByIds(codedeploy, ids);
}

/** The learner's deployments, newest first: CodeDeploy's own rollback deployments are not theirs. */
function learnerDeployments(facts: Facts): Deployment[] {
  return learnerDeploymentsSince(need(facts.deployments), facts.stackCreatedAt);
}

// ---------------------------------------------------------------------------------------------
// Judging helpers (pure)
// ---------------------------------------------------------------------------------------------

function groupWhere(facts: Facts): string {
  return `deployment group ${facts.deploymentGroupName} of application ${facts.applicationName} in ${facts.region}`;
}

const REDEPLOY_HINT = `The lab's deployment group is gone; run doplab destroy ${LAB_ID}, then doplab deploy ${LAB_ID}.`;

function groupGone(facts: Facts, expected: string): Verdict {
  return { status: 'FAIL', evidence: { observed: 'the deployment group does not exist', expected, where: groupWhere(facts) }, hint: REDEPLOY_HINT };
}

function isInFlight(d: Deployment): boolean {
  return IN_FLIGHT_STATUSES.includes(d.status ?? '');
}

/** Family and revision of a task definition ARN (`arn:aws:ecs:…:task-definition/family:3`). */
export function taskDefinitionRevision(arn: string | undefined): { family: string; revision: number } | undefined {
  const match = /task-definition\/([^:/]+):(\d+)$/.exec(arn ?? '');
  return match ? { family: match[1], revision: Number(match[2]) } : undefined;
}

/** The lab target group an ALB metric's dimensions point at, or the load balancer itself. */
function watchedLabResource(facts: Facts, metric: Metric | undefined): string | undefined {
  if (metric?.Namespace !== 'AWS/ApplicationELB') return undefined;
  const dims = metric.Dimensions ?? [];
  const group = facts.targetGroups.find((tg) => dims.some((d) => d.Name === 'TargetGroup' && d.Value === tg.fullName));
  if (group) return `the ${group.label} target group`;
  if (dims.some((d) => d.Name === 'LoadBalancer' && d.Value === facts.loadBalancerFullName)) return 'the load balancer';
  return undefined;
}

function alarmWatches(facts: Facts, alarm: Alarm): string | undefined {
  const direct = watchedLabResource(facts, alarm);
  if (direct) return `${alarm.MetricName} of ${direct}`;
  for (const query of alarm.Metrics ?? []) {
    const metric = query.MetricStat?.Metric;
    const watched = watchedLabResource(facts, metric);
    if (watched) return `${metric?.MetricName} of ${watched} (in metric math)`;
  }
  return undefined;
}


/** What a deployment's ECS target says about its progress: traffic weights and the lifecycle event under way. */
function progress(facts: Facts, deployment: Deployment): string {
  const parts: string[] = [];
  const target = facts.deploymentTarget.ok ? facts.deploymentTarget.value : null;
  if (target && target.deploymentId === deployment.deploymentId) {
    // CodeDeploy labels the original task set Blue and the replacement Green, whichever target group each is in.
    const role = (label: string | undefined) => (label === 'Blue' ? 'original' : label === 'Green' ? 'replacement' : 'task set');
    const sets = (target.taskSetsInfo ?? []).map((s) => `${role(s.taskSetLabel)} ${s.trafficWeight ?? 0}%`);
    if (sets.length > 0) parts.push(`production traffic ${sets.join(' / ')}`);
    const current = (target.lifecycleEvents ?? []).find((e) => e.status === 'InProgress');
    if (current?.lifecycleEventName) parts.push(`${current.lifecycleEventName} in progress`);
  }
  const overview = deployment.deploymentOverview;
  if (parts.length === 0 && overview) {
    parts.push(Object.entries(overview).map(([state, n]) => `${n} ${state}`).join(', ') + ' target(s)');
  }
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

function failureReason(d: Deployment): string {
  const error = d.errorInformation;
  const why = error ? `: ${error.code ?? 'error'}: ${error.message ?? ''}`.trimEnd() : '';
  const rollback = d.rollbackInfo?.rollbackDeploymentId
    ? `; rolled back by ${d.rollbackInfo.rollbackDeploymentId}${d.rollbackInfo.rollbackMessage ? ` (${d.rollbackInfo.rollbackMessage})` : ''}`
    : d.rollbackInfo?.rollbackMessage
      ? `; ${d.rollbackInfo.rollbackMessage}`
      : '';
  return `${why}${rollback}`;
}

function primaryTaskSet(facts: Facts) {
  const service = need(facts.service);
  if (!service) return undefined;
  return (service.taskSets ?? []).find((s) => s.status === 'PRIMARY');
}

function labelOf(facts: Facts, arn: string | undefined): string {
  const group = facts.targetGroups.find((tg) => tg.arn === arn);
  return group ? `the ${group.label} target group` : (arn ?? 'no target group');
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

const GRADUAL_EXPECTED = 'a canary or linear deployment configuration (TimeBasedCanary or TimeBasedLinear traffic routing), not all at once';

const trafficShiftingGradual: Check<Facts> = {
  id: 'traffic-shifting-gradual',
  title: 'The deployment group shifts traffic in steps (canary or linear)',
  points: 20,
  taskStatement: '1.4',
  hint:
    'The group moves all production traffic to the new task set in one step. CodeDeploy has predefined ECS ' +
    'configurations that move a small share first and the rest later; you can also create your own.',
  run(facts): Verdict {
    const group = need(facts.deploymentGroup);
    if (!group) return groupGone(facts, GRADUAL_EXPECTED);
    const config = need(facts.deploymentConfig);
    const name = group.deploymentConfigName ?? '(none)';
    const where = groupWhere(facts);
    const routing = config?.trafficRoutingConfig;
    const type = routing?.type ?? 'AllAtOnce';
    if (type === 'TimeBasedCanary') {
      const { canaryPercentage = 0, canaryInterval = 0 } = routing?.timeBasedCanary ?? {};
      const observed = `configuration ${name}: TimeBasedCanary, ${canaryPercentage}% first, the rest after ${canaryInterval} min`;
      if (canaryPercentage > 0 && canaryPercentage < 100) return { status: 'PASS', evidence: { observed, expected: GRADUAL_EXPECTED, where } };
      return { status: 'FAIL', evidence: { observed, expected: GRADUAL_EXPECTED, where }, hint: 'A canary step of 0% or 100% is no canary: choose a small first share.' };
    }
    if (type === 'TimeBasedLinear') {
      const { linearPercentage = 0, linearInterval = 0 } = routing?.timeBasedLinear ?? {};
      const observed = `configuration ${name}: TimeBasedLinear, ${linearPercentage}% every ${linearInterval} min`;
      if (linearPercentage > 0 && linearPercentage < 100) return { status: 'PASS', evidence: { observed, expected: GRADUAL_EXPECTED, where } };
      return { status: 'FAIL', evidence: { observed, expected: GRADUAL_EXPECTED, where }, hint: 'A linear step of 100% moves everything at once: choose a smaller step.' };
    }
    return { status: 'FAIL', evidence: { observed: `configuration ${name}: ${type} traffic routing`, expected: GRADUAL_EXPECTED, where } };
  },
};

const ALARM_EXPECTED = "alarm monitoring enabled on the group with an alarm on a load balancer metric of the lab's target groups (e.g. HTTPCode_Target_5XX_Count)";

const rollbackAlarm: Check<Facts> = {
  id: 'rollback-alarm',
  title: "The group watches an alarm on the lab's target groups",
  points: 20,
  taskStatement: '3.3',
  hint:
    'Create a CloudWatch alarm on the target groups\' 5xx responses (namespace AWS/ApplicationELB, dimensions TargetGroup and ' +
    'LoadBalancer: the stack outputs give their values), then add it to the deployment group\'s alarm configuration.',
  run(facts): Verdict {
    const group = need(facts.deploymentGroup);
    if (!group) return groupGone(facts, ALARM_EXPECTED);
    const where = groupWhere(facts);
    const config = group.alarmConfiguration;
    const names = (config?.alarms ?? []).map((a) => a.name ?? '').filter(Boolean);
    if (config?.enabled !== true || names.length === 0) {
      const observed = names.length > 0 ? `alarm monitoring is disabled (alarms listed: ${names.join(', ')})` : 'no alarm in the alarm configuration';
      return { status: 'FAIL', evidence: { observed, expected: ALARM_EXPECTED, where } };
    }
    const alarms = need(facts.alarms);
    const seen: string[] = [];
    for (const name of names) {
      const alarm = alarms.find((a) => a.AlarmName === name);
      if (!alarm) {
        seen.push(`"${name}" does not exist in CloudWatch`);
        continue;
      }
      const watches = alarmWatches(facts, alarm);
      if (watches) {
        return { status: 'PASS', evidence: { observed: `alarm "${name}" watches ${watches}`, expected: ALARM_EXPECTED, where } };
      }
      seen.push(`"${name}" watches ${describeMetric(alarm)}`);
    }
    const missing = seen.some((s) => s.endsWith('does not exist in CloudWatch'));
    return {
      status: 'FAIL',
      evidence: { observed: `no alarm of the group watches the lab's target groups: ${seen.join('; ')}`, expected: ALARM_EXPECTED, where },
      hint: missing
        ? 'CodeDeploy looks alarms up by name: create the alarm in CloudWatch with exactly the name the group lists.'
        : "The group's alarms watch something else; alarm on the load balancer metrics of the lab's target groups, whose dimensions the stack outputs give.",
    };
  },
};

const REQUIRED_EVENTS = ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] as const;
const ROLLBACK_EXPECTED = `automatic rollback enabled on ${REQUIRED_EVENTS.join(' and ')}`;

const autoRollback: Check<Facts> = {
  id: 'auto-rollback',
  title: 'The group rolls back automatically on failure and on alarm',
  points: 20,
  taskStatement: '3.3',
  hint: 'In the deployment group\'s rollback settings, roll back when a deployment fails and when an alarm threshold is met.',
  run(facts): Verdict {
    const group = need(facts.deploymentGroup);
    if (!group) return groupGone(facts, ROLLBACK_EXPECTED);
    const where = groupWhere(facts);
    const rollback = group.autoRollbackConfiguration;
    const events = rollback?.events ?? [];
    if (rollback?.enabled !== true) {
      return { status: 'FAIL', evidence: { observed: 'automatic rollback is disabled', expected: ROLLBACK_EXPECTED, where } };
    }
    const missing = REQUIRED_EVENTS.filter((e) => !events.includes(e));
    const observed = `rolls back on ${events.length > 0 ? events.join(', ') : 'no event'}${events.length === 1 ? ' only' : ''}`;
    if (missing.length === 0) return { status: 'PASS', evidence: { observed, expected: ROLLBACK_EXPECTED, where } };
    return { status: 'FAIL', evidence: { observed, expected: `${ROLLBACK_EXPECTED}; ${missing.join(' and ')} missing`, where } };
  },
};

const V2_EXPECTED = `a deployment created after the lab was deployed that Succeeded and left the service on a newer revision of ${TASK_FAMILY}`;

const versionTwoDeployed: Check<Facts> = {
  id: 'v2-deployed',
  title: 'A CodeDeploy deployment shipped a new task definition revision',
  points: 25,
  taskStatement: '1.1',
  hint:
    'Register a new revision of the lab\'s task definition family (e.g. with VERSION=2), then create a deployment in the ' +
    'lab\'s group whose AppSpec names that revision, the container and its port.',
  run(facts): Verdict {
    const where = groupWhere(facts);
    const deployments = learnerDeployments(facts);
    const latest = deployments[0];
    if (!latest) {
      const since = facts.stackCreatedAt ? ` since the lab was deployed (${facts.stackCreatedAt})` : '';
      return { status: 'FAIL', evidence: { observed: `no deployment in the group${since}`, expected: V2_EXPECTED, where } };
    }
    const status = latest.status ?? 'unknown';
    const head = `deployment ${latest.deploymentId} (created ${latest.createTime ?? '?'}) is ${status}`;
    if (isInFlight(latest)) {
      return {
        status: 'PENDING',
        evidence: { observed: `${head}${progress(facts, latest)}`, expected: `waiting for ${latest.deploymentId} to finish; ${V2_EXPECTED}`, where },
        hint: `CodeDeploy is still shifting traffic; doplab check ${LAB_ID} --wait 15m follows it to the end.`,
      };
    }
    if (status !== 'Succeeded') {
      const rolledBack = latest.rollbackInfo?.rollbackDeploymentId !== undefined;
      return {
        status: 'FAIL',
        evidence: { observed: `${head}${failureReason(latest)}`, expected: V2_EXPECTED, where },
        hint: rolledBack
          ? 'The deployment was rolled back: read its events in the CodeDeploy console (which lifecycle event failed, which alarm fired), fix the cause, and deploy again.'
          : 'Read the deployment\'s error in the CodeDeploy console; a task that never gets healthy, a wrong container name or port in the AppSpec, and a missing revision are the usual causes.',
      };
    }
    const initial = taskDefinitionRevision(facts.initialTaskDefinitionArn);
    const primary = primaryTaskSet(facts);
    const current = primary?.taskDefinition ?? need(facts.service)?.taskDefinition;
    const running = taskDefinitionRevision(current);
    const observed = `${head}; the service's primary task set runs ${current ?? 'no task definition'} (the lab started on ${facts.initialTaskDefinitionArn})`;
    if (running && initial && running.family === initial.family && running.revision > initial.revision) {
      return { status: 'PASS', evidence: { observed, expected: V2_EXPECTED, where } };
    }
    return {
      status: 'FAIL',
      evidence: { observed, expected: V2_EXPECTED, where },
      hint:
        running && initial && running.family !== initial.family
          ? `Ship a new revision of the lab's own family, ${TASK_FAMILY}, not another family.`
          : 'The deployment succeeded but redeployed the revision the lab started with; register a new revision and deploy that one.',
    };
  },
};

const PRODUCTION_EXPECTED = 'the production listener forwards all traffic to the target group of the task set running the new revision';

const productionServesNewVersion: Check<Facts> = {
  id: 'production-serves-new-version',
  title: 'Production traffic reaches the new version',
  points: 15,
  taskStatement: '1.4',
  dependsOn: ['v2-deployed'],
  hint: "CodeDeploy moves the production listener to the new task set's target group; if you changed the listener by hand, let a deployment own it again.",
  run(facts): Verdict {
    const where = `production listener ${facts.productionListenerArn}`;
    const serving = primaryTaskSet(facts)?.loadBalancers?.[0]?.targetGroupArn;
    const rules = need(facts.productionRules);
    const rule = rules.find((r) => r.IsDefault) ?? rules[0];
    const forward = (rule?.Actions ?? []).find((a) => a.Type === 'forward');
    const weights = forward?.ForwardConfig?.TargetGroups?.length
      ? forward.ForwardConfig.TargetGroups.map((tg) => ({ arn: tg.TargetGroupArn, weight: tg.Weight ?? 1 }))
      : forward?.TargetGroupArn
        ? [{ arn: forward.TargetGroupArn, weight: 1 }]
        : [];
    const total = weights.reduce((sum, w) => sum + w.weight, 0);
    const shares = weights.filter((w) => w.weight > 0).map((w) => `${Math.round((w.weight / (total || 1)) * 100)}% to ${labelOf(facts, w.arn)}`);
    const observed = `the default rule forwards ${shares.length > 0 ? shares.join(', ') : 'nowhere'}; the new task set is in ${labelOf(facts, serving)}`;
    const onlyServing = shares.length > 0 && weights.every((w) => w.weight === 0 || w.arn === serving);
    if (serving && onlyServing) return { status: 'PASS', evidence: { observed, expected: PRODUCTION_EXPECTED, where } };
    return { status: 'FAIL', evidence: { observed, expected: PRODUCTION_EXPECTED, where } };
  },
};

/** The lifecycle events an ECS deployment can run a validation hook in, before production traffic moves. */
export const VALIDATION_HOOKS = ['AfterAllowTestTraffic', 'BeforeAllowTraffic'] as const;
const HOOK_EXPECTED = `a Lambda hook for ${VALIDATION_HOOKS.join(' or ')} that ran and succeeded in the deployment`;

const validationHook: Check<Facts> = {
  id: 'validation-hook',
  title: 'A validation hook tested the new version before production traffic moved',
  points: 10,
  taskStatement: '1.4',
  optional: true,
  dependsOn: ['v2-deployed'],
  hint:
    `Name a Lambda function for ${VALIDATION_HOOKS.join(' or ')} in the AppSpec's Hooks; it calls the test listener and reports ` +
    'the result with PutLifecycleEventHookExecutionStatus (its role needs that permission).',
  run(facts): Verdict {
    const latest = learnerDeployments(facts)[0];
    const where = `deployment ${latest.deploymentId} in ${facts.region}`;
    const target = need(facts.deploymentTarget);
    if (!target || target.deploymentId !== latest.deploymentId) {
      return { status: 'FAIL', evidence: { observed: 'the deployment target (its lifecycle events) was not found', expected: HOOK_EXPECTED, where } };
    }
    const hooks = (target.lifecycleEvents ?? []).filter((e) => (VALIDATION_HOOKS as readonly string[]).includes(e.lifecycleEventName ?? ''));
    const observed = hooks.map((e) => `${e.lifecycleEventName} ${e.status ?? 'unknown'}`).join(', ') || 'no validation lifecycle event';
    if (hooks.some((e) => e.status === 'Succeeded')) return { status: 'PASS', evidence: { observed, expected: HOOK_EXPECTED, where } };
    if (hooks.length > 0 && hooks.every((e) => e.status === 'Skipped')) {
      return { status: 'FAIL', evidence: { observed: `${observed} (skipped: the AppSpec names no function for them)`, expected: HOOK_EXPECTED, where } };
    }
    return {
      status: 'FAIL',
      evidence: { observed, expected: HOOK_EXPECTED, where },
      hint: 'The hook ran but did not report Succeeded: a hook must call PutLifecycleEventHookExecutionStatus within an hour, and a Failed hook rolls the deployment back.',
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
    'codedeploy:GetDeploymentGroup',
    'codedeploy:GetDeploymentConfig',
    'codedeploy:ListDeployments',
    'codedeploy:BatchGetDeployments',
    'codedeploy:BatchGetDeploymentTargets',
    'cloudwatch:DescribeAlarms',
    'ecs:DescribeServices',
    'elasticloadbalancing:DescribeRules',
  ],
  factsSchema,
  async gather({ outputs, region, stackCreatedAt, client }): Promise<CodeDeployBlueGreenFacts> {
    const codedeploy = client(CodeDeployClient);
    const cloudwatch = client(CloudWatchClient);
    const ecs = client(ECSClient);
    const elbv2 = client(ElasticLoadBalancingV2Client);
    const base = {
      region,
      stackCreatedAt: stackCreatedAt ?? null,
      applicationName: outputs.applicationName,
      deploymentGroupName: outputs.deploymentGroupName,
      clusterName: outputs.clusterName,
      serviceName: outputs.serviceName,
      initialTaskDefinitionArn: outputs.initialTaskDefinitionArn,
      loadBalancerFullName: outputs.loadBalancerFullName,
      productionListenerArn: outputs.productionListenerArn,
      targetGroups: [
        { label: 'blue' as const, arn: outputs.blueTargetGroupArn, fullName: outputs.blueTargetGroupFullName },
        { label: 'green' as const, arn: outputs.greenTargetGroupArn, fullName: outputs.greenTargetGroupFullName },
      ] satisfies TargetGroup[],
    };

    const groupRead = readFact(() => readDeploymentGroup(codedeploy, base.applicationName, base.deploymentGroupName));
    // The group's configuration and alarms are read as soon as the group is known, alongside the other reads.
    const configRead = groupRead.then((group): Promise<Fact<DeploymentConfig | null>> => {
      if (!group.ok) return Promise.resolve(group);
      const name = group.value?.deploymentConfigName;
      if (!name) return Promise.resolve({ ok: true, value: null });
      return readFact(async () => {
        const info = (await codedeploy.send(new GetDeploymentConfigCommand({ deploymentConfigName: name }))).deploymentConfigInfo;
        return info ? jsonified(info) : null;
      });
    });
    const alarmsRead = groupRead.then((group): Promise<Fact<Alarm[]>> => {
      if (!group.ok) return Promise.resolve(group);
      const names = (group.value?.alarmConfiguration?.alarms ?? []).map((a) => a.name).filter((n): n is string => !!n);
      if (names.length === 0) return Promise.resolve({ ok: true, value: [] });
      return readFact(() => readMetricAlarms(cloudwatch, names));
    });
    const deploymentsRead = readFact(() => readDeployments(codedeploy, base));
    const targetRead = deploymentsRead.then((deployments): Promise<Fact<EcsTarget | null>> => {
      if (!deployments.ok) return Promise.resolve(deployments);
      const latest = deployments.value.find((d) => d.creator !== 'codeDeployRollback');
      if (!latest) return Promise.resolve({ ok: true, value: null });
      return readFact(async () => {
        const out = await codedeploy.send(
          new BatchGetDeploymentTargetsCommand({ deploymentId: latest.deploymentId, targetIds: [`${base.clusterName}:${base.serviceName}`] }),
        );
        const target = out.deploymentTargets?.[0]?.ecsTarget;
        return target ? jsonified(target) : null;
      });
    });
    const serviceRead = readFact(async () => {
      const out = await ecs.send(new DescribeServicesCommand({ cluster: base.clusterName, services: [base.serviceName] }));
      const service = out.services?.[0];
      if (!service || service.status === 'INACTIVE') return null;
      const { serviceName, status, taskDefinition, taskSets, desiredCount, runningCount } = service;
      const sets = (taskSets ?? []).map(({ id, taskSetArn, status: s, taskDefinition: td, runningCount: r, computedDesiredCount, loadBalancers, scale, stabilityStatus, createdAt }) => ({
        id, taskSetArn, status: s, taskDefinition: td, runningCount: r, computedDesiredCount, loadBalancers, scale, stabilityStatus, createdAt,
      }));
      return jsonified({ serviceName, status, taskDefinition, desiredCount, runningCount, taskSets: sets });
    });
    const rulesRead = readFact(async () => {
      const rules = await allPages(async (Marker) => {
        const page = await elbv2.send(new DescribeRulesCommand({ ListenerArn: base.productionListenerArn, Marker }));
        return { items: page.Rules, next: page.NextMarker };
      });
      return jsonified(rules);
    });

    const [deploymentGroup, deploymentConfig, alarms, deployments, deploymentTarget, service, productionRules] = await Promise.all([
      groupRead,
      configRead,
      alarmsRead,
      deploymentsRead,
      targetRead,
      serviceRead,
      rulesRead,
    ]);
    return { ...base, deploymentGroup, deploymentConfig, alarms, deployments, deploymentTarget, service, productionRules };
  },
  checks: [trafficShiftingGradual, rollbackAlarm, autoRollback, versionTwoDeployed, productionServesNewVersion, validationHook],
});
