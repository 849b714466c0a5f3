import { join } from 'node:path';
import { Duration, Fn, RemovalPolicy, Tags, Validations } from 'aws-cdk-lib';
import * as config from 'aws-cdk-lib/aws-config';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { InlineCleanup } from '../../lib/cdk/inline-cleanup';
import { DopLabStack } from '../../lib/cdk/lab-stack';
import { LAB_TAG_KEY } from '../../lib/contract';
import {
  CONFIG_RULE_NAME,
  CONTEXT_CREATE_RECORDER,
  DELIVERY_CHANNEL_NAME,
  LAB_ID,
  LEARNER_RULE_PREFIX,
  MANAGED_RULE_IDENTIFIER,
  Outputs,
  RECORDER_NAME,
  RESOURCE_TYPE,
  SCOPE_TAG,
} from './contract';

/** Whether the stack creates its own recorder, from CDK context; anything but true/false is a mistake worth stopping for. */
export function createsRecorder(scope: Construct): boolean {
  const value: unknown = scope.node.tryGetContext(CONTEXT_CREATE_RECORDER);
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new Error(`Context ${CONTEXT_CREATE_RECORDER} must be true or false; got ${JSON.stringify(value)}.`);
}

/** What the stack creates when the account has no configuration recorder of its own. */
interface LabRecorder {
  readonly deliveryBucket: s3.Bucket;
  readonly recorder: config.CfnConfigurationRecorder;
  readonly channel: config.CfnDeliveryChannel;
}

/** Starting state: an AWS Config rule that requires bucket versioning, two lab buckets without it, and no remediation. */
export class ConfigRemediationStack extends DopLabStack {
  constructor(scope: Construct) {
    super(scope, LAB_ID, 'doplab lab config-remediation: an AWS Config rule flags unversioned buckets; remediate them automatically.');
    const ownRecorder = createsRecorder(this);

    // Two buckets without versioning, on purpose: the rule reports them NON_COMPLIANT until remediated.
    const targets = ['InvoicesBucket', 'ReportsBucket'].map((id) => {
      const bucket = this.labBucket(id);
      Tags.of(bucket).add(SCOPE_TAG.key, SCOPE_TAG.value);
      Validations.of(bucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason: 'A lab bucket that holds no data; server access logs would need a log bucket that outlives the lab, for no lesson.',
      });
      return bucket;
    });

    const labRecorder = ownRecorder ? this.recorder() : undefined;

    const rule = new config.ManagedRule(this, 'VersioningRule', {
      configRuleName: CONFIG_RULE_NAME,
      identifier: MANAGED_RULE_IDENTIFIER,
      description: `doplab lab ${LAB_ID}: S3 buckets tagged ${SCOPE_TAG.key}=${SCOPE_TAG.value} must have versioning enabled.`,
      ruleScope: config.RuleScope.fromTag(SCOPE_TAG.key, SCOPE_TAG.value),
    });
    // Config refuses a rule while no recorder exists.
    if (labRecorder) rule.node.addDependency(labRecorder.recorder);

    const emptied = [...targets, ...(labRecorder ? [labRecorder.deliveryBucket] : [])];
    const cleanup = new InlineCleanup(this, 'Cleanup', {
      labId: LAB_ID,
      handlerFile: join(__dirname, 'cleanup.handler.js'),
      properties: {
        ConfigRuleName: CONFIG_RULE_NAME,
        LearnerRulePrefix: LEARNER_RULE_PREFIX,
        RoleTag: `${LAB_TAG_KEY}=${LAB_ID}`,
        BucketNames: Fn.join(',', emptied.map((b) => b.bucketName)),
        ...(labRecorder ? { RecorderName: RECORDER_NAME } : {}),
      },
      // Deleted first: the learner's remediation blocks the rule's deletion (ResourceInUseException), the buckets must be
      // empty, and the lab's recorder must stop before its delivery channel can go.
      guards: [rule, ...targets, ...(labRecorder ? [labRecorder.channel] : [])],
      timeout: Duration.minutes(5),
      statements: this.cleanupStatements(emptied, !!labRecorder),
    });
    Validations.of(cleanup.handler.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'AWS Config rules, remediation configurations, remediation exceptions and recorders are addressed by name in the ' +
          "request, not by ARN; the cleanup only ever sends the lab rule's, the lab recorder's and the learner's doplab-config-remediation-* rules' names.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*]',
        reason:
          'The learner names the automation role; the cleanup may delete only roles tagged for this lab (an IAM condition), ' +
          "and only those the lab rule's remediation uses.",
      },
      ...emptied.map((b) => ({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(b.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
        reason: 'Emptying a lab bucket means deleting every object version in it, whatever the learner or AWS Config put there.',
      })),
    );

    this.exportOutputs(Outputs, {
      configRuleName: rule.configRuleName,
      targetBucketNames: Fn.join(',', targets.map((b) => b.bucketName)),
      recorderOwner: labRecorder ? 'lab' : 'account',
    });
  }

  /** A private, TLS-only, SSE-S3 bucket that goes with the stack (emptied by the cleanup first). */
  private labBucket(id: string): s3.Bucket {
    return new s3.Bucket(this, id, {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** A recorder of S3 buckets only (cost), its delivery channel, and the delivery bucket with AWS Config's bucket policy. */
  private recorder(): LabRecorder {
    const deliveryBucket = this.labBucket('DeliveryBucket');
    Validations.of(deliveryBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'AWS Config delivery bucket of a short-lived lab; access logs would need a log bucket that outlives the lab.',
    });
    const configPrincipal = new iam.ServicePrincipal('config.amazonaws.com');
    const sameAccount = { StringEquals: { 'AWS:SourceAccount': this.account } };
    const deliveryPrefix = deliveryBucket.arnForObjects(`AWSLogs/${this.account}/Config/*`);
    deliveryBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AWSConfigBucketPermissionsCheck',
        principals: [configPrincipal],
        actions: ['s3:GetBucketAcl', 's3:ListBucket'],
        resources: [deliveryBucket.bucketArn],
        conditions: sameAccount,
      }),
    );
    deliveryBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AWSConfigBucketDelivery',
        principals: [configPrincipal],
        actions: ['s3:PutObject'],
        resources: [deliveryPrefix],
        conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'AWS:SourceAccount': this.account } },
      }),
    );

    const role = new iam.Role(this, 'RecorderRole', {
      assumedBy: configPrincipal,
      description: `AWS Config recorder of doplab lab ${LAB_ID}`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWS_ConfigRole')],
      inlinePolicies: {
        Delivery: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ actions: ['s3:GetBucketAcl'], resources: [deliveryBucket.bucketArn] }),
            new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [deliveryPrefix] }),
          ],
        }),
      },
    });
    Validations.of(role).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWS_ConfigRole]',
        reason: 'AWS_ConfigRole is the policy AWS maintains for recorders; it follows every resource type Config adds.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(deliveryBucket.node.defaultChild as s3.CfnBucket)}.Arn>/AWSLogs/<AWS::AccountId>/Config/*]`,
        reason: 'AWS Config names its delivery objects itself (date and run ids) under this prefix of the lab bucket.',
      },
    );

    const recorder = new config.CfnConfigurationRecorder(this, 'Recorder', {
      name: RECORDER_NAME,
      roleArn: role.roleArn,
      // Only what the rule needs: Config charges per configuration item recorded.
      recordingGroup: {
        allSupported: false,
        includeGlobalResourceTypes: false,
        resourceTypes: [RESOURCE_TYPE],
        recordingStrategy: { useOnly: 'INCLUSION_BY_RESOURCE_TYPES' },
      },
      recordingMode: { recordingFrequency: 'CONTINUOUS' },
    });
    const channel = new config.CfnDeliveryChannel(this, 'DeliveryChannel', {
      name: DELIVERY_CHANNEL_NAME,
      s3BucketName: deliveryBucket.bucketName,
    });
    // Config needs the recorder before the channel, and checks the bucket policy when the channel is created.
    channel.addResourceDependency(recorder);
    channel.node.addDependency(deliveryBucket);
    return { deliveryBucket, recorder, channel };
  }

  private cleanupStatements(buckets: readonly s3.Bucket[], ownRecorder: boolean): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        actions: [
          'config:DescribeRemediationConfigurations',
          'config:DeleteRemediationConfiguration',
          'config:DescribeRemediationExceptions',
          'config:DeleteRemediationExceptions',
          'config:DescribeConfigRules',
          'config:DeleteConfigRule',
          ...(ownRecorder ? ['config:StopConfigurationRecorder'] : []),
        ],
        resources: ['*'],
      }),
      // The learner's automation role, only when tagged for the lab.
      new iam.PolicyStatement({
        actions: ['iam:GetRole', 'iam:ListRolePolicies', 'iam:DeleteRolePolicy', 'iam:ListAttachedRolePolicies', 'iam:DetachRolePolicy', 'iam:DeleteRole'],
        resources: [this.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' })],
        conditions: { StringEquals: { [`aws:ResourceTag/${LAB_TAG_KEY}`]: LAB_ID } },
      }),
      new iam.PolicyStatement({ actions: ['s3:ListBucket', 's3:ListBucketVersions'], resources: buckets.map((b) => b.bucketArn) }),
      new iam.PolicyStatement({ actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'], resources: buckets.map((b) => b.arnForObjects('*')) }),
    ];
  }
}

/** Adds the lab's stack to a CDK app. */
export function addLabStack(app: Construct): ConfigRemediationStack {
  return new ConfigRemediationStack(app);
}
