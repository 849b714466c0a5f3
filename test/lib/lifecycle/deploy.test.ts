import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { deployLab, type StackToolkit } from '../../../lib/commands/lifecycle';
import { DoplabError, exitCodeFor } from '../../../lib/errors';
import type { AnyLab } from '../../../lib/registry';
import { lab as realLab } from '../../../labs/cloudwatch-metric-filters/lab';
import { awsError } from '../../support/mocked-session';
import { ACCOUNT, REGION, actionsSent, allReadOnly, fakeAsker, mockAws, recordingIo } from './support';

const BASE_ROLE = `arn:aws:iam::${ACCOUNT}:role/DopLab-Base-ExecutionRole605A040B-1Q2W3E4R5T6Y`;
const NOW = Date.parse('2026-11-23T13:00:00.000Z');

/** A toolkit that records what it was asked to deploy, and with what context. */
function fakeToolkit(options: { assets?: number; failOn?: string; outputs?: Record<string, string> } = {}) {
  const deployed: { stack: string; roleArn?: string }[] = [];
  const contexts: Record<string, string>[] = [];
  let disposed = false;
  const factory = jest.fn(async (_lab: AnyLab, _aws: unknown, _io: unknown, context: Record<string, string>): Promise<StackToolkit> => {
    contexts.push(context);
    return {
      assetCount: async () => options.assets ?? 0,
      template: async () => ({}),
      deploy: async (stack, o = {}) => {
        if (stack === options.failOn) throw new Error(`The stack named ${stack} failed creation, it may need to be manually deleted from the AWS console: ROLLBACK_COMPLETE`);
        deployed.push({ stack, roleArn: o.roleArn });
        return { outputs: stack === 'DopLab-Base' ? { ExecutionRoleArn: BASE_ROLE } : (options.outputs ?? {}) };
      },
      firstFailure: () => ({ logicalId: 'AlertTopic2B6A9D7E', type: 'AWS::SNS::Topic', status: 'CREATE_FAILED', reason: 'Resource handler returned message: "Invalid parameter: TopicName"' }),
      dispose: async () => {
        disposed = true;
      },
    };
  });
  return { factory, deployed, contexts, disposed: () => disposed };
}

describe('doplab deploy', () => {
  let aws: ReturnType<typeof mockAws>;
  beforeEach(() => {
    aws = mockAws();
    aws.cfn.on(DescribeStacksCommand, { StackName: 'DopLab-Base' }).resolves({
      Stacks: [
        {
          StackName: 'DopLab-Base',
          StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/DopLab-Base/0d3f2a10-c8d1-11f0-9a3b-0a1b2c3d4e5f`,
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date('2026-11-20T09:00:00Z'),
          Outputs: [{ OutputKey: 'ExecutionRoleArn', OutputValue: BASE_ROLE }],
        },
      ],
    });
  });
  afterEach(() => aws.restore());

  const listed = { DOPLAB_SANDBOX_ACCOUNTS: ACCOUNT };

  it('refuses an unlisted account without a terminal: exit 3, no toolkit, and only read calls sent', async () => {
    const toolkit = fakeToolkit();
    const error = await deployLab(realLab, {}, recordingIo(), {}, { session: aws.session, asker: fakeAsker(false), env: { DOPLAB_HOME: process.env.DOPLAB_HOME }, toolkit: toolkit.factory }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DoplabError);
    expect((error as DoplabError).code).toBe('NOT_SANDBOX');
    expect(exitCodeFor(error)).toBe(3);
    expect(toolkit.factory).not.toHaveBeenCalled();
    const sent = actionsSent(aws);
    expect(sent.sort()).toEqual(['iam:ListAccountAliases', 'sts:GetCallerIdentity']);
    expect(allReadOnly(sent)).toBe(true);
  });

  it('proceeds with --yes in an unlisted account', async () => {
    const toolkit = fakeToolkit();
    await expect(deployLab(realLab, {}, recordingIo(), { yes: true }, { session: aws.session, asker: fakeAsker(false), env: { DOPLAB_HOME: process.env.DOPLAB_HOME }, toolkit: toolkit.factory, now: () => NOW })).resolves.toBe(0);
    expect(toolkit.deployed.map((d) => d.stack)).toEqual(['DopLab-Base', 'DopLab-cloudwatch-metric-filters']);
  });

  it('deploys DopLab-Base, then the lab with the base execution role, expiring after the default 4 h', async () => {
    const toolkit = fakeToolkit();
    const io = recordingIo();
    await deployLab(realLab, {}, io, {}, { session: aws.session, asker: fakeAsker(false), env: listed, toolkit: toolkit.factory, now: () => NOW });
    expect(toolkit.deployed).toEqual([{ stack: 'DopLab-Base', roleArn: undefined }, { stack: 'DopLab-cloudwatch-metric-filters', roleArn: BASE_ROLE }]);
    expect(toolkit.contexts).toEqual([{ 'doplab:expiresAt': '2026-11-23T17:00:00.000Z' }]);
    expect(toolkit.disposed()).toBe(true);
    expect(io.errText()).toContain(`Account ${ACCOUNT} (acme-sandbox-7), ${REGION}`);
    expect(io.errText()).toContain('about 2 min, ~$0.0007/hour while deployed; deletes itself at 2026-11-23T17:00:00.000Z (--ttl).');
  });

  it('ends with the stack outputs the README refers to, in its order, and the next commands', async () => {
    const toolkit = fakeToolkit({
      outputs: {
        AlertTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:DopLab-cloudwatch-metric-filters-AlertTopic2720D535-Xa1Yb2Zc3`,
        GeneratorFunctionName: 'DopLab-cloudwatch-metric-filt-GeneratorFunction9B7E1C2D-4kPq8RsTuVwX',
        CleanupServiceToken: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:DopLab-cloudwatch-metric-Cleanup`,
      },
    });
    const io = recordingIo();
    let t = NOW;
    await deployLab(realLab, {}, io, {}, { session: aws.session, asker: fakeAsker(false), env: listed, toolkit: toolkit.factory, now: () => (t += 30_000) });
    expect(io.errText().split('\n').slice(-5)).toEqual([
      'Deployed cloudwatch-metric-filters in 30s.',
      'Stack outputs the instructions refer to:',
      '  GeneratorFunctionName  DopLab-cloudwatch-metric-filt-GeneratorFunction9B7E1C2D-4kPq8RsTuVwX',
      `  AlertTopicArn          arn:aws:sns:${REGION}:${ACCOUNT}:DopLab-cloudwatch-metric-filters-AlertTopic2720D535-Xa1Yb2Zc3`,
      'Next: doplab show cloudwatch-metric-filters (the tasks), then doplab check cloudwatch-metric-filters when you are done.',
    ]);
    expect(io.errText()).not.toContain('CleanupServiceToken');
  });

  it('adds no expiry with --ttl none, and says so', async () => {
    const toolkit = fakeToolkit();
    const io = recordingIo();
    await deployLab(realLab, {}, io, { ttlMs: null }, { session: aws.session, asker: fakeAsker(false), env: listed, toolkit: toolkit.factory, now: () => NOW });
    expect(toolkit.contexts).toEqual([{}]);
    expect(io.errText()).toContain('no expiry (--ttl none): remember doplab destroy.');
  });

  it("runs the lab's preflight hook, shows its notes and passes its context to the stack", async () => {
    const toolkit = fakeToolkit();
    const io = recordingIo();
    const preflight = jest.fn(async () => ({ context: { 'doplab:demo:recorder': 'default' }, notes: ['reusing the AWS Config recorder default'] }));
    const lab = { ...realLab, preflight } as AnyLab;
    await deployLab(lab, {}, io, {}, { session: aws.session, asker: fakeAsker(false), env: listed, toolkit: toolkit.factory, now: () => NOW });
    expect(preflight).toHaveBeenCalledWith(expect.objectContaining({ account: ACCOUNT, region: REGION }));
    expect(toolkit.contexts[0]).toEqual({ 'doplab:demo:recorder': 'default', 'doplab:expiresAt': '2026-11-23T17:00:00.000Z' });
    expect(io.errText()).toContain('  reusing the AWS Config recorder default');
  });

  it("stops before any deploy when the lab's preflight hook refuses", async () => {
    const toolkit = fakeToolkit();
    const refusal = new DoplabError('AWS_ERROR', 'environment', 'AWS Config recorder "main" records only global resources.');
    const lab = { ...realLab, preflight: async () => Promise.reject(refusal) } as AnyLab;
    await expect(deployLab(lab, {}, recordingIo(), {}, { session: aws.session, asker: fakeAsker(false), env: listed, toolkit: toolkit.factory })).rejects.toBe(refusal);
    expect(toolkit.factory).not.toHaveBeenCalled();
  });

  it('refuses a lab stack that would need cdk bootstrap (file assets), before deploying anything', async () => {
    const toolkit = fakeToolkit({ assets: 2 });
    const error = (await deployLab(realLab, {}, recordingIo(), {}, { session: aws.session, asker: fakeAsker(false), env: listed, toolkit: toolkit.factory }).catch((e: unknown) => e)) as DoplabError;
    expect(error.code).toBe('NEEDS_BOOTSTRAP');
    expect(error.message).toBe('DopLab-cloudwatch-metric-filters has 2 file asset(s), so it would need cdk bootstrap; doplab labs deploy without it.');
    expect(toolkit.deployed).toEqual([]);
  });

  it('names the first failing resource and its reason when the deploy fails, and says a retry works', async () => {
    const toolkit = fakeToolkit({ failOn: 'DopLab-cloudwatch-metric-filters' });
    const error = (await deployLab(realLab, {}, recordingIo(), {}, { session: aws.session, asker: fakeAsker(false), env: listed, toolkit: toolkit.factory }).catch((e: unknown) => e)) as DoplabError;
    expect(error.code).toBe('DEPLOY_FAILED');
    expect(error.message).toContain('First failing resource: AlertTopic2B6A9D7E (AWS::SNS::Topic) CREATE_FAILED: Resource handler returned message: "Invalid parameter: TopicName"');
    expect(error.hint).toContain('run doplab deploy cloudwatch-metric-filters again');
    expect(exitCodeFor(error)).toBe(3);
    expect(toolkit.disposed()).toBe(true);
  });

  it('fails clearly when DopLab-Base exports no execution role', async () => {
    aws.cfn.on(DescribeStacksCommand, { StackName: 'DopLab-Base' }).rejects(awsError('ValidationError', 'Stack with id DopLab-Base does not exist'));
    const toolkit = fakeToolkit();
    const error = (await deployLab(realLab, {}, recordingIo(), {}, { session: aws.session, asker: fakeAsker(false), env: listed, toolkit: toolkit.factory }).catch((e: unknown) => e)) as DoplabError;
    expect(error.message).toBe(`DopLab-Base in ${REGION} has no usable execution role after deploying it.`);
    expect(toolkit.deployed.map((d) => d.stack)).toEqual(['DopLab-Base']);
  });

  it('fails with exit 3 when there are no credentials, before anything else', async () => {
    aws.sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const toolkit = fakeToolkit();
    const error = await deployLab(realLab, {}, recordingIo(), {}, { session: aws.session, asker: fakeAsker(false), env: listed, toolkit: toolkit.factory }).catch((e: unknown) => e);
    expect((error as DoplabError).code).toBe('NO_CREDENTIALS');
    expect(exitCodeFor(error)).toBe(3);
    expect(toolkit.factory).not.toHaveBeenCalled();
  });
});
