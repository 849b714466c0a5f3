'use strict';
// In-stack cleanup of lab codedeploy-blue-green (DESIGN §7), run before CloudFormation deletes the service, the
// deployment group and the load balancer. An in-flight deployment would leave a second task set and a listener that
// CloudFormation does not know about; the learner's alarms, custom deployment configuration and task definition
// revisions would survive the stack. Inlined at synth after lib/cdk/cleanup-runtime.js.
const {
  CodeDeployClient,
  ListDeploymentsCommand,
  GetDeploymentCommand,
  StopDeploymentCommand,
  GetDeploymentGroupCommand,
  UpdateDeploymentGroupCommand,
  DeleteDeploymentConfigCommand,
} = require('@aws-sdk/client-codedeploy');
const { CloudWatchClient, DescribeAlarmsCommand, DeleteAlarmsCommand } = require('@aws-sdk/client-cloudwatch');
const { ECSClient, ListTaskDefinitionsCommand, DeregisterTaskDefinitionCommand } = require('@aws-sdk/client-ecs');
const { attempts } = require('../../lib/cdk/cleanup-helpers.js');

const IN_FLIGHT = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'];
const BUILT_IN_CONFIG = 'CodeDeployDefault.ECSAllAtOnce';
const POLL_MS = 10000;
const MAX_POLLS = 60;

/** Stops in-flight deployments (rolling back), then removes the learner's config, alarms and task definition revisions. */
exports.onDelete = async (props, log, sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))) => {
  const codedeploy = new CodeDeployClient({});
  const attempt = attempts('');
  // Deployments first: stopping one rolls traffic back to the original task set, and may still need the alarms.
  await attempt('deployments', () => stopDeployments(codedeploy, props, log, sleep));
  await attempt('deployment config', () => dropCustomConfig(codedeploy, props, log));
  await attempt('alarms', () => deleteAlarms(new CloudWatchClient({}), props, log));
  await attempt('task definitions', () => deregisterRevisions(new ECSClient({}), props, log));
  attempt.done();
};

async function stopDeployments(codedeploy, props, log, sleep) {
  const seen = new Set();
  for (let poll = 0; ; poll++) {
    const ids = await inFlight(codedeploy, props);
    if (ids.length === 0) return;
    for (const id of ids.filter((d) => !seen.has(d))) {
      seen.add(id);
      const info = (await codedeploy.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo || {};
      // A rollback deployment is what we want to finish, not to stop.
      if (info.creator === 'codeDeployRollback') {
        log(`waiting for rollback ${id}`);
        continue;
      }
      try {
        const r = await codedeploy.send(new StopDeploymentCommand({ deploymentId: id, autoRollbackEnabled: true }));
        log(`stopping ${id}: ${r.status} ${r.statusMessage || ''}`);
      } catch (e) {
        if (e.name !== 'DeploymentAlreadyCompletedException') throw e;
      }
    }
    if (poll >= MAX_POLLS) throw new Error(`still in flight after ${(MAX_POLLS * POLL_MS) / 1000} s: ${ids.join(', ')}`);
    await sleep(POLL_MS);
  }
}

async function inFlight(codedeploy, props) {
  const ids = [];
  let nextToken;
  do {
    const page = await codedeploy.send(
      new ListDeploymentsCommand({
        applicationName: props.ApplicationName,
        deploymentGroupName: props.DeploymentGroupName,
        includeOnlyStatuses: IN_FLIGHT,
        nextToken,
      }),
    );
    ids.push(...(page.deployments || []));
    nextToken = page.nextToken;
  } while (nextToken);
  return ids;
}

async function dropCustomConfig(codedeploy, props, log) {
  const group = (
    await codedeploy.send(new GetDeploymentGroupCommand({ applicationName: props.ApplicationName, deploymentGroupName: props.DeploymentGroupName }))
  ).deploymentGroupInfo;
  const name = group && group.deploymentConfigName;
  if (!name || name.startsWith('CodeDeployDefault.')) return;
  // A configuration a group uses cannot be deleted: point the group back at a built-in one first.
  await codedeploy.send(
    new UpdateDeploymentGroupCommand({
      applicationName: props.ApplicationName,
      currentDeploymentGroupName: props.DeploymentGroupName,
      deploymentConfigName: BUILT_IN_CONFIG,
    }),
  );
  await codedeploy.send(new DeleteDeploymentConfigCommand({ deploymentConfigName: name }));
  log(`deleted deployment config ${name}`);
}

async function deleteAlarms(cw, props, log) {
  const names = [];
  let NextToken;
  do {
    const page = await cw.send(new DescribeAlarmsCommand({ AlarmTypes: ['MetricAlarm'], MaxRecords: 100, NextToken }));
    for (const a of page.MetricAlarms || []) if (watchesLab(a, props)) names.push(a.AlarmName);
    NextToken = page.NextToken;
  } while (NextToken);
  for (let i = 0; i < names.length; i += 100) {
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: names.slice(i, i + 100) }));
    log(`deleted alarms ${names.slice(i, i + 100).join(', ')}`);
  }
}

/** True when the alarm, or a metric of its metric math, is an ALB metric of the lab's target groups or load balancer. */
function watchesLab(alarm, props) {
  const groups = props.TargetGroups.split(',');
  const metrics = [alarm, ...(alarm.Metrics || []).map((q) => q.MetricStat && q.MetricStat.Metric).filter(Boolean)];
  return metrics.some(
    (m) =>
      m.Namespace === 'AWS/ApplicationELB' &&
      (m.Dimensions || []).some((d) => (d.Name === 'TargetGroup' && groups.includes(d.Value)) || (d.Name === 'LoadBalancer' && d.Value === props.LoadBalancer)),
  );
}

async function deregisterRevisions(ecs, props, log) {
  const arns = [];
  let nextToken;
  do {
    const page = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: props.TaskFamily, status: 'ACTIVE', nextToken }));
    arns.push(...(page.taskDefinitionArns || []));
    nextToken = page.nextToken;
  } while (nextToken);
  // familyPrefix also matches longer family names; CloudFormation deregisters the stack's own revision itself.
  const learners = arns.filter((arn) => arn.split('/').pop().replace(/:\d+$/, '') === props.TaskFamily && arn !== props.InitialTaskDefinitionArn);
  for (const arn of learners) {
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
    log(`deregistered ${arn}`);
  }
}
