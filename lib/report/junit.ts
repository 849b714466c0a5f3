import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces';
import type { CheckResult, LabResult, Status } from '../checker';

// Terminal colour sequences, then anything XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF).
const ANSI_ESCAPE = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
const NOT_XML_CHAR = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

/** Text that AWS or a learner wrote (log lines, patterns) may hold characters XML 1.0 forbids; CI tools then reject the whole report. */
function xmlSafe(text: string): string {
  return text.replace(ANSI_ESCAPE, '').replace(NOT_XML_CHAR, '\ufffd');
}

// Optional checks (extra points) are being added to CheckResult on main; this reads the flag either way.
type MaybeOptional = CheckResult & { readonly optional?: boolean };

/** How a check shows in JUnit: an optional check (extra points) that did not pass is skipped, never a failure. */
function outcome(check: MaybeOptional): Status {
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
    addSuite(root, `${result.lab} (${result.account} ${result.region})`, [result], { score: String(result.score), maxScore: String(result.maxScore) });
  }
  return root.end({ prettyPrint: true });
}

/** One `<testsuite>` element holding the checks of several lab results (grading: one suite per learner), as an XML fragment. */
export function renderJUnitSuite(name: string, results: readonly LabResult[], properties: Readonly<Record<string, string>>): string {
  const fragment = create();
  addSuite(fragment, name, results, properties);
  return fragment.end({ headless: true, prettyPrint: true });
}

function addSuite(parent: XMLBuilder, name: string, results: readonly LabResult[], properties: Readonly<Record<string, string>>): void {
  const checks = results.flatMap((r) => r.checks);
  const suite = parent.ele('testsuite', {
    name: xmlSafe(name),
    tests: checks.length,
    failures: checks.filter((c) => outcome(c) === 'FAIL' || outcome(c) === 'PENDING').length,
    errors: checks.filter((c) => outcome(c) === 'ERROR').length,
    skipped: checks.filter((c) => outcome(c) === 'SKIPPED').length,
    timestamp: results[0]?.startedAt ?? new Date(0).toISOString(),
    time: (results.reduce((n, r) => n + r.durationMs, 0) / 1000).toFixed(3),
  });
  let props = suite.ele('properties');
  for (const [key, value] of Object.entries(properties)) props = props.ele('property', { name: key, value: xmlSafe(value) }).up();
  for (const result of results) {
    for (const check of result.checks as readonly MaybeOptional[]) {
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
}
