import { App } from 'aws-cdk-lib';
import { costGate, type CfnTemplate, type CfnTemplateResource } from '../../lib/cost-gate';
import { addLabStack } from '../../labs/cloudwatch-metric-filters/stack';

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/orders-api@sha256:5f0e4a8c9b1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f';

function gate(resources: Record<string, CfnTemplateResource>) {
  return costGate({ Resources: resources });
}

function fargateTask(cpu: unknown, image = IMAGE): CfnTemplateResource {
  return {
    Type: 'AWS::ECS::TaskDefinition',
    Properties: {
      RequiresCompatibilities: ['FARGATE'],
      NetworkMode: 'awsvpc',
      Cpu: cpu,
      Memory: '512',
      ContainerDefinitions: [{ Name: 'web', Image: image, Essential: true }],
    },
  };
}

describe('costGate', () => {
  it('passes the cloudwatch-metric-filters template', () => {
    const app = new App();
    const stack = addLabStack(app);
    const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
    expect(costGate(template)).toEqual([]);
  });

  it('passes small, pinned, on-demand resources', () => {
    expect(
      gate({
        Task: fargateTask('256'),
        TaskHalf: fargateTask('0.5 vCPU'),
        Service: { Type: 'AWS::ECS::Service', Properties: { DesiredCount: 2 } },
        Instance: { Type: 'AWS::EC2::Instance', Properties: { InstanceType: 't4g.small' } },
        Template: { Type: 'AWS::EC2::LaunchTemplate', Properties: { LaunchTemplateData: { InstanceType: 't3.micro' } } },
        OnDemand: { Type: 'AWS::DynamoDB::Table', Properties: { BillingMode: 'PAY_PER_REQUEST' } },
        Provisioned: {
          Type: 'AWS::DynamoDB::Table',
          Properties: { BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 1 } },
        },
        Cleanup: { Type: 'Custom::DopLabCleanup', Properties: {} },
        Bucket: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' },
      }),
    ).toEqual([]);
  });

  it('refuses a resource type that is not on the allowlist', () => {
    expect(gate({ Db: { Type: 'AWS::RDS::DBInstance', Properties: { DBInstanceClass: 'db.t3.micro' } } })).toEqual([
      {
        rule: 'resource-type',
        resource: 'Db',
        message:
          'Db has type AWS::RDS::DBInstance, which the cost gate does not allow; add the type to ALLOWED_RESOURCE_TYPES ' +
          'in lib/cost-gate.ts, with a size rule if it has a size.',
      },
    ]);
  });

  it('refuses a NAT gateway, with its own message', () => {
    expect(gate({ Nat: { Type: 'AWS::EC2::NatGateway', Properties: { SubnetId: 'subnet-0a1b2c3d' } } })).toEqual([
      {
        rule: 'nat-gateway',
        resource: 'Nat',
        message: 'Nat is a NAT gateway ($0.045 per hour plus data); labs use public subnets or VPC endpoints.',
      },
    ]);
  });

  it('allows a management-events trail and refuses one recording data events or Insights', () => {
    const trail = (extra: Record<string, unknown>): CfnTemplateResource => ({
      Type: 'AWS::CloudTrail::Trail',
      Properties: { IsLogging: true, S3BucketName: 'b', EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'All' }], ...extra },
    });
    expect(gate({ Trail: trail({}) })).toEqual([]);
    expect(gate({ Trail: trail({ EventSelectors: [{ DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3'] }] }] }) })).toEqual([
      { rule: 'cloudtrail-scope', resource: 'Trail', message: 'Trail Trail records data events ($0.10 per 100,000); lab trails record management events only.' },
    ]);
    expect(
      gate({ Trail: trail({ EventSelectors: undefined, AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::S3::Object'] }] }] }) }),
    ).toEqual([{ rule: 'cloudtrail-scope', resource: 'Trail', message: 'Trail Trail records data events ($0.10 per 100,000); lab trails record management events only.' }]);
    expect(gate({ Trail: trail({ InsightSelectors: [{ InsightType: 'ApiCallRateInsight' }] }) })).toEqual([
      { rule: 'cloudtrail-scope', resource: 'Trail', message: 'Trail Trail has CloudTrail Insights ($0.35 per 100,000 events analyzed); lab trails do without.' },
    ]);
  });

  it('refuses a Fargate task over 0.5 vCPU', () => {
    expect(gate({ Task: fargateTask('1024') })).toEqual([
      {
        rule: 'fargate-cpu',
        resource: 'Task',
        message: 'Task definition Task asks Fargate for 1024 CPU; labs use at most 512 units (0.5 vCPU).',
      },
    ]);
    expect(gate({ Task: fargateTask('1 vCPU') })[0].message).toBe(
      'Task definition Task asks Fargate for 1 vCPU CPU; labs use at most 512 units (0.5 vCPU).',
    );
  });

  it('refuses a Fargate task whose size it cannot read', () => {
    expect(gate({ Task: fargateTask({ Ref: 'CpuParameter' }) })[0].message).toBe(
      'Task definition Task asks Fargate for {"Ref":"CpuParameter"} CPU; labs use at most 512 units (0.5 vCPU).',
    );
  });

  it('refuses an ECS service of more than 2 tasks', () => {
    expect(gate({ Service: { Type: 'AWS::ECS::Service', Properties: { DesiredCount: 3 } } })).toEqual([
      { rule: 'ecs-desired-count', resource: 'Service', message: 'ECS service Service runs 3 tasks; labs run at most 2.' },
    ]);
  });

  it('refuses instance types above small, on instances, launch templates and auto scaling overrides', () => {
    expect(
      gate({
        Instance: { Type: 'AWS::EC2::Instance', Properties: { InstanceType: 'm5.large' } },
        Template: { Type: 'AWS::EC2::LaunchTemplate', Properties: { LaunchTemplateData: { InstanceType: 'c7g.xlarge' } } },
        Group: {
          Type: 'AWS::AutoScaling::AutoScalingGroup',
          Properties: {
            MinSize: '1',
            MaxSize: '2',
            MixedInstancesPolicy: { LaunchTemplate: { Overrides: [{ InstanceType: 't3.micro' }, { InstanceType: 't3.medium' }] } },
          },
        },
      }),
    ).toEqual([
      { rule: 'instance-type', resource: 'Instance', message: 'Instance uses instance type m5.large; labs use nano, micro or small instances only.' },
      { rule: 'instance-type', resource: 'Template', message: 'Template uses instance type c7g.xlarge; labs use nano, micro or small instances only.' },
      { rule: 'instance-type', resource: 'Group', message: 'Group uses instance type t3.medium; labs use nano, micro or small instances only.' },
    ]);
  });

  it('refuses an Auto Scaling group whose MaxSize is above 4 or not a literal', () => {
    expect(
      gate({
        Small: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: { MinSize: '1', MaxSize: '4' } },
        Big: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: { MinSize: '1', MaxSize: '5' } },
        Unknown: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: { MinSize: '1', MaxSize: { Ref: 'Size' } } },
      }),
    ).toEqual([
      { rule: 'asg-max-size', resource: 'Big', message: 'Auto Scaling group Big may run 5 instances (MaxSize); labs run at most 4.' },
      { rule: 'asg-max-size', resource: 'Unknown', message: 'Auto Scaling group Unknown may run {"Ref":"Size"} instances (MaxSize); labs run at most 4.' },
    ]);
  });

  it('refuses an instance with no literal instance type', () => {
    expect(gate({ Instance: { Type: 'AWS::EC2::Instance', Properties: {} } })[0].message).toBe(
      'Instance uses instance type (none); labs use nano, micro or small instances only.',
    );
  });

  it('refuses DynamoDB capacity beyond 5 RCU/WCU, on the table or an index', () => {
    expect(
      gate({
        Table: {
          Type: 'AWS::DynamoDB::Table',
          Properties: { ProvisionedThroughput: { ReadCapacityUnits: 25, WriteCapacityUnits: 5 } },
        },
        Indexed: {
          Type: 'AWS::DynamoDB::Table',
          Properties: {
            BillingMode: 'PROVISIONED',
            ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
            GlobalSecondaryIndexes: [{ IndexName: 'byDate', ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 10 } }],
          },
        },
      }),
    ).toEqual([
      {
        rule: 'dynamodb-capacity',
        resource: 'Table',
        message: 'DynamoDB table Table provisions 25 RCU / 5 WCU; labs use on-demand (PAY_PER_REQUEST) or at most 5 of each.',
      },
      {
        rule: 'dynamodb-capacity',
        resource: 'Indexed',
        message: 'DynamoDB table Indexed provisions 1 RCU / 10 WCU; labs use on-demand (PAY_PER_REQUEST) or at most 5 of each.',
      },
    ]);
  });

  it('refuses a backup vault with a vault lock, and passes one without', () => {
    expect(
      gate({
        Vault: { Type: 'AWS::Backup::BackupVault', Properties: { BackupVaultName: 'v' } },
        Locked: { Type: 'AWS::Backup::BackupVault', Properties: { BackupVaultName: 'l', LockConfiguration: { MinRetentionDays: 7, ChangeableForDays: 3 } } },
      }),
    ).toEqual([{ rule: 'backup-vault-lock', resource: 'Locked', message: 'Backup vault Locked has a vault lock; lab vaults must be emptied and deleted with the stack.' }]);
  });

  it('passes CodeBuild projects on general1.small or small Lambda compute, and report groups', () => {
    const project = (computeType: string) => ({ Type: 'AWS::CodeBuild::Project', Properties: { Environment: { Type: 'LINUX_CONTAINER', ComputeType: computeType, Image: 'aws/codebuild/amazonlinux-x86_64-standard:5.0' } } });
    expect(
      gate({
        Small: project('BUILD_GENERAL1_SMALL'),
        Lambda: project('BUILD_LAMBDA_1GB'),
        Lambda2: project('BUILD_LAMBDA_2GB'),
        Reports: { Type: 'AWS::CodeBuild::ReportGroup', Properties: { Type: 'TEST', ExportConfig: { ExportConfigType: 'NO_EXPORT' } } },
      }),
    ).toEqual([]);
  });

  it.each([
    ['BUILD_GENERAL1_MEDIUM', 'BUILD_GENERAL1_MEDIUM'],
    ['BUILD_GENERAL1_2XLARGE', 'BUILD_GENERAL1_2XLARGE'],
    ['BUILD_LAMBDA_10GB', 'BUILD_LAMBDA_10GB'],
    ['ATTRIBUTE_BASED_COMPUTE', 'ATTRIBUTE_BASED_COMPUTE'],
    ['no literal compute type', { Ref: 'ComputeType' }],
  ])('refuses a CodeBuild project on %s', (_, computeType) => {
    const shown = typeof computeType === 'string' ? computeType : JSON.stringify(computeType);
    expect(gate({ Build: { Type: 'AWS::CodeBuild::Project', Properties: { Environment: { Type: 'LINUX_CONTAINER', ComputeType: computeType } } } })).toEqual([
      {
        rule: 'codebuild-compute',
        resource: 'Build',
        message: `CodeBuild project Build uses compute type ${shown}; labs use BUILD_GENERAL1_SMALL, BUILD_LAMBDA_1GB, BUILD_LAMBDA_2GB.`,
      },
    ]);
  });

  it('refuses a reserved-capacity CodeBuild fleet, and a project that builds on one', () => {
    expect(
      gate({
        Fleet: { Type: 'AWS::CodeBuild::Fleet', Properties: { BaseCapacity: 1, ComputeType: 'BUILD_GENERAL1_SMALL', EnvironmentType: 'LINUX_CONTAINER' } },
        Build: { Type: 'AWS::CodeBuild::Project', Properties: { Environment: { ComputeType: 'BUILD_GENERAL1_SMALL', Fleet: { FleetArn: { 'Fn::GetAtt': ['Fleet', 'Arn'] } } } } },
      }),
    ).toEqual([
      { rule: 'codebuild-fleet', resource: 'Fleet', message: 'Fleet is a CodeBuild reserved-capacity fleet (billed while it runs, builds or not); labs use on-demand compute.' },
      { rule: 'codebuild-fleet', resource: 'Build', message: 'CodeBuild project Build builds on a reserved-capacity fleet (billed while it runs, builds or not); labs use on-demand compute.' },
    ]);
  });

  it('refuses Retain, RetainExceptOnCreate and Snapshot policies', () => {
    expect(
      gate({
        Logs: { Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' },
        Bucket: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'RetainExceptOnCreate' },
        Table: { Type: 'AWS::DynamoDB::Table', Properties: { BillingMode: 'PAY_PER_REQUEST' }, DeletionPolicy: 'Snapshot' },
      }),
    ).toEqual([
      { rule: 'retain', resource: 'Logs', message: 'Logs has DeletionPolicy Retain; lab resources must go with the stack (use Delete).' },
      { rule: 'retain', resource: 'Logs', message: 'Logs has UpdateReplacePolicy Retain; lab resources must go with the stack (use Delete).' },
      {
        rule: 'retain',
        resource: 'Bucket',
        message: 'Bucket has DeletionPolicy RetainExceptOnCreate; lab resources must go with the stack (use Delete).',
      },
      { rule: 'retain', resource: 'Table', message: 'Table has DeletionPolicy Snapshot; lab resources must go with the stack (use Delete).' },
    ]);
  });

  it('refuses container images not pinned by digest, in task definitions and Lambda images', () => {
    expect(
      gate({
        Task: fargateTask('256', 'public.ecr.aws/nginx/nginx:latest'),
        Fn: { Type: 'AWS::Lambda::Function', Properties: { PackageType: 'Image', Code: { ImageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/fn:v2' } } },
      }),
    ).toEqual([
      {
        rule: 'image-digest',
        resource: 'Task',
        message: 'Container image public.ecr.aws/nginx/nginx:latest of Task is not pinned by digest (…@sha256:<digest>).',
      },
      {
        rule: 'image-digest',
        resource: 'Fn',
        message: 'Container image 123456789012.dkr.ecr.us-east-1.amazonaws.com/fn:v2 of Fn is not pinned by digest (…@sha256:<digest>).',
      },
    ]);
  });

  it('accepts an ECR image built with intrinsics when it carries the digest', () => {
    const image = { 'Fn::Join': ['', [{ Ref: 'AWS::AccountId' }, '.dkr.ecr.', { Ref: 'AWS::Region' }, '.amazonaws.com/orders-api@sha256:5f0e4a8c']] };
    expect(gate({ Task: fargateTask('512', image as unknown as string) })).toEqual([]);
  });
});
