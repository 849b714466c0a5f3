// Reference solution of the cloudwatch-metric-filters lab, through the SDK. Every call is a put, so
// running it twice leaves the same state.
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, PutMetricFilterCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { LAB_TAG_KEY } from '../../lib/contract';
import type { Solution } from '../../lib/lab';
import { ALARM_RULES, LAB_ID, METRIC_NAME, METRIC_NAMESPACE, Outputs, RETENTION_DAYS } from './contract';

/** The filter the solution creates: the level field of the JSON line, never a word in it. */
export const SOLUTION_FILTER_NAME = 'orders-api-errors';
export const SOLUTION_FILTER_PATTERN = '{ $.level = "ERROR" }';
/** The alarm the solution creates. */
export const SOLUTION_ALARM_NAME = 'orders-api-errors';

export const solve: Solution<typeof Outputs> = async (ctx) => {
  const logs = ctx.client(CloudWatchLogsClient);
  const cloudwatch = ctx.client(CloudWatchClient);
  const logGroupName = ctx.outputs.appLogGroupName;

  ctx.log(`Metric filter "${SOLUTION_FILTER_NAME}" on ${logGroupName}: ${SOLUTION_FILTER_PATTERN} → ${METRIC_NAMESPACE} ${METRIC_NAME}`);
  await logs.send(
    new PutMetricFilterCommand({
      logGroupName,
      filterName: SOLUTION_FILTER_NAME,
      filterPattern: SOLUTION_FILTER_PATTERN,
      // defaultValue 0 publishes a zero when no line matches, so the alarm has data from the first minute.
      metricTransformations: [{ metricNamespace: METRIC_NAMESPACE, metricName: METRIC_NAME, metricValue: '1', defaultValue: 0 }],
    }),
  );

  ctx.log(`Alarm "${SOLUTION_ALARM_NAME}": Sum over 60 s ≥ ${ALARM_RULES.minErrorsToFire} → ${ctx.outputs.alertTopicArn}`);
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: SOLUTION_ALARM_NAME,
      AlarmDescription: `ERROR lines in ${logGroupName} (doplab lab ${LAB_ID}).`,
      Namespace: METRIC_NAMESPACE,
      MetricName: METRIC_NAME,
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: ALARM_RULES.minErrorsToFire,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      ActionsEnabled: true,
      AlarmActions: [ctx.outputs.alertTopicArn],
      // Tags apply on creation only (CloudWatch ignores them on update); they let the leftover audit find the alarm.
      Tags: [{ Key: LAB_TAG_KEY, Value: LAB_ID }],
    }),
  );

  ctx.log(`Retention of ${logGroupName}: ${RETENTION_DAYS} days`);
  await logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: RETENTION_DAYS }));
};
