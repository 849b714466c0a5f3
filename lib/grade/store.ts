import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LabResult } from '../checker';
import type { ErrorInfo } from '../errors';
import type { AnyLab } from '../registry';
import { learnerKey, type RosterEntry } from './roster';

export const GRADE_FORMAT = 'doplab-grade/1';

/** One learner's grade for one lab, as cached in the output folder. */
export interface GradeRecord {
  readonly format: typeof GRADE_FORMAT;
  readonly learner: string;
  readonly accountId: string;
  readonly region: string;
  readonly roleArn: string;
  readonly lab: string;
  /** Fingerprint of the lab's checks and points: a changed lab is graded again. */
  readonly checksVersion: string;
  readonly gradedAt: string;
  /** API calls made in the learner account for this lab (each call once, however many attempts; AssumeRole is the instructor's). */
  readonly apiCalls: number;
  /** False when the lab could not be graded (role not assumable, lab not deployed, region disabled): `error` says why. */
  readonly graded: boolean;
  readonly error?: ErrorInfo;
  /** The result; when not graded, every check is ERROR with the reason. */
  readonly result: LabResult;
}

/** A short fingerprint of what a lab grades: its checks, their points and task statements. */
export function checksVersion(lab: AnyLab): string {
  const checks = lab.checker.checks.map((c) => [c.id, c.points, c.taskStatement]);
  return createHash('sha256').update(JSON.stringify([lab.id, checks])).digest('hex').slice(0, 12);
}

/** Grade records on disk, one file per learner and lab: `<dir>/results/<learner key>/<lab>.json`. */
export class ResultStore {
  constructor(readonly dir: string) {}

  path(learner: string, lab: string): string {
    return join(this.dir, 'results', learnerKey(learner), `${lab}.json`);
  }

  /** The cached record, or undefined when there is none (or it cannot be read). */
  read(learner: string, lab: string): GradeRecord | undefined {
    try {
      const record = JSON.parse(readFileSync(this.path(learner, lab), 'utf8')) as GradeRecord;
      return record.format === GRADE_FORMAT && record.learner === learner && record.lab === lab ? record : undefined;
    } catch {
      return undefined;
    }
  }

  /** A cached record that can be reused for this roster entry: graded, same account, region, role and checks. */
  fresh(entry: RosterEntry, lab: AnyLab): GradeRecord | undefined {
    const record = this.read(entry.learner, lab.id);
    const same =
      record?.graded &&
      record.accountId === entry.accountId &&
      record.region === entry.region &&
      record.roleArn === entry.roleArn &&
      record.checksVersion === checksVersion(lab);
    return same ? record : undefined;
  }

  /** Writes a record atomically (a temporary file renamed over the old one): an interrupt never leaves half a file. */
  write(record: GradeRecord): void {
    const path = this.path(record.learner, record.lab);
    mkdirSync(dirname(path), { recursive: true });
    writeAtomically(path, JSON.stringify(record, null, 2));
  }
}

/** Writes a file through a temporary file in the same folder and a rename. */
export function writeAtomically(path: string, data: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
