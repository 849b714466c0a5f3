import { create } from 'xmlbuilder2';
import type { CheckResult, LabResult, Status } from '../checker';

// Terminal colour sequences, then anything XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF).
const ANSI_ESCAPE = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
const NOT_XML_CHAR = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

/** Text that AWS or a learner wrote (log lines, patterns) may hold characters XML 1.0 forbids; CI tools then reject the whole report. */
function xmlSafe(text: string): string {
  return text.replace(ANSI_ESCAPE, '').replace(NOT_XML_CHAR, '\ufffd');
}

/** How a check shows in JUnit: an optional check (extra points) that did not pass is skipped, never a failure. */
function outcome(check: CheckResult): Status {
  return check.optional && check.status !== 'PASS' ? 'SKIPPED' : check.status;
}

/** JUnit XML: one testsuite per lab result, one testcase per check (PENDING is a failure of type PENDING). */
export function renderJUnit(results: readonly LabResult[], suiteName = 'doplab'): string {
  const count = (status: string) => results.reduce((n, r) => n + r.checks.filter((c) => outcome(c) === status).length, 0);
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', {
    name: suiteName,
    tests: results.reduce((n, r) => n + r.checks.length, 0),
    failures: count('FAIL') + count('PENDING'),
    errors: count('ERROR'),
    skipped: count('SKIPPED'),
    time: (results.reduce((n, r) => n + r.durationMs, 0) / 1000).toFixed(3),
  });
  for (const result of results) {
    const suite = root.ele('testsuite', {
      name: `${result.lab} (${result.account} ${result.region})`,
      tests: result.checks.length,
      failures: result.checks.filter((c) => outcome(c) === 'FAIL' || outcome(c) === 'PENDING').length,
      errors: result.checks.filter((c) => outcome(c) === 'ERROR').length,
      skipped: result.checks.filter((c) => outcome(c) === 'SKIPPED').length,
      timestamp: result.startedAt,
      time: (result.durationMs / 1000).toFixed(3),
    });
    suite
      .ele('properties')
      .ele('property', { name: 'score', value: String(result.score) }).up()
      .ele('property', { name: 'maxScore', value: String(result.maxScore) });
    for (const check of result.checks) {
      const testcase = suite.ele('testcase', { classname: `${result.lab}.${check.taskStatement}`, name: xmlSafe(`${check.id}: ${check.title}`), time: '0' });
      const body = [
        check.evidence && `observed: ${check.evidence.observed}\nexpected: ${check.evidence.expected}\nwhere: ${check.evidence.where}`,
        check.error && `error: ${check.error.message}`,
        check.hint && `hint: ${check.hint}`,
      ]
        .filter(Boolean)
        .join('\n');
      const status = outcome(check);
      if (status === 'FAIL' || status === 'PENDING') {
        testcase.ele('failure', { type: check.status, message: xmlSafe(check.evidence?.observed ?? check.status) }).txt(xmlSafe(body));
      } else if (status === 'ERROR') {
        testcase.ele('error', { type: check.error?.code ?? 'ERROR', message: xmlSafe(check.error?.message ?? 'error') }).txt(xmlSafe(body));
      } else if (status === 'SKIPPED') {
        const why = check.optional && check.status !== 'SKIPPED' ? `optional (extra points), ${check.status}: ${check.hint ?? ''}` : (check.hint ?? 'skipped');
        testcase.ele('skipped', { message: xmlSafe(why) });
      }
    }
  }
  return root.end({ prettyPrint: true });
}
