// Reference solution of the lambda-canary lab, through the SDK: an alarm on the alias's errors, a canary deployment
// group that rolls back on failure and on alarm, then release 2 and release 3 through CodeDeploy with the provided
// hook, each waited for; release 3 must end rolled back.
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  CodeDeployClient,
  CreateDeploymentCommand,
  CreateDeploymentGroupCommand,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  UpdateDeploymentGroupCommand,
  type DeploymentInfo,
} from '@aws-sdk/client-codedeploy';
import { GetAliasCommand, GetFunctionConfigurationCommand, LambdaClient, PublishVersionCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { awsErrorName } from '../../lib/aws/errors';
import { LAB_TAG_KEY } from '../../lib/contract';
import { DoplabError } from '../../lib/errors';
import type { Solution, SolutionContext } from '../../lib/lab';
import { BAD_RELEASE, GOOD_RELEASE, IN_FLIGHT_STATUSES, LAB_ID, Outputs, RELEASE_VARIABLE } from './contract';

/** The deployment group the solution creates. */
export const SOLUTION_GROUP_NAME = 'pricing-canary';
/** The canary configuration the solution chooses: 10% for 5 minutes, then the rest. */
export const SOLUTION_DEPLOYMENT_CONFIG = 'CodeDeployDefault.LambdaCanary10Percent5Minutes';
/** The alarm on the alias's errors. */
export const SOLUTION_ALARM_NAME = `doplab-${LAB_ID}-live-errors`;
/** How often and how long the solution polls a function update and a deployment. */
export const POLL_MS = 15_000;
export const MAX_WAIT_MS = 30 * 60_000;

type Ctx = SolutionContext<typeof Outputs>;
type Sleep = (ms: number) => Promise<void>;

/** The solution, with a sleep tests can replace. */
export async function solveWith(ctx: Ctx, sleep: Sleep): Promise<void> {
  const cloudwatch = ctx.client(CloudWatchClient);
  const codedeploy = ctx.client(CodeDeployClient);
  const lambda = ctx.client(LambdaClient);
  const o = ctx.outputs;

  ctx.log(`Alarm "${SOLUTION_ALARM_NAME}": Errors of ${o.functionName}:${o.aliasName} ≥ 1 in a minute`);
  await cloudwatch.send(new PutMetricAlarmCommand(aliasErrorsAlarm(o)));

  const group = {
    applicationName: o.applicationName,
    deploymentConfigName: SOLUTION_DEPLOYMENT_CONFIG,
    serviceRoleArn: o.serviceRoleArn,
    alarmConfiguration: { enabled: true, ignorePollAlarmFailure: false, alarms: [{ name: SOLUTION_ALARM_NAME }] },
    autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE' as const, 'DEPLOYMENT_STOP_ON_ALARM' as const] },
    deploymentStyle: { deploymentType: 'BLUE_GREEN' as const, deploymentOption: 'WITH_TRAFFIC_CONTROL' as const },
  };
  ctx.log(`Deployment group ${SOLUTION_GROUP_NAME}: ${SOLUTION_DEPLOYMENT_CONFIG}, alarm ${SOLUTION_ALARM_NAME}, rollback on failure and alarm`);
  try {
    await codedeploy.send(new CreateDeploymentGroupCommand({ ...group, deploymentGroupName: SOLUTION_GROUP_NAME, tags: [{ Key: LAB_TAG_KEY, Value: LAB_ID }] }));
  } catch (error) {
    if (awsErrorName(error) !== 'DeploymentGroupAlreadyExistsException') throw error;
    // A second run: bring the existing group to the same settings.
    await codedeploy.send(new UpdateDeploymentGroupCommand({ ...group, currentDeploymentGroupName: SOLUTION_GROUP_NAME }));
  }

  // One deployment at a time per group: let one already under way finish first.
  const inFlight = await codedeploy.send(
    new ListDeploymentsCommand({ applicationName: o.applicationName, deploymentGroupName: SOLUTION_GROUP_NAME, includeOnlyStatuses: [...IN_FLIGHT_STATUSES] as never }),
  );
  for (const id of inFlight.deployments ?? []) await waitForDeployment(codedeploy, id, ctx, sleep);

  const good = await release(ctx, lambda, codedeploy, GOOD_RELEASE, sleep);
  if (good.status !== 'Succeeded') {
    throw new DoplabError('DEPLOY_FAILED', 'environment', `Release ${GOOD_RELEASE} (${good.deploymentId}) ended ${good.status}${reason(good)}.`, {
      hint: `Look at the deployment in the CodeDeploy console, then run doplab check ${LAB_ID}.`,
    });
  }

  const bad = await release(ctx, lambda, codedeploy, BAD_RELEASE, sleep);
  const rollbackId = bad.rollbackInfo?.rollbackDeploymentId;
  if (bad.status === 'Succeeded' || !rollbackId) {
    throw new DoplabError('DEPLOY_FAILED', 'environment', `Release ${BAD_RELEASE} (${bad.deploymentId}) ended ${bad.status}${reason(bad)} without a rollback.`, {
      hint: `Is the traffic generator running? Check the alarm ${SOLUTION_ALARM_NAME}, then run doplab check ${LAB_ID}.`,
    });
  }
  ctx.log(`Release ${BAD_RELEASE} ended ${bad.status}${reason(bad)}; waiting for rollback ${rollbackId}`);
  await waitForDeployment(codedeploy, rollbackId, ctx, sleep);
}

/** Publishes a version of the function running `release` and deploys it with the hook; resolves when it ends. */
async function release(ctx: Ctx, lambda: LambdaClient, codedeploy: CodeDeployClient, releaseName: string, sleep: Sleep): Promise<DeploymentInfo> {
  const o = ctx.outputs;
  const current = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: o.functionName }));
  const variables = { ...(current.Environment?.Variables ?? {}), [RELEASE_VARIABLE]: releaseName };
  await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: o.functionName, Environment: { Variables: variables } }));
  await waitForUpdate(lambda, o.functionName, sleep);
  const published = await lambda.send(new PublishVersionCommand({ FunctionName: o.functionName, Description: `release ${releaseName}` }));
  const version = published.Version;
  if (!version) throw new DoplabError('AWS_ERROR', 'environment', 'PublishVersion returned no version.');
  const alias = await lambda.send(new GetAliasCommand({ FunctionName: o.functionName, Name: o.aliasName }));
  const from = alias.FunctionVersion;
  if (!from) throw new DoplabError('AWS_ERROR', 'environment', `Alias ${o.aliasName} of ${o.functionName} points to no version.`);
  ctx.log(`Published version ${version} (${RELEASE_VARIABLE}=${releaseName}); releasing ${o.aliasName} ${from} → ${version}`);

  const created = await codedeploy.send(
    new CreateDeploymentCommand({
      applicationName: o.applicationName,
      deploymentGroupName: SOLUTION_GROUP_NAME,
      description: `doplab ${LAB_ID}: release ${RELEASE_VARIABLE}=${releaseName}`,
      revision: { revisionType: 'AppSpecContent', appSpecContent: { content: appSpec(o.functionName, o.aliasName, from, version, o.hookFunctionName) } },
    }),
  );
  const id = created.deploymentId;
  if (!id) throw new DoplabError('AWS_ERROR', 'environment', 'CreateDeployment returned no deployment id.');
  return waitForDeployment(codedeploy, id, ctx, sleep);
}

/** The AppSpec of a Lambda deployment moving `alias` from `current` to `target`, with the hook before traffic. */
export function appSpec(functionName: string, alias: string, current: string, target: string, hook: string): string {
  return JSON.stringify({
    // The AppSpec reference allows only the string "0.0".
    version: '0.0',
    Resources: [{ pricing: { Type: 'AWS::Lambda::Function', Properties: { Name: functionName, Alias: alias, CurrentVersion: current, TargetVersion: target } } }],
    Hooks: [{ BeforeAllowTraffic: hook }],
  });
}

/** The alarm on the alias's errors: one error in a minute fires it; no invocations is no error. */
export function aliasErrorsAlarm(o: Ctx['outputs']) {
  return {
    AlarmName: SOLUTION_ALARM_NAME,
    AlarmDescription: `Errors of ${o.functionName}:${o.aliasName} (doplab lab ${LAB_ID}); CodeDeploy rolls back when it fires.`,
    Namespace: 'AWS/Lambda',
    MetricName: 'Errors',
    Dimensions: [
      { Name: 'FunctionName', Value: o.functionName },
      { Name: 'Resource', Value: `${o.functionName}:${o.aliasName}` },
    ],
    Statistic: 'Sum' as const,
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold' as const,
    TreatMissingData: 'notBreaching',
    Tags: [{ Key: LAB_TAG_KEY, Value: LAB_ID }],
  };
}

function reason(d: DeploymentInfo): string {
  return d.errorInformation?.message ? ` (${d.errorInformation.code ?? 'error'}: ${d.errorInformation.message})` : '';
}

/** Waits until the function's last configuration update has finished, so a version publishes the new environment. */
async function waitForUpdate(lambda: LambdaClient, functionName: string, sleep: Sleep): Promise<void> {
  for (let waited = 0; ; waited += POLL_MS / 5) {
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    if (config.LastUpdateStatus === 'Successful') return;
    if (config.LastUpdateStatus === 'Failed') {
      throw new DoplabError('AWS_ERROR', 'environment', `Updating ${functionName} failed: ${config.LastUpdateStatusReason ?? 'no reason given'}.`);
    }
    if (waited >= MAX_WAIT_MS / 10) throw new DoplabError('AWS_ERROR', 'environment', `Updating ${functionName} is still ${config.LastUpdateStatus} after ${waited / 1000} s.`);
    await sleep(POLL_MS / 5);
  }
}

async function waitForDeployment(codedeploy: CodeDeployClient, deploymentId: string, ctx: Ctx, sleep: Sleep): Promise<DeploymentInfo> {
  ctx.log(`Waiting for CodeDeploy deployment ${deploymentId} to finish (a canary takes 5 minutes and more)`);
  let last = '';
  for (let waited = 0; ; waited += POLL_MS) {
    const info = (await codedeploy.send(new GetDeploymentCommand({ deploymentId }))).deploymentInfo ?? { deploymentId };
    const status = info.status ?? 'unknown';
    if (status !== last) ctx.log(`  ${deploymentId}: ${status}`);
    last = status;
    if (!IN_FLIGHT_STATUSES.includes(status)) return info;
    if (waited >= MAX_WAIT_MS) {
      throw new DoplabError('DEPLOY_FAILED', 'environment', `CodeDeploy deployment ${deploymentId} is still ${status} after ${MAX_WAIT_MS / 60_000} minutes.`, {
        hint: `Run doplab check ${LAB_ID} --wait 10m to follow it.`,
      });
    }
    await sleep(POLL_MS);
  }
}

export const solve: Solution<typeof Outputs> = (ctx) => solveWith(ctx, (ms) => new Promise((resolve) => setTimeout(resolve, ms)));
