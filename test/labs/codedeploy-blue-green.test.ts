import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CloudWatchClient, DeleteAlarmsCommand, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import {
  CodeDeployClient,
  DeleteDeploymentConfigCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  UpdateDeploymentGroupCommand,
} from '@aws-sdk/client-codedeploy';
import { DeregisterTaskDefinitionCommand, ECSClient, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import type { CfnTemplate } from '../../lib/cost-gate';
import {
  CONTAINER_NAME,
  IN_FLIGHT_STATUSES,
  Outputs,
  TASK_FAMILY,
  WEB_IMAGE,
  WEB_LOG_GROUP_NAME,
} from '../../labs/codedeploy-blue-green/contract';
import { addLabStack } from '../../labs/codedeploy-blue-green/stack';
import { cfnEvent, lambdaContext, startCfnResponseServer } from '../support/cfn-response-server';
import { awsError } from '../support/mocked-session';

type Log = (...args: unknown[]) => void;
const cleanup = require('../../labs/codedeploy-blue-green/cleanup.handler.js') as {
  onDelete: (props: Record<string, string>, log: Log, sleep?: (ms: number) => Promise<void>) => Promise<void>;
};
const runtime = require('../../lib/cdk/cleanup-runtime.js') as {
  createHandler: (onDelete: typeof cleanup.onDelete) => (event: unknown, context: unknown) => Promise<void>;
};

describe('codedeploy-blue-green stack', () => {
  let template: Template;
  let json: CfnTemplate & {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;
    Outputs?: Record<string, unknown>;
  };

  beforeAll(() => {
    template = Template.fromStack(addLabStack(new App()));
    json = template.toJSON() as typeof json;
  });

  const idsOf = (type: string) => Object.keys(template.findResources(type));
  const only = (type: string) => {
    const ids = idsOf(type);
    expect(ids).toHaveLength(1);
    return ids[0];
  };
  const idStarting = (type: string, prefix: string) => {
    const ids = idsOf(type).filter((id) => id.startsWith(prefix));
    expect(ids).toHaveLength(1);
    return ids[0];
  };
  const blue = () => idStarting('AWS::ElasticLoadBalancingV2::TargetGroup', 'BlueTargetGroup');
  const green = () => idStarting('AWS::ElasticLoadBalancingV2::TargetGroup', 'GreenTargetGroup');
  const listener = (port: number) =>
    Object.keys(template.findResources('AWS::ElasticLoadBalancingV2::Listener', { Properties: { Port: port } }))[0];

  describe('the scenario the README promises', () => {
    it('has a VPC with two public subnets and no NAT gateway or private subnet', () => {
      expect(idsOf('AWS::EC2::Subnet')).toHaveLength(2);
      template.resourcePropertiesCountIs('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true }, 2);
      expect(idsOf('AWS::EC2::NatGateway')).toEqual([]);
      expect(idsOf('AWS::EC2::InternetGateway')).toHaveLength(1);
      // restrictDefaultSecurityGroup off: it would add a custom resource with a bundled (asset) handler.
      expect(idsOf('Custom::VpcRestrictDefaultSG')).toEqual([]);
    });

    it('runs one 0.25 vCPU / 0.5 GB Fargate task of nginx pinned by digest, VERSION=1, logging to an explicit log group', () => {
      const logGroup = Object.keys(template.findResources('AWS::Logs::LogGroup', { Properties: { LogGroupName: WEB_LOG_GROUP_NAME } }))[0];
      expect(json.Resources[logGroup]).toMatchObject({ DeletionPolicy: 'Delete' });
      template.hasResourceProperties('AWS::ECS::TaskDefinition', {
        Family: TASK_FAMILY,
        Cpu: '256',
        Memory: '512',
        RequiresCompatibilities: ['FARGATE'],
        NetworkMode: 'awsvpc',
        ContainerDefinitions: [
          Match.objectLike({
            Name: CONTAINER_NAME,
            Image: WEB_IMAGE,
            Environment: [{ Name: 'VERSION', Value: '1' }],
            PortMappings: [{ ContainerPort: 80, Protocol: 'tcp' }],
            LogConfiguration: { LogDriver: 'awslogs', Options: Match.objectLike({ 'awslogs-group': { Ref: logGroup } }) },
          }),
        ],
      });
      expect(WEB_IMAGE).toMatch(/^public\.ecr\.aws\/nginx\/nginx@sha256:[0-9a-f]{64}$/);
    });

    it('gives the service to CodeDeploy: CODE_DEPLOY controller, public IP, blue target group', () => {
      template.hasResourceProperties('AWS::ECS::Service', {
        DeploymentController: { Type: 'CODE_DEPLOY' },
        DesiredCount: 1,
        LaunchType: 'FARGATE',
        LoadBalancers: [{ ContainerName: CONTAINER_NAME, ContainerPort: 80, TargetGroupArn: { Ref: blue() } }],
        NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'ENABLED' }) },
      });
    });

    it('has an internet-facing ALB whose production listener (80) forwards to blue and test listener (8080) to green', () => {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internet-facing', Type: 'application' });
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 80,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: blue() } }],
      });
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 8080,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: green() } }],
      });
      for (const tg of [blue(), green()]) {
        expect(json.Resources[tg].Properties).toMatchObject({ TargetType: 'ip', Port: 80, Protocol: 'HTTP', HealthCheckPath: '/' });
      }
    });

    it('lets only the load balancer reach the tasks', () => {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        IpProtocol: 'tcp',
        FromPort: 80,
        ToPort: 80,
        SourceSecurityGroupId: { 'Fn::GetAtt': [idStarting('AWS::EC2::SecurityGroup', 'LoadBalancerSecurityGroup'), 'GroupId'] },
      });
    });

    it('deploys blue/green badly: all at once, no alarms, rollback on failure only', () => {
      const group = json.Resources[only('AWS::CodeDeploy::DeploymentGroup')].Properties;
      expect(group).toMatchObject({
        DeploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
        AutoRollbackConfiguration: { Enabled: true, Events: ['DEPLOYMENT_FAILURE'] },
        DeploymentStyle: { DeploymentOption: 'WITH_TRAFFIC_CONTROL', DeploymentType: 'BLUE_GREEN' },
        LoadBalancerInfo: {
          TargetGroupPairInfoList: [
            {
              ProdTrafficRoute: { ListenerArns: [{ Ref: listener(80) }] },
              TestTrafficRoute: { ListenerArns: [{ Ref: listener(8080) }] },
              TargetGroups: [{ Name: { 'Fn::GetAtt': [blue(), 'TargetGroupName'] } }, { Name: { 'Fn::GetAtt': [green(), 'TargetGroupName'] } }],
            },
          ],
        },
      });
      expect(group.AlarmConfiguration).toBeUndefined();
    });

    it('deletes both listeners and the service before either target group, whichever one CodeDeploy left in use', () => {
      for (const id of [listener(80), listener(8080), only('AWS::ECS::Service')]) {
        const dependsOn = [...(json.Resources[id].DependsOn ?? [])];
        const refs = JSON.stringify(json.Resources[id].Properties);
        for (const tg of [blue(), green()]) expect({ id, tg, orders: dependsOn.includes(tg) || refs.includes(`"${tg}"`) }).toEqual({ id, tg, orders: true });
      }
    });

    it('cleans up before CloudFormation deletes the service, the group, the listeners, target groups and load balancer', () => {
      const cleanupId = only('Custom::DopLabCleanup');
      const resource = json.Resources[cleanupId];
      expect(resource.Properties).toMatchObject({
        ApplicationName: { Ref: only('AWS::CodeDeploy::Application') },
        DeploymentGroupName: { Ref: only('AWS::CodeDeploy::DeploymentGroup') },
        LoadBalancer: { 'Fn::GetAtt': [only('AWS::ElasticLoadBalancingV2::LoadBalancer'), 'LoadBalancerFullName'] },
        TargetGroups: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [blue(), 'TargetGroupFullName'] }, ',', { 'Fn::GetAtt': [green(), 'TargetGroupFullName'] }]] },
        TaskFamily: TASK_FAMILY,
        InitialTaskDefinitionArn: { Ref: only('AWS::ECS::TaskDefinition') },
      });
      expect(resource.DependsOn).toEqual(
        expect.arrayContaining([
          only('AWS::ECS::Service'),
          only('AWS::CodeDeploy::DeploymentGroup'),
          listener(80),
          listener(8080),
          blue(),
          green(),
          only('AWS::ElasticLoadBalancingV2::LoadBalancer'),
        ]),
      );
      const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0] as { Properties: { Timeout: number } };
      expect(fn.Properties.Timeout).toBe(720);
    });

    it("scopes the cleanup's CodeDeploy writes to the lab's group, and grants on * the calls that support no resource type", () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        Policies: [
          {
            PolicyName: 'Function',
            PolicyDocument: {
              Statement: Match.arrayWith([
                {
                  Action: ['codedeploy:ListDeployments', 'codedeploy:GetDeployment', 'codedeploy:GetDeploymentGroup', 'codedeploy:UpdateDeploymentGroup'],
                  Effect: 'Allow',
                  Resource: {
                    'Fn::Join': [
                      '',
                      Match.arrayWith([':deploymentgroup:', { Ref: only('AWS::CodeDeploy::Application') }, '/', { Ref: only('AWS::CodeDeploy::DeploymentGroup') }]),
                    ],
                  },
                },
                // Neither supports a resource type (Service Authorization Reference): only `*` allows them (issue 10, defects 2 and 3).
                Match.objectLike({
                  Action: ['cloudwatch:DescribeAlarms', 'ecs:ListTaskDefinitions', 'ecs:DeregisterTaskDefinition', 'codedeploy:StopDeployment'],
                  Resource: '*',
                }),
              ]),
            },
          },
        ],
      });
    });

    it('exports the task definition, production listener, green target group and load balancer', () => {
      template.hasOutput(Outputs.initialTaskDefinitionArn, { Value: { Ref: only('AWS::ECS::TaskDefinition') } });
      template.hasOutput(Outputs.productionListenerArn, { Value: { Ref: listener(80) } });
      template.hasOutput(Outputs.greenTargetGroupFullName, { Value: { 'Fn::GetAtt': [green(), 'TargetGroupFullName'] } });
      template.hasOutput(Outputs.loadBalancerFullName, { Value: { 'Fn::GetAtt': [only('AWS::ElasticLoadBalancingV2::LoadBalancer'), 'LoadBalancerFullName'] } });
    });
  });

  it('has one Lambda function: the cleanup, inline', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(1);
    expect(functions[0].Properties.Code).toEqual({ ZipFile: expect.stringContaining('StopDeploymentCommand') });
  });
});

describe('cleanup.handler.js', () => {
  const LB = 'app/DopLa-LoadB-1TQ2W3E4R5T6/5f2c8a1b9d3e4f60';
  const BLUE = 'targetgroup/DopLa-BlueT-9K8J7H6G5F4D/1a2b3c4d5e6f7081';
  const GREEN = 'targetgroup/DopLa-Green-3S4D5F6G7H8J/9f8e7d6c5b4a3921';
  const TD = 'arn:aws:ecs:eu-west-1:111122223333:task-definition';
  const props = {
    ApplicationName: 'DopLab-codedeploy-blue-green-ApplicationD9CED6CE-Qx7bT2kLm9Pz',
    DeploymentGroupName: 'DopLab-codedeploy-blue-green-DeploymentGroup6D277AF0-1H8VZ3QW5RTYU',
    LoadBalancer: LB,
    TargetGroups: `${BLUE},${GREEN}`,
    TaskFamily: TASK_FAMILY,
    InitialTaskDefinitionArn: `${TD}/${TASK_FAMILY}:1`,
  };
  let codedeploy: AwsClientStub<CodeDeployClient>;
  let cloudwatch: AwsClientStub<CloudWatchClient>;
  let ecs: AwsClientStub<ECSClient>;
  let log: jest.Mock;
  let sleeps: number[];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };

  beforeEach(() => {
    codedeploy = mockClient(CodeDeployClient);
    cloudwatch = mockClient(CloudWatchClient);
    ecs = mockClient(ECSClient);
    log = jest.fn();
    sleeps = [];
    // A quiet account unless a test says otherwise.
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
    codedeploy.on(GetDeploymentGroupCommand).resolves({ deploymentGroupInfo: { deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce' } });
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [props.InitialTaskDefinitionArn] });
  });
  afterEach(() => {
    codedeploy.restore();
    cloudwatch.restore();
    ecs.restore();
  });

  function alarm(name: string, extra: Partial<MetricAlarm>): MetricAlarm {
    return { AlarmName: name, StateValue: 'OK', Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: [], ...extra };
  }

  it('stops an in-flight deployment with rollback and waits, without stopping the rollback deployment, until nothing is in flight', async () => {
    codedeploy
      .on(ListDeploymentsCommand)
      .resolvesOnce({ deployments: ['d-7XKQ2M9PB'] })
      .resolvesOnce({ deployments: ['d-7XKQ2M9PB', 'd-4TRW8N1VC'] })
      .resolvesOnce({ deployments: ['d-4TRW8N1VC'] })
      .resolves({ deployments: [] });
    codedeploy.on(GetDeploymentCommand, { deploymentId: 'd-7XKQ2M9PB' }).resolves({ deploymentInfo: { deploymentId: 'd-7XKQ2M9PB', creator: 'user', status: 'InProgress' } });
    codedeploy
      .on(GetDeploymentCommand, { deploymentId: 'd-4TRW8N1VC' })
      .resolves({ deploymentInfo: { deploymentId: 'd-4TRW8N1VC', creator: 'codeDeployRollback', status: 'InProgress' } });
    codedeploy.on(StopDeploymentCommand).resolves({ status: 'Pending', statusMessage: 'Stop request is pending.' });

    await cleanup.onDelete(props, log, sleep);

    expect(codedeploy.commandCalls(StopDeploymentCommand).map((c) => c.args[0].input)).toEqual([{ deploymentId: 'd-7XKQ2M9PB', autoRollbackEnabled: true }]);
    expect(codedeploy.commandCalls(ListDeploymentsCommand).map((c) => c.args[0].input)).toEqual(
      Array(4).fill({ applicationName: props.ApplicationName, deploymentGroupName: props.DeploymentGroupName, includeOnlyStatuses: IN_FLIGHT_STATUSES, nextToken: undefined }),
    );
    expect(sleeps).toEqual([10_000, 10_000, 10_000]);
    expect(log).toHaveBeenCalledWith('waiting for rollback d-4TRW8N1VC');
  });

  it('tolerates a deployment that completed between listing and stopping', async () => {
    codedeploy.on(ListDeploymentsCommand).resolvesOnce({ deployments: ['d-7XKQ2M9PB'] }).resolves({ deployments: [] });
    codedeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { creator: 'user' } });
    codedeploy.on(StopDeploymentCommand).rejects(awsError('DeploymentAlreadyCompletedException', 'The deployment d-7XKQ2M9PB is already completed.'));
    await expect(cleanup.onDelete(props, log, sleep)).resolves.toBeUndefined();
  });

  it('gives up after ten minutes of a deployment that will not stop, and still does the other steps', async () => {
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-7XKQ2M9PB'] });
    codedeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { creator: 'user' } });
    codedeploy.on(StopDeploymentCommand).resolves({ status: 'Pending' });
    ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [props.InitialTaskDefinitionArn, `${TD}/${TASK_FAMILY}:2`] });
    ecs.on(DeregisterTaskDefinitionCommand).resolves({});

    await expect(cleanup.onDelete(props, log, sleep)).rejects.toThrow(/^deployments: Error: still in flight after 600 s: d-7XKQ2M9PB$/);
    expect(sleeps).toHaveLength(60);
    expect(codedeploy.commandCalls(StopDeploymentCommand)).toHaveLength(1);
    expect(ecs.commandCalls(DeregisterTaskDefinitionCommand)).toHaveLength(1);
  });

  it('points the group back at a built-in configuration before deleting the custom one it used', async () => {
    codedeploy.on(GetDeploymentGroupCommand).resolves({ deploymentGroupInfo: { deploymentConfigName: 'canary-25-percent-2-minutes' } });
    codedeploy.on(UpdateDeploymentGroupCommand).resolves({});
    codedeploy.on(DeleteDeploymentConfigCommand).resolves({});

    await cleanup.onDelete(props, log, sleep);

    expect(codedeploy.commandCalls(UpdateDeploymentGroupCommand).map((c) => c.args[0].input)).toEqual([
      { applicationName: props.ApplicationName, currentDeploymentGroupName: props.DeploymentGroupName, deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce' },
    ]);
    expect(codedeploy.commandCalls(DeleteDeploymentConfigCommand).map((c) => c.args[0].input)).toEqual([{ deploymentConfigName: 'canary-25-percent-2-minutes' }]);
    const order = codedeploy.calls().map((c) => c.args[0].constructor.name);
    expect(order.indexOf('UpdateDeploymentGroupCommand')).toBeLessThan(order.indexOf('DeleteDeploymentConfigCommand'));
  });

  it('leaves built-in deployment configurations alone', async () => {
    codedeploy.on(GetDeploymentGroupCommand).resolves({ deploymentGroupInfo: { deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes' } });
    await cleanup.onDelete(props, log, sleep);
    expect(codedeploy.commandCalls(UpdateDeploymentGroupCommand)).toHaveLength(0);
    expect(codedeploy.commandCalls(DeleteDeploymentConfigCommand)).toHaveLength(0);
  });

  it("deletes the alarms on the lab's target groups or load balancer, metric math included, across pages, and no others", async () => {
    cloudwatch
      .on(DescribeAlarmsCommand, { NextToken: undefined })
      .resolves({
        MetricAlarms: [
          alarm('green-5xx', { Dimensions: [{ Name: 'TargetGroup', Value: GREEN }, { Name: 'LoadBalancer', Value: LB }] }),
          alarm('other-alb-5xx', { Dimensions: [{ Name: 'TargetGroup', Value: 'targetgroup/shop/0123456789abcdef' }, { Name: 'LoadBalancer', Value: 'app/shop/fedcba9876543210' }] }),
        ],
        NextToken: 'page-2',
      })
      .on(DescribeAlarmsCommand, { NextToken: 'page-2' })
      .resolves({
        MetricAlarms: [
          alarm('alb-5xx', { MetricName: 'HTTPCode_ELB_5XX_Count', Dimensions: [{ Name: 'LoadBalancer', Value: LB }] }),
          alarm('blue-error-rate', {
            Namespace: undefined,
            MetricName: undefined,
            Metrics: [
              { Id: 'errors', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: [{ Name: 'TargetGroup', Value: BLUE }] }, Period: 60, Stat: 'Sum' }, ReturnData: false },
              { Id: 'rate', Expression: 'errors / 60', ReturnData: true },
            ],
          }),
          alarm('lambda-errors', { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'TargetGroup', Value: GREEN }] }),
        ],
      });
    cloudwatch.on(DeleteAlarmsCommand).resolves({});

    await cleanup.onDelete(props, log, sleep);

    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      { AlarmTypes: ['MetricAlarm'], MaxRecords: 100, NextToken: undefined },
      { AlarmTypes: ['MetricAlarm'], MaxRecords: 100, NextToken: 'page-2' },
    ]);
    expect(cloudwatch.commandCalls(DeleteAlarmsCommand).map((c) => c.args[0].input.AlarmNames)).toEqual([['green-5xx', 'alb-5xx', 'blue-error-rate']]);
  });

  it("deregisters the learner's revisions of the lab family only: not the stack's own, not a longer family name", async () => {
    ecs
      .on(ListTaskDefinitionsCommand, { nextToken: undefined })
      .resolves({ taskDefinitionArns: [props.InitialTaskDefinitionArn, `${TD}/${TASK_FAMILY}:2`], nextToken: 'more' })
      .on(ListTaskDefinitionsCommand, { nextToken: 'more' })
      .resolves({ taskDefinitionArns: [`${TD}/${TASK_FAMILY}-canary:1`, `${TD}/${TASK_FAMILY}:3`] });
    ecs.on(DeregisterTaskDefinitionCommand).resolves({});

    await cleanup.onDelete(props, log, sleep);

    expect(ecs.commandCalls(ListTaskDefinitionsCommand)[0].args[0].input).toEqual({ familyPrefix: TASK_FAMILY, status: 'ACTIVE', nextToken: undefined });
    expect(ecs.commandCalls(DeregisterTaskDefinitionCommand).map((c) => c.args[0].input)).toEqual([
      { taskDefinition: `${TD}/${TASK_FAMILY}:2` },
      { taskDefinition: `${TD}/${TASK_FAMILY}:3` },
    ]);
  });

  it('does every step despite a failing one, and the runtime reports it without failing the stack delete', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(awsError('AccessDenied', 'User: arn:aws:sts::111122223333:assumed-role/DopLab-cleanup/fn is not authorized to perform: cloudwatch:DescribeAlarms', 403));
    ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [`${TD}/${TASK_FAMILY}:2`] });
    ecs.on(DeregisterTaskDefinitionCommand).resolves({});
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const server = await startCfnResponseServer();
    try {
      await runtime.createHandler(cleanup.onDelete)(cfnEvent('Delete', server.url, props), lambdaContext(720_000));
      expect(ecs.commandCalls(DeregisterTaskDefinitionCommand)).toHaveLength(1);
      expect(server.responses[0].body).toMatchObject({
        Status: 'SUCCESS',
        Reason: expect.stringMatching(/^cleanup failed: alarms: AccessDenied: User: .* not authorized to perform: cloudwatch:DescribeAlarms/),
      });
    } finally {
      jest.restoreAllMocks();
      await server.close();
    }
  });
});
