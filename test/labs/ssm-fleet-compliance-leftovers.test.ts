import * as logsSdk from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import * as ssmSdk from '@aws-sdk/client-ssm';
import { DescribePatchGroupsCommand, ListAssociationsCommand, ListComplianceItemsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { leftovers } from '../../labs/ssm-fleet-compliance/leftovers';
import { ACCOUNT, leftoverContext } from '../support/leftover-context';
import { awsError } from '../support/mocked-session';

const REGION = 'us-west-2';

describe('ssm-fleet-compliance leftovers', () => {
  let ssm: AwsClientStub<SSMClient>;
  let logs: AwsClientStub<CloudWatchLogsClient>;
  const context = () => leftoverContext([ssmSdk, logsSdk], { region: REGION });

  beforeEach(() => {
    ssm = mockClient(SSMClient);
    logs = mockClient(CloudWatchLogsClient);
    ssm.on(ListAssociationsCommand).resolves({ Associations: [] });
    ssm.on(DescribePatchGroupsCommand).resolves({ Mappings: [] });
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
  });
  afterEach(() => [ssm, logs].forEach((m) => m.restore()));

  it('finds nothing after a clean teardown, with only read-only calls', async () => {
    const { ctx, calls } = context();
    await expect(leftovers(ctx)).resolves.toEqual([]);
    expect(calls.map((c) => c.action)).toEqual(['ssm:ListAssociations', 'ssm:DescribePatchGroups', 'logs:DescribeLogGroups', 'logs:DescribeLogGroups']);
  });

  it('reports associations aimed at the fleet tag or the patch group, and registrations for the patch group', async () => {
    ssm.on(ListAssociationsCommand).resolves({
      Associations: [
        { AssociationId: 'a-1', AssociationName: 'chronyd', Name: 'AWS-RunShellScript', Targets: [{ Key: 'tag:doplab:fleet', Values: ['orders'] }] },
        { AssociationId: 'a-2', Name: 'AWS-RunPatchBaseline', Targets: [{ Key: 'tag:PatchGroup', Values: ['orders'] }] },
        { AssociationId: 'a-3', Name: 'AWS-RunPatchBaseline', Targets: [{ Key: 'tag:PatchGroup', Values: ['web'] }] },
      ],
    });
    ssm.on(DescribePatchGroupsCommand).resolves({ Mappings: [{ PatchGroup: 'orders', BaselineIdentity: { BaselineId: 'pb-0123' } }, { PatchGroup: 'web', BaselineIdentity: { BaselineId: 'pb-9' } }] });
    const { ctx } = context();
    expect((await leftovers(ctx)).map((l) => l.resource)).toEqual([
      `arn:aws:ssm:${REGION}:${ACCOUNT}:association/a-1`,
      `arn:aws:ssm:${REGION}:${ACCOUNT}:association/a-2`,
      `arn:aws:ssm:${REGION}:${ACCOUNT}:patchbaseline/pb-0123`,
    ]);
  });

  it('confirms no compliance data is left on the lab instances the stack named, reporting any that is', async () => {
    ssm.on(ListComplianceItemsCommand).resolves({ ComplianceItems: [] });
    ssm.on(ListComplianceItemsCommand, { ResourceIds: ['i-0b2c3d4e5f6071829'] }).resolves({ ComplianceItems: [{ ComplianceType: 'Association', Status: 'COMPLIANT' }, { ComplianceType: 'Patch', Status: 'NON_COMPLIANT' }] });
    const { ctx, calls } = leftoverContext([ssmSdk, logsSdk], { region: REGION, stack: { outputs: { InstanceIds: 'i-0a1b2c3d4e5f60718,i-0b2c3d4e5f6071829' } } });
    expect(await leftovers(ctx)).toEqual([
      { resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0b2c3d4e5f6071829`, region: REGION, reason: 'compliance data (Association, Patch) still reported for a lab instance' },
    ]);
    expect(calls.filter((c) => c.action === 'ssm:ListComplianceItems')).toHaveLength(2);
  });

  it('lets an access error through, so destroy reports the audit as incomplete', async () => {
    ssm.on(DescribePatchGroupsCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: ssm:DescribePatchGroups'));
    const { ctx } = context();
    await expect(leftovers(ctx)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });
});
