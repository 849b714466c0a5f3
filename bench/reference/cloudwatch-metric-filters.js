#!/usr/bin/env node
// The bench's reference: a minimal hand-written AWS SDK v3 script doing the work of
// `doplab check cloudwatch-metric-filters` (issue 11): DescribeStacks, then the log group, its metric
// filters and the alarms in parallel, then TestMetricFilter of each filter — 5 calls, 3 round trips.
// No framework, no validation, no retries tuned, no report: what a person would write by hand.
// Usage: node bench/reference/cloudwatch-metric-filters.js <endpoint-url> (region and credentials from the environment).
'use strict';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { CloudFormationClient, DescribeStacksCommand } = require('@aws-sdk/client-cloudformation');
const { CloudWatchLogsClient, DescribeLogGroupsCommand, DescribeMetricFiltersCommand, TestMetricFilterCommand } = require('@aws-sdk/client-cloudwatch-logs');
const { CloudWatchClient, DescribeAlarmsCommand } = require('@aws-sdk/client-cloudwatch');

// The sample log lines the lab's generator writes (the same lines doplab sends to TestMetricFilter).
const SAMPLES = JSON.parse(readFileSync(join(__dirname, '..', '..', 'labs', 'cloudwatch-metric-filters', 'facts', 'solved.json'), 'utf8')).facts.samples;

async function main() {
  const endpoint = process.argv[2];
  const config = endpoint ? { endpoint } : {};
  const cfn = new CloudFormationClient(config);
  const logs = new CloudWatchLogsClient(config);
  const cloudwatch = new CloudWatchClient(config);

  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: 'DopLab-cloudwatch-metric-filters' }));
  const outputs = Object.fromEntries((Stacks[0].Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const logGroupName = outputs.AppLogGroupName;

  const [groups, filters, alarms] = await Promise.all([
    logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: logGroupName })),
    logs.send(new DescribeMetricFiltersCommand({ logGroupName })),
    cloudwatch.send(new DescribeAlarmsCommand({ AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] })),
  ]);
  const tests = await Promise.all(
    (filters.metricFilters ?? []).map((f) =>
      logs.send(new TestMetricFilterCommand({ filterPattern: f.filterPattern, logEventMessages: SAMPLES.map((s) => s.line) })),
    ),
  );

  const errors = SAMPLES.filter((s) => s.level === 'ERROR').map((s) => s.line);
  const filterOk = tests.some((t) => {
    const matched = (t.matches ?? []).map((m) => m.eventMessage);
    return matched.length === errors.length && errors.every((line) => matched.includes(line));
  });
  const group = (groups.logGroups ?? []).find((g) => g.logGroupName === logGroupName);
  const alarmOk = (alarms.MetricAlarms ?? []).some((a) => (a.AlarmActions ?? []).includes(outputs.AlertTopicArn));
  const retentionOk = group?.retentionInDays !== undefined;
  console.log(`filter ${filterOk ? 'PASS' : 'FAIL'}, alarm ${alarmOk ? 'PASS' : 'FAIL'}, retention ${retentionOk ? 'PASS' : 'FAIL'}`);
  for (const client of [cfn, logs, cloudwatch]) client.destroy();
  process.exitCode = filterOk && alarmOk && retentionOk ? 0 : 1;
}

main().catch((error) => {
  console.error(`reference-check: ${error.message}`);
  process.exitCode = 2;
});
