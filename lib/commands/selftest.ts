import { writeFileSync } from 'node:fs';
import { create } from 'xmlbuilder2';
import type { LabResult } from '../checker';
import { AwsSession, type AwsOptions } from '../aws/clients';
import type { Identity } from '../aws/lab-stack';
import { formatDuration } from '../duration';
import { evaluate, gatherFacts } from '../engine';
import { DoplabError, ExitCode } from '../errors';
import type { Io } from '../io';
import type { AnyLab } from '../registry';
import type { Asker } from '../lifecycle/guard';
import { preflight } from '../lifecycle/preflight';
import { checkUntilSettled } from './check';
import { deployLab, teardownLab, type LabTeardown } from './lifecycle';
import { solveLab } from './solve';

/** The lifecycle steps a selftest runs; the real ones act on AWS, tests pass fakes. */
export interface SelftestSteps {
  deploy(): Promise<void>;
  /** Checks once, or until nothing is PENDING for at most `waitMs`. */
  check(waitMs?: number): Promise<LabResult>;
  solve(): Promise<void>;
  /** Deletes the stack and audits leftovers. */
  teardown(): Promise<LabTeardown>;
}

/** How a stage ended. */
export type StageStatus = 'held' | 'failed' | 'skipped';

/** One named stage of a selftest. */
export interface StageResult {
  readonly name: string;
  readonly status: StageStatus;
  readonly durationMs: number;
  /** What was observed, or why it was skipped. */
  readonly detail: string;
}

/** Options of a selftest run. */
export interface SelftestOptions {
  /** Skip teardown: leave the lab deployed to look at it. */
  readonly keep?: boolean;
  /** How long the solved check may wait for AWS to settle. @default 10 min */
  readonly waitMs?: number;
  readonly now?: () => number;
}

function statuses(result: LabResult): string {
  const counts = new Map<string, number>();
  for (const c of result.checks) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
}

/** Why a starting-state check result is not what a fresh lab must give (score 0, nothing PASS or ERROR), or undefined. */
export function startingStateProblem(result: LabResult): string | undefined {
  const wrong = result.checks.filter((c) => c.status === 'PASS' || c.status === 'ERROR');
  if (result.score === 0 && wrong.length === 0) return undefined;
  return `score ${result.score}/${result.maxScore}; ${wrong.map((c) => `${c.id} is ${c.status}${c.error ? ` (${c.error.message})` : ''}`).join('; ') || 'a check scored points'}`;
}

/**
 * Runs the named stages deploy → check (must score 0, no check PASS or ERROR) → solve → check --wait
 * (must score full) → destroy → leftover audit (must be empty). A failed stage skips the stages after it
 * except the teardown ones, which always run (unless `keep`), as terratest registers teardown first.
 */
export async function runSelftest(steps: SelftestSteps, options: SelftestOptions = {}): Promise<StageResult[]> {
  const now = options.now ?? Date.now;
  const results: StageResult[] = [];
  let failed = false;
  let teardown: LabTeardown | undefined;

  const stage = async (name: string, body: () => Promise<string>, always = false): Promise<void> => {
    if (failed && !always) {
      results.push({ name, status: 'skipped', durationMs: 0, detail: 'an earlier stage failed' });
      return;
    }
    const started = now();
    try {
      const detail = await body();
      results.push({ name, status: 'held', durationMs: now() - started, detail });
    } catch (error) {
      failed = true;
      results.push({ name, status: 'failed', durationMs: now() - started, detail: error instanceof Error ? error.message : String(error) });
    }
  };

  await stage('deploy', async () => {
    await steps.deploy();
    return 'deployed';
  });
  await stage('check (starting state)', async () => {
    const result = await steps.check();
    const problem = startingStateProblem(result);
    if (problem) throw new Error(`the starting state must score 0 with every check FAIL or PENDING: ${problem}`);
    return `score 0/${result.maxScore} (${statuses(result)})`;
  });
  await stage('solve', async () => {
    await steps.solve();
    return 'reference solution applied';
  });
  await stage('check --wait (solved)', async () => {
    const result = await steps.check(options.waitMs ?? 10 * 60_000);
    if (result.score !== result.maxScore) throw new Error(`the solved state must score full: ${result.score}/${result.maxScore} (${statuses(result)})`);
    return `score ${result.score}/${result.maxScore}`;
  });
  if (options.keep) {
    for (const name of ['destroy', 'leftover audit']) results.push({ name, status: 'skipped', durationMs: 0, detail: '--keep: the lab stays deployed' });
    return results;
  }
  await stage(
    'destroy',
    async () => {
      teardown = await steps.teardown();
      return teardown.deletion.existed ? `stack deleted (${teardown.deletion.attempts} attempt(s))` : 'no stack was left to delete';
    },
    true,
  );
  await stage(
    'leftover audit',
    async () => {
      if (!teardown) throw new Error('not run: destroy failed');
      const left = teardown.audit.leftovers;
      if (left.length) throw new Error(`${left.length} left: ${left.map((l) => l.resource).join(', ')}`);
      return `nothing left in ${teardown.audit.regions.join(', ')}`;
    },
    true,
  );
  return results;
}

/** The stage table: name, status, time, detail. */
export function renderStages(labId: string, stages: readonly StageResult[]): string {
  const mark: Record<StageStatus, string> = { held: '✔', failed: '✘', skipped: '-' };
  const width = Math.max(...stages.map((s) => s.name.length));
  const lines = stages.map((s) => `  ${mark[s.status]} ${s.name.padEnd(width)}  ${s.status.padEnd(7)}  ${formatDuration(s.durationMs).padStart(7)}  ${s.detail}`);
  const held = stages.every((s) => s.status === 'held');
  return [`selftest ${labId}`, ...lines, held ? 'Every stage held.' : 'Not every stage held.'].join('\n');
}

/** JUnit XML: one testsuite per lab, one testcase per stage. */
export function renderSelftestJUnit(runs: readonly { readonly lab: string; readonly stages: readonly StageResult[] }[]): string {
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', { name: 'doplab selftest' });
  for (const run of runs) {
    const suite = root.ele('testsuite', {
      name: run.lab,
      tests: run.stages.length,
      failures: run.stages.filter((s) => s.status === 'failed').length,
      skipped: run.stages.filter((s) => s.status === 'skipped').length,
      time: (run.stages.reduce((n, s) => n + s.durationMs, 0) / 1000).toFixed(3),
    });
    for (const s of run.stages) {
      const testcase = suite.ele('testcase', { classname: `selftest.${run.lab}`, name: s.name, time: (s.durationMs / 1000).toFixed(3) });
      if (s.status === 'failed') testcase.ele('failure', { message: s.detail }).txt(s.detail);
      if (s.status === 'skipped') testcase.ele('skipped', { message: s.detail });
    }
  }
  return root.end({ prettyPrint: true });
}

/** The real steps: doplab's own deploy, check, solve and teardown against the account. */
export function liveSteps(lab: AnyLab, aws: AwsOptions, io: Io, session: AwsSession, identity: Identity, asker: Asker): SelftestSteps {
  const where = { account: identity.account, region: identity.region };
  return {
    // The selftest's own preflight passed the sandbox guard once; the steps do not ask again.
    deploy: async () => void (await deployLab(lab, aws, io, { yes: true }, { session, asker })),
    check: async (waitMs) => {
      const attempt = await checkUntilSettled(
        async () => {
          const startedAt = new Date();
          const file = await gatherFacts(lab.checker, session, { identity });
          return { file, result: evaluate(lab.checker.checks, file.facts, { lab: lab.id, account: where.account, region: where.region, source: 'aws', startedAt }) };
        },
        { waitMs, io },
      );
      return attempt.result;
    },
    solve: async () => void (await solveLab(lab, aws, io, { yes: true }, { session, asker })),
    teardown: () => teardownLab(lab, session, where, io),
  };
}

/** `doplab selftest <lab>` / `selftest --all --junit FILE`: content test in a real sandbox. Exit 0 only if every stage held. */
export async function selftestCommand(
  labs: readonly AnyLab[],
  aws: AwsOptions,
  io: Io,
  options: { readonly keep?: boolean; readonly yes?: boolean; readonly junit?: string; readonly waitMs?: number },
  deps: { readonly asker?: Asker; readonly steps?: (lab: AnyLab) => SelftestSteps; readonly session?: AwsSession } = {},
): Promise<number> {
  const session = deps.session ?? new AwsSession(aws);
  try {
    const asker = deps.asker ?? (require('../lifecycle/guard') as typeof import('../lifecycle/guard')).terminalAsker();
    const steps = deps.steps ?? (await (async () => {
      const pre = await preflight(session, io, { verb: `selftest ${labs.map((l) => l.id).join(', ')} (deploy, solve, destroy)` }, { yes: options.yes, asker });
      return (lab: AnyLab) => liveSteps(lab, aws, io, session, pre.identity, asker);
    })());
    const runs: { lab: string; stages: StageResult[] }[] = [];
    for (const lab of labs) {
      const stages = await runSelftest(steps(lab), { keep: options.keep, waitMs: options.waitMs });
      runs.push({ lab: lab.id, stages });
      io.out(renderStages(lab.id, stages));
    }
    if (options.junit) {
      try {
        writeFileSync(options.junit, renderSelftestJUnit(runs));
        io.err(`JUnit report: ${options.junit}`);
      } catch (error) {
        throw new DoplabError('BAD_OPTION', 'usage', `Cannot write JUnit report ${options.junit}: ${(error as Error).message}`, { cause: error });
      }
    }
    return runs.every((r) => r.stages.every((s) => s.status === 'held' || (options.keep && s.status === 'skipped' && /--keep/.test(s.detail))))
      ? ExitCode.OK
      : ExitCode.CHECKS_FAILED;
  } finally {
    if (!deps.session) session.destroy();
  }
}
