import * as cfnSdk from '@aws-sdk/client-cloudformation';
import * as iamSdk from '@aws-sdk/client-iam';
import * as taggingSdk from '@aws-sdk/client-resource-groups-tagging-api';
import * as stsSdk from '@aws-sdk/client-sts';
import * as cwSdk from '@aws-sdk/client-cloudwatch';
import * as logsSdk from '@aws-sdk/client-cloudwatch-logs';
import * as ssmSdk from '@aws-sdk/client-ssm';
import * as snsSdk from '@aws-sdk/client-sns';
import * as ecsSdk from '@aws-sdk/client-ecs';
import * as elbv2Sdk from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { isReadOnlyAction, iamAction } from '../../../lib/aws/clients';
import type { Io } from '../../../lib/io';
import type { Asker } from '../../../lib/lifecycle/guard';
import { MockedSession } from '../../support/mocked-session';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const CALLER_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6789/learner`;
const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

/** Every SDK client the lifecycle uses, mocked below the middleware. */
export function mockAws() {
  const mocks = {
    sts: mockClient(stsSdk.STSClient),
    iam: mockClient(iamSdk.IAMClient),
    cfn: mockClient(cfnSdk.CloudFormationClient),
    tagging: mockClient(taggingSdk.ResourceGroupsTaggingAPIClient),
    cloudwatch: mockClient(cwSdk.CloudWatchClient),
    logs: mockClient(logsSdk.CloudWatchLogsClient),
    ssm: mockClient(ssmSdk.SSMClient),
    // The leftover audit confirms tag hits with their own service.
    sns: mockClient(snsSdk.SNSClient),
    ecs: mockClient(ecsSdk.ECSClient),
    elbv2: mockClient(elbv2Sdk.ElasticLoadBalancingV2Client),
  };
  mocks.sts.on(stsSdk.GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: CALLER_ARN, UserId: 'AROA3XFRBF23EXAMPLE:learner' });
  mocks.iam.on(iamSdk.ListAccountAliasesCommand).resolves({ AccountAliases: ['acme-sandbox-7'], IsTruncated: false });
  const session = new MockedSession({ region: REGION, credentials: CREDENTIALS }, [cfnSdk, iamSdk, taggingSdk, stsSdk, cwSdk, logsSdk, ssmSdk, snsSdk, ecsSdk, elbv2Sdk]);
  const restore = () => Object.values(mocks).forEach((m) => m.restore());
  return { ...mocks, session, restore };
}

/** The IAM actions every mock received, e.g. `cloudformation:DeleteStack`. */
export function actionsSent(mocks: Record<string, unknown>): string[] {
  const actions: string[] = [];
  for (const mock of Object.values(mocks)) {
    if (!mock || typeof (mock as AwsStub<object, never, object>).calls !== 'function') continue;
    for (const call of (mock as AwsStub<object, never, object>).calls()) {
      const command = call.args[0] as { constructor: { name: string } };
      actions.push(iamAction(clientNameOf(command.constructor.name), command.constructor.name));
    }
  }
  return actions;
}

const CLIENT_OF: Record<string, string> = {};
for (const [client, sdk] of [
  ['CloudFormationClient', cfnSdk],
  ['IAMClient', iamSdk],
  ['ResourceGroupsTaggingAPIClient', taggingSdk],
  ['STSClient', stsSdk],
  ['CloudWatchClient', cwSdk],
  ['CloudWatchLogsClient', logsSdk],
  ['SSMClient', ssmSdk],
  ['SNSClient', snsSdk],
  ['ECSClient', ecsSdk],
  ['ElasticLoadBalancingV2Client', elbv2Sdk],
] as const) {
  for (const name of Object.keys(sdk)) if (name.endsWith('Command') && name !== 'Command') CLIENT_OF[name] ??= client;
}

function clientNameOf(commandName: string): string {
  return CLIENT_OF[commandName] ?? 'UnknownClient';
}

/** True when every action only reads. */
export function allReadOnly(actions: readonly string[]): boolean {
  return actions.every(isReadOnlyAction);
}

/** An Io that records what a command wrote. */
export function recordingIo(interactive = false): Io & { readonly outText: () => string; readonly errText: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    color: false,
    interactive,
    outText: () => out.join('\n'),
    errText: () => err.join('\n'),
  };
}

/** A terminal that answers `answers` in turn, or no terminal at all. */
export function fakeAsker(interactive: boolean, ...answers: string[]): Asker & { readonly questions: string[] } {
  const questions: string[] = [];
  return {
    interactive,
    questions,
    ask: async (q) => {
      questions.push(q);
      return answers.shift() ?? '';
    },
  };
}
