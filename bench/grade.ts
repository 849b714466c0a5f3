// doplab grade benchmark: prints numbers, asserts nothing (DESIGN §11). Run with `npx tsx bench/grade.ts`.
// Grades N simulated learner accounts (test/support/simulated-class: sessions answered below the real
// middleware, so doplab's guard, rate limit, error mapping and the SDK's retries all run) with injected
// per-call latency and occasional throttling. Each run is its own process, so peak memory is its own.
// (a) N = 10, 100, 1000: learners per second, API calls per learner, peak RSS and heap.
// (b) concurrency 1…100 at N = 200: throughput grows with accounts in parallel.
// (c) the per-account token bucket against an AWS-side account limit: throttles avoided vs time spent.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gradeClass } from '../lib/grade/grade';
import { writeReports } from '../lib/grade/reports';
import { parseRoster } from '../lib/grade/roster';
import { ResultStore } from '../lib/grade/store';
import { findLab } from '../lib/registry';
import { FACTS, SimulatedClass } from '../test/support/simulated-class';

/** The lab the simulated accounts answer for. */
const LABS = [findLab('cloudwatch-metric-filters')];
const LATENCY_MS = 50;
const THROTTLE_PROBABILITY = 0.01;

interface RunSpec {
  readonly learners: number;
  readonly concurrency: number;
  /** Requests per second per account (the token bucket). */
  readonly rate: number;
  /** AWS-side limit per account, requests per second (absent: none). */
  readonly awsRate?: number;
  readonly throttleProbability: number;
}

interface RunResult extends RunSpec {
  readonly seconds: number;
  readonly learnersPerSecond: number;
  readonly callsPerLearner: number;
  readonly attemptsPerLearner: number;
  readonly throttled: number;
  readonly graded: number;
  readonly reportSeconds: number;
  readonly peakRssMb: number;
  readonly peakHeapMb: number;
  /** Heap in use after a full GC at the end of grading: what grading retains. */
  readonly retainedHeapMb: number;
}

/** One run, in this process (the child side). */
async function runOnce(spec: RunSpec): Promise<RunResult> {
  let peakHeap = 0;
  const sample = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 20);
  const accounts = Array.from({ length: spec.learners }, (_, i) => ({
    accountId: String(100000000000 + i),
    roleName: 'DopLabGrader',
    facts: i % 4 === 0 ? FACTS.starting : FACTS.solved,
    ...(spec.awsRate ? { awsRatePerSecond: spec.awsRate } : {}),
  }));
  const cls = new SimulatedClass(accounts, { latencyMs: LATENCY_MS, throttleProbability: spec.throttleProbability });
  cls.record = false;
  const roster = parseRoster(`learner,account_id\n${accounts.map((a, i) => `learner-${i},${a.accountId}`).join('\n')}\n`, 'bench', {
    roleName: 'DopLabGrader',
    region: 'eu-west-1',
  });
  const dir = mkdtempSync(join(tmpdir(), 'doplab-bench-grade-'));
  const store = new ResultStore(dir);
  const started = performance.now();
  const summary = await gradeClass({
    roster,
    labs: LABS,
    store,
    instructor: cls.instructorSession(),
    newSession: cls.newSession,
    concurrency: spec.concurrency,
    ratePerSecond: spec.rate,
    aws: { maxAttempts: 6 },
  });
  const seconds = (performance.now() - started) / 1000;
  (globalThis as { gc?: () => void }).gc?.();
  const retainedHeapMb = process.memoryUsage().heapUsed / 1024 / 1024;
  const reportStarted = performance.now();
  writeReports(dir, roster, LABS, store);
  const reportSeconds = (performance.now() - reportStarted) / 1000;
  clearInterval(sample);
  rmSync(dir, { recursive: true, force: true });
  return {
    ...spec,
    seconds,
    learnersPerSecond: spec.learners / seconds,
    callsPerLearner: summary.apiCalls / spec.learners,
    attemptsPerLearner: cls.counts.learnerCalls / spec.learners,
    throttled: cls.counts.throttled,
    graded: summary.labsGraded,
    reportSeconds,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    peakHeapMb: peakHeap / 1024 / 1024,
    retainedHeapMb,
  };
}

/** Runs one spec in a fresh process and returns its result. */
function runChild(spec: RunSpec, nodeOptions: readonly string[] = []): RunResult {
  const child = spawnSync(process.execPath, ['--expose-gc', ...nodeOptions, require.resolve('tsx/cli'), __filename, 'child', JSON.stringify(spec)], { encoding: 'utf8', timeout: 600_000 });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) throw new Error(`bench child failed (${child.status}): ${child.stderr}`);
  return JSON.parse(line) as RunResult;
}

const f1 = (n: number) => n.toFixed(1);

function table(title: string, rows: readonly RunResult[]): string {
  const head = '| learners | concurrency | rate/s/account | AWS limit/s | s | learners/s | calls/learner | attempts/learner | throttled | reports s | peak RSS MB | peak heap MB | heap after GC MB |';
  const sep = '|' + ' --- |'.repeat(13);
  const body = rows.map(
    (r) =>
      `| ${r.learners} | ${r.concurrency} | ${r.rate >= 1000 ? 'off' : r.rate} | ${r.awsRate ?? '—'} | ${f1(r.seconds)} | ${f1(r.learnersPerSecond)} | ${f1(r.callsPerLearner)} | ${f1(r.attemptsPerLearner)} | ${r.throttled} | ${r.reportSeconds.toFixed(2)} | ${f1(r.peakRssMb)} | ${f1(r.peakHeapMb)} | ${f1(r.retainedHeapMb)} |`,
  );
  return [`\n${title}`, head, sep, ...body].join('\n');
}

async function main(): Promise<void> {
  if (process.argv[2] === 'child') {
    process.stdout.write(`${JSON.stringify(await runOnce(JSON.parse(process.argv[3]) as RunSpec))}\n`);
    return;
  }
  const base = { rate: 10, throttleProbability: THROTTLE_PROBABILITY };
  console.log(`doplab grade bench: ${LATENCY_MS} ms per AWS call, ${THROTTLE_PROBABILITY * 100} % of calls throttled at random; node ${process.version}, ${cpus().length} CPUs`);
  const scale = [10, 100, 1000].map((learners) => runChild({ ...base, learners, concurrency: 20 }));
  console.log(table('(a) class size, concurrency 20', scale));
  // The same 1000 learners with the V8 heap capped at 64 MB: grading must not need more.
  const capped = runChild({ ...base, learners: 1000, concurrency: 20 }, ['--max-old-space-size=64']);
  console.log(table('(a′) 1000 learners, old space capped at 64 MB', [capped]));
  // Without random throttles: a throttled learner waits out the SDK's back-off (seconds), which would hide the scaling.
  const concurrency = [1, 3, 10, 30, 100].map((c) => runChild({ rate: 10, throttleProbability: 0, learners: 200, concurrency: c }));
  console.log(table('(b) concurrency, 200 learners, no random throttling', concurrency));
  const limited = [
    runChild({ learners: 100, concurrency: 10, rate: 1000, awsRate: 3, throttleProbability: 0 }),
    runChild({ learners: 100, concurrency: 10, rate: 3, awsRate: 3, throttleProbability: 0 }),
  ];
  console.log(table('(c) AWS allows 3 requests/s per account (token bucket of 3): no client bucket vs a bucket of 3/s', limited));
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(join(__dirname, 'results', 'grade.json'), `${JSON.stringify({ when: new Date().toISOString(), node: process.version, cpus: cpus().length, latencyMs: LATENCY_MS, scale, capped, concurrency, limited }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
