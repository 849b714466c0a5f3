// doplab benchmarks: prints numbers, asserts nothing (DESIGN §11). Run with `npm run bench`.
// (a) CLI start-up of the commands that must start fast, and what loading aws-cdk-lib would cost.
// (b) A live check against the local fake AWS endpoint with injected per-call latency: API calls per
//     check, the sequential round trips on the critical path, and wall time against latency × path.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { checker } from '../checkers/cloudwatch-metric-filters';
import { AwsSession } from '../lib/aws/clients';
import { whoAmI } from '../lib/aws/lab-stack';
import { evaluate, gatherFacts } from '../lib/engine';
import { FakeAws, fakeStateFromFacts, type FakeAwsState, type RecordedRequest } from '../test/support/fake-aws';

const ROOT = join(__dirname, '..');
const LAB = 'cloudwatch-metric-filters';
const SOLVED = join(ROOT, 'labs', LAB, 'facts', 'solved.json');
const DOPLAB = join(ROOT, 'bin', 'doplab.js');
const STARTUP_RUNS = 10;
const CDK_RUNS = 3;
const LATENCIES_MS = [0, 50, 100];
const LIVE_RUNS = 5;
const CLI_LIVE_LATENCIES_MS = [0, 100];
const CLI_LIVE_RUNS = 5;
/** The check's dependency chain: who am I → the lab stack → DescribeMetricFilters → TestMetricFilter per filter. */
const EXPECTED_CRITICAL_PATH = ['GetCallerIdentity', 'DescribeStacks', 'DescribeMetricFilters', 'TestMetricFilter'];

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', AWS_REGION: 'eu-west-1' };

const BENCH_HOME = mkdtempSync(join(tmpdir(), 'doplab-bench-home-'));

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
  /** Exit codes seen (expected: 0, except 1 for nothing here). */
  readonly exitCodes: number[];
  readonly firstError?: string;
}

function timeCommand(label: string, args: readonly string[], runs: number): StartupRow {
  const samples: number[] = [];
  const exitCodes = new Set<number>();
  let firstError: string | undefined;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const run = spawnSync(process.execPath, args, { cwd: ROOT, env: isolatedEnv(), encoding: 'utf8' });
    samples.push(performance.now() - started);
    exitCodes.add(run.status ?? -1);
    if (run.status !== 0 && firstError === undefined) firstError = (run.stderr || run.stdout).trim().split('\n')[0];
  }
  return { label, stats: stats(samples), exitCodes: [...exitCodes], ...(firstError ? { firstError } : {}) };
}

/** The aws-cdk-lib modules the first lab's stack loads (labs/cloudwatch-metric-filters/stack.ts, lib/cdk). */
const LAB_STACK_CDK_MODULES = ['aws-events', 'aws-events-targets', 'aws-iam', 'aws-lambda', 'aws-logs', 'aws-sns'];

/** The SDK clients the check path loads (lib/aws/lab-stack.ts and the first checker). */
const SDK_CLIENTS = ['@aws-sdk/client-sts', '@aws-sdk/client-cloudformation', '@aws-sdk/client-cloudwatch', '@aws-sdk/client-cloudwatch-logs'];

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
function sequentialRounds(requests: readonly RecordedRequest[]): string[][] {
  const sorted = [...requests].sort((a, b) => a.receivedAt - b.receivedAt);
  const round: number[] = [];
  sorted.forEach((request, i) => {
    let before = 0;
    for (let j = 0; j < i; j++) if (sorted[j].answeredAt <= request.receivedAt) before = Math.max(before, round[j]);
    round.push(before + 1);
  });
  const rounds: string[][] = [];
  sorted.forEach((request, i) => (rounds[round[i] - 1] ??= []).push(request.operation));
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
        const identity = await whoAmI(session);
        const file = await gatherFacts(checker, session, { identity });
        const result = evaluate(checker.checks, file.facts, { lab: LAB, account: identity.account, region: identity.region, source: 'aws' });
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

function spawnAsync(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

interface CliLiveRow {
  readonly latencyMs: number;
  readonly wall: Stats;
  readonly exitCodes: number[];
}

/** `doplab check` as a user runs it, against the fake endpoint: start-up plus the live path. */
async function cliLiveCheck(latencyMs: number, runs: number): Promise<CliLiveRow> {
  const { state, options } = fakeStateFromFacts(SOLVED);
  const fake = await FakeAws.start(state, { ...options, latencyMs });
  const samples: number[] = [];
  const exitCodes = new Set<number>();
  try {
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const status = await spawnAsync([DOPLAB, 'check', LAB, '--endpoint-url', fake.url], isolatedEnv(CREDENTIALS));
      samples.push(performance.now() - started);
      exitCodes.add(status ?? -1);
    }
  } finally {
    await fake.stop();
  }
  return { latencyMs, wall: stats(samples), exitCodes: [...exitCodes] };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const began = performance.now();
  Object.assign(process.env, isolatedEnv(CREDENTIALS));
  // The SDK's multi-line Node-version notice would interleave with the table.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`doplab bench — node ${process.version}, ${process.platform} ${process.arch}, ${cpus().length} CPUs, ${new Date().toISOString()}`);
  out();

  out(`(a) CLI start-up, wall time of the whole process (${STARTUP_RUNS} runs each)`);
  const startup: StartupRow[] = [
    timeCommand('node -e 0 (baseline: node itself)', ['-e', '0'], STARTUP_RUNS),
    timeCommand('doplab --help', [DOPLAB, '--help'], STARTUP_RUNS),
    timeCommand('doplab list', [DOPLAB, 'list'], STARTUP_RUNS),
    timeCommand(`doplab show ${LAB}`, [DOPLAB, 'show', LAB], STARTUP_RUNS),
    timeCommand(`doplab check ${LAB} --facts solved.json`, [DOPLAB, 'check', LAB, '--facts', SOLVED], STARTUP_RUNS),
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
  out(`  ${pad('command', 60)}${padStart('median', 9)}${padStart('min', 9)}  exit`);
  for (const row of startup) {
    out(`  ${pad(row.label, 60)}${padStart(ms(row.stats.median), 9)}${padStart(ms(row.stats.min), 9)}  ${row.exitCodes.join(',')}`);
    if (row.firstError) out(`      ! ${row.firstError}`);
  }
  out(`  for comparison, inside one process (${CDK_RUNS} runs):`);
  out(`  ${pad(`  the ${SDK_CLIENTS.length} AWS SDK clients the check path loads`, 60)}${padStart(ms(sdk.median), 9)}${padStart(ms(sdk.min), 9)}`);
  out(`  ${pad("  require('aws-cdk-lib') (its index is lazy)", 60)}${padStart(ms(cdkIndex.median), 9)}${padStart(ms(cdkIndex.min), 9)}`);
  out(`  ${pad(`  + Stack, App and the ${LAB_STACK_CDK_MODULES.length} modules the first lab stack uses`, 60)}${padStart(ms(cdk.median), 9)}${padStart(ms(cdk.min), 9)}`);
  out(`  ${pad('  + every aws-cdk-lib module (what an eager import costs)', 60)}${padStart(ms(cdkAll.median), 9)}${padStart(ms(cdkAll.min), 9)}`);
  out();

  out(`(b) live check against the local fake AWS endpoint (in-process: whoAmI + gather + checks; ${LIVE_RUNS} runs after a warm-up)`);
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

  out(`(c) doplab check as a user runs it (spawned CLI, --endpoint-url to the fake; ${CLI_LIVE_RUNS} runs)`);
  const cliLive: CliLiveRow[] = [];
  for (const latency of CLI_LIVE_LATENCIES_MS) cliLive.push(await cliLiveCheck(latency, CLI_LIVE_RUNS));
  out(`  ${pad('latency', 9)}${padStart('median', 9)}${padStart('min', 9)}  exit`);
  for (const row of cliLive) out(`  ${pad(ms(row.latencyMs), 9)}${padStart(ms(row.wall.median), 9)}${padStart(ms(row.wall.min), 9)}  ${row.exitCodes.join(',')}`);
  out();
  out(`bench took ${(Math.round((performance.now() - began) / 100) / 10).toFixed(1)} s`);

  const results = { when: new Date().toISOString(), node: process.version, cpus: cpus().length, startup, sdkClientsRequire: sdk, cdkRequire: { index: cdkIndex, labStackModules: cdk, everyModule: cdkAll }, live, cliLive };
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(join(__dirname, 'results', 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exitCode = 1;
});
