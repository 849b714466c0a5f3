// The leftover audit's second opinion: the Resource Groups Tagging API keeps listing deleted resources for a
// while (ELB listeners and rules: aws/aws-sdk#676, aws/aws-cli#8197) and ECS keeps INACTIVE task-definition
// revisions, tags and all, forever. So every tag hit is confirmed with the owning service's own read API
// before it counts. SDK clients are required on first use: `destroy` loads only those a hit needs.
import pLimit from 'p-limit';
import { awsErrorMessage, awsErrorName } from '../aws/errors';
import { DoplabError } from '../errors';
import type { Leftover } from '../lab';

/** A read-only SDK client in a region (the audit's session clients). */
export type ClientFor = <C extends object>(ctor: new (config: never) => C, region: string) => C;

/** The parts of an ARN a confirmer needs. */
export interface ParsedArn {
  readonly arn: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  /** The resource type (`listener`, `task-definition`, `log-group`…), or '' when the ARN has none (SNS, SQS, S3, CodePipeline). */
  readonly type: string;
  /** What follows the type and its separator (the whole resource part when there is no type). */
  readonly id: string;
}

/** `arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/x/1/2` → its parts; undefined for anything else. */
export function parseArn(arn: string): ParsedArn | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, , service, region, account] = parts;
  const resource = parts.slice(5).join(':');
  const sep = resource.search(/[/:]/);
  return sep < 0
    ? { arn, service, region, account, type: '', id: resource }
    : { arn, service, region, account, type: resource.slice(0, sep), id: resource.slice(sep + 1) };
}

/** Why a listed resource does not count (it is gone, INACTIVE, being deleted…), or undefined when it exists. */
type Verdict = string | undefined;

/** How to ask one service whether a resource the tagging API lists still exists. */
export interface Confirmer {
  /** The IAM actions `confirm` calls, all read-only (tests prove the list exact). */
  readonly actions: readonly string[];
  /** Asks the service. Throws what the service throws; `notFound` says which errors mean "gone". */
  readonly confirm: (arn: ParsedArn, client: ClientFor, region: string) => Promise<Verdict>;
  /** AWS error names that mean the resource does not exist. */
  readonly notFound: readonly string[];
}

const elbv2 = (): typeof import('@aws-sdk/client-elastic-load-balancing-v2') => require('@aws-sdk/client-elastic-load-balancing-v2');
const ecs = (): typeof import('@aws-sdk/client-ecs') => require('@aws-sdk/client-ecs');
const logs = (): typeof import('@aws-sdk/client-cloudwatch-logs') => require('@aws-sdk/client-cloudwatch-logs');
const sns = (): typeof import('@aws-sdk/client-sns') => require('@aws-sdk/client-sns');
const sqs = (): typeof import('@aws-sdk/client-sqs') => require('@aws-sdk/client-sqs');
const lambda = (): typeof import('@aws-sdk/client-lambda') => require('@aws-sdk/client-lambda');
const s3 = (): typeof import('@aws-sdk/client-s3') => require('@aws-sdk/client-s3');
const cloudwatch = (): typeof import('@aws-sdk/client-cloudwatch') => require('@aws-sdk/client-cloudwatch');
const events = (): typeof import('@aws-sdk/client-eventbridge') => require('@aws-sdk/client-eventbridge');
const scheduler = (): typeof import('@aws-sdk/client-scheduler') => require('@aws-sdk/client-scheduler');
const dynamodb = (): typeof import('@aws-sdk/client-dynamodb') => require('@aws-sdk/client-dynamodb');
const codepipeline = (): typeof import('@aws-sdk/client-codepipeline') => require('@aws-sdk/client-codepipeline');
const codebuild = (): typeof import('@aws-sdk/client-codebuild') => require('@aws-sdk/client-codebuild');
const codedeploy = (): typeof import('@aws-sdk/client-codedeploy') => require('@aws-sdk/client-codedeploy');
const ecr = (): typeof import('@aws-sdk/client-ecr') => require('@aws-sdk/client-ecr');
const backup = (): typeof import('@aws-sdk/client-backup') => require('@aws-sdk/client-backup');
const kms = (): typeof import('@aws-sdk/client-kms') => require('@aws-sdk/client-kms');
const ssm = (): typeof import('@aws-sdk/client-ssm') => require('@aws-sdk/client-ssm');
const cfn = (): typeof import('@aws-sdk/client-cloudformation') => require('@aws-sdk/client-cloudformation');
const ec2 = (): typeof import('@aws-sdk/client-ec2') => require('@aws-sdk/client-ec2');
const config = (): typeof import('@aws-sdk/client-config-service') => require('@aws-sdk/client-config-service');

const GONE = 'no longer exists (the tagging index lags deletions)';

/** An EC2 resource confirmed by its Describe call with an id filter (`vpc/vpc-0abc…` → DescribeVpcs VpcIds). */
function ec2Confirmer(action: string, notFound: string, describe: (id: string, client: ClientFor, region: string) => Promise<readonly unknown[] | undefined>): Confirmer {
  return { actions: [action], notFound: [notFound], confirm: async (a, client, region) => ((await describe(a.id, client, region))?.length ? undefined : GONE) };
}

/** `name` or `bus/name` (EventBridge rules), `group/name` (Scheduler schedules): the last part and what precedes it. */
function splitLast(id: string): { readonly parent?: string; readonly name: string } {
  const i = id.lastIndexOf('/');
  return i < 0 ? { name: id } : { parent: id.slice(0, i), name: id.slice(i + 1) };
}

/**
 * One confirmer per `<service>:<resource type>` of the ARN (`<service>:` when the ARN has no type), for the
 * types labs create. IAM roles and users have none: GetResources does not list them ("Services that support
 * the Resource Groups Tagging API"). A type missing here is reported as listed, never hidden.
 */
export const CONFIRMERS: Readonly<Record<string, Confirmer>> = {
  'elasticloadbalancing:listener': {
    actions: ['elasticloadbalancing:DescribeListeners'],
    notFound: ['ListenerNotFoundException', 'ListenerNotFound'],
    confirm: async (a, client, region) => {
      const { DescribeListenersCommand, ElasticLoadBalancingV2Client } = elbv2();
      return (await client(ElasticLoadBalancingV2Client, region).send(new DescribeListenersCommand({ ListenerArns: [a.arn] }))).Listeners?.length ? undefined : GONE;
    },
  },
  'elasticloadbalancing:listener-rule': {
    actions: ['elasticloadbalancing:DescribeRules'],
    notFound: ['RuleNotFoundException', 'RuleNotFound'],
    confirm: async (a, client, region) => {
      const { DescribeRulesCommand, ElasticLoadBalancingV2Client } = elbv2();
      return (await client(ElasticLoadBalancingV2Client, region).send(new DescribeRulesCommand({ RuleArns: [a.arn] }))).Rules?.length ? undefined : GONE;
    },
  },
  'elasticloadbalancing:loadbalancer': {
    actions: ['elasticloadbalancing:DescribeLoadBalancers'],
    notFound: ['LoadBalancerNotFoundException', 'LoadBalancerNotFound'],
    confirm: async (a, client, region) => {
      const { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } = elbv2();
      return (await client(ElasticLoadBalancingV2Client, region).send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [a.arn] }))).LoadBalancers?.length ? undefined : GONE;
    },
  },
  'elasticloadbalancing:targetgroup': {
    actions: ['elasticloadbalancing:DescribeTargetGroups'],
    notFound: ['TargetGroupNotFoundException', 'TargetGroupNotFound'],
    confirm: async (a, client, region) => {
      const { DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client } = elbv2();
      return (await client(ElasticLoadBalancingV2Client, region).send(new DescribeTargetGroupsCommand({ TargetGroupArns: [a.arn] }))).TargetGroups?.length ? undefined : GONE;
    },
  },
  'ecs:task-definition': {
    actions: ['ecs:DescribeTaskDefinition'],
    notFound: [],
    confirm: async (a, client, region) => {
      const { DescribeTaskDefinitionCommand, ECSClient } = ecs();
      try {
        const status = (await client(ECSClient, region).send(new DescribeTaskDefinitionCommand({ taskDefinition: a.arn }))).taskDefinition?.status;
        if (status === 'INACTIVE') return 'INACTIVE revision (ECS keeps deregistered revisions, tags and all; they cost nothing)';
        if (status === 'DELETE_IN_PROGRESS') return 'revision being deleted';
        return undefined;
      } catch (error) {
        // ECS answers a deleted revision with a plain ClientException.
        if (awsErrorName(error) === 'ClientException' && /unable to describe task definition/i.test(awsErrorMessage(error))) return GONE;
        throw error;
      }
    },
  },
  'ecs:cluster': {
    actions: ['ecs:DescribeClusters'],
    notFound: [],
    confirm: async (a, client, region) => {
      const { DescribeClustersCommand, ECSClient } = ecs();
      const cluster = (await client(ECSClient, region).send(new DescribeClustersCommand({ clusters: [a.arn] }))).clusters?.[0];
      return cluster && cluster.status !== 'INACTIVE' ? undefined : `cluster ${cluster ? 'INACTIVE' : 'missing'} (deleted)`;
    },
  },
  'ecs:service': {
    actions: ['ecs:DescribeServices'],
    notFound: ['ClusterNotFoundException'],
    confirm: async (a, client, region) => {
      const { DescribeServicesCommand, ECSClient } = ecs();
      // service/<cluster>/<name>; the old ARN format without the cluster cannot be confirmed.
      const { parent: cluster } = splitLast(a.id);
      if (!cluster) throw new Error(`the ARN does not name the service's cluster`);
      const service = (await client(ECSClient, region).send(new DescribeServicesCommand({ cluster, services: [a.arn] }))).services?.[0];
      if (!service) return `service missing (deleted)`;
      return service.status === 'ACTIVE' ? undefined : `service ${service.status} (deleted)`;
    },
  },
  'logs:log-group': {
    actions: ['logs:DescribeLogGroups'],
    notFound: ['ResourceNotFoundException'],
    confirm: async (a, client, region) => {
      const { CloudWatchLogsClient, DescribeLogGroupsCommand } = logs();
      const name = a.id.replace(/:\*$/, '');
      // Names are listed in order, so the exact name is the first one with it as a prefix.
      const groups = (await client(CloudWatchLogsClient, region).send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name, limit: 1 }))).logGroups ?? [];
      return groups[0]?.logGroupName === name ? undefined : GONE;
    },
  },
  'sns:': {
    actions: ['sns:GetTopicAttributes'],
    notFound: ['NotFoundException', 'NotFound'],
    confirm: async (a, client, region) => {
      const { GetTopicAttributesCommand, SNSClient } = sns();
      await client(SNSClient, region).send(new GetTopicAttributesCommand({ TopicArn: a.arn }));
      return undefined;
    },
  },
  'sqs:': {
    actions: ['sqs:GetQueueUrl'],
    notFound: ['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'],
    confirm: async (a, client, region) => {
      const { GetQueueUrlCommand, SQSClient } = sqs();
      await client(SQSClient, region).send(new GetQueueUrlCommand({ QueueName: a.id, QueueOwnerAWSAccountId: a.account }));
      return undefined;
    },
  },
  'lambda:function': {
    actions: ['lambda:GetFunctionConfiguration'],
    notFound: ['ResourceNotFoundException'],
    confirm: async (a, client, region) => {
      const { GetFunctionConfigurationCommand, LambdaClient } = lambda();
      await client(LambdaClient, region).send(new GetFunctionConfigurationCommand({ FunctionName: a.arn }));
      return undefined;
    },
  },
  's3:': {
    actions: ['s3:GetBucketLocation'],
    notFound: ['NoSuchBucket', 'NotFound'],
    confirm: async (a, client, region) => {
      const { GetBucketLocationCommand, S3Client } = s3();
      await client(S3Client, region).send(new GetBucketLocationCommand({ Bucket: a.id }));
      return undefined;
    },
  },
  'cloudwatch:alarm': {
    actions: ['cloudwatch:DescribeAlarms'],
    notFound: [],
    confirm: async (a, client, region) => {
      const { CloudWatchClient, DescribeAlarmsCommand } = cloudwatch();
      const page = await client(CloudWatchClient, region).send(new DescribeAlarmsCommand({ AlarmNames: [a.id], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }));
      return (page.MetricAlarms?.length ?? 0) + (page.CompositeAlarms?.length ?? 0) > 0 ? undefined : GONE;
    },
  },
  'events:rule': {
    actions: ['events:DescribeRule'],
    notFound: ['ResourceNotFoundException'],
    confirm: async (a, client, region) => {
      const { DescribeRuleCommand, EventBridgeClient } = events();
      const { parent: bus, name } = splitLast(a.id);
      await client(EventBridgeClient, region).send(new DescribeRuleCommand({ Name: name, EventBusName: bus }));
      return undefined;
    },
  },
  'events:event-bus': {
    actions: ['events:DescribeEventBus'],
    notFound: ['ResourceNotFoundException'],
    confirm: async (a, client, region) => {
      const { DescribeEventBusCommand, EventBridgeClient } = events();
      await client(EventBridgeClient, region).send(new DescribeEventBusCommand({ Name: a.id }));
      return undefined;
    },
  },
  'scheduler:schedule': {
    actions: ['scheduler:GetSchedule'],
    notFound: ['ResourceNotFoundException'],
    confirm: async (a, client, region) => {
      const { GetScheduleCommand, SchedulerClient } = scheduler();
      const { parent: group, name } = splitLast(a.id);
      await client(SchedulerClient, region).send(new GetScheduleCommand({ Name: name, GroupName: group }));
      return undefined;
    },
  },
  'scheduler:schedule-group': {
    actions: ['scheduler:GetScheduleGroup'],
    notFound: ['ResourceNotFoundException'],
    confirm: async (a, client, region) => {
      const { GetScheduleGroupCommand, SchedulerClient } = scheduler();
      const state = (await client(SchedulerClient, region).send(new GetScheduleGroupCommand({ Name: a.id }))).State;
      return state === 'DELETING' ? 'schedule group being deleted' : undefined;
    },
  },
  'dynamodb:table': {
    actions: ['dynamodb:DescribeTable'],
    notFound: ['ResourceNotFoundException'],
    confirm: async (a, client, region) => {
      const { DescribeTableCommand, DynamoDBClient } = dynamodb();
      const status = (await client(DynamoDBClient, region).send(new DescribeTableCommand({ TableName: a.arn }))).Table?.TableStatus;
      return status === 'DELETING' ? 'table being deleted' : undefined;
    },
  },
  'codepipeline:': {
    actions: ['codepipeline:GetPipeline'],
    notFound: ['PipelineNotFoundException'],
    confirm: async (a, client, region) => {
      const { CodePipelineClient, GetPipelineCommand } = codepipeline();
      await client(CodePipelineClient, region).send(new GetPipelineCommand({ name: a.id }));
      return undefined;
    },
  },
  'codebuild:project': {
    actions: ['codebuild:BatchGetProjects'],
    notFound: [],
    confirm: async (a, client, region) => {
      const { BatchGetProjectsCommand, CodeBuildClient } = codebuild();
      const found = (await client(CodeBuildClient, region).send(new BatchGetProjectsCommand({ names: [a.arn] }))).projects ?? [];
      return found.length > 0 ? undefined : GONE;
    },
  },
  'codedeploy:application': {
    actions: ['codedeploy:GetApplication'],
    notFound: ['ApplicationDoesNotExistException'],
    confirm: async (a, client, region) => {
      const { CodeDeployClient, GetApplicationCommand } = codedeploy();
      await client(CodeDeployClient, region).send(new GetApplicationCommand({ applicationName: a.id }));
      return undefined;
    },
  },
  'codedeploy:deploymentgroup': {
    actions: ['codedeploy:GetDeploymentGroup'],
    notFound: ['DeploymentGroupDoesNotExistException', 'ApplicationDoesNotExistException'],
    confirm: async (a, client, region) => {
      const { CodeDeployClient, GetDeploymentGroupCommand } = codedeploy();
      const { parent: applicationName, name } = splitLast(a.id);
      await client(CodeDeployClient, region).send(new GetDeploymentGroupCommand({ applicationName, deploymentGroupName: name }));
      return undefined;
    },
  },
  'ecr:repository': {
    actions: ['ecr:DescribeRepositories'],
    notFound: ['RepositoryNotFoundException'],
    confirm: async (a, client, region) => {
      const { DescribeRepositoriesCommand, ECRClient } = ecr();
      await client(ECRClient, region).send(new DescribeRepositoriesCommand({ registryId: a.account, repositoryNames: [a.id] }));
      return undefined;
    },
  },
  'backup:backup-vault': {
    actions: ['backup:DescribeBackupVault'],
    notFound: ['ResourceNotFoundException'],
    confirm: async (a, client, region) => {
      const { BackupClient, DescribeBackupVaultCommand } = backup();
      await client(BackupClient, region).send(new DescribeBackupVaultCommand({ BackupVaultName: a.id }));
      return undefined;
    },
  },
  'backup:backup-plan': {
    actions: ['backup:GetBackupPlan'],
    notFound: ['ResourceNotFoundException'],
    confirm: async (a, client, region) => {
      const { BackupClient, GetBackupPlanCommand } = backup();
      // AWS Backup keeps answering for a deleted plan, with its DeletionDate.
      const plan = await client(BackupClient, region).send(new GetBackupPlanCommand({ BackupPlanId: a.id }));
      return plan.DeletionDate ? `backup plan deleted ${plan.DeletionDate.toISOString()}` : undefined;
    },
  },
  'kms:key': {
    actions: ['kms:DescribeKey'],
    notFound: ['NotFoundException'],
    confirm: async (a, client, region) => {
      const { DescribeKeyCommand, KMSClient } = kms();
      const key = (await client(KMSClient, region).send(new DescribeKeyCommand({ KeyId: a.arn }))).KeyMetadata;
      return key?.KeyState === 'PendingDeletion' || key?.KeyState === 'PendingReplicaDeletion'
        ? `key scheduled for deletion${key.DeletionDate ? ` on ${key.DeletionDate.toISOString()}` : ''} (KMS keeps a key 7 to 30 days)`
        : undefined;
    },
  },
  'ssm:parameter': {
    actions: ['ssm:GetParameter'],
    notFound: ['ParameterNotFound'],
    confirm: async (a, client, region) => {
      const { GetParameterCommand, SSMClient } = ssm();
      // The ARN of `/a/b` is `parameter/a/b`; a name without a slash has none.
      await client(SSMClient, region).send(new GetParameterCommand({ Name: a.id.includes('/') ? `/${a.id}` : a.id }));
      return undefined;
    },
  },
  'cloudformation:stack': {
    actions: ['cloudformation:DescribeStacks'],
    notFound: [],
    confirm: async (a, client, region) => {
      const { CloudFormationClient, DescribeStacksCommand } = cfn();
      try {
        // By stack id, CloudFormation answers for a deleted stack with DELETE_COMPLETE.
        const status = (await client(CloudFormationClient, region).send(new DescribeStacksCommand({ StackName: a.arn }))).Stacks?.[0]?.StackStatus;
        return !status || status === 'DELETE_COMPLETE' ? 'stack DELETE_COMPLETE' : undefined;
      } catch (error) {
        if (awsErrorName(error) === 'ValidationError' && /does not exist/.test(awsErrorMessage(error))) return GONE;
        throw error;
      }
    },
  },
  'cloudformation:stackset': {
    actions: ['cloudformation:DescribeStackSet'],
    notFound: ['StackSetNotFoundException'],
    confirm: async (a, client, region) => {
      const { CloudFormationClient, DescribeStackSetCommand } = cfn();
      // stackset/<name>:<uuid>
      const name = a.id.replace(/:[^:]*$/, '');
      const status = (await client(CloudFormationClient, region).send(new DescribeStackSetCommand({ StackSetName: name }))).StackSet?.Status;
      return status === 'DELETED' ? 'stack set DELETED' : undefined;
    },
  },
  'config:config-rule': {
    actions: ['config:DescribeConfigRules'],
    notFound: [],
    confirm: async (a, client, region) => {
      const { ConfigServiceClient, DescribeConfigRulesCommand } = config();
      // The ARN carries the rule's id, and DescribeConfigRules filters by name only: look through the rules.
      const cfg = client(ConfigServiceClient, region);
      let token: string | undefined;
      do {
        const page = await cfg.send(new DescribeConfigRulesCommand({ NextToken: token }));
        const rule = (page.ConfigRules ?? []).find((r) => r.ConfigRuleArn === a.arn);
        if (rule) return rule.ConfigRuleState === 'DELETING' ? 'Config rule being deleted' : undefined;
        token = page.NextToken;
      } while (token);
      return GONE;
    },
  },
  'ec2:vpc': ec2Confirmer('ec2:DescribeVpcs', 'InvalidVpcID.NotFound', async (id, client, region) => {
    const { DescribeVpcsCommand, EC2Client } = ec2();
    return (await client(EC2Client, region).send(new DescribeVpcsCommand({ VpcIds: [id] }))).Vpcs;
  }),
  'ec2:subnet': ec2Confirmer('ec2:DescribeSubnets', 'InvalidSubnetID.NotFound', async (id, client, region) => {
    const { DescribeSubnetsCommand, EC2Client } = ec2();
    return (await client(EC2Client, region).send(new DescribeSubnetsCommand({ SubnetIds: [id] }))).Subnets;
  }),
  'ec2:security-group': ec2Confirmer('ec2:DescribeSecurityGroups', 'InvalidGroup.NotFound', async (id, client, region) => {
    const { DescribeSecurityGroupsCommand, EC2Client } = ec2();
    return (await client(EC2Client, region).send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }))).SecurityGroups;
  }),
  'ec2:internet-gateway': ec2Confirmer('ec2:DescribeInternetGateways', 'InvalidInternetGatewayID.NotFound', async (id, client, region) => {
    const { DescribeInternetGatewaysCommand, EC2Client } = ec2();
    return (await client(EC2Client, region).send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [id] }))).InternetGateways;
  }),
  'ec2:route-table': ec2Confirmer('ec2:DescribeRouteTables', 'InvalidRouteTableID.NotFound', async (id, client, region) => {
    const { DescribeRouteTablesCommand, EC2Client } = ec2();
    return (await client(EC2Client, region).send(new DescribeRouteTablesCommand({ RouteTableIds: [id] }))).RouteTables;
  }),
};

/** The confirmer for an ARN, or undefined when doplab has none for its type. */
export function confirmerFor(arn: ParsedArn): Confirmer | undefined {
  return CONFIRMERS[`${arn.service}:${arn.type}`];
}

/** Every action the leftover audit's confirmations may call (the tagging API's own `tag:GetResources` aside), sorted. */
export function confirmerActions(): string[] {
  return [...new Set(Object.values(CONFIRMERS).flatMap((c) => c.actions))].sort();
}

/** A tag hit the owning service says is not a leftover. */
export interface Dismissed {
  readonly resource: string;
  readonly region: string;
  /** What the service said: gone, INACTIVE, being deleted… */
  readonly why: string;
}

/** What confirming the tag hits found. */
export interface Confirmation {
  /** Hits that still count: confirmed present, of a type doplab cannot confirm, or whose confirmation failed (each says which). */
  readonly kept: readonly Leftover[];
  readonly dismissed: readonly Dismissed[];
}

/**
 * Asks each hit's own service whether it still exists. Gone (or INACTIVE, or being deleted) = not a leftover.
 * A type without a confirmer is kept, and so is a hit whose confirmation fails for any reason other than "not
 * found" (access denied, throttling…): the reason says so, because an unconfirmed hit may be real.
 */
export async function confirmTagHits(hits: readonly Leftover[], client: ClientFor): Promise<Confirmation> {
  // A few at a time: a lab just deleted can leave dozens of listings, and the reads share each service's rate limit.
  const limit = pLimit(8);
  const results = await Promise.all(
    hits.map((hit) => limit(async (): Promise<{ kept?: Leftover; dismissed?: Dismissed }> => {
      const arn = parseArn(hit.resource);
      const confirmer = arn && confirmerFor(arn);
      if (!arn || !confirmer) {
        const what = arn ? `${arn.service} ${arn.type || 'resources'}` : 'this resource';
        return { kept: { ...hit, reason: `${hit.reason} (doplab cannot confirm ${what} with the service; reported as listed)` } };
      }
      const region = arn.region || hit.region;
      try {
        const why = await confirmer.confirm(arn, client, region);
        return why ? { dismissed: { resource: hit.resource, region: hit.region, why } } : { kept: hit };
      } catch (error) {
        if (confirmer.notFound.includes(awsErrorName(error) ?? '')) return { dismissed: { resource: hit.resource, region: hit.region, why: GONE } };
        const message = error instanceof DoplabError || error instanceof Error ? error.message : String(error);
        return { kept: { ...hit, reason: `${hit.reason} (could not confirm it with ${confirmer.actions.join(', ')}: ${message})` } };
      }
    })),
  );
  return {
    kept: results.flatMap((r) => (r.kept ? [r.kept] : [])),
    dismissed: results.flatMap((r) => (r.dismissed ? [r.dismissed] : [])),
  };
}
