'use strict';
// In-stack cleanup of lab scaling-self-healing (DESIGN §7), run before CloudFormation deletes the Auto Scaling group.
// An instance refresh in progress or a warm pool holds the deletion up, a termination lifecycle hook makes every
// instance wait out its heartbeat, a scheduled action can relaunch capacity while the group drains, and the alarms of
// step or simple scaling policies outlive the group (target tracking alarms go with their policy). Inlined at synth
// after lib/cdk/cleanup-runtime.js.
const {
  AutoScalingClient,
  DescribeInstanceRefreshesCommand,
  CancelInstanceRefreshCommand,
  DescribeScheduledActionsCommand,
  DeleteScheduledActionCommand,
  DescribeLifecycleHooksCommand,
  DeleteLifecycleHookCommand,
  DescribeWarmPoolCommand,
  DeleteWarmPoolCommand,
  DescribePoliciesCommand,
  DeletePolicyCommand,
} = require('@aws-sdk/client-auto-scaling');
const { CloudWatchClient, DeleteAlarmsCommand } = require('@aws-sdk/client-cloudwatch');
const { attempts, pages } = require('../../lib/cdk/cleanup-helpers.js');

const REFRESH_IN_FLIGHT = ['Pending', 'InProgress', 'Baking', 'RollbackInProgress'];
const POLL_MS = 10000;
const MAX_POLLS = 24;

/** Cancels a refresh, drops scheduled actions, hooks, the warm pool, the policies and their learner-made alarms. */
exports.onDelete = async (props, log, sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))) => {
  const autoscaling = new AutoScalingClient({});
  const group = props.GroupName;
  const attempt = attempts('');
  // A refresh under way is cancelled, and its cancellation waited for: the group cannot go while it replaces instances.
  await attempt('instance refresh', async () => {
    const busy = async () =>
      ((await autoscaling.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: group, MaxRecords: 1 }))).InstanceRefreshes || []).find((r) =>
        [...REFRESH_IN_FLIGHT, 'Cancelling'].includes(r.Status),
      );
    let refresh = await busy();
    if (!refresh) return;
    if (refresh.Status !== 'Cancelling') {
      try {
        await autoscaling.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: group }));
        log(`cancelling instance refresh ${refresh.InstanceRefreshId} of ${group}`);
      } catch (e) {
        if (e.name !== 'ActiveInstanceRefreshNotFoundFault') throw e;
      }
    }
    for (let poll = 0; (refresh = await busy()); poll++) {
      if (poll >= MAX_POLLS) throw new Error(`refresh ${refresh.InstanceRefreshId} still ${refresh.Status} after ${(MAX_POLLS * POLL_MS) / 1000} s`);
      await sleep(POLL_MS);
    }
  });
  await attempt('scheduled actions', async () => {
    const actions = await pages((NextToken) => autoscaling.send(new DescribeScheduledActionsCommand({ AutoScalingGroupName: group, NextToken })), 'ScheduledUpdateGroupActions');
    for (const a of actions) {
      await autoscaling.send(new DeleteScheduledActionCommand({ AutoScalingGroupName: group, ScheduledActionName: a.ScheduledActionName }));
      log(`deleted scheduled action ${a.ScheduledActionName}`);
    }
  });
  await attempt('lifecycle hooks', async () => {
    const hooks = (await autoscaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: group }))).LifecycleHooks || [];
    for (const h of hooks) {
      await autoscaling.send(new DeleteLifecycleHookCommand({ AutoScalingGroupName: group, LifecycleHookName: h.LifecycleHookName }));
      log(`deleted lifecycle hook ${h.LifecycleHookName}`);
    }
  });
  await attempt('warm pool', async () => {
    const out = await autoscaling.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: group }));
    if (!out.WarmPoolConfiguration) return;
    await autoscaling.send(new DeleteWarmPoolCommand({ AutoScalingGroupName: group, ForceDelete: true }));
    log(`deleting the warm pool of ${group}`);
  });
  await attempt('scaling policies', async () => {
    const policies = await pages((NextToken) => autoscaling.send(new DescribePoliciesCommand({ AutoScalingGroupName: group, NextToken })), 'ScalingPolicies');
    const alarms = [];
    for (const p of policies) {
      // Target tracking alarms belong to their policy and go with it; the learner made the others.
      if (p.PolicyType !== 'TargetTrackingScaling') alarms.push(...(p.Alarms || []).map((a) => a.AlarmName));
      await autoscaling.send(new DeletePolicyCommand({ AutoScalingGroupName: group, PolicyName: p.PolicyName }));
      log(`deleted scaling policy ${p.PolicyName}`);
    }
    const cloudwatch = new CloudWatchClient({});
    for (let i = 0; i < alarms.length; i += 100) {
      await cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: alarms.slice(i, i + 100) }));
      log(`deleted alarms ${alarms.slice(i, i + 100).join(', ')}`);
    }
  });
  attempt.done();
};
