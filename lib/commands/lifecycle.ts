import { readFileSync } from 'node:fs';
import pLimit from 'p-limit';
import { stackNameFor } from '../contract';
import { DoplabError, ExitCode } from '../errors';
import type { Io } from '../io';
import type { AnyLab } from '../registry';
import { AwsSession, type AwsOptions } from '../aws/clients';
import { BASE_STACK_NAME, EXPIRES_AT_CONTEXT } from '../cdk/base-names';
import { formatDuration } from '../duration';
import type { Asker } from '../lifecycle/guard';
import { onInterrupt } from '../lifecycle/interrupt';
import { preflight } from '../lifecycle/preflight';
import { baseExecutionRole, labIdOfStack, listDoplabStacks } from '../lifecycle/stacks';
import { deleteStack, leftoverAudit, type AuditResult, type StackDeletion, type WaitOptions } from '../lifecycle/teardown';
import { DoplabIoHost, type FirstFailure } from '../toolkit-io';

/** AWS options, plus --verbose for the toolkit's debug messages. */
export type ToolkitOptions = AwsOptions & { readonly verbose?: boolean };

/** Default lifetime of a deployed lab before its expiry schedule deletes it. */
export const DEFAULT_TTL_MS = 4 * 3600_000;

/** The CDK toolkit as deploy uses it: synthesize once, then deploy single stacks of that assembly. */
export interface StackToolkit {
  /** How many file assets a synthesized stack has (a lab must have none: it deploys without bootstrap). */
  assetCount(stackName: string): Promise<number>;
  /** The synthesized template of a stack. */
  template(stackName: string): Promise<unknown>;
  /** Deploys one stack; resolves to its outputs (CloudFormation's, as the toolkit returns them). */
  deploy(stackName: string, options?: { readonly roleArn?: string }): Promise<DeployedOutputs | void>;
  /** The first failed resource event the toolkit reported. */
  firstFailure(): FirstFailure | undefined;
  dispose(): Promise<void>;
}

/** A deployed stack's outputs, by output key. */
export interface DeployedOutputs {
  readonly outputs: Readonly<Record<string, string>>;
}

/** What the lifecycle commands take from outside; tests replace each. */
export interface LifecycleDeps {
  readonly session?: AwsSession;
  readonly asker?: Asker;
  readonly env?: NodeJS.ProcessEnv;
  readonly toolkit?: (lab: AnyLab, aws: ToolkitOptions, io: Io, context: Record<string, string>) => Promise<StackToolkit>;
  readonly wait?: WaitOptions;
  readonly audit?: { readonly settleRetries?: number; readonly settleMs?: number; readonly sleep?: (ms: number) => Promise<void> };
  readonly now?: () => number;
}

function asker(deps: LifecycleDeps): Asker {
  if (deps.asker) return deps.asker;
  const { terminalAsker } = require('../lifecycle/guard') as typeof import('../lifecycle/guard');
  return terminalAsker();
}

// The CDK toolkit library and aws-cdk-lib are loaded here only, on demand: `check` must stay fast.
async function loadToolkit(aws: ToolkitOptions, io: Io, host = new DoplabIoHost(io, aws.verbose)) {
  // The toolkit's own SDK clients read these like the AWS CLI does.
  if (aws.region) process.env.AWS_REGION = aws.region;
  if (aws.endpointUrl) process.env.AWS_ENDPOINT_URL = aws.endpointUrl;
  const toolkitLib: typeof import('@aws-cdk/toolkit-lib') = require('@aws-cdk/toolkit-lib');
  const toolkit = new toolkitLib.Toolkit({
    sdkConfig: { baseCredentials: toolkitLib.BaseCredentials.awsCliCompatible({ profile: aws.profile }) },
    ioHost: host,
    color: io.color,
    emojis: false,
  });
  return { toolkit, toolkitLib };
}

/** The CDK app of one lab (plus DopLab-Base), synthesized in-process (no `cdk` subprocess). */
async function labAssembly(lab: AnyLab, aws: ToolkitOptions, io: Io, context: Record<string, string> = {}, host?: DoplabIoHost) {
  const { toolkit, toolkitLib } = await loadToolkit(aws, io, host);
  const cdk: typeof import('aws-cdk-lib') = require('aws-cdk-lib');
  const { addBaseStack } = require('../cdk/base-stack') as typeof import('../cdk/base-stack');
  const stackModule = await lab.loadStack();
  const assembly = await toolkit.fromAssemblyBuilder(async (props) => {
    const app = new cdk.App({ outdir: props.outdir, context: { ...props.context, ...context } });
    addBaseStack(app);
    stackModule.addLabStack(app);
    return app.synth();
    // Measured: without it every synth and deploy left its cloud assembly in the temp directory (cdk.outXXXX).
  }, { disposeOutdir: true });
  const select = (name: string) => ({ strategy: toolkitLib.StackSelectionStrategy.PATTERN_MUST_MATCH_SINGLE, patterns: [name] });
  return { toolkit, assembly, select };
}

/** The real StackToolkit: the CDK toolkit library with doplab's IoHost. */
export async function cdkToolkit(lab: AnyLab, aws: ToolkitOptions, io: Io, context: Record<string, string>): Promise<StackToolkit> {
  const host = new DoplabIoHost(io, aws.verbose);
  const { toolkit, assembly, select } = await labAssembly(lab, aws, io, context, host);
  const cached = await toolkit.synth(assembly, { stacks: select(stackNameFor(lab.id)) });
  return {
    assetCount: async (name) => cached.cloudAssembly.getStackByName(name).assets.length,
    template: async (name) => cached.cloudAssembly.getStackByName(name).template,
    deploy: async (name, options = {}) => {
      try {
        const result = await toolkit.deploy(cached, { stacks: select(name), roleArn: options.roleArn });
        return { outputs: result.stacks.find((s) => s.stackName === name)?.outputs ?? host.outputs.get(name) ?? {} };
      } finally {
        // The stack's progress line ends here, also when the deploy failed.
        host.close();
      }
    },
    firstFailure: () => host.firstFailure,
    dispose: async () => {
      host.close();
      await cached.dispose();
    },
  };
}

function toolkitFailure(code: 'DEPLOY_FAILED' | 'DESTROY_FAILED', lab: AnyLab, error: unknown, failure?: FirstFailure): DoplabError {
  const message = error instanceof Error ? error.message : String(error);
  if (/Could not load credentials|Need to perform AWS calls|Unable to resolve AWS account/i.test(message)) {
    return new DoplabError('NO_CREDENTIALS', 'environment', `No usable AWS credentials to ${code === 'DEPLOY_FAILED' ? 'deploy' : 'destroy'} ${lab.id}: ${message}`, {
      cause: error,
      hint: 'Pass --profile, set AWS_PROFILE, run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.',
    });
  }
  const cause = failure ? ` First failing resource: ${failure.logicalId} (${failure.type}) ${failure.status}: ${failure.reason}` : '';
  return new DoplabError(code, 'environment', `${code === 'DEPLOY_FAILED' ? 'Deploying' : 'Destroying'} ${lab.id} failed: ${message}.${cause}`, {
    cause: error,
    hint:
      code === 'DEPLOY_FAILED'
        ? `CloudFormation rolled the stack back; fix the cause, then run doplab deploy ${lab.id} again (a stack that failed to create is replaced).`
        : `Run doplab destroy ${lab.id} again.`,
  });
}

/** Options of `doplab deploy`. */
export interface DeployOptions {
  readonly yes?: boolean;
  /** Lifetime before the expiry schedule deletes the stack; null for none. @default DEFAULT_TTL_MS */
  readonly ttlMs?: number | null;
}

/**
 * `doplab deploy <lab>`: preflight (credentials, sandbox guard, lab preconditions, no bootstrap needed),
 * then DopLab-Base (created or updated, a no-op when unchanged), then the lab's stack with the base's
 * execution role. Deploying a deployed lab updates it.
 */
export async function deployLab(lab: AnyLab, aws: ToolkitOptions, io: Io, options: DeployOptions = {}, deps: LifecycleDeps = {}): Promise<number> {
  const session = deps.session ?? new AwsSession(aws);
  const now = deps.now ?? Date.now;
  try {
    const pre = await preflight(session, io, { verb: `deploy ${lab.id}`, lab, runLabHook: true }, { yes: options.yes, asker: asker(deps), env: deps.env });
    const region = pre.identity.region;
    const ttl = options.ttlMs === undefined ? DEFAULT_TTL_MS : options.ttlMs;
    const started = now();
    const expiresAt = ttl === null ? undefined : new Date(started + ttl);
    io.err(
      `Deploying ${lab.id} (${stackNameFor(lab.id)}) to ${region}: about ${lab.deployMinutes} min, ` +
        `~$${lab.cost.usdPerHour.toFixed(4)}/hour while deployed` +
        (expiresAt ? `; deletes itself at ${expiresAt.toISOString()} (--ttl).` : '; no expiry (--ttl none): remember doplab destroy.'),
    );
    const context: Record<string, string> = { ...pre.context };
    if (expiresAt) context[EXPIRES_AT_CONTEXT] = expiresAt.toISOString();
    const toolkit = await (deps.toolkit ?? cdkToolkit)(lab, { ...aws, region }, io, context);
    // Ctrl-C: CloudFormation carries on and doplab keeps no local state, so say what to run next and quit.
    const stop = () => {
      io.err(`\nStopped following the deploy: CloudFormation carries on. Run doplab deploy ${lab.id} again to follow it, or doplab destroy ${lab.id}.`);
      process.exit(130);
    };
    if (!deps.toolkit) process.once('SIGINT', stop);
    let deployed: DeployedOutputs | void;
    try {
      const assets = await toolkit.assetCount(stackNameFor(lab.id));
      if (assets > 0) {
        throw new DoplabError('NEEDS_BOOTSTRAP', 'harness', `${stackNameFor(lab.id)} has ${assets} file asset(s), so it would need cdk bootstrap; doplab labs deploy without it.`, {
          hint: 'This is a bug in the lab: use inline code (InlineFunction, InlineCleanup) instead of assets.',
        });
      }
      await deployStep(() => toolkit.deploy(BASE_STACK_NAME), lab, toolkit);
      const roleArn = await baseExecutionRole(session, region);
      if (!roleArn) {
        throw new DoplabError('DEPLOY_FAILED', 'environment', `${BASE_STACK_NAME} in ${region} has no usable execution role after deploying it.`, {
          hint: `Look at ${BASE_STACK_NAME} in the CloudFormation console, then run doplab deploy ${lab.id} again.`,
        });
      }
      deployed = await deployStep(() => toolkit.deploy(stackNameFor(lab.id), { roleArn }), lab, toolkit);
    } finally {
      process.off('SIGINT', stop);
      await toolkit.dispose();
    }
    io.err(`Deployed ${lab.id} in ${formatDuration(now() - started)}.`);
    const shown = outputsTheReadmeNames(lab, deployed?.outputs ?? {});
    if (shown.length > 0) {
      io.err('Stack outputs the instructions refer to:');
      const width = Math.max(...shown.map(([key]) => key.length));
      for (const [key, value] of shown) io.err(`  ${key.padEnd(width)}  ${value}`);
    }
    io.err(`Next: doplab show ${lab.id} (the tasks), then doplab check ${lab.id} when you are done.`);
    return ExitCode.OK;
  } finally {
    if (!deps.session) session.destroy();
  }
}

/** The outputs whose keys the lab's README mentions (as a whole word), in the README's order. */
export function outputsTheReadmeNames(lab: Pick<AnyLab, 'instructions'>, outputs: Readonly<Record<string, string>>): [string, string][] {
  let readme: string;
  try {
    readme = readFileSync(lab.instructions, 'utf8');
  } catch {
    return [];
  }
  const at = (key: string) => readme.search(new RegExp(`(?<![\\w-])${key.replace(/[^\w]/g, '\\$&')}(?![\\w-])`));
  return Object.entries(outputs)
    .filter(([key]) => at(key) >= 0)
    .sort(([a], [b]) => at(a) - at(b));
}

async function deployStep<T>(step: () => Promise<T>, lab: AnyLab, toolkit: StackToolkit): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof DoplabError) throw error;
    throw toolkitFailure('DEPLOY_FAILED', lab, error, toolkit.firstFailure());
  }
}

/** Options of `doplab destroy`. */
export interface DestroyOptions {
  readonly yes?: boolean;
  /** Every doplab lab in the region, then DopLab-Base. */
  readonly all?: boolean;
}

/** What destroying one lab did. */
export interface LabTeardown {
  readonly labId: string;
  readonly deletion: StackDeletion;
  readonly audit: AuditResult;
}

/** Deletes one lab's stack and audits what is left; reports both. Used by destroy and selftest. */
export async function teardownLab(
  lab: Pick<AnyLab, 'id' | 'regions' | 'leftovers'>,
  session: AwsSession,
  where: { readonly account: string; readonly region: string },
  io: Io,
  deps: Pick<LifecycleDeps, 'wait' | 'audit'> & { readonly signal?: AbortSignal } = {},
): Promise<LabTeardown> {
  const name = stackNameFor(lab.id);
  const started = Date.now();
  const deletion = await deleteStack(session, name, where.region, io, { ...deps.wait, signal: deps.signal ?? deps.wait?.signal });
  if (!deletion.existed) io.err(`${name} is not deployed in ${where.region}: nothing to delete.`);
  else io.err(`Deleted ${name} in ${formatDuration(Date.now() - started)}${deletion.attempts > 1 ? ' (second attempt)' : ''}.`);
  for (const r of deletion.removed) io.err(`  removed ${r.type} ${r.physicalId}`);
  const audit = await leftoverAudit(session, lab, where, { ...deps.audit, io, stack: deletion.stack });
  for (const d of audit.dismissed) io.err(`  not counted ${d.resource} (${d.region}): listed by the tagging API, but ${d.why}`);
  if (audit.leftovers.length === 0) {
    io.err(`Leftover audit: nothing tagged doplab:lab=${lab.id} or known to linger is left in ${audit.regions.join(', ')}.`);
  } else {
    io.err(`Leftover audit: ${audit.leftovers.length} resource(s) of ${lab.id} are left:`);
    for (const l of audit.leftovers) io.err(`  left ${l.resource} (${l.region}): ${l.reason}`);
  }
  return { labId: lab.id, deletion, audit };
}

/** How many lab stacks `destroy --all` deletes at once (each waits minutes on CloudFormation). */
export const DESTROY_ALL_CONCURRENCY = 4;

/** An Io whose every line starts with `[<lab id>] `, so that parallel deletions stay readable. */
export function prefixedIo(io: Io, prefix: string): Io {
  const tag = (text: string) =>
    text
      .replace(/\n$/, '')
      .split('\n')
      .map((line) => (line ? `[${prefix}] ${line}` : line))
      .join('\n');
  return { ...io, out: (text) => io.out(tag(text)), err: (text) => io.err(tag(text)) };
}

/** Why a lab of `destroy --all` was not torn down: Ctrl-C came before its turn. */
const NOT_STARTED = 'not started: interrupted before its turn';

/** What `destroy --all` did to one lab. */
export interface LabOutcome {
  readonly labId: string;
  /** `clean`: stack gone, nothing left; `left`: the audit found leftovers; `failed`: the teardown threw; `interrupted`: Ctrl-C. */
  readonly result: 'clean' | 'left' | 'failed' | 'interrupted';
  readonly teardown?: LabTeardown;
  /** What went wrong, for `failed` and `interrupted`. */
  readonly error?: string;
}

/**
 * `doplab destroy <lab>` / `destroy --all`: sandbox guard, delete the stack (retry once on DELETE_FAILED, also
 * when it was found DELETE_FAILED, e.g. after an expiry), then the leftover audit. Exit 0 when nothing is left
 * (also when there was nothing to delete), 1 when something is. `--all` deletes the lab stacks in parallel, goes
 * on past a lab whose teardown fails, keeps DopLab-Base while any lab stack remains, and ends with a summary per
 * lab. The first Ctrl-C stops waiting (CloudFormation carries on); a second quits at once.
 */
export async function destroyLab(lab: AnyLab | undefined, aws: AwsOptions, io: Io, options: DestroyOptions = {}, deps: LifecycleDeps = {}): Promise<number> {
  const session = deps.session ?? new AwsSession(aws);
  const interrupt = deps.wait?.signal
    ? undefined
    : onInterrupt(io, 'Stopping: CloudFormation keeps deleting in the background. Run the same doplab destroy again to wait for it and audit.');
  const signal = deps.wait?.signal ?? interrupt?.signal;
  try {
    const verb = options.all ? 'destroy every doplab lab and DopLab-Base' : `destroy ${lab?.id}`;
    const pre = await preflight(session, io, { verb }, { yes: options.yes, asker: asker(deps), env: deps.env });
    const where = { account: pre.identity.account, region: pre.identity.region };
    if (options.all) return await destroyAll(session, where, io, { ...deps, signal });
    if (!lab) return ExitCode.OK;
    return (await teardownLab(lab, session, where, io, { ...deps, signal })).audit.leftovers.length === 0 ? ExitCode.OK : ExitCode.CHECKS_FAILED;
  } catch (error) {
    if (error instanceof DoplabError && error.code === 'INTERRUPTED') {
      io.err(`doplab: ${error.message}`);
      if (error.hint) io.err(`  ${error.hint}`);
      return 130;
    }
    throw error;
  } finally {
    interrupt?.dispose();
    if (!deps.session) session.destroy();
  }
}

/** What became of DopLab-Base: `ok` when it is gone. */
interface BaseOutcome {
  readonly stack: string;
  readonly result: string;
  readonly ok: boolean;
}

/** Every lab stack of the region, then DopLab-Base once no lab stack is left (its role deletes them). */
async function destroyAll(
  session: AwsSession,
  where: { readonly account: string; readonly region: string },
  io: Io,
  deps: LifecycleDeps & { readonly signal?: AbortSignal },
): Promise<number> {
  const { allLabs } = require('../registry') as typeof import('../registry');
  const known = allLabs();
  const ids = (await listDoplabStacks(session, where.region)).map((s) => labIdOfStack(s.StackName ?? '')).filter((id): id is string => !!id);
  if (ids.length) io.err(`Deleting ${ids.length} lab stack(s) in ${where.region}, up to ${DESTROY_ALL_CONCURRENCY} at a time: ${ids.join(', ')}.`);
  const limit = pLimit(DESTROY_ALL_CONCURRENCY);
  const outcomes = await Promise.all(
    ids.map((id) =>
      limit(async (): Promise<LabOutcome> => {
        const labIo = prefixedIo(io, id);
        if (deps.signal?.aborted) return { labId: id, result: 'interrupted', error: NOT_STARTED };
        try {
          const teardown = await teardownLab(known.find((l) => l.id === id) ?? { id }, session, where, labIo, deps);
          return { labId: id, result: teardown.audit.leftovers.length === 0 ? 'clean' : 'left', teardown };
        } catch (error) {
          // One lab's failure must not stop the others: report it and go on.
          const interrupted = error instanceof DoplabError && error.code === 'INTERRUPTED';
          const message = error instanceof Error ? error.message : String(error);
          labIo.err(`${interrupted ? 'Stopped' : 'Failed'}: ${message}`);
          return { labId: id, result: interrupted ? 'interrupted' : 'failed', error: message };
        }
      }),
    ),
  );

  // The account is the source of truth: delete the base only when no lab stack is left at all.
  let base: BaseOutcome;
  const interrupted = outcomes.some((o) => o.result === 'interrupted');
  if (interrupted) {
    base = { stack: 'kept', result: 'not deleted: interrupted', ok: false };
  } else {
    const remaining = await listDoplabStacks(session, where.region).then(
      (stacks) => stacks.map((s) => s.StackName ?? '').filter((name) => labIdOfStack(name)),
      (error: unknown) => error as Error,
    );
    if (remaining instanceof Error) {
      base = { stack: 'kept', result: `not deleted: could not tell whether lab stacks remain (${remaining.message})`, ok: false };
    } else if (remaining.length > 0) {
      base = { stack: 'kept', result: `not deleted: its role deletes lab stacks, and ${remaining.length} remain (${remaining.join(', ')})`, ok: false };
    } else {
      try {
        const deletion = await deleteStack(session, BASE_STACK_NAME, where.region, prefixedIo(io, BASE_STACK_NAME), { ...deps.wait, signal: deps.signal });
        base = { stack: deletion.existed ? 'deleted' : 'not deployed', result: 'clean', ok: true };
      } catch (error) {
        if (error instanceof DoplabError && error.code === 'INTERRUPTED') throw error;
        base = { stack: 'NOT deleted', result: `FAILED: ${error instanceof Error ? error.message : String(error)}`, ok: false };
      }
    }
  }

  printSummary(io, where.region, outcomes, base);
  if (interrupted) {
    io.err('doplab: stopped waiting: CloudFormation keeps deleting in the background.');
    io.err('  Run doplab destroy --all again to wait for it, audit, and delete DopLab-Base.');
    return 130;
  }
  return outcomes.every((o) => o.result === 'clean') && base.ok ? ExitCode.OK : ExitCode.CHECKS_FAILED;
}

function printSummary(io: Io, region: string, outcomes: readonly LabOutcome[], base: BaseOutcome): void {
  const rows = outcomes.map((o) => {
    const stack = o.teardown ? (o.teardown.deletion.existed ? 'deleted' : 'not deployed') : o.error === NOT_STARTED ? 'untouched' : o.result === 'interrupted' ? 'still deleting' : 'NOT deleted';
    const left = o.teardown ? String(o.teardown.audit.leftovers.length) : '?';
    const result = o.result === 'clean' ? 'clean' : o.result === 'left' ? `${left} left (listed above)` : `${o.result.toUpperCase()}: ${o.error}`;
    return [o.labId, stack, left, result];
  });
  const table = [['lab', 'stack', 'left', 'result'], ...rows, [BASE_STACK_NAME, base.stack, '-', base.result]];
  const widths = [0, 1, 2].map((c) => Math.max(...table.map((r) => r[c].length)));
  io.err(`\nSummary of destroy --all in ${region}:`);
  for (const r of table) io.err(`  ${r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell)).join('  ').trimEnd()}`);
}

/** `doplab synth <lab>`: the lab's CloudFormation template, synthesized offline (no expiry schedule: no context). */
export async function synthLab(lab: AnyLab, io: Io, options: { verbose?: boolean } = {}): Promise<number> {
  const { toolkit, assembly, select } = await labAssembly(lab, options, io);
  const cached = await toolkit.synth(assembly, { stacks: select(stackNameFor(lab.id)) });
  try {
    const artifact = cached.cloudAssembly.getStackByName(stackNameFor(lab.id));
    io.out(JSON.stringify(artifact.template, null, 2));
  } finally {
    await cached.dispose();
  }
  return 0;
}
