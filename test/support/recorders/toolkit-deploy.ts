/* eslint-disable @typescript-eslint/no-explicit-any -- a recording script: the toolkit payloads are recorded as they come */
// Records what the real CDK toolkit library (@aws-cdk/toolkit-lib) tells its IoHost during a deploy: a
// two-resource stack deployed with CloudFormation answered by aws-sdk-client-mock (the toolkit uses the
// same @aws-sdk/client-cloudformation), once created and once failed and rolled back. The messages (codes,
// levels, texts, payloads) are the toolkit's own; only the times are respaced onto the CloudFormation event
// timeline (the mock answers at once), and payloads are trimmed of the cloud assembly objects.
// Regenerate: npx tsx test/support/recorders/toolkit-deploy.ts ok test/fixtures/toolkit/deploy-created.json
//             npx tsx test/support/recorders/toolkit-deploy.ts same test/fixtures/toolkit/deploy-unchanged.json
//             npx tsx test/support/recorders/toolkit-deploy.ts fail test/fixtures/toolkit/deploy-failed.json
import * as cfn from '@aws-sdk/client-cloudformation';
import * as sts from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import * as cdk from 'aws-cdk-lib';
import { writeFileSync } from 'node:fs';

process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
process.env.AWS_REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const NAME = 'DopLab-demo';
const ARN = `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/${NAME}/5b0c4a30-cb5f-11f0-8d3e-0a1b2c3d4e5f`;
const fail = process.argv[2] === 'fail';
// `same`: the stack exists with this very template, so the toolkit skips the deploy (no changes).
const same = process.argv[2] === 'same';
let template: unknown = {};

async function main() {
  const tk = require('@aws-cdk/toolkit-lib');
  const stsMock = mockClient(sts.STSClient);
  stsMock.on(sts.GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/x`, UserId: 'AIDA' });
  const cf = mockClient(cfn.CloudFormationClient);
  const t0 = Date.now();
  const at = (s: number) => new Date(t0 + s * 1000);
  let executed = same;
  const ev = (id: string, logical: string, type: string, status: string, s: number, reason?: string, physical?: string) => ({
    StackId: ARN, EventId: id, StackName: NAME, LogicalResourceId: logical, PhysicalResourceId: physical ?? '', ResourceType: type, Timestamp: at(s), ResourceStatus: status, ResourceStatusReason: reason,
  });
  const events = fail
    ? [
        ev('e1', NAME, 'AWS::CloudFormation::Stack', 'CREATE_IN_PROGRESS', 2, 'User Initiated', ARN),
        ev('e2', 'CDKMetadata', 'AWS::CDK::Metadata', 'CREATE_IN_PROGRESS', 3),
        ev('e2b', 'AlertTopic2720D535', 'AWS::SNS::Topic', 'CREATE_IN_PROGRESS', 3),
        ev('e3', 'OrdersQueue3DFA1D51', 'AWS::SQS::Queue', 'CREATE_IN_PROGRESS', 3),
        ev('e3b', 'CDKMetadata', 'AWS::CDK::Metadata', 'CREATE_FAILED', 5, 'Resource creation cancelled'),
        ev('e4', 'AlertTopic2720D535', 'AWS::SNS::Topic', 'CREATE_FAILED', 5, 'Resource handler returned message: "Invalid parameter: TopicName" (RequestToken: 1b2c, HandlerErrorCode: InvalidRequest)'),
        ev('e5', 'OrdersQueue3DFA1D51', 'AWS::SQS::Queue', 'CREATE_FAILED', 6, 'Resource creation cancelled'),
        ev('e6', NAME, 'AWS::CloudFormation::Stack', 'ROLLBACK_IN_PROGRESS', 7, 'The following resource(s) failed to create: [AlertTopic2720D535, OrdersQueue3DFA1D51]. Rollback requested by user.', ARN),
        ev('e7', 'OrdersQueue3DFA1D51', 'AWS::SQS::Queue', 'DELETE_COMPLETE', 9),
        ev('e7b', 'CDKMetadata', 'AWS::CDK::Metadata', 'DELETE_COMPLETE', 9),
        ev('e8', 'AlertTopic2720D535', 'AWS::SNS::Topic', 'DELETE_COMPLETE', 9),
        ev('e9', NAME, 'AWS::CloudFormation::Stack', 'ROLLBACK_COMPLETE', 10, undefined, ARN),
      ]
    : [
        ev('e1', NAME, 'AWS::CloudFormation::Stack', 'CREATE_IN_PROGRESS', 2, 'User Initiated', ARN),
        ev('e2', 'CDKMetadata', 'AWS::CDK::Metadata', 'CREATE_IN_PROGRESS', 3),
        ev('e3', 'OrdersQueue3DFA1D51', 'AWS::SQS::Queue', 'CREATE_IN_PROGRESS', 3),
        ev('e4', 'AlertTopic2720D535', 'AWS::SNS::Topic', 'CREATE_IN_PROGRESS', 3),
        ev('e4b', 'AlertTopic2720D535', 'AWS::SNS::Topic', 'CREATE_IN_PROGRESS', 4, 'Resource creation Initiated'),
        ev('e4c', 'CDKMetadata', 'AWS::CDK::Metadata', 'CREATE_IN_PROGRESS', 4.5, 'Resource creation Initiated'),
        ev('e4d', 'CDKMetadata', 'AWS::CDK::Metadata', 'CREATE_COMPLETE', 5),
        ev('e5', 'AlertTopic2720D535', 'AWS::SNS::Topic', 'CREATE_COMPLETE', 14, undefined, `arn:aws:sns:eu-west-1:${ACCOUNT}:DopLab-demo-AlertTopic`),
        ev('e6', 'OrdersQueue3DFA1D51', 'AWS::SQS::Queue', 'CREATE_COMPLETE', 65, undefined, `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/DopLab-demo-Orders`),
        ev('e7', NAME, 'AWS::CloudFormation::Stack', 'CREATE_COMPLETE', 66, undefined, ARN),
      ];
  let polls = 0;
  cf.on(cfn.DescribeStacksCommand).callsFake(async () => {
    if (!executed) throw Object.assign(new Error(`Stack with id ${NAME} does not exist`), { name: 'ValidationError', $metadata: {} });
    polls += 1;
    const done = same || polls > 2;
    const status = done ? (fail ? 'ROLLBACK_COMPLETE' : 'CREATE_COMPLETE') : 'CREATE_IN_PROGRESS';
    return { Stacks: [{ StackName: NAME, StackId: ARN, StackStatus: status, CreationTime: at(1), Outputs: done && !fail ? [{ OutputKey: 'AlertTopicArn', OutputValue: `arn:aws:sns:eu-west-1:${ACCOUNT}:DopLab-demo-AlertTopic` }, { OutputKey: 'QueueUrl', OutputValue: `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/DopLab-demo-Orders` }] : [] }] };
  });
  cf.on(cfn.CreateChangeSetCommand).resolves({ Id: `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:changeSet/cdk-deploy-change-set/1`, StackId: ARN });
  cf.on(cfn.DescribeChangeSetCommand).resolves({ ChangeSetName: 'cdk-deploy-change-set', StackId: ARN, StackName: NAME, Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', CreationTime: at(0), Changes: [
    { Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: 'CDKMetadata', ResourceType: 'AWS::CDK::Metadata' } },
    { Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: 'AlertTopic2720D535', ResourceType: 'AWS::SNS::Topic' } },
    { Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: 'OrdersQueue3DFA1D51', ResourceType: 'AWS::SQS::Queue' } },
  ] });
  cf.on(cfn.ExecuteChangeSetCommand).callsFake(async () => { executed = true; return {}; });
  cf.on(cfn.DescribeStackEventsCommand).callsFake(async () => ({ StackEvents: executed ? [...events].reverse() : [] }));
  cf.on(cfn.GetTemplateCommand).callsFake(async () => ({ TemplateBody: JSON.stringify(template), StagesAvailable: ['Original', 'Processed'] }));
  cf.on(cfn.ListStacksCommand).resolves({ StackSummaries: [] });
  cf.on(cfn.DescribeStackResourcesCommand).resolves({ StackResources: [] });
  cf.on(cfn.ListStackResourcesCommand).resolves({ StackResourceSummaries: [] });

  const messages: unknown[] = [];
  const host = { notify: async (m: any) => void messages.push(m), requestResponse: async (m: any) => (messages.push(m), m.defaultResponse) };
  const toolkit = new tk.Toolkit({ ioHost: host, color: false, emojis: false });
  const assembly = await toolkit.fromAssemblyBuilder(async (props: any) => {
    const app = new cdk.App({ outdir: props.outdir });
    const stack = new cdk.Stack(app, NAME, { synthesizer: new cdk.LegacyStackSynthesizer(), env: { account: ACCOUNT, region: 'eu-west-1' } });
    const topic = new cdk.aws_sns.Topic(stack, 'AlertTopic');
    const queue = new cdk.aws_sqs.Queue(stack, 'OrdersQueue');
    new cdk.CfnOutput(stack, 'AlertTopicArn', { value: topic.topicArn });
    new cdk.CfnOutput(stack, 'QueueUrl', { value: queue.queueUrl });
    const cloudAssembly = app.synth();
    template = cloudAssembly.getStackByName(NAME).template;
    return cloudAssembly;
  }, { disposeOutdir: true });
  let error: unknown;
  try {
    await toolkit.deploy(assembly, { stacks: { strategy: tk.StackSelectionStrategy.ALL_STACKS }, stackEventPollingInterval: 10 } as any);
  } catch (e) { error = e; }
  const slim = (m: any) => {
    const data = m.data && typeof m.data === 'object' ? { ...m.data } : m.data;
    if (data && data.stack) data.stack = { stackName: data.stack.stackName, template: { Resources: Object.fromEntries(Object.keys(data.stack.template.Resources).map((k) => [k, { Type: data.stack.template.Resources[k].Type }])) } };
    if (data && data.metadata) delete data.metadata;
    if (data && data.templateDiffs) delete data.templateDiffs;
    if (data && data.assembly) delete data.assembly;
    if (data && data.stacks) delete data.stacks;
    if (data && data.changeSet) delete data.changeSet;
    return { time: m.time, level: m.level, action: m.action, code: m.code, message: m.message, ...(data !== undefined ? { data } : {}), ...(m.defaultResponse !== undefined ? { defaultResponse: m.defaultResponse } : {}) };
  };
  // Times onto the event timeline: each activity a second after its event, the rest just after the last.
  let clock = Date.parse((messages[0] as any).time);
  const timed = messages.map((m: any) => {
    const event = m.code === 'CDK_TOOLKIT_I5502' ? Date.parse(m.data.event.Timestamp) + 1000 : clock + 50;
    clock = Math.max(clock, event);
    return { ...m, time: new Date(clock) };
  });
  const recording = { error: error === undefined ? null : (error as Error).message.split('\nSource Location')[0], messages: timed.map(slim) };
  writeFileSync(process.argv[3], `${JSON.stringify(recording, null, 1)}\n`);
  console.log('messages', messages.length, 'error', (error as Error)?.message);
}
main().catch((e) => { console.error(e); process.exit(1); });
