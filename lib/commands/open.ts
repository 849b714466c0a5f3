import { resolve } from 'node:path';
import type { AwsOptions, AwsSession } from '../aws/clients';
import type { Identity } from '../aws/lab-stack';
import { stackNameFor } from '../contract';
import { allPassed } from '../engine';
import { DoplabError, ExitCode } from '../errors';
import { loadFactsFile } from '../facts-file';
import type { Io } from '../io';
import type { AnyLab } from '../registry';
import type { ShownCommand } from '../web/page';
import type { LabSource } from '../web/lab-page';
import { checkFactsFile, checkLive, rememberPassed } from './check';

/** Options of `doplab open`. */
export interface OpenOptions {
  /** `--port`, as typed; a free port when absent. */
  readonly port?: string;
  /** Open the default browser (`--no-browser`: only print the address). @default true */
  readonly browser?: boolean;
  /** Show a saved facts file instead of calling AWS. */
  readonly facts?: string;
}

/** What tests replace. */
export interface OpenDeps {
  readonly session?: AwsSession;
  /** Resolves when the page should stop; by default on Ctrl-C (SIGINT) or SIGTERM. */
  readonly stop?: Promise<void>;
  /** Called with the page's address once it listens. */
  readonly onListening?: (url: string) => void;
  readonly openBrowser?: (path: string) => Promise<boolean>;
  readonly recheckMs?: number;
  readonly now?: () => number;
  readonly env?: NodeJS.ProcessEnv;
}

/** `--port 8080` → 8080; anything but a whole number from 0 to 65535 is a usage error. */
export function parsePort(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new DoplabError('BAD_OPTION', 'usage', `--port must be a port number from 1 to 65535 (or 0 for a free one); got "${text}".`);
  }
  return Number(text);
}

/** A word as a POSIX shell reads it back (quoted only when it needs to be). */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The commands the page shows: it never deploys or destroys itself. */
export function shownCommands(lab: AnyLab, aws: AwsOptions, region: string | undefined, facts?: string): ShownCommand[] {
  const flags = [
    ...(aws.profile ? ['--profile', aws.profile] : []),
    ...(region ? ['--region', region] : []),
    ...(aws.endpointUrl ? ['--endpoint-url', aws.endpointUrl] : []),
  ];
  const line = (...words: string[]) => ['doplab', ...words, ...flags].map(shellWord).join(' ');
  if (facts) {
    return [
      { label: 'Check this file in the terminal', command: ['doplab', 'check', lab.id, '--facts', facts].map(shellWord).join(' ') },
      { label: 'Deploy the lab to do it yourself', command: line('deploy', lab.id) },
    ];
  }
  return [
    { label: 'Deploy the starting scenario', command: line('deploy', lab.id) },
    { label: 'Check in the terminal, waiting while anything is PENDING', command: line('check', lab.id, '--wait', '10m') },
    { label: 'Remove everything when you are done', command: line('destroy', lab.id) },
    { label: 'What is deployed, time left, cost so far', command: line('status') },
  ];
}

/** The page's source in a saved facts file: the saved result, read again on every Check. */
function factsSource(lab: AnyLab, path: string): LabSource {
  return {
    mode: 'facts',
    check: async () => checkFactsFile(lab, path),
    async deployment() {
      const file = loadFactsFile(path, lab.id, lab.checker.factsSchema);
      return { kind: 'offline', path: resolve(path), account: file.account, region: file.region, gatheredAt: file.gatheredAt };
    },
  };
}

/** The page's source in AWS: the same gather and checks as `doplab check`, and the row `doplab status` shows. */
function liveSource(lab: AnyLab, session: AwsSession, identity: Identity, deps: OpenDeps): LabSource {
  const { listDoplabStacks }: typeof import('../lifecycle/stacks') = require('../lifecycle/stacks');
  const { labStatus }: typeof import('./status') = require('./status');
  const { readState }: typeof import('../lifecycle/state') = require('../lifecycle/state');
  return {
    mode: 'live',
    check: () => checkLive(lab, session),
    async deployment() {
      const stack = (await listDoplabStacks(session, identity.region)).find((s) => s.StackName === stackNameFor(lab.id));
      const status = stack && labStatus(stack, identity.region, [lab], readState(deps.env).passedChecks, identity.account, (deps.now ?? Date.now)());
      return status ? { kind: 'deployed', account: identity.account, status } : { kind: 'not-deployed', account: identity.account, region: identity.region };
    },
  };
}

function untilInterrupted(): { promise: Promise<void>; dispose: () => void } {
  let done: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => (done = resolve));
  const handler = () => done();
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    promise,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/**
 * `doplab open <lab>`: the lab's instructions and a live checklist in the browser, served on 127.0.0.1
 * until Ctrl-C. Exit 0 when stopped; usage and environment errors (port in use, no credentials) before it
 * starts.
 */
export async function openLab(lab: AnyLab, aws: AwsOptions & { verbose?: boolean }, io: Io, options: OpenOptions, deps: OpenDeps = {}): Promise<number> {
  const port = parsePort(options.port);
  const { startLabPage }: typeof import('../web/lab-page') = require('../web/lab-page');
  let session: AwsSession | undefined;
  let source: LabSource;
  let commands: ShownCommand[];
  if (options.facts) {
    checkFactsFile(lab, options.facts); // a missing or malformed file fails here, before anything listens
    source = factsSource(lab, options.facts);
    commands = shownCommands(lab, aws, undefined, options.facts);
  } else {
    const { AwsSession: Session }: typeof import('../aws/clients') = require('../aws/clients');
    const { whoAmI }: typeof import('../aws/lab-stack') = require('../aws/lab-stack');
    session = deps.session ?? new Session(aws);
    // Credentials and region are checked before the page opens: a page that can check nothing helps nobody.
    let identity: Identity;
    try {
      identity = await whoAmI(session);
    } catch (error) {
      if (!deps.session) session.destroy();
      throw error;
    }
    source = liveSource(lab, session, identity, deps);
    commands = shownCommands(lab, aws, identity.region);
  }
  const interrupt = deps.stop ? undefined : untilInterrupted();
  let redirect: { path: string; remove: () => void } | undefined;
  try {
    const server = await startLabPage(lab, source, {
      commands,
      port,
      recheckMs: deps.recheckMs,
      onResult: (result) => {
        if (result.source === 'aws' && allPassed(result)) rememberPassed(result, io);
      },
      onInternalError: (error) => {
        io.err(`doplab: internal error in the page: ${(error as Error)?.message ?? String(error)}`);
        io.err('  This is a bug in doplab; please report it with the output of the same command run with --verbose.');
        if (aws.verbose && error instanceof Error) io.err(error.stack ?? '');
      },
    });
    try {
      io.out(server.url);
      io.err(`Serving ${lab.id} on ${server.url.replace(/\?token=.*/, '')} (this machine only; the address carries a secret token). Ctrl-C stops it.`);
      deps.onListening?.(server.url);
      if (options.browser !== false) {
        const { openInBrowser, redirectFile }: typeof import('../web/browser') = require('../web/browser');
        redirect = redirectFile(server.url);
        const opened = await (deps.openBrowser ?? openInBrowser)(redirect.path);
        if (!opened) io.err('No browser to open here: open the address above in yours.');
      }
      await (deps.stop ?? interrupt!.promise);
      io.err(`Stopped serving ${lab.id}.`);
    } finally {
      await server.close();
    }
  } finally {
    interrupt?.dispose();
    redirect?.remove();
    if (session && !deps.session) session.destroy();
  }
  return ExitCode.OK;
}
