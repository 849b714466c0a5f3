import * as logsSdk from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import * as s3Sdk from '@aws-sdk/client-s3';
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import * as ssmSdk from '@aws-sdk/client-ssm';
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { Outputs } from '../../labs/broken-pipeline/contract';
import { leftovers } from '../../labs/broken-pipeline/leftovers';
import { ACCOUNT, leftoverContext } from '../support/leftover-context';
import { awsError } from '../support/mocked-session';

const REGION = 'eu-west-1';
const SOURCE = 'doplab-broken-pipeline-statuspagesourcebucket385-q3v8k1m2x9za';
const RELEASE = 'doplab-broken-pipeline-statuspagereleasebucket1d-3c9fq2m8x1lp';

describe('broken-pipeline leftovers', () => {
  let logs: AwsClientStub<CloudWatchLogsClient>;
  let ssm: AwsClientStub<SSMClient>;
  let s3: AwsClientStub<S3Client>;
  const stack = { outputs: { [Outputs.sourceBucketName]: SOURCE, [Outputs.releaseBucketName]: RELEASE } };
  const context = () => leftoverContext([logsSdk, ssmSdk, s3Sdk], { region: REGION, stack });

  beforeEach(() => {
    logs = mockClient(CloudWatchLogsClient);
    ssm = mockClient(SSMClient);
    s3 = mockClient(S3Client);
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
    ssm.on(DescribeParametersCommand).resolves({ Parameters: [] });
    s3.on(ListObjectVersionsCommand).rejects(awsError('NoSuchBucket', 'The specified bucket does not exist', 404));
  });
  afterEach(() => [logs, ssm, s3].forEach((m) => m.restore()));

  it('finds nothing after a clean teardown, with only read-only calls', async () => {
    const { ctx, calls } = context();
    await expect(leftovers(ctx)).resolves.toEqual([]);
    expect(calls.map((c) => c.action)).toEqual(['logs:DescribeLogGroups', 'logs:DescribeLogGroups', 'ssm:DescribeParameters', 's3:ListObjectVersions', 's3:ListObjectVersions']);
    expect(logs.commandCalls(DescribeLogGroupsCommand).map((c) => c.args[0].input.logGroupNamePrefix)).toEqual(['/aws/codebuild/doplab-status-page-build', '/doplab/broken-pipeline/']);
    expect(ssm.commandCalls(DescribeParametersCommand)[0].args[0].input).toEqual({ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: ['/doplab/broken-pipeline/banner'] }] });
  });

  it('reports a build log group re-created by a late build, the parameter, and a bucket that survived with versions', async () => {
    const group = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/doplab-status-page-build`;
    logs.on(DescribeLogGroupsCommand, { logGroupNamePrefix: '/aws/codebuild/doplab-status-page-build' }).resolves({ logGroups: [{ logGroupName: '/aws/codebuild/doplab-status-page-build', logGroupArn: group }] });
    ssm.on(DescribeParametersCommand).resolves({ Parameters: [{ Name: '/doplab/broken-pipeline/banner', ARN: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/doplab/broken-pipeline/banner`, Type: 'String' }] });
    s3.on(ListObjectVersionsCommand, { Bucket: SOURCE }).resolves({ Versions: [{ Key: 'source.zip', VersionId: 'v1' }] });
    const { ctx } = context();
    await expect(leftovers(ctx)).resolves.toEqual([
      { resource: group, region: REGION, reason: "log group of the lab's build or functions (/aws/codebuild/doplab-status-page-build*)" },
      { resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/doplab/broken-pipeline/banner`, region: REGION, reason: "the lab's banner parameter" },
      { resource: `arn:aws:s3:::${SOURCE}`, region: REGION, reason: 'lab bucket still exists and holds object versions' },
    ]);
  });

  it('lets an unexpected error through: a leftover audit must not report clean when it could not look', async () => {
    s3.on(ListObjectVersionsCommand).rejects(awsError('AccessDenied', 'Access Denied', 403));
    const { ctx } = context();
    await expect(leftovers(ctx)).rejects.toThrow();
  });
});
