import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';
import {
  CloudFormationClient,
  DeleteStackInstancesCommand,
  DeleteStackSetCommand,
  DescribeStackSetCommand,
  DescribeStackSetOperationCommand,
  ListStackInstancesCommand,
  ListStackSetOperationsCommand,
  ListStackSetsCommand,
  type StackSet,
} from '@aws-sdk/client-cloudformation';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import * as yaml from 'yaml';
import { LAB_TAG_KEY } from '../../lib/contract';
import { costGate, type CfnTemplate } from '../../lib/cost-gate';
import { DoplabError } from '../../lib/errors';
import {
  BASELINE_ALARM_NAME,
  BASELINE_FILE,
  BASELINE_LOG_GROUP_NAME,
  BASELINE_METRIC_NAME,
  BASELINE_METRIC_NAMESPACE,
  DEFAULT_RETENTION_DAYS,
  LAB_ID,
  Outputs,
  RETENTION_PARAMETER,
  SECOND_REGION_CONTEXT,
  UPDATED_RETENTION_DAYS,
  defaultSecondRegion,
} from '../../labs/stacksets-multi-region/contract';
import { lab } from '../../labs/stacksets-multi-region/lab';
import { addLabStack, CLEANUP_POLL_SECONDS, CLEANUP_TIMEOUT } from '../../labs/stacksets-multi-region/stack';
import { awsError } from '../support/mocked-session';
import { cfnEvent, lambdaContext, startCfnResponseServer } from '../support/cfn-response-server';
import { validateBuiltin } from '../support/lab-synth';

/** The template body limit for a stack deployed without a bootstrap bucket (characters of the YAML the CDK CLI sends). */
const TEMPLATE_BODY_LIMIT = 51_200;
const BASELINE_PATH = join(__dirname, '..', '..', 'labs', LAB_ID, BASELINE_FILE);

type Log = (...args: unknown[]) => void;

const cleanup = require('../../labs/stacksets-multi-region/cleanup.handler.js') as {
  onDelete: (props: Record<string, string>, log: Log) => Promise<void>;
};
const runtime = require('../../lib/cdk/cleanup-runtime.js') as {
  createHandler: (onDelete: typeof cleanup.onDelete) => (event: unknown, context: unknown) => Promise<void>;
};

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[]; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

describe('stacksets-multi-region stack', () => {
  let template: Template;
  let json: CfnTemplate & { Resources: Resources; Outputs?: Record<string, unknown>; Conditions?: Record<string, unknown> };

  beforeAll(() => {
    template = Template.fromStack(addLabStack(new App()));
    json = template.toJSON() as typeof json;
  });

  const roleId = (prefix: string) => {
    const ids = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => id.startsWith(prefix));
    expect(ids).toHaveLength(1);
    return ids[0];
  };
  const policyOf = (id: string) =>
    (json.Resources[id].Properties.Policies as { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown; Condition?: unknown }[] } }[])[0]
      .PolicyDocument.Statement;
  const actionsOf = (id: string) => policyOf(id).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

  describe('the scenario the README promises', () => {
    it('has an administration role that only CloudFormation may assume, and that may only assume the execution role', () => {
      const admin = roleId('AdministrationRole');
      expect(json.Resources[admin].Properties).toMatchObject({
        RoleName: { 'Fn::Join': ['', ['DopLab-StackSetAdministration-', { Ref: 'AWS::Region' }]] },
        AssumeRolePolicyDocument: {
          Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'cloudformation.amazonaws.com' } }],
        },
      });
      expect(policyOf(admin)).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Resource: {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/DopLab-StackSetExecution-', { Ref: 'AWS::Region' }]],
          },
        },
      ]);
      expect(template.findResources('AWS::IAM::Policy')).toEqual({});
      expect(template.findResources('AWS::IAM::ManagedPolicy')).toEqual({});
    });

    it('has an execution role that trusts only the administration role and holds no AdministratorAccess', () => {
      const execution = roleId('ExecutionRole');
      expect(json.Resources[execution].Properties).toMatchObject({
        RoleName: { 'Fn::Join': ['', ['DopLab-StackSetExecution-', { Ref: 'AWS::Region' }]] },
        AssumeRolePolicyDocument: {
          Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: { 'Fn::GetAtt': [roleId('AdministrationRole'), 'Arn'] } } }],
        },
      });
      expect(json.Resources[execution].Properties.ManagedPolicyArns).toBeUndefined();
      expect(actionsOf(execution)).not.toContain('*');
    });

    it("gives the execution role exactly AWS's documented StackSets minimum, and scopes the baseline resources", () => {
      const statements = policyOf(roleId('ExecutionRole'));
      const resourceText = (s: { Resource: unknown }) => JSON.stringify(s.Resource);
      // "Grant self-managed permissions": cloudformation:*, s3:* and sns:* (issue 10, defect 4).
      expect(statements).toContainEqual(expect.objectContaining({ Action: ['cloudformation:*', 's3:*', 'sns:*'], Resource: '*' }));
      const logs = statements.find((s) => s.Action === 'logs:*')!;
      expect(resourceText(logs)).toContain(`:log-group:${BASELINE_LOG_GROUP_NAME}*`);
      const alarms = statements.find((s) => Array.isArray(s.Action) && s.Action.includes('cloudwatch:PutMetricAlarm'))!;
      expect(resourceText(alarms)).toContain(`:alarm:${BASELINE_ALARM_NAME}`);
      // Only reads, the StackSets service plumbing, and the alarm's own actions run on every resource.
      const unscoped = statements.filter((s) => s.Resource === '*').flatMap((s) => s.Action);
      expect(unscoped.sort()).toEqual(['cloudformation:*', 'cloudwatch:DescribeAlarms', 'logs:DescribeLogGroups', 'logs:DescribeMetricFilters', 's3:*', 'sns:*']);
    });

    it('gives the execution role every action the baseline resources need', () => {
      // What CloudFormation does with the execution role: each baseline resource type's API calls.
      const baseline = yaml.parse(readFileSync(BASELINE_PATH, 'utf8')) as { Resources: Record<string, { Type: string }> };
      const needs: Record<string, string[]> = {
        'AWS::Logs::LogGroup': ['logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:DeleteLogGroup', 'logs:TagResource', 'logs:DescribeLogGroups'],
        'AWS::Logs::MetricFilter': ['logs:PutMetricFilter', 'logs:DeleteMetricFilter', 'logs:DescribeMetricFilters'],
        'AWS::CloudWatch::Alarm': ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms', 'cloudwatch:TagResource'],
      };
      const granted = actionsOf(roleId('ExecutionRole'));
      const allows = (action: string) => granted.includes(action) || granted.includes(`${action.split(':')[0]}:*`);
      for (const resource of Object.values(baseline.Resources)) {
        expect({ type: resource.Type, missing: (needs[resource.Type] ?? ['unknown type']).filter((a) => !allows(a)) }).toEqual({ type: resource.Type, missing: [] });
      }
    });

    it('cleans up StackSets before CloudFormation deletes the roles they use, and waits long enough', () => {
      const [cleanupId] = Object.keys(template.findResources('Custom::DopLabCleanup'));
      const resource = json.Resources[cleanupId];
      expect(resource.Properties).toMatchObject({
        AdministrationRoleArn: { 'Fn::GetAtt': [roleId('AdministrationRole'), 'Arn'] },
        ExecutionRoleName: { 'Fn::Join': ['', ['DopLab-StackSetExecution-', { Ref: 'AWS::Region' }]] },
        PollSeconds: String(CLEANUP_POLL_SECONDS),
        ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^CleanupHandlerFunction/), 'Arn'] },
        ServiceTimeout: String(Math.min(3600, CLEANUP_TIMEOUT.toSeconds() * 3 + 60)),
      });
      expect(resource.DependsOn).toEqual(expect.arrayContaining([roleId('AdministrationRole'), roleId('ExecutionRole')]));
      const [fnId] = Object.keys(template.findResources('AWS::Lambda::Function'));
      expect(json.Resources[fnId].Properties.Timeout).toBe(CLEANUP_TIMEOUT.toSeconds());
      expect(CLEANUP_TIMEOUT.toSeconds()).toBeLessThanOrEqual(900);
      expect(actionsOf(roleId('CleanupHandlerRole'))).toEqual(
        expect.arrayContaining(['cloudformation:ListStackSets', 'cloudformation:DeleteStackInstances', 'cloudformation:DescribeStackSetOperation', 'cloudformation:DeleteStackSet']),
      );
    });

    it('states both regions in its outputs, the second chosen by the deploy region', () => {
      template.hasOutput(Outputs.deployRegion, { Value: { Ref: 'AWS::Region' } });
      template.hasOutput(Outputs.secondRegion, { Value: { 'Fn::If': ['DeployedInUsEast1', 'us-west-2', 'us-east-1'] } });
      expect(json.Conditions).toEqual({ DeployedInUsEast1: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] } });
      // The lab's declared regions follow the same rule.
      expect(defaultSecondRegion('us-east-1')).toBe('us-west-2');
      expect(lab.regions?.('us-east-1')).toEqual(['us-east-1', 'us-west-2']);
      expect(lab.regions?.('eu-west-1')).toEqual(['eu-west-1', 'us-east-1']);
    });

    it('takes the second region from CDK context, with a rule that it differs from the deploy region', () => {
      const custom = new App({ context: { [SECOND_REGION_CONTEXT]: 'eu-central-1' } });
      const t = Template.fromStack(addLabStack(custom)).toJSON() as { Outputs: Record<string, { Value: unknown }>; Rules: Record<string, unknown>; Conditions?: unknown };
      expect(t.Outputs[Outputs.secondRegion].Value).toBe('eu-central-1');
      expect(t.Conditions).toBeUndefined();
      expect(t.Rules).toEqual({
        SecondRegionDiffers: {
          Assertions: [
            {
              Assert: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-central-1'] }] },
              AssertDescription: `${SECOND_REGION_CONTEXT} (eu-central-1) must differ from the region the lab is deployed to.`,
            },
          ],
        },
      });
    });

    it.each([['Frankfurt'], ['eu-central'], ['']])('refuses the second region %p with a usage error', (value) => {
      const bad = new App({ context: { [SECOND_REGION_CONTEXT]: value } });
      let error: unknown;
      try {
        addLabStack(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DoplabError);
      expect(error).toMatchObject({ code: 'BAD_OPTION', source: 'usage', message: expect.stringContaining(SECOND_REGION_CONTEXT) });
    });

    it('exports the administration role ARN and the execution role name', () => {
      template.hasOutput(Outputs.administrationRoleArn, { Value: { 'Fn::GetAtt': [roleId('AdministrationRole'), 'Arn'] } });
      template.hasOutput(Outputs.executionRoleName, { Value: { Ref: roleId('ExecutionRole') } });
    });
  });

  describe('the baseline template', () => {
    const baseline = yaml.parse(readFileSync(BASELINE_PATH, 'utf8')) as CfnTemplate & {
      Parameters: Record<string, { Type: string; Default: number; AllowedValues: number[] }>;
      Resources: Resources;
    };

    it('has the retention parameter, its default and the value the task rolls out', () => {
      expect(Object.keys(baseline.Parameters)).toEqual([RETENTION_PARAMETER]);
      expect(baseline.Parameters[RETENTION_PARAMETER]).toMatchObject({ Type: 'Number', Default: DEFAULT_RETENTION_DAYS });
      expect(baseline.Parameters[RETENTION_PARAMETER].AllowedValues).toEqual(expect.arrayContaining([DEFAULT_RETENTION_DAYS, UPDATED_RETENTION_DAYS]));
    });

    it('creates the log group, its ERROR filter and the alarm the contract names, tagged for the lab', () => {
      const byType = (type: string) => Object.values(baseline.Resources).filter((r) => r.Type === type);
      expect(byType('AWS::Logs::LogGroup')).toEqual([
        expect.objectContaining({
          DeletionPolicy: 'Delete',
          Properties: { LogGroupName: BASELINE_LOG_GROUP_NAME, RetentionInDays: { Ref: RETENTION_PARAMETER }, Tags: [{ Key: LAB_TAG_KEY, Value: LAB_ID }] },
        }),
      ]);
      expect(byType('AWS::Logs::MetricFilter')).toEqual([
        expect.objectContaining({
          Properties: expect.objectContaining({
            FilterPattern: '{ $.level = "ERROR" }',
            MetricTransformations: [{ MetricNamespace: BASELINE_METRIC_NAMESPACE, MetricName: BASELINE_METRIC_NAME, MetricValue: '1' }],
          }),
        }),
      ]);
      expect(byType('AWS::CloudWatch::Alarm')).toEqual([
        expect.objectContaining({
          Properties: expect.objectContaining({
            AlarmName: BASELINE_ALARM_NAME,
            Namespace: BASELINE_METRIC_NAMESPACE,
            MetricName: BASELINE_METRIC_NAME,
            Tags: [{ Key: LAB_TAG_KEY, Value: LAB_ID }],
          }),
        }),
      ]);
    });

    it('passes the cost gate and fits a TemplateBody', () => {
      expect(costGate(baseline)).toEqual([]);
      expect(readFileSync(BASELINE_PATH, 'utf8').length).toBeLessThan(TEMPLATE_BODY_LIMIT);
    });
  });

  it('has one Lambda function: the cleanup, inline', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(1);
    expect(functions[0].Properties.Code).toEqual({ ZipFile: expect.stringContaining('DeleteStackInstancesCommand') });
  });

  it('rolls out a baseline that aws-cdk-lib CloudFormation validation finds no error or warning in', async () => {
    const result = await validateBuiltin((app) => {
      new CfnInclude(new Stack(app, 'Baseline'), 'Baseline', { templateFile: BASELINE_PATH, parameters: { [RETENTION_PARAMETER]: UPDATED_RETENTION_DAYS } });
    });
    expect(result).toEqual({ violations: [], stderr: [] });
  });
});

describe('cleanup.handler.js', () => {
  const ACCOUNT = '123456789012';
  const ADMIN = `arn:aws:iam::${ACCOUNT}:role/DopLab-StackSetAdministration-us-east-1`;
  const EXECUTION = 'DopLab-StackSetExecution-us-east-1';
  const props = { AdministrationRoleArn: ADMIN, ExecutionRoleName: EXECUTION, PollSeconds: '0' };
  let cfn: AwsClientStub<CloudFormationClient>;
  let log: jest.Mock;

  beforeEach(() => {
    cfn = mockClient(CloudFormationClient);
    log = jest.fn();
  });
  afterEach(() => cfn.restore());

  function stackSet(name: string, admin: string, execution: string): StackSet {
    return {
      StackSetName: name,
      StackSetId: `${name}:3f1c2a9e-6b4d-4e8a-9c1f-2d7b5e0a8c34`,
      Status: 'ACTIVE',
      PermissionModel: 'SELF_MANAGED',
      AdministrationRoleARN: admin,
      ExecutionRoleName: execution,
    };
  }

  function instance(name: string, region: string) {
    return {
      StackSetId: `${name}:3f1c2a9e-6b4d-4e8a-9c1f-2d7b5e0a8c34`,
      Region: region,
      Account: ACCOUNT,
      StackId: `arn:aws:cloudformation:${region}:${ACCOUNT}:stack/StackSet-${name}-0d6e1b52/1a2b3c4d`,
      Status: 'CURRENT' as const,
    };
  }

  /** One lab StackSet with instances in two regions; its delete operation runs once, then succeeds. */
  function mockOneLabStackSet(name = 'platform-baseline') {
    cfn.on(ListStackSetsCommand).resolves({ Summaries: [{ StackSetName: name, Status: 'ACTIVE', PermissionModel: 'SELF_MANAGED' }] });
    cfn.on(DescribeStackSetCommand, { StackSetName: name }).resolves({ StackSet: stackSet(name, ADMIN, EXECUTION) });
    cfn.on(ListStackSetOperationsCommand).resolves({ Summaries: [{ OperationId: 'op-create', Action: 'CREATE', Status: 'SUCCEEDED' }] });
    cfn.on(ListStackInstancesCommand).resolves({ Summaries: [instance(name, 'us-east-1'), instance(name, 'us-west-2')] });
    cfn.on(DeleteStackInstancesCommand).resolves({ OperationId: 'op-delete' });
    cfn
      .on(DescribeStackSetOperationCommand, { OperationId: 'op-delete' })
      .resolvesOnce({ StackSetOperation: { OperationId: 'op-delete', Action: 'DELETE', Status: 'RUNNING' } })
      .resolves({ StackSetOperation: { OperationId: 'op-delete', Action: 'DELETE', Status: 'SUCCEEDED' } });
    cfn.on(DeleteStackSetCommand).resolves({});
  }

  const sequence = () => cfn.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, ''));

  it('deletes the stack instances in every region, waits for the operation, and only then deletes the StackSet', async () => {
    mockOneLabStackSet();
    await cleanup.onDelete(props, log);

    expect(sequence()).toEqual([
      'ListStackSets',
      'DescribeStackSet',
      'ListStackSetOperations',
      'ListStackInstances',
      'DeleteStackInstances',
      'DescribeStackSetOperation',
      'DescribeStackSetOperation',
      'DeleteStackSet',
    ]);
    expect(cfn.commandCalls(ListStackSetsCommand)[0].args[0].input).toEqual({ Status: 'ACTIVE', NextToken: undefined });
    expect(cfn.commandCalls(DeleteStackInstancesCommand)[0].args[0].input).toEqual({
      StackSetName: 'platform-baseline',
      Accounts: [ACCOUNT],
      Regions: ['us-east-1', 'us-west-2'],
      RetainStacks: false,
      OperationPreferences: { RegionConcurrencyType: 'PARALLEL', MaxConcurrentPercentage: 100, FailureTolerancePercentage: 100 },
    });
    expect(cfn.commandCalls(DeleteStackSetCommand)[0].args[0].input).toEqual({ StackSetName: 'platform-baseline' });
  });

  it('finds StackSets by either lab role across pages, and leaves service-managed and unrelated ones alone', async () => {
    cfn
      .on(ListStackSetsCommand, { NextToken: undefined })
      .resolves({
        Summaries: [
          { StackSetName: 'org-guardrails', Status: 'ACTIVE', PermissionModel: 'SERVICE_MANAGED' },
          { StackSetName: 'by-admin-role', Status: 'ACTIVE', PermissionModel: 'SELF_MANAGED' },
        ],
        NextToken: 'page-2',
      })
      .on(ListStackSetsCommand, { NextToken: 'page-2' })
      .resolves({
        Summaries: [
          { StackSetName: 'by-execution-role', Status: 'ACTIVE', PermissionModel: 'SELF_MANAGED' },
          { StackSetName: 'someone-elses', Status: 'ACTIVE', PermissionModel: 'SELF_MANAGED' },
          { StackSetName: 'deleted-last-week', Status: 'DELETED', PermissionModel: 'SELF_MANAGED' },
        ],
      });
    const defaultAdmin = `arn:aws:iam::${ACCOUNT}:role/AWSCloudFormationStackSetAdministrationRole`;
    cfn.on(DescribeStackSetCommand, { StackSetName: 'by-admin-role' }).resolves({ StackSet: stackSet('by-admin-role', ADMIN, 'AWSCloudFormationStackSetExecutionRole') });
    cfn.on(DescribeStackSetCommand, { StackSetName: 'by-execution-role' }).resolves({ StackSet: stackSet('by-execution-role', defaultAdmin, EXECUTION) });
    cfn.on(DescribeStackSetCommand, { StackSetName: 'someone-elses' }).resolves({ StackSet: stackSet('someone-elses', defaultAdmin, 'AWSCloudFormationStackSetExecutionRole') });
    cfn.on(ListStackSetOperationsCommand).resolves({ Summaries: [] });
    cfn.on(ListStackInstancesCommand).resolves({ Summaries: [] });
    cfn.on(DeleteStackSetCommand).resolves({});

    await cleanup.onDelete(props, log);

    expect(cfn.commandCalls(DescribeStackSetCommand).map((c) => c.args[0].input.StackSetName)).toEqual(['by-admin-role', 'by-execution-role', 'someone-elses']);
    expect(cfn.commandCalls(DeleteStackSetCommand).map((c) => c.args[0].input.StackSetName)).toEqual(['by-admin-role', 'by-execution-role']);
    // No instances: nothing to delete first.
    expect(cfn.commandCalls(DeleteStackInstancesCommand)).toHaveLength(0);
  });

  it("waits for the learner's running operation before deleting the instances", async () => {
    mockOneLabStackSet();
    cfn.on(ListStackSetOperationsCommand).resolves({ Summaries: [{ OperationId: 'op-update', Action: 'UPDATE', Status: 'RUNNING' }] });
    cfn
      .on(DescribeStackSetOperationCommand, { OperationId: 'op-update' })
      .resolvesOnce({ StackSetOperation: { OperationId: 'op-update', Action: 'UPDATE', Status: 'RUNNING' } })
      .resolves({ StackSetOperation: { OperationId: 'op-update', Action: 'UPDATE', Status: 'SUCCEEDED' } });

    await cleanup.onDelete(props, log);

    const operations = cfn.commandCalls(DescribeStackSetOperationCommand).map((c) => c.args[0].input.OperationId);
    expect(operations).toEqual(['op-update', 'op-update', 'op-delete', 'op-delete']);
    expect(sequence().indexOf('DeleteStackInstances')).toBeGreaterThan(sequence().lastIndexOf('ListStackSetOperations') + 2);
  });

  it('keeps a StackSet whose instances could not be deleted (deleting it would fail), goes on with the next, and says why', async () => {
    mockOneLabStackSet('first');
    cfn.on(ListStackSetsCommand).resolves({
      Summaries: [
        { StackSetName: 'first', Status: 'ACTIVE', PermissionModel: 'SELF_MANAGED' },
        { StackSetName: 'second', Status: 'ACTIVE', PermissionModel: 'SELF_MANAGED' },
      ],
    });
    cfn.on(DescribeStackSetCommand, { StackSetName: 'second' }).resolves({ StackSet: stackSet('second', ADMIN, EXECUTION) });
    cfn.on(DeleteStackInstancesCommand, { StackSetName: 'first' }).resolves({ OperationId: 'op-delete' });
    cfn.on(DeleteStackInstancesCommand, { StackSetName: 'second' }).resolves({ OperationId: 'op-delete-2' });
    cfn
      .on(DescribeStackSetOperationCommand, { OperationId: 'op-delete' })
      .resolves({ StackSetOperation: { OperationId: 'op-delete', Action: 'DELETE', Status: 'FAILED' } });
    cfn.on(DescribeStackSetOperationCommand, { OperationId: 'op-delete-2' }).resolves({ StackSetOperation: { OperationId: 'op-delete-2', Status: 'SUCCEEDED' } });

    await expect(cleanup.onDelete(props, log)).rejects.toThrow('could not delete first: Error: operation op-delete deleting the stack instances ended FAILED');
    expect(cfn.commandCalls(DeleteStackSetCommand).map((c) => c.args[0].input.StackSetName)).toEqual(['second']);
  });

  it('answers CloudFormation only after the StackSet is gone, so the roles are deleted last', async () => {
    mockOneLabStackSet();
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const server = await startCfnResponseServer();
    let responsesWhenStackSetDeleted = -1;
    cfn.on(DeleteStackSetCommand).callsFake(() => {
      responsesWhenStackSetDeleted = server.responses.length;
      return {};
    });
    try {
      await runtime.createHandler(cleanup.onDelete)(cfnEvent('Delete', server.url, props), lambdaContext(CLEANUP_TIMEOUT.toMilliseconds()));
      expect(responsesWhenStackSetDeleted).toBe(0);
      expect(server.responses).toHaveLength(1);
      expect(server.responses[0].body).toMatchObject({ Status: 'SUCCESS', Reason: 'cleanup done' });
    } finally {
      jest.restoreAllMocks();
      await server.close();
    }
  });

  it('works the same once inlined into the template (runtime + handler, comments stripped)', async () => {
    mockOneLabStackSet();
    const fn = Object.values(Template.fromStack(addLabStack(new App())).findResources('AWS::Lambda::Function'))[0];
    const inlined = { exports: {} as { handler?: (event: unknown, context: unknown) => Promise<void> } };
    runInNewContext(fn.Properties.Code.ZipFile as string, { require, module: inlined, exports: inlined.exports, console, setTimeout, clearTimeout, Buffer, URL });
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const server = await startCfnResponseServer();
    try {
      await inlined.exports.handler!(cfnEvent('Delete', server.url, props), lambdaContext(120_000));
      expect(sequence()).toEqual(expect.arrayContaining(['DeleteStackInstances', 'DeleteStackSet']));
      expect(server.responses[0].body).toMatchObject({ Status: 'SUCCESS', Reason: 'cleanup done' });
    } finally {
      jest.restoreAllMocks();
      await server.close();
    }
  });

  it('reports an AccessDenied as a cleanup failure without failing the stack delete', async () => {
    cfn.on(ListStackSetsCommand).rejects(awsError('AccessDenied', `User: arn:aws:sts::${ACCOUNT}:assumed-role/DopLab-cleanup/fn is not authorized to perform: cloudformation:ListStackSets`));
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const server = await startCfnResponseServer();
    try {
      await runtime.createHandler(cleanup.onDelete)(cfnEvent('Delete', server.url, props), lambdaContext(120_000));
      expect(server.responses[0].body).toMatchObject({ Status: 'SUCCESS', Reason: expect.stringMatching(/^cleanup failed: User: .* cloudformation:ListStackSets/) });
      expect(cfn.commandCalls(DeleteStackSetCommand)).toHaveLength(0);
    } finally {
      jest.restoreAllMocks();
      await server.close();
    }
  });
});
