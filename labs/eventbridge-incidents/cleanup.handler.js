'use strict';
// In-stack cleanup of lab eventbridge-incidents (DESIGN §7). The learner's rules would keep the lab bus from being
// deleted and survive on the default bus; their dead-letter queues, archives and replays would survive too. Order:
// targets before their rule, rules before the queues they use, replays before their archive.
// Inlined at synth after lib/cdk/cleanup-runtime.js.
const ev = require('@aws-sdk/client-eventbridge');
const sqsSdk = require('@aws-sdk/client-sqs');
const { pages } = require('../../lib/cdk/cleanup-helpers.js');

exports.onDelete = async (props, log) => {
  const events = new ev.EventBridgeClient({});
  const sqs = new sqsSdk.SQSClient({});
  const failed = [];
  // work() may return a sentence saying what it did instead, e.g. that it kept something.
  const attempt = async (what, work) => {
    try {
      const said = await work();
      log(typeof said === 'string' ? said : what);
    } catch (e) {
      failed.push(`${what}: ${e.name}: ${e.message}`);
    }
  };
  const bus = await events.send(new ev.DescribeEventBusCommand({ Name: props.BusName }));
  const rules = (await pages((NextToken) => events.send(new ev.ListRulesCommand({ EventBusName: props.BusName, NextToken })), 'Rules'))
    .filter((r) => !r.ManagedBy)
    .map((r) => ({ bus: props.BusName, name: r.Name }));
  for (const TargetArn of props.LabTargets.split(',')) {
    const names = await pages((NextToken) => events.send(new ev.ListRuleNamesByTargetCommand({ TargetArn, EventBusName: 'default', NextToken })), 'RuleNames');
    for (const name of names) if (!rules.some((r) => r.bus === 'default' && r.name === name)) rules.push({ bus: 'default', name });
  }
  const deadLetterQueues = new Set();
  for (const rule of rules) {
    const targets = await pages((NextToken) => events.send(new ev.ListTargetsByRuleCommand({ Rule: rule.name, EventBusName: rule.bus, NextToken })), 'Targets');
    for (const t of targets) if (t.DeadLetterConfig && t.DeadLetterConfig.Arn) deadLetterQueues.add(t.DeadLetterConfig.Arn);
    const ids = targets.map((t) => t.Id);
    for (let i = 0; i < ids.length; i += 100) {
      await attempt(`removed targets ${ids.slice(i, i + 100).join(', ')} of rule ${rule.bus}/${rule.name}`, () =>
        events.send(new ev.RemoveTargetsCommand({ Rule: rule.name, EventBusName: rule.bus, Ids: ids.slice(i, i + 100) })),
      );
    }
    await attempt(`deleted rule ${rule.bus}/${rule.name}`, () => events.send(new ev.DeleteRuleCommand({ Name: rule.name, EventBusName: rule.bus })));
  }
  const archives = await pages((NextToken) => events.send(new ev.ListArchivesCommand({ EventSourceArn: props.BusArn, NextToken })), 'Archives');
  for (const archive of archives) {
    const archiveArn = props.BusArn.replace(/:event-bus\/.*$/, `:archive/${archive.ArchiveName}`);
    const replays = await pages((NextToken) => events.send(new ev.ListReplaysCommand({ EventSourceArn: archiveArn, NextToken })), 'Replays');
    for (const replay of replays.filter((r) => r.State === 'STARTING' || r.State === 'RUNNING')) {
      await attempt(`cancelled replay ${replay.ReplayName}`, () => events.send(new ev.CancelReplayCommand({ ReplayName: replay.ReplayName })));
    }
    await attempt(`deleted archive ${archive.ArchiveName}`, () => events.send(new ev.DeleteArchiveCommand({ ArchiveName: archive.ArchiveName })));
  }
  // Only queues made during the lab: a dead-letter queue the learner pointed at an older queue of theirs is kept.
  const labStart = bus.CreationTime ? new Date(bus.CreationTime).getTime() : Infinity;
  for (const arn of deadLetterQueues) {
    const [, , , region, account, QueueName] = arn.split(':');
    if (arn === props.IncidentQueueArn || region !== props.Region || !QueueName) continue;
    await attempt(`deleted dead-letter queue ${arn}`, async () => {
      let QueueUrl;
      try {
        QueueUrl = (await sqs.send(new sqsSdk.GetQueueUrlCommand({ QueueName, QueueOwnerAWSAccountId: account }))).QueueUrl;
      } catch (e) {
        if (e.name === 'QueueDoesNotExist' || e.name === 'AWS.SimpleQueueService.NonExistentQueue') return `dead-letter queue ${arn} is already gone`;
        throw e;
      }
      const attributes = (await sqs.send(new sqsSdk.GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['CreatedTimestamp'] }))).Attributes || {};
      if (Number(attributes.CreatedTimestamp) * 1000 < labStart) return `kept ${arn}: it is older than the lab`;
      await sqs.send(new sqsSdk.DeleteQueueCommand({ QueueUrl }));
    });
  }
  if (failed.length > 0) throw new Error(`could not clean up: ${failed.join('; ')}`);
};
