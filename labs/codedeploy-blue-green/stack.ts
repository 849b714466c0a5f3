import { join } from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { InlineCleanup } from '../../lib/cdk/inline-cleanup';
import { DopLabStack } from '../../lib/cdk/lab-stack';
import {
  CONTAINER_NAME,
  CONTAINER_PORT,
  LAB_ID,
  Outputs,
  PRODUCTION_PORT,
  TASK_FAMILY,
  TEST_PORT,
  VERSION_VARIABLE,
  WEB_IMAGE,
  WEB_LOG_GROUP_NAME,
} from './contract';

/**
 * Starting state: a web service on ECS Fargate behind an ALB, deployed by CodeDeploy blue/green, but all at once,
 * without alarms, rolling back only on failure.
 */
export class CodeDeployBlueGreenStack extends DopLabStack {
  constructor(scope: Construct) {
    super(scope, LAB_ID, 'doplab lab codedeploy-blue-green: ECS blue/green with CodeDeploy; make it canary, alarmed, and ship v2.');

    // Public subnets only: no NAT gateway ($0.045/h); the tasks pull the image over their public IP.
    // restrictDefaultSecurityGroup would add a custom resource with a bundled (asset) handler.
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      restrictDefaultSecurityGroup: false,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
    });

    const cluster = new ecs.Cluster(this, 'Cluster', { vpc });

    const webLogGroup = new logs.LogGroup(this, 'WebLogGroup', {
      logGroupName: WEB_LOG_GROUP_NAME,
      retention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      family: TASK_FAMILY,
      cpu: 256,
      memoryLimitMiB: 512,
    });
    taskDefinition.addContainer('Web', {
      containerName: CONTAINER_NAME,
      image: ecs.ContainerImage.fromRegistry(WEB_IMAGE),
      environment: { [VERSION_VARIABLE]: '1' },
      portMappings: [{ containerPort: CONTAINER_PORT }],
      logging: ecs.LogDrivers.awsLogs({ logGroup: webLogGroup, streamPrefix: 'web' }),
    });

    const albSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc,
      description: 'doplab codedeploy-blue-green load balancer: production and test listeners',
    });
    const alb = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', { vpc, internetFacing: true, securityGroup: albSecurityGroup });

    // Short health checks and deregistration delay keep a blue/green deployment to minutes.
    const targetGroup = (id: string) =>
      new elbv2.ApplicationTargetGroup(this, id, {
        vpc,
        port: CONTAINER_PORT,
        protocol: elbv2.ApplicationProtocol.HTTP,
        targetType: elbv2.TargetType.IP,
        healthCheck: { path: '/', interval: Duration.seconds(10), timeout: Duration.seconds(5), healthyThresholdCount: 2 },
        deregistrationDelay: Duration.seconds(10),
      });
    const blue = targetGroup('BlueTargetGroup');
    const green = targetGroup('GreenTargetGroup');

    const production = alb.addListener('ProductionListener', {
      port: PRODUCTION_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: true,
      defaultAction: elbv2.ListenerAction.forward([blue]),
    });
    const test = alb.addListener('TestListener', {
      port: TEST_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: true,
      defaultAction: elbv2.ListenerAction.forward([green]),
    });
    // CodeDeploy swaps the listeners between the target groups; whichever one they point to after a deployment,
    // both listeners must go before either target group (ResourceInUse otherwise).
    production.node.addDependency(green);
    test.node.addDependency(blue);

    const serviceSecurityGroup = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc,
      description: 'doplab codedeploy-blue-green web tasks: HTTP from the load balancer only',
    });
    serviceSecurityGroup.connections.allowFrom(albSecurityGroup, ec2.Port.tcp(CONTAINER_PORT), 'HTTP from the load balancer');

    const service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition,
      desiredCount: 1,
      assignPublicIp: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroups: [serviceSecurityGroup],
      deploymentController: { type: ecs.DeploymentControllerType.CODE_DEPLOY },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: Duration.seconds(30),
    });
    service.attachToApplicationTargetGroup(blue);
    // The service's task sets move between the target groups: it must be deleted before either of them.
    service.node.addDependency(green, production, test);

    const application = new codedeploy.EcsApplication(this, 'Application');
    // The flaw the learner fixes: all at once, no alarms, rollback only when a deployment fails.
    const deploymentGroup = new codedeploy.EcsDeploymentGroup(this, 'DeploymentGroup', {
      application,
      service,
      blueGreenDeploymentConfig: { blueTargetGroup: blue, greenTargetGroup: green, listener: production, testListener: test },
      deploymentConfig: codedeploy.EcsDeploymentConfig.ALL_AT_ONCE,
      autoRollback: { failedDeployment: true, stoppedDeployment: false, deploymentInAlarm: false },
    });

    const cleanup = new InlineCleanup(this, 'Cleanup', {
      labId: LAB_ID,
      handlerFile: join(__dirname, 'cleanup.handler.js'),
      properties: {
        ApplicationName: application.applicationName,
        DeploymentGroupName: deploymentGroup.deploymentGroupName,
        LoadBalancer: alb.loadBalancerFullName,
        TargetGroups: [blue.targetGroupFullName, green.targetGroupFullName].join(','),
        TaskFamily: TASK_FAMILY,
        InitialTaskDefinitionArn: taskDefinition.taskDefinitionArn,
      },
      // Before the service, the group and the load balancer: stopping a deployment needs all of them.
      guards: [service, deploymentGroup, production, test, blue, green, alb],
      timeout: Duration.minutes(12),
      statements: [
        new iam.PolicyStatement({
          actions: [
            'codedeploy:ListDeployments',
            'codedeploy:GetDeployment',
            'codedeploy:GetDeploymentGroup',
            'codedeploy:UpdateDeploymentGroup',
          ],
          resources: [deploymentGroup.deploymentGroupArn],
        }),
        new iam.PolicyStatement({
          actions: ['codedeploy:DeleteDeploymentConfig'],
          resources: [this.formatArn({ service: 'codedeploy', resource: 'deploymentconfig', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        }),
        // No resource type exists for these (Service Authorization Reference): a scoped grant is always denied. The
        // handler only stops deployments it listed from the lab's group and deregisters revisions of the lab's family.
        new iam.PolicyStatement({
          actions: ['cloudwatch:DescribeAlarms', 'ecs:ListTaskDefinitions', 'ecs:DeregisterTaskDefinition', 'codedeploy:StopDeployment'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          actions: ['cloudwatch:DeleteAlarms'],
          resources: [this.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        }),
      ],
    });

    this.acknowledgeFindings({ taskDefinition, alb, albSecurityGroup, vpc, cluster, deploymentGroup, cleanup });

    this.exportOutputs(Outputs, {
      applicationName: application.applicationName,
      deploymentGroupName: deploymentGroup.deploymentGroupName,
      clusterName: cluster.clusterName,
      serviceName: service.serviceName,
      initialTaskDefinitionArn: taskDefinition.taskDefinitionArn,
      loadBalancerFullName: alb.loadBalancerFullName,
      loadBalancerUrl: `http://${alb.loadBalancerDnsName}`,
      productionListenerArn: production.listenerArn,
      testListenerArn: test.listenerArn,
      blueTargetGroupArn: blue.targetGroupArn,
      blueTargetGroupFullName: blue.targetGroupFullName,
      greenTargetGroupArn: green.targetGroupArn,
      greenTargetGroupFullName: green.targetGroupFullName,
    });
  }

  /** cdk-nag findings that are the scenario or its cost budget, each with its reason. */
  private acknowledgeFindings(parts: {
    taskDefinition: ecs.FargateTaskDefinition;
    alb: elbv2.ApplicationLoadBalancer;
    albSecurityGroup: ec2.SecurityGroup;
    vpc: ec2.Vpc;
    cluster: ecs.Cluster;
    deploymentGroup: codedeploy.EcsDeploymentGroup;
    cleanup: InlineCleanup;
  }): void {
    Validations.of(parts.vpc).acknowledge({
      id: 'AwsSolutions-VPC7',
      reason: 'Flow logs would add a log group and ingestion cost to a short-lived lab VPC that carries only a public sample web page.',
    });
    Validations.of(parts.cluster).acknowledge({
      id: 'AwsSolutions-ECS4',
      reason: 'Container Insights bills custom metrics per task and service; the lab watches the load balancer metrics instead.',
    });
    Validations.of(parts.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'The only environment variable is VERSION, the non-secret marker the learner changes to ship version 2.',
    });
    Validations.of(parts.albSecurityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: 'The load balancer serves a public sample page on the production and test ports; the learner opens both in a browser.',
    });
    Validations.of(parts.alb).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason: 'Access logs need an S3 bucket that outlives requests in flight; the lab judges deployments by CloudWatch metrics, not logs.',
    });
    Validations.of(parts.deploymentGroup.role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AWSCodeDeployRoleForECS]',
      reason: 'AWSCodeDeployRoleForECS is the policy AWS documents for CodeDeploy ECS blue/green; it tracks new CodeDeploy needs.',
    });
    Validations.of(parts.cleanup.handler.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'cloudwatch:DescribeAlarms, ecs:ListTaskDefinitions, ecs:DeregisterTaskDefinition and codedeploy:StopDeployment support ' +
          "no resource type (Service Authorization Reference); the cleanup finds the learner's alarms, revisions and deployments " +
          "by what they watch, their family and the lab's deployment group.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*]',
        reason: "The learner names the alarms; the cleanup deletes only alarms on the lab's target groups or load balancer.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codedeploy:<AWS::Region>:<AWS::AccountId>:deploymentconfig:*]',
        reason: 'The learner names a custom deployment configuration; the cleanup deletes only the one the lab group uses.',
      },
    );
  }
}

/** Adds the lab's stack to a CDK app. */
export function addLabStack(app: Construct): CodeDeployBlueGreenStack {
  return new CodeDeployBlueGreenStack(app);
}
