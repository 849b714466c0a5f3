import { create } from 'xmlbuilder2';
import type { LabResult } from '../checker';

/** JUnit XML: one testsuite per lab result, one testcase per check (PENDING is a failure of type PENDING). */
export function renderJUnit(results: readonly LabResult[], suiteName = 'doplab'): string {
  const count = (status: string) => results.reduce((n, r) => n + r.checks.filter((c) => c.status === status).length, 0);
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
      failures: result.checks.filter((c) => c.status === 'FAIL' || c.status === 'PENDING').length,
      errors: result.checks.filter((c) => c.status === 'ERROR').length,
      skipped: result.checks.filter((c) => c.status === 'SKIPPED').length,
      timestamp: result.startedAt,
      time: (result.durationMs / 1000).toFixed(3),
    });
    suite
      .ele('properties')
      .ele('property', { name: 'score', value: String(result.score) }).up()
      .ele('property', { name: 'maxScore', value: String(result.maxScore) });
    for (const check of result.checks) {
      const testcase = suite.ele('testcase', { classname: `${result.lab}.${check.taskStatement}`, name: `${check.id}: ${check.title}`, time: '0' });
      const body = [
        check.evidence && `observed: ${check.evidence.observed}\nexpected: ${check.evidence.expected}\nwhere: ${check.evidence.where}`,
        check.error && `error: ${check.error.message}`,
        check.hint && `hint: ${check.hint}`,
      ]
        .filter(Boolean)
        .join('\n');
      if (check.status === 'FAIL' || check.status === 'PENDING') {
        testcase.ele('failure', { type: check.status, message: check.evidence?.observed ?? check.status }).txt(body);
      } else if (check.status === 'ERROR') {
        testcase.ele('error', { type: check.error?.code ?? 'ERROR', message: check.error?.message ?? 'error' }).txt(body);
      } else if (check.status === 'SKIPPED') {
        testcase.ele('skipped', { message: check.hint ?? 'skipped' });
      }
    }
  }
  return root.end({ prettyPrint: true });
}
