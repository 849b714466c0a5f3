import { join } from 'node:path';
import { ArnFormat, Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { InlineCleanup } from '../../lib/cdk/inline-cleanup';
import { DopLabStack } from '../../lib/cdk/lab-stack';
import { LAB_ID, Outputs, SECURITY_TOPIC_NAME, TRAIL_LOG_GROUP_NAME, TRAIL_NAME } from './contract';

/**
 * Starting state: a multi-region management-events trail delivering to a lab bucket and to a CloudWatch Logs log
 * group, without log file validation or a KMS key (two of the fixes), and a security topic alarms may publish to.
 */
export class SecurityMonitoringStack extends DopLabStack {
  constructor(scope: Construct) {
    super(scope, LAB_ID, 'doplab lab security-monitoring: CloudTrail to CloudWatch Logs; add CIS-style alarms.');

    const bucket = new s3.Bucket(this, 'TrailBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Emptied by the in-stack cleanup (no autoDeleteObjects: it would add an asset).
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'The bucket holds only this lab trail\'s log files for a few hours; server access logs would need a second bucket and outlive nothing worth auditing.',
    });

    const logGroup = new logs.LogGroup(this, 'TrailLogGroup', {
      logGroupName: TRAIL_LOG_GROUP_NAME,
      retention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // CloudTrail's role for CloudWatch Logs: create streams and put events in the lab log group only.
    const logsRole = new iam.Role(this, 'TrailLogsRole', {
      assumedBy: new iam.ServicePrincipal('cloudtrail.amazonaws.com'),
      description: `CloudTrail delivers trail ${TRAIL_NAME} to ${TRAIL_LOG_GROUP_NAME} (doplab lab ${LAB_ID})`,
      inlinePolicies: {
        Delivery: new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] })],
        }),
      },
    });

    // The bucket grants CloudTrail exactly what delivery needs, for this trail only (aws:SourceArn).
    const trailArn = this.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: TRAIL_NAME });
    const fromThisTrail = { StringEquals: { 'aws:SourceArn': trailArn } };
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailAclCheck',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['s3:GetBucketAcl'],
        resources: [bucket.bucketArn],
        conditions: fromThisTrail,
      }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailWrite',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`AWSLogs/${Aws.ACCOUNT_ID}/*`)],
        conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': trailArn } },
      }),
    );

    // The flaws the learner fixes: no log file validation, no KMS key.
    const trail = new cloudtrail.CfnTrail(this, 'Trail', {
      trailName: TRAIL_NAME,
      isLogging: true,
      s3BucketName: bucket.bucketName,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: false,
      eventSelectors: [{ includeManagementEvents: true, readWriteType: 'All' }],
      cloudWatchLogsLogGroupArn: logGroup.logGroupArn,
      cloudWatchLogsRoleArn: logsRole.roleArn,
    });
    // CloudTrail checks the bucket policy and the role when the trail is created.
    trail.node.addDependency(bucket.policy!, logsRole);

    // Unencrypted on purpose: CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key.
    const topic = new sns.Topic(this, 'SecurityTopic', {
      topicName: SECURITY_TOPIC_NAME,
      displayName: 'doplab security alerts',
      enforceSSL: true,
    });
    // The policy replaces the default one: without this Allow, enforceSSL's Deny-only policy would shut alarms out.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': this.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );

    const alarmArns = this.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const cleanup = new InlineCleanup(this, 'Cleanup', {
      labId: LAB_ID,
      handlerFile: join(__dirname, 'cleanup.handler.js'),
      properties: { TrailName: TRAIL_NAME, LogGroupName: logGroup.logGroupName, TopicArn: topic.topicArn, BucketName: bucket.bucketName },
      // The bucket goes after the cleanup, and its policy after the trail (the trail depends on it): the cleanup's own
      // DeleteBucketPolicy leaves CloudFormation's deletion of the BucketPolicy nothing to do, which S3 answers with success.
      guards: [trail, logGroup, topic, bucket],
      // The bucket must stay empty for a minute after CloudTrail is shut out: up to 3 minutes of checks (cleanup.handler.js).
      timeout: Duration.minutes(5),
      statements: [
        new iam.PolicyStatement({ actions: ['cloudtrail:GetTrail', 'cloudtrail:StopLogging'], resources: [trailArn] }),
        new iam.PolicyStatement({ actions: ['cloudtrail:DescribeTrails'], resources: ['*'] }),
        // The learner's trails that deliver to the lab bucket, in whatever region they were made (found by their bucket).
        new iam.PolicyStatement({ actions: ['cloudtrail:DeleteTrail'], resources: [this.formatArn({ service: 'cloudtrail', region: '*', resource: 'trail', resourceName: '*' })] }),
        new iam.PolicyStatement({ actions: ['logs:DescribeMetricFilters'], resources: [logGroup.logGroupArn] }),
        // None of these supports a resource type: they are granted on * only.
        new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms', 'logs:DescribeLogGroups'], resources: ['*'] }),
        new iam.PolicyStatement({ actions: ['cloudwatch:DeleteAlarms'], resources: [alarmArns] }),
        new iam.PolicyStatement({
          actions: ['kms:DescribeKey', 'kms:ScheduleKeyDeletion'],
          resources: [this.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
        }),
        // DeleteBucketPolicy shuts CloudTrail out before the last emptying (cleanup.handler.js says why).
        new iam.PolicyStatement({ actions: ['s3:ListBucket', 's3:DeleteBucketPolicy'], resources: [bucket.bucketArn] }),
        new iam.PolicyStatement({ actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'], resources: [bucket.arnForObjects('*')] }),
      ],
    });
    Validations.of(cleanup.handler.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'cloudwatch:DescribeAlarms returns composite alarms only with a * resource; cloudtrail:DescribeTrails and logs:DescribeLogGroups support ' +
          "no resource type. The cleanup finds the learner's alarms by their metric and topic, checks no other trail uses the learner's key, and reads the lab log group's creation time.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*]',
        reason: "The learner names the alarms; the cleanup deletes only alarms on metrics of the lab log group's filters or notifying the lab topic.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]',
        reason: "The learner creates the key; the cleanup schedules deletion only of the customer managed key the lab trail uses, made during the lab and used by no other trail.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudtrail:*:<AWS::AccountId>:trail/*]',
        reason: "The learner names and places their trails; the cleanup deletes only trails, other than the lab's, whose bucket is the lab bucket.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::<TrailBucketA831CE63.Arn>/*]',
        reason: 'The cleanup empties the lab bucket: every object in it, whatever CloudTrail named it.',
      },
    );

    this.exportOutputs(Outputs, {
      trailName: TRAIL_NAME,
      trailArn: trail.attrArn,
      trailLogGroupName: logGroup.logGroupName,
      trailBucketName: bucket.bucketName,
      securityTopicArn: topic.topicArn,
    });
  }
}

/** Adds the lab's stack to a CDK app. */
export function addLabStack(app: Construct): SecurityMonitoringStack {
  return new SecurityMonitoringStack(app);
}
