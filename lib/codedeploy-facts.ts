// The CodeDeploy reads that the deployment labs' checkers share (codedeploy-blue-green on ECS, lambda-canary on
// Lambda): loose schemas of what their checks read, the deployments by id in batches, newest first, the learner's
// own among them, and the deployment group's alarms. SDK only, read-only calls; no aws-cdk-lib.
import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { BatchGetDeploymentsCommand, type CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { z } from 'zod';
import { byName, jsonified } from './sdk-facts';

const dimensionSchema = z.looseObject({ Name: z.string().optional(), Value: z.string().optional() });
export const metricSchema = z.looseObject({
  Namespace: z.string().optional(),
  MetricName: z.string().optional(),
  Dimensions: z.array(dimensionSchema).optional(),
});

export const deploymentConfigSchema = z.looseObject({
  deploymentConfigName: z.string().optional(),
  computePlatform: z.string().optional(),
  trafficRoutingConfig: z
    .looseObject({
      type: z.string().optional(),
      timeBasedCanary: z.looseObject({ canaryPercentage: z.number().optional(), canaryInterval: z.number().optional() }).optional(),
      timeBasedLinear: z.looseObject({ linearPercentage: z.number().optional(), linearInterval: z.number().optional() }).optional(),
    })
    .optional(),
});

export const alarmSchema = z.looseObject({
  AlarmName: z.string().optional(),
  StateValue: z.string().optional(),
  ...metricSchema.shape,
  Metrics: z.array(z.looseObject({ Id: z.string().optional(), MetricStat: z.looseObject({ Metric: metricSchema.optional() }).optional() })).optional(),
});

/** BatchGetDeployments' deploymentInfo: what either lab reads of it. */
export const deploymentSchema = z.looseObject({
  deploymentId: z.string(),
  deploymentGroupName: z.string().optional(),
  status: z.string().optional(),
  creator: z.string().optional(),
  createTime: z.string().optional(),
  completeTime: z.string().optional(),
  deploymentConfigName: z.string().optional(),
  revision: z
    .looseObject({
      revisionType: z.string().optional(),
      appSpecContent: z.looseObject({ content: z.string().optional() }).optional(),
      string: z.looseObject({ content: z.string().optional() }).optional(),
    })
    .optional(),
  errorInformation: z.looseObject({ code: z.string().optional(), message: z.string().optional() }).optional(),
  rollbackInfo: z
    .looseObject({ rollbackDeploymentId: z.string().optional(), rollbackTriggeringDeploymentId: z.string().optional(), rollbackMessage: z.string().optional() })
    .optional(),
  deploymentOverview: z.record(z.string(), z.number()).optional(),
});

export type Metric = z.infer<typeof metricSchema>;
export type Alarm = z.infer<typeof alarmSchema>;
export type DeploymentConfig = z.infer<typeof deploymentConfigSchema>;
export type Deployment = z.infer<typeof deploymentSchema>;

/** Deployments read per gather at most (two BatchGetDeployments calls); a learner rarely makes more than a few. */
export const MAX_DEPLOYMENTS = 50;

/** The deployments of `ids` (the first MAX_DEPLOYMENTS), 25 per BatchGetDeployments call, newest first. */
export async function readDeploymentsByIds(codedeploy: CodeDeployClient, ids: readonly string[]): Promise<Deployment[]> {
  const wanted = ids.slice(0, MAX_DEPLOYMENTS);
  const batches: string[][] = [];
  for (let i = 0; i < wanted.length; i += 25) batches.push(wanted.slice(i, i + 25));
  const infos = await Promise.all(
    batches.map(async (deploymentIds) => (await codedeploy.send(new BatchGetDeploymentsCommand({ deploymentIds }))).deploymentsInfo ?? []),
  );
  return newestFirst(jsonified(infos.flat()) as Deployment[]);
}

export function newestFirst(deployments: readonly Deployment[]): Deployment[] {
  return [...deployments].sort((a, b) => byName(b.createTime, a.createTime) || byName(a.deploymentId, b.deploymentId));
}

/** The learner's deployments since the lab's stack was created, newest first: CodeDeploy's own rollback deployments are not theirs. */
export function learnerDeployments(deployments: readonly Deployment[], since: string | null): Deployment[] {
  return newestFirst(deployments).filter((d) => d.creator !== 'codeDeployRollback' && (!since || !d.createTime || d.createTime >= since));
}

/** The metric an alarm watches, for evidence: namespace, name and dimensions, or the first metric of its math. */
export function describeMetric(alarm: Alarm): string {
  const metric = alarm.MetricName ? alarm : alarm.Metrics?.find((q) => q.MetricStat?.Metric)?.MetricStat?.Metric;
  if (!metric) return 'a metric math expression';
  const dims = (metric.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(', ');
  return `${metric.Namespace ?? '?'} ${metric.MetricName ?? '?'}${dims ? ` (${dims})` : ''}`;
}

/** The metric alarms of these names (a deployment group names at most 10; DescribeAlarms takes 100). */
export async function readMetricAlarms(cloudwatch: CloudWatchClient, names: readonly string[]): Promise<Alarm[]> {
  const out = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names.slice(0, 100), AlarmTypes: ['MetricAlarm'] }));
  return jsonified(out.MetricAlarms ?? []) as Alarm[];
}
