import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IoMessage, IoRequest, StackActivity } from '@aws-cdk/toolkit-lib';
import type { Io } from '../../../lib/io';
import { LiveLine, fitLine } from '../../../lib/report/live-line';
import { REDRAW, frames, screen } from '../../support/terminal-transcript';
import { onInterrupt } from '../../../lib/lifecycle/interrupt';
import { DoplabIoHost } from '../../../lib/toolkit-io';
import { recordingIo } from './support';

function activity(logicalId: string, type: string, status: string, reason?: string): IoMessage<StackActivity> {
  return {
    time: new Date(),
    level: 'info',
    action: 'deploy',
    code: 'CDK_TOOLKIT_I5502',
    message: '',
    data: {
      deployment: 'd-1',
      event: { StackId: 's', EventId: `${logicalId}-${status}`, StackName: 'DopLab-demo', LogicalResourceId: logicalId, ResourceType: type, ResourceStatus: status as never, ResourceStatusReason: reason, Timestamp: new Date() },
      progress: { completed: 1, total: 4, formatted: '1/4' },
    },
  } as IoMessage<StackActivity>;
}

/** A toolkit recording (test/support/recorders/toolkit-deploy.ts): the real toolkit's messages for one deploy. */
interface Recording {
  readonly error: string | null;
  readonly messages: (IoMessage<unknown> & { readonly defaultResponse?: unknown })[];
}
const recording = (name: string): Recording => JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'toolkit', `deploy-${name}.json`), 'utf8'));

/**
 * Replays a recording through DoplabIoHost at its recorded times, stderr a terminal (`tty`) or not; returns
 * everything written to stderr, in order (lines and in-place redraws alike).
 */
async function replay(name: string, options: { tty: boolean; verbose?: boolean; color?: boolean }): Promise<{ stderr: string; host: DoplabIoHost }> {
  let stderr = '';
  let clock = 0;
  const io: Io = { out: () => undefined, err: (text) => (stderr += `${text}\n`), color: options.color ?? false, interactive: options.tty };
  const line = new LiveLine(io, { write: (text) => (stderr += text), columns: () => 100 }, 0);
  const host = new DoplabIoHost(io, options.verbose, () => clock, line);
  for (const msg of recording(name).messages) {
    clock = Date.parse(msg.time as unknown as string);
    if (msg.defaultResponse !== undefined) await host.requestResponse(msg as IoRequest<unknown, unknown>);
    else await host.notify(msg);
  }
  host.close();
  return { stderr, host };
}


describe('DoplabIoHost: deploy progress from the toolkit messages', () => {
  it('not at a terminal: one line per event that matters, without the toolkit\'s own messages', async () => {
    const { stderr, host } = await replay('created', { tty: false });
    expect(stderr).not.toContain(REDRAW);
    expect(stderr.trimEnd().split('\n')).toEqual([
      'DopLab-demo: deploying (3 resources)',
      'DopLab-demo [1/4] 5s  CREATE_COMPLETE CDKMetadata (AWS::CDK::Metadata)',
      'DopLab-demo [2/4] 14s  CREATE_COMPLETE AlertTopic2720D535 (AWS::SNS::Topic)',
      'DopLab-demo [3/4] 1m 05s  CREATE_COMPLETE OrdersQueue3DFA1D51 (AWS::SQS::Queue)',
      '  ✔ DopLab-demo  deployed (3 resources, 1m 07s)',
    ]);
    expect(stderr).not.toMatch(/Synthesis time|Deployment time|Stack ARN|arn:aws:cloudformation|Total time|creating CloudFormation changeset/);
    expect(host.outputs.get('DopLab-demo')).toEqual({
      AlertTopicArn: 'arn:aws:sns:eu-west-1:111122223333:DopLab-demo-AlertTopic',
      QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/DopLab-demo-Orders',
    });
  });

  it('at a terminal: one line redrawn in place (done/total, elapsed, the resource in progress), then the outcome', async () => {
    const { stderr } = await replay('created', { tty: true });
    expect(screen(stderr)).toEqual(['  ✔ DopLab-demo  deployed (3 resources, 1m 07s)']);
    expect(frames(stderr)).toEqual([
      '  DopLab-demo  [------------] 0/4  0s  preparing',
      '  DopLab-demo  [------------] 0/4  2s  waiting for CloudFormation',
      '  DopLab-demo  [------------] 0/4  3s  creating AlertTopic2720D535 (AWS::SNS::Topic)',
      '  DopLab-demo  [------------] 0/4  3s  creating OrdersQueue3DFA1D51 (AWS::SQS::Queue) +1 more',
      '  DopLab-demo  [------------] 0/4  3s  creating CDKMetadata (AWS::CDK::Metadata) +2 more',
      '  DopLab-demo  [------------] 0/4  4s  creating AlertTopic2720D535 (AWS::SNS::Topic) +2 more',
      '  DopLab-demo  [------------] 0/4  5s  creating CDKMetadata (AWS::CDK::Metadata) +2 more',
      '  DopLab-demo  [###---------] 1/4  5s  creating AlertTopic2720D535 (AWS::SNS::Topic) +1 more',
      '  DopLab-demo  [######------] 2/4  14s  creating OrdersQueue3DFA1D51 (AWS::SQS::Queue)',
      '  DopLab-demo  [#########---] 3/4  1m 05s  waiting for CloudFormation',
      '  DopLab-demo  [############] 4/4  1m 06s  waiting for CloudFormation',
      '  ✔ DopLab-demo  deployed (3 resources, 1m 07s)',
    ]);
  });

  it('a stack without changes says so', async () => {
    expect((await replay('unchanged', { tty: false })).stderr).toBe('  ✔ DopLab-demo  no changes (0s)\n');
    expect(screen((await replay('unchanged', { tty: true })).stderr)).toEqual(['  ✔ DopLab-demo  no changes (0s)']);
  });

  it('names the failing resource and its reason, and the rollback, in both modes (not the resources cancelled because of it)', async () => {
    const failure =
      'DopLab-demo [0/4] 5s  CREATE_FAILED AlertTopic2720D535 (AWS::SNS::Topic): Resource handler returned message: "Invalid parameter: TopicName" (RequestToken: 1b2c, HandlerErrorCode: InvalidRequest)';
    const rollback =
      'DopLab-demo [0/4] 7s  ROLLBACK_IN_PROGRESS: rolling back (The following resource(s) failed to create: [AlertTopic2720D535, OrdersQueue3DFA1D51]. Rollback requested by user.)';
    const plain = await replay('failed', { tty: false });
    expect(plain.stderr.trimEnd().split('\n')).toEqual([
      'DopLab-demo: deploying (3 resources)',
      failure,
      rollback,
      'DopLab-demo [1/4] 9s  DELETE_COMPLETE AlertTopic2720D535 (AWS::SNS::Topic)',
      'DopLab-demo [2/4] 9s  DELETE_COMPLETE CDKMetadata (AWS::CDK::Metadata)',
      'DopLab-demo [3/4] 9s  DELETE_COMPLETE OrdersQueue3DFA1D51 (AWS::SQS::Queue)',
      '  ✘ DopLab-demo  ROLLBACK_COMPLETE (4/4, 11s)',
    ]);
    expect(plain.stderr).not.toContain('Resource creation cancelled');
    expect(plain.host.firstFailure).toEqual({
      logicalId: 'AlertTopic2720D535',
      type: 'AWS::SNS::Topic',
      status: 'CREATE_FAILED',
      reason: 'Resource handler returned message: "Invalid parameter: TopicName" (RequestToken: 1b2c, HandlerErrorCode: InvalidRequest)',
    });
    // At a terminal the failure and the rollback stay on screen above the outcome.
    const tty = await replay('failed', { tty: true });
    expect(screen(tty.stderr)).toEqual([failure, rollback, '  ✘ DopLab-demo  ROLLBACK_COMPLETE (4/4, 11s)']);
    expect(frames(tty.stderr)).toContain('  DopLab-demo  [###---------] 1/4  9s  rolling back');
  });

  it("passes the toolkit's own messages through with --verbose", async () => {
    const { stderr } = await replay('created', { tty: false, verbose: true });
    expect(stderr).toContain('Synthesis time:');
    expect(stderr).toContain('Deployment time:');
    expect(stderr).toContain('Stack ARN:\narn:aws:cloudformation:eu-west-1:111122223333:stack/DopLab-demo/');
    expect(stderr).toContain('  ✔ DopLab-demo  deployed (3 resources, 1m 07s)');
  });

  it('colours the bar and the outcome at a colour terminal', async () => {
    const { stderr } = await replay('created', { tty: true, color: true });
    expect(stderr).toContain('\u001b[32m████████████\u001b[39m');
    expect(stderr).toContain('\u001b[32m✔\u001b[39m DopLab-demo');
  });

  it('the toolkit itself names the failing resource in its error (recorded with the messages)', () => {
    expect(recording('failed').error).toContain('AlertTopic2720D535');
    expect(recording('created').error).toBeNull();
  });

  it('remembers the first failing resource and its reason, not the ones cancelled because of it', async () => {
    const host = new DoplabIoHost(recordingIo());
    await host.notify(activity('Generator', 'AWS::Lambda::Function', 'CREATE_FAILED', 'Resource creation cancelled'));
    await host.notify(activity('AlertTopic', 'AWS::SNS::Topic', 'CREATE_FAILED', 'Invalid parameter: TopicName'));
    await host.notify(activity('Cleanup', 'Custom::DopLabCleanup', 'CREATE_FAILED', 'later failure'));
    await host.notify(activity('DopLab-demo', 'AWS::CloudFormation::Stack', 'ROLLBACK_IN_PROGRESS', 'The following resource(s) failed to create: [AlertTopic].'));
    expect(host.firstFailure).toEqual({ logicalId: 'AlertTopic', type: 'AWS::SNS::Topic', status: 'CREATE_FAILED', reason: 'Invalid parameter: TopicName' });
  });

  it('has no failure after a clean deploy', async () => {
    const host = new DoplabIoHost(recordingIo());
    await host.notify(activity('AlertTopic', 'AWS::SNS::Topic', 'CREATE_COMPLETE'));
    expect(host.firstFailure).toBeUndefined();
  });
});

describe('LiveLine', () => {
  function harness(tty: boolean, columns = 40) {
    let stderr = '';
    const io: Io = { out: () => undefined, err: (text) => (stderr += `${text}\n`), color: false, interactive: tty };
    return { line: new LiveLine(io, { write: (text) => (stderr += text), columns: () => columns }, 0), stderr: () => stderr };
  }

  it('at a terminal: redraws in place, logs above itself, and ends with a whole line', () => {
    const h = harness(true);
    let n = 1;
    h.line.show(() => `step ${n}`);
    n = 2;
    h.line.redraw();
    h.line.log('a line that stays');
    h.line.done('finished');
    expect(h.stderr()).toBe(`${REDRAW}step 1${REDRAW}step 2${REDRAW}a line that stays\n${REDRAW}step 2${REDRAW}finished\n`);
  });

  it('not at a terminal: draws nothing in place; logs and the final line are plain lines', () => {
    const h = harness(false);
    h.line.show(() => 'step 1');
    h.line.redraw();
    h.line.log('a line that stays');
    h.line.done('finished');
    expect(h.stderr()).toBe('a line that stays\nfinished\n');
  });

  it('fits the line to the terminal width, colours kept and reset', () => {
    expect(fitLine('x'.repeat(50), 40)).toBe(`${'x'.repeat(38)}…`);
    expect(fitLine('short', 40)).toBe('short');
    expect(fitLine(`\u001b[1m${'x'.repeat(50)}\u001b[22m`, 20)).toBe(`\u001b[1m${'x'.repeat(18)}…\u001b[0m`);
  });
});

describe('onInterrupt (Ctrl-C during destroy)', () => {
  it('stops the wait on the first Ctrl-C, saying what carries on, and quits on the second', () => {
    const io = recordingIo();
    const exit = jest.fn();
    const listeners = process.listenerCount('SIGINT');
    const interrupt = onInterrupt(io, 'Stopping: CloudFormation keeps deleting in the background.', exit);
    try {
      process.emit('SIGINT');
      expect(interrupt.signal.aborted).toBe(true);
      expect(io.errText()).toBe('\nStopping: CloudFormation keeps deleting in the background. Press Ctrl-C again to quit at once.');
      expect(exit).not.toHaveBeenCalled();
      process.emit('SIGINT');
      expect(exit).toHaveBeenCalledWith(130);
    } finally {
      interrupt.dispose();
    }
    expect(process.listenerCount('SIGINT')).toBe(listeners);
  });
});
