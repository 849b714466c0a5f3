import type { CheckResult, LabResult, Status } from '../../../lib/checker';
import type { LabTeardown } from '../../../lib/commands/lifecycle';
import { renderSelftestJUnit, renderStages, runSelftest, selftestCommand, startingStateProblem, type SelftestSteps } from '../../../lib/commands/selftest';
import { lab as realLab } from '../../../labs/cloudwatch-metric-filters/lab';
import { recordingIo } from './support';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function result(statuses: Status[], maxPoints = 10): LabResult {
  const checks = statuses.map(
    (status, i): CheckResult => ({ id: `c${i}`, title: `check ${i}`, points: status === 'PASS' ? maxPoints : 0, maxPoints, taskStatement: '4.1', status, hint: 'h' }),
  );
  const score = checks.reduce((n, c) => n + c.points, 0);
  return { lab: 'demo', account: '111122223333', region: 'eu-west-1', startedAt: '2026-11-23T13:00:00.000Z', durationMs: 5, source: 'aws', score, maxScore: maxPoints * statuses.length, checks };
}

const clean: LabTeardown = { labId: 'demo', deletion: { existed: true, attempts: 1, firstAttemptFailures: [], removed: [] }, audit: { leftovers: [], dismissed: [], regions: ['eu-west-1'] } };

/** Steps that record their order; each may be replaced. */
function steps(overrides: Partial<SelftestSteps> = {}) {
  const calls: string[] = [];
  const checks = [result(['FAIL', 'PENDING', 'SKIPPED']), result(['PASS', 'PASS', 'PASS'])];
  const base: SelftestSteps = {
    deploy: async () => void calls.push('deploy'),
    check: async (waitMs) => {
      calls.push(waitMs ? `check --wait ${waitMs}` : 'check');
      return checks.shift() ?? result(['PASS']);
    },
    solve: async () => void calls.push('solve'),
    teardown: async () => {
      calls.push('teardown');
      return clean;
    },
  };
  const wrapped = Object.fromEntries(
    Object.entries({ ...base, ...overrides }).map(([k, fn]) => [k, async (...args: unknown[]) => {
      if (k in overrides) calls.push(`${k} (overridden)`);
      return (fn as (...a: unknown[]) => Promise<unknown>)(...args);
    }]),
  ) as unknown as SelftestSteps;
  return { steps: wrapped, calls };
}

let clock = 0;
const now = () => (clock += 1000);

describe('runSelftest', () => {
  it('runs the named stages in order and holds when the lab behaves', async () => {
    const { steps: s, calls } = steps();
    const stages = await runSelftest(s, { waitMs: 600_000, now });
    expect(calls).toEqual(['deploy', 'check', 'solve', 'check --wait 600000', 'teardown']);
    expect(stages.map((st) => [st.name, st.status])).toEqual([
      ['deploy', 'held'],
      ['check (starting state)', 'held'],
      ['solve', 'held'],
      ['check --wait (solved)', 'held'],
      ['destroy', 'held'],
      ['leftover audit', 'held'],
    ]);
    expect(stages[0].durationMs).toBe(1000);
  });

  it('still tears down when a stage fails, skipping the stages in between', async () => {
    const { steps: s, calls } = steps({ solve: async () => Promise.reject(new Error('PutMetricFilter: AccessDenied')) });
    const stages = await runSelftest(s, { now });
    expect(calls).toEqual(['deploy', 'check', 'solve (overridden)', 'teardown']);
    expect(stages.map((st) => st.status)).toEqual(['held', 'held', 'failed', 'skipped', 'held', 'held']);
    expect(stages[2].detail).toBe('PutMetricFilter: AccessDenied');
  });

  it('tears down after a failed deploy (a half-created stack is removed too)', async () => {
    const { steps: s, calls } = steps({ deploy: async () => Promise.reject(new Error('DEPLOY_FAILED')) });
    const stages = await runSelftest(s, { now });
    expect(calls).toEqual(['deploy (overridden)', 'teardown']);
    expect(stages.map((st) => st.status)).toEqual(['failed', 'skipped', 'skipped', 'skipped', 'held', 'held']);
  });

  it('fails the starting check when a check passes or errors before the task is done', async () => {
    expect(startingStateProblem(result(['FAIL', 'PENDING', 'SKIPPED']))).toBeUndefined();
    expect(startingStateProblem(result(['FAIL', 'ERROR']))).toBe('score 0/20; c1 is ERROR');
    expect(startingStateProblem(result(['PASS', 'FAIL']))).toBe('score 10/20; c0 is PASS');
  });

  it('fails the solved check when it does not score full', async () => {
    const { steps: s } = steps({ check: async (waitMs) => (waitMs ? result(['PASS', 'PENDING']) : result(['FAIL'])) });
    const stages = await runSelftest(s, { now });
    expect(stages[3]).toMatchObject({ name: 'check --wait (solved)', status: 'failed', detail: 'the solved state must score full: 10/20 (1 PASS, 1 PENDING)' });
    expect(stages[4].status).toBe('held');
  });

  it('fails the audit stage when something is left', async () => {
    const left = { ...clean, audit: { leftovers: [{ resource: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-errors', region: 'eu-west-1', reason: 'r' }], dismissed: [], regions: ['eu-west-1'] } };
    const { steps: s } = steps({ teardown: async () => left });
    const stages = await runSelftest(s, { now });
    expect(stages[5]).toMatchObject({ status: 'failed', detail: '1 left: arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-errors' });
  });

  it('fails the audit stage when destroy failed', async () => {
    const { steps: s } = steps({ teardown: async () => Promise.reject(new Error('DELETE_FAILED twice')) });
    const stages = await runSelftest(s, { now });
    expect(stages.slice(4).map((st) => [st.status, st.detail])).toEqual([
      ['failed', 'DELETE_FAILED twice'],
      ['failed', 'not run: destroy failed'],
    ]);
  });

  it('skips teardown with --keep', async () => {
    const { steps: s, calls } = steps();
    const stages = await runSelftest(s, { keep: true, now });
    expect(calls).not.toContain('teardown');
    expect(stages.slice(4).map((st) => st.status)).toEqual(['skipped', 'skipped']);
  });
});

describe('selftest reports', () => {
  it('prints a stage table with timings', async () => {
    const { steps: s } = steps();
    const text = renderStages('demo', await runSelftest(s, { now }));
    expect(text).toMatch(/^selftest demo\n {2}✔ deploy {17} held {4}[ ]+1s {2}deployed$/m);
    expect(text.split('\n').at(-1)).toBe('Every stage held.');
  });

  it('writes JUnit with one testcase per stage and exits 1 when any stage failed (--all)', async () => {
    const junit = join(mkdtempSync(join(tmpdir(), 'doplab-selftest-')), 'selftest.xml');
    const io = recordingIo();
    const failing = steps({ solve: async () => Promise.reject(new Error('boom')) }).steps;
    const code = await selftestCommand([realLab, { ...realLab, id: 'second-lab' }], {}, io, { junit }, { steps: (lab) => (lab.id === 'second-lab' ? failing : steps().steps), session: {} as never });
    expect(code).toBe(1);
    const xml = readFileSync(junit, 'utf8');
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml.match(/<testcase /g)).toHaveLength(12);
    expect(xml).toContain('<failure message="boom">boom</failure>');
    expect(renderSelftestJUnit([])).toContain('<testsuites name="doplab selftest"/>');
  });

  it('exits 0 when every stage of every lab held', async () => {
    const code = await selftestCommand([realLab], {}, recordingIo(), {}, { steps: () => steps().steps, session: {} as never });
    expect(code).toBe(0);
  });
});
