import type { CheckResult, LabResult, Status } from '../../lib/checker';
import { checkUntilSettled, type Attempt } from '../../lib/commands/check';
import { FACTS_FORMAT } from '../../lib/facts-file';
import type { Io } from '../../lib/io';
import { LiveLine } from '../../lib/report/live-line';
import { REDRAW, frames, screen } from '../support/terminal-transcript';

function check(id: string, status: Status, observed = `${id} observed`): CheckResult {
  return {
    id,
    title: `Title of ${id}`,
    taskStatement: '4.2',
    status,
    points: status === 'PASS' ? 1 : 0,
    maxPoints: 1,
    evidence: { observed, expected: 'settled', where: 'eu-west-1' },
  };
}

function attemptWith(...checks: CheckResult[]): Attempt {
  const result: LabResult = {
    lab: 'demo-lab',
    account: '123456789012',
    region: 'eu-west-1',
    startedAt: '2026-11-23T10:00:00.000Z',
    durationMs: 10,
    source: 'aws',
    score: checks.filter((c) => c.status === 'PASS').length,
    maxScore: checks.length,
    checks,
  };
  return {
    file: {
      format: FACTS_FORMAT,
      lab: 'demo-lab',
      account: '123456789012',
      region: 'eu-west-1',
      gatheredAt: '2026-11-23T10:00:00.000Z',
      stack: { name: 'DopLab-demo-lab', status: 'CREATE_COMPLETE', outputs: {} },
      facts: {},
    },
    result,
  };
}

const pending = () => attemptWith(check('filter-counts-errors', 'PASS'), check('alarm-receiving-data', 'PENDING', 'alarm errors is INSUFFICIENT_DATA'));
const settled = () => attemptWith(check('filter-counts-errors', 'PASS'), check('alarm-receiving-data', 'PASS'));

/** A fake clock: `sleep` advances `now`; each attempt may take time too. */
function harness(attempts: Attempt[], attemptTakesMs = 0) {
  let clock = 0;
  const sleeps: number[] = [];
  const errors: string[] = [];
  const io: Io = { out: () => undefined, err: (text) => errors.push(text), color: false, interactive: false };
  let calls = 0;
  const attempt = jest.fn(async () => {
    clock += attemptTakesMs;
    const next = attempts[Math.min(calls, attempts.length - 1)];
    calls += 1;
    return next;
  });
  return {
    attempt,
    sleeps,
    errors,
    options: {
      io,
      now: () => clock,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        clock += ms;
      },
    },
  };
}

describe('checkUntilSettled', () => {
  it('checks once and returns at once without a wait, even when something is pending', async () => {
    const first = pending();
    const h = harness([first, settled()]);
    await expect(checkUntilSettled(h.attempt, h.options)).resolves.toBe(first);
    expect(h.attempt).toHaveBeenCalledTimes(1);
    expect(h.sleeps).toEqual([]);
    expect(h.errors).toEqual([]);
  });

  it('returns the first result when nothing is pending', async () => {
    const first = settled();
    const h = harness([first]);
    await expect(checkUntilSettled(h.attempt, { ...h.options, waitMs: 600_000 })).resolves.toBe(first);
    expect(h.attempt).toHaveBeenCalledTimes(1);
    expect(h.sleeps).toEqual([]);
  });

  it('checks again while a check is PENDING and stops once it settles', async () => {
    const last = settled();
    const h = harness([pending(), pending(), last]);
    await expect(checkUntilSettled(h.attempt, { ...h.options, waitMs: 600_000, intervalMs: 20_000 })).resolves.toBe(last);
    expect(h.attempt).toHaveBeenCalledTimes(3);
    expect(h.sleeps).toEqual([20_000, 20_000]);
    expect(h.errors).toEqual([
      'Waited 0s of 10m 00s; pending: alarm-receiving-data (alarm errors is INSUFFICIENT_DATA). Checking again in 20s.',
      'Waited 20s of 10m 00s; pending: alarm-receiving-data (alarm errors is INSUFFICIENT_DATA). Checking again in 20s.',
      'Settled after 40s (3 checks).',
    ]);
  });

  it('stops waiting when the pending check settles as a failure', async () => {
    const failed = attemptWith(check('alarm-receiving-data', 'FAIL'));
    const h = harness([pending(), failed]);
    await expect(checkUntilSettled(h.attempt, { ...h.options, waitMs: 600_000 })).resolves.toBe(failed);
    expect(h.attempt).toHaveBeenCalledTimes(2);
  });

  it('waits 15 s between checks by default', async () => {
    const h = harness([pending(), settled()]);
    await checkUntilSettled(h.attempt, { ...h.options, waitMs: 600_000 });
    expect(h.sleeps).toEqual([15_000]);
  });

  it('names the pending checks and what they saw, and how long it has waited, one line per round', async () => {
    const h = harness([
      attemptWith(check('filter-publishes-metric', 'PENDING', 'no datapoints yet'), check('alarm-receiving-data', 'PENDING', 'alarm errors is INSUFFICIENT_DATA')),
      settled(),
    ]);
    await checkUntilSettled(h.attempt, { ...h.options, waitMs: 600_000 });
    expect(h.errors).toEqual([
      'Waited 0s of 10m 00s; pending: filter-publishes-metric (no datapoints yet), alarm-receiving-data (alarm errors is INSUFFICIENT_DATA). ' +
        'Checking again in 15s.',
      'Settled after 15s (2 checks).',
    ]);
  });

  it('stops at the deadline, says so, and returns the last result', async () => {
    const attempts = [pending(), pending(), pending(), pending()];
    const h = harness(attempts);
    await expect(checkUntilSettled(h.attempt, { ...h.options, waitMs: 40_000 })).resolves.toBe(attempts[3]);
    // Never sleeps past the deadline: the last pause is what is left.
    expect(h.sleeps).toEqual([15_000, 15_000, 10_000]);
    expect(h.attempt).toHaveBeenCalledTimes(4);
    expect(h.errors).toEqual([
      'Waited 0s of 40s; pending: alarm-receiving-data (alarm errors is INSUFFICIENT_DATA). Checking again in 15s.',
      'Waited 15s of 40s; pending: alarm-receiving-data (alarm errors is INSUFFICIENT_DATA). Checking again in 15s.',
      'Waited 30s of 40s; pending: alarm-receiving-data (alarm errors is INSUFFICIENT_DATA). Checking again in 10s.',
      'Still pending after 40s; giving up waiting.',
    ]);
  });

  it('counts the time the checks take against the deadline', async () => {
    const h = harness([pending()], 25_000);
    await checkUntilSettled(h.attempt, { ...h.options, waitMs: 60_000 });
    // t=25s check, sleep 15s; t=65s check: past the 60 s deadline.
    expect(h.sleeps).toEqual([15_000]);
    expect(h.attempt).toHaveBeenCalledTimes(2);
    expect(h.errors.at(-1)).toBe('Still pending after 1m 00s; giving up waiting.');
  });

  it('passes on an error from a check attempt', async () => {
    const h = harness([pending()]);
    h.attempt.mockRejectedValueOnce(new Error('gather failed'));
    await expect(checkUntilSettled(h.attempt, { ...h.options, waitMs: 60_000 })).rejects.toThrow('gather failed');
  });
});

describe('checkUntilSettled at a terminal', () => {
  /** stderr a terminal: the live line's redraws and the plain lines, in one transcript; `tick` moves the clock and redraws. */
  function terminal(attempts: Attempt[], attemptTakesMs = 0) {
    let clock = 0;
    let stderr = '';
    const io: Io = { out: () => undefined, err: (text) => (stderr += `${text}\n`), color: false, interactive: true };
    const line = new LiveLine(io, { write: (text) => (stderr += text), columns: () => 200 }, 0);
    let calls = 0;
    const attempt = jest.fn(async () => {
      clock += attemptTakesMs;
      return attempts[Math.min(calls++, attempts.length - 1)];
    });
    // The real sleep waits while the line's timer redraws it every second; here a redraw every 5 s of it.
    const sleep = async (ms: number) => {
      for (let s = 5_000; s < ms; s += 5_000) {
        clock += 5_000;
        line.redraw();
      }
      clock += ms % 5_000 || 5_000;
    };
    return { attempt, line, options: { io, line, now: () => clock, sleep }, stderr: () => stderr };
  }

  it('keeps one line updated in place: what it waits for, the time waited, the time to the next check', async () => {
    const t = terminal([pending(), pending(), settled()], 2_000);
    await checkUntilSettled(t.attempt, { ...t.options, waitMs: 600_000, intervalMs: 10_000 });
    const pendingText = 'pending: alarm-receiving-data (alarm errors is INSUFFICIENT_DATA)';
    expect(frames(t.stderr())).toEqual([
      `Waited 2s of 10m 00s · ${pendingText} · next check in 10s`,
      `Waited 7s of 10m 00s · ${pendingText} · next check in 5s`,
      `Waited 12s of 10m 00s · ${pendingText} · checking…`,
      `Waited 14s of 10m 00s · ${pendingText} · next check in 10s`,
      `Waited 19s of 10m 00s · ${pendingText} · next check in 5s`,
      `Waited 24s of 10m 00s · ${pendingText} · checking…`,
      'Settled after 26s (3 checks).',
    ]);
    // What stays on screen: only the outcome, the live line erased.
    expect(screen(t.stderr())).toEqual(['Settled after 26s (3 checks).']);
  });

  it('gives up at the deadline with one final line', async () => {
    const t = terminal([pending()]);
    await checkUntilSettled(t.attempt, { ...t.options, waitMs: 20_000, intervalMs: 15_000 });
    expect(screen(t.stderr())).toEqual(['Still pending after 20s; giving up waiting.']);
  });

  it('erases the line when an attempt fails', async () => {
    const t = terminal([pending()]);
    t.attempt.mockResolvedValueOnce(pending()).mockRejectedValueOnce(new Error('gather failed'));
    await expect(checkUntilSettled(t.attempt, { ...t.options, waitMs: 60_000 })).rejects.toThrow('gather failed');
    expect(t.stderr().endsWith(REDRAW)).toBe(true);
    expect(screen(t.stderr())).toEqual([]);
  });
});
