// Reference solution of the scaling-self-healing lab, through the SDK: the group spread over both zones at 2–4 with
// ELB health checks, a target tracking policy on requests per target, a new template version rolled out by an
// instance refresh that keeps half the group healthy, then /break through the load balancer and the replacement
// waited for.
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DescribeScalingActivitiesCommand,
  PutScalingPolicyCommand,
  StartInstanceRefreshCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateVersionCommand, DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { awsErrorName } from '../../lib/aws/errors';
import { DoplabError } from '../../lib/errors';
import type { Solution, SolutionContext } from '../../lib/lab';
import { isElbReplacement } from '../../checkers/scaling-self-healing';
import { BREAK_PATH, MAX_SIZE, MIN_HEALTHY_PERCENT, MIN_SIZE, Outputs, REFRESH_IN_FLIGHT, STARTING_BANNER } from './contract';

/** What the solution sets. */
export const SOLUTION_GRACE_SECONDS = 120;
export const SOLUTION_POLICY_NAME = 'orders-requests-per-target';
export const SOLUTION_TARGET_REQUESTS = 100;
export const SOLUTION_BANNER = 'orders v2';
/** How often and how long the solution polls the group. */
export const POLL_MS = 15_000;
export const MAX_WAIT_MS = 30 * 60_000;

type Ctx = SolutionContext<typeof Outputs>;
type Sleep = (ms: number) => Promise<void>;
/** An HTTP GET that resolves with the status code. */
export type HttpGet = (url: string) => Promise<number>;

/** The solution, with a sleep and an HTTP client tests can replace. */
export async function solveWith(ctx: Ctx, sleep: Sleep, httpGet: HttpGet): Promise<void> {
  const autoscaling = ctx.client(AutoScalingClient);
  const ec2 = ctx.client(EC2Client);
  const o = ctx.outputs;
  const group = o.autoScalingGroupName;

  ctx.log(`Group ${group}: both subnets, ${MIN_SIZE}–${MAX_SIZE} instances, ELB health checks with a ${SOLUTION_GRACE_SECONDS} s grace period, on $Latest`);
  await autoscaling.send(
    new UpdateAutoScalingGroupCommand({
      AutoScalingGroupName: group,
      VPCZoneIdentifier: o.subnetIds,
      MinSize: MIN_SIZE,
      MaxSize: MAX_SIZE,
      DesiredCapacity: MIN_SIZE,
      HealthCheckType: 'ELB',
      HealthCheckGracePeriod: SOLUTION_GRACE_SECONDS,
      LaunchTemplate: { LaunchTemplateId: o.launchTemplateId, Version: '$Latest' },
    }),
  );

  const resourceLabel = `${o.loadBalancerFullName}/${o.targetGroupFullName}`;
  ctx.log(`Target tracking policy ${SOLUTION_POLICY_NAME}: ${SOLUTION_TARGET_REQUESTS} requests per target of ${resourceLabel}`);
  await autoscaling.send(
    new PutScalingPolicyCommand({
      AutoScalingGroupName: group,
      PolicyName: SOLUTION_POLICY_NAME,
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: resourceLabel },
        TargetValue: SOLUTION_TARGET_REQUESTS,
      },
    }),
  );
  await waitUntil(ctx, sleep, `${MIN_SIZE} healthy instances`, async () => healthyAtDesired(await describeGroup(autoscaling, group)));

  ctx.log(`Launch template ${o.launchTemplateId}: a new version with the banner "${SOLUTION_BANNER}"`);
  const current = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: o.launchTemplateId, Versions: ['$Latest'] }));
  const userData = current.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.UserData;
  if (!userData) throw new DoplabError('AWS_ERROR', 'environment', `Launch template ${o.launchTemplateId} has no user data to change.`);
  const script = Buffer.from(userData, 'base64').toString('utf8');
  const changed = script.includes(SOLUTION_BANNER) ? script.replace(SOLUTION_BANNER, `${SOLUTION_BANNER}.1`) : script.replace(STARTING_BANNER, SOLUTION_BANNER);
  const created = await ec2.send(
    new CreateLaunchTemplateVersionCommand({
      LaunchTemplateId: o.launchTemplateId,
      SourceVersion: '$Latest',
      VersionDescription: 'doplab solution: new banner',
      LaunchTemplateData: { UserData: Buffer.from(changed, 'utf8').toString('base64') },
    }),
  );
  ctx.log(`  version ${created.LaunchTemplateVersion?.VersionNumber ?? '?'}`);

  ctx.log(`Instance refresh keeping ${MIN_HEALTHY_PERCENT}% healthy`);
  await startRefresh(ctx, autoscaling, group, sleep);
  await waitUntil(ctx, sleep, 'the instance refresh', async () => {
    const latest = (await autoscaling.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: group, MaxRecords: 1 }))).InstanceRefreshes?.[0];
    if (!latest || REFRESH_IN_FLIGHT.includes(latest.Status ?? '')) return false;
    if (latest.Status !== 'Successful') throw new DoplabError('DEPLOY_FAILED', 'environment', `Instance refresh ${latest.InstanceRefreshId} ended ${latest.Status}: ${latest.StatusReason ?? 'no reason given'}`);
    return true;
  });
  await waitUntil(ctx, sleep, `${MIN_SIZE} healthy instances`, async () => healthyAtDesired(await describeGroup(autoscaling, group)));

  const started = new Date();
  ctx.log(`Breaking one instance: GET ${o.loadBalancerUrl}${BREAK_PATH}`);
  const status = await httpGet(`${o.loadBalancerUrl}${BREAK_PATH}`);
  if (status !== 200) throw new DoplabError('AWS_ERROR', 'environment', `GET ${BREAK_PATH} through the load balancer answered ${status}.`);
  await waitUntil(ctx, sleep, 'the replacement of the broken instance', async () => {
    const activities = (await autoscaling.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: group, MaxRecords: 20 }))).Activities ?? [];
    const replaced = activities.some((a) => isElbReplacement({ Description: a.Description, Cause: a.Cause }) && (a.StartTime ?? started) >= started);
    return replaced && healthyAtDesired(await describeGroup(autoscaling, group));
  });
  ctx.log('The group replaced the broken instance.');
}

export const solve: Solution<typeof Outputs> = (ctx) =>
  solveWith(
    ctx,
    (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    async (url) => (await fetch(url, { signal: AbortSignal.timeout(10_000) })).status,
  );

async function describeGroup(autoscaling: AutoScalingClient, name: string): Promise<AutoScalingGroup> {
  const found = (await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.[0];
  if (!found) throw new DoplabError('NOT_FOUND', 'environment', `Auto Scaling group ${name} is gone.`);
  return found;
}

function healthyAtDesired(group: AutoScalingGroup): boolean {
  const healthy = (group.Instances ?? []).filter((i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy').length;
  return healthy >= (group.DesiredCapacity ?? 0) && (group.Instances ?? []).length === healthy;
}

/** Starts the refresh; one already under way (a second run) is waited for first. */
async function startRefresh(ctx: Ctx, autoscaling: AutoScalingClient, group: string, sleep: Sleep): Promise<void> {
  for (let waited = 0; ; waited += POLL_MS) {
    try {
      await autoscaling.send(
        new StartInstanceRefreshCommand({ AutoScalingGroupName: group, Preferences: { MinHealthyPercentage: MIN_HEALTHY_PERCENT, InstanceWarmup: 60 } }),
      );
      return;
    } catch (error) {
      if (awsErrorName(error) !== 'InstanceRefreshInProgressFault' || waited >= MAX_WAIT_MS) throw error;
      ctx.log('  a refresh is already under way; waiting for it');
      await sleep(POLL_MS);
    }
  }
}

async function waitUntil(ctx: Ctx, sleep: Sleep, what: string, done: () => Promise<boolean>): Promise<void> {
  for (let waited = 0; waited <= MAX_WAIT_MS; waited += POLL_MS) {
    if (await done()) return;
    await sleep(POLL_MS);
  }
  throw new DoplabError('TIMEOUT', 'environment', `Gave up waiting for ${what} after ${MAX_WAIT_MS / 60_000} minutes.`);
}
