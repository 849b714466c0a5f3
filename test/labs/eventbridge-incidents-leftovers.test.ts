import * as logsSdk from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import * as eventbridgeSdk from '@aws-sdk/client-eventbridge';
import { EventBridgeClient, ListArchivesCommand, ListRuleNamesByTargetCommand, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { HANDLER_FUNCTION_NAME } from '../../labs/eventbridge-incidents/contract';
import { leftovers } from '../../labs/eventbridge-incidents/leftovers';
import { ACCOUNT, leftoverContext } from '../support/leftover-context';
import { awsError } from '../support/mocked-session';

const REGION = 'us-west-2';
const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;

describe('eventbridge-incidents leftovers', () => {
  let events: AwsClientStub<EventBridgeClient>;
  let logs: AwsClientStub<CloudWatchLogsClient>;
  const context = () => leftoverContext([eventbridgeSdk, logsSdk], { region: REGION });

  beforeEach(() => {
    events = mockClient(EventBridgeClient);
    logs = mockClient(CloudWatchLogsClient);
    events.on(ListRuleNamesByTargetCommand).resolves({ RuleNames: [] });
    events.on(ListRulesCommand).rejects(awsError('ResourceNotFoundException', 'Event bus doplab-payments does not exist.'));
    events.on(ListArchivesCommand).resolves({ Archives: [] });
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
  });
  afterEach(() => [events, logs].forEach((m) => m.restore()));

  it('finds nothing after a clean teardown (the bus gone), with only read-only calls', async () => {
    const { ctx, calls } = context();
    await expect(leftovers(ctx)).resolves.toEqual([]);
    expect(calls.map((c) => c.action)).toEqual([
      'events:ListRuleNamesByTarget',
      'events:ListRuleNamesByTarget',
      'events:ListRuleNamesByTarget',
      'events:ListRules',
      'events:ListArchives',
      'logs:DescribeLogGroups',
      'logs:DescribeLogGroups',
    ]);
    expect(events.commandCalls(ListRuleNamesByTargetCommand).map((c) => c.args[0].input.TargetArn)).toEqual([
      arn('lambda', `function:${HANDLER_FUNCTION_NAME}`),
      arn('sqs', 'DopLab-eventbridge-incidents-incidents'),
      arn('sns', 'DopLab-eventbridge-incidents-on-call'),
    ]);
  });

  it('reports default-bus rules still targeting lab resources, rules left on the bus, archives and implicit log groups', async () => {
    events.on(ListRuleNamesByTargetCommand, { TargetArn: arn('lambda', `function:${HANDLER_FUNCTION_NAME}`) }).resolves({ RuleNames: ['alarm-to-handler'] });
    events.on(ListRulesCommand).resolves({ Rules: [{ Name: 'page', Arn: arn('events', 'rule/doplab-payments/page') }] });
    events.on(ListArchivesCommand, { EventSourceArn: arn('events', 'event-bus/doplab-payments') }).resolves({ Archives: [{ ArchiveName: 'payments-archive' }] });
    logs.on(DescribeLogGroupsCommand, { logGroupNamePrefix: '/aws/lambda/DopLab-eventbridge-incidents' }).resolves({
      logGroups: [{ logGroupName: `/aws/lambda/${HANDLER_FUNCTION_NAME}`, arn: arn('logs', `log-group:/aws/lambda/${HANDLER_FUNCTION_NAME}:*`) }],
    });
    const { ctx } = context();
    expect((await leftovers(ctx)).map((l) => l.resource)).toEqual([
      arn('events', 'rule/alarm-to-handler'),
      arn('events', 'rule/doplab-payments/page'),
      arn('events', 'archive/payments-archive'),
      arn('logs', `log-group:/aws/lambda/${HANDLER_FUNCTION_NAME}:*`),
    ]);
  });

  it('lets an access error through, so destroy reports the audit as incomplete', async () => {
    events.on(ListArchivesCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: events:ListArchives'));
    const { ctx } = context();
    await expect(leftovers(ctx)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });
});
