// Reference solution of the codedeploy-blue-green lab, through the SDK: alarms on both target groups, a canary
// group that rolls back on failure and on alarm, then version 2 shipped by a CodeDeploy deployment, waited for.
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  CodeDeployClient,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  UpdateDeploymentGroupCommand,
} from '@aws-sdk/client-codedeploy';
import { DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { LAB_TAG_KEY } from '../../lib/contract';
import { DoplabError } from '../../lib/errors';
import type { Solution, SolutionContext } from '../../lib/lab';
import { CONTAINER_NAME, CONTAINER_PORT, IN_FLIGHT_STATUSES, LAB_ID, Outputs, VERSION_VARIABLE } from './contract';

/** The canary configuration the solution chooses: 10% for 5 minutes, then the rest. */
export const SOLUTION_DEPLOYMENT_CONFIG = 'CodeDeployDefault.ECSCanary10Percent5Minutes';
/** The rollback events the solution enables. */
export const SOLUTION_ROLLBACK_EVENTS = ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] as const;
/** How often and how long the solution polls the deployment. */
export const POLL_MS = 15_000;
export const MAX_WAIT_MS = 30 * 60_000;

/** The alarm on one target group's 5xx responses; one per group, since blue and green swap roles every deployment. */
export function alarmName(label: 'blue' | 'green'): string {
  return `doplab-${LAB_ID}-${label}-target-5xx`;
}

type Outs = SolutionContext<typeof Outputs>['outputs'];

/** The solution, with a sleep tests can replace. */
export async function solveWith(ctx: SolutionContext<typeof Outputs>, sleep: (ms: number) => Promise<void>): Promise<void> {
  const cloudwatch = ctx.client(CloudWatchClient);
  const codedeploy = ctx.client(CodeDeployClient);
  const ecs = ctx.client(ECSClient);
  const o = ctx.outputs;

  for (const [label, fullName] of [['blue', o.blueTargetGroupFullName], ['green', o.greenTargetGroupFullName]] as const) {
    ctx.log(`Alarm "${alarmName(label)}": HTTPCode_Target_5XX_Count of ${fullName} ≥ 1 in a minute`);
    await cloudwatch.send(new PutMetricAlarmCommand(targetAlarm(o, label, fullName)));
  }

  ctx.log(`Deployment group ${o.deploymentGroupName}: ${SOLUTION_DEPLOYMENT_CONFIG}, alarms, rollback on ${SOLUTION_ROLLBACK_EVENTS.join(' and ')}`);
  await codedeploy.send(
    new UpdateDeploymentGroupCommand({
      applicationName: o.applicationName,
      currentDeploymentGroupName: o.deploymentGroupName,
      deploymentConfigName: SOLUTION_DEPLOYMENT_CONFIG,
      alarmConfiguration: { enabled: true, ignorePollAlarmFailure: false, alarms: [{ name: alarmName('blue') }, { name: alarmName('green') }] },
      autoRollbackConfiguration: { enabled: true, events: [...SOLUTION_ROLLBACK_EVENTS] },
    }),
  );

  // One deployment at a time per group: let one already under way finish first.
  const inFlight = await codedeploy.send(
    new ListDeploymentsCommand({ applicationName: o.applicationName, deploymentGroupName: o.deploymentGroupName, includeOnlyStatuses: [...IN_FLIGHT_STATUSES] as never }),
  );
  for (const id of inFlight.deployments ?? []) await waitFor(codedeploy, id, ctx, sleep, false);

  const current = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: o.initialTaskDefinitionArn }))).taskDefinition;
  if (!current) throw new DoplabError('AWS_ERROR', 'environment', `Task definition ${o.initialTaskDefinitionArn} not found.`);
  const registered = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: current.family,
      taskRoleArn: current.taskRoleArn,
      executionRoleArn: current.executionRoleArn,
      networkMode: current.networkMode,
      requiresCompatibilities: current.requiresCompatibilities,
      cpu: current.cpu,
      memory: current.memory,
      containerDefinitions: (current.containerDefinitions ?? []).map((c) => ({
        ...c,
        environment: [...(c.environment ?? []).filter((e) => e.name !== VERSION_VARIABLE), { name: VERSION_VARIABLE, value: '2' }],
      })),
      tags: [{ key: LAB_TAG_KEY, value: LAB_ID }],
    }),
  );
  const revision = registered.taskDefinition?.taskDefinitionArn;
  if (!revision) throw new DoplabError('AWS_ERROR', 'environment', 'RegisterTaskDefinition returned no task definition ARN.');
  ctx.log(`Registered ${revision} (${VERSION_VARIABLE}=2)`);

  const created = await codedeploy.send(
    new CreateDeploymentCommand({
      applicationName: o.applicationName,
      deploymentGroupName: o.deploymentGroupName,
      description: `doplab ${LAB_ID}: ship ${VERSION_VARIABLE}=2`,
      revision: { revisionType: 'AppSpecContent', appSpecContent: { content: appSpec(revision) } },
    }),
  );
  const id = created.deploymentId;
  if (!id) throw new DoplabError('AWS_ERROR', 'environment', 'CreateDeployment returned no deployment id.');
  await waitFor(codedeploy, id, ctx, sleep, true);
}

/** The AppSpec of an ECS deployment of `taskDefinitionArn`. */
export function appSpec(taskDefinitionArn: string): string {
  return JSON.stringify({
    // The AppSpec reference allows only the string "0.0"; the number 0.0 serializes as 0.
    version: '0.0',
    Resources: [
      {
        TargetService: {
          Type: 'AWS::ECS::Service',
          Properties: { TaskDefinition: taskDefinitionArn, LoadBalancerInfo: { ContainerName: CONTAINER_NAME, ContainerPort: CONTAINER_PORT } },
        },
      },
    ],
  });
}

function targetAlarm(o: Outs, label: 'blue' | 'green', targetGroupFullName: string) {
  return {
    AlarmName: alarmName(label),
    AlarmDescription: `5xx responses of the ${label} target group of doplab lab ${LAB_ID}; CodeDeploy rolls back when it fires.`,
    Namespace: 'AWS/ApplicationELB',
    MetricName: 'HTTPCode_Target_5XX_Count',
    Dimensions: [
      { Name: 'TargetGroup', Value: targetGroupFullName },
      { Name: 'LoadBalancer', Value: o.loadBalancerFullName },
    ],
    Statistic: 'Sum' as const,
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold' as const,
    // No requests means no datapoints, and no 5xx.
    TreatMissingData: 'notBreaching',
    Tags: [{ Key: LAB_TAG_KEY, Value: LAB_ID }],
  };
}

async function waitFor(
  codedeploy: CodeDeployClient,
  deploymentId: string,
  ctx: SolutionContext<typeof Outputs>,
  sleep: (ms: number) => Promise<void>,
  mustSucceed: boolean,
): Promise<void> {
  ctx.log(`Waiting for CodeDeploy deployment ${deploymentId} to finish (a canary takes 5 minutes and more)`);
  let last = '';
  for (let waited = 0; ; waited += POLL_MS) {
    const info = (await codedeploy.send(new GetDeploymentCommand({ deploymentId }))).deploymentInfo;
    const status = info?.status ?? 'unknown';
    if (status !== last) ctx.log(`  ${deploymentId}: ${status}`);
    last = status;
    if (!IN_FLIGHT_STATUSES.includes(status)) {
      if (status === 'Succeeded' || !mustSucceed) return;
      const why = info?.errorInformation?.message ? `: ${info.errorInformation.message}` : '';
      throw new DoplabError('DEPLOY_FAILED', 'environment', `CodeDeploy deployment ${deploymentId} ended ${status}${why}.`, {
        hint: `Look at the deployment in the CodeDeploy console, then run doplab check ${LAB_ID}.`,
      });
    }
    if (waited >= MAX_WAIT_MS) {
      throw new DoplabError('DEPLOY_FAILED', 'environment', `CodeDeploy deployment ${deploymentId} is still ${status} after ${MAX_WAIT_MS / 60_000} minutes.`, {
        hint: `Run doplab check ${LAB_ID} --wait 10m to follow it.`,
      });
    }
    await sleep(POLL_MS);
  }
}

export const solve: Solution<typeof Outputs> = (ctx) => solveWith(ctx, (ms) => new Promise((resolve) => setTimeout(resolve, ms)));
