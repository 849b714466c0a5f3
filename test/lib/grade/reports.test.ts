import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { convert } from 'xmlbuilder2';
import type { CheckResult, LabResult, Status } from '../../../lib/checker';
import { notGradedResult } from '../../../lib/grade/grade';
import { formatPercent, formatPoints, writeReports } from '../../../lib/grade/reports';
import { parseRoster, type RosterEntry } from '../../../lib/grade/roster';
import { GRADE_FORMAT, ResultStore, checksVersion } from '../../../lib/grade/store';
import type { AnyLab } from '../../../lib/registry';

/** Two small labs with fractional points (only what reports read). */
const LAB_A = {
  id: 'lab-a',
  title: 'Lab A',
  checker: {
    checks: [
      { id: 'a-one', title: 'First thing', points: 0.5, taskStatement: '4.1', hint: 'Hint for a-one.' },
      { id: 'a-two', title: 'Second thing', points: 1.25, taskStatement: '4.2', hint: 'Hint for a-two.' },
    ],
  },
} as unknown as AnyLab;
const LAB_B = {
  id: 'lab-b',
  title: 'Lab B',
  checker: { checks: [{ id: 'b-one', title: 'Third thing', points: 0.1, taskStatement: '1.1', hint: 'Hint for b-one.' }, { id: 'b-two', title: 'Fourth', points: 0.2, taskStatement: '1.1', hint: 'Hint for b-two.' }] },
} as unknown as AnyLab;
const LABS = [LAB_A, LAB_B];

const ROSTER: RosterEntry[] = parseRoster(
  [
    'learner,account_id,region',
    '"Smith, Ann",111111111111,eu-west-1',
    '"Bob ""B"" Jones",222222222222,eu-west-1',
    '"=HYPERLINK(""x"")",333333333333,eu-west-1',
    '<script>alert(1)</script>,444444444444,eu-west-1',
  ].join('\n'),
  'class.csv',
  { roleName: 'DopLabGrader' },
);

function labResult(lab: AnyLab, entry: RosterEntry, statuses: readonly Status[]): LabResult {
  const checks: CheckResult[] = lab.checker.checks.map((c, i) => ({
    id: c.id,
    title: c.title,
    taskStatement: c.taskStatement,
    status: statuses[i],
    points: statuses[i] === 'PASS' ? c.points : 0,
    maxPoints: c.points,
    evidence: { observed: `observed ${c.id} for ${entry.learner}`, expected: 'expected', where: 'where' },
    ...(statuses[i] === 'PASS' ? {} : { hint: c.hint }),
  }));
  const score = Math.round(checks.reduce((n, c) => n + c.points, 0) * 1e9) / 1e9;
  const maxScore = Math.round(checks.reduce((n, c) => n + c.maxPoints, 0) * 1e9) / 1e9;
  return { lab: lab.id, account: entry.accountId, region: entry.region, startedAt: '2026-11-23T12:00:00.000Z', durationMs: 120, source: 'aws', score, maxScore, checks };
}

function save(store: ResultStore, entry: RosterEntry, lab: AnyLab, statuses?: readonly Status[], error?: { code: 'ACCESS_DENIED' | 'LAB_NOT_DEPLOYED'; message: string }): void {
  const base = { format: GRADE_FORMAT, learner: entry.learner, accountId: entry.accountId, region: entry.region, roleArn: entry.roleArn, lab: lab.id, checksVersion: checksVersion(lab), gradedAt: '2026-11-23T12:00:00.000Z', apiCalls: 5 } as const;
  if (error) store.write({ ...base, graded: false, error, result: notGradedResult(lab, entry, error) });
  else store.write({ ...base, graded: true, result: labResult(lab, entry, statuses!) });
}

/** Ann: everything; Bob: a-one and b-one (0.5 + 0.1); =HYPERLINK: lab-a not deployed; <script>: lab-b not graded yet. */
function gradedClass(): { dir: string; outcome: ReturnType<typeof writeReports> } {
  const dir = mkdtempSync(join(tmpdir(), 'doplab-reports-'));
  const store = new ResultStore(dir);
  const [ann, bob, formula, script] = ROSTER;
  save(store, ann, LAB_A, ['PASS', 'PASS']);
  save(store, ann, LAB_B, ['PASS', 'PASS']);
  save(store, bob, LAB_A, ['PASS', 'FAIL']);
  save(store, bob, LAB_B, ['PASS', 'PENDING']);
  save(store, formula, LAB_A, undefined, { code: 'LAB_NOT_DEPLOYED', message: 'Lab lab-a is not deployed in eu-west-1.' });
  save(store, formula, LAB_B, ['FAIL', 'SKIPPED']);
  save(store, script, LAB_A, ['FAIL', 'FAIL']);
  return { dir, outcome: writeReports(dir, ROSTER, LABS, store, new Date('2026-11-23T13:00:00.000Z')) };
}

describe('points and percent', () => {
  it('writes fractional points exactly, never as 0', () => {
    expect(formatPoints(0.1 + 0.2)).toBe('0.3');
    expect(formatPoints(1.75)).toBe('1.75');
    expect(formatPoints(1 / 3)).toBe('0.333333333');
    expect(formatPercent(0.6, 2.05)).toBe('29.27');
    expect(formatPercent(0, 0)).toBe('');
  });
});

describe('writeReports', () => {
  it('writes the four reports and says how the class did', () => {
    const { dir, outcome } = gradedClass();
    expect(outcome).toMatchObject({ learners: 4, passedAll: 1, notGraded: 2 });
    expect(readdirSync(dir).sort()).toEqual(['gradebook.csv', 'gradebook.json', 'junit.xml', 'report.html', 'results']);
  });

  it('gradebook CSV: one row per learner, per lab score/max/percent/status, per check status, names intact', () => {
    const { outcome } = gradedClass();
    const rows = parse(readFileSync(outcome.files.csv, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.learner)).toEqual(['Smith, Ann', 'Bob "B" Jones', `'=HYPERLINK("x")`, '<script>alert(1)</script>']);
    expect(rows[0]).toMatchObject({ score: '2.05', max: '2.05', percent: '100', passed_all: 'yes', 'lab-a.score': '1.75', 'lab-b.score': '0.3', problems: '' });
    expect(rows[1]).toMatchObject({
      score: '0.6',
      percent: '29.27',
      passed_all: 'no',
      'lab-a.score': '0.5',
      'lab-a.max': '1.75',
      'lab-a.percent': '28.57',
      'lab-a.status': 'graded',
      'lab-b.score': '0.1',
      'lab-b.percent': '33.33',
      'lab-a.a-one': 'PASS',
      'lab-a.a-two': 'FAIL',
      'lab-b.b-two': 'PENDING',
    });
    expect(rows[2]).toMatchObject({ 'lab-a.score': '', 'lab-a.status': 'LAB_NOT_DEPLOYED', 'lab-a.a-one': 'NOT_GRADED', 'lab-b.b-two': 'SKIPPED', problems: 'lab-a: Lab lab-a is not deployed in eu-west-1.' });
    expect(rows[3]).toMatchObject({ 'lab-b.status': 'NOT_GRADED', problems: 'lab-b: not graded yet (run doplab grade again to resume)' });
  });

  it('gradebook JSON: every result with its evidence', () => {
    const { outcome } = gradedClass();
    const json = JSON.parse(readFileSync(outcome.files.json, 'utf8'));
    expect(json.format).toBe('doplab-gradebook/1');
    expect(json.labs.map((l: { id: string; maxScore: number }) => [l.id, l.maxScore])).toEqual([['lab-a', 1.75], ['lab-b', 0.3]]);
    expect(json.learners).toHaveLength(4);
    expect(json.learners[1]).toMatchObject({ learner: 'Bob "B" Jones', score: 0.6, maxScore: 2.05, percent: 29.27, passedAll: false });
    expect(json.learners[1].labs[0].result.checks[1]).toMatchObject({ id: 'a-two', status: 'FAIL', evidence: { observed: 'observed a-two for Bob "B" Jones' }, hint: 'Hint for a-two.' });
    expect(json.learners[2].labs[0]).toMatchObject({ graded: false, error: { code: 'LAB_NOT_DEPLOYED' } });
  });

  it('JUnit XML: one suite per learner holding every check of every lab', () => {
    const { outcome } = gradedClass();
    const doc = convert(readFileSync(outcome.files.junit, 'utf8'), { format: 'object' }) as {
      testsuites: { '@tests': string; '@failures': string; '@errors': string; testsuite: { '@name': string; '@tests': string; '@failures': string; '@errors': string; testcase: unknown[] }[] };
    };
    const suites = doc.testsuites.testsuite;
    const text = (s: string) => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    expect(suites.map((s) => text(s['@name']))).toEqual(ROSTER.map((e) => `${e.learner} (${e.accountId} ${e.region})`));
    expect(suites.map((s) => s['@tests'])).toEqual(['4', '4', '4', '2']);
    expect(suites[1]).toMatchObject({ '@failures': '2', '@errors': '0' });
    expect(suites[2]).toMatchObject({ '@errors': '2' });
    expect(doc.testsuites).toMatchObject({ '@tests': '14', '@failures': '5', '@errors': '2' });
  });

  it('HTML report: every learner and check, escaped, with nothing to fetch from the network', () => {
    const { outcome } = gradedClass();
    const html = readFileSync(outcome.files.html, 'utf8');
    for (const entry of ROSTER) expect(html).toContain(`data-learner="${entry.learner.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}"`);
    for (const lab of LABS) for (const c of lab.checker.checks) expect(html).toContain(`>${c.id}</th>`);
    expect(html).not.toContain('<script>alert(1)');
    // Self-contained: no URL, no external script, style sheet, image, font or frame.
    expect(html).not.toMatch(/https?:|\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b|<script[^>]+src=|@import|url\(/i);
    expect(html).toContain('Hint for a-two.');
    expect(html).toMatch(/<tr data-task="4\.1"><td>4\.1<\/td><td>Configure the collection, aggregation, and storage of logs and metrics<\/td><td>.*?66\.7 %<\/td><\/tr>/);
  });

  it('counts mastery per task statement over graded checks only', () => {
    const { outcome } = gradedClass();
    const html = readFileSync(outcome.files.html, 'utf8');
    // 4.2 (a-two, 1.25 points): Ann passed, Bob failed, <script> failed; the ungraded account does not count.
    expect(html).toMatch(/<tr data-task="4\.2">.*?33\.3 %<\/td><\/tr>/);
    // Most common failing checks first: a-two failed for 2 of 3 graded learners.
    expect(html.indexOf('lab-a / a-two')).toBeLessThan(html.indexOf('lab-b / b-one'));
    expect(html).toContain('<td>2 of 3</td><td><b>lab-a / a-two</b>');
  });
});

describe('optional checks (extra points)', () => {
  const LAB_X = {
    id: 'lab-x',
    title: 'Lab X',
    checker: {
      checks: [
        { id: 'x-required', title: 'Required', points: 2, taskStatement: '3.1', hint: 'Hint for x-required.' },
        { id: 'x-extra', title: 'Extra', points: 0.5, taskStatement: '3.2', hint: 'Hint for x-extra.', optional: true },
      ],
    },
  } as unknown as AnyLab;

  it('are left out of the maximum, the mastery and the most common failures', () => {
    const dir = mkdtempSync(join(tmpdir(), 'doplab-reports-optional-'));
    const store = new ResultStore(dir);
    const [ann] = ROSTER;
    save(store, ann, LAB_X, ['PASS', 'FAIL']);
    const outcome = writeReports(dir, [ann], [LAB_X], store);
    const [row] = parse(readFileSync(outcome.files.csv, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(row).toMatchObject({ max: '2', 'lab-x.max': '2', 'lab-x.x-extra': 'FAIL' });
    const html = readFileSync(outcome.files.html, 'utf8');
    expect(html).not.toContain('data-task="3.2"');
    expect(html).not.toContain('lab-x / x-extra');
    expect(JSON.parse(readFileSync(outcome.files.json, 'utf8')).labs[0]).toMatchObject({ maxScore: 2, checks: [{ id: 'x-required' }, { id: 'x-extra', optional: true }] });
  });
});
