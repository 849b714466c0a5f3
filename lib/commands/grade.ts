import { resolve } from 'node:path';
import { AwsSession, type AwsOptions } from '../aws/clients';
import { whoAmI } from '../aws/lab-stack';
import { DoplabError, ExitCode } from '../errors';
import type { Io } from '../io';
import { gradeClass, type LearnerDone } from '../grade/grade';
import { selectLabs } from '../grade/checks';
import { loadRoster, type RosterEntry } from '../grade/roster';
import { REPORT_FILES, formatPoints, writeReports } from '../grade/reports';
import { ResultStore } from '../grade/store';

/** Options of `doplab grade`. */
export interface GradeOptions {
  readonly roster: string;
  readonly roleName?: string;
  /** External id for rows without one. */
  readonly externalId?: string;
  /** Comma-separated lab ids. @default every lab */
  readonly labs?: string;
  /** @default ./doplab-grades */
  readonly out?: string;
  /** Learner accounts graded at once. @default 10 */
  readonly concurrency?: string;
  /** Requests per second per learner account. @default 10 */
  readonly rate?: string;
  readonly fresh?: boolean;
  readonly json?: boolean;
  /** Tests: stop as Ctrl-C would. */
  readonly signal?: AbortSignal;
  /** Tests and benchmarks: the instructor's session (default: from the global options). */
  readonly instructor?: AwsSession;
  /** Tests and benchmarks: how a learner's session is built. */
  readonly newSession?: (options: AwsOptions, entry: RosterEntry) => AwsSession;
}

/** The exit code of a run stopped by Ctrl-C (128 + SIGINT). */
export const INTERRUPTED = 130;

function positiveNumber(text: string | undefined, option: string, fallback: number, integer: boolean): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)) || n > 1000) {
    throw new DoplabError('BAD_OPTION', 'usage', `${option} must be a positive ${integer ? 'whole ' : ''}number up to 1000; got "${text}".`);
  }
  return n;
}

/** `doplab grade --roster class.csv`: grades every learner's labs; exit 0 only if every learner passed everything. */
export async function gradeCommand(opts: GradeOptions, aws: AwsOptions, io: Io): Promise<number> {
  const concurrency = positiveNumber(opts.concurrency, '--concurrency', 10, true);
  const ratePerSecond = positiveNumber(opts.rate, '--rate', 10, false);
  const labs = selectLabs(opts.labs);
  const defaultRegion = aws.region ?? (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined);
  const roster = loadRoster(opts.roster, { roleName: opts.roleName, region: defaultRegion, externalId: opts.externalId });
  const out = resolve(opts.out ?? 'doplab-grades');

  // The instructor's own credentials first: without them every learner would fail the same way.
  const instructor = opts.instructor ?? new AwsSession({ ...aws, region: aws.region ?? defaultRegion ?? roster[0].region });
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (opts.signal?.aborted) abort();
  opts.signal?.addEventListener('abort', abort);
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(INTERRUPTED);
    io.err('\nInterrupted: finishing the learners in progress (Ctrl-C again to quit now; graded results are already saved).');
    abort();
  };
  process.on('SIGINT', onSigint);

  let progress: ReturnType<typeof startProgress> | undefined;
  try {
    const me = await whoAmI(instructor);
    io.err(`Grading ${roster.length} learner${roster.length === 1 ? '' : 's'} in ${labs.map((l) => l.id).join(', ')} as ${me.arn}; results in ${out}`);
    progress = startProgress(io, roster.length);
    const store = new ResultStore(out);
    const summary = await gradeClass({
      roster,
      labs,
      store,
      instructor,
      aws: { endpointUrl: aws.endpointUrl, maxAttempts: aws.maxAttempts, requestTimeoutMs: aws.requestTimeoutMs },
      concurrency,
      ratePerSecond,
      fresh: opts.fresh,
      signal: controller.signal,
      onLearnerDone: progress.learnerDone,
      newSession: opts.newSession,
    });
    progress.stop();
    for (const line of progress.problems()) io.err(line);
    const outcome = writeReports(out, roster, labs, store);
    const interrupted = summary.notStarted > 0;
    if (opts.json) {
      io.out(JSON.stringify({ ...summary, passedAll: outcome.passedAll, notGraded: outcome.notGraded, interrupted, files: outcome.files }, null, 2));
    } else {
      io.out(
        `${outcome.passedAll} of ${outcome.learners} learners passed everything; ${outcome.notGraded} with a lab not graded. ` +
          `Labs graded now: ${summary.labsGraded}, reused: ${summary.labsReused}, not gradable: ${summary.labsFailed}.\n` +
          `Reports: ${Object.values(REPORT_FILES).map((f) => resolve(out, f)).join(', ')}`,
      );
    }
    if (interrupted) {
      io.err(`Interrupted before ${summary.notStarted} learner${summary.notStarted === 1 ? '' : 's'}; run the same command again to resume (graded results are kept).`);
      return INTERRUPTED;
    }
    return outcome.passedAll === outcome.learners ? ExitCode.OK : ExitCode.CHECKS_FAILED;
  } finally {
    progress?.stop();
    process.removeListener('SIGINT', onSigint);
    opts.signal?.removeEventListener('abort', abort);
    instructor.destroy();
  }
}

/** Learners listed by name under the progress bar when their labs could not be graded. */
const MAX_LISTED = 20;

/** A progress bar on a terminal (done/total, failures, ETA) and then who could not be graded; one line per learner otherwise. */
function startProgress(io: Io, total: number): { learnerDone: (done: LearnerDone) => void; stop: () => void; problems: () => string[] } {
  let problems = 0;
  if (io.interactive) {
    const listed: string[] = [];
    const { SingleBar }: typeof import('cli-progress') = require('cli-progress');
    const bar = new SingleBar({
      format: 'grading [{bar}] {value}/{total} learners | {problems} with problems | ETA {eta_formatted}',
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 20,
    });
    bar.start(total, 0, { problems });
    let stopped = false;
    return {
      learnerDone: (done) => {
        if (done.failed > 0) {
          problems += 1;
          if (listed.length < MAX_LISTED) listed.push(`  ! ${done.learner}: ${done.reason ?? 'not graded'}`);
        }
        bar.increment(1, { problems });
      },
      stop: () => {
        if (!stopped) bar.stop();
        stopped = true;
      },
      problems: () => (problems > listed.length ? [...listed, `  … and ${problems - listed.length} more (gradebook.csv, column problems)`] : listed),
    };
  }
  let count = 0;
  return {
    learnerDone: (done) => {
      count += 1;
      const mark = done.failed > 0 ? '!' : done.score >= done.maxScore ? '✔' : '✘';
      const cached = done.reused > 0 ? ` (${done.reused} cached)` : '';
      const why = done.reason ? ` — not graded: ${done.reason}` : '';
      io.err(`[${count}/${total}] ${mark} ${done.learner} ${formatPoints(done.score)}/${formatPoints(done.maxScore)}${cached}${why}`);
    },
    stop: () => undefined,
    problems: () => [],
  };
}
