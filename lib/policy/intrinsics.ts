// Resolves a synthesized CloudFormation template's intrinsic functions against one concrete environment, so the
// policy proofs see ARNs as AWS will: Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::If and the
// pseudo parameters. Physical names CloudFormation generates are modelled (`<stack>-<logical id>-<suffix>`).
// No aws-cdk-lib import: it reads the template as data.
import { createHash } from 'node:crypto';
import type { CallEnv } from './calls';

/** A template as the proofs read it. */
export interface Template {
  readonly Resources: Readonly<Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown>; readonly Metadata?: Record<string, unknown> }>>;
  readonly Parameters?: Readonly<Record<string, { readonly Default?: unknown }>>;
  readonly Conditions?: Readonly<Record<string, unknown>>;
}

/** How a resource type is named and addressed: the name property, its limits, what Ref returns and its ARN. */
interface TypeRow {
  /** The property that names it, when set. */
  readonly nameProperty?: string;
  /** Longest generated name; generated names are lower-case when `lower`. */
  readonly maxLength?: number;
  readonly lower?: boolean;
  /** What Ref returns: the name (default), the ARN, or the queue URL. */
  readonly ref?: 'name' | 'arn' | 'url';
  /** The ARN, from the name (`${name}`), `${partition}`, `${region}`, `${account}`. */
  readonly arn?: string;
  /** Other attributes, same placeholders; `${id}` is a fixed hex id; `${prop:<Property>}` is the resource's resolved property. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** The property naming the resource it belongs to (`${parent}`: its name, or the name part of an ARN), e.g. a Lambda alias's function. */
  readonly parentProperty?: string;
}

/**
 * The resource types whose names and ARNs the proofs compute (Ref and Fn::GetAtt of other types fail, naming
 * the type: add a row). ARN formats from each service's Service Authorization Reference resource types.
 */
export const RESOURCE_TYPES: Readonly<Record<string, TypeRow>> = {
  'AWS::IAM::Role': { nameProperty: 'RoleName', maxLength: 64, arn: 'arn:${partition}:iam::${account}:role/${name}', attributes: { RoleId: 'AROA${ID}' } },
  'AWS::IAM::ManagedPolicy': { nameProperty: 'ManagedPolicyName', maxLength: 128, ref: 'arn', arn: 'arn:${partition}:iam::${account}:policy/${name}', attributes: { PolicyArn: '${arn}' } },
  'AWS::IAM::Policy': {},
  'AWS::IAM::InstanceProfile': { nameProperty: 'InstanceProfileName', maxLength: 128, arn: 'arn:${partition}:iam::${account}:instance-profile/${name}' },
  'AWS::Lambda::Function': { nameProperty: 'FunctionName', maxLength: 64, arn: 'arn:${partition}:lambda:${region}:${account}:function:${name}' },
  // Ref of an alias or a version returns its ARN (CloudFormation template reference, AWS::Lambda::Alias / ::Version).
  'AWS::Lambda::Alias': { nameProperty: 'Name', maxLength: 128, parentProperty: 'FunctionName', ref: 'arn', arn: 'arn:${partition}:lambda:${region}:${account}:function:${parent}:${name}', attributes: { AliasArn: '${arn}' } },
  'AWS::Lambda::Version': { parentProperty: 'FunctionName', ref: 'arn', arn: 'arn:${partition}:lambda:${region}:${account}:function:${parent}:1', attributes: { Version: '1', FunctionArn: '${arn}' } },
  'AWS::SNS::Topic': { nameProperty: 'TopicName', maxLength: 256, ref: 'arn', arn: 'arn:${partition}:sns:${region}:${account}:${name}', attributes: { TopicArn: '${arn}', TopicName: '${name}' } },
  'AWS::SQS::Queue': {
    nameProperty: 'QueueName',
    maxLength: 80,
    ref: 'url',
    arn: 'arn:${partition}:sqs:${region}:${account}:${name}',
    attributes: { QueueName: '${name}', QueueUrl: 'https://sqs.${region}.amazonaws.com/${account}/${name}' },
  },
  'AWS::S3::Bucket': { nameProperty: 'BucketName', maxLength: 63, lower: true, arn: 'arn:${partition}:s3:::${name}', attributes: { DomainName: '${name}.s3.amazonaws.com' } },
  'AWS::Logs::LogGroup': { nameProperty: 'LogGroupName', maxLength: 512, arn: 'arn:${partition}:logs:${region}:${account}:log-group:${name}:*' },
  'AWS::DynamoDB::Table': { nameProperty: 'TableName', maxLength: 255, arn: 'arn:${partition}:dynamodb:${region}:${account}:table/${name}', attributes: { StreamArn: '${arn}/stream/2026-01-01T00:00:00.000' } },
  'AWS::Events::Rule': { nameProperty: 'Name', maxLength: 64, arn: 'arn:${partition}:events:${region}:${account}:rule/${name}' },
  'AWS::Events::EventBus': { nameProperty: 'Name', maxLength: 256, arn: 'arn:${partition}:events:${region}:${account}:event-bus/${name}' },
  'AWS::Scheduler::Schedule': { nameProperty: 'Name', maxLength: 64, arn: 'arn:${partition}:scheduler:${region}:${account}:schedule/default/${name}' },
  'AWS::StepFunctions::StateMachine': { nameProperty: 'StateMachineName', maxLength: 80, ref: 'arn', arn: 'arn:${partition}:states:${region}:${account}:stateMachine:${name}', attributes: { Name: '${name}' } },
  'AWS::KMS::Key': { ref: 'arn', arn: 'arn:${partition}:kms:${region}:${account}:key/${uuid}', attributes: { KeyId: '${uuid}' } },
  'AWS::SSM::Parameter': { nameProperty: 'Name', maxLength: 128 },
  'AWS::CloudWatch::CompositeAlarm': { nameProperty: 'AlarmName', maxLength: 255, arn: 'arn:${partition}:cloudwatch:${region}:${account}:alarm:${name}' },
  'AWS::CloudTrail::Trail': { nameProperty: 'TrailName', maxLength: 128, arn: 'arn:${partition}:cloudtrail:${region}:${account}:trail/${name}' },
  'AWS::KMS::Alias': { nameProperty: 'AliasName', maxLength: 256 },
  'AWS::SSM::Document': { nameProperty: 'Name', maxLength: 128 },
  'AWS::Backup::BackupVault': { nameProperty: 'BackupVaultName', maxLength: 50, arn: 'arn:${partition}:backup:${region}:${account}:backup-vault:${name}', attributes: { BackupVaultArn: '${arn}', BackupVaultName: '${name}' } },
  'AWS::Backup::BackupPlan': { ref: 'arn', arn: 'arn:${partition}:backup:${region}:${account}:backup-plan:${uuid}', attributes: { BackupPlanId: '${uuid}', BackupPlanArn: '${arn}' } },
  'AWS::AutoScaling::AutoScalingGroup': { nameProperty: 'AutoScalingGroupName', maxLength: 255 },
  'AWS::EC2::LaunchTemplate': { nameProperty: 'LaunchTemplateName', maxLength: 128, attributes: { LaunchTemplateId: 'lt-${id}', LatestVersionNumber: '1', DefaultVersionNumber: '1' } },
  'AWS::CloudWatch::Alarm': { nameProperty: 'AlarmName', maxLength: 255, arn: 'arn:${partition}:cloudwatch:${region}:${account}:alarm:${name}' },
  'AWS::ECR::Repository': { nameProperty: 'RepositoryName', maxLength: 256, lower: true, arn: 'arn:${partition}:ecr:${region}:${account}:repository/${name}', attributes: { RepositoryUri: '${account}.dkr.ecr.${region}.amazonaws.com/${name}' } },
  'AWS::ECS::Cluster': { nameProperty: 'ClusterName', maxLength: 255, arn: 'arn:${partition}:ecs:${region}:${account}:cluster/${name}' },
  'AWS::ECS::TaskDefinition': { nameProperty: 'Family', maxLength: 255, ref: 'arn', arn: 'arn:${partition}:ecs:${region}:${account}:task-definition/${name}:1', attributes: { TaskDefinitionArn: '${arn}' } },
  'AWS::ECS::Service': { nameProperty: 'ServiceName', maxLength: 255, ref: 'arn', arn: 'arn:${partition}:ecs:${region}:${account}:service/cluster/${name}', attributes: { Name: '${name}', ServiceArn: '${arn}' } },
  'AWS::CodeDeploy::Application': { nameProperty: 'ApplicationName', maxLength: 100 },
  'AWS::CodeDeploy::DeploymentGroup': { nameProperty: 'DeploymentGroupName', maxLength: 100 },
  'AWS::CodeBuild::Project': { nameProperty: 'Name', maxLength: 150, arn: 'arn:${partition}:codebuild:${region}:${account}:project/${name}' },
  'AWS::CodePipeline::Pipeline': { nameProperty: 'Name', maxLength: 100, arn: 'arn:${partition}:codepipeline:${region}:${account}:${name}' },
  'AWS::CodeArtifact::Domain': { nameProperty: 'DomainName', maxLength: 50, lower: true, ref: 'arn', arn: 'arn:${partition}:codeartifact:${region}:${account}:domain/${name}', attributes: { Name: '${name}' } },
  // Ref returns the ARN (aws-cdk-lib: repositoryRef.repositoryArn = ref); attributes Arn, DomainName, DomainOwner, Name.
  'AWS::CodeArtifact::Repository': {
    nameProperty: 'RepositoryName',
    maxLength: 100,
    ref: 'arn',
    arn: 'arn:${partition}:codeartifact:${region}:${account}:repository/${prop:DomainName}/${name}',
    attributes: { Name: '${name}', DomainName: '${prop:DomainName}', DomainOwner: '${account}' },
  },
  'AWS::Config::ConfigRule': { nameProperty: 'ConfigRuleName', maxLength: 128, arn: 'arn:${partition}:config:${region}:${account}:config-rule/config-rule-${id6}', attributes: { ConfigRuleId: 'config-rule-${id6}' } },
  'AWS::Config::ConfigurationRecorder': { nameProperty: 'Name', maxLength: 256 },
  'AWS::Config::DeliveryChannel': { nameProperty: 'Name', maxLength: 256 },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': {
    nameProperty: 'Name',
    maxLength: 32,
    ref: 'arn',
    arn: 'arn:${partition}:elasticloadbalancing:${region}:${account}:loadbalancer/app/${name}/${id}',
    attributes: { LoadBalancerFullName: 'app/${name}/${id}', LoadBalancerName: '${name}', DNSName: '${name}-1234567890.${region}.elb.amazonaws.com' },
  },
  'AWS::ElasticLoadBalancingV2::TargetGroup': {
    nameProperty: 'Name',
    maxLength: 32,
    ref: 'arn',
    arn: 'arn:${partition}:elasticloadbalancing:${region}:${account}:targetgroup/${name}/${id}',
    attributes: { TargetGroupFullName: 'targetgroup/${name}/${id}', TargetGroupName: '${name}', TargetGroupArn: '${arn}' },
  },
  'AWS::ElasticLoadBalancingV2::Listener': { ref: 'arn', arn: 'arn:${partition}:elasticloadbalancing:${region}:${account}:listener/app/lb/${id}/${id}', attributes: { ListenerArn: '${arn}' } },
};

/** A stable hex id for a logical id, `length` characters. */
function hexId(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

/** An intrinsic the resolver cannot resolve: the message names it and what to do. */
export class UnresolvableError extends Error {}

/** The template's intrinsics resolved against `env` (the stack's name and id come from `env`). */
export class TemplateResolver {
  private readonly conditions = new Map<string, boolean>();
  private lenient = false;

  constructor(
    readonly template: Template,
    readonly env: CallEnv,
    /** Values of parameters without a default. */
    private readonly parameters: Readonly<Record<string, unknown>> = {},
  ) {}

  /** Like resolve, but an attribute RESOURCE_TYPES lacks becomes `<logical id>.<attribute>` instead of an error. */
  resolveLenient(value: unknown): unknown {
    this.lenient = true;
    try {
      return this.resolve(value);
    } finally {
      this.lenient = false;
    }
  }

  /** `value` with every intrinsic function resolved; `AWS::NoValue` dropped. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v)).filter((v) => v !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0];
      switch (fn) {
        case 'Ref':
          return this.ref(String(arg));
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split(/\.(.*)/s);
          return this.attribute(id, String(this.resolve(attr)));
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).map(String).join(sep);
        }
        case 'Fn::Sub':
          return this.sub(arg);
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
        }
        case 'Fn::Split': {
          const [sep, text] = arg as [string, unknown];
          return String(this.resolve(text)).split(sep);
        }
        case 'Fn::If': {
          const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
          return this.resolve(this.condition(condition) ? whenTrue : whenFalse);
        }
        case 'Fn::GetAZs':
          return ['a', 'b', 'c'].map((z) => `${this.env.region}${z}`);
        case 'Fn::Base64':
          return Buffer.from(String(this.resolve(arg))).toString('base64');
        default:
          if (fn.startsWith('Fn::')) throw new UnresolvableError(`${fn} is not resolved by lib/policy/intrinsics.ts`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const resolved = this.resolve(v);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }

  /** What Ref returns for a pseudo parameter, parameter or resource. */
  ref(name: string): unknown {
    const { partition, account, region, stackName, stackId } = this.env;
    const pseudo: Record<string, unknown> = {
      'AWS::Partition': partition,
      'AWS::AccountId': account,
      'AWS::Region': region,
      'AWS::StackName': stackName,
      'AWS::StackId': stackId,
      'AWS::URLSuffix': partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
      'AWS::NoValue': NO_VALUE,
      'AWS::NotificationARNs': [],
    };
    if (name in pseudo) return pseudo[name];
    if (name in this.parameters) return this.parameters[name];
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Default === undefined) throw new UnresolvableError(`Parameter ${name} has no default; pass its value to the resolver`);
      return parameter.Default;
    }
    const resource = this.resource(name);
    const row = RESOURCE_TYPES[resource.Type];
    if (!row) return `${name.toLowerCase()}-${hexId(name, 8)}`;
    if (row.ref === 'arn') return this.attribute(name, 'Arn');
    if (row.ref === 'url') return this.attribute(name, 'QueueUrl');
    return this.physicalName(name);
  }

  /** Fn::GetAtt of a resource, from RESOURCE_TYPES. */
  attribute(logicalId: string, attribute: string): string {
    const resource = this.resource(logicalId);
    const row = RESOURCE_TYPES[resource.Type];
    const format = attribute === 'Arn' ? row?.arn : row?.attributes?.[attribute];
    if (!row || format === undefined) {
      if (this.lenient) return `${logicalId}.${attribute}`;
      throw new UnresolvableError(`Fn::GetAtt ${logicalId}.${attribute} (${resource.Type}): add it to RESOURCE_TYPES in lib/policy/intrinsics.ts`);
    }
    const name = this.physicalName(logicalId);
    const parent = row.parentProperty ? this.parentName(resource.Properties?.[row.parentProperty]) : '';
    const fill = (text: string): string =>
      text
        .replace('${arn}', () => (row.arn ? fill(row.arn) : ''))
        .replace(/\$\{parent\}/g, parent)
        .replace(/\$\{partition\}/g, this.env.partition)
        .replace(/\$\{region\}/g, this.env.region)
        .replace(/\$\{account\}/g, this.env.account)
        .replace(/\$\{name\}/g, name)
        .replace(/\$\{prop:(\w+)\}/g, (_, property: string) => String(this.resolve(resource.Properties?.[property])))
        .replace(/\$\{id\}/g, hexId(logicalId, 16))
        .replace(/\$\{id6\}/g, hexId(logicalId, 6))
        .replace(/\$\{ID\}/g, hexId(logicalId, 17).toUpperCase())
        .replace(/\$\{uuid\}/g, hexId(logicalId, 32).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'));
    return fill(format);
  }

  /** The resource's name: its name property, else what CloudFormation generates (`<stack>-<logical id>-<suffix>`). */
  physicalName(logicalId: string): string {
    const resource = this.resource(logicalId);
    const row = RESOURCE_TYPES[resource.Type] ?? {};
    const given = row.nameProperty ? resource.Properties?.[row.nameProperty] : undefined;
    if (given !== undefined) return String(this.resolve(given));
    const max = row.maxLength ?? 128;
    const suffix = hexId(logicalId, 12).toUpperCase();
    const generated = `${`${this.env.stackName}-${logicalId}`.slice(0, max - suffix.length - 1)}-${suffix}`;
    return row.lower ? generated.toLowerCase() : generated;
  }

  /** The name of the resource a property names by name, partial or full ARN (`function:my-fn`, `arn:…:function:my-fn`). */
  private parentName(value: unknown): string {
    const text = String(this.resolve(value));
    const arn = /(?:^|:)function:([^:]+)/.exec(text);
    return arn ? arn[1] : text;
  }

  /** The resource of a logical id, or an error naming it. */
  resource(logicalId: string) {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new UnresolvableError(`No resource or parameter ${logicalId} in the template`);
    return resource;
  }

  private sub(arg: unknown): string {
    const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
    return text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (name in vars) return String(this.resolve(vars[name]));
      if (name.includes('.') && !name.startsWith('AWS::')) {
        const [id, attr] = name.split(/\.(.*)/s);
        return this.attribute(id, attr);
      }
      return String(this.ref(name));
    });
  }

  private condition(name: string): boolean {
    const known = this.conditions.get(name);
    if (known !== undefined) return known;
    const expression = this.template.Conditions?.[name];
    if (expression === undefined) throw new UnresolvableError(`No condition ${name} in the template`);
    const value = this.evaluate(expression);
    this.conditions.set(name, value);
    return value;
  }

  private evaluate(expression: unknown): boolean {
    const [fn, arg] = Object.entries(expression as Record<string, unknown>)[0];
    const args = arg as unknown[];
    switch (fn) {
      case 'Fn::Equals':
        return JSON.stringify(this.resolve(args[0])) === JSON.stringify(this.resolve(args[1]));
      case 'Fn::Not':
        return !this.evaluate(args[0]);
      case 'Fn::And':
        return args.every((a) => this.evaluate(a));
      case 'Fn::Or':
        return args.some((a) => this.evaluate(a));
      case 'Condition':
        return this.condition(String(arg));
      default:
        throw new UnresolvableError(`Condition function ${fn} is not resolved by lib/policy/intrinsics.ts`);
    }
  }
}

/** What `Ref: AWS::NoValue` resolves to: dropped from its object or list. */
const NO_VALUE = Symbol('AWS::NoValue');
