import * as logsSdk from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import * as ssmSdk from '@aws-sdk/client-ssm';
import { DescribePatchGroupsCommand, ListAssociationsCommand, SSMClient } from '@aws-sdk/client-ssm';
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

  it('lets an access error through, so destroy reports the audit as incomplete', async () => {
    ssm.on(DescribePatchGroupsCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: ssm:DescribePatchGroups'));
    const { ctx } = context();
    await expect(leftovers(ctx)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });
});
