// The cost gate (DESIGN §10): a synthesized lab template is held against an allowlist of resource types and size
// rules, so that a lab cannot silently become expensive. Pure functions; no aws-cdk-lib.

/** A CloudFormation template as synthesized (the parts the gate reads). */
export interface CfnTemplate {
  readonly Resources?: Readonly<Record<string, CfnTemplateResource>>;
}

/** One resource of a CloudFormation template. */
export interface CfnTemplateResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** The rule a violation breaks. */
export type CostRule =
  | 'resource-type'
  | 'nat-gateway'
  | 'fargate-cpu'
  | 'ecs-desired-count'
  | 'instance-type'
  | 'asg-max-size'
  | 'dynamodb-capacity'
  | 'retain'
  | 'image-digest'
  | 'codebuild-compute'
  | 'codebuild-fleet'
  | 'cloudtrail-scope'
  | 'backup-vault-lock';

/** One way a template breaks the cost gate. */
export interface CostViolation {
  readonly rule: CostRule;
  /** Logical id of the offending resource. */
  readonly resource: string;
  readonly message: string;
}

/** Resource types labs may create; each is free, pay-per-use, or sized by a rule below. */
export const ALLOWED_RESOURCE_TYPES: ReadonlySet<string> = new Set([
  'AWS::CDK::Metadata',
  'AWS::CloudFormation::CustomResource',
  'AWS::Logs::LogGroup',
  'AWS::Logs::LogStream',
  'AWS::Logs::MetricFilter',
  'AWS::Logs::SubscriptionFilter',
  'AWS::Lambda::Function',
  'AWS::Lambda::Permission',
  'AWS::Lambda::Alias',
  'AWS::Lambda::Version',
  'AWS::Lambda::EventSourceMapping',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::IAM::InstanceProfile',
  'AWS::SNS::Topic',
  'AWS::SNS::TopicPolicy',
  'AWS::SNS::Subscription',
  'AWS::Events::Rule',
  'AWS::Events::EventBus',
  'AWS::Scheduler::Schedule',
  'AWS::Scheduler::ScheduleGroup',
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::CompositeAlarm',
  'AWS::CloudWatch::Dashboard',
  'AWS::S3::Bucket',
  'AWS::S3::BucketPolicy',
  'AWS::SQS::Queue',
  'AWS::SQS::QueuePolicy',
  'AWS::SSM::Parameter',
  'AWS::SSM::Document',
  'AWS::SSM::Association',
  'AWS::SSM::PatchBaseline',
  'AWS::Config::ConfigRule',
  'AWS::Config::RemediationConfiguration',
  'AWS::Config::ConfigurationRecorder',
  'AWS::Config::DeliveryChannel',
  'AWS::CodeDeploy::Application',
  'AWS::CodeDeploy::DeploymentGroup',
  'AWS::CodeDeploy::DeploymentConfig',
  'AWS::ECS::Cluster',
  'AWS::ECS::Service',
  'AWS::ECS::TaskDefinition',
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ElasticLoadBalancingV2::ListenerRule',
  'AWS::ElasticLoadBalancingV2::TargetGroup',
  'AWS::EC2::VPC',
  'AWS::EC2::Subnet',
  'AWS::EC2::RouteTable',
  'AWS::EC2::Route',
  'AWS::EC2::SubnetRouteTableAssociation',
  'AWS::EC2::InternetGateway',
  'AWS::EC2::VPCGatewayAttachment',
  'AWS::EC2::SecurityGroup',
  'AWS::EC2::SecurityGroupIngress',
  'AWS::EC2::SecurityGroupEgress',
  'AWS::EC2::VPCEndpoint',
  'AWS::EC2::Instance',
  'AWS::EC2::LaunchTemplate',
  'AWS::AutoScaling::AutoScalingGroup',
  'AWS::AutoScaling::ScalingPolicy',
  'AWS::AutoScaling::LifecycleHook',
  'AWS::CodeBuild::Project',
  'AWS::CodeBuild::ReportGroup',
  'AWS::CodePipeline::Pipeline',
  'AWS::ECR::Repository',
  'AWS::CodeArtifact::Domain',
  'AWS::CodeArtifact::Repository',
  'AWS::DynamoDB::Table',
  'AWS::Backup::BackupVault',
  'AWS::Backup::BackupPlan',
  'AWS::Backup::BackupSelection',
  'AWS::KMS::Key',
  'AWS::KMS::Alias',
  'AWS::CloudTrail::Trail',
]);

/** Most Fargate CPU units a task may ask for (512 = 0.5 vCPU). */
export const MAX_FARGATE_CPU = 512;
/** Most tasks an ECS service may run. */
export const MAX_ECS_DESIRED_COUNT = 2;
/** Most instances an Auto Scaling group of a lab template may run (its MaxSize, a literal). */
export const MAX_ASG_SIZE = 4;
/** Most read or write capacity units of a provisioned DynamoDB table or index. */
export const MAX_DYNAMODB_CAPACITY = 5;

const SMALL_INSTANCE = /^[a-z0-9-]+\.(nano|micro|small)$/;
/** CodeBuild compute types labs may use: the smallest on-demand EC2 type, or small Lambda compute. */
export const CODEBUILD_COMPUTE_TYPES: ReadonlySet<string> = new Set(['BUILD_GENERAL1_SMALL', 'BUILD_LAMBDA_1GB', 'BUILD_LAMBDA_2GB']);
const RETAINING_POLICIES = new Set(['Retain', 'RetainExceptOnCreate', 'Snapshot']);

/** Everything in a template that breaks the cost gate; empty when it passes. */
export function costGate(template: CfnTemplate): CostViolation[] {
  const violations: CostViolation[] = [];
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    const props = resource.Properties ?? {};
    const add = (rule: CostRule, message: string) => violations.push({ rule, resource: id, message });
    for (const policy of ['DeletionPolicy', 'UpdateReplacePolicy'] as const) {
      const value = resource[policy];
      if (value !== undefined && RETAINING_POLICIES.has(value)) {
        add('retain', `${id} has ${policy} ${value}; lab resources must go with the stack (use Delete).`);
      }
    }
    switch (resource.Type) {
      case 'AWS::EC2::NatGateway':
        add('nat-gateway', `${id} is a NAT gateway ($0.045 per hour plus data); labs use public subnets or VPC endpoints.`);
        continue;
      case 'AWS::ECS::TaskDefinition':
        checkFargateCpu(id, props, add);
        checkImageDigests(id, props, add);
        break;
      case 'AWS::ECS::Service': {
        const count = props.DesiredCount ?? 1;
        if (typeof count !== 'number' || count > MAX_ECS_DESIRED_COUNT) {
          add('ecs-desired-count', `ECS service ${id} runs ${show(count)} tasks; labs run at most ${MAX_ECS_DESIRED_COUNT}.`);
        }
        break;
      }
      case 'AWS::EC2::Instance':
        checkInstanceType(id, props.InstanceType, add);
        break;
      case 'AWS::EC2::LaunchTemplate':
        checkInstanceType(id, field(props.LaunchTemplateData, 'InstanceType'), add);
        break;
      case 'AWS::AutoScaling::AutoScalingGroup':
        for (const override of list(field(field(props.MixedInstancesPolicy, 'LaunchTemplate'), 'Overrides'))) {
          checkInstanceType(id, field(override, 'InstanceType'), add);
        }
        checkGroupSize(id, props.MaxSize, add);
        break;
      case 'AWS::DynamoDB::Table':
        checkDynamoDbCapacity(id, props, add);
        break;
      case 'AWS::Backup::BackupVault':
        // A locked vault keeps every recovery point for its minimum retention (for ever once a compliance lock is fixed):
        // the stack could not empty or delete it, and its storage would bill on.
        if (props.LockConfiguration !== undefined) {
          add('backup-vault-lock', `Backup vault ${id} has a vault lock; lab vaults must be emptied and deleted with the stack.`);
        }
        break;
      case 'AWS::CodeBuild::Project':
        checkCodeBuildEnvironment(id, props.Environment, add);
        break;
      case 'AWS::CodeBuild::Fleet':
        add('codebuild-fleet', `${id} is a CodeBuild reserved-capacity fleet (billed while it runs, builds or not); labs use on-demand compute.`);
        continue;
      case 'AWS::CloudTrail::Trail':
        checkTrailScope(id, props, add);
        break;
      case 'AWS::Lambda::Function': {
        const imageUri = field(props.Code, 'ImageUri');
        if (imageUri !== undefined) checkDigest(id, imageUri, add);
        break;
      }
    }
    if (!ALLOWED_RESOURCE_TYPES.has(resource.Type) && !resource.Type.startsWith('Custom::')) {
      add(
        'resource-type',
        `${id} has type ${resource.Type}, which the cost gate does not allow; add the type to ALLOWED_RESOURCE_TYPES ` +
          'in lib/cost-gate.ts, with a size rule if it has a size.',
      );
    }
  }
  return violations;
}

type Add = (rule: CostRule, message: string) => void;

/** A lab trail records management events only: data events and Insights are billed per event and can run to dollars an hour. */
function checkTrailScope(id: string, props: Readonly<Record<string, unknown>>, add: Add): void {
  const dataEvents = list(props.EventSelectors).some((s) => list(field(s, 'DataResources')).length > 0);
  const advanced = list(props.AdvancedEventSelectors).some((s) =>
    list(field(s, 'FieldSelectors')).some((f) => field(f, 'Field') === 'eventCategory' && list(field(f, 'Equals')).some((v) => v !== 'Management')),
  );
  if (dataEvents || advanced) add('cloudtrail-scope', `Trail ${id} records data events ($0.10 per 100,000); lab trails record management events only.`);
  if (list(props.InsightSelectors).length > 0) add('cloudtrail-scope', `Trail ${id} has CloudTrail Insights ($0.35 per 100,000 events analyzed); lab trails do without.`);
}

function checkFargateCpu(id: string, props: Readonly<Record<string, unknown>>, add: Add): void {
  if (!list(props.RequiresCompatibilities).includes('FARGATE')) return;
  const units = cpuUnits(props.Cpu);
  if (units === undefined || units > MAX_FARGATE_CPU) {
    add('fargate-cpu', `Task definition ${id} asks Fargate for ${show(props.Cpu)} CPU; labs use at most ${MAX_FARGATE_CPU} units (0.5 vCPU).`);
  }
}

/** CPU units of an ECS Cpu value: "256", 256 or "0.25 vCPU"; undefined when not a literal. */
function cpuUnits(cpu: unknown): number | undefined {
  if (typeof cpu === 'number') return cpu;
  if (typeof cpu !== 'string') return undefined;
  const vcpu = /^\s*([\d.]+)\s*vcpu\s*$/i.exec(cpu);
  if (vcpu) return Number(vcpu[1]) * 1024;
  return /^\d+$/.test(cpu) ? Number(cpu) : undefined;
}

function checkImageDigests(id: string, props: Readonly<Record<string, unknown>>, add: Add): void {
  for (const container of list(props.ContainerDefinitions)) checkDigest(id, field(container, 'Image'), add);
}

function checkDigest(id: string, image: unknown, add: Add): void {
  // An image built with intrinsics (an ECR repository URI) passes when a literal part carries the digest.
  if (!JSON.stringify(image ?? null).includes('@sha256:')) {
    add('image-digest', `Container image ${show(image)} of ${id} is not pinned by digest (…@sha256:<digest>).`);
  }
}

function checkInstanceType(id: string, type: unknown, add: Add): void {
  if (typeof type !== 'string' || !SMALL_INSTANCE.test(type)) {
    add('instance-type', `${id} uses instance type ${show(type)}; labs use nano, micro or small instances only.`);
  }
}

function checkCodeBuildEnvironment(id: string, environment: unknown, add: Add): void {
  const computeType = field(environment, 'ComputeType');
  if (typeof computeType !== 'string' || !CODEBUILD_COMPUTE_TYPES.has(computeType)) {
    add('codebuild-compute', `CodeBuild project ${id} uses compute type ${show(computeType)}; labs use ${[...CODEBUILD_COMPUTE_TYPES].join(', ')}.`);
  }
  if (field(environment, 'Fleet') !== undefined) {
    add('codebuild-fleet', `CodeBuild project ${id} builds on a reserved-capacity fleet (billed while it runs, builds or not); labs use on-demand compute.`);
  }
}

function checkGroupSize(id: string, maxSize: unknown, add: Add): void {
  const size = typeof maxSize === 'number' ? maxSize : typeof maxSize === 'string' && /^\d+$/.test(maxSize) ? Number(maxSize) : undefined;
  if (size === undefined || size > MAX_ASG_SIZE) {
    add('asg-max-size', `Auto Scaling group ${id} may run ${show(maxSize)} instances (MaxSize); labs run at most ${MAX_ASG_SIZE}.`);
  }
}

function checkDynamoDbCapacity(id: string, props: Readonly<Record<string, unknown>>, add: Add): void {
  if (props.BillingMode === 'PAY_PER_REQUEST') return;
  const throughputs = [props.ProvisionedThroughput, ...list(props.GlobalSecondaryIndexes).map((i) => field(i, 'ProvisionedThroughput'))];
  for (const throughput of throughputs) {
    const read = field(throughput, 'ReadCapacityUnits');
    const write = field(throughput, 'WriteCapacityUnits');
    if (!(typeof read === 'number' && read <= MAX_DYNAMODB_CAPACITY && typeof write === 'number' && write <= MAX_DYNAMODB_CAPACITY)) {
      add(
        'dynamodb-capacity',
        `DynamoDB table ${id} provisions ${show(read)} RCU / ${show(write)} WCU; labs use on-demand (PAY_PER_REQUEST) ` +
          `or at most ${MAX_DYNAMODB_CAPACITY} of each.`,
      );
      return;
    }
  }
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function show(value: unknown): string {
  if (value === undefined) return '(none)';
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
}
