import { closeSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { LabResult, Status, TaskStatement } from '../checker';
import { allPassed } from '../engine';
import type { AnyLab } from '../registry';
import { isOptional, labMaxScore } from './checks';
import { renderJUnitSuite } from '../report/junit';
import { renderHtmlEnd, renderHtmlRow, renderHtmlStart, type HtmlSummary } from './html';
import type { RosterEntry } from './roster';
import type { GradeRecord, ResultStore } from './store';

/** The files `doplab grade` writes into --out. */
export const REPORT_FILES = { csv: 'gradebook.csv', json: 'gradebook.json', junit: 'junit.xml', html: 'report.html' } as const;

/** One learner's grades, compact: what the gradebook row and the heatmap show. */
export interface LearnerRow {
  readonly entry: RosterEntry;
  /** The learner's record per lab (undefined: not graded yet, e.g. the run was interrupted). */
  readonly records: readonly (GradeRecord | undefined)[];
  readonly score: number;
  readonly maxScore: number;
  readonly passedAll: boolean;
}

/** Points as written, never rounded to an integer: 12.5 stays 12.5, 0.1 + 0.2 is 0.3. */
export function formatPoints(points: number): string {
  return String(Math.round(points * 1e9) / 1e9);
}

/** A percentage with two decimals at most: 33.33; empty when there is nothing to score. */
export function formatPercent(score: number, max: number): string {
  return max > 0 ? String(Math.round((score / max) * 10_000) / 100) : '';
}

/** The roster entry's record of a lab, when it was made for that entry's account and region. */
function recordFor(store: ResultStore, entry: RosterEntry, lab: AnyLab): GradeRecord | undefined {
  const record = store.read(entry.learner, lab.id);
  return record && record.accountId === entry.accountId && record.region === entry.region ? record : undefined;
}


/** A file written piece by piece to a temporary name, renamed into place when complete. */
class OutputFile {
  private readonly fd: number;
  private readonly tmp: string;
  constructor(readonly path: string) {
    this.tmp = `${path}.${process.pid}.tmp`;
    this.fd = openSync(this.tmp, 'w');
  }
  write(text: string): void {
    writeSync(this.fd, text);
  }
  /** Appends another file's bytes without holding them in memory. */
  append(path: string): void {
    const from = openSync(path, 'r');
    const buffer = Buffer.alloc(64 * 1024);
    for (let n = readSync(from, buffer); n > 0; n = readSync(from, buffer)) writeSync(this.fd, buffer, 0, n);
    closeSync(from);
  }
  close(): void {
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
  }
  discard(): void {
    closeSync(this.fd);
    rmSync(this.tmp, { force: true });
  }
}

/** Counts of one check across the class. */
interface CheckTally {
  readonly lab: string;
  readonly id: string;
  readonly title: string;
  readonly hint: string;
  readonly taskStatement: TaskStatement;
  readonly counts: Record<Status, number>;
}

/** What the reports say about the class as a whole. */
export interface ClassOutcome {
  readonly learners: number;
  readonly passedAll: number;
  /** Learners with at least one lab that could not be graded (or not yet). */
  readonly notGraded: number;
  readonly files: { readonly [K in keyof typeof REPORT_FILES]: string };
}

/**
 * Writes the gradebook CSV, the JSON of every result with its evidence, JUnit XML (one suite per
 * learner) and the HTML report, reading the cached records learner by learner: memory does not grow
 * with the class (the HTML summary keeps one counter per check and task statement).
 */
export function writeReports(dir: string, roster: readonly RosterEntry[], labs: readonly AnyLab[], store: ResultStore, generatedAt = new Date()): ClassOutcome {
  mkdirSync(dir, { recursive: true });
  const files = {
    csv: join(dir, REPORT_FILES.csv),
    json: join(dir, REPORT_FILES.json),
    junit: join(dir, REPORT_FILES.junit),
    html: join(dir, REPORT_FILES.html),
  };
  const checks = labs.flatMap((lab) => lab.checker.checks.map((check) => ({ lab, check })));
  const tallies: CheckTally[] = checks.map(({ lab, check }) => ({
    lab: lab.id,
    id: check.id,
    title: check.title,
    hint: check.hint,
    taskStatement: check.taskStatement,
    counts: { PASS: 0, FAIL: 0, PENDING: 0, ERROR: 0, SKIPPED: 0 },
  }));
  const mastery = new Map<TaskStatement, { earned: number; max: number }>();
  const buckets = new Array<number>(10).fill(0);
  let passedAll = 0;
  let notGraded = 0;
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let skipped = 0;

  const csv = new OutputFile(files.csv);
  const json = new OutputFile(files.json);
  const junitBody = new OutputFile(`${files.junit}.body`);
  const htmlBody = new OutputFile(`${files.html}.body`);
  try {
    const header = ['learner', 'account_id', 'region', 'score', 'max', 'percent', 'passed_all'];
    for (const lab of labs) header.push(`${lab.id}.score`, `${lab.id}.max`, `${lab.id}.percent`, `${lab.id}.status`);
    for (const { lab, check } of checks) header.push(`${lab.id}.${check.id}`);
    header.push('problems');
    csv.write(stringify([header]));
    json.write(
      `{"format":"doplab-gradebook/1","generatedAt":${JSON.stringify(generatedAt.toISOString())},"labs":${JSON.stringify(
        labs.map((lab) => ({ id: lab.id, title: lab.title, maxScore: labMaxScore(lab), checks: lab.checker.checks.map((c) => ({ id: c.id, title: c.title, points: c.points, taskStatement: c.taskStatement, hint: c.hint, ...(isOptional(c) ? { optional: true } : {}) })) })),
      )},"learners":[`,
    );

    roster.forEach((entry, index) => {
      const records = labs.map((lab) => recordFor(store, entry, lab));
      const score = Math.round(records.reduce((n, r) => n + (r?.graded ? r.result.score : 0), 0) * 1e9) / 1e9;
      const maxScore = Math.round(labs.reduce((n, lab) => n + labMaxScore(lab), 0) * 1e9) / 1e9;
      const passed = records.every((r) => r?.graded && allPassed(r.result));
      const row: LearnerRow = { entry, records, score, maxScore, passedAll: passed };
      if (passed) passedAll += 1;
      if (records.some((r) => !r?.graded)) notGraded += 1;
      buckets[Math.min(9, Math.floor(maxScore > 0 ? (score / maxScore) * 10 : 0))] += 1;

      const problems: string[] = [];
      const cells = [entry.learner, entry.accountId, entry.region, formatPoints(score), formatPoints(maxScore), formatPercent(score, maxScore), passed ? 'yes' : 'no'];
      labs.forEach((lab, i) => {
        const r = records[i];
        if (!r) problems.push(`${lab.id}: not graded yet (run doplab grade again to resume)`);
        else if (!r.graded) problems.push(`${lab.id}: ${r.error?.message ?? 'not graded'}`);
        const graded = r?.graded ? r.result : undefined;
        cells.push(graded ? formatPoints(graded.score) : '', formatPoints(labMaxScore(lab)), graded ? formatPercent(graded.score, graded.maxScore) : '', r ? (r.graded ? 'graded' : (r.error?.code ?? 'ERROR')) : 'NOT_GRADED');
      });
      let k = 0;
      labs.forEach((lab, i) => {
        const r = records[i];
        for (const check of lab.checker.checks) {
          const result = r?.result.checks.find((c) => c.id === check.id);
          const status = r?.graded ? (result?.status ?? 'ERROR') : undefined;
          cells.push(r ? (status ?? 'NOT_GRADED') : 'NOT_GRADED');
          // Optional checks (extra points) are neither failures nor part of mastery.
          if (status && !isOptional(check)) {
            tallies[k].counts[status] += 1;
            const m = mastery.get(check.taskStatement) ?? { earned: 0, max: 0 };
            m.earned += result?.points ?? 0;
            m.max += result?.maxPoints ?? 0;
            mastery.set(check.taskStatement, m);
          }
          k += 1;
        }
      });
      cells.push(problems.join('; '));
      // escape_formulas: a learner name like =HYPERLINK(...) stays text in a spreadsheet.
      csv.write(stringify([cells], { escape_formulas: true }));

      json.write(
        `${index > 0 ? ',' : ''}\n${JSON.stringify({
          learner: entry.learner,
          accountId: entry.accountId,
          region: entry.region,
          score,
          maxScore,
          percent: maxScore > 0 ? Math.round((score / maxScore) * 10_000) / 100 : null,
          passedAll: passed,
          labs: records.map((r, i) => r ?? { lab: labs[i].id, graded: false, error: { code: 'NOT_GRADED', message: 'not graded yet' } }),
        })}`,
      );

      const results: LabResult[] = records.filter((r): r is GradeRecord => r !== undefined).map((r) => r.result);
      for (const c of results.flatMap((r) => r.checks)) {
        tests += 1;
        if (c.status === 'FAIL' || c.status === 'PENDING') failures += 1;
        else if (c.status === 'ERROR') errors += 1;
        else if (c.status === 'SKIPPED') skipped += 1;
      }
      junitBody.write(
        `${renderJUnitSuite(`${entry.learner} (${entry.accountId} ${entry.region})`, results, {
          learner: entry.learner,
          account: entry.accountId,
          region: entry.region,
          score: formatPoints(score),
          maxScore: formatPoints(maxScore),
        })}\n`,
      );
      htmlBody.write(renderHtmlRow(row, labs));
    });

    csv.close();
    json.write('\n]}\n');
    json.close();
    junitBody.close();
    htmlBody.close();

    const junit = new OutputFile(files.junit);
    junit.write(`<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="doplab grade" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}">\n`);
    junit.append(`${files.junit}.body`);
    junit.write('</testsuites>\n');
    junit.close();

    const summary: HtmlSummary = {
      generatedAt: generatedAt.toISOString(),
      learners: roster.length,
      passedAll,
      notGraded,
      buckets,
      mastery: [...mastery.entries()].map(([taskStatement, m]) => ({ taskStatement, earned: m.earned, max: m.max })),
      failing: tallies.filter((t) => t.counts.FAIL + t.counts.PENDING > 0).sort((a, b) => b.counts.FAIL + b.counts.PENDING - (a.counts.FAIL + a.counts.PENDING)),
    };
    const html = new OutputFile(files.html);
    html.write(renderHtmlStart(labs, summary));
    html.append(`${files.html}.body`);
    html.write(renderHtmlEnd());
    html.close();
  } catch (error) {
    for (const f of [csv, json, junitBody, htmlBody]) {
      try {
        f.discard();
      } catch {
        // already closed
      }
    }
    throw error;
  } finally {
    rmSync(`${files.junit}.body`, { force: true });
    rmSync(`${files.html}.body`, { force: true });
  }
  return { learners: roster.length, passedAll, notGraded, files };
}
