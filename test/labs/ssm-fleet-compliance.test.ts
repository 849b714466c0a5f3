import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  DeleteAssociationCommand,
  DeleteMaintenanceWindowCommand,
  DeletePatchBaselineCommand,
  DeregisterPatchBaselineForPatchGroupCommand,
  DescribeMaintenanceWindowTargetsCommand,
  DescribeMaintenanceWindowsCommand,
  DescribePatchGroupsCommand,
  GetPatchBaselineCommand,
  ListAssociationsCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { roleCalls } from '../../labs/ssm-fleet-compliance/calls';
import { FLEET_TAG, INSTANCE_TYPE, LAB_ID, Outputs, PATCH_GROUP, PATCH_GROUP_TAG_KEYS } from '../../labs/ssm-fleet-compliance/contract';
import { AMI_PARAMETER, addLabStack } from '../../labs/ssm-fleet-compliance/stack';
import { awsError } from '../support/mocked-session';

type Log = (...args: unknown[]) => void;
const cleanup = require('../../labs/ssm-fleet-compliance/cleanup.handler.js') as { onDelete: (props: Record<string, string>, log: Log) => Promise<void> };

describe('ssm-fleet-compliance stack', () => {
  let template: Template;
  let json: { Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }> };
  beforeAll(() => {
    template = Template.fromStack(addLabStack(new App()));
    json = template.toJSON() as typeof json;
  });
  const ofType = (type: string) => Object.keys(template.findResources(type));

  it('runs two t4g.micro Amazon Linux 2023 arm64 instances, IMDSv2 only, 8 GiB gp3, public IPv4, tagged as the fleet', () => {
    expect(AMI_PARAMETER).toBe('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64');
    const instances = ofType('AWS::EC2::Instance');
    expect(instances).toHaveLength(2);
    for (const id of instances) {
      const p = json.Resources[id].Properties;
      expect(p).toMatchObject({
        InstanceType: INSTANCE_TYPE,
        ImageId: `{{resolve:ssm:${AMI_PARAMETER}}}`,
        MetadataOptions: { HttpTokens: 'required' },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8, VolumeType: 'gp3', Encrypted: true } }],
        NetworkInterfaces: [expect.objectContaining({ AssociatePublicIpAddress: true })],
      });
      expect(p.Tags).toEqual(expect.arrayContaining([{ Key: FLEET_TAG.key, Value: FLEET_TAG.value }]));
      expect(JSON.stringify(p.Tags)).not.toMatch(/Patch ?Group/i);
    }
    expect(ofType('AWS::EC2::LaunchTemplate')).toEqual([]);
  });

  it('has drifted the first instance only: its user data stops and disables chronyd', () => {
    const [first, second] = ofType('AWS::EC2::Instance').map((id) => JSON.stringify(json.Resources[id].Properties.UserData));
    expect(first).toContain('systemctl disable --now chronyd');
    expect(second).not.toContain('chronyd');
    template.hasOutput(Outputs.driftedInstanceId, { Value: { Ref: ofType('AWS::EC2::Instance')[0] } });
  });

  it('manages the instances through AmazonSSMManagedInstanceCore, with no inbound rule, no NAT gateway and no endpoint', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' } }] },
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] }],
    });
    const [sg] = ofType('AWS::EC2::SecurityGroup');
    expect(json.Resources[sg].Properties.SecurityGroupIngress).toBeUndefined();
    expect(ofType('AWS::EC2::SecurityGroupIngress')).toEqual([]);
    expect(ofType('AWS::EC2::NatGateway')).toEqual([]);
    expect(ofType('AWS::EC2::VPCEndpoint')).toEqual([]);
    expect(ofType('AWS::EC2::Subnet')).toHaveLength(2);
  });

  it('cleans up before CloudFormation deletes the instances', () => {
    const [id] = ofType('Custom::DopLabCleanup');
    const resource = json.Resources[id];
    expect(resource.Properties).toMatchObject({ FleetTag: `${FLEET_TAG.key}=${FLEET_TAG.value}`, PatchGroup: PATCH_GROUP, PatchGroupTagKeys: PATCH_GROUP_TAG_KEYS.join(',') });
    expect(resource.DependsOn).toEqual(expect.arrayContaining(ofType('AWS::EC2::Instance')));
  });

  it('exports every contract output', () => {
    for (const id of Object.values(Outputs)) template.hasOutput(id, {});
  });
});

describe('cleanup.handler.js', () => {
  const props = { InstanceIds: 'i-0a1b2c3d4e5f60718,i-0b2c3d4e5f6071829', FleetTag: 'doplab:fleet=orders', PatchGroup: 'orders', PatchGroupTagKeys: 'PatchGroup,Patch Group' };
  let ssm: AwsClientStub<SSMClient>;
  let log: jest.Mock;
  beforeEach(() => {
    ssm = mockClient(SSMClient);
    log = jest.fn();
    ssm.on(ListAssociationsCommand).resolves({ Associations: [] });
    ssm.on(DescribeMaintenanceWindowsCommand).resolves({ WindowIdentities: [] });
    ssm.on(DescribePatchGroupsCommand).resolves({ Mappings: [] });
    ssm.on(GetPatchBaselineCommand).resolves({ PatchGroups: [] });
    ssm.on(DeleteAssociationCommand).resolves({});
    ssm.on(DeleteMaintenanceWindowCommand).resolves({});
    ssm.on(DeregisterPatchBaselineForPatchGroupCommand).resolves({});
    ssm.on(DeletePatchBaselineCommand).resolves({});
  });
  afterEach(() => ssm.restore());

  function writes(): string[] {
    return ssm
      .calls()
      .map((c) => c.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> })
      .filter((c) => /^(Delete|Deregister)/.test(c.constructor.name))
      .map((c) => `${c.constructor.name.replace(/Command$/, '')} ${JSON.stringify(c.input)}`);
  }

  it('deletes associations and windows aimed at the fleet, then deregisters and deletes the learner baseline, in that order', async () => {
    ssm.on(ListAssociationsCommand, { NextToken: undefined }).resolves({
      Associations: [
        { AssociationId: 'a-tag', Name: 'AWS-RunShellScript', Targets: [{ Key: 'tag:doplab:fleet', Values: ['orders'] }] },
        { AssociationId: 'a-other', Name: 'AWS-RunShellScript', Targets: [{ Key: 'tag:team', Values: ['web'] }] },
      ],
      NextToken: 'p2',
    });
    ssm.on(ListAssociationsCommand, { NextToken: 'p2' }).resolves({
      Associations: [
        { AssociationId: 'a-ids', Name: 'AWS-RunShellScript', Targets: [{ Key: 'InstanceIds', Values: ['i-0b2c3d4e5f6071829'] }] },
        { AssociationId: 'a-scan', Name: 'AWS-RunPatchBaseline', Targets: [{ Key: 'tag:Patch Group', Values: ['Orders'] }] },
      ],
    });
    ssm.on(DescribeMaintenanceWindowsCommand).resolves({ WindowIdentities: [{ WindowId: 'mw-1', Name: 'scan' }, { WindowId: 'mw-2', Name: 'theirs' }] });
    ssm.on(DescribeMaintenanceWindowTargetsCommand, { WindowId: 'mw-1' }).resolves({ Targets: [{ Targets: [{ Key: 'tag:PatchGroup', Values: ['orders'] }] }] });
    ssm.on(DescribeMaintenanceWindowTargetsCommand, { WindowId: 'mw-2' }).resolves({ Targets: [{ Targets: [{ Key: 'tag:PatchGroup', Values: ['web'] }] }] });
    ssm.on(DescribePatchGroupsCommand).resolves({
      Mappings: [
        { PatchGroup: 'orders', BaselineIdentity: { BaselineId: 'pb-0123456789abcdef0', DefaultBaseline: false } },
        { PatchGroup: 'Orders', BaselineIdentity: { BaselineId: 'arn:aws:ssm:us-east-1:123456789012:patchbaseline/pb-AWS', DefaultBaseline: false } },
        { PatchGroup: 'web', BaselineIdentity: { BaselineId: 'pb-web' } },
      ],
    });
    await cleanup.onDelete(props, log);
    expect(writes()).toEqual([
      'DeleteAssociation {"AssociationId":"a-tag"}',
      'DeleteAssociation {"AssociationId":"a-ids"}',
      'DeleteAssociation {"AssociationId":"a-scan"}',
      'DeleteMaintenanceWindow {"WindowId":"mw-1"}',
      'DeregisterPatchBaselineForPatchGroup {"BaselineId":"pb-0123456789abcdef0","PatchGroup":"orders"}',
      'DeregisterPatchBaselineForPatchGroup {"BaselineId":"arn:aws:ssm:us-east-1:123456789012:patchbaseline/pb-AWS","PatchGroup":"Orders"}',
      'DeletePatchBaseline {"BaselineId":"pb-0123456789abcdef0"}',
    ]);
  });

  it('keeps a baseline that still serves another patch group', async () => {
    ssm.on(DescribePatchGroupsCommand).resolves({ Mappings: [{ PatchGroup: 'orders', BaselineIdentity: { BaselineId: 'pb-shared' } }] });
    ssm.on(GetPatchBaselineCommand).resolves({ BaselineId: 'pb-shared', PatchGroups: ['web'] });
    await cleanup.onDelete(props, log);
    expect(ssm.commandCalls(DeletePatchBaselineCommand)).toHaveLength(0);
    expect(log).toHaveBeenCalledWith('kept patch baseline pb-shared: it serves patch groups web too');
  });

  it('sends no write when the learner made nothing (a second destroy is safe)', async () => {
    await cleanup.onDelete(props, log);
    expect(writes()).toEqual([]);
  });

  it('keeps going after a failed delete and reports every failure at the end', async () => {
    ssm.on(ListAssociationsCommand).resolves({
      Associations: [
        { AssociationId: 'a1', Name: 'x', Targets: [{ Key: 'tag:doplab:fleet', Values: ['orders'] }] },
        { AssociationId: 'a2', Name: 'y', Targets: [{ Key: 'tag:doplab:fleet', Values: ['orders'] }] },
      ],
    });
    ssm.on(DeleteAssociationCommand, { AssociationId: 'a1' }).rejects(awsError('AccessDeniedException', 'not authorized to perform: ssm:DeleteAssociation'));
    await expect(cleanup.onDelete(props, log)).rejects.toThrow(/could not clean up: deleted association a1 \(x\): AccessDeniedException/);
    expect(ssm.commandCalls(DeleteAssociationCommand).map((c) => c.args[0].input.AssociationId)).toEqual(['a1', 'a2']);
  });
});

describe('calls.ts', () => {
  it('declares the cleanup role with every command its handler sends', () => {
    const env = { partition: 'aws', account: '111122223333', region: 'us-east-1', regions: ['us-east-1'], stackName: `DopLab-${LAB_ID}`, stackId: 'x' };
    const declared = roleCalls[1].calls(env).map((c) => c.action);
    const source = require('node:fs').readFileSync(require.resolve('../../labs/ssm-fleet-compliance/cleanup.handler.js'), 'utf8') as string;
    const sent = [...source.matchAll(/ssmSdk\.(\w+)Command/g)].map((m) => `ssm:${m[1]}`);
    expect([...new Set(declared.filter((a) => a.startsWith('ssm:')))].sort()).toEqual([...new Set(sent)].sort());
  });
});
