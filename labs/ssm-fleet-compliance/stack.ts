import { join } from 'node:path';
import { ArnFormat, CfnDynamicReference, CfnDynamicReferenceService, Tags, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { InlineCleanup } from '../../lib/cdk/inline-cleanup';
import { DopLabStack } from '../../lib/cdk/lab-stack';
import { FLEET_TAG, INSTANCE_TYPE, LAB_ID, Outputs, PATCH_GROUP, PATCH_GROUP_TAG_KEYS } from './contract';

/**
 * The public SSM parameter of the latest Amazon Linux 2023 arm64 AMI, the one `MachineImage.latestAmazonLinux2023({
 * cpuType: ARM_64 })` reads (…/al2023-ami-kernel-6.1-arm64), named through aws-cdk-lib's public API.
 */
export const AMI_PARAMETER = ec2.AmazonLinuxImage.ssmParameterName({
  generation: ec2.AmazonLinuxGeneration.AMAZON_LINUX_2023,
  cpuType: ec2.AmazonLinuxCpuType.ARM_64,
});

/**
 * The AMI as an `ssm` dynamic reference resolved by CloudFormation at deploy time: the same parameter
 * latestAmazonLinux2023() reads, without the template parameter it would add (labs have none).
 */
const AMAZON_LINUX_2023_ARM64: ec2.IMachineImage = {
  getImage: () => ({
    imageId: new CfnDynamicReference(CfnDynamicReferenceService.SSM, AMI_PARAMETER).toString(),
    osType: ec2.OperatingSystemType.LINUX,
    userData: ec2.UserData.forLinux(),
  }),
};

/**
 * Starting state: two Amazon Linux 2023 instances managed by Systems Manager, tagged as the orders fleet, that nobody
 * keeps configured or patched; the first one has stopped and disabled chronyd.
 */
export class SsmFleetComplianceStack extends DopLabStack {
  readonly instances: ec2.Instance[];

  constructor(scope: Construct) {
    super(scope, LAB_ID, 'doplab lab ssm-fleet-compliance: keep a fleet configured and patched with Systems Manager.');

    // Public subnets only: no NAT gateway ($0.045/h) and no interface endpoints ($0.01/h each, per AZ); the agent
    // reaches Systems Manager over the instances' public IPv4 addresses. restrictDefaultSecurityGroup would add an asset.
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      restrictDefaultSecurityGroup: false,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
    });
    Validations.of(vpc).acknowledge({
      id: 'AwsSolutions-VPC7',
      reason: 'Cost: flow logs would add log ingestion for a lab VPC with no inbound traffic; nothing in the lab reads them.',
    });

    const securityGroup = new ec2.SecurityGroup(this, 'FleetSecurityGroup', {
      vpc,
      description: 'doplab ssm-fleet-compliance fleet: no inbound rules; HTTPS out to Systems Manager and package repositories',
      allowAllOutbound: true,
    });

    const role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'doplab ssm-fleet-compliance instances: managed by Systems Manager',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason: 'The lab teaches the AWS-managed policy Systems Manager documents for managed instances; its content is what the agent needs.',
    });

    const drifted = ec2.UserData.forLinux();
    // The drift the association must undo: the time service stopped and kept from starting at boot.
    drifted.addCommands('systemctl disable --now chronyd');

    this.instances = [1, 2].map((n) => {
      const instance = new ec2.Instance(this, `Instance${n}`, {
        vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
        associatePublicIpAddress: true,
        instanceType: new ec2.InstanceType(INSTANCE_TYPE),
        machineImage: AMAZON_LINUX_2023_ARM64,
        httpTokens: ec2.HttpTokens.REQUIRED,
        role,
        securityGroup,
        userData: n === 1 ? drifted : ec2.UserData.forLinux(),
        blockDevices: [{ deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(8, { volumeType: ec2.EbsDeviceVolumeType.GP3, encrypted: true }) }],
      });
      for (const ack of [
        { id: 'AwsSolutions-EC28', reason: 'Cost: detailed monitoring is billed per metric; the lab reads Systems Manager, not CloudWatch metrics.' },
        { id: 'AwsSolutions-EC29', reason: 'The lab instances must go with the stack: termination protection would block cdk destroy.' },
      ]) {
        Validations.of(instance).acknowledge(ack);
      }
      return instance;
    });
    // The tag the learner's association targets, on every instance of the fleet.
    for (const instance of this.instances) Tags.of(instance).add(FLEET_TAG.key, FLEET_TAG.value);

    const arn = (resource: string) => this.formatArn({ service: 'ssm', resource, resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const cleanup = new InlineCleanup(this, 'Cleanup', {
      labId: LAB_ID,
      handlerFile: join(__dirname, 'cleanup.handler.js'),
      properties: {
        InstanceIds: this.instances.map((i) => i.instanceId).join(','),
        FleetTag: `${FLEET_TAG.key}=${FLEET_TAG.value}`,
        PatchGroup: PATCH_GROUP,
        PatchGroupTagKeys: PATCH_GROUP_TAG_KEYS.join(','),
      },
      // Before the instances: their associations and windows go first.
      guards: [...this.instances],
      statements: [
        new iam.PolicyStatement({ actions: ['ssm:ListAssociations', 'ssm:DescribePatchGroups', 'ssm:DescribeMaintenanceWindows'], resources: ['*'] }),
        new iam.PolicyStatement({ actions: ['ssm:DeleteAssociation'], resources: [arn('association')] }),
        new iam.PolicyStatement({
          actions: ['ssm:DeregisterPatchBaselineForPatchGroup', 'ssm:GetPatchBaseline', 'ssm:DeletePatchBaseline'],
          resources: [arn('patchbaseline')],
        }),
        new iam.PolicyStatement({ actions: ['ssm:DescribeMaintenanceWindowTargets', 'ssm:DeleteMaintenanceWindow'], resources: [arn('maintenancewindow')] }),
      ],
    });
    Validations.of(cleanup.handler.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ssm:ListAssociations, DescribePatchGroups and DescribeMaintenanceWindows support no resource type, so IAM grants them only on *.',
    });
    for (const resource of ['association', 'patchbaseline', 'maintenancewindow']) {
      Validations.of(cleanup.handler.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:${resource}/*]`,
        reason: 'The learner makes the associations, baselines and maintenance windows; the cleanup removes only those aimed at the lab fleet or its patch group.',
      });
    }

    this.exportOutputs(Outputs, {
      instanceIds: this.instances.map((i) => i.instanceId).join(','),
      driftedInstanceId: this.instances[0].instanceId,
    });
  }
}

/** Adds the lab's stack to a CDK app. */
export function addLabStack(app: Construct): SsmFleetComplianceStack {
  return new SsmFleetComplianceStack(app);
}
