import { create } from 'xmlbuilder2';
import type { Check, Verdict } from '../../lib/checker';
import { allPassed, anyPending, evaluate } from '../../lib/engine';
import { renderJUnit } from '../../lib/report/junit';
import { renderChecklist, summaryLine } from '../../lib/report/terminal';

// Optional checks give extra points: counted in the score when they pass, never in maxScore, and never failing
// the lab (exit code, --wait, JUnit).

type Facts = { readonly required: Verdict['status']; readonly bonus: Verdict['status'] };
const verdict = (status: Verdict['status']): Verdict => ({ status, evidence: { observed: `observed ${status}`, expected: 'expected', where: 'here' } });

const CHECKS: Check<Facts>[] = [
  { id: 'required', title: 'Required work', points: 90, taskStatement: '1.4', hint: 'Do the work.', run: (f) => verdict(f.required) },
  { id: 'bonus', title: 'Bonus work', points: 10, taskStatement: '1.4', hint: 'Go further.', optional: true, run: (f) => verdict(f.bonus) },
];

const run = (facts: Facts) => evaluate(CHECKS, facts, { lab: 'demo', account: '111122223333', region: 'eu-west-1', source: 'facts-file' });

describe('optional checks', () => {
  it('count in the score when they pass, never in maxScore', () => {
    expect(run({ required: 'PASS', bonus: 'PASS' })).toMatchObject({ score: 100, maxScore: 90 });
    expect(run({ required: 'PASS', bonus: 'FAIL' })).toMatchObject({ score: 90, maxScore: 90 });
    expect(run({ required: 'FAIL', bonus: 'PASS' })).toMatchObject({ score: 10, maxScore: 90 });
  });

  it('are marked optional in the result; required ones are not', () => {
    const result = run({ required: 'PASS', bonus: 'FAIL' });
    expect(result.checks.map((c) => [c.id, c.optional])).toEqual([
      ['required', undefined],
      ['bonus', true],
    ]);
  });

  it('neither fail the lab nor keep --wait waiting', () => {
    expect(allPassed(run({ required: 'PASS', bonus: 'FAIL' }))).toBe(true);
    expect(allPassed(run({ required: 'FAIL', bonus: 'PASS' }))).toBe(false);
    expect(anyPending(run({ required: 'PASS', bonus: 'PENDING' }))).toBe(false);
    expect(anyPending(run({ required: 'PENDING', bonus: 'PASS' }))).toBe(true);
  });

  it('show as optional in the checklist, whose score is green once the required checks pass', () => {
    const result = run({ required: 'PASS', bonus: 'FAIL' });
    const text = renderChecklist(result, { color: false });
    expect(text).toMatch(/✘ Bonus work +0\/10 +\[1\.4\] \(optional, extra points\)/);
    expect(text).toMatch(/hint: +Go further\./);
    expect(summaryLine(result, { color: true })).toContain('\u001b[32m');
    expect(summaryLine(run({ required: 'FAIL', bonus: 'PASS' }), { color: true })).not.toContain('\u001b[32m');
  });

  it('are skipped, not failed, in JUnit when they do not pass', () => {
    const xml = create(renderJUnit([run({ required: 'PASS', bonus: 'FAIL' })])).end({ format: 'object' }) as {
      testsuites: { '@failures': string; '@skipped': string; testsuite: { testcase: { '@name': string; skipped?: { '@message': string } }[] } };
    };
    expect(xml.testsuites['@failures']).toBe('0');
    expect(xml.testsuites['@skipped']).toBe('1');
    const bonus = xml.testsuites.testsuite.testcase.find((t) => t['@name'].startsWith('bonus'));
    expect(bonus?.skipped?.['@message']).toBe('optional (extra points), FAIL: Go further.');
  });
});
