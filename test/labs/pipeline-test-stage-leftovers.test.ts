import * as logsSdk from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import * as codebuildSdk from '@aws-sdk/client-codebuild';
import { BatchGetProjectsCommand, CodeBuildClient, ListProjectsCommand, ListReportGroupsCommand } from '@aws-sdk/client-codebuild';
import * as iamSdk from '@aws-sdk/client-iam';
import { IAMClient, ListRolesCommand, ListRoleTagsCommand, type Role } from '@aws-sdk/client-iam';
import * as s3Sdk from '@aws-sdk/client-s3';
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import * as ssmSdk from '@aws-sdk/client-ssm';
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { Outputs } from '../../labs/pipeline-test-stage/contract';
import { leftovers } from '../../labs/pipeline-test-stage/leftovers';
import { ACCOUNT, leftoverContext } from '../support/leftover-context';
import { awsError } from '../support/mocked-session';
import { BUILDSPEC, testProject } from '../fixtures/pipeline-test-stage/aws-world';

const REGION = 'eu-west-1';
const SOURCE = 'doplab-pipeline-test-stag-orderssourcebucket18584-k2mq8x1vz0ab';
const ARTIFACTS = 'doplab-pipeline-test-st-ordersartifactbucketb1082e-7hd3nw5rj1te';
const trust = (service: string) => encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] }));
const role = (name: string, service: string): Role => ({ Path: '/service-role/', RoleName: name, RoleId: `AROA${name.length}EXAMPLEID`, Arn: `arn:aws:iam::${ACCOUNT}:role/service-role/${name}`, CreateDate: new Date('2026-11-24T09:30:00Z'), AssumeRolePolicyDocument: trust(service) });

describe('pipeline-test-stage leftovers', () => {
  let codebuild: AwsClientStub<CodeBuildClient>;
  let logs: AwsClientStub<CloudWatchLogsClient>;
  let ssm: AwsClientStub<SSMClient>;
  let iam: AwsClientStub<IAMClient>;
  let s3: AwsClientStub<S3Client>;
  const stack = { outputs: { [Outputs.sourceBucketName]: SOURCE, [Outputs.artifactBucketName]: ARTIFACTS } };
  const context = () => leftoverContext([codebuildSdk, logsSdk, ssmSdk, iamSdk, s3Sdk], { region: REGION, stack });

  beforeEach(() => {
    codebuild = mockClient(CodeBuildClient);
    logs = mockClient(CloudWatchLogsClient);
    ssm = mockClient(SSMClient);
    iam = mockClient(IAMClient);
    s3 = mockClient(S3Client);
    codebuild.on(ListProjectsCommand).resolves({ projects: [] });
    ssm.on(DescribeParametersCommand).resolves({ Parameters: [] });
    iam.on(ListRolesCommand).resolves({ Roles: [], IsTruncated: false });
    s3.on(ListObjectVersionsCommand).rejects(awsError('NoSuchBucket', 'The specified bucket does not exist', 404));
  });
  afterEach(() => [codebuild, logs, ssm, iam, s3].forEach((m) => m.restore()));

  it('finds nothing after a clean teardown, with only read-only calls', async () => {
    const { ctx, calls } = context();
    await expect(leftovers(ctx)).resolves.toEqual([]);
    expect(calls.map((c) => c.action)).toEqual(['codebuild:ListProjects', 'ssm:DescribeParameters', 'iam:ListRoles', 's3:ListObjectVersions', 's3:ListObjectVersions']);
    expect(ssm.commandCalls(DescribeParametersCommand)[0].args[0].input).toEqual({ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: ['/doplab/pipeline-test-stage/api-key'] }] });
  });

  it("finds the learner's test project by the lab's key it reads, its report groups and log group, and never another team's", async () => {
    codebuild.on(ListProjectsCommand).resolves({ projects: ['orders-api-test', 'payments-ci'] });
    const untagged = testProject({ tags: [] });
    codebuild.on(BatchGetProjectsCommand).resolves({
      projects: [untagged, { ...testProject({ tags: [] }), name: 'payments-ci', arn: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/payments-ci`, source: { type: 'CODEPIPELINE', buildspec: BUILDSPEC.replace('/doplab/pipeline-test-stage/api-key', '/payments/key') } }],
    });
    codebuild.on(ListReportGroupsCommand).resolves({
      reportGroups: [`arn:aws:codebuild:${REGION}:${ACCOUNT}:report-group/orders-api-test-unit-tests`, `arn:aws:codebuild:${REGION}:${ACCOUNT}:report-group/payments-ci-unit-tests`],
    });
    logs.on(DescribeLogGroupsCommand).resolves({
      logGroups: [
        { logGroupName: '/aws/codebuild/orders-api-test', logGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/orders-api-test` },
        { logGroupName: '/aws/codebuild/payments-ci', logGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/payments-ci` },
      ],
    });
    const { ctx } = context();
    expect(await leftovers(ctx)).toEqual([
      { resource: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/orders-api-test`, region: REGION, reason: "CodeBuild project orders-api-test reading the lab's API key or tagged doplab:lab=pipeline-test-stage" },
      { resource: `arn:aws:codebuild:${REGION}:${ACCOUNT}:report-group/orders-api-test-unit-tests`, region: REGION, reason: "report group of a learner's test project (report groups outlive their project)" },
      { resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/orders-api-test`, region: REGION, reason: "log group of a learner's test project" },
    ]);
    expect(logs.commandCalls(DescribeLogGroupsCommand)[0].args[0].input).toEqual({ logGroupNamePrefix: '/aws/codebuild/' });
  });

  it('finds the SecureString, a lab-tagged CodeBuild role, and lab buckets still there', async () => {
    ssm.on(DescribeParametersCommand).resolves({ Parameters: [{ Name: '/doplab/pipeline-test-stage/api-key', ARN: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/doplab/pipeline-test-stage/api-key`, Type: 'SecureString', KeyId: 'alias/aws/ssm' }] });
    iam.on(ListRolesCommand).resolves({ Roles: [role('orders-api-test-role', 'codebuild.amazonaws.com'), role('other-build', 'codebuild.amazonaws.com'), role('lambda-x', 'lambda.amazonaws.com')], IsTruncated: false });
    iam.on(ListRoleTagsCommand, { RoleName: 'orders-api-test-role' }).resolves({ Tags: [{ Key: 'doplab:lab', Value: 'pipeline-test-stage' }], IsTruncated: false });
    iam.on(ListRoleTagsCommand, { RoleName: 'other-build' }).resolves({ Tags: [], IsTruncated: false });
    s3.on(ListObjectVersionsCommand, { Bucket: SOURCE }).resolves({ Versions: [{ Key: 'source.zip', VersionId: 'v1' }] });
    const { ctx } = context();
    expect(await leftovers(ctx)).toEqual([
      { resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/doplab/pipeline-test-stage/api-key`, region: REGION, reason: "the lab's SecureString API key" },
      { resource: `arn:aws:iam::${ACCOUNT}:role/service-role/orders-api-test-role`, region: 'global', reason: 'CodeBuild role tagged doplab:lab=pipeline-test-stage (IAM roles are not in the tagging API)' },
      { resource: `arn:aws:s3:::${SOURCE}`, region: REGION, reason: 'lab bucket still exists and holds object versions' },
    ]);
    expect(iam.commandCalls(ListRoleTagsCommand).map((c) => c.args[0].input.RoleName)).toEqual(['orders-api-test-role', 'other-build']);
  });
});
