import { writeFileSync } from 'node:fs';
import type { LabResult } from '../checker';
import { allPassed, anyPending, evaluate, gatherFacts } from '../engine';
import { DoplabError, ExitCode } from '../errors';
import { loadFactsFile, saveFactsFile, type FactsFile } from '../facts-file';
import type { Io } from '../io';
import type { AnyLab } from '../registry';
import { renderChecklist } from '../report/terminal';
import { formatDuration } from '../duration';
import { LiveLine } from '../report/live-line';
import type { AwsOptions, AwsSession } from '../aws/clients';

/** Options of `doplab check`. */
export interface CheckOptions {
  readonly json?: boolean;
  readonly junit?: string;
  readonly saveFacts?: string;
  /** Grade a saved facts file instead of calling AWS. */
  readonly facts?: string;
  /** Keep checking while anything is PENDING, for at most this many milliseconds. */
  readonly waitMs?: number;
  /** Pause between checks while waiting. @default 15000 */
  readonly intervalMs?: number;
}

/** One gather + evaluation. */
export interface Attempt {
  readonly file: FactsFile;
  readonly result: LabResult;
}

/**
 * Runs `attempt` until nothing is PENDING or `waitMs` has passed, saying between attempts which checks it
 * waits for (and what they saw) and how long it has waited: on one line redrawn in place at a terminal
 * (the time ticks), one line per round otherwise. Without `waitMs` it runs once and says nothing.
 */
export async function checkUntilSettled(
  attempt: () => Promise<Attempt>,
  options: { waitMs?: number; intervalMs?: number; io: Io; sleep?: (ms: number) => Promise<void>; now?: () => number; line?: LiveLine },
): Promise<Attempt> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const interval = options.intervalMs ?? 15_000;
  const waitMs = options.waitMs ?? 0;
  const started = now();
  const deadline = started + waitMs;
  const line = options.line ?? new LiveLine(options.io);
  const waited = () => `Waited ${formatDuration(now() - started)} of ${formatDuration(waitMs)}`;
  try {
    for (let round = 1; ; round += 1) {
      const current = await attempt();
      if (!waitMs || !anyPending(current.result)) {
        line.done(round > 1 ? `Settled after ${formatDuration(now() - started)} (${round} checks).` : undefined);
        return current;
      }
      const left = deadline - now();
      if (left <= 0) {
        line.done(`Still pending after ${formatDuration(waitMs)}; giving up waiting.`);
        return current;
      }
      const pending = current.result.checks
        .filter((c) => c.status === 'PENDING')
        .map((c) => `${c.id} (${c.evidence?.observed ?? 'pending'})`)
        .join(', ');
      const pause = Math.min(interval, left);
      const next = now() + pause;
      if (line.interactive) {
        line.show(() => `${waited()} · pending: ${pending} · ${now() < next ? `next check in ${formatDuration(next - now())}` : 'checking…'}`);
      } else {
        options.io.err(`${waited()}; pending: ${pending}. Checking again in ${formatDuration(pause)}.`);
      }
      await sleep(pause);
      line.redraw();
    }
  } finally {
    line.done();
  }
}

/** One check of a saved facts file (`--facts`): no AWS. */
export function checkFactsFile(lab: AnyLab, path: string): Attempt {
  const file = loadFactsFile(path, lab.id, lab.checker.factsSchema);
  return {
    file,
    result: evaluate(lab.checker.checks, file.facts, { lab: lab.id, account: file.account, region: file.region, source: 'facts-file' }),
  };
}

/** One live check: gather the lab's facts with the session's read-only clients, then run the checks. */
export async function checkLive(lab: AnyLab, session: AwsSession): Promise<Attempt> {
  const startedAt = new Date();
  // No STS call: the account is the one in the lab stack's ARN (round trips = the checker's depth + 1).
  const file = await gatherFacts(lab.checker, session);
  const result = evaluate(lab.checker.checks, file.facts, { lab: lab.id, account: file.account, region: file.region, source: 'aws', startedAt });
  return { file, result };
}

/** `doplab check <lab>`: gather (or load) facts, run the checks, report. Exit 0 only when every check passed. */
export async function checkLab(lab: AnyLab, aws: AwsOptions, io: Io, options: CheckOptions): Promise<number> {
  let final: Attempt;
  if (options.facts) {
    if (options.waitMs) throw new DoplabError('BAD_OPTION', 'usage', '--wait needs live AWS; it cannot be used with --facts.');
    final = checkFactsFile(lab, options.facts);
  } else {
    // Loaded only for a live check: `check --facts` loads no SDK client.
    const { AwsSession }: typeof import('../aws/clients') = require('../aws/clients');
    const session = new AwsSession(aws);
    try {
      final = await checkUntilSettled(() => checkLive(lab, session), { waitMs: options.waitMs, intervalMs: options.intervalMs, io });
    } finally {
      session.destroy();
    }
  }

  if (options.saveFacts) saveFactsFile(options.saveFacts, final.file);
  if (options.junit) {
    const { renderJUnit }: typeof import('../report/junit') = require('../report/junit');
    try {
      writeFileSync(options.junit, renderJUnit([final.result]));
    } catch (error) {
      throw new DoplabError('BAD_OPTION', 'usage', `Cannot write JUnit report ${options.junit}: ${(error as Error).message}`, { cause: error });
    }
  }
  io.out(options.json ? JSON.stringify(final.result, null, 2) : renderChecklist(final.result, { color: io.color }));
  if (!options.facts && allPassed(final.result)) rememberPassed(final.result, io);
  return allPassed(final.result) ? ExitCode.OK : ExitCode.CHECKS_FAILED;
}

/** Notes a passing live check in ~/.doplab/state.json for `doplab status`; a state that cannot be written only warns. */
export function rememberPassed(result: LabResult, io: Io): void {
  const { deploymentKey, recordPassedCheck } = require('../lifecycle/state') as typeof import('../lifecycle/state');
  try {
    recordPassedCheck(deploymentKey(result.account, result.region, result.lab), { score: result.score, maxScore: result.maxScore, at: result.startedAt });
  } catch (error) {
    io.err(`doplab: could not note the passed check for doplab status: ${(error as Error).message}`);
  }
}
