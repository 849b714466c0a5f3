'use strict';
// In-stack cleanup of lab lambda-canary (DESIGN §7), run before CloudFormation deletes the application, the alias,
// the versions and the functions. A deployment in flight would keep moving an alias that is being deleted; the
// learner's deployment groups go before their application; the learner's custom deployment configurations and alarms
// would survive the stack. Inlined at synth after lib/cdk/cleanup-runtime.js.
const {
  CodeDeployClient,
  ListDeploymentGroupsCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
  GetDeploymentCommand,
  StopDeploymentCommand,
  DeleteDeploymentGroupCommand,
  DeleteDeploymentConfigCommand,
} = require('@aws-sdk/client-codedeploy');
const { LambdaClient, UpdateAliasCommand, ListVersionsByFunctionCommand, DeleteFunctionCommand } = require('@aws-sdk/client-lambda');
const { CloudWatchClient, DescribeAlarmsCommand, DeleteAlarmsCommand } = require('@aws-sdk/client-cloudwatch');
const { attempts } = require('../../lib/cdk/cleanup-helpers.js');

const IN_FLIGHT = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'];
const POLL_MS = 10000;
const MAX_POLLS = 48;

/** Stops the deployments, deletes the groups and their custom configs, resets the alias, drops versions and alarms. */
exports.onDelete = async (props, log, sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))) => {
  const codedeploy = new CodeDeployClient({});
  const lambda = new LambdaClient({});
  const attempt = attempts('');
  let groups = [];
  const configs = new Set();
  await attempt('deployment groups', async () => {
    groups = await pages((nextToken) => codedeploy.send(new ListDeploymentGroupsCommand({ applicationName: props.ApplicationName, nextToken })), 'deploymentGroups');
  });
  // In-flight deployments first: one would keep moving the alias, and a group cannot go while it deploys.
  await attempt('deployments', () => stopDeployments(codedeploy, props, groups, configs, log, sleep));
  for (const group of groups) await attempt(`group ${group}`, () => deleteGroup(codedeploy, props, group, configs, log));
  for (const name of configs) await attempt(`config ${name}`, () => deleteConfig(codedeploy, name, log));
  // CloudFormation expects the alias on the version it created, with no weighted routing.
  await attempt('alias', async () => {
    await lambda.send(
      new UpdateAliasCommand({ FunctionName: props.FunctionName, Name: props.AliasName, FunctionVersion: props.InitialVersion, RoutingConfig: { AdditionalVersionWeights: {} } }),
    );
    log(`alias ${props.AliasName} back on version ${props.InitialVersion}`);
  });
  await attempt('versions', () => deleteVersions(lambda, props, log));
  await attempt('alarms', () => deleteAlarms(new CloudWatchClient({}), props, log));
  attempt.done();
};

async function pages(read, key) {
  const items = [];
  let nextToken;
  do {
    const page = await read(nextToken);
    items.push(...(page[key] || []));
    nextToken = page.nextToken;
  } while (nextToken);
  return items;
}

function listDeployments(codedeploy, props, group, statuses) {
  return pages(
    (nextToken) =>
      codedeploy.send(new ListDeploymentsCommand({ applicationName: props.ApplicationName, deploymentGroupName: group, includeOnlyStatuses: statuses, nextToken })),
    'deployments',
  );
}

/** Notes every deployment's config, stops the learner's in-flight ones (not CodeDeploy's rollbacks), waits for all. */
async function stopDeployments(codedeploy, props, groups, configs, log, sleep) {
  for (const group of groups) {
    for (const id of await listDeployments(codedeploy, props, group, undefined)) {
      const info = (await codedeploy.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo || {};
      if (info.deploymentConfigName) configs.add(info.deploymentConfigName);
      if (!IN_FLIGHT.includes(info.status) || info.creator === 'codeDeployRollback') continue;
      try {
        const r = await codedeploy.send(new StopDeploymentCommand({ deploymentId: id, autoRollbackEnabled: false }));
        log(`stopping ${id}: ${r.status} ${r.statusMessage || ''}`);
      } catch (e) {
        if (e.name !== 'DeploymentAlreadyCompletedException') throw e;
      }
    }
  }
  for (let poll = 0; ; poll++) {
    const ids = [];
    for (const group of groups) ids.push(...(await listDeployments(codedeploy, props, group, IN_FLIGHT)));
    if (ids.length === 0) return;
    if (poll >= MAX_POLLS) throw new Error(`still in flight after ${(MAX_POLLS * POLL_MS) / 1000} s: ${ids.join(', ')}`);
    await sleep(POLL_MS);
  }
}

async function deleteGroup(codedeploy, props, group, configs, log) {
  const info = (await codedeploy.send(new GetDeploymentGroupCommand({ applicationName: props.ApplicationName, deploymentGroupName: group }))).deploymentGroupInfo;
  if (info && info.deploymentConfigName) configs.add(info.deploymentConfigName);
  await codedeploy.send(new DeleteDeploymentGroupCommand({ applicationName: props.ApplicationName, deploymentGroupName: group }));
  log(`deleted deployment group ${group}`);
}

async function deleteConfig(codedeploy, name, log) {
  if (name.startsWith('CodeDeployDefault.')) return;
  try {
    await codedeploy.send(new DeleteDeploymentConfigCommand({ deploymentConfigName: name }));
    log(`deleted deployment config ${name}`);
  } catch (e) {
    // Another application's group still uses it: it is not the lab's alone to delete.
    if (e.name === 'DeploymentConfigInUseException') log(`kept deployment config ${name}: in use outside the lab`);
    else if (e.name !== 'DeploymentConfigDoesNotExistException') throw e;
  }
}

async function deleteVersions(lambda, props, log) {
  const versions = [];
  let Marker;
  do {
    const page = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: props.FunctionName, Marker }));
    versions.push(...(page.Versions || []).map((v) => v.Version));
    Marker = page.NextMarker;
  } while (Marker);
  for (const version of versions.filter((v) => v !== '$LATEST' && v !== props.InitialVersion)) {
    await lambda.send(new DeleteFunctionCommand({ FunctionName: props.FunctionName, Qualifier: version }));
    log(`deleted version ${version}`);
  }
}

async function deleteAlarms(cw, props, log) {
  const names = [];
  let NextToken;
  do {
    const page = await cw.send(new DescribeAlarmsCommand({ AlarmTypes: ['MetricAlarm'], MaxRecords: 100, NextToken }));
    for (const a of page.MetricAlarms || []) if (watchesFunction(a, props.FunctionName)) names.push(a.AlarmName);
    NextToken = page.NextToken;
  } while (NextToken);
  for (let i = 0; i < names.length; i += 100) {
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: names.slice(i, i + 100) }));
    log(`deleted alarms ${names.slice(i, i + 100).join(', ')}`);
  }
}

/** True when the alarm, or a metric of its metric math, is a Lambda metric of the function (any version or alias). */
function watchesFunction(alarm, functionName) {
  const metrics = [alarm, ...(alarm.Metrics || []).map((q) => q.MetricStat && q.MetricStat.Metric).filter(Boolean)];
  return metrics.some((m) => m.Namespace === 'AWS/Lambda' && (m.Dimensions || []).some((d) => d.Name === 'FunctionName' && d.Value === functionName));
}
