'use strict';
// In-stack cleanup of lab cloudwatch-metric-filters (DESIGN §7): the learner's alarms would survive the stack.
// Metric filters need nothing: they are deleted with the log group. Inlined at synth after lib/cdk/cleanup-runtime.js.
const { CloudWatchClient, DescribeAlarmsCommand, DeleteAlarmsCommand } = require('@aws-sdk/client-cloudwatch');

/** Deletes the alarms that notify the lab topic or watch the lab namespace: composite alarms first. */
exports.onDelete = async (props, log) => {
  const cw = new CloudWatchClient({});
  const { composite, metric } = await findLabAlarms(cw, props.TopicArn, props.Namespace);
  log(`lab alarms: composite [${composite.join(', ')}], metric [${metric.join(', ')}]`);
  // A composite alarm cannot be deleted while another composite alarm uses it, nor can the metric alarms it uses;
  // and DeleteAlarms takes at most one composite alarm per call.
  const batches = parentsFirst(composite).map((a) => [a.AlarmName]);
  for (let i = 0; i < metric.length; i += 100) batches.push(metric.slice(i, i + 100));
  const failed = [];
  for (const names of batches) {
    try {
      await cw.send(new DeleteAlarmsCommand({ AlarmNames: names }));
      log(`deleted ${names.join(', ')}`);
    } catch (e) {
      failed.push(`${names.join(', ')}: ${e.name}: ${e.message}`);
    }
  }
  if (failed.length > 0) throw new Error(`could not delete ${failed.join('; ')}`);
};

async function findLabAlarms(cw, topicArn, namespace) {
  const composite = [];
  const metric = [];
  let NextToken;
  do {
    // Without AlarmTypes, DescribeAlarms returns metric alarms only.
    const page = await cw.send(new DescribeAlarmsCommand({ AlarmTypes: ['CompositeAlarm', 'MetricAlarm'], MaxRecords: 100, NextToken }));
    for (const a of page.CompositeAlarms ?? []) if (notifies(a, topicArn)) composite.push(a);
    for (const a of page.MetricAlarms ?? []) if (notifies(a, topicArn) || watches(a, namespace)) metric.push(a.AlarmName);
    NextToken = page.NextToken;
  } while (NextToken);
  return { composite, metric };
}

function notifies(alarm, topicArn) {
  return [alarm.AlarmActions, alarm.OKActions, alarm.InsufficientDataActions].some((arns) => arns?.includes(topicArn));
}

function watches(alarm, namespace) {
  if (alarm.Namespace === namespace) return true;
  return (alarm.Metrics ?? []).some((q) => q.MetricStat?.Metric.Namespace === namespace || q.Expression?.includes(namespace));
}

// Parents first: a composite alarm cannot be deleted while another one's rule uses it (a cycle goes as it comes).
function parentsFirst(alarms) {
  const left = [...alarms];
  const ordered = [];
  while (left.length > 0) {
    const next = left.find((a) => !left.some((o) => o !== a && o.AlarmRule.includes(a.AlarmName))) || left[0];
    ordered.push(next);
    left.splice(left.indexOf(next), 1);
  }
  return ordered;
}
