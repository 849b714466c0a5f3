// doplab benchmarks: prints numbers, asserts nothing (DESIGN §11). Run with `npm run bench`.
// (a) CLI start-up of the commands that must start fast (wall and CPU of the whole process, peak memory),
//     and what loading aws-cdk-lib would cost.
// (b) A live check against the local fake AWS endpoint with injected per-call latency: API calls per
//     check, the sequential round trips on the critical path, and wall time against latency × path.
// (c) `doplab check <lab>` as a user runs it against a local endpoint, side by side with a minimal SDK v3
//     script, at 0 and 50 ms per call (goal: ≤ 1.2×), for every lab an endpoint serves:
//     cloudwatch-metric-filters from the fake endpoint with bench/reference/cloudwatch-metric-filters.js;
//     the labs with a test world from their recorded exchanges (test/support/replay-aws.ts) with
//     bench/reference/replay-calls.js. `--only-live` runs (c) alone, `--lab <id>` (repeatable) picks labs.
// The CLI runs as bin/doplab.js does: from the build in dist/ when it is current (`npm run build`), with
// its compile cache (bin/compile-cache.js) in a folder of the bench's own: the first of each command's runs
// fills it, the median is of runs like a user's second and later; rows marked "compile cache off" show a
// run without it.
// `--only-startup` runs (a) alone; `--instructions` adds each start-up command's instruction count (valgrind), steady on a busy machine.
// `npm run bench -- --before <checkout>` runs each doplab command of (a) and (c) from another checkout too
// (e.g. a clone of main, built with `npm run build` there), alternating run by run: before/after in one run.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { checker } from '../checkers/cloudwatch-metric-filters';
import { LABS } from '../labs';
import { AwsSession } from '../lib/aws/clients';
import { checkerActions, evaluate, gatherFacts } from '../lib/engine';
import { FakeAws, fakeAnswers, fakeStateFromFacts, type FakeAwsState } from '../test/support/fake-aws';
import { REPLAYABLE_LABS, ReplayAws, recordSolvedGather, type RecordedExchange, type Recording } from '../test/support/replay-aws';

const ROOT = join(__dirname, '..');
const LAB = 'cloudwatch-metric-filters';
const SOLVED = join(ROOT, 'labs', LAB, 'facts', 'solved.json');
const DOPLAB = join(ROOT, 'bin', 'doplab.js');
const RUSAGE = join(__dirname, 'rusage.js');
const STARTUP_RUNS = 9;
const CDK_RUNS = 3;
const LATENCIES_MS = [0, 50, 100];
const LIVE_RUNS = 5;
const CLI_LIVE_LATENCIES_MS = [0, 50];
const CLI_LIVE_RUNS = 9;
/** The check's dependency chain: the lab stack (it carries the account) → DescribeMetricFilters → TestMetricFilter per filter. */
const EXPECTED_CRITICAL_PATH = ['DescribeStacks', 'DescribeMetricFilters', 'TestMetricFilter'];
const GOALS = { startupMs: 120, factsMs: 200, ratio: 1.2, rssMb: 80 };

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', AWS_REGION: 'eu-west-1' };

const BENCH_HOME = mkdtempSync(join(tmpdir(), 'doplab-bench-home-'));

/** `--before <checkout>`: the doplab to compare with, run side by side. */
const BEFORE = (() => {
  const i = process.argv.indexOf('--before');
  if (i < 0) return undefined;
  const root = process.argv[i + 1];
  if (!root || !existsSync(join(root, 'bin', 'doplab.js'))) throw new Error(`--before needs a doplab checkout (with bin/doplab.js); got ${root ?? 'nothing'}`);
  return root;
})();

/**
 * `--instructions`: each start-up command also runs once under valgrind's callgrind, which counts the
 * instructions the process executes: unlike wall and CPU time, the count hardly moves with what else the
 * machine is doing (seen within 1% over repeated runs on a loaded 2-core machine), so a change can be
 * measured on a busy machine. Off by default: each run takes 10–25 s.
 */
const INSTRUCTIONS = process.argv.includes('--instructions');
/** `--only-startup`: (a) alone. */
const ONLY_STARTUP = process.argv.includes('--only-startup');

/** Millions of instructions one run of `node args` executes (callgrind), or undefined without valgrind. */
function instructions(args: readonly string[], env: NodeJS.ProcessEnv): number | undefined {
  const run = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, ...args], { cwd: ROOT, env, encoding: 'utf8' });
  const collected = /Collected : (\d+)/.exec(run.stderr ?? '');
  return collected ? Number(collected[1]) / 1e6 : undefined;
}

/** The same command, run by the --before checkout's doplab (in that checkout). */
function beforeArgs(args: readonly string[]): string[] | undefined {
  if (!BEFORE) return undefined;
  const at = args.indexOf(DOPLAB);
  return at < 0 ? undefined : args.map((a, i) => (i === at ? join(BEFORE, 'bin', 'doplab.js') : a));
}

/** No profile, no real credentials, no metadata service: nothing can reach real AWS. */
function isolatedEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return {
    ...env,
    NO_COLOR: '1',
    AWS_CONFIG_FILE: '/nonexistent/doplab-bench/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/doplab-bench/credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    // doplab's state (~/.doplab: passed checks) goes to a throwaway directory, never the user's.
    DOPLAB_HOME: BENCH_HOME,
    // So is the compiled-code cache (bin/compile-cache.js), filled by each command's first run.
    NODE_COMPILE_CACHE: join(BENCH_HOME, 'compile-cache'),
    ...extra,
  };
}

interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}

function countOf(items: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[item] = (counts[item] ?? 0) + 1;
  return counts;
}

const ms = (n: number) => `${Math.round(n)} ms`;
const pad = (text: string, width: number) => text.padEnd(width);
const padStart = (text: string, width: number) => text.padStart(width);

// ---------------------------------------------------------------------------------------------
// (a) start-up
// ---------------------------------------------------------------------------------------------

interface StartupRow {
  readonly label: string;
  readonly stats: Stats;
  readonly cpu: Stats;
  readonly rssMb: number;
  readonly goalMs?: number;
  /** Exit codes seen (expected: 0, except 1 for nothing here). */
  readonly exitCodes: number[];
  readonly firstError?: string;
  /** The same command from the --before checkout, alternating with this one. */
  readonly before?: { readonly stats: Stats; readonly cpu: Stats; readonly rssMb: number; readonly instructions?: number };
  /** `--instructions`: millions of instructions of one run after the others (compile cache warm). */
  readonly instructions?: number;
}

/** CPU and peak memory of one timed process, as bench/rusage.js wrote them. */
interface Usage {
  readonly cpuMs: number;
  readonly maxRssKb: number;
}

const USAGE_DIR = mkdtempSync(join(tmpdir(), 'doplab-bench-rusage-'));
let usageFiles = 0;

/** Arguments and environment that make a node process report its CPU and peak memory at exit. */
function measured(args: readonly string[], env: NodeJS.ProcessEnv): { args: string[]; env: NodeJS.ProcessEnv; usage: () => Usage } {
  const file = join(USAGE_DIR, `${usageFiles++}.jsonl`);
  return {
    args: ['-r', RUSAGE, ...args],
    env: { ...env, DOPLAB_BENCH_RUSAGE: file },
    usage: () => {
      const line = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').pop() : undefined;
      return line ? (JSON.parse(line) as Usage) : { cpuMs: NaN, maxRssKb: NaN };
    },
  };
}

function timeCommand(label: string, args: readonly string[], runs: number, goalMs?: number, env: Record<string, string> = {}): StartupRow {
  const samples: number[] = [];
  const cpu: number[] = [];
  let rss = 0;
  const exitCodes = new Set<number>();
  let firstError: string | undefined;
  const old = beforeArgs(args);
  const before = { samples: [] as number[], cpu: [] as number[], rss: 0 };
  for (let i = 0; i < runs; i++) {
    const m = measured(args, isolatedEnv(env));
    const started = performance.now();
    const run = spawnSync(process.execPath, m.args, { cwd: ROOT, env: m.env, encoding: 'utf8' });
    samples.push(performance.now() - started);
    const usage = m.usage();
    cpu.push(usage.cpuMs);
    rss = Math.max(rss, usage.maxRssKb / 1024);
    exitCodes.add(run.status ?? -1);
    if (run.status !== 0 && firstError === undefined) firstError = (run.stderr || run.stdout).trim().split('\n')[0];
    if (old && BEFORE) {
      const b = measured(old, isolatedEnv(env));
      const t = performance.now();
      spawnSync(process.execPath, b.args, { cwd: BEFORE, env: b.env, encoding: 'utf8' });
      before.samples.push(performance.now() - t);
      before.cpu.push(b.usage().cpuMs);
      before.rss = Math.max(before.rss, b.usage().maxRssKb / 1024);
    }
  }
  const counted = INSTRUCTIONS ? instructions(args, isolatedEnv(env)) : undefined;
  const countedBefore = INSTRUCTIONS && old ? instructions(old, isolatedEnv(env)) : undefined;
  return {
    label,
    stats: stats(samples),
    cpu: stats(cpu),
    rssMb: rss,
    exitCodes: [...exitCodes],
    ...(goalMs ? { goalMs } : {}),
    ...(firstError ? { firstError } : {}),
    ...(counted !== undefined ? { instructions: counted } : {}),
    ...(old ? { before: { stats: stats(before.samples), cpu: stats(before.cpu), rssMb: before.rss, ...(countedBefore !== undefined ? { instructions: countedBefore } : {}) } } : {}),
  };
}

/** The aws-cdk-lib modules the first lab's stack loads (labs/cloudwatch-metric-filters/stack.ts, lib/cdk). */
const LAB_STACK_CDK_MODULES = ['aws-events', 'aws-events-targets', 'aws-iam', 'aws-lambda', 'aws-logs', 'aws-sns'];

/** The SDK clients the live check path loads (lib/aws/lab-stack.ts and the first checker). */
const SDK_CLIENTS = ['@aws-sdk/client-cloudformation', '@aws-sdk/client-cloudwatch', '@aws-sdk/client-cloudwatch-logs'];

/** Milliseconds a fresh node process spends in `script`'s requires (it prints the number). */
function timeRequire(requires: string, runs: number): Stats {
  const script = `const t = performance.now(); ${requires}; process.stdout.write(String(performance.now() - t));`;
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const run = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, env: isolatedEnv(), encoding: 'utf8' });
    samples.push(Number(run.stdout));
  }
  return stats(samples);
}

// ---------------------------------------------------------------------------------------------
// (b) live path
// ---------------------------------------------------------------------------------------------

/**
 * The requests grouped into sequential rounds: a request's round is one more than the latest round
 * of any request answered before it arrived. The number of rounds is the round trips the check
 * actually made in sequence. Exact once latency dominates (at 0 ms, calls that are logically parallel
 * may be served one after another and look sequential).
 */
function sequentialRounds(requests: readonly TimedRequest[]): string[][] {
  return sequentialRoundsOf(requests).map((round) => round.map((r) => r.operation));
}

/** A request an endpoint answered, with when it arrived and when it was answered. */
interface TimedRequest {
  readonly operation: string;
  readonly receivedAt: number;
  readonly answeredAt: number;
}

/** `requests` grouped into sequential rounds (see sequentialRounds). */
function sequentialRoundsOf<R extends TimedRequest>(requests: readonly R[]): R[][] {
  const sorted = [...requests].sort((a, b) => a.receivedAt - b.receivedAt);
  const round: number[] = [];
  sorted.forEach((request, i) => {
    let before = 0;
    for (let j = 0; j < i; j++) if (sorted[j].answeredAt <= request.receivedAt) before = Math.max(before, round[j]);
    round.push(before + 1);
  });
  const rounds: R[][] = [];
  sorted.forEach((request, i) => (rounds[round[i] - 1] ??= []).push(request));
  return rounds;
}

interface LiveRow {
  readonly latencyMs: number;
  /** Metric filters on the log group: one TestMetricFilter call each, in parallel. */
  readonly filters: number;
  readonly calls: number;
  readonly byOperation: Record<string, number>;
  readonly rounds: string[][];
  readonly wall: Stats;
  readonly score: string;
}

/** Adds `count` more metric filters on the lab's log group, on other metrics (each gets its own TestMetricFilter call). */
function withExtraFilters(state: FakeAwsState, count: number): void {
  const [filter] = state.metricFilters;
  for (let i = 1; i <= count; i++) {
    const pattern = `{ $.level = "ERROR" && $.status = 50${i} }`;
    const metricTransformations = [{ metricNamespace: 'DopLab/Bench', metricName: `Extra${i}`, metricValue: '1' }];
    state.metricFilters.push({ ...filter, filterName: `extra-${i}`, filterPattern: pattern, metricTransformations });
    state.patternMatches[pattern] = [];
  }
}

async function liveCheck(latencyMs: number, runs: number, extraFilters = 0): Promise<LiveRow> {
  const { state, options } = fakeStateFromFacts(SOLVED);
  withExtraFilters(state, extraFilters);
  const fake = await FakeAws.start(state, { ...options, latencyMs });
  const samples: number[] = [];
  let last: { byOperation: Record<string, number>; calls: number; rounds: string[][]; score: string } | undefined;
  try {
    // One warm-up run loads and JIT-compiles the SDK; then each run is a fresh session, as a CLI run is.
    for (let i = 0; i <= runs; i++) {
      fake.reset();
      const started = performance.now();
      const session = new AwsSession({ endpointUrl: fake.url });
      try {
        const file = await gatherFacts(checker, session);
        const result = evaluate(checker.checks, file.facts, { lab: LAB, account: file.account, region: file.region, source: 'aws' });
        if (i > 0) samples.push(performance.now() - started);
        last = { byOperation: fake.countByOperation(), calls: fake.requests.length, rounds: sequentialRounds(fake.requests), score: `${result.score}/${result.maxScore}` };
      } finally {
        session.destroy();
      }
    }
  } finally {
    await fake.stop();
  }
  return { latencyMs, filters: 1 + extraFilters, calls: last!.calls, byOperation: last!.byOperation, rounds: last!.rounds, wall: stats(samples), score: last!.score };
}

/** Runs node with `args` without blocking (the fake endpoint lives in this process); wall, CPU and peak memory. */
function spawnMeasured(args: readonly string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<{ status: number | null; wallMs: number; usage: Usage }> {
  const m = measured(args, env);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, m.args, { cwd, env: m.env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, wallMs: performance.now() - started, usage: m.usage() }));
  });
}

interface Side {
  readonly wall: Stats;
  readonly cpu: Stats;
  readonly rssMb: number;
  readonly exitCodes: number[];
}

interface CliLiveRow {
  readonly lab: string;
  readonly latencyMs: number;
  readonly doplab: Side;
  /** doplab with NODE_DISABLE_COMPILE_CACHE=1: every run compiles its JavaScript afresh. */
  readonly doplabNoCache: Side;
  /** doplab of the --before checkout. */
  readonly before?: Side;
  readonly reference: Side;
  /** Sequential round trips of doplab's last run (meaningful with latency). */
  readonly rounds: string[][];
  readonly calls: number;
  /** The operations the reference script sent (sorted), to compare with doplab's. */
  readonly referenceCalls: string[];
}

function side(runs: { status: number | null; wallMs: number; usage: Usage }[]): Side {
  return {
    wall: stats(runs.map((r) => r.wallMs)),
    cpu: stats(runs.map((r) => r.usage.cpuMs)),
    rssMb: Math.max(...runs.map((r) => r.usage.maxRssKb / 1024)),
    exitCodes: [...new Set(runs.map((r) => r.status ?? -1))],
  };
}

/** A local endpoint serving one lab's solved example. */
interface LabEndpoint {
  readonly url: string;
  readonly requests: readonly TimedRequest[];
  reset(): void;
  stop(): Promise<void>;
}

/** How the bench serves a lab and runs its reference script. */
interface Served {
  readonly region: string;
  start(latencyMs: number): Promise<LabEndpoint>;
  /** The reference script's arguments, given the endpoint's URL. */
  reference(url: string): string[];
}

/**
 * `doplab check <lab>` as a user runs it and the lab's reference script, against the same local endpoint,
 * alternating run by run (after one warm-up run of each) so that both see the same machine.
 */
async function cliLiveCheck(lab: string, served: Served, latencyMs: number, runs: number): Promise<CliLiveRow> {
  const fake = await served.start(latencyMs);
  const env = isolatedEnv({ ...CREDENTIALS, AWS_REGION: served.region });
  const check = [DOPLAB, 'check', lab, '--endpoint-url', fake.url];
  const doplab: Awaited<ReturnType<typeof spawnMeasured>>[] = [];
  const noCache: Awaited<ReturnType<typeof spawnMeasured>>[] = [];
  const before: Awaited<ReturnType<typeof spawnMeasured>>[] = [];
  const ref: Awaited<ReturnType<typeof spawnMeasured>>[] = [];
  let rounds: string[][] = [];
  let calls = 0;
  let referenceCalls: string[] = [];
  try {
    for (let i = 0; i <= runs; i++) {
      fake.reset();
      const r = await spawnMeasured(served.reference(fake.url), env);
      if (i === 0) referenceCalls = fake.requests.map((q) => q.operation).sort();
      fake.reset();
      const d = await spawnMeasured(check, env);
      rounds = sequentialRounds(fake.requests);
      calls = fake.requests.length;
      const n = await spawnMeasured(check, { ...env, NODE_DISABLE_COMPILE_CACHE: '1' });
      const old = beforeArgs(check);
      const b = old && BEFORE ? await spawnMeasured(old, env, BEFORE) : undefined;
      if (i > 0) {
        ref.push(r);
        doplab.push(d);
        noCache.push(n);
        if (b) before.push(b);
      }
    }
  } finally {
    await fake.stop();
  }
  return { lab, latencyMs, doplab: side(doplab), doplabNoCache: side(noCache), ...(before.length ? { before: side(before) } : {}), reference: side(ref), rounds, calls, referenceCalls };
}

/** cloudwatch-metric-filters: the stateful fake endpoint and its hand-written script. */
function servedByFake(): Served {
  const { state, options } = fakeStateFromFacts(SOLVED);
  return {
    region: CREDENTIALS.AWS_REGION,
    start: (latencyMs) => FakeAws.start(state, { ...options, latencyMs }),
    reference: (url) => [join(__dirname, 'reference', `${LAB}.js`), url],
  };
}

const PLAN_DIR = mkdtempSync(join(tmpdir(), 'doplab-bench-plans-'));

/** Dates as { $date } for bench/reference/replay-calls.js. */
function planJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { $date: raw.toISOString() } : v;
  });
}

/**
 * A lab the replay endpoint serves: its gather recorded against its solved test world, and the reference
 * plan: the recorded calls, in the rounds doplab's own check makes them at 50 ms per call (one calibration run).
 */
async function servedByReplay(lab: string): Promise<Served> {
  const recording: Recording = await recordSolvedGather(lab);
  const calibrate = await ReplayAws.start(recording, { latencyMs: 50 });
  let plan: RecordedExchange[][];
  try {
    await spawnMeasured([DOPLAB, 'check', lab, '--endpoint-url', calibrate.url], isolatedEnv({ ...CREDENTIALS, AWS_REGION: recording.region }));
    plan = sequentialRoundsOf(calibrate.requests).map((round) => round.flatMap((r) => (r.exchange ? [r.exchange] : [])));
  } finally {
    await calibrate.stop();
  }
  const file = join(PLAN_DIR, `${lab}.json`);
  writeFileSync(file, planJson({ lab, rounds: plan.map((round) => round.map((e) => ({ sdk: e.sdk, client: e.clientName, region: e.region, command: e.commandName, input: e.input }))) }));
  return {
    region: recording.region,
    start: (latencyMs) => ReplayAws.start(recording, { latencyMs }),
    reference: (url) => [join(__dirname, 'reference', 'replay-calls.js'), url, file],
  };
}

/** Why a lab's live check cannot be compared here, or undefined when it can. */
function notServable(lab: (typeof LABS)[number]): string | undefined {
  if ((REPLAYABLE_LABS as readonly string[]).includes(lab.id)) return undefined;
  const unserved = checkerActions(lab.checker).filter((action) => !fakeAnswers(action));
  const world = existsSync(join(ROOT, 'test', 'fixtures', lab.id, 'gather-world.ts'))
    ? 'test/support/replay-aws.ts does not record it'
    : `no test world to record (test/fixtures/${lab.id}/gather-world.ts)`;
  if (unserved.length > 0) return `${world}; test/support/fake-aws.ts does not answer ${unserved.join(', ')}`;
  if (!existsSync(join(__dirname, 'reference', `${lab.id}.js`))) return `no reference script bench/reference/${lab.id}.js`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const began = performance.now();
  Object.assign(process.env, isolatedEnv(CREDENTIALS));
  // The SDK's multi-line Node-version notice would interleave with the table.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`doplab bench — node ${process.version}, ${process.platform} ${process.arch}, ${cpus().length} CPUs, ${new Date().toISOString()}`);
  // doplab is measured as a user runs it after `npm install`: from a current build. A build older than the
  // sources would send every run through tsx (bin/doplab.js falls back to the sources) and measure that instead.
  const build = spawnSync(process.execPath, [join(ROOT, 'bin', 'build.js')], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed: ${build.stderr}`);
  out(`  ${build.stdout.trim()}`);
  if (BEFORE) out(`  --before ${BEFORE}: measured as it is; run npm run build there first, or its runs measure its TypeScript sources`);
  out();

  // `npm run bench -- --only-live` runs (c) alone.
  const early = process.argv.includes('--only-live')
    ? undefined
    : await (async () => {
  out(`(a) CLI start-up: the whole process, median of ${STARTUP_RUNS} runs; CPU = user + system; memory = peak RSS`);
  out(`    doplab runs from the build just made (dist/), as bin/doplab.js picks it`);
  const startup: StartupRow[] = [
    timeCommand('node -e 0 (baseline: node itself)', ['-e', '0'], STARTUP_RUNS),
    timeCommand('doplab --help', [DOPLAB, '--help'], STARTUP_RUNS, GOALS.startupMs),
    timeCommand('doplab list', [DOPLAB, 'list'], STARTUP_RUNS, GOALS.startupMs),
    timeCommand(`doplab show ${LAB}`, [DOPLAB, 'show', LAB], STARTUP_RUNS, GOALS.startupMs),
    ...LABS.map((lab) => timeCommand(`doplab check ${lab.id} --facts solved.json`, [DOPLAB, 'check', lab.id, '--facts', lab.examples.solved], STARTUP_RUNS, GOALS.factsMs)),
    timeCommand('doplab list, compile cache off', [DOPLAB, 'list'], STARTUP_RUNS, GOALS.startupMs, { NODE_DISABLE_COMPILE_CACHE: '1' }),
    timeCommand(`doplab check ${LAB} --facts solved.json, compile cache off`, [DOPLAB, 'check', LAB, '--facts', SOLVED], STARTUP_RUNS, GOALS.factsMs, { NODE_DISABLE_COMPILE_CACHE: '1' }),
    timeCommand(`doplab list, from the sources (DOPLAB_FROM_SOURCES=1)`, ['-e', `process.env.DOPLAB_FROM_SOURCES='1'; process.argv.splice(1, 0, ${JSON.stringify(DOPLAB)}); require(${JSON.stringify(DOPLAB)})`, 'list'], STARTUP_RUNS),
  ];
  // aws-cdk-lib's index loads its service modules lazily: the bare require is cheap, a stack is not.
  const cdkIndex = timeRequire("require('aws-cdk-lib')", CDK_RUNS);
  const sdk = timeRequire(SDK_CLIENTS.map((m) => `require('${m}')`).join('; '), CDK_RUNS);
  const cdk = timeRequire(
    `const cdk = require('aws-cdk-lib'); void cdk.Stack; void cdk.App; ${LAB_STACK_CDK_MODULES.map((m) => `void Object.values(require('aws-cdk-lib/${m}'))`).join('; ')}`,
    CDK_RUNS,
  );
  const cdkAll = timeRequire(
    "const cdk = require('aws-cdk-lib'); for (const k of Object.keys(cdk)) { const ns = cdk[k]; if (ns && typeof ns === 'object') for (const j of Object.keys(ns)) void ns[j]; }",
    CDK_RUNS,
  );
  const baseline = startup[0];
  out(`  ${pad('command', 66)}${padStart('wall', 8)}${padStart('min', 8)}${padStart('CPU', 8)}${padStart('memory', 9)}${padStart('goal', 9)}  exit${padStart('CPU over node', 15)}${BEFORE ? `${padStart('before: wall', 14)}${padStart('CPU', 8)}${padStart('memory', 9)}` : ''}`);
  for (const row of startup) {
    const goal = row.goalMs ? `≤ ${row.goalMs}${row.stats.median <= row.goalMs ? ' ✔' : ' ✘'}` : '';
    const before = row.before ? `${padStart(ms(row.before.stats.median), 14)}${padStart(ms(row.before.cpu.median), 8)}${padStart(`${Math.round(row.before.rssMb)} MB`, 9)}` : '';
    out(
      `  ${pad(row.label, 66)}${padStart(ms(row.stats.median), 8)}${padStart(ms(row.stats.min), 8)}${padStart(ms(row.cpu.median), 8)}` +
        `${padStart(`${Math.round(row.rssMb)} MB`, 9)}${padStart(goal, 9)}  ${row.exitCodes.join(',').padEnd(4)}${padStart(row === baseline ? '' : `+${ms(row.cpu.median - baseline.cpu.median)}`, 15)}${before}`,
    );
    if (row.firstError) out(`      ! ${row.firstError}`);
  }
  if (INSTRUCTIONS) {
    const node = baseline.instructions;
    out(`  instructions (valgrind callgrind, one run each, millions; node -e 0: ${node === undefined ? 'valgrind not found' : Math.round(node)}):`);
    for (const row of startup.slice(1)) {
      if (row.instructions === undefined || node === undefined) continue;
      const over = (n: number) => `+${Math.round(n - node)} (${((n / node - 1) * 100).toFixed(0)}% over node)`;
      const before = row.before?.instructions === undefined ? '' : `   before: ${Math.round(row.before.instructions)} ${over(row.before.instructions)}`;
      out(`  ${pad(row.label, 66)}${padStart(String(Math.round(row.instructions)), 8)} ${over(row.instructions)}${before}`);
    }
  }
  out(`  (goals are for a machine where node -e 0 takes ~70 ms; "CPU over node" is what doplab adds to node's own start-up)`);
  out(`  for comparison, inside one process (${CDK_RUNS} runs):`);
  out(`  ${pad(`  the ${SDK_CLIENTS.length} AWS SDK clients the check path loads`, 60)}${padStart(ms(sdk.median), 9)}${padStart(ms(sdk.min), 9)}`);
  out(`  ${pad("  require('aws-cdk-lib') (its index is lazy)", 60)}${padStart(ms(cdkIndex.median), 9)}${padStart(ms(cdkIndex.min), 9)}`);
  out(`  ${pad(`  + Stack, App and the ${LAB_STACK_CDK_MODULES.length} modules the first lab stack uses`, 60)}${padStart(ms(cdk.median), 9)}${padStart(ms(cdk.min), 9)}`);
  out(`  ${pad('  + every aws-cdk-lib module (what an eager import costs)', 60)}${padStart(ms(cdkAll.median), 9)}${padStart(ms(cdkAll.min), 9)}`);
  out();
  if (ONLY_STARTUP) return { startup, sdk, cdkIndex, cdk, cdkAll, live: [] };

  out(`(b) live check against the local fake AWS endpoint (in-process: gather + checks; ${LIVE_RUNS} runs after a warm-up)`);
  out(`    expected critical path: ${EXPECTED_CRITICAL_PATH.join(' → ')} (${EXPECTED_CRITICAL_PATH.length} round trips); DescribeLogGroups and DescribeAlarms run beside it`);
  const live: LiveRow[] = [];
  for (const latency of LATENCIES_MS) live.push(await liveCheck(latency, LIVE_RUNS));
  live.push(await liveCheck(50, LIVE_RUNS, 2));
  out(`  ${pad('latency', 9)}${padStart('filters', 8)}${padStart('calls', 6)}  ${pad('round trips (observed)', 24)}${padStart('wall median', 12)}${padStart('min', 8)}${padStart('L × path', 10)}${padStart('overhead', 10)}  score`);
  for (const row of live) {
    const ideal = row.latencyMs * EXPECTED_CRITICAL_PATH.length;
    out(
      `  ${pad(ms(row.latencyMs), 9)}${padStart(String(row.filters), 8)}${padStart(String(row.calls), 6)}  ${pad(row.latencyMs > 0 ? String(row.rounds.length) : '– (needs latency)', 24)}` +
        `${padStart(ms(row.wall.median), 12)}${padStart(ms(row.wall.min), 8)}${padStart(ms(ideal), 10)}${padStart(ms(row.wall.median - ideal), 10)}  ${row.score}`,
    );
  }
  for (const row of live.filter((r) => r.latencyMs === 50)) {
    const rounds = row.rounds.map((r) => Object.entries(countOf(r)).map(([op, n]) => (n > 1 ? `${op} ×${n}` : op)).join(' + ')).join(' → ');
    out(`  ${row.filters} filter${row.filters > 1 ? 's' : ''} at 50 ms, rounds: ${rounds}`);
  }
  out();

        return { startup, sdk, cdkIndex, cdk, cdkAll, live };
      })();

  if (ONLY_STARTUP) {
    rmSync(USAGE_DIR, { recursive: true, force: true });
    rmSync(BENCH_HOME, { recursive: true, force: true });
    return;
  }
  out(`(c) doplab check <lab> as a user runs it vs a minimal SDK v3 script doing the same calls, on the same local endpoint:`);
  out(`    cloudwatch-metric-filters: the stateful fake (test/support/fake-aws.ts), bench/reference/cloudwatch-metric-filters.js;`);
  out(`    other labs: their solved test world's recorded exchanges replayed (test/support/replay-aws.ts), bench/reference/replay-calls.js`);
  out(`    (spawned processes, alternating, median of ${CLI_LIVE_RUNS} after a warm-up; goal: doplab ≤ ${GOALS.ratio}× the script, peak memory ≤ ${GOALS.rssMb} MB)`);
  const cliLive: CliLiveRow[] = [];
  // `--lab <id>` (repeatable) measures those labs only.
  const only = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--lab' ? [a] : []));
  for (const lab of LABS.filter((l) => only.length === 0 || only.includes(l.id))) {
    const why = notServable(lab);
    if (why) {
      out(`  ${lab.id}: not measured (${why})`);
      continue;
    }
    const served = lab.id === LAB ? servedByFake() : await servedByReplay(lab.id);
    for (const latency of CLI_LIVE_LATENCIES_MS) cliLive.push(await cliLiveCheck(lab.id, served, latency, CLI_LIVE_RUNS));
  }
  out(`  ${pad('lab', 27)}${pad('latency', 9)}${pad('', 10)}${padStart('wall', 8)}${padStart('CPU', 8)}${padStart('memory', 9)}  exit${padStart('wall ratio', 12)}${padStart('CPU ratio', 11)}  round trips`);
  for (const row of cliLive) {
    const sides: [string, Side][] = [['doplab', row.doplab], ['no cache', row.doplabNoCache], ...(row.before ? [['before', row.before] as [string, Side]] : []), ['script', row.reference]];
    sides.forEach(([name, s], i) => {
      const ratio = s.wall.median / row.reference.wall.median;
      const cpuRatio = s.cpu.median / row.reference.cpu.median;
      const tail =
        name === 'script'
          ? ''
          : `${padStart(`${ratio.toFixed(2)}×${ratio <= GOALS.ratio ? ' ✔' : ' ✘'}`, 12)}${padStart(`${cpuRatio.toFixed(2)}×${cpuRatio <= GOALS.ratio ? ' ✔' : ' ✘'}`, 11)}  ${i === 0 && row.latencyMs > 0 ? `${row.rounds.length} (${row.calls} calls)` : ''}`;
      out(
        `  ${pad(i === 0 ? row.lab : '', 27)}${pad(i === 0 ? ms(row.latencyMs) : '', 9)}${pad(name, 10)}${padStart(ms(s.wall.median), 8)}${padStart(ms(s.cpu.median), 8)}` +
          `${padStart(`${Math.round(s.rssMb)} MB`, 9)}  ${s.exitCodes.join(',').padEnd(4)}${tail}`,
      );
    });
  }
  out(`  (no cache: NODE_DISABLE_COMPILE_CACHE=1, a first run; ${BEFORE ? `before: ${BEFORE}; ` : ''}script: bench/reference/<lab>.js)`);
  for (const row of cliLive.filter((r) => r.latencyMs > 0)) {
    out(`  ${row.lab} at ${row.latencyMs} ms, doplab's rounds: ${row.rounds.map((r) => Object.entries(countOf(r)).map(([op, n]) => (n > 1 ? `${op} ×${n}` : op)).join(' + ')).join(' → ')}`);
    const same = JSON.stringify(row.referenceCalls) === JSON.stringify(row.rounds.flat().sort());
    if (!same) out(`    ! the script's calls differ from doplab's: ${row.referenceCalls.join(', ')}`);
  }
  out();
  out(`bench took ${(Math.round((performance.now() - began) / 100) / 10).toFixed(1)} s`);

  const results = {
    when: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    ...(early ? { startup: early.startup, sdkClientsRequire: early.sdk, cdkRequire: { index: early.cdkIndex, labStackModules: early.cdk, everyModule: early.cdkAll }, live: early.live } : {}),
    cliLive,
  };
  rmSync(USAGE_DIR, { recursive: true, force: true });
  rmSync(PLAN_DIR, { recursive: true, force: true });
  rmSync(BENCH_HOME, { recursive: true, force: true });
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(join(__dirname, 'results', 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exitCode = 1;
});
