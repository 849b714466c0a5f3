import type { IIoHost, IoMessage, IoRequest, StackActivity } from '@aws-cdk/toolkit-lib';
import { createColors } from 'picocolors';
import type { Io } from './io';

/**
 * How the CDK toolkit library talks to the user during deploy/destroy: everything on stderr (stdout
 * stays for results, e.g. `synth > template.json`), one line per CloudFormation resource event with
 * progress, failures in red, and the default answer to every question (the CLI asks its own first).
 */
export class DoplabIoHost implements IIoHost {
  constructor(
    private readonly io: Io,
    private readonly verbose = false,
  ) {}

  async notify(msg: IoMessage<unknown>): Promise<void> {
    if (msg.code === 'CDK_TOOLKIT_I5502') {
      this.io.err(formatActivity(msg.data as StackActivity, this.io.color));
      return;
    }
    if (msg.level === 'error' || msg.level === 'warn' || msg.level === 'result' || msg.level === 'info' || this.verbose) {
      const text = msg.message.trimEnd();
      if (text) this.io.err(text);
    }
  }

  async requestResponse<T>(msg: IoRequest<unknown, T>): Promise<T> {
    return msg.defaultResponse;
  }
}

/** `[ 3/12] CREATE_COMPLETE  AWS::Logs::LogGroup  AppLogGroup  reason`. */
export function formatActivity(activity: StackActivity, color: boolean): string {
  const c = createColors(color);
  const e = activity.event;
  const status = e.ResourceStatus ?? '';
  const paint = /FAILED/.test(status) ? c.red : /ROLLBACK/.test(status) ? c.yellow : /COMPLETE$/.test(status) ? c.green : (s: string) => s;
  const progress = activity.progress.total ? `${String(activity.progress.completed).padStart(String(activity.progress.total).length)}/${activity.progress.total}` : activity.progress.formatted;
  const reason = e.ResourceStatusReason && /FAILED|ROLLBACK/.test(status) ? `  ${c.red(e.ResourceStatusReason)}` : '';
  return `  [${progress}] ${paint(status.padEnd(20))} ${(e.ResourceType ?? '').padEnd(32)} ${e.LogicalResourceId ?? ''}${reason}`;
}
