import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as configSdk from '@aws-sdk/client-config-service';
import {
  ConfigServiceClient,
  DeleteConfigRuleCommand,
  DeleteRemediationConfigurationCommand,
  DescribeConfigRulesCommand,
  DeleteRemediationExceptionsCommand,
  DescribeConfigurationRecordersCommand,
  DescribeConfigurationRecorderStatusCommand,
  DescribeDeliveryChannelsCommand,
  DescribeRemediationConfigurationsCommand,
  DescribeRemediationExceptionsCommand,
  StopConfigurationRecorderCommand,
  type ConfigurationRecorder,
} from '@aws-sdk/client-config-service';
import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import type { CfnTemplate } from '../../lib/cost-gate';
import { DoplabError } from '../../lib/errors';
import type { PreflightContext } from '../../lib/lab';
import {
  CONFIG_RULE_NAME,
  CONTEXT_CREATE_RECORDER,
  Outputs,
  RECORDER_NAME,
  SCOPE_TAG,
} from '../../labs/config-remediation/contract';
import { preflight, recordsType } from '../../labs/config-remediation/preflight';
import { addLabStack } from '../../labs/config-remediation/stack';
import { cfnEvent, lambdaContext, startCfnResponseServer } from '../support/cfn-response-server';
import { MockedSession, awsError } from '../support/mocked-session';

const CREATE = { [CONTEXT_CREATE_RECORDER]: 'true' };

type Log = (...args: unknown[]) => void;
const cleanup = require('../../labs/config-remediation/cleanup.handler.js') as {
  onDelete: (props: Record<string, string>, log: Log, wait?: (ms: number) => Promise<void>) => Promise<void>;
};
const runtime = require('../../lib/cdk/cleanup-runtime.js') as {
  createHandler: (onDelete: typeof cleanup.onDelete) => (event: unknown, context: unknown) => Promise<void>;
};

type Json = CfnTemplate & {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[]; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;
  Outputs?: Record<string, { Value: unknown }>;
};

function synth(context: Record<string, string> = {}) {
  const template = Template.fromStack(addLabStack(new App({ context })));
  return { template, json: template.toJSON() as Json };
}

function idOf(json: Json, type: string): string {
  const ids = Object.keys(json.Resources).filter((id) => json.Resources[id].Type === type);
  expect(ids).toHaveLength(1);
  return ids[0];
}

function bucketId(json: Json, prefix: string): string {
  const id = Object.keys(json.Resources).find((k) => k.startsWith(prefix) && json.Resources[k].Type === 'AWS::S3::Bucket');
  if (!id) throw new Error(`no bucket ${prefix}`);
  return id;
}

describe('config-remediation stack', () => {
  describe.each([
    ['reusing the account recorder (default: no context)', {}, false],
    ['creating its own recorder (context createRecorder=true)', CREATE, true],
  ])('%s', (_, context, ownRecorder) => {
    let built: ReturnType<typeof synth>;
    beforeAll(() => {
      built = synth(context);
    });

    it('has the versioning rule, scoped to the lab tag, and two tagged buckets without versioning', () => {
      const { template, json } = built;
      template.hasResourceProperties('AWS::Config::ConfigRule', {
        ConfigRuleName: CONFIG_RULE_NAME,
        Source: { Owner: 'AWS', SourceIdentifier: 'S3_BUCKET_VERSIONING_ENABLED' },
        Scope: { TagKey: SCOPE_TAG.key, TagValue: SCOPE_TAG.value },
      });
      const tagged = Object.entries(json.Resources).filter(
        ([, r]) => r.Type === 'AWS::S3::Bucket' && JSON.stringify(r.Properties.Tags).includes(SCOPE_TAG.value),
      );
      expect(tagged.map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual(['InvoicesBucket', 'ReportsBucket']);
      for (const [, bucket] of tagged) {
        expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
        expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      }
      expect(template.findResources('AWS::Config::RemediationConfiguration')).toEqual({});
    });

    it(ownRecorder ? 'creates a recorder of S3 buckets only, its delivery channel and bucket' : 'creates no recorder, delivery channel or delivery bucket', () => {
      const { template, json } = built;
      const recorders = template.findResources('AWS::Config::ConfigurationRecorder');
      const channels = template.findResources('AWS::Config::DeliveryChannel');
      const buckets = Object.keys(template.findResources('AWS::S3::Bucket'));
      if (!ownRecorder) {
        expect({ recorders, channels, buckets: buckets.length }).toEqual({ recorders: {}, channels: {}, buckets: 2 });
        return;
      }
      template.hasResourceProperties('AWS::Config::ConfigurationRecorder', {
        Name: RECORDER_NAME,
        RecordingGroup: { AllSupported: false, IncludeGlobalResourceTypes: false, ResourceTypes: ['AWS::S3::Bucket'], RecordingStrategy: { UseOnly: 'INCLUSION_BY_RESOURCE_TYPES' } },
        RecordingMode: { RecordingFrequency: 'CONTINUOUS' },
      });
      const delivery = bucketId(json, 'DeliveryBucket');
      template.hasResourceProperties('AWS::Config::DeliveryChannel', { S3BucketName: { Ref: delivery } });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: delivery },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Sid: 'AWSConfigBucketPermissionsCheck', Principal: { Service: 'config.amazonaws.com' }, Action: ['s3:GetBucketAcl', 's3:ListBucket'] }),
            Match.objectLike({
              Sid: 'AWSConfigBucketDelivery',
              Action: 's3:PutObject',
              Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'AWS:SourceAccount': { Ref: 'AWS::AccountId' } } },
            }),
          ]),
        },
      });
      // Config wants the recorder before the channel and the rule.
      expect(json.Resources[idOf(json, 'AWS::Config::DeliveryChannel')].DependsOn).toEqual(expect.arrayContaining(['Recorder']));
      expect(json.Resources[idOf(json, 'AWS::Config::ConfigRule')].DependsOn).toEqual(['Recorder']);
    });

    it('runs the cleanup first on delete: it depends on the rule, the buckets and, if the lab owns it, the delivery channel', () => {
      const { json } = built;
      const cleanupResource = json.Resources[idOf(json, 'Custom::DopLabCleanup')];
      const rule = idOf(json, 'AWS::Config::ConfigRule');
      const guarded = [rule, bucketId(json, 'InvoicesBucket'), bucketId(json, 'ReportsBucket'), ...(ownRecorder ? ['DeliveryChannel'] : [])];
      expect(cleanupResource.DependsOn).toEqual(expect.arrayContaining(guarded));
      const emptied = [bucketId(json, 'InvoicesBucket'), bucketId(json, 'ReportsBucket'), ...(ownRecorder ? [bucketId(json, 'DeliveryBucket')] : [])];
      expect(cleanupResource.Properties).toEqual({
        ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^CleanupHandlerFunction/), 'Arn'] },
        ServiceTimeout: '960',
        ConfigRuleName: CONFIG_RULE_NAME,
        LearnerRulePrefix: 'doplab-config-remediation-',
        RoleTag: 'doplab:lab=config-remediation',
        BucketNames: { 'Fn::Join': [',', emptied.map((id) => ({ Ref: id }))] },
        ...(ownRecorder ? { RecorderName: RECORDER_NAME } : {}),
      });
      const role = Object.values(json.Resources).find((r) => r.Type === 'AWS::IAM::Role' && JSON.stringify(r.Properties).includes('DeleteRemediationConfiguration'));
      const statements = JSON.stringify(role?.Properties.Policies);
      expect(statements.includes('config:StopConfigurationRecorder')).toBe(ownRecorder);
      expect(statements).toContain('s3:DeleteObjectVersion');
      // Learner roles: deletable only when tagged for the lab.
      expect(role?.Properties.Policies).toEqual([
        expect.objectContaining({
          PolicyDocument: expect.objectContaining({
            Statement: expect.arrayContaining([
              expect.objectContaining({
                Action: expect.arrayContaining(['iam:DeleteRole', 'iam:DetachRolePolicy']),
                Condition: { StringEquals: { 'aws:ResourceTag/doplab:lab': 'config-remediation' } },
              }),
            ]),
          }),
        }),
      ]);
    });

    it('exports the rule, the target buckets and who owns the recorder', () => {
      const { template, json } = built;
      template.hasOutput(Outputs.configRuleName, { Value: { Ref: idOf(json, 'AWS::Config::ConfigRule') } });
      template.hasOutput(Outputs.targetBucketNames, { Value: { 'Fn::Join': [',', [{ Ref: bucketId(json, 'InvoicesBucket') }, { Ref: bucketId(json, 'ReportsBucket') }]] } });
      template.hasOutput(Outputs.recorderOwner, { Value: ownRecorder ? 'lab' : 'account' });
    });

    it('has one Lambda function: the cleanup, inline', () => {
      const functions = Object.values(built.json.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
      expect(functions).toHaveLength(1);
      expect(functions[0].Properties.Code).toEqual({ ZipFile: expect.stringContaining('DeleteRemediationConfigurationCommand') });
    });
  });

  it('stops with a clear message on a context value that is neither true nor false', () => {
    expect(() => addLabStack(new App({ context: { [CONTEXT_CREATE_RECORDER]: 'yes' } }))).toThrow(
      `Context ${CONTEXT_CREATE_RECORDER} must be true or false; got "yes".`,
    );
  });
});

describe('preflight', () => {
  const REGION = 'eu-west-1';
  const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
  let cfg: AwsClientStub<ConfigServiceClient>;

  beforeEach(() => {
    cfg = mockClient(ConfigServiceClient);
  });
  afterEach(() => cfg.restore());

  const ACCOUNT_RECORDER: ConfigurationRecorder = {
    arn: 'arn:aws:config:eu-west-1:111122223333:configuration-recorder/default/0fa1b2c3d4e5f6a7',
    name: 'default',
    roleARN: 'arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig',
    recordingGroup: { allSupported: true, includeGlobalResourceTypes: true, resourceTypes: [], exclusionByResourceTypes: { resourceTypes: [] }, recordingStrategy: { useOnly: 'ALL_SUPPORTED_RESOURCE_TYPES' } },
    recordingMode: { recordingFrequency: 'CONTINUOUS', recordingModeOverrides: [] },
    recordingScope: 'PAID',
  };
  const SERVICE_LINKED: ConfigurationRecorder = {
    arn: 'arn:aws:config:eu-west-1:111122223333:configuration-recorder/AWSConfigurationRecorderForObservabilityAdmin/6b7c8d9e0f1a2b3c',
    name: 'AWSConfigurationRecorderForObservabilityAdmin',
    recordingScope: 'INTERNAL',
    servicePrincipal: 'observabilityadmin.amazonaws.com',
  };
  const CHANNEL = { name: 'default', s3BucketName: 'config-bucket-111122223333' };

  function answer(recorders: ConfigurationRecorder[], recording: Record<string, boolean>, channels: { name: string; s3BucketName: string }[]) {
    cfg.on(DescribeConfigurationRecordersCommand).resolves({ ConfigurationRecorders: recorders });
    cfg.on(DescribeConfigurationRecorderStatusCommand).resolves({
      ConfigurationRecordersStatus: Object.entries(recording).map(([name, on]) => ({ name, recording: on, lastStatus: on ? ('Success' as const) : undefined })),
    });
    cfg.on(DescribeDeliveryChannelsCommand).resolves({ DeliveryChannels: channels });
  }

  function context(): PreflightContext & { lines: string[] } {
    const session = new MockedSession({ region: REGION, credentials: CREDENTIALS }, [configSdk]);
    const lines: string[] = [];
    return { account: '111122223333', region: REGION, client: (ctor, region) => session.client(ctor, region ?? REGION), log: (l) => lines.push(l), lines };
  }

  it('creates the lab recorder when the region has none (a service-linked recorder does not count)', async () => {
    answer([SERVICE_LINKED], { [SERVICE_LINKED.name!]: true }, []);
    const result = await preflight(context());
    expect(result).toEqual({
      context: { [CONTEXT_CREATE_RECORDER]: 'true' },
      notes: [`No AWS Config recorder in ${REGION}: the lab creates recorder ${RECORDER_NAME} (S3 buckets only), a delivery channel and its bucket; destroy removes them.`],
    });
    expect(cfg.calls().map((c) => c.args[0].constructor.name).sort()).toEqual([
      'DescribeConfigurationRecorderStatusCommand',
      'DescribeConfigurationRecordersCommand',
      'DescribeDeliveryChannelsCommand',
    ]);
  });

  it('reuses a recorder that already exists and records S3 buckets, and says it will not touch it', async () => {
    answer([ACCOUNT_RECORDER, SERVICE_LINKED], { default: true }, [CHANNEL]);
    expect(await preflight(context())).toEqual({
      context: { [CONTEXT_CREATE_RECORDER]: 'false' },
      notes: [`Reusing the account's AWS Config recorder "default" in ${REGION}; the lab neither changes nor deletes it.`],
    });
  });

  it("keeps creating the lab's own recorder on a redeploy, so the update does not delete it", async () => {
    answer([{ ...ACCOUNT_RECORDER, name: RECORDER_NAME }], { [RECORDER_NAME]: true }, [{ name: RECORDER_NAME, s3BucketName: 'x' }]);
    expect((await preflight(context())).context).toEqual({ [CONTEXT_CREATE_RECORDER]: 'true' });
  });

  it('warns when the existing recorder records S3 buckets daily', async () => {
    answer([{ ...ACCOUNT_RECORDER, recordingMode: { recordingFrequency: 'CONTINUOUS', recordingModeOverrides: [{ resourceTypes: ['AWS::S3::Bucket'], recordingFrequency: 'DAILY' }] } }], { default: true }, [CHANNEL]);
    expect((await preflight(context())).notes).toEqual([expect.stringMatching(/^Reusing/), expect.stringMatching(/records AWS::S3::Bucket daily/)]);
  });

  it.each<[string, ConfigurationRecorder, Record<string, boolean>, { name: string; s3BucketName: string }[], RegExp, RegExp]>([
    [
      'an existing recorder does not record S3 buckets',
      { ...ACCOUNT_RECORDER, recordingGroup: { allSupported: false, resourceTypes: ['AWS::EC2::Instance'], recordingStrategy: { useOnly: 'INCLUSION_BY_RESOURCE_TYPES' } } },
      { default: true },
      [CHANNEL],
      /recorder "default" in eu-west-1 does not record AWS::S3::Bucket/,
      /Add AWS::S3::Bucket to the recorder's recording group/,
    ],
    ['an existing recorder is stopped', ACCOUNT_RECORDER, { default: false }, [CHANNEL], /recorder "default" in eu-west-1 is stopped,/, /start-configuration-recorder --configuration-recorder-name default/],
    ['a stopped recorder has no delivery channel', ACCOUNT_RECORDER, { default: false }, [], /is stopped and has no delivery channel/, /delete the unused recorder/],
  ])('stops the deploy with what to do when %s', async (_, recorder, recording, channels, message, hint) => {
    answer([recorder], recording, channels);
    const error = await preflight(context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DoplabError);
    expect(error).toMatchObject({ code: 'DEPLOY_FAILED', source: 'environment', message: expect.stringMatching(message), hint: expect.stringMatching(hint) });
  });

  it('stops when a delivery channel exists without a recorder (Config allows only one channel)', async () => {
    answer([], {}, [CHANNEL]);
    await expect(preflight(context())).rejects.toMatchObject({ code: 'DEPLOY_FAILED', message: expect.stringMatching(/delivery channel "default" but no configuration recorder/) });
  });

  it('maps AccessDenied to an error naming the action', async () => {
    answer([], {}, []);
    cfg.on(DescribeConfigurationRecordersCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: config:DescribeConfigurationRecorders'));
    await expect(preflight(context())).rejects.toMatchObject({ code: 'ACCESS_DENIED', action: 'config:DescribeConfigurationRecorders' });
  });

  it.each<[string, ConfigurationRecorder['recordingGroup'], boolean]>([
    ['no recording group', undefined, true],
    ['all supported (legacy, no strategy)', { allSupported: true }, true],
    ['exclusion of S3 buckets', { allSupported: false, exclusionByResourceTypes: { resourceTypes: ['AWS::S3::Bucket'] }, recordingStrategy: { useOnly: 'EXCLUSION_BY_RESOURCE_TYPES' } }, false],
    ['exclusion of other types', { allSupported: false, exclusionByResourceTypes: { resourceTypes: ['AWS::EC2::Volume'] }, recordingStrategy: { useOnly: 'EXCLUSION_BY_RESOURCE_TYPES' } }, true],
    ['inclusion of S3 buckets', { allSupported: false, resourceTypes: ['AWS::S3::Bucket'], recordingStrategy: { useOnly: 'INCLUSION_BY_RESOURCE_TYPES' } }, true],
  ])('knows whether a recorder with %s records S3 buckets', (_, group, expected) => {
    expect(recordsType(group, 'AWS::S3::Bucket')).toBe(expected);
  });
});

describe('cleanup.handler.js', () => {
  const RULE = CONFIG_RULE_NAME;
  const B1 = 'doplab-config-remediation-invoicesbucket57fcb164-k2mq8x1vz0ab';
  const B2 = 'doplab-config-remediation-reportsbucket4e7c5994-7hd3nw5rj1te';
  let cfg: AwsClientStub<ConfigServiceClient>;
  let s3: AwsClientStub<S3Client>;
  let log: jest.Mock;
  const order: string[] = [];

  beforeEach(() => {
    cfg = mockClient(ConfigServiceClient);
    s3 = mockClient(S3Client);
    log = jest.fn();
    order.length = 0;
    const track = (name: string, output: object = {}) => (input: object) => {
      order.push(`${name} ${JSON.stringify(input)}`);
      return output;
    };
    cfg.on(DescribeRemediationExceptionsCommand).callsFake(track('DescribeRemediationExceptions', { RemediationExceptions: [] }));
    cfg.on(DescribeRemediationConfigurationsCommand).callsFake(
      track('DescribeRemediationConfigurations', { RemediationConfigurations: [{ ConfigRuleName: RULE, TargetType: 'SSM_DOCUMENT', TargetId: 'AWS-ConfigureS3BucketVersioning', ResourceType: 'AWS::S3::Bucket' }] }),
    );
    cfg.on(DeleteRemediationConfigurationCommand).callsFake(track('DeleteRemediationConfiguration'));
    cfg.on(StopConfigurationRecorderCommand).callsFake(track('StopConfigurationRecorder'));
    cfg.on(DescribeConfigRulesCommand).callsFake(track('DescribeConfigRules', { ConfigRules: [] }));
    s3.on(ListObjectVersionsCommand).callsFake(track('ListObjectVersions', { Versions: [], DeleteMarkers: [], IsTruncated: false }));
    s3.on(DeleteObjectsCommand).callsFake(track('DeleteObjects', { Deleted: [] }));
  });
  afterEach(() => {
    cfg.restore();
    s3.restore();
  });

  it('removes the remediation before anything else, then stops the lab recorder, then empties the buckets', async () => {
    cfg.on(DescribeRemediationExceptionsCommand).callsFake((input: object) => {
      order.push(`DescribeRemediationExceptions ${JSON.stringify(input)}`);
      return { RemediationExceptions: [{ ConfigRuleName: RULE, ResourceType: 'AWS::S3::Bucket', ResourceId: B2, Message: 'kept on purpose' }] };
    });
    cfg.on(DeleteRemediationExceptionsCommand).callsFake((input: object) => {
      order.push(`DeleteRemediationExceptions ${JSON.stringify(input)}`);
      return { FailedBatches: [] };
    });
    await cleanup.onDelete({ ConfigRuleName: RULE, BucketNames: `${B1},${B2}`, RecorderName: RECORDER_NAME }, log);
    expect(order).toEqual([
      `DescribeRemediationExceptions {"ConfigRuleName":"${RULE}","Limit":100}`,
      `DeleteRemediationExceptions {"ConfigRuleName":"${RULE}","ResourceKeys":[{"ResourceType":"AWS::S3::Bucket","ResourceId":"${B2}"}]}`,
      `DescribeRemediationConfigurations {"ConfigRuleNames":["${RULE}"]}`,
      `DeleteRemediationConfiguration {"ConfigRuleName":"${RULE}","ResourceType":"AWS::S3::Bucket"}`,
      `StopConfigurationRecorder {"ConfigurationRecorderName":"${RECORDER_NAME}"}`,
      `ListObjectVersions {"Bucket":"${B1}","MaxKeys":1000}`,
      `ListObjectVersions {"Bucket":"${B2}","MaxKeys":1000}`,
    ]);
  });

  it("never stops a recorder the lab does not own (no RecorderName)", async () => {
    await cleanup.onDelete({ ConfigRuleName: RULE, BucketNames: B1 }, log);
    expect(cfg.commandCalls(StopConfigurationRecorderCommand)).toHaveLength(0);
    expect(cfg.commandCalls(DeleteRemediationConfigurationCommand)).toHaveLength(1);
  });

  describe("the learner's automation role", () => {
    let iam: AwsClientStub<IAMClient>;
    const ROLE_TAG = 'doplab:lab=config-remediation';
    const roleArn = (name: string) => `arn:aws:iam::111122223333:role/service/${name}`;
    beforeEach(() => {
      iam = mockClient(IAMClient);
      const remediation = (role: string) => ({
        ConfigRuleName: RULE,
        TargetType: 'SSM_DOCUMENT' as const,
        TargetId: 'AWS-ConfigureS3BucketVersioning',
        ResourceType: 'AWS::S3::Bucket',
        Parameters: { AutomationAssumeRole: { StaticValue: { Values: [roleArn(role)] } }, BucketName: { ResourceValue: { Value: 'RESOURCE_ID' as const } } },
      });
      cfg.on(DescribeRemediationConfigurationsCommand).resolves({ RemediationConfigurations: [remediation('automation')] });
      iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['ConfigureBucketVersioning'] });
      iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyName: 'AmazonSSMAutomationRole', PolicyArn: 'arn:aws:iam::aws:policy/service-role/AmazonSSMAutomationRole' }] });
      iam.on(DeleteRolePolicyCommand).resolves({});
      iam.on(DetachRolePolicyCommand).resolves({});
      iam.on(DeleteRoleCommand).resolves({});
    });
    afterEach(() => iam.restore());

    const role = (tags: { Key: string; Value: string }[]) => ({
      Role: { Path: '/service/', RoleName: 'automation', RoleId: 'AROAEXAMPLE', Arn: roleArn('automation'), CreateDate: new Date('2026-11-23T10:50:01Z'), Tags: tags },
    });

    it('deletes a role tagged for the lab after the remediation that uses it: policies first, then the role', async () => {
      iam.on(GetRoleCommand).resolves(role([{ Key: 'doplab:lab', Value: 'config-remediation' }]));
      await cleanup.onDelete({ ConfigRuleName: RULE, BucketNames: '', RoleTag: ROLE_TAG }, log);
      expect(iam.calls().map((c) => [c.args[0].constructor.name, c.args[0].input])).toEqual([
        ['GetRoleCommand', { RoleName: 'automation' }],
        ['ListRolePoliciesCommand', { RoleName: 'automation' }],
        ['DeleteRolePolicyCommand', { RoleName: 'automation', PolicyName: 'ConfigureBucketVersioning' }],
        ['ListAttachedRolePoliciesCommand', { RoleName: 'automation' }],
        ['DetachRolePolicyCommand', { RoleName: 'automation', PolicyArn: 'arn:aws:iam::aws:policy/service-role/AmazonSSMAutomationRole' }],
        ['DeleteRoleCommand', { RoleName: 'automation' }],
      ]);
      expect(log).toHaveBeenCalledWith('deleted role automation');
    });

    it.each([
      ['is not tagged for the lab', () => role([{ Key: 'team', Value: 'platform' }]), /not tagged doplab:lab=config-remediation/],
      ['cannot be read (IAM denies GetRole on roles without the tag)', () => awsError('AccessDenied', 'not authorized to perform: iam:GetRole', 403), /AccessDenied/],
    ])('leaves a role alone that %s', async (_, answer, why) => {
      const response = answer();
      if (response instanceof Error) iam.on(GetRoleCommand).rejects(response);
      else iam.on(GetRoleCommand).resolves(response);
      await cleanup.onDelete({ ConfigRuleName: RULE, BucketNames: '', RoleTag: ROLE_TAG }, log);
      expect(iam.commandCalls(DeleteRoleCommand)).toHaveLength(0);
      expect(log).toHaveBeenCalledWith(expect.stringMatching(why));
    });

    it('keeps every role when the remediation could not be deleted', async () => {
      cfg.on(DeleteRemediationConfigurationCommand).rejects(awsError('AccessDeniedException', 'not authorized'));
      await expect(cleanup.onDelete({ ConfigRuleName: RULE, BucketNames: '', RoleTag: ROLE_TAG }, log)).rejects.toThrow(/could not clean up remediation of/);
      expect(iam.calls()).toHaveLength(0);
    });
  });

  it("removes the remediation of the learner's own doplab-config-remediation-* rules, then the rules, and no other rule", async () => {
    const rule = (name: string) => ({ ConfigRuleName: name, Source: { Owner: 'AWS' as const, SourceIdentifier: 'REQUIRED_TAGS' } });
    cfg.on(DescribeConfigRulesCommand).resolves({ ConfigRules: [rule(RULE), rule('securityhub-s3-bucket-ssl-requests-only-a1b2c3')], NextToken: 'p2' });
    cfg.on(DescribeConfigRulesCommand, { NextToken: 'p2' }).resolves({ ConfigRules: [rule('doplab-config-remediation-required-tags')] });
    cfg.on(DeleteConfigRuleCommand).callsFake((input: object) => {
      order.push(`DeleteConfigRule ${JSON.stringify(input)}`);
      return {};
    });
    await cleanup.onDelete({ ConfigRuleName: RULE, LearnerRulePrefix: 'doplab-config-remediation-', BucketNames: '' }, log);
    const ruleOf = (line: string) => {
      const [command, input] = [line.slice(0, line.indexOf(' ')), JSON.parse(line.slice(line.indexOf(' ') + 1)) as { ConfigRuleName?: string; ConfigRuleNames?: string[] }];
      return `${command} ${input.ConfigRuleName ?? input.ConfigRuleNames?.[0]}`;
    };
    expect(order.filter((line) => !line.startsWith('DescribeConfigRules')).map(ruleOf)).toEqual([
      `DescribeRemediationExceptions ${RULE}`,
      `DescribeRemediationConfigurations ${RULE}`,
      `DeleteRemediationConfiguration ${RULE}`,
      'DescribeRemediationExceptions doplab-config-remediation-required-tags',
      'DescribeRemediationConfigurations doplab-config-remediation-required-tags',
      'DeleteRemediationConfiguration doplab-config-remediation-required-tags',
      'DeleteConfigRule doplab-config-remediation-required-tags',
    ]);
  });

  it('has nothing to remove when the rule was deleted by hand, and still empties the buckets', async () => {
    const gone = awsError('NoSuchConfigRuleException', `The ConfigRule '${RULE}' provided in the request is invalid. Please check the configRule name.`);
    cfg.on(DescribeRemediationExceptionsCommand).rejects(gone);
    cfg.on(DescribeRemediationConfigurationsCommand).rejects(gone);
    await cleanup.onDelete({ ConfigRuleName: RULE, BucketNames: B1 }, log);
    expect(cfg.commandCalls(DeleteRemediationConfigurationCommand)).toHaveLength(0);
    expect(s3.commandCalls(ListObjectVersionsCommand)).toHaveLength(1);
    expect(log).toHaveBeenCalledWith(`rule ${RULE} does not exist`);
  });

  it('reports remediation exceptions that Config refused to delete', async () => {
    cfg.on(DescribeRemediationExceptionsCommand).resolves({ RemediationExceptions: [{ ConfigRuleName: RULE, ResourceType: 'AWS::S3::Bucket', ResourceId: B1 }] });
    cfg.on(DeleteRemediationExceptionsCommand).resolves({ FailedBatches: [{ FailureMessage: 'Remediation exception could not be deleted', FailedItems: [] }] });
    await expect(cleanup.onDelete({ ConfigRuleName: RULE, BucketNames: '' }, log)).rejects.toThrow(
      `could not clean up remediation exceptions of ${RULE}: Error: Remediation exception could not be deleted`,
    );
    expect(cfg.commandCalls(DeleteRemediationConfigurationCommand)).toHaveLength(1);
  });

  it('waits for a remediation in progress before deleting it', async () => {
    cfg
      .on(DeleteRemediationConfigurationCommand)
      .rejectsOnce(awsError('RemediationInProgressException', 'Remediation action is in progress.'))
      .resolves({});
    const waits: number[] = [];
    await cleanup.onDelete({ ConfigRuleName: RULE, BucketNames: '' }, log, async (ms) => {
      waits.push(ms);
    });
    expect(cfg.commandCalls(DeleteRemediationConfigurationCommand)).toHaveLength(2);
    expect(waits).toEqual([15000]);
  });

  it('deletes every version and delete marker, page by page', async () => {
    s3.on(ListObjectVersionsCommand, { Bucket: B1, KeyMarker: undefined }).resolves({
      Versions: [
        { Key: 'a.csv', VersionId: 'v2' },
        { Key: 'a.csv', VersionId: 'v1' },
      ],
      DeleteMarkers: [{ Key: 'b.csv', VersionId: 'm1' }],
      IsTruncated: true,
      NextKeyMarker: 'b.csv',
      NextVersionIdMarker: 'm1',
    });
    s3.on(ListObjectVersionsCommand, { Bucket: B1, KeyMarker: 'b.csv' }).resolves({ Versions: [{ Key: 'c.csv', VersionId: 'null' }], IsTruncated: false });
    s3.on(DeleteObjectsCommand).resolves({ Deleted: [] });
    await cleanup.onDelete({ ConfigRuleName: RULE, BucketNames: B1 }, log);
    expect(s3.commandCalls(ListObjectVersionsCommand)[1].args[0].input).toEqual({ Bucket: B1, KeyMarker: 'b.csv', VersionIdMarker: 'm1', MaxKeys: 1000 });
    expect(s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: B1, Delete: { Objects: [{ Key: 'a.csv', VersionId: 'v2' }, { Key: 'a.csv', VersionId: 'v1' }, { Key: 'b.csv', VersionId: 'm1' }], Quiet: true } },
      { Bucket: B1, Delete: { Objects: [{ Key: 'c.csv', VersionId: 'null' }], Quiet: true } },
    ]);
    expect(log).toHaveBeenCalledWith(`emptied ${B1}: 4 object versions`);
  });

  it('works as deployed: the inlined code from the template cleans up in order and answers SUCCESS', async () => {
    const { json } = synth(CREATE);
    const fn = Object.values(json.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
    const cleanupProps = json.Resources[idOf(json, 'Custom::DopLabCleanup')].Properties;
    // Inside the repository, so that the inlined require() calls find the SDK (and its mocks) in node_modules.
    const dir = mkdtempSync(join(__dirname, '.inline-'));
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const server = await startCfnResponseServer();
    try {
      writeFileSync(join(dir, 'index.js'), (fn?.Properties.Code as { ZipFile: string }).ZipFile);
      const index = require(join(dir, 'index.js')) as { handler: (event: unknown, context: unknown) => Promise<void> };
      const props = {
        ConfigRuleName: cleanupProps.ConfigRuleName as string,
        LearnerRulePrefix: cleanupProps.LearnerRulePrefix as string,
        RoleTag: cleanupProps.RoleTag as string,
        RecorderName: cleanupProps.RecorderName as string,
        BucketNames: `${B1},${B2}`,
      };
      await index.handler(cfnEvent('Delete', server.url, props), lambdaContext(300_000));
      expect(order.map((line) => line.split(' ')[0])).toEqual([
        'DescribeConfigRules',
        'DescribeRemediationExceptions',
        'DescribeRemediationConfigurations',
        'DeleteRemediationConfiguration',
        'StopConfigurationRecorder',
        'ListObjectVersions',
        'ListObjectVersions',
      ]);
      expect(server.responses[0].body).toMatchObject({ Status: 'SUCCESS', Reason: 'cleanup done' });
    } finally {
      jest.restoreAllMocks();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps going after a failure and reports it, without failing the stack delete', async () => {
    cfg.on(DeleteRemediationConfigurationCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: config:DeleteRemediationConfiguration'));
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const server = await startCfnResponseServer();
    try {
      const props = { ConfigRuleName: RULE, BucketNames: B1 };
      await runtime.createHandler(cleanup.onDelete)(cfnEvent('Delete', server.url, props), lambdaContext(300_000));
      expect(s3.commandCalls(ListObjectVersionsCommand)).toHaveLength(1);
      expect(server.responses[0].body).toMatchObject({
        Status: 'SUCCESS',
        Reason: `cleanup failed: could not clean up remediation of ${RULE}: AccessDeniedException: not authorized to perform: config:DeleteRemediationConfiguration`,
      });
    } finally {
      jest.restoreAllMocks();
      await server.close();
    }
  });
});
