import type { IIoHost, IoMessage, IoRequest, StackActivity } from '@aws-cdk/toolkit-lib';
import { createColors } from 'picocolors';
import { formatDuration } from './duration';
import type { Io } from './io';

/** The first resource CloudFormation reported as failed, and why. */
export interface FirstFailure {
  readonly logicalId: string;
  readonly type: string;
  readonly status: string;
  readonly reason: string;
}

// Secondary failures: resources CloudFormation stopped because another one failed first.
const CONSEQUENTIAL = /Resource (creation|update) cancelled/i;

/**
 * How the CDK toolkit library talks to the user during deploy/destroy: everything on stderr (stdout
 * stays for results, e.g. `synth > template.json`), one line per CloudFormation resource event with
 * progress, failures in red, and the default answer to every question (the CLI asks its own first).
 */
export class DoplabIoHost implements IIoHost {
  /** The first failed resource event seen, to name the cause when the toolkit's error does not. */
  firstFailure?: FirstFailure;
  private started?: number;
  private deployment?: string;

  constructor(
    private readonly io: Io,
    private readonly verbose = false,
    private readonly now: () => number = Date.now,
  ) {}

  async notify(msg: IoMessage<unknown>): Promise<void> {
    if (msg.code === 'CDK_TOOLKIT_I5502') {
      const activity = msg.data as StackActivity;
      const now = this.now();
      // Elapsed time per stack deployment (deploy runs DopLab-Base, then the lab).
      if (activity.deployment !== this.deployment || this.started === undefined) {
        this.deployment = activity.deployment;
        this.started = now;
      }
      this.noteFailure(activity);
      this.io.err(`${formatActivity(activity, this.io.color)}  ${formatDuration(now - this.started)}`);
      return;
    }
    if (msg.level === 'error' || msg.level === 'warn' || msg.level === 'result' || msg.level === 'info' || this.verbose) {
      const text = msg.message.trimEnd();
      if (text) this.io.err(text);
    }
  }

  private noteFailure(activity: StackActivity): void {
    const e = activity.event;
    if (this.firstFailure || !/FAILED$/.test(e.ResourceStatus ?? '') || e.ResourceType === 'AWS::CloudFormation::Stack') return;
    if (CONSEQUENTIAL.test(e.ResourceStatusReason ?? '')) return;
    this.firstFailure = {
      logicalId: e.LogicalResourceId ?? '?',
      type: e.ResourceType ?? '?',
      status: e.ResourceStatus ?? '?',
      reason: e.ResourceStatusReason ?? 'no reason given',
    };
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
