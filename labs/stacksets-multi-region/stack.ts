import { join } from 'node:path';
import { Aws, Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { InlineCleanup } from '../../lib/cdk/inline-cleanup';
import { DopLabStack } from '../../lib/cdk/lab-stack';
import { chooseSecondRegion } from '../../lib/cdk/second-region';
import {
  BASELINE_ALARM_NAME,
  BASELINE_LOG_GROUP_NAME,
  LAB_ID,
  Outputs,
  SECOND_REGION_CONTEXT,
} from './contract';

/** How long the in-stack cleanup may wait for StackSets to delete the learner's stack instances (Lambda allows 15 min). */
export const CLEANUP_TIMEOUT = Duration.minutes(14);
/** How often the cleanup polls a StackSet operation, in seconds. */
export const CLEANUP_POLL_SECONDS = 10;

/**
 * Starting state: the two roles of self-managed StackSets permissions, scoped to the baseline, and nothing rolled out.
 * The learner creates the StackSet and its instances; the in-stack cleanup removes them before the roles go.
 */
export class StackSetsMultiRegionStack extends DopLabStack {
  /** The second region: the CDK context value, or a CloudFormation expression of the deploy region. */
  readonly secondRegion: string;

  constructor(scope: Construct) {
    super(scope, LAB_ID, 'doplab lab stacksets-multi-region: roll a governed baseline out to two regions with a self-managed StackSet.');
    this.secondRegion = chooseSecondRegion(this, SECOND_REGION_CONTEXT);

    // Role names carry the deploy region: IAM is global, and the lab may be deployed in two regions of one account.
    const executionRoleName = `DopLab-StackSetExecution-${Aws.REGION}`;
    const administrationRole = new iam.Role(this, 'AdministrationRole', {
      roleName: `DopLab-StackSetAdministration-${Aws.REGION}`,
      description: `StackSets administration role of doplab lab ${LAB_ID}: CloudFormation assumes it, and it may only assume the execution role.`,
      assumedBy: new iam.ServicePrincipal('cloudformation.amazonaws.com'),
      // Inline policies are part of the role resource, so the cleanup that depends on the role runs before they go too.
      inlinePolicies: {
        AssumeExecutionRole: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['sts:AssumeRole'],
              // One account here; across accounts this is arn:aws:iam::*:role/<name>, the same name in every target.
              resources: [this.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: executionRoleName })],
            }),
          ],
        }),
      },
    });

    const inThisAccount = (service: string, resource: string, resourceName: string, sep = '/') =>
      `arn:${Aws.PARTITION}:${service}:*:${Aws.ACCOUNT_ID}:${resource}${sep}${resourceName}`;
    const executionRole = new iam.Role(this, 'ExecutionRole', {
      roleName: executionRoleName,
      description: `StackSets execution role of doplab lab ${LAB_ID}: creates the baseline's stacks and resources, nothing else.`,
      // Trusts the administration role only (AWS's example trusts the whole administrator account).
      assumedBy: new iam.ArnPrincipal(administrationRole.roleArn),
      inlinePolicies: {
        Baseline: new iam.PolicyDocument({
          statements: [
            // The StackSets part, exactly AWS's documented minimum for a target account's execution role ("Grant
            // self-managed permissions"): StackSets runs each instance stack, hands it its template from and reports
            // its events to service-owned buckets and topics. Narrower fails: DescribeStackDriftDetectionStatus, which
            // drift detection calls, supports no resource type, so a stack-scoped grant can never allow it.
            new iam.PolicyStatement({ sid: 'StackSetsDocumentedMinimum', actions: ['cloudformation:*', 's3:*', 'sns:*'], resources: ['*'] }),
            // The baseline: its log group (and metric filter) ...
            new iam.PolicyStatement({
              actions: ['logs:*'],
              resources: [inThisAccount('logs', 'log-group', `${BASELINE_LOG_GROUP_NAME}*`, ':')],
            }),
            new iam.PolicyStatement({ actions: ['logs:DescribeLogGroups', 'logs:DescribeMetricFilters', 'cloudwatch:DescribeAlarms'], resources: ['*'] }),
            // ... and its alarm.
            new iam.PolicyStatement({
              actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms', 'cloudwatch:TagResource', 'cloudwatch:UntagResource', 'cloudwatch:ListTagsForResource'],
              resources: [inThisAccount('cloudwatch', 'alarm', BASELINE_ALARM_NAME, ':')],
            }),
          ],
        }),
      },
    });
    Validations.of(executionRole).acknowledge(
      ...['cloudformation', 's3', 'sns'].map((service) => ({
        id: `AwsSolutions-IAM5[Action::${service}:*]`,
        reason:
          'AWS documents cloudformation:*, s3:* and sns:* on * as the minimum of a StackSets execution role (Grant self-managed ' +
          'permissions); drift detection needs cloudformation:DescribeStackDriftDetectionStatus, which supports no resource type.',
      })),
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          "StackSets' documented minimum is granted on *: service-owned template buckets and event topics have undocumented names; " +
          'and DescribeLogGroups, DescribeMetricFilters and DescribeAlarms list across the region.',
      },
      {
        id: 'AwsSolutions-IAM5[Action::logs:*]',
        reason:
          "CloudFormation's log group handlers call a changing set of logs actions (retention, tags, data protection, metric filters); " +
          "the wildcard covers only the baseline's own log group in this account.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:*:<AWS::AccountId>:log-group:${BASELINE_LOG_GROUP_NAME}*]`,
        reason: 'The baseline log group has the same name in every region the StackSet reaches; the trailing * covers its :* ARN form.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:*:<AWS::AccountId>:alarm:${BASELINE_ALARM_NAME}]`,
        reason: 'The baseline alarm has the same name in every region the StackSet reaches; the region wildcard is the point of a StackSet.',
      },
    );

    const stackSetArns = ['stackset/*', 'stackset-target/*', 'type/resource/*'].map(
      (resource) => `arn:${Aws.PARTITION}:cloudformation:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`,
    );
    const cleanup = new InlineCleanup(this, 'Cleanup', {
      labId: LAB_ID,
      handlerFile: join(__dirname, 'cleanup.handler.js'),
      properties: {
        AdministrationRoleArn: administrationRole.roleArn,
        ExecutionRoleName: executionRoleName,
        PollSeconds: String(CLEANUP_POLL_SECONDS),
      },
      // Cleanup runs first on delete: StackSets needs both roles to delete the stack instances.
      guards: [administrationRole, executionRole],
      timeout: CLEANUP_TIMEOUT,
      statements: [
        new iam.PolicyStatement({ actions: ['cloudformation:ListStackSets'], resources: ['*'] }),
        new iam.PolicyStatement({
          actions: [
            'cloudformation:DescribeStackSet',
            'cloudformation:ListStackInstances',
            'cloudformation:ListStackSetOperations',
            'cloudformation:DescribeStackSetOperation',
            'cloudformation:DeleteStackInstances',
            'cloudformation:DeleteStackSet',
          ],
          resources: stackSetArns,
        }),
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [administrationRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
        }),
      ],
    });
    Validations.of(cleanup.handler.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: "cloudformation:ListStackSets takes no resource; the cleanup must list the region's StackSets to find the learner's by the roles they use.",
      },
      ...stackSetArns.map((arn) => ({
        id: `AwsSolutions-IAM5[Resource::${arn.replace(Aws.PARTITION, '<AWS::Partition>').replace(Aws.REGION, '<AWS::Region>').replace(Aws.ACCOUNT_ID, '<AWS::AccountId>')}]`,
        reason:
          'The learner names the StackSet; the cleanup deletes only StackSets in this account and region that use the ' +
          "lab's administration or execution role, and their stack instances.",
      })),
    );

    this.exportOutputs(Outputs, {
      administrationRoleArn: administrationRole.roleArn,
      executionRoleName: executionRole.roleName,
      deployRegion: Aws.REGION,
      secondRegion: this.secondRegion,
    });
  }
}

/** Adds the lab's stack to a CDK app. */
export function addLabStack(app: Construct): StackSetsMultiRegionStack {
  return new StackSetsMultiRegionStack(app);
}
