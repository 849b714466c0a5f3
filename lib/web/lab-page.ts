// The routes of `doplab open`: the page, the deployment status and the check, for any lab of the catalogue.
// A check is the same one `doplab check` runs (the engine and read-only clients, or a saved facts file).
import { readFileSync } from 'node:fs';
import type { LabResult } from '../checker';
import type { Attempt } from '../commands/check';
import { anyPending } from '../engine';
import { DoplabError, toErrorInfo } from '../errors';
import type { AnyLab } from '../registry';
import { diffResults, renderCheckError, renderChecklistHtml, renderDeployment, renderPage, renderReadme, type DeploymentView, type ShownCommand } from './page';
import { startPageServer, type PageServer } from './server';

/** Where the page's checks and deployment status come from: live AWS, or a saved facts file. */
export interface LabSource {
  readonly mode: 'live' | 'facts';
  /** One check; errors that stop it (lab not deployed, no credentials) are thrown as DoplabError. */
  check(): Promise<Attempt>;
  /** Where the lab is deployed, how long it has left and what it has cost so far. */
  deployment(): Promise<DeploymentView>;
}

/** Options of the lab page. */
export interface LabPageOptions {
  readonly commands: readonly ShownCommand[];
  /** @default 0: a free port */
  readonly port?: number;
  /** Pause between re-checks while anything is PENDING. @default 30000 */
  readonly recheckMs?: number;
  /** Called after every check that ran (e.g. to note a passing check for `doplab status`). */
  readonly onResult?: (result: LabResult) => void;
  /** Called when a route fails with a bug rather than an AWS or usage error. */
  readonly onInternalError?: (error: unknown) => void;
  readonly token?: string;
}

/** The answer of POST /api/check. */
export type CheckAnswer =
  | { readonly result: LabResult; readonly changes: ReturnType<typeof diffResults>; readonly pending: boolean; readonly html: string }
  | { readonly error: ReturnType<typeof toErrorInfo>; readonly html: string };

/** Starts the page of `lab` on 127.0.0.1. */
export async function startLabPage(lab: AnyLab, source: LabSource, options: LabPageOptions): Promise<PageServer> {
  let readme: string | undefined;
  let previous: LabResult | undefined;
  let initial: { result: LabResult; changes: [] } | undefined;
  let running: Promise<CheckAnswer> | undefined;
  const recheckMs = options.recheckMs ?? 30_000;

  if (source.mode === 'facts') {
    // Offline, the page opens on the saved result.
    previous = (await source.check()).result;
    initial = { result: previous, changes: [] };
  }

  function instructions(): string {
    if (readme === undefined) {
      let markdown: string;
      try {
        markdown = readFileSync(lab.instructions, 'utf8');
      } catch (error) {
        throw new DoplabError('INTERNAL', 'harness', `Instructions of lab ${lab.id} are missing at ${lab.instructions}.`, { cause: error });
      }
      readme = renderReadme(markdown);
    }
    return readme;
  }

  async function check(): Promise<CheckAnswer> {
    try {
      const { result } = await source.check();
      const changes = diffResults(previous, result);
      previous = result;
      options.onResult?.(result);
      return { result, changes, pending: anyPending(result), html: renderChecklistHtml(result, changes) };
    } catch (error) {
      if (!(error instanceof DoplabError) || error.source === 'harness') throw error;
      const info = toErrorInfo(error);
      return { error: info, html: renderCheckError(info) };
    }
  }

  async function deployment(): Promise<DeploymentView> {
    try {
      return await source.deployment();
    } catch (error) {
      if (!(error instanceof DoplabError) || error.source === 'harness') throw error;
      return { kind: 'error', error: toErrorInfo(error) };
    }
  }

  return startPageServer({
    port: options.port,
    token: options.token,
    onInternalError: options.onInternalError,
    routes: {
      'GET /': (nonce) => ({ html: renderPage({ lab, mode: source.mode, commands: options.commands, initial, recheckMs, nonce }, instructions()) }),
      'GET /api/status': async () => {
        const view = await deployment();
        return { json: { mode: source.mode, deployment: view, html: renderDeployment(view, lab) } };
      },
      // One check at a time: a second click while one runs gets the same answer.
      'POST /api/check': async () => {
        running ??= check().finally(() => (running = undefined));
        return { json: await running };
      },
    },
  });
}
