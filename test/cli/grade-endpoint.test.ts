// `doplab grade` end to end: the real CLI process against a local class endpoint (STS + one fake AWS
// per learner account, over the real wire protocols), including a real Ctrl-C and the resumed run.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { checker } from '../../checkers/cloudwatch-metric-filters';
import { isReadOnlyAction } from '../../lib/aws/clients';
import { checkerActions } from '../../lib/engine';
import { roleSessionName } from '../../lib/grade/roster';
import { FakeClassEndpoint, type FakeClassAccount } from '../support/fake-class-endpoint';
import { FACTS } from '../support/simulated-class';
import { ROOT, hasStackTrace, isolatedEnv, type Run } from './helpers';

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', AWS_REGION: 'eu-west-1' };
const tmp = mkdtempSync(join(tmpdir(), 'doplab-grade-endpoint-'));

function grade(endpoint: FakeClassEndpoint, roster: string, out: string, extra: string[] = [], onStart?: (kill: () => void) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const args = ['grade', '--roster', roster, '--role-name', 'DopLabGrader', '--labs', 'cloudwatch-metric-filters', '--out', out, '--endpoint-url', endpoint.url, '--no-color', ...extra];
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'doplab.js'), ...args], { cwd: ROOT, env: isolatedEnv(CREDENTIALS), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    onStart?.(() => child.kill('SIGINT'));
  });
}

function rosterFile(name: string, accounts: readonly (FakeClassAccount & { learner: string })[]): string {
  const path = join(tmp, name);
  writeFileSync(path, `learner,account_id,external_id\n${accounts.map((a) => `"${a.learner}",${a.accountId},${a.externalId ?? ''}`).join('\n')}\n`);
  return path;
}

function resultFiles(out: string): string[] {
  const dir = join(out, 'results');
  return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.json')) : [];
}

describe('doplab grade against a local class endpoint', () => {
  let endpoint: FakeClassEndpoint | undefined;

  afterEach(async () => {
    await endpoint?.stop();
    endpoint = undefined;
  });

  it('grades each account with its assumed role, only reading, and writes the gradebook (exit 1: not everyone passed)', async () => {
    const accounts = [
      { learner: 'Smith, Ann', accountId: '111111111111', roleName: 'DopLabGrader', facts: FACTS.solved },
      { learner: 'bob', accountId: '222222222222', roleName: 'DopLabGrader', externalId: 'class-ext-1', facts: FACTS.starting },
      { learner: 'carol', accountId: '333333333333', roleName: 'OtherRole' },
      { learner: 'dave', accountId: '444444444444', roleName: 'DopLabGrader' },
    ];
    endpoint = await FakeClassEndpoint.start(accounts);
    const out = join(tmp, 'out-class');
    const run = await grade(endpoint, rosterFile('class.csv', accounts), out);

    expect(run.status).toBe(1);
    expect(hasStackTrace(run.stderr)).toBe(false);
    expect(run.stdout).toContain('1 of 4 learners passed everything; 2 with a lab not graded.');
    expect(endpoint.assumed.map((a) => [a.sessionName, a.externalId, a.ok])).toEqual(
      expect.arrayContaining([
        [roleSessionName('Smith, Ann'), undefined, true],
        ['doplab-bob', 'class-ext-1', true],
        ['doplab-carol', undefined, false],
        ['doplab-dave', undefined, true],
      ]),
    );
    const declared = checkerActions(checker);
    for (const a of accounts) {
      for (const r of endpoint.requestsOf(a.accountId)) {
        expect(isReadOnlyAction(r.action)).toBe(true);
        expect(declared).toContain(r.action);
        expect(r.signingRegion).toBe('eu-west-1');
      }
    }
    expect(endpoint.requestsOf('111111111111').map((r) => r.operation).sort()).toEqual(['DescribeAlarms', 'DescribeLogGroups', 'DescribeMetricFilters', 'DescribeStacks', 'TestMetricFilter']);

    const rows = parse(readFileSync(join(out, 'gradebook.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.learner, r.score, r['cloudwatch-metric-filters.status']])).toEqual([
      ['Smith, Ann', '100', 'graded'],
      ['bob', '0', 'graded'],
      ['carol', '0', 'ACCESS_DENIED'],
      ['dave', '0', 'LAB_NOT_DEPLOYED'],
    ]);
    expect(run.stderr).toMatch(/! carol 0\/100 — not graded: Cannot assume arn:aws:iam::333333333333:role\/DopLabGrader/);
  });

  it('keeps what was graded when interrupted with Ctrl-C (exit 130) and resumes without grading it again', async () => {
    const accounts = [1, 2, 3, 4, 5, 6].map((n) => ({ learner: `learner-${n}`, accountId: String(n).repeat(12), roleName: 'DopLabGrader', facts: FACTS.solved, latencyMs: 150 }));
    endpoint = await FakeClassEndpoint.start(accounts);
    const roster = rosterFile('six.csv', accounts);
    const out = join(tmp, 'out-interrupted');

    const interrupted = await grade(endpoint, roster, out, ['--concurrency', '1'], (sigint) => {
      const poll = setInterval(() => {
        if (resultFiles(out).length >= 1) {
          clearInterval(poll);
          sigint();
        }
      }, 20);
    });
    expect(interrupted.status).toBe(130);
    expect(interrupted.stderr).toContain('Interrupted');
    expect(interrupted.stderr).toContain('run the same command again to resume');
    const kept = resultFiles(out).length;
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(kept).toBeLessThan(accounts.length);
    expect(existsSync(join(out, 'gradebook.csv'))).toBe(true);

    const before = endpoint.assumed.length;
    const resumed = await grade(endpoint, roster, out);
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toContain(`Labs graded now: ${accounts.length - kept}, reused: ${kept}`);
    expect(endpoint.assumed.length - before).toBe(accounts.length - kept);
    expect(resultFiles(out)).toHaveLength(accounts.length);
  });
});
