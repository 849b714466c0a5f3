// Checker of the scaling-self-healing lab: SDK only (never aws-cdk-lib), read-only calls.
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DescribePoliciesCommand,
  DescribeScalingActivitiesCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, DescribeLaunchTemplatesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { awsErrorName } from '../lib/aws/errors';
import { defineChecker, type Check, type Verdict } from '../lib/checker';
import { factSchema, need, readFact, type Fact } from '../lib/facts';
import { allPages, byName, jsonified } from '../lib/sdk-facts';
import {
  DEFAULT_MIN_HEALTHY_PERCENT,
  LAB_ID,
  MAX_GRACE_SECONDS,
  MAX_SIZE,
  MIN_AZS,
  MIN_GRACE_SECONDS,
  MIN_HEALTHY_PERCENT,
  MIN_SIZE,
  Outputs,
  REFRESH_IN_FLIGHT,
  TARGET_RANGES,
} from '../labs/scaling-self-healing/contract';

// ---------------------------------------------------------------------------------------------
// Facts: loose schemas of the SDK shapes the checks read (everything else passes through), dates as ISO strings
// ---------------------------------------------------------------------------------------------

const templateRefSchema = z.looseObject({
  LaunchTemplateId: z.string().optional(),
  LaunchTemplateName: z.string().optional(),
  Version: z.string().optional(),
});

const groupSchema = z.looseObject({
  AutoScalingGroupName: z.string(),
  MinSize: z.number().optional(),
  MaxSize: z.number().optional(),
  DesiredCapacity: z.number().optional(),
  AvailabilityZones: z.array(z.string()).optional(),
  VPCZoneIdentifier: z.string().optional(),
  HealthCheckType: z.string().optional(),
  HealthCheckGracePeriod: z.number().optional(),
  LaunchTemplate: templateRefSchema.optional(),
  Instances: z
    .array(
      z.looseObject({
        InstanceId: z.string().optional(),
        AvailabilityZone: z.string().optional(),
        LifecycleState: z.string().optional(),
        HealthStatus: z.string().optional(),
        LaunchTemplate: templateRefSchema.optional(),
      }),
    )
    .optional(),
});

const policySchema = z.looseObject({
  PolicyName: z.string().optional(),
  PolicyType: z.string().optional(),
  Enabled: z.boolean().optional(),
  TargetTrackingConfiguration: z
    .looseObject({
      PredefinedMetricSpecification: z.looseObject({ PredefinedMetricType: z.string().optional(), ResourceLabel: z.string().optional() }).optional(),
      CustomizedMetricSpecification: z.looseObject({}).optional(),
      TargetValue: z.number().optional(),
      DisableScaleIn: z.boolean().optional(),
    })
    .optional(),
});

const refreshSchema = z.looseObject({
  InstanceRefreshId: z.string().optional(),
  Status: z.string().optional(),
  StatusReason: z.string().optional(),
  StartTime: z.string().optional(),
  EndTime: z.string().optional(),
  PercentageComplete: z.number().optional(),
  Preferences: z.looseObject({ MinHealthyPercentage: z.number().optional() }).optional(),
});

const activitySchema = z.looseObject({
  ActivityId: z.string().optional(),
  Description: z.string().optional(),
  Cause: z.string().optional(),
  StartTime: z.string().optional(),
  EndTime: z.string().optional(),
  StatusCode: z.string().optional(),
  StatusMessage: z.string().optional(),
});

const templateSchema = z.looseObject({
  LaunchTemplateId: z.string().optional(),
  LaunchTemplateName: z.string().optional(),
  DefaultVersionNumber: z.number().optional(),
  LatestVersionNumber: z.number().optional(),
});

/** A running or pending instance of the group and the template version it was launched from (its tag). */
const instanceSchema = z.object({ instanceId: z.string(), state: z.string().nullable(), templateVersion: z.string().nullable() });

const schema = z.object({
  region: z.string().min(1),
  /** When the lab's stack was created; activities and refreshes before it are not the learner's. */
  stackCreatedAt: z.string().nullable(),
  groupName: z.string().min(1),
  launchTemplateId: z.string().min(1),
  loadBalancerFullName: z.string().min(1),
  targetGroupFullName: z.string().min(1),
  /** DescribeAutoScalingGroups of the lab's group; null when it is gone. */
  group: factSchema(groupSchema.nullable()),
  /** DescribePolicies of the group. */
  policies: factSchema(z.array(policySchema)),
  /** DescribeInstanceRefreshes of the group, newest first (AWS keeps them for 6 weeks). */
  refreshes: factSchema(z.array(refreshSchema)),
  /** DescribeScalingActivities of the group, newest first, at most MAX_ACTIVITIES. */
  activities: factSchema(z.array(activitySchema)),
  /** DescribeLaunchTemplates of the lab's template: its latest and default version numbers; null when it is gone. */
  template: factSchema(templateSchema.nullable()),
  /** DescribeInstances of the group's pending and running instances, with their aws:ec2launchtemplate:version tag. */
  instances: factSchema(z.array(instanceSchema)),
});

type Group = z.infer<typeof groupSchema>;
type Policy = z.infer<typeof policySchema>;
type Refresh = z.infer<typeof refreshSchema>;
type Activity = z.infer<typeof activitySchema>;
type Template = z.infer<typeof templateSchema>;
type Instance = z.infer<typeof instanceSchema>;

/** What gather reads; each AWS read is a Fact so one failure only ERRORs the checks that need it. */
export interface ScalingSelfHealingFacts
  extends Omit<z.infer<typeof schema>, 'group' | 'policies' | 'refreshes' | 'activities' | 'template' | 'instances'> {
  readonly group: Fact<Group | null>;
  readonly policies: Fact<Policy[]>;
  readonly refreshes: Fact<Refresh[]>;
  readonly activities: Fact<Activity[]>;
  readonly template: Fact<Template | null>;
  readonly instances: Fact<Instance[]>;
}
type Facts = ScalingSelfHealingFacts;

// The schema validates error codes as strings, the facts type as the ErrorCode union; otherwise they are the same.
const factsSchema = schema as unknown as z.ZodType<ScalingSelfHealingFacts>;

/** Scaling activities read per gather at most (one page of 100: a lab's worth). */
export const MAX_ACTIVITIES = 100;
/** Instance refreshes read per gather at most. */
export const MAX_REFRESHES = 20;
/** ELB health-check replacements within LOOP_WINDOW_MS that count as replacing in a loop. */
export const LOOP_REPLACEMENTS = 3;
export const LOOP_WINDOW_MS = 30 * 60_000;

/** The tag EC2 puts on instances launched from a launch template: the version they were launched from. */
export const TEMPLATE_VERSION_TAG = 'aws:ec2launchtemplate:version';

// ---------------------------------------------------------------------------------------------
// Judging helpers (pure)
// ---------------------------------------------------------------------------------------------

function groupWhere(facts: Facts): string {
  return `Auto Scaling group ${facts.groupName} in ${facts.region}`;
}

function noGroup(facts: Facts, expected: string): Verdict {
  return {
    status: 'FAIL',
    evidence: { observed: 'the group does not exist', expected, where: groupWhere(facts) },
    hint: `The lab's group is gone: redeploy the lab (doplab deploy ${LAB_ID}).`,
  };
}

/** The availability zones the group launches into: its subnets' zones, as AWS reports them. */
function zonesOf(group: Group): string[] {
  return [...new Set(group.AvailabilityZones ?? [])].sort(byName);
}

function healthTypes(group: Group): string[] {
  return (group.HealthCheckType ?? 'EC2').split(',').map((t) => t.trim());
}

/** The learner's activities (since the stack was created), oldest first. */
function learnerActivities(facts: Facts): Activity[] {
  const since = facts.stackCreatedAt;
  return need(facts.activities)
    .filter((a) => !since || !a.StartTime || a.StartTime >= since)
    .sort((a, b) => byName(a.StartTime, b.StartTime));
}

/** True for a termination Auto Scaling made because the load balancer found the instance unhealthy. */
export function isElbReplacement(a: Activity): boolean {
  return /^Terminating EC2 instance/.test(a.Description ?? '') && /ELB system health check failure/i.test(a.Cause ?? '');
}

function isLaunch(a: Activity): boolean {
  return /^Launching a new EC2 instance/.test(a.Description ?? '');
}

const ACTIVITY_DONE = ['Successful', 'Failed', 'Cancelled'];

/** The most ELB replacements that started within LOOP_WINDOW_MS of each other. */
function densestReplacements(replacements: Activity[]): number {
  const times = replacements.map((a) => Date.parse(a.StartTime ?? '')).filter((t) => !Number.isNaN(t));
  let most = 0;
  for (let i = 0; i < times.length; i++) most = Math.max(most, times.filter((t) => t >= times[i] && t - times[i] <= LOOP_WINDOW_MS).length);
  return most;
}

function graceOf(group: Group): number {
  return group.HealthCheckGracePeriod ?? 0;
}

const LOOP_HINT =
  'Instances are being replaced in a loop: the health check grace period is shorter than an instance takes to boot and answer /health, ' +
  'so the load balancer reports it unhealthy before it is ready. Lengthen the grace period.';

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

const MULTI_AZ_EXPECTED = `subnets in at least ${MIN_AZS} Availability Zones, MinSize ≥ ${MIN_SIZE}, MaxSize ≤ ${MAX_SIZE}`;

const multiAz: Check<Facts> = {
  id: 'multi-az',
  title: 'The group spans two Availability Zones with at least two instances',
  points: 20,
  taskStatement: '3.1',
  hint: `Give the group the lab's subnet in each Availability Zone (the stack outputs SubnetIds), a minimum of ${MIN_SIZE} and a maximum of ${MAX_SIZE}.`,
  run(facts): Verdict {
    const group = need(facts.group);
    if (!group) return noGroup(facts, MULTI_AZ_EXPECTED);
    const zones = zonesOf(group);
    const observed = `${zones.length} Availability Zone${zones.length === 1 ? '' : 's'} (${zones.join(', ') || 'none'}), MinSize ${group.MinSize ?? '?'}, MaxSize ${group.MaxSize ?? '?'}`;
    const where = groupWhere(facts);
    if (zones.length < MIN_AZS) {
      return {
        status: 'FAIL',
        evidence: { observed, expected: MULTI_AZ_EXPECTED, where },
        hint: 'One Availability Zone is one failure domain: add the subnet of the other zone to the group (VPCZoneIdentifier), not just a larger size.',
      };
    }
    if ((group.MinSize ?? 0) < MIN_SIZE) {
      return {
        status: 'FAIL',
        evidence: { observed, expected: MULTI_AZ_EXPECTED, where },
        hint: `With a minimum of ${group.MinSize ?? 0}, the group may run in one zone only; a minimum of ${MIN_SIZE} keeps an instance in each.`,
      };
    }
    if ((group.MaxSize ?? 0) > MAX_SIZE) {
      return {
        status: 'FAIL',
        evidence: { observed, expected: MULTI_AZ_EXPECTED, where },
        hint: `Keep the maximum at ${MAX_SIZE}: the lab's budget pays for a few t4g.micro instances, not a fleet.`,
      };
    }
    return { status: 'PASS', evidence: { observed, expected: MULTI_AZ_EXPECTED, where } };
  },
};

const ELB_EXPECTED = `health check type ELB with a grace period of ${MIN_GRACE_SECONDS}–${MAX_GRACE_SECONDS} s`;

const elbHealthChecks: Check<Facts> = {
  id: 'elb-health-checks',
  title: "The group replaces instances the load balancer finds unhealthy",
  points: 20,
  taskStatement: '3.2',
  hint: 'EC2 status checks only see a broken machine, not a hung app: turn on the load balancer health checks for the group, with a grace period that covers boot.',
  run(facts): Verdict {
    const group = need(facts.group);
    if (!group) return noGroup(facts, ELB_EXPECTED);
    const types = healthTypes(group);
    const grace = graceOf(group);
    const observed = `health check type ${types.join(', ')}, grace period ${grace} s`;
    const where = groupWhere(facts);
    if (!types.includes('ELB')) return { status: 'FAIL', evidence: { observed, expected: ELB_EXPECTED, where } };
    if (grace < MIN_GRACE_SECONDS) {
      const loop = facts.activities.ok ? densestReplacements(learnerActivities(facts).filter(isElbReplacement)) : 0;
      return {
        status: 'FAIL',
        evidence: {
          observed: loop >= LOOP_REPLACEMENTS ? `${observed}; ${loop} instances replaced for failed ELB health checks within ${LOOP_WINDOW_MS / 60_000} minutes` : observed,
          expected: ELB_EXPECTED,
          where,
        },
        hint: loop >= LOOP_REPLACEMENTS ? LOOP_HINT : 'A grace period shorter than boot gets new instances replaced before they can answer /health; allow at least a minute.',
      };
    }
    if (grace > MAX_GRACE_SECONDS) {
      return {
        status: 'FAIL',
        evidence: { observed, expected: ELB_EXPECTED, where },
        hint: 'A long grace period leaves a broken new instance in service for that long; a couple of minutes covers this app\'s boot.',
      };
    }
    return { status: 'PASS', evidence: { observed, expected: ELB_EXPECTED, where } };
  },
};

function targetTrackingExpected(facts: Facts): string {
  const [lo, hi] = TARGET_RANGES.ALBRequestCountPerTarget;
  const [clo, chi] = TARGET_RANGES.ASGAverageCPUUtilization;
  return (
    `an enabled target tracking policy on ALBRequestCountPerTarget of ${facts.loadBalancerFullName}/${facts.targetGroupFullName} (target ${lo}–${hi}) ` +
    `or ASGAverageCPUUtilization (target ${clo}–${chi} %)`
  );
}

function describePolicy(p: Policy): string {
  const tt = p.TargetTrackingConfiguration;
  const metric = tt?.PredefinedMetricSpecification?.PredefinedMetricType ?? (tt?.CustomizedMetricSpecification ? 'a customized metric' : undefined);
  const label = tt?.PredefinedMetricSpecification?.ResourceLabel;
  return `${p.PolicyName ?? '?'} (${p.PolicyType ?? '?'}${metric ? ` on ${metric}` : ''}${label ? ` of ${label}` : ''}${tt?.TargetValue !== undefined ? `, target ${tt.TargetValue}` : ''}${p.Enabled === false ? ', disabled' : ''})`;
}

const targetTracking: Check<Facts> = {
  id: 'target-tracking',
  title: 'A target tracking policy scales the group with load',
  points: 20,
  taskStatement: '3.1',
  hint: 'Add a target tracking scaling policy to the group on a predefined metric: request count per target of the lab\'s target group, or average CPU.',
  run(facts): Verdict {
    const policies = need(facts.policies);
    const expected = targetTrackingExpected(facts);
    const where = groupWhere(facts);
    const observed = policies.length === 0 ? 'the group has no scaling policy' : `policies: ${policies.map(describePolicy).join('; ')}`;
    const tracking = policies.filter((p) => p.PolicyType === 'TargetTrackingScaling' && p.Enabled !== false);
    const label = `${facts.loadBalancerFullName}/${facts.targetGroupFullName}`;
    for (const p of tracking) {
      const spec = p.TargetTrackingConfiguration?.PredefinedMetricSpecification;
      const range = TARGET_RANGES[spec?.PredefinedMetricType ?? ''];
      const value = p.TargetTrackingConfiguration?.TargetValue;
      const labelOk = spec?.PredefinedMetricType !== 'ALBRequestCountPerTarget' || spec.ResourceLabel === label;
      if (range && labelOk && value !== undefined && value >= range[0] && value <= range[1]) {
        return { status: 'PASS', evidence: { observed: `policy ${describePolicy(p)}`, expected, where } };
      }
    }
    let hint: string | undefined;
    const predefined = tracking.map((p) => p.TargetTrackingConfiguration?.PredefinedMetricSpecification).filter((s) => s !== undefined);
    if (predefined.some((s) => s.PredefinedMetricType === 'ALBRequestCountPerTarget' && s.ResourceLabel !== label)) {
      hint = `The ResourceLabel must name the lab's load balancer and target group: app/<load balancer name>/<id>/targetgroup/<target group name>/<id> (${label}).`;
    } else if (tracking.length > 0 && predefined.length === 0) {
      hint = 'Use a predefined metric: AWS then names the right dimensions for you.';
    } else if (tracking.length > 0) {
      hint = 'Pick a target the group can reach: a request count per instance a t4g.micro serves comfortably, or an average CPU between 20 and 90 %.';
    } else if (policies.length > 0) {
      hint = 'Step and simple scaling need alarms you tune by hand; a target tracking policy keeps the metric at a target and creates its own alarms.';
    }
    return { status: 'FAIL', evidence: { observed, expected, where }, ...(hint ? { hint } : {}) };
  },
};

const REFRESH_EXPECTED =
  `a Successful instance refresh with MinHealthyPercentage ≥ ${MIN_HEALTHY_PERCENT}, and every in-service instance launched from the template's latest version (above 1)`;

function minHealthy(r: Refresh): { value: number; text: string } {
  const set = r.Preferences?.MinHealthyPercentage;
  return set === undefined
    ? { value: DEFAULT_MIN_HEALTHY_PERCENT, text: `MinHealthyPercentage not set (AWS's default, ${DEFAULT_MIN_HEALTHY_PERCENT})` }
    : { value: set, text: `MinHealthyPercentage ${set}` };
}

function refreshHead(r: Refresh): string {
  return `refresh ${r.InstanceRefreshId ?? '?'} (started ${r.StartTime ?? '?'}) is ${r.Status ?? '?'}${r.StatusReason ? `: ${r.StatusReason}` : ''}; ${minHealthy(r).text}`;
}

const instanceRefresh: Check<Facts> = {
  id: 'instance-refresh',
  title: 'A new template version rolled out through an instance refresh that kept half the group healthy',
  points: 20,
  taskStatement: '3.1',
  hint: 'Create a new version of the lab\'s launch template (a changed banner in the user data), then start an instance refresh that keeps at least half the group healthy.',
  run(facts): Verdict {
    const group = need(facts.group);
    if (!group) return noGroup(facts, REFRESH_EXPECTED);
    const template = need(facts.template);
    const since = facts.stackCreatedAt;
    const refreshes = need(facts.refreshes)
      .filter((r) => !since || !r.StartTime || r.StartTime >= since)
      .sort((a, b) => byName(b.StartTime, a.StartTime));
    const where = `${groupWhere(facts)} and launch template ${facts.launchTemplateId}`;
    const latest = template?.LatestVersionNumber;
    const pinned = group.LaunchTemplate?.Version;
    const pinnedBehind = pinned !== undefined && /^\d+$/.test(pinned) && latest !== undefined && Number(pinned) < latest;
    const inFlight = refreshes.find((r) => REFRESH_IN_FLIGHT.includes(r.Status ?? ''));
    if (inFlight) {
      return {
        status: 'PENDING',
        evidence: {
          observed: `${refreshHead(inFlight)}, ${inFlight.PercentageComplete ?? 0}% complete`,
          expected: `waiting for the refresh; ${REFRESH_EXPECTED}`,
          where,
        },
        hint: `doplab check ${LAB_ID} --wait 15m follows it.`,
      };
    }
    const done = refreshes.find((r) => r.Status === 'Successful');
    if (!done) {
      const last = refreshes[0];
      return {
        status: 'FAIL',
        evidence: { observed: last ? refreshHead(last) : 'no instance refresh since the lab was deployed', expected: REFRESH_EXPECTED, where },
        hint: last
          ? 'The refresh did not finish: its status reason says why; start another once the cause is fixed.'
          : pinnedBehind
            ? `The group is pinned to version ${pinned} while the template is at ${latest}: new versions never reach it. Point the group at $Latest (or the new version) and refresh.`
            : instanceRefresh.hint,
      };
    }
    const healthy = minHealthy(done);
    if (healthy.value < MIN_HEALTHY_PERCENT) {
      return {
        status: 'FAIL',
        evidence: { observed: refreshHead(done), expected: REFRESH_EXPECTED, where },
        hint: `A refresh with MinHealthyPercentage ${healthy.value} may take every instance out at once: the app goes dark while the new ones boot. Keep at least ${MIN_HEALTHY_PERCENT}.`,
      };
    }
    if (latest === undefined || latest < 2) {
      return {
        status: 'FAIL',
        evidence: { observed: `${refreshHead(done)}; the template has only version ${latest ?? '?'}`, expected: REFRESH_EXPECTED, where },
        hint: 'The refresh replaced instances with the same version: create a new launch template version first (a changed banner), then refresh.',
      };
    }
    const instances = need(facts.instances).filter((i) => i.state === 'running');
    const inService = new Set((group.Instances ?? []).filter((i) => i.LifecycleState === 'InService').map((i) => i.InstanceId));
    const serving = instances.filter((i) => inService.has(i.instanceId));
    const stale = serving.filter((i) => i.templateVersion !== String(latest));
    const versions = serving.map((i) => `${i.instanceId} on version ${i.templateVersion ?? '?'}`).join(', ') || 'no in-service instance';
    const observed = `${refreshHead(done)}; template latest version ${latest}; ${versions}`;
    if (serving.length > 0 && stale.length === 0) return { status: 'PASS', evidence: { observed, expected: REFRESH_EXPECTED, where } };
    return {
      status: 'FAIL',
      evidence: { observed, expected: REFRESH_EXPECTED, where },
      hint: pinnedBehind
        ? `The group is pinned to version ${pinned} while the template is at ${latest}: a refresh relaunches the pinned version. Point the group at $Latest (or the new version) and refresh again.`
        : 'Some instances still run an older version (made after the refresh, or the refresh skipped matching instances): refresh again once the group uses the latest version.',
    };
  },
};

const HEALED_EXPECTED =
  'a termination for a failed ELB health check since the lab was deployed, followed by a successful launch, and the group back at its desired count of healthy in-service instances';

const selfHealed: Check<Facts> = {
  id: 'self-healed',
  title: 'The group replaced an instance whose app broke',
  points: 20,
  taskStatement: '3.2',
  hint: 'Once the group uses ELB health checks, open /break through the load balancer and watch the group\'s activity history.',
  run(facts): Verdict {
    const group = need(facts.group);
    if (!group) return noGroup(facts, HEALED_EXPECTED);
    const where = groupWhere(facts);
    const activities = learnerActivities(facts);
    const replacements = activities.filter(isElbReplacement);
    const last = replacements.at(-1);
    if (!last) {
      return {
        status: 'FAIL',
        evidence: { observed: 'no instance terminated for a failed ELB health check since the lab was deployed', expected: HEALED_EXPECTED, where },
        ...(healthTypes(group).includes('ELB')
          ? {}
          : { hint: 'The group uses EC2 status checks only: a hung app passes them, so nothing is ever replaced. Turn on ELB health checks first, then open /break.' }),
      };
    }
    const head = `${last.Description ?? 'termination'} at ${last.StartTime ?? '?'} (${last.StatusCode ?? '?'})`;
    const loop = densestReplacements(replacements);
    if (loop >= LOOP_REPLACEMENTS && graceOf(group) < MIN_GRACE_SECONDS) {
      return {
        status: 'FAIL',
        evidence: { observed: `${loop} instances replaced for failed ELB health checks within ${LOOP_WINDOW_MS / 60_000} minutes; last: ${head}`, expected: HEALED_EXPECTED, where },
        hint: LOOP_HINT,
      };
    }
    const launch = activities.find((a) => isLaunch(a) && byName(a.StartTime, last.StartTime) >= 0);
    const running = !ACTIVITY_DONE.includes(last.StatusCode ?? '') || (launch !== undefined && !ACTIVITY_DONE.includes(launch.StatusCode ?? ''));
    const desired = group.DesiredCapacity ?? 0;
    const healthy = (group.Instances ?? []).filter((i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy').length;
    const observed = `${head}; ${launch ? `then ${launch.Description ?? 'a launch'} (${launch.StatusCode ?? '?'})` : 'no launch after it yet'}; ${healthy} of ${desired} desired instances healthy and in service`;
    if (running || !launch) {
      return {
        status: 'PENDING',
        evidence: { observed, expected: `waiting for the replacement; ${HEALED_EXPECTED}`, where },
        hint: `The group is replacing the instance; doplab check ${LAB_ID} --wait 10m follows it.`,
      };
    }
    if (launch.StatusCode !== 'Successful') {
      return {
        status: 'FAIL',
        evidence: { observed: `${observed}${launch.StatusMessage ? `: ${launch.StatusMessage}` : ''}`, expected: HEALED_EXPECTED, where },
        hint: 'The replacement failed to launch: its status message says why (a template version that cannot launch, a subnet without room).',
      };
    }
    if (healthy < desired) {
      return {
        status: 'PENDING',
        evidence: { observed, expected: `waiting for the new instance to pass its health checks; ${HEALED_EXPECTED}`, where },
        hint: `The new instance is booting; doplab check ${LAB_ID} --wait 10m follows it.`,
      };
    }
    return { status: 'PASS', evidence: { observed, expected: HEALED_EXPECTED, where } };
  },
};

// ---------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------

export const checker = defineChecker({
  labId: LAB_ID,
  outputs: Outputs,
  actions: [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:DescribePolicies',
    'autoscaling:DescribeInstanceRefreshes',
    'autoscaling:DescribeScalingActivities',
    'ec2:DescribeLaunchTemplates',
    'ec2:DescribeInstances',
  ],
  factsSchema,
  async gather({ outputs, region, stackCreatedAt, client }): Promise<ScalingSelfHealingFacts> {
    const autoscaling = client(AutoScalingClient);
    const ec2 = client(EC2Client);
    const groupName = outputs.autoScalingGroupName;
    const base = {
      region,
      stackCreatedAt: stackCreatedAt ?? null,
      groupName,
      launchTemplateId: outputs.launchTemplateId,
      loadBalancerFullName: outputs.loadBalancerFullName,
      targetGroupFullName: outputs.targetGroupFullName,
    };
    // Every read needs only the outputs: one round trip after DescribeStacks.
    const [group, policies, refreshes, activities, template, instances] = await Promise.all([
      readFact(async () => {
        const out = await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }));
        const found = (out.AutoScalingGroups ?? []).find((g) => g.AutoScalingGroupName === groupName);
        return found ? (jsonified(found) as Group) : null;
      }),
      readFact(async () => {
        const items = await allPages(async (NextToken) => {
          const page = await autoscaling.send(new DescribePoliciesCommand({ AutoScalingGroupName: groupName, NextToken }));
          return { items: page.ScalingPolicies, next: page.NextToken };
        });
        return (jsonified(items) as Policy[]).sort((a, b) => byName(a.PolicyName, b.PolicyName));
      }),
      readFact(async () => {
        const out = await autoscaling.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: groupName, MaxRecords: MAX_REFRESHES }));
        return jsonified(out.InstanceRefreshes ?? []) as Refresh[];
      }),
      readFact(async () => {
        const out = await autoscaling.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: groupName, MaxRecords: MAX_ACTIVITIES }));
        return jsonified(out.Activities ?? []) as Activity[];
      }),
      readFact(async () => {
        try {
          const out = await ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [base.launchTemplateId] }));
          const found = out.LaunchTemplates?.[0];
          return found ? (jsonified(found) as Template) : null;
        } catch (error) {
          if (awsErrorName(error) === 'InvalidLaunchTemplateId.NotFound') return null;
          throw error;
        }
      }),
      readFact(async () => {
        const reservations = await allPages(async (NextToken) => {
          const page = await ec2.send(
            new DescribeInstancesCommand({
              Filters: [
                { Name: 'tag:aws:autoscaling:groupName', Values: [groupName] },
                { Name: 'instance-state-name', Values: ['pending', 'running'] },
              ],
              NextToken,
            }),
          );
          return { items: page.Reservations, next: page.NextToken };
        });
        return reservations
          .flatMap((r) => r.Instances ?? [])
          .map((i) => ({
            instanceId: i.InstanceId ?? '?',
            state: i.State?.Name ?? null,
            templateVersion: i.Tags?.find((t) => t.Key === TEMPLATE_VERSION_TAG)?.Value ?? null,
          }))
          .sort((a, b) => byName(a.instanceId, b.instanceId));
      }),
    ]);
    return { ...base, group, policies, refreshes, activities, template, instances };
  },
  checks: [multiAz, elbHealthChecks, targetTracking, instanceRefresh, selfHealed],
});
