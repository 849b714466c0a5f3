import pLimit from 'p-limit';
import { AwsSession, type AwsOptions } from '../aws/clients';
import type { LabResult } from '../checker';
import { evaluate, gatherFacts } from '../engine';
import { DoplabError, toErrorInfo, type ErrorInfo } from '../errors';
import type { AnyLab } from '../registry';
import { isOptional, labMaxScore } from './checks';
import { assumeLearnerRole } from './credentials';
import { TokenBucket } from './rate-limit';
import type { RosterEntry } from './roster';
import { GRADE_FORMAT, checksVersion, type GradeRecord, type ResultStore } from './store';

/** What one learner's grading came to, for progress. */
export interface LearnerDone {
  readonly learner: string;
  /** Labs graded now, reused from the cache, and not gradable (with the first reason). */
  readonly graded: number;
  readonly reused: number;
  readonly failed: number;
  readonly reason?: string;
  readonly score: number;
  readonly maxScore: number;
}

/** Options of a class grading run. */
export interface GradeClassOptions {
  readonly roster: readonly RosterEntry[];
  readonly labs: readonly AnyLab[];
  readonly store: ResultStore;
  /** The instructor's session: assumes each learner's grader role. */
  readonly instructor: AwsSession;
  /** Endpoint, retries and timeouts of the learners' sessions (credentials and region are set per learner). */
  readonly aws?: AwsOptions;
  /** Learner accounts graded at the same time. @default 10 */
  readonly concurrency?: number;
  /** Requests per second per learner account, retries included. @default 10 */
  readonly ratePerSecond?: number;
  /** Grade again even when a fresh cached result exists. */
  readonly fresh?: boolean;
  /** Aborting stops starting learners; learners in progress finish and are saved. */
  readonly signal?: AbortSignal;
  readonly onLearnerDone?: (done: LearnerDone) => void;
  /** Builds a learner's session (tests and benchmarks answer AWS calls here). @default new AwsSession */
  readonly newSession?: (options: AwsOptions, entry: RosterEntry) => AwsSession;
}

/** What a run did. */
export interface GradeClassSummary {
  readonly learners: number;
  /** Learners whose turn never came because the run was interrupted. */
  readonly notStarted: number;
  readonly labsGraded: number;
  readonly labsReused: number;
  readonly labsFailed: number;
  readonly apiCalls: number;
}

/** Every check of a lab as ERROR with the reason it could not be graded. */
export function notGradedResult(lab: AnyLab, entry: RosterEntry, error: ErrorInfo): LabResult {
  return {
    lab: lab.id,
    account: entry.accountId,
    region: entry.region,
    startedAt: new Date().toISOString(),
    durationMs: 0,
    source: 'aws',
    score: 0,
    maxScore: labMaxScore(lab),
    checks: lab.checker.checks.map((c) => ({
      id: c.id,
      title: c.title,
      taskStatement: c.taskStatement,
      ...(isOptional(c) ? { optional: true } : {}),
      status: 'ERROR' as const,
      points: 0,
      maxPoints: c.points,
      error,
      hint: error.hint ?? 'Not graded; see the error.',
    })),
  };
}

/**
 * Grades every learner of a roster in every lab: learners in parallel (p-limit), each learner's labs
 * one after another through one session whose requests share a token bucket. One account's failure
 * becomes that learner's records with the reason; each record is saved as soon as it is known.
 */
export async function gradeClass(options: GradeClassOptions): Promise<GradeClassSummary> {
  const limit = pLimit(options.concurrency ?? 10);
  const totals = { notStarted: 0, labsGraded: 0, labsReused: 0, labsFailed: 0, apiCalls: 0 };
  await Promise.all(
    options.roster.map((entry) =>
      limit(async () => {
        if (options.signal?.aborted) {
          totals.notStarted += 1;
          return;
        }
        const done = await gradeLearner(entry, options, totals);
        options.onLearnerDone?.(done);
      }),
    ),
  );
  return { learners: options.roster.length, ...totals };
}

async function gradeLearner(
  entry: RosterEntry,
  options: GradeClassOptions,
  totals: { labsGraded: number; labsReused: number; labsFailed: number; apiCalls: number },
): Promise<LearnerDone> {
  const records: GradeRecord[] = [];
  const todo: AnyLab[] = [];
  for (const lab of options.labs) {
    const cached = options.fresh ? undefined : options.store.fresh(entry, lab);
    if (cached) records.push(cached);
    else todo.push(lab);
  }
  const reused = records.length;
  let graded = 0;
  let failed = 0;
  let reason: string | undefined;
  const save = (record: GradeRecord) => {
    options.store.write(record);
    records.push(record);
    if (record.graded) graded += 1;
    else {
      failed += 1;
      reason ??= record.error?.message;
    }
    totals.apiCalls += record.apiCalls;
  };

  if (todo.length > 0) {
    let session: AwsSession | undefined;
    try {
      const role = await assumeLearnerRole(options.instructor, entry).catch((error: unknown) => {
        for (const lab of todo) save(failedRecord(entry, lab, toErrorInfo(error), 0));
        return undefined;
      });
      if (role) {
        const sessionOptions: AwsOptions = {
          ...options.aws,
          profile: undefined,
          region: entry.region,
          credentials: role.credentials,
          rateLimit: new TokenBucket(options.ratePerSecond ?? 10),
        };
        session = options.newSession ? options.newSession(sessionOptions, entry) : new AwsSession(sessionOptions);
        const identity = { account: entry.accountId, arn: role.arn, region: entry.region };
        for (const lab of todo) save(await gradeLab(lab, entry, session, identity));
      }
    } finally {
      session?.destroy();
    }
  }
  totals.labsGraded += graded;
  totals.labsReused += reused;
  totals.labsFailed += failed;
  const score = records.reduce((n, r) => n + (r.graded ? r.result.score : 0), 0);
  const maxScore = records.reduce((n, r) => n + r.result.maxScore, 0);
  return { learner: entry.learner, graded, reused, failed, score: Math.round(score * 1e9) / 1e9, maxScore, ...(reason ? { reason } : {}) };
}

async function gradeLab(
  lab: AnyLab,
  entry: RosterEntry,
  session: AwsSession,
  identity: { account: string; arn: string; region: string },
): Promise<GradeRecord> {
  let apiCalls = 0;
  const startedAt = new Date();
  try {
    const file = await gatherFacts(lab.checker, session, { identity, listener: () => (apiCalls += 1) });
    const result = evaluate(lab.checker.checks, file.facts, { lab: lab.id, account: entry.accountId, region: entry.region, source: 'aws', startedAt });
    return { ...recordBase(entry, lab), apiCalls, graded: true, result };
  } catch (error) {
    return failedRecord(entry, lab, explain(error, entry), apiCalls);
  }
}

/** The assumed role worked but the region rejects its token: the region is not enabled in that account. */
function explain(error: unknown, entry: RosterEntry): ErrorInfo {
  const info = toErrorInfo(error);
  if (info.code === 'NO_CREDENTIALS' || info.code === 'REGION_DISABLED') {
    return toErrorInfo(
      new DoplabError('REGION_DISABLED', 'environment', `Account ${entry.accountId} rejected the grader's credentials in ${entry.region}; the region is probably not enabled there (${info.message}).`, {
        action: info.action,
        hint: `Enable ${entry.region} in the learner's account, or correct the roster's region.`,
      }),
    );
  }
  return info;
}

function recordBase(entry: RosterEntry, lab: AnyLab) {
  return {
    format: GRADE_FORMAT,
    learner: entry.learner,
    accountId: entry.accountId,
    region: entry.region,
    roleArn: entry.roleArn,
    lab: lab.id,
    checksVersion: checksVersion(lab),
    gradedAt: new Date().toISOString(),
  } as const;
}

function failedRecord(entry: RosterEntry, lab: AnyLab, error: ErrorInfo, apiCalls: number): GradeRecord {
  return { ...recordBase(entry, lab), apiCalls, graded: false, error, result: notGradedResult(lab, entry, error) };
}
