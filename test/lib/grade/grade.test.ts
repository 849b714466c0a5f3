import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checker } from '../../../checkers/cloudwatch-metric-filters';
import { isReadOnlyAction } from '../../../lib/aws/clients';
import { checkerActions } from '../../../lib/engine';
import { assumeLearnerRole, SESSION_SECONDS } from '../../../lib/grade/credentials';
import { gradeClass, type GradeClassOptions, type LearnerDone } from '../../../lib/grade/grade';
import { parseRoster, roleSessionName, type RosterEntry } from '../../../lib/grade/roster';
import { ResultStore, type GradeRecord } from '../../../lib/grade/store';
import { findLab } from '../../../lib/registry';
import { FACTS, SimulatedClass, SimulatedSession, type SimulatedAccount } from '../../support/simulated-class';
import { awsError } from '../../support/mocked-session';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';

const ROLE = 'DopLabGrader';
/** The simulated accounts answer this lab's calls (other labs land in parallel). */
const LAB = findLab('cloudwatch-metric-filters');

/** Runs `work` with fake timers, skipping the SDK's back-off after a throttle (adaptive retry waits about 2 s). */
async function withoutWaiting<T>(work: () => Promise<T>): Promise<T> {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'performance'] });
  try {
    let settled = false;
    const pending = work().finally(() => (settled = true));
    for (let waited = 0; !settled && waited < 60_000; waited += 250) await jest.advanceTimersByTimeAsync(250);
    return await pending;
  } finally {
    jest.useRealTimers();
  }
}
const account = (n: number) => String(n).repeat(12).slice(0, 12);

function rosterOf(accounts: readonly (SimulatedAccount & { learner: string; region?: string })[]): RosterEntry[] {
  const lines = accounts.map((a) => `"${a.learner.replace(/"/g, '""')}",${a.accountId},${a.externalId ?? ''},${a.region ?? ''}`);
  return parseRoster(`learner,account_id,external_id,region\n${lines.join('\n')}\n`, 'class.csv', { roleName: ROLE, region: 'eu-west-1' });
}

function outDir(): string {
  return mkdtempSync(join(tmpdir(), 'doplab-grade-'));
}

async function grade(cls: SimulatedClass, roster: RosterEntry[], store: ResultStore, extra: Partial<GradeClassOptions> = {}) {
  const done: LearnerDone[] = [];
  const summary = await gradeClass({
    roster,
    labs: [LAB],
    store,
    instructor: cls.instructorSession(),
    newSession: cls.newSession,
    onLearnerDone: (d) => done.push(d),
    ...extra,
  });
  return { summary, done };
}

const CLASS: (SimulatedAccount & { learner: string; region?: string })[] = [
  { learner: 'Smith, Ann', accountId: account(1), roleName: ROLE, facts: FACTS.solved },
  { learner: 'Bob "B" Jones', accountId: account(2), roleName: ROLE, externalId: 'class-2026-x', facts: FACTS.starting },
  { learner: 'carol', accountId: account(3) },
  { learner: 'dave', accountId: account(4), roleName: ROLE },
  { learner: 'erin', accountId: account(5), roleName: ROLE, facts: FACTS.solved, disabledRegions: ['ap-east-1'], region: 'ap-east-1' },
  { learner: 'frank', accountId: account(6), roleName: ROLE, externalId: 'expected-id', facts: FACTS.solved },
];

describe('gradeClass', () => {
  it('grades each learner in their own account and turns every failure into that learner’s record', async () => {
    const roster = rosterOf(CLASS.map((a) => (a.learner === 'frank' ? { ...a, externalId: 'wrong-id' } : a)));
    const cls = new SimulatedClass(CLASS);
    const store = new ResultStore(outDir());
    const { summary, done } = await grade(cls, roster, store);

    expect(summary).toEqual({ learners: 6, notStarted: 0, labsGraded: 2, labsReused: 0, labsFailed: 4, apiCalls: expect.any(Number) });
    expect(done.map((d) => d.learner).sort()).toEqual(roster.map((e) => e.learner).sort());
    const record = (learner: string) => store.read(learner, 'cloudwatch-metric-filters')!;

    expect(record('Smith, Ann')).toMatchObject({ graded: true, accountId: account(1), region: 'eu-west-1', result: { score: 100, maxScore: 100, account: account(1) } });
    expect(record('Bob "B" Jones')).toMatchObject({ graded: true, result: { score: 0 } });
    expect(record('Bob "B" Jones').result.checks.map((c) => c.status)).toEqual(['FAIL', 'SKIPPED', 'SKIPPED', 'FAIL', 'SKIPPED', 'SKIPPED', 'FAIL']);

    expect(record('carol')).toMatchObject({ graded: false, error: { code: 'ACCESS_DENIED', action: 'sts:AssumeRole' } });
    expect(record('carol').error!.message).toContain(`Cannot assume arn:aws:iam::${account(3)}:role/${ROLE}`);
    expect(record('carol').error!.hint).toContain('doplab grader-role');
    expect(record('frank')).toMatchObject({ graded: false, error: { code: 'ACCESS_DENIED' } });
    expect(record('frank').error!.message).toContain('(with the external id)');
    expect(record('dave')).toMatchObject({ graded: false, error: { code: 'LAB_NOT_DEPLOYED' } });
    expect(record('erin')).toMatchObject({ graded: false, region: 'ap-east-1', error: { code: 'REGION_DISABLED' } });
    expect(record('erin').error!.message).toContain(`Account ${account(5)} rejected the grader's credentials in ap-east-1`);
    // A record that could not be graded still lists every check, as ERROR with the reason.
    expect(record('dave').result.checks.every((c) => c.status === 'ERROR' && c.error?.code === 'LAB_NOT_DEPLOYED')).toBe(true);
    expect(record('dave').result.maxScore).toBe(100);
  });

  it('assumes each role once, naming the learner, with the external id and the shortest session', async () => {
    const roster = rosterOf(CLASS.slice(0, 2));
    const cls = new SimulatedClass(CLASS);
    await grade(cls, roster, new ResultStore(outDir()));
    const assumed = cls.calls.filter((c) => c.action === 'sts:AssumeRole').map((c) => c.input);
    expect(assumed).toEqual(
      expect.arrayContaining([
        { RoleArn: `arn:aws:iam::${account(1)}:role/${ROLE}`, RoleSessionName: roleSessionName('Smith, Ann'), DurationSeconds: SESSION_SECONDS },
        { RoleArn: `arn:aws:iam::${account(2)}:role/${ROLE}`, RoleSessionName: roleSessionName('Bob "B" Jones'), DurationSeconds: SESSION_SECONDS, ExternalId: 'class-2026-x' },
      ]),
    );
    expect(assumed).toHaveLength(2);
  });

  it('sends each account only the declared read-only calls, with that account’s credentials', async () => {
    const roster = rosterOf(CLASS.slice(0, 2));
    const cls = new SimulatedClass(CLASS);
    await grade(cls, roster, new ResultStore(outDir()));
    for (const id of [account(1), account(2)]) {
      const actions = cls.calls.filter((c) => c.accountId === id && c.action !== 'sts:AssumeRole').map((c) => c.action.replace(/^CloudWatchLogs:/, 'logs:').toLowerCase());
      expect(actions.length).toBeGreaterThan(0);
      // The simulated account routes by the signing access key: calls reach it only with its assumed credentials.
      for (const a of actions) expect(checkerActions(checker).map((x) => x.toLowerCase())).toContain(a);
    }
    expect(cls.calls.every((c) => c.action === 'sts:AssumeRole' || isReadOnlyAction(c.action))).toBe(true);
  });

  it('keeps grading the others while one account is slow', async () => {
    const accounts = [
      { learner: 'slow', accountId: account(1), roleName: ROLE, facts: FACTS.solved, latencyMs: 150 },
      ...[2, 3, 4, 5].map((n) => ({ learner: `quick-${n}`, accountId: account(n), roleName: ROLE, facts: FACTS.solved, latencyMs: 2 })),
    ];
    const cls = new SimulatedClass(accounts);
    const { done } = await grade(cls, rosterOf(accounts), new ResultStore(outDir()), { concurrency: 2 });
    expect(done.map((d) => d.learner)).toEqual(['quick-2', 'quick-3', 'quick-4', 'quick-5', 'slow']);
    expect(done.every((d) => d.score === 100)).toBe(true);
  });

  it('retries a throttled account through the SDK and still grades it', async () => {
    const accounts = [
      { learner: 'throttled', accountId: account(1), roleName: ROLE, facts: FACTS.solved, throttleFirst: 2 },
      { learner: 'calm', accountId: account(2), roleName: ROLE, facts: FACTS.solved },
    ];
    const cls = new SimulatedClass(accounts);
    const { done } = await withoutWaiting(() => grade(cls, rosterOf(accounts), new ResultStore(outDir())));
    expect(cls.counts.throttled).toBe(2);
    expect(done.map((d) => [d.learner, d.score, d.failed])).toEqual(expect.arrayContaining([['throttled', 100, 0], ['calm', 100, 0]]));
  });

  it('resumes after an interruption without grading again what was saved, and --fresh grades everything', async () => {
    const accounts = [1, 2, 3, 4].map((n) => ({ learner: `learner-${n}`, accountId: account(n), roleName: ROLE, facts: FACTS.solved }));
    const roster = rosterOf(accounts);
    const dir = outDir();
    const store = new ResultStore(dir);
    const controller = new AbortController();

    const first = new SimulatedClass(accounts);
    const interrupted = await grade(first, roster, store, { concurrency: 1, signal: controller.signal, onLearnerDone: () => controller.abort() });
    expect(interrupted.summary).toMatchObject({ notStarted: 3, labsGraded: 1 });
    expect(readdirSync(join(dir, 'results'))).toHaveLength(1);

    const second = new SimulatedClass(accounts);
    const resumed = await grade(second, roster, store);
    expect(resumed.summary).toMatchObject({ notStarted: 0, labsGraded: 3, labsReused: 1 });
    expect(second.counts.assumeRole).toBe(3);
    expect(resumed.done.find((d) => d.learner === 'learner-1')).toMatchObject({ reused: 1, graded: 0, score: 100 });

    const third = new SimulatedClass(accounts);
    expect((await grade(third, roster, store, { fresh: true })).summary).toMatchObject({ labsGraded: 4, labsReused: 0 });
    expect(third.counts.assumeRole).toBe(4);
    // Written through a temporary file and a rename: none is left behind.
    const files = readdirSync(join(dir, 'results'), { recursive: true }).map(String);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('grades again what could not be graded, and what was graded for another account', async () => {
    const accounts = [{ learner: 'dave', accountId: account(4), roleName: ROLE }];
    const store = new ResultStore(outDir());
    await grade(new SimulatedClass(accounts), rosterOf(accounts), store);
    expect(store.read('dave', 'cloudwatch-metric-filters')?.graded).toBe(false);

    const deployed = [{ ...accounts[0], facts: FACTS.solved }];
    const rerun = await grade(new SimulatedClass(deployed), rosterOf(deployed), store);
    expect(rerun.summary).toMatchObject({ labsGraded: 1, labsReused: 0 });
    expect(store.read('dave', 'cloudwatch-metric-filters')).toMatchObject({ graded: true, result: { score: 100 } });

    const moved = [{ ...deployed[0], accountId: account(7) }];
    const third = await grade(new SimulatedClass(moved), rosterOf(moved), store);
    expect(third.summary).toMatchObject({ labsGraded: 1, labsReused: 0 });
  });

  it('keeps each account under its request rate', async () => {
    const accounts = [{ learner: 'a', accountId: account(1), roleName: ROLE, facts: FACTS.solved }];
    const cls = new SimulatedClass(accounts);
    await grade(cls, rosterOf(accounts), new ResultStore(outDir()), { ratePerSecond: 2 });
    const times = cls.calls.filter((c) => c.action !== 'sts:AssumeRole').map((c) => c.at);
    expect(times).toHaveLength(5);
    // A burst of 2, then one request per 500 ms: the 5th request waits for three refills.
    expect(times[4] - times[0]).toBeGreaterThanOrEqual(1450);
  });
});

describe('rate limit middleware', () => {
  it('takes a token for every attempt the SDK sends, retries included', async () => {
    let tokens = 0;
    let attempts = 0;
    const session = new SimulatedSession(
      { region: 'eu-west-1', credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'x' }, maxAttempts: 3, rateLimit: { take: async () => void (tokens += 1) } },
      async () => {
        attempts += 1;
        if (attempts === 1) throw awsError('ThrottlingException', 'Rate exceeded');
        return { logGroups: [] };
      },
    );
    await withoutWaiting(() => session.readOnlyClient(CloudWatchLogsClient).send(new DescribeLogGroupsCommand({})));
    expect(attempts).toBe(2);
    expect(tokens).toBe(2);
  });
});

describe('assumeLearnerRole', () => {
  const entry: RosterEntry = { learner: 'alice', accountId: account(1), roleArn: `arn:aws:iam::${account(1)}:role/${ROLE}`, region: 'eu-west-1', line: 2 };

  it('re-assumes the role shortly before the credentials expire, once for concurrent callers', async () => {
    const cls = new SimulatedClass([{ accountId: account(1), roleName: ROLE, facts: FACTS.solved }]);
    let now = Date.now();
    const role = await assumeLearnerRole(cls.instructorSession(), entry, () => now);
    expect(role.arn).toBe(`arn:aws:sts::${account(1)}:assumed-role/${ROLE}/doplab-alice`);
    await role.credentials();
    expect(cls.counts.assumeRole).toBe(1);
    now += (SESSION_SECONDS - 5 * 60) * 1000;
    await Promise.all([role.credentials(), role.credentials(), role.credentials()]);
    expect(cls.counts.assumeRole).toBe(2);
  });
});

describe('results on disk', () => {
  it('are JSON records with every check and its evidence', async () => {
    const accounts = [CLASS[0]];
    const dir = outDir();
    const store = new ResultStore(dir);
    await grade(new SimulatedClass(accounts), rosterOf(accounts), store);
    const path = store.path('Smith, Ann', 'cloudwatch-metric-filters');
    expect(existsSync(path)).toBe(true);
    const record = JSON.parse(readFileSync(path, 'utf8')) as GradeRecord;
    expect(record.format).toBe('doplab-grade/1');
    expect(record.apiCalls).toBe(5);
    expect(record.result.checks.every((c) => c.evidence?.observed)).toBe(true);
  });
});
