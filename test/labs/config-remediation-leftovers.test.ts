import * as configSdk from '@aws-sdk/client-config-service';
import {
  ConfigServiceClient,
  DescribeConfigRulesCommand,
  DescribeConfigurationRecordersCommand,
  DescribeDeliveryChannelsCommand,
  DescribeRemediationConfigurationsCommand,
} from '@aws-sdk/client-config-service';
import * as iamSdk from '@aws-sdk/client-iam';
import { IAMClient, ListRolesCommand, ListRoleTagsCommand, type Role } from '@aws-sdk/client-iam';
import * as s3Sdk from '@aws-sdk/client-s3';
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { CONFIG_RULE_NAME, DELIVERY_CHANNEL_NAME, Outputs, RECORDER_NAME } from '../../labs/config-remediation/contract';
import { lab } from '../../labs/config-remediation/lab';
import { leftovers } from '../../labs/config-remediation/leftovers';
import { ACCOUNT, leftoverContext } from '../support/leftover-context';
import { awsError } from '../support/mocked-session';

const REGION = 'eu-central-1';
const ruleArn = (id: string) => `arn:aws:config:${REGION}:${ACCOUNT}:config-rule/config-rule-${id}`;
const BUCKETS = ['doplab-config-remediation-invoicesbucket4f2a-1x2y3z4w5v6u', 'doplab-config-remediation-reportsbucket7c1d-9a8b7c6d5e4f'];
const trust = (service: string) => encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] }));
const role = (name: string, service: string): Role => ({
  Path: '/',
  RoleName: name,
  RoleId: `AROA${name.length}EXAMPLEID`,
  Arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
  CreateDate: new Date('2026-11-23T11:00:00Z'),
  AssumeRolePolicyDocument: trust(service),
});
const labTag = [{ Key: 'doplab:lab', Value: 'config-remediation' }];

describe('config-remediation leftovers', () => {
  let config: AwsClientStub<ConfigServiceClient>;
  let iam: AwsClientStub<IAMClient>;
  let s3: AwsClientStub<S3Client>;
  const stack = { outputs: { [Outputs.targetBucketNames]: BUCKETS.join(','), [Outputs.recorderOwner]: 'lab' } };
  const context = (withStack = true) => leftoverContext([configSdk, iamSdk, s3Sdk], { region: REGION, stack: withStack ? stack : undefined });

  beforeEach(() => {
    config = mockClient(ConfigServiceClient);
    iam = mockClient(IAMClient);
    s3 = mockClient(S3Client);
    config.on(DescribeConfigurationRecordersCommand).resolves({ ConfigurationRecorders: [] });
    config.on(DescribeDeliveryChannelsCommand).resolves({ DeliveryChannels: [] });
    config.on(DescribeConfigRulesCommand).resolves({ ConfigRules: [] });
    iam.on(ListRolesCommand).resolves({ Roles: [], IsTruncated: false });
    s3.on(ListObjectVersionsCommand).rejects(awsError('NoSuchBucket', 'The specified bucket does not exist', 404));
  });
  afterEach(() => [config, iam, s3].forEach((m) => m.restore()));

  it('finds nothing after a clean teardown, with only read-only calls', async () => {
    const { ctx, calls } = context();
    await expect(leftovers(ctx)).resolves.toEqual([]);
    expect(calls.map((c) => c.action)).toEqual([
      'config:DescribeConfigurationRecorders',
      'config:DescribeDeliveryChannels',
      'config:DescribeConfigRules',
      'iam:ListRoles',
      's3:ListObjectVersions',
      's3:ListObjectVersions',
    ]);
    expect(s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input)).toEqual(BUCKETS.map((Bucket) => ({ Bucket, MaxKeys: 1 })));
  });

  it("finds the lab's own recorder and delivery channel, never the account's", async () => {
    config.on(DescribeConfigurationRecordersCommand).resolves({
      ConfigurationRecorders: [
        { name: 'default', arn: `arn:aws:config:${REGION}:${ACCOUNT}:configuration-recorder/default/0a1b2c3d4e5f6a7b` },
        { name: RECORDER_NAME, arn: `arn:aws:config:${REGION}:${ACCOUNT}:configuration-recorder/${RECORDER_NAME}/8c9d0e1f2a3b4c5d` },
      ],
    });
    config.on(DescribeDeliveryChannelsCommand).resolves({ DeliveryChannels: [{ name: 'default', s3BucketName: 'config-bucket-111122223333' }, { name: DELIVERY_CHANNEL_NAME, s3BucketName: 'doplab-delivery' }] });
    const { ctx } = context();
    expect(await leftovers(ctx)).toEqual([
      { resource: `arn:aws:config:${REGION}:${ACCOUNT}:configuration-recorder/${RECORDER_NAME}/8c9d0e1f2a3b4c5d`, region: REGION, reason: "the lab's configuration recorder" },
      { resource: DELIVERY_CHANNEL_NAME, region: REGION, reason: "the lab's delivery channel" },
    ]);
  });

  it("finds the lab's and the learner's rules (page by page) with their remediations, and the lab-tagged automation role", async () => {
    config.on(DescribeConfigRulesCommand, { NextToken: undefined }).resolves({
      ConfigRules: [
        { ConfigRuleName: 'securityhub-s3-bucket-versioning-enabled-a1b2c3', ConfigRuleArn: ruleArn('aaaaaa'), Source: { Owner: 'AWS', SourceIdentifier: 'S3_BUCKET_VERSIONING_ENABLED' } },
        { ConfigRuleName: CONFIG_RULE_NAME, ConfigRuleArn: ruleArn('bbbbbb'), Source: { Owner: 'AWS', SourceIdentifier: 'S3_BUCKET_VERSIONING_ENABLED' } },
      ],
      NextToken: 'r2',
    });
    config.on(DescribeConfigRulesCommand, { NextToken: 'r2' }).resolves({
      ConfigRules: [{ ConfigRuleName: 'doplab-config-remediation-public-read', ConfigRuleArn: ruleArn('cccccc'), Source: { Owner: 'AWS', SourceIdentifier: 'S3_BUCKET_PUBLIC_READ_PROHIBITED' } }],
    });
    const remediationArn = `arn:aws:config:${REGION}:${ACCOUNT}:remediation-configuration/doplab-config-remediation-public-read/5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b`;
    config.on(DescribeRemediationConfigurationsCommand).resolves({
      RemediationConfigurations: [
        {
          ConfigRuleName: 'doplab-config-remediation-public-read',
          Arn: remediationArn,
          TargetType: 'SSM_DOCUMENT',
          TargetId: 'AWS-DisableS3BucketPublicReadWrite',
          Parameters: { AutomationAssumeRole: { StaticValue: { Values: [`arn:aws:iam::${ACCOUNT}:role/service-role/learner-remediation`] } }, S3BucketName: { ResourceValue: { Value: 'RESOURCE_ID' } } },
        },
      ],
    });
    iam.on(ListRolesCommand, { Marker: undefined }).resolves({ Roles: [role('AWSReservedSSO_Admin_0a1b2c3d', 'sso.amazonaws.com'), role('learner-remediation', 'ec2.amazonaws.com')], IsTruncated: true, Marker: 'm2' });
    iam.on(ListRolesCommand, { Marker: 'm2' }).resolves({ Roles: [role('doplab-versioning-automation', 'ssm.amazonaws.com'), role('other-team-automation', 'ssm.amazonaws.com')], IsTruncated: false });
    iam.on(ListRoleTagsCommand, { RoleName: 'learner-remediation' }).resolves({ Tags: labTag, IsTruncated: false });
    iam.on(ListRoleTagsCommand, { RoleName: 'doplab-versioning-automation' }).resolves({ Tags: labTag, IsTruncated: false });
    iam.on(ListRoleTagsCommand, { RoleName: 'other-team-automation' }).resolves({ Tags: [{ Key: 'team', Value: 'platform' }], IsTruncated: false });
    const { ctx } = context();
    expect(await leftovers(ctx)).toEqual([
      { resource: ruleArn('bbbbbb'), region: REGION, reason: `AWS Config rule ${CONFIG_RULE_NAME} (the lab's, or learner-made doplab-config-remediation-*)` },
      { resource: ruleArn('cccccc'), region: REGION, reason: "AWS Config rule doplab-config-remediation-public-read (the lab's, or learner-made doplab-config-remediation-*)" },
      { resource: remediationArn, region: REGION, reason: 'remediation configuration of rule doplab-config-remediation-public-read' },
      { resource: `arn:aws:iam::${ACCOUNT}:role/learner-remediation`, region: 'global', reason: 'automation role tagged doplab:lab=config-remediation (IAM roles are not in the tagging API)' },
      { resource: `arn:aws:iam::${ACCOUNT}:role/doplab-versioning-automation`, region: 'global', reason: 'automation role tagged doplab:lab=config-remediation (IAM roles are not in the tagging API)' },
    ]);
    expect(config.commandCalls(DescribeRemediationConfigurationsCommand).map((c) => c.args[0].input)).toEqual([{ ConfigRuleNames: [CONFIG_RULE_NAME, 'doplab-config-remediation-public-read'] }]);
    // Tags are read only for roles SSM can assume or a remediation names, never for every role.
    expect(iam.commandCalls(ListRoleTagsCommand).map((c) => c.args[0].input.RoleName)).toEqual(['learner-remediation', 'doplab-versioning-automation', 'other-team-automation']);
  });

  it('finds lab buckets still there, saying whether they hold object versions', async () => {
    s3.on(ListObjectVersionsCommand, { Bucket: BUCKETS[0] }).resolves({ Versions: [{ Key: 'report.csv', VersionId: 'null' }], IsTruncated: true });
    s3.on(ListObjectVersionsCommand, { Bucket: BUCKETS[1] }).resolves({ IsTruncated: false });
    const { ctx } = context();
    expect(await leftovers(ctx)).toEqual([
      { resource: `arn:aws:s3:::${BUCKETS[0]}`, region: REGION, reason: 'lab bucket still exists and holds object versions' },
      { resource: `arn:aws:s3:::${BUCKETS[1]}`, region: REGION, reason: 'lab bucket still exists (empty)' },
    ]);
  });

  it('leaves the bucket names to the tag audit when the stack was already gone', async () => {
    const { ctx, calls } = context(false);
    await expect(leftovers(ctx)).resolves.toEqual([]);
    expect(calls.map((c) => c.action)).not.toContain('s3:ListObjectVersions');
  });

  it('fails with the mapped AWS error when a call is denied, and on a bucket error other than NoSuchBucket', async () => {
    iam.on(ListRolesCommand).rejects(awsError('AccessDenied', 'User is not authorized to perform: iam:ListRoles', 403));
    await expect(leftovers(context().ctx)).rejects.toMatchObject({ message: expect.stringContaining('iam:ListRoles') });
    iam.on(ListRolesCommand).resolves({ Roles: [], IsTruncated: false });
    s3.on(ListObjectVersionsCommand).rejects(awsError('AccessDenied', 'Access Denied', 403));
    await expect(leftovers(context().ctx)).rejects.toMatchObject({ message: expect.stringContaining('s3:ListObjectVersions') });
  });

  it('is what the lab declares for destroy', async () => {
    config.on(DescribeDeliveryChannelsCommand).resolves({ DeliveryChannels: [{ name: DELIVERY_CHANNEL_NAME }] });
    expect((await lab.leftovers?.(context().ctx))?.map((l) => l.resource)).toEqual([DELIVERY_CHANNEL_NAME]);
  });
});
