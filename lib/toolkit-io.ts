import type { IIoHost, IoMessage, IoRequest, StackActivity } from '@aws-cdk/toolkit-lib';
import { createColors } from 'picocolors';
import { formatDuration } from './duration';
import type { Io } from './io';
import { LiveLine } from './report/live-line';

/** The first resource CloudFormation reported as failed, and why. */
export interface FirstFailure {
  readonly logicalId: string;
  readonly type: string;
  readonly status: string;
  readonly reason: string;
}

// Secondary failures: resources CloudFormation stopped because another one failed first.
const CONSEQUENTIAL = /Resource (creation|update) cancelled/i;

// The toolkit's message codes doplab draws itself (@aws-cdk/toolkit-lib, lib/api/io/private/messages.ts).
/** Stack deploy progress (span start): `StackDeployProgress`, sent before the toolkit knows whether anything changes. */
const DEPLOY_START = 'CDK_TOOLKIT_I5100';
/** Stack monitoring starts (CloudFormation is working): `StackMonitoringControlEvent`. */
const MONITOR_START = 'CDK_TOOLKIT_I5501';
/** One CloudFormation stack event: `StackActivity`. */
const ACTIVITY = 'CDK_TOOLKIT_I5502';
/** Stack monitoring ends: `StackMonitoringControlEvent`. */
const MONITOR_END = 'CDK_TOOLKIT_I5503';
/** Deployment result on success: `SuccessfulDeployStackResult` (outputs, noOp, stackArn). */
const DEPLOY_RESULT = 'CDK_TOOLKIT_I5900';

/** What `doplab deploy` shows of one stack while it deploys. */
interface StackView {
  readonly name: string;
  readonly started: number;
  /** Resources in the template, plus the stack itself (as the toolkit counts). */
  total?: number;
  completed: number;
  /** Resources CloudFormation is working on, oldest first: logical id → status, type. */
  readonly working: Map<string, { readonly status: string; readonly type: string }>;
  /** The stack's own latest status (CREATE_IN_PROGRESS, ROLLBACK_IN_PROGRESS…). */
  stackStatus?: string;
  monitored: boolean;
  finished: boolean;
}

const VERB: Record<string, string> = { CREATE: 'creating', UPDATE: 'updating', DELETE: 'deleting', IMPORT: 'importing', ROLLBACK: 'rolling back' };

/** The stack name in a stack ARN (`arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>`). */
function stackNameOfArn(arn: string): string | undefined {
  return /:stack\/([^/]+)\//.exec(arn)?.[1];
}

/**
 * How the CDK toolkit library talks to the user during deploy/destroy, on stderr (stdout stays for
 * results, e.g. `synth > template.json`): one compact progress display per stack (resources done / total,
 * elapsed, the resource in progress) redrawn in place at a terminal, or one line per event that matters
 * (a resource done or failed, the stack started, rolled back or done) otherwise; each failure with its
 * reason. The toolkit's own messages (stack ARNs, "Synthesis time", "Deployment time"…) only with
 * --verbose; its warnings and errors always. Questions get their default answer (the CLI asks its own first).
 */
export class DoplabIoHost implements IIoHost {
  /** The first failed resource event seen, to name the cause when the toolkit's error does not. */
  firstFailure?: FirstFailure;
  /** Outputs of each stack deployed (from the toolkit's deployment result), by stack name. */
  readonly outputs = new Map<string, Readonly<Record<string, string>>>();
  private readonly stacks = new Map<string, StackView>();
  private current?: StackView;
  private readonly line: LiveLine;
  private readonly c: ReturnType<typeof createColors>;

  constructor(
    private readonly io: Io,
    private readonly verbose = false,
    private readonly now: () => number = Date.now,
    line?: LiveLine,
  ) {
    this.line = line ?? new LiveLine(io);
    this.c = createColors(io.color);
  }

  async notify(msg: IoMessage<unknown>): Promise<void> {
    switch (msg.code) {
      case DEPLOY_START: {
        const data = msg.data as { stack?: { stackName?: string; template?: { Resources?: Record<string, unknown> } } } | undefined;
        if (data?.stack?.stackName) this.begin(data.stack.stackName, Object.keys(data.stack.template?.Resources ?? {}).length + 1);
        break;
      }
      case MONITOR_START: {
        const data = msg.data as { stackName: string; resourcesTotal?: number };
        const view = this.begin(data.stackName);
        view.monitored = true;
        // The toolkit counts the stack itself among the resources (its own CREATE_COMPLETE closes the count).
        if (data.resourcesTotal !== undefined) view.total = data.resourcesTotal;
        if (!this.line.interactive) this.io.err(`${view.name}: deploying${view.total ? ` (${view.total - 1} resources)` : ''}`);
        break;
      }
      case ACTIVITY:
        this.activity(msg.data as StackActivity);
        return;
      case MONITOR_END: {
        const data = msg.data as { stackName: string };
        const view = this.stacks.get(data.stackName);
        // A stack that rolled back or failed ends here (no result follows); a successful one at its result.
        if (view && !view.finished && /ROLLBACK|FAILED/.test(view.stackStatus ?? '')) this.finish(view, 'failed');
        break;
      }
      case DEPLOY_RESULT: {
        const data = msg.data as { noOp?: boolean; outputs?: Record<string, string>; stackArn?: string };
        const name = data.stackArn ? stackNameOfArn(data.stackArn) : this.current?.name;
        if (name) {
          this.outputs.set(name, { ...(data.outputs ?? {}) });
          const view = this.begin(name);
          if (!view.finished) this.finish(view, data.noOp || !view.monitored ? 'unchanged' : 'deployed');
        }
        break;
      }
    }
    if (msg.code === ACTIVITY) return;
    if (msg.level === 'error' || msg.level === 'warn' || this.verbose) {
      const text = msg.message.trimEnd();
      if (text) this.line.log(text);
    }
  }

  async requestResponse<T>(msg: IoRequest<unknown, T>): Promise<T> {
    return msg.defaultResponse;
  }

  /** Stops the live line (at the end of a deploy, or when it fails). */
  close(): void {
    this.line.done();
  }

  private begin(name: string, total?: number): StackView {
    let view = this.stacks.get(name);
    if (!view) {
      view = { name, started: this.now(), total, completed: 0, working: new Map(), monitored: false, finished: false };
      this.stacks.set(name, view);
    }
    if (this.current !== view) {
      this.current = view;
      const shown = view;
      this.line.show(() => this.render(shown));
    }
    return view;
  }

  private activity(activity: StackActivity): void {
    const e = activity.event;
    const view = this.begin(e.StackName ?? '?');
    view.monitored = true;
    if (activity.progress.total !== undefined) view.total = activity.progress.total;
    view.completed = activity.progress.completed;
    const status = e.ResourceStatus ?? '';
    const logicalId = e.LogicalResourceId ?? '?';
    const type = e.ResourceType ?? '?';
    const elapsed = formatDuration(this.now() - view.started);
    const progress = `[${view.completed}${view.total ? `/${view.total}` : ''}]`;
    if (type === 'AWS::CloudFormation::Stack' && logicalId === view.name) {
      const rollingBack = /ROLLBACK_IN_PROGRESS$/.test(status) && !/ROLLBACK/.test(view.stackStatus ?? '');
      view.stackStatus = status;
      if (rollingBack) this.line.log(this.c.yellow(`${view.name} ${progress} ${elapsed}  ${status}: rolling back${e.ResourceStatusReason ? ` (${e.ResourceStatusReason})` : ''}`));
      this.line.redraw();
      return;
    }
    if (/_IN_PROGRESS$/.test(status)) {
      view.working.delete(logicalId);
      view.working.set(logicalId, { status, type });
    } else {
      view.working.delete(logicalId);
    }
    if (/FAILED$/.test(status)) {
      const first = this.noteFailure(activity);
      // Resources CloudFormation cancelled because another failed are counted, not listed.
      if (first || !CONSEQUENTIAL.test(e.ResourceStatusReason ?? '')) {
        this.line.log(this.c.red(`${view.name} ${progress} ${elapsed}  ${status} ${logicalId} (${type}): ${e.ResourceStatusReason ?? 'no reason given'}`));
      }
    } else if (/_COMPLETE$/.test(status) && !this.line.interactive) {
      this.io.err(`${view.name} ${progress} ${elapsed}  ${status} ${logicalId} (${type})`);
    }
    this.line.redraw();
  }

  /** `  DopLab-x  [████░░░░]  7/19  1m 12s  creating Generator (AWS::Lambda::Function) +2 more`. */
  private render(view: StackView): string {
    const c = this.c;
    const elapsed = formatDuration(this.now() - view.started);
    const count = view.total ? `${String(view.completed).padStart(String(view.total).length)}/${view.total}` : String(view.completed);
    const width = 12;
    const filled = view.total ? Math.min(width, Math.round((view.completed / view.total) * width)) : 0;
    const bar = this.io.color ? c.green('█'.repeat(filled)) + c.dim('░'.repeat(width - filled)) : `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    const latest = [...view.working.entries()].at(-1);
    let doing = view.monitored ? 'waiting for CloudFormation' : 'preparing';
    if (/ROLLBACK_IN_PROGRESS$/.test(view.stackStatus ?? '')) doing = c.yellow('rolling back');
    else if (latest) {
      const [id, { status, type }] = latest;
      const verb = VERB[status.replace(/_IN_PROGRESS$/, '').replace(/^UPDATE_ROLLBACK$/, 'ROLLBACK')] ?? status.toLowerCase();
      doing = `${verb} ${id} ${c.dim(`(${type})`)}${view.working.size > 1 ? ` +${view.working.size - 1} more` : ''}`;
    }
    return `  ${c.bold(view.name)}  [${bar}] ${count}  ${elapsed}  ${doing}`;
  }

  private finish(view: StackView, how: 'deployed' | 'unchanged' | 'failed'): void {
    view.finished = true;
    const c = this.c;
    const elapsed = formatDuration(this.now() - view.started);
    const count = view.total ? `${view.completed}/${view.total}, ` : '';
    const final =
      how === 'deployed'
        ? `  ${c.green('✔')} ${view.name}  deployed (${view.total ? `${view.total - 1} resources, ` : ''}${elapsed})`
        : how === 'unchanged'
          ? `  ${c.green('✔')} ${view.name}  no changes (${elapsed})`
          : `  ${c.red('✘')} ${view.name}  ${view.stackStatus ?? 'failed'} (${count}${elapsed})`;
    if (this.current === view) this.current = undefined;
    this.line.done(final);
  }

  /** Remembers the first real failure; true when this event is it. */
  private noteFailure(activity: StackActivity): boolean {
    const e = activity.event;
    if (this.firstFailure || !/FAILED$/.test(e.ResourceStatus ?? '') || e.ResourceType === 'AWS::CloudFormation::Stack') return false;
    if (CONSEQUENTIAL.test(e.ResourceStatusReason ?? '')) return false;
    this.firstFailure = {
      logicalId: e.LogicalResourceId ?? '?',
      type: e.ResourceType ?? '?',
      status: e.ResourceStatus ?? '?',
      reason: e.ResourceStatusReason ?? 'no reason given',
    };
    return true;
  }
}
