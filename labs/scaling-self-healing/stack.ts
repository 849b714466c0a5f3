import { join } from 'node:path';
import { ArnFormat, Duration, Fn, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { InlineCleanup } from '../../lib/cdk/inline-cleanup';
import { DopLabStack } from '../../lib/cdk/lab-stack';
import { APP_PORT, BREAK_PATH, GROUP_NAME, HEALTH_PATH, LAB_ID, Outputs, STARTING_BANNER, TEMPLATE_NAME } from './contract';

/** The public SSM parameter of the newest Amazon Linux 2023 arm64 AMI, resolved by EC2 at each launch. */
export const AMI_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64';

/**
 * The app: python3 (in Amazon Linux 2023) serves the banner on /, 200 on /health until /break is called on that
 * instance, then 500 on /health for good. It needs no internet, so the instances have no public IP.
 */
export function appUserData(banner: string): string[] {
  return [
    'cat > /opt/orders.py <<"PY"',
    'import http.server, socket',
    'broken = False',
    'class App(http.server.BaseHTTPRequestHandler):',
    '    def do_GET(self):',
    '        global broken',
    `        if self.path == "${BREAK_PATH}":`,
    '            broken = True',
    `            code, body = 200, "broken: ${HEALTH_PATH} fails on " + socket.gethostname() + " from now on\\n"`,
    `        elif self.path == "${HEALTH_PATH}":`,
    '            code, body = (500, "unhealthy\\n") if broken else (200, "ok\\n")',
    '        else:',
    '            code, body = 200, BANNER + " from " + socket.gethostname() + "\\n"',
    '        self.send_response(code)',
    '        self.send_header("Content-Type", "text/plain")',
    '        self.end_headers()',
    '        self.wfile.write(body.encode())',
    `BANNER = "${banner}"`,
    `http.server.ThreadingHTTPServer(("", ${APP_PORT}), App).serve_forever()`,
    'PY',
    'cat > /etc/systemd/system/orders.service <<"UNIT"',
    '[Unit]',
    'Description=doplab orders web tier',
    '[Service]',
    'ExecStart=/usr/bin/python3 /opt/orders.py',
    'Restart=always',
    '[Install]',
    'WantedBy=multi-user.target',
    'UNIT',
    'systemctl daemon-reload',
    'systemctl enable --now orders.service',
  ];
}

/**
 * Starting state: an orders web tier on an Auto Scaling group behind an ALB that does not heal: EC2 status checks
 * only, one subnet in one AZ, a fixed size of one, no scaling policy.
 */
export class ScalingSelfHealingStack extends DopLabStack {
  constructor(scope: Construct) {
    super(scope, LAB_ID, 'doplab lab scaling-self-healing: an Auto Scaling group behind an ALB; make it heal, spread, scale and refresh.');

    // Public subnets only: no NAT gateway ($0.045/h). The instances get no public IP and need no internet.
    // restrictDefaultSecurityGroup would add a custom resource with a bundled (asset) handler.
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      restrictDefaultSecurityGroup: false,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false }],
    });

    const albSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc,
      description: 'doplab scaling-self-healing load balancer: HTTP from anywhere',
    });
    const alb = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', { vpc, internetFacing: true, securityGroup: albSecurityGroup });

    const instanceSecurityGroup = new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc,
      description: 'doplab scaling-self-healing instances: HTTP from the load balancer only, nothing out',
      allowAllOutbound: false,
    });
    instanceSecurityGroup.connections.allowFrom(albSecurityGroup, ec2.Port.tcp(APP_PORT), 'HTTP from the load balancer');

    // Health checks every 10 s; a short deregistration delay so refreshes and deletion do not wait 300 s per instance.
    const targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc,
      port: APP_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.INSTANCE,
      healthCheck: {
        path: HEALTH_PATH,
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
      deregistrationDelay: Duration.seconds(15),
    });
    const listener = alb.addListener('Listener', {
      port: APP_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: true,
      defaultAction: elbv2.ListenerAction.forward([targetGroup]),
    });

    const userData = ec2.UserData.forLinux();
    userData.addCommands(...appUserData(STARTING_BANNER));
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      launchTemplateName: TEMPLATE_NAME,
      machineImage: ec2.MachineImage.resolveSsmParameterAtLaunch(AMI_PARAMETER, { os: ec2.OperatingSystemType.LINUX }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      requireImdsv2: true,
      associatePublicIpAddress: false,
      securityGroup: instanceSecurityGroup,
      userData,
      blockDevices: [{ deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(8, { volumeType: ec2.EbsDeviceVolumeType.GP3, encrypted: true }) }],
    });

    // L1 on purpose: the L2 group pins the template's version number; the scenario's group follows $Latest.
    // The flaw the learner fixes: EC2 status checks only, one subnet, a fixed size of one, no scaling policy.
    const group = new autoscaling.CfnAutoScalingGroup(this, 'Group', {
      autoScalingGroupName: GROUP_NAME,
      launchTemplate: { launchTemplateId: launchTemplate.launchTemplateId, version: '$Latest' },
      minSize: '1',
      maxSize: '1',
      desiredCapacity: '1',
      vpcZoneIdentifier: [vpc.publicSubnets[0].subnetId],
      targetGroupArns: [targetGroup.targetGroupArn],
      healthCheckType: 'EC2',
      // The stack's doplab:lab tag reaches the group (and its instances) through CDK's tag aspect.
      tags: [{ key: 'Name', value: `doplab-${LAB_ID}`, propagateAtLaunch: true }],
    });
    // The target group must have its load balancer before the group registers into it; on delete the group goes
    // first, before the listener, the load balancer and the subnets.
    group.node.addDependency(listener);
    for (const subnet of vpc.publicSubnets) group.node.addDependency(subnet);

    const groupArn = this.formatArn({
      service: 'autoscaling',
      resource: 'autoScalingGroup',
      resourceName: `*:autoScalingGroupName/${GROUP_NAME}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const cleanup = new InlineCleanup(this, 'Cleanup', {
      labId: LAB_ID,
      handlerFile: join(__dirname, 'cleanup.handler.js'),
      properties: { GroupName: GROUP_NAME },
      // Before the group: hooks, warm pools, refreshes and scheduled actions would hold up or outlive its deletion.
      guards: [group],
      // Waiting for a cancelled refresh takes up to four minutes.
      timeout: Duration.minutes(6),
      statements: [
        new iam.PolicyStatement({
          actions: [
            'autoscaling:DescribeInstanceRefreshes',
            'autoscaling:DescribeLifecycleHooks',
            'autoscaling:DescribeWarmPool',
            'autoscaling:DescribeScheduledActions',
            'autoscaling:DescribePolicies',
          ],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          actions: [
            'autoscaling:CancelInstanceRefresh',
            'autoscaling:DeleteLifecycleHook',
            'autoscaling:DeleteWarmPool',
            'autoscaling:DeleteScheduledAction',
            'autoscaling:DeletePolicy',
          ],
          resources: [groupArn],
        }),
        new iam.PolicyStatement({
          actions: ['cloudwatch:DeleteAlarms'],
          resources: [this.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        }),
      ],
    });

    this.acknowledgeFindings({ alb, albSecurityGroup, vpc, group, cleanup });

    this.exportOutputs(Outputs, {
      autoScalingGroupName: group.ref,
      launchTemplateId: launchTemplate.launchTemplateId ?? '',
      loadBalancerFullName: alb.loadBalancerFullName,
      loadBalancerUrl: `http://${alb.loadBalancerDnsName}`,
      targetGroupArn: targetGroup.targetGroupArn,
      targetGroupFullName: targetGroup.targetGroupFullName,
      subnetIds: Fn.join(',', vpc.publicSubnets.map((s) => s.subnetId)),
    });
  }

  /** cdk-nag findings that are the scenario or its cost budget, each with its reason. */
  private acknowledgeFindings(parts: {
    alb: elbv2.ApplicationLoadBalancer;
    albSecurityGroup: ec2.SecurityGroup;
    vpc: ec2.Vpc;
    group: autoscaling.CfnAutoScalingGroup;
    cleanup: InlineCleanup;
  }): void {
    Validations.of(parts.vpc).acknowledge({
      id: 'AwsSolutions-VPC7',
      reason: 'Flow logs would add a log group and ingestion cost to a short-lived lab VPC that carries only a sample web page.',
    });
    Validations.of(parts.albSecurityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: 'The load balancer serves a public sample page; the learner opens it and calls /break in a browser.',
    });
    Validations.of(parts.alb).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason: 'Access logs need an S3 bucket that outlives requests in flight; the lab judges healing by Auto Scaling activities.',
    });
    Validations.of(parts.group).acknowledge({
      id: 'AwsSolutions-AS3',
      reason: 'The learner watches replacements in the group\'s activity history, which the checker reads; an SNS topic for scaling notifications would add nothing the lab judges.',
    });
    Validations.of(parts.cleanup.handler.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'The autoscaling Describe actions support no resource-level permissions; the cleanup reads only the lab group.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*]',
        reason: "The learner names the alarms of step or simple scaling policies; the cleanup deletes only alarms the lab group's policies list.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:<AWS::Region>:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/${GROUP_NAME}]`,
        reason: "A group's ARN holds a generated id; the name pins the lab's group.",
      },
    );
  }
}

/** Adds the lab's stack to a CDK app. */
export function addLabStack(app: Construct): ScalingSelfHealingStack {
  return new ScalingSelfHealingStack(app);
}
