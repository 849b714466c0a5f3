import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  AutoScalingClient,
  CancelInstanceRefreshCommand,
  DeleteLifecycleHookCommand,
  DeletePolicyCommand,
  DeleteScheduledActionCommand,
  DeleteWarmPoolCommand,
  DescribeInstanceRefreshesCommand,
  DescribeLifecycleHooksCommand,
  DescribePoliciesCommand,
  DescribeScheduledActionsCommand,
  DescribeWarmPoolCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DeleteAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { roleCalls } from '../../labs/scaling-self-healing/calls';
import { APP_PORT, BREAK_PATH, GROUP_NAME, HEALTH_PATH, MAX_SIZE, Outputs, STARTING_BANNER, TEMPLATE_NAME } from '../../labs/scaling-self-healing/contract';
import { AMI_PARAMETER, addLabStack, appUserData } from '../../labs/scaling-self-healing/stack';
import { MAX_ASG_SIZE } from '../../lib/cost-gate';
import { lab } from '../../labs/scaling-self-healing/lab';
import { cfnEvent, lambdaContext, startCfnResponseServer } from '../support/cfn-response-server';
import { synthLab } from '../support/lab-synth';
import { awsError } from '../support/mocked-session';

type Log = (...args: unknown[]) => void;
type Json = Record<string, unknown>;
const cleanup = require('../../labs/scaling-self-healing/cleanup.handler.js') as {
  onDelete: (props: Record<string, string>, log: Log, sleep?: (ms: number) => Promise<void>) => Promise<void>;
};

describe('scaling-self-healing stack', () => {
  let template: Template;
  let json: { Resources: Record<string, { Type: string; Properties: Json; DependsOn?: string[] }> };

  beforeAll(() => {
    template = Template.fromStack(addLabStack(new App()));
    json = template.toJSON() as typeof json;
  });

  const idsOf = (type: string, props?: Json) => Object.keys(template.findResources(type, props ? { Properties: props } : undefined));
  const only = (type: string, props?: Json) => {
    const ids = idsOf(type, props);
    expect(ids).toHaveLength(1);
    return ids[0];
  };

  describe('the scenario the README promises', () => {
    it('has a VPC with two public subnets that give no public IPs, and no NAT gateway', () => {
      const subnets = idsOf('AWS::EC2::Subnet');
      expect(subnets).toHaveLength(2);
      for (const id of subnets) expect(json.Resources[id].Properties.MapPublicIpOnLaunch).toBe(false);
      expect(idsOf('AWS::EC2::NatGateway')).toEqual([]);
    });

    it('has a launch template: Amazon Linux 2023 arm64 resolved at launch, t4g.micro, IMDSv2, no public IP, the app in user data', () => {
      const data = json.Resources[only('AWS::EC2::LaunchTemplate')].Properties.LaunchTemplateData as Json;
      expect(json.Resources[only('AWS::EC2::LaunchTemplate')].Properties.LaunchTemplateName).toBe(TEMPLATE_NAME);
      expect(data).toMatchObject({
        ImageId: `resolve:ssm:${AMI_PARAMETER}`,
        InstanceType: 't4g.micro',
        MetadataOptions: { HttpTokens: 'required' },
        NetworkInterfaces: [expect.objectContaining({ AssociatePublicIpAddress: false, DeviceIndex: 0 })],
      });
      expect(AMI_PARAMETER).toMatch(/al2023-ami-kernel-default-arm64$/);
      const userData = JSON.stringify(data.UserData);
      expect(userData).toContain(`BANNER = \\"${STARTING_BANNER}\\"`);
      expect(userData).toContain(`self.path == \\"${HEALTH_PATH}\\"`);
      expect(userData).toContain(`self.path == \\"${BREAK_PATH}\\"`);
    });

    it('has a group on $Latest, 1/1/1, in one subnet, EC2 health checks, registered in the target group, with no scaling policy', () => {
      const group = json.Resources[only('AWS::AutoScaling::AutoScalingGroup')];
      expect(group.Properties).toMatchObject({
        AutoScalingGroupName: GROUP_NAME,
        LaunchTemplate: { LaunchTemplateId: { Ref: only('AWS::EC2::LaunchTemplate') }, Version: '$Latest' },
        MinSize: '1',
        MaxSize: '1',
        DesiredCapacity: '1',
        HealthCheckType: 'EC2',
        TargetGroupARNs: [{ Ref: only('AWS::ElasticLoadBalancingV2::TargetGroup') }],
      });
      expect(group.Properties.VPCZoneIdentifier).toHaveLength(1);
      expect(group.Properties.HealthCheckGracePeriod).toBeUndefined();
      expect(idsOf('AWS::AutoScaling::ScalingPolicy')).toEqual([]);
      expect(MAX_SIZE).toBeLessThanOrEqual(MAX_ASG_SIZE);
    });

    it('checks /health every 10 s with a short deregistration delay', () => {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        Port: APP_PORT,
        TargetType: 'instance',
        HealthCheckPath: HEALTH_PATH,
        HealthCheckIntervalSeconds: 10,
        TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '15' }]),
      });
    });

    it('lets HTTP reach the instances from the load balancer only, and nothing out', () => {
      const instanceSg = idsOf('AWS::EC2::SecurityGroup').find((id) => id.startsWith('InstanceSecurityGroup')) ?? '';
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: { 'Fn::GetAtt': [instanceSg, 'GroupId'] },
        FromPort: APP_PORT,
        SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LoadBalancerSecurityGroup'), 'GroupId'] },
      });
      expect(JSON.stringify(json.Resources[instanceSg].Properties.SecurityGroupEgress)).toContain('255.255.255.255/32');
    });

    it('deletes the group before the listener and the subnets, and cleans up before the group', () => {
      const group = json.Resources[only('AWS::AutoScaling::AutoScalingGroup')];
      expect(group.DependsOn).toEqual(expect.arrayContaining([only('AWS::ElasticLoadBalancingV2::Listener'), ...idsOf('AWS::EC2::Subnet')]));
      const resource = json.Resources[only('Custom::DopLabCleanup')];
      expect(resource.Properties).toMatchObject({ GroupName: GROUP_NAME });
      expect(resource.DependsOn).toContain(only('AWS::AutoScaling::AutoScalingGroup'));
    });

    it('exports the group, the template, the load balancer, the target group and both subnets', () => {
      template.hasOutput(Outputs.autoScalingGroupName, { Value: { Ref: only('AWS::AutoScaling::AutoScalingGroup') } });
      template.hasOutput(Outputs.launchTemplateId, { Value: { Ref: only('AWS::EC2::LaunchTemplate') } });
      template.hasOutput(Outputs.subnetIds, { Value: { 'Fn::Join': [',', idsOf('AWS::EC2::Subnet').map((id) => ({ Ref: id }))] } });
      template.hasOutput(Outputs.targetGroupFullName, { Value: { 'Fn::GetAtt': [only('AWS::ElasticLoadBalancingV2::TargetGroup'), 'TargetGroupFullName'] } });
    });
  });

  it('inlines handler code that parses', () => {
    for (const id of idsOf('AWS::Lambda::Function')) {
      const code = (json.Resources[id].Properties.Code as { ZipFile: string }).ZipFile;
      expect(() => new Script(code)).not.toThrow();
    }
  });
});

describe('the app in the user data', () => {
  it('is a python3 server started by systemd, the banner given', () => {
    const lines = appUserData('orders v9');
    expect(lines).toContain('BANNER = "orders v9"');
    expect(lines).toContain('ExecStart=/usr/bin/python3 /opt/orders.py');
    expect(lines.at(-1)).toBe('systemctl enable --now orders.service');
  });
});

describe('cleanup.handler.js', () => {
  let autoscaling: AwsClientStub<AutoScalingClient>;
  let cloudwatch: AwsClientStub<CloudWatchClient>;
  const props = { GroupName: GROUP_NAME };
  const logs: string[] = [];
  const log: Log = (...args) => logs.push(args.join(' '));

  beforeEach(() => {
    autoscaling = mockClient(AutoScalingClient);
    cloudwatch = mockClient(CloudWatchClient);
    logs.length = 0;
    autoscaling.on(DescribeInstanceRefreshesCommand).resolves({ InstanceRefreshes: [] });
    autoscaling.on(DescribeScheduledActionsCommand).resolves({ ScheduledUpdateGroupActions: [] });
    autoscaling.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [] });
    autoscaling.on(DescribeWarmPoolCommand).resolves({ Instances: [] });
    autoscaling.on(DescribePoliciesCommand).resolves({ ScalingPolicies: [] });
    cloudwatch.on(DeleteAlarmsCommand).resolves({});
  });

  afterEach(() => {
    autoscaling.restore();
    cloudwatch.restore();
  });

  const sentNames = () => autoscaling.calls().map((c) => c.args[0].constructor.name);

  it('only reads when the learner made nothing', async () => {
    await cleanup.onDelete(props, log);
    expect(sentNames()).toEqual([
      'DescribeInstanceRefreshesCommand',
      'DescribeScheduledActionsCommand',
      'DescribeLifecycleHooksCommand',
      'DescribeWarmPoolCommand',
      'DescribePoliciesCommand',
    ]);
    expect(cloudwatch.calls()).toHaveLength(0);
  });

  it("cancels a refresh, deletes scheduled actions, hooks, the warm pool, policies and only the step policies' alarms", async () => {
    autoscaling
      .on(DescribeInstanceRefreshesCommand)
      .resolvesOnce({ InstanceRefreshes: [{ InstanceRefreshId: 'r1', Status: 'InProgress' }] })
      .resolvesOnce({ InstanceRefreshes: [{ InstanceRefreshId: 'r1', Status: 'Cancelling' }] })
      .resolves({ InstanceRefreshes: [{ InstanceRefreshId: 'r1', Status: 'Cancelled' }] });
    autoscaling.on(CancelInstanceRefreshCommand).resolves({ InstanceRefreshId: 'r1' });
    const sleeps: number[] = [];
    autoscaling.on(DescribeScheduledActionsCommand).resolvesOnce({ ScheduledUpdateGroupActions: [{ ScheduledActionName: 'night' }], NextToken: 't' }).resolves({ ScheduledUpdateGroupActions: [{ ScheduledActionName: 'morning' }] });
    autoscaling.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [{ LifecycleHookName: 'drain' }] });
    autoscaling.on(DescribeWarmPoolCommand).resolves({ WarmPoolConfiguration: { MinSize: 1, PoolState: 'Stopped' }, Instances: [] });
    autoscaling.on(DescribePoliciesCommand).resolves({
      ScalingPolicies: [
        { PolicyName: 'tt', PolicyType: 'TargetTrackingScaling', Alarms: [{ AlarmName: 'TargetTracking-x-AlarmHigh' }] },
        { PolicyName: 'step', PolicyType: 'StepScaling', Alarms: [{ AlarmName: 'orders-cpu-high' }] },
      ],
    });
    await cleanup.onDelete(props, log, async (ms) => {
      sleeps.push(ms);
    });
    // The cancellation is waited for: one poll while Cancelling.
    expect(sleeps).toEqual([10_000]);
    expect(autoscaling.commandCalls(DescribeInstanceRefreshesCommand)).toHaveLength(3);
    expect(autoscaling.commandCalls(CancelInstanceRefreshCommand).map((c) => c.args[0].input)).toEqual([{ AutoScalingGroupName: GROUP_NAME }]);
    expect(autoscaling.commandCalls(DeleteScheduledActionCommand).map((c) => c.args[0].input.ScheduledActionName)).toEqual(['night', 'morning']);
    expect(autoscaling.commandCalls(DeleteLifecycleHookCommand).map((c) => c.args[0].input)).toEqual([{ AutoScalingGroupName: GROUP_NAME, LifecycleHookName: 'drain' }]);
    expect(autoscaling.commandCalls(DeleteWarmPoolCommand).map((c) => c.args[0].input)).toEqual([{ AutoScalingGroupName: GROUP_NAME, ForceDelete: true }]);
    expect(autoscaling.commandCalls(DeletePolicyCommand).map((c) => c.args[0].input.PolicyName)).toEqual(['tt', 'step']);
    expect(cloudwatch.commandCalls(DeleteAlarmsCommand).map((c) => c.args[0].input)).toEqual([{ AlarmNames: ['orders-cpu-high'] }]);
  });

  it('tolerates a refresh that finished in the meantime, and reports other failures after trying every step', async () => {
    autoscaling
      .on(DescribeInstanceRefreshesCommand)
      .resolvesOnce({ InstanceRefreshes: [{ InstanceRefreshId: 'r1', Status: 'Pending' }] })
      .resolves({ InstanceRefreshes: [{ InstanceRefreshId: 'r1', Status: 'Successful' }] });
    autoscaling.on(CancelInstanceRefreshCommand).rejects(awsError('ActiveInstanceRefreshNotFoundFault', 'No in progress or pending Instance Refresh found'));
    autoscaling.on(DescribeLifecycleHooksCommand).rejects(awsError('Throttling', 'Rate exceeded'));
    autoscaling.on(DescribePoliciesCommand).resolves({ ScalingPolicies: [{ PolicyName: 'tt', PolicyType: 'TargetTrackingScaling' }] });
    autoscaling.on(DeletePolicyCommand).resolves({});
    await expect(cleanup.onDelete(props, log, async () => undefined)).rejects.toThrow(/^lifecycle hooks: Throttling: Rate exceeded$/);
    expect(autoscaling.commandCalls(DeletePolicyCommand)).toHaveLength(1);
  });

  it('works as deployed: the inlined code from the template cleans up and answers SUCCESS to CloudFormation', async () => {
    const { template: synthesized } = await synthLab(lab);
    const [fnId] = Object.entries(synthesized.Resources).find(([, r]) => r.Type === 'AWS::Lambda::Function') ?? [];
    // Inside the repository, so that the inlined require() calls find the SDK (and its mocks) in node_modules.
    const dir = mkdtempSync(join(__dirname, '.inline-'));
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const server = await startCfnResponseServer();
    autoscaling.on(DescribePoliciesCommand).resolves({ ScalingPolicies: [{ PolicyName: 'tt', PolicyType: 'TargetTrackingScaling' }] });
    autoscaling.on(DeletePolicyCommand).resolves({});
    try {
      writeFileSync(join(dir, 'index.js'), (synthesized.Resources[fnId ?? ''].Properties?.Code as { ZipFile: string }).ZipFile);
      const index = require(join(dir, 'index.js')) as { handler: (event: unknown, context: unknown) => Promise<void> };
      await index.handler(cfnEvent('Delete', server.url, props), lambdaContext(100_000));
      expect(autoscaling.commandCalls(DeletePolicyCommand).map((c) => c.args[0].input)).toEqual([{ AutoScalingGroupName: GROUP_NAME, PolicyName: 'tt' }]);
      expect(server.responses[0].body).toMatchObject({ Status: 'SUCCESS' });
    } finally {
      jest.restoreAllMocks();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives up on a refresh that will not stop, after four minutes, and still does the rest', async () => {
    autoscaling.on(DescribeInstanceRefreshesCommand).resolves({ InstanceRefreshes: [{ InstanceRefreshId: 'r1', Status: 'Cancelling' }] });
    autoscaling.on(DescribePoliciesCommand).resolves({ ScalingPolicies: [{ PolicyName: 'tt', PolicyType: 'TargetTrackingScaling' }] });
    autoscaling.on(DeletePolicyCommand).resolves({});
    let slept = 0;
    await expect(
      cleanup.onDelete(props, log, async (ms) => {
        slept += ms;
      }),
    ).rejects.toThrow(/^instance refresh: Error: refresh r1 still Cancelling after 240 s$/);
    expect(slept).toBe(240_000);
    expect(autoscaling.commandCalls(CancelInstanceRefreshCommand)).toHaveLength(0);
    expect(autoscaling.commandCalls(DeletePolicyCommand)).toHaveLength(1);
  });

  it('sends only the calls calls.ts declares for the cleanup role', async () => {
    autoscaling
      .on(DescribeInstanceRefreshesCommand)
      .resolvesOnce({ InstanceRefreshes: [{ InstanceRefreshId: 'r1', Status: 'InProgress' }] })
      .resolves({ InstanceRefreshes: [{ InstanceRefreshId: 'r1', Status: 'Cancelled' }] });
    autoscaling.on(DescribeScheduledActionsCommand).resolves({ ScheduledUpdateGroupActions: [{ ScheduledActionName: 'night' }] });
    autoscaling.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [{ LifecycleHookName: 'drain' }] });
    autoscaling.on(DescribeWarmPoolCommand).resolves({ WarmPoolConfiguration: { MinSize: 1 } });
    autoscaling.on(DescribePoliciesCommand).resolves({ ScalingPolicies: [{ PolicyName: 'step', PolicyType: 'StepScaling', Alarms: [{ AlarmName: 'orders-cpu-high' }] }] });
    await cleanup.onDelete(props, log, async () => undefined);
    const sent = new Set([
      ...autoscaling.calls().map((c) => `autoscaling:${c.args[0].constructor.name.replace(/Command$/, '')}`),
      ...cloudwatch.calls().map((c) => `cloudwatch:${c.args[0].constructor.name.replace(/Command$/, '')}`),
    ]);
    const declared = roleCalls.find((r) => r.role === 'Cleanup/Handler/Role')?.calls(ENV).filter((c) => !c.deniedBecause).map((c) => c.action) ?? [];
    expect([...sent].sort()).toEqual(declared.filter((a) => !a.startsWith('logs:')).sort());
  });
});

const ENV = {
  partition: 'aws',
  account: '111122223333',
  region: 'eu-west-1',
  regions: ['eu-west-1'],
  stackName: 'DopLab-scaling-self-healing',
  stackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/DopLab-scaling-self-healing/0c7e4a30-cb6f-11f0-9a1b-06d2e5f7a8b9',
};
