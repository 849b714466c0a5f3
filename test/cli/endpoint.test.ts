// `doplab check` end to end: the real CLI process against a local AWS endpoint (test/support/fake-aws),
// so the SDK's signing, wire protocols, retries and error parsing all run, offline.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checker } from '../../checkers/cloudwatch-metric-filters';
import { isReadOnlyAction } from '../../lib/aws/clients';
import type { LabResult } from '../../lib/checker';
import { checkerActions } from '../../lib/engine';
import { FakeAws, fakeStateFromFacts, type FakeAwsOptions, type FakeAwsState } from '../support/fake-aws';
import { LAB, SOLVED, STARTING, doplabAsync, hasStackTrace, isolatedEnv, type Run } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'doplab-endpoint-'));

/** Fake static credentials: the SDK signs with them, the fake endpoint ignores the signature. */
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', AWS_REGION: 'eu-west-1' };


/** The two ways a user points doplab at another endpoint. */
const ENDPOINT_MODES: [string, (url: string) => { args: string[]; env: Record<string, string> }][] = [
  ['--endpoint-url', (url) => ({ args: ['--endpoint-url', url], env: {} })],
  ['AWS_ENDPOINT_URL', (url) => ({ args: [], env: { AWS_ENDPOINT_URL: url } })],
];

/** Every operation the check path may call: the lab stack, then the checker's declared reads (no STS: the stack ARN carries the account). */
const EXPECTED_ACTIONS = checkerActions(checker);

function timeless(result: LabResult): Omit<LabResult, 'startedAt' | 'durationMs' | 'source'> {
  const { startedAt: _s, durationMs: _d, source: _src, ...rest } = result;
  return rest;
}

describe.each(ENDPOINT_MODES)('doplab check against a local AWS endpoint given by %s', (_mode, endpoint) => {
  let fake: FakeAws | undefined;

  afterEach(async () => {
    await fake?.stop();
    fake = undefined;
  });

  async function serve(factsFile: string, change: (state: FakeAwsState) => void = () => {}, options: FakeAwsOptions = {}): Promise<FakeAws> {
    const { state, options: fromFacts } = fakeStateFromFacts(factsFile);
    change(state);
    fake = await FakeAws.start(state, { ...fromFacts, ...options });
    return fake;
  }

  function check(server: FakeAws, ...extra: string[]): Promise<Run> {
    const { args, env } = endpoint(server.url);
    return doplabAsync(['check', LAB, ...args, ...extra], isolatedEnv({ ...CREDENTIALS, ...env }));
  }

  function expectOnlyDeclaredReads(server: FakeAws): void {
    const actions = [...new Set(server.requests.map((r) => r.action))].sort();
    expect(actions.every(isReadOnlyAction)).toBe(true);
    expect(actions.every((a) => EXPECTED_ACTIONS.includes(a))).toBe(true);
    expect(server.requests.every((r) => r.signingRegion === 'eu-west-1')).toBe(true);
  }

  it('passes the solved state with full score and exit 0, making one call per read', async () => {
    const server = await serve(SOLVED);
    const run = await check(server, '--json');
    expect(run.stderr).not.toContain('doplab:');
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout) as LabResult;
    expect(result).toMatchObject({ lab: LAB, account: '111122223333', region: 'eu-west-1', source: 'aws' });
    expect(result.score).toBe(result.maxScore);
    expect(result.checks.every((c) => c.status === 'PASS')).toBe(true);
    expect(server.countByOperation()).toEqual({
      DescribeStacks: 1,
      DescribeMetricFilters: 1,
      TestMetricFilter: 1,
      DescribeLogGroups: 1,
      DescribeAlarms: 1,
    });
    expect([...new Set(server.requests.map((r) => r.action))].sort()).toEqual(EXPECTED_ACTIONS);
    expectOnlyDeclaredReads(server);
  });

  it('fails the starting state with exit 1 and tests no filter when there is none', async () => {
    const server = await serve(STARTING);
    const run = await check(server, '--json');
    expect(run.status).toBe(1);
    const result = JSON.parse(run.stdout) as LabResult;
    expect(result.score).toBe(0);
    expect(result.checks.find((c) => c.id === 'filter-counts-errors')).toMatchObject({ status: 'FAIL' });
    expect(server.countByOperation()).toEqual({ DescribeStacks: 1, DescribeMetricFilters: 1, DescribeLogGroups: 1, DescribeAlarms: 1 });
    expectOnlyDeclaredReads(server);
  });

  it('exits 3 with "not deployed" and a doplab deploy hint when the lab stack is missing, without a stack trace', async () => {
    const server = await serve(SOLVED, (state) => {
      state.stacks = [];
    });
    const run = await check(server);
    expect(run.status).toBe(3);
    expect(run.stderr).toContain('not deployed');
    expect(run.stderr).toContain(`doplab deploy ${LAB}`);
    expect(hasStackTrace(run.stderr)).toBe(false);
    expect(server.operations()).toEqual(['DescribeStacks']);
    expect(server.requests[0]).toMatchObject({ status: 400, errorCode: 'ValidationError', params: { StackName: `DopLab-${LAB}` } });
  });

  it('retries DescribeAlarms throttled twice and still passes', async () => {
    const server = await serve(SOLVED, undefined, { throttle: { DescribeAlarms: 2 } });
    const run = await check(server, '--json');
    expect(run.status).toBe(0);
    const alarmCalls = server.requests.filter((r) => r.operation === 'DescribeAlarms');
    expect(alarmCalls.map((r) => [r.status, r.errorCode, r.attempt])).toEqual([
      [400, 'Throttling', 1],
      [400, 'Throttling', 2],
      [200, undefined, 3],
    ]);
    expect(alarmCalls.every((r) => r.queryMode)).toBe(true);
  });

  it('with --wait and stderr not a terminal: one line per round naming what it waits for and how long it has waited', async () => {
    const server = await serve(SOLVED, (state) => {
      for (const alarm of state.metricAlarms) Object.assign(alarm, { StateValue: 'INSUFFICIENT_DATA', StateReason: 'Unchecked: Initial alarm creation' });
    });
    const run = await check(server, '--wait', '5s', '--no-color');
    expect(run.status).toBe(1);
    expect(run.stderr).not.toContain('\r');
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^Waited \ds of 5s; pending: alarm-receiving-data \(alarm "orders-api-errors" is INSUFFICIENT_DATA since [^)]+: Unchecked: Initial alarm creation\)\. Checking again in [1-5]s\.$/,
      ),
      'Still pending after 5s; giving up waiting.',
    ]);
    expect(run.stdout).toContain('PENDING');
    expect(server.countByOperation().DescribeAlarms).toBe(2);
  });

  it('reports the alarm checks as ERROR naming cloudwatch:DescribeAlarms when it is denied, and exits 1', async () => {
    const server = await serve(SOLVED, undefined, { deny: ['DescribeAlarms'] });
    const run = await check(server, '--json');
    expect(run.status).toBe(1);
    const result = JSON.parse(run.stdout) as LabResult;
    const byId = Object.fromEntries(result.checks.map((c) => [c.id, c]));
    expect(byId['alarm-on-error-metric']).toMatchObject({
      status: 'ERROR',
      points: 0,
      error: { code: 'ACCESS_DENIED', action: 'cloudwatch:DescribeAlarms', message: expect.stringContaining('cloudwatch:DescribeAlarms') },
    });
    // Checks that build on the alarm cannot be decided either; the others are unaffected.
    expect(byId['alarm-notifies-topic'].status).toBe('SKIPPED');
    expect(byId['alarm-receiving-data'].status).toBe('SKIPPED');
    for (const id of ['filter-counts-errors', 'filter-ignores-other-levels', 'filter-publishes-metric', 'retention-set']) expect(byId[id].status).toBe('PASS');
    // Access denied is not retried.
    expect(server.countByOperation().DescribeAlarms).toBe(1);
  });

  it('re-grades --save-facts output offline with --facts to the same result', async () => {
    const server = await serve(SOLVED);
    const saved = join(tmp, `saved-${_mode.replace(/\W/g, '')}.json`);
    const live = await check(server, '--json', '--save-facts', saved);
    expect(live.status).toBe(0);
    const offline = await doplabAsync(['check', LAB, '--facts', saved, '--json'], isolatedEnv());
    expect(offline.status).toBe(0);
    const liveResult = JSON.parse(live.stdout) as LabResult;
    const offlineResult = JSON.parse(offline.stdout) as LabResult;
    expect([liveResult.source, offlineResult.source]).toEqual(['aws', 'facts-file']);
    expect(timeless(offlineResult)).toEqual(timeless(liveResult));
    // What came over the wire decodes to exactly the shipped example the fake was built from.
    const { gatheredAt: _a, ...savedFile } = JSON.parse(readFileSync(saved, 'utf8'));
    const { gatheredAt: _b, ...shippedFile } = JSON.parse(readFileSync(SOLVED, 'utf8'));
    expect(savedFile).toEqual(shippedFile);
  });
});

describe('the fake AWS endpoint', () => {
  it('refuses an operation it does not implement, naming it', async () => {
    const { state } = fakeStateFromFacts(SOLVED);
    const server = await FakeAws.start(state);
    try {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'GraniteServiceVersion20100801.PutMetricAlarm', 'x-amzn-query-mode': 'true' },
        body: '{}',
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('x-amzn-query-error')).toBe('UnknownOperationException;Sender');
      expect(await response.json()).toEqual({ __type: 'UnknownOperationException', message: expect.stringContaining('cloudwatch:PutMetricAlarm') });
      expect(server.requests[0]).toMatchObject({ service: 'cloudwatch', operation: 'PutMetricAlarm', status: 400 });
    } finally {
      await server.stop();
    }
  });
});
