import { join } from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { InlineCleanup, InlineFunction, inlineSource } from '../../lib/cdk/inline-cleanup';
import { DopLabStack } from '../../lib/cdk/lab-stack';
import {
  APP_LOG_GROUP_NAME,
  APP_LOG_STREAM_NAME,
  LAB_ID,
  METRIC_NAMESPACE,
  Outputs,
  SAMPLE_EVENTS,
} from './contract';

/** Starting state: an orders API logging JSON lines, errors included, to a log group with no filter, alarm or retention. */
export class CloudWatchMetricFiltersStack extends DopLabStack {
  constructor(scope: Construct) {
    super(scope, LAB_ID, 'doplab lab cloudwatch-metric-filters: an orders API logs errors; turn them into an alarm.');

    // The learner's raw material. Retention is left at "Never expire" on purpose: setting it is one of the tasks.
    const appLogGroup = new logs.LogGroup(this, 'AppLogGroup', {
      logGroupName: APP_LOG_GROUP_NAME,
      retention: logs.RetentionDays.INFINITE,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const appLogStream = new logs.LogStream(this, 'AppLogStream', {
      logGroup: appLogGroup,
      logStreamName: APP_LOG_STREAM_NAME,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const generator = new InlineFunction(this, 'Generator', {
      labId: LAB_ID,
      name: 'generator',
      source: inlineSource(join(__dirname, 'generator.handler.js')),
      description: `Writes a minute of orders-api log lines to ${APP_LOG_GROUP_NAME}.`,
      environment: {
        LOG_GROUP_NAME: APP_LOG_GROUP_NAME,
        LOG_STREAM_NAME: APP_LOG_STREAM_NAME,
        SAMPLE_EVENTS: JSON.stringify(SAMPLE_EVENTS),
      },
      statements: [
        new iam.PolicyStatement({
          actions: ['logs:PutLogEvents'],
          resources: [
            this.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: `${APP_LOG_GROUP_NAME}:log-stream:${APP_LOG_STREAM_NAME}`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      ],
    });
    // The stream must exist before the first run, and outlive the last.
    generator.function.node.addDependency(appLogStream);

    new events.Rule(this, 'GeneratorSchedule', {
      description: 'Runs the orders-api log generator every minute.',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(generator.function, { retryAttempts: 0 })],
    });

    // Unencrypted on purpose: CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key, and
    // a customer managed key costs $1/month and lingers 7+ days after deletion. (cdk-nag 3.0.2's AwsSolutions pack has no
    // SNS2 rule, so there is nothing to acknowledge; the HIPAA/NIST/PCI packs would flag SNSEncryptedKMS.)
    const alertTopic = new sns.Topic(this, 'AlertTopic', {
      topicName: `DopLab-${LAB_ID}-alerts`,
      displayName: 'doplab orders-api alerts',
      enforceSSL: true,
    });
    // A topic policy replaces the topic's default policy: enforceSSL's Deny-only policy alone would shut CloudWatch out
    // ("not authorized to perform: SNS:Publish"), and the learner's alarm would fire into the void.
    alertTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [alertTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: { 'aws:SourceArn': this.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );

    const cleanup = new InlineCleanup(this, 'Cleanup', {
      labId: LAB_ID,
      handlerFile: join(__dirname, 'cleanup.handler.js'),
      properties: { TopicArn: alertTopic.topicArn, Namespace: METRIC_NAMESPACE },
      guards: [alertTopic, appLogGroup],
      statements: [
        new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] }),
        new iam.PolicyStatement({
          actions: ['cloudwatch:DeleteAlarms'],
          resources: [this.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        }),
      ],
    });
    Validations.of(cleanup.handler.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'cloudwatch:DescribeAlarms returns composite alarms only with a * resource, and the cleanup must find the ' +
          "learner's alarms, whatever their names, by their actions and namespace.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*]',
        reason:
          "The learner names the alarms the cleanup deletes; it deletes only alarms that notify the lab topic or " +
          "watch the lab's metric namespace, in this account and region.",
      },
    );

    this.exportOutputs(Outputs, {
      appLogGroupName: appLogGroup.logGroupName,
      alertTopicArn: alertTopic.topicArn,
      generatorFunctionName: generator.function.functionName,
    });
  }
}

/** Adds the lab's stack to a CDK app. */
export function addLabStack(app: Construct): CloudWatchMetricFiltersStack {
  return new CloudWatchMetricFiltersStack(app);
}
