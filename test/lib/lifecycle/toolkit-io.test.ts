import type { IoMessage, StackActivity } from '@aws-cdk/toolkit-lib';
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

describe('DoplabIoHost', () => {
  it('prints each resource event with the time elapsed since the first', async () => {
    const io = recordingIo();
    let t = 0;
    const host = new DoplabIoHost(io, false, () => (t += 65_000));
    await host.notify(activity('AppLogGroup', 'AWS::Logs::LogGroup', 'CREATE_IN_PROGRESS'));
    await host.notify(activity('AppLogGroup', 'AWS::Logs::LogGroup', 'CREATE_COMPLETE'));
    expect(io.errText().split('\n')).toEqual([
      expect.stringMatching(/\[1\/4\] CREATE_IN_PROGRESS +AWS::Logs::LogGroup +AppLogGroup {2}0s$/),
      expect.stringMatching(/\[1\/4\] CREATE_COMPLETE +AWS::Logs::LogGroup +AppLogGroup {2}1m 05s$/),
    ]);
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
