import type { z } from 'zod';
import type { OutputKeys, StackOutputs } from './contract';
import type { ErrorInfo } from './errors';

/** An exam task statement from the DOP-C02 guide, e.g. `'4.1'` (the list with titles is in `lib/exam.ts`). */
export type TaskStatement =
  | '1.1' | '1.2' | '1.3' | '1.4'
  | '2.1' | '2.2' | '2.3'
  | '3.1' | '3.2' | '3.3'
  | '4.1' | '4.2' | '4.3'
  | '5.1' | '5.2' | '5.3'
  | '6.1' | '6.2' | '6.3';

/** PASS, FAIL, PENDING (done, AWS not settled yet), ERROR (could not decide), SKIPPED (a dependency did not pass). */
export type Status = 'PASS' | 'FAIL' | 'PENDING' | 'ERROR' | 'SKIPPED';

/** What a check observed, where, and what it expected. */
export interface Evidence {
  /** What was seen, e.g. `pattern "ERROR" matched 2 of 3 WARN lines`. */
  readonly observed: string;
  /** What was expected, stated so the learner can act on it. */
  readonly expected: string;
  /** Where it was seen: the resource and region. */
  readonly where: string;
}

/** A check's judgement of the facts. */
export interface Verdict {
  readonly status: 'PASS' | 'FAIL' | 'PENDING';
  readonly evidence: Evidence;
  /** A hint for this particular failure; the check's own hint otherwise. */
  readonly hint?: string;
}

/** One check of a lab: a pure function of the gathered facts. */
export interface Check<F> {
  /** Stable id, kebab-case; gradebooks key on it. */
  readonly id: string;
  /** What the learner achieved when it passes, e.g. `Metric filter counts ERROR lines`. */
  readonly title: string;
  readonly points: number;
  /** The exam task statement this check proves. */
  readonly taskStatement: TaskStatement;
  /** A nudge shown when the check does not pass; never the answer. */
  readonly hint: string;
  /** Checks that must PASS before this one runs; otherwise this one is SKIPPED. */
  readonly dependsOn?: readonly string[];
  /** Extra points: counted in the score when it passes, never in maxScore, and never failing the lab. @default false */
  readonly optional?: boolean;
  readonly run: (facts: F) => Verdict;
}

/** The gather phase's access to AWS: read-only clients in the lab's account and region. */
export interface GatherContext<O extends OutputKeys> {
  readonly outputs: StackOutputs<O>;
  readonly account: string;
  readonly region: string;
  /** When the lab's stack was created (ISO 8601), to tell the learner's work from what came before. */
  readonly stackCreatedAt?: string;
  /** A read-only SDK client (default: the lab's region); any non-read command is refused before it is sent. */
  readonly client: <C extends object>(ctor: new (config: never) => C, region?: string) => C;
}

/** A lab's checker: what it reads (gather) and how it judges (checks). */
export interface Checker<O extends OutputKeys, F> {
  readonly labId: string;
  /** The stack outputs gather needs (the lab's contract). */
  readonly outputs: O;
  /** Every IAM action gather may call besides `cloudformation:DescribeStacks`; read-only only. */
  readonly actions: readonly string[];
  /** Validates a facts file's `facts` before checks run on it. */
  readonly factsSchema: z.ZodType<F>;
  readonly gather: (ctx: GatherContext<O>) => Promise<F>;
  readonly checks: readonly Check<F>[];
}

/** The outcome of one check. */
export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly taskStatement: TaskStatement;
  readonly status: Status;
  /** Points awarded: the check's points when it passed, else 0. */
  readonly points: number;
  readonly maxPoints: number;
  /** Extra points: not in the lab's maxScore, and not passing it does not fail the lab. */
  readonly optional?: boolean;
  readonly evidence?: Evidence;
  /** Shown for anything but PASS. */
  readonly hint?: string;
  /** For ERROR: what went wrong (never the learner's fault). */
  readonly error?: ErrorInfo;
}

/** The result of checking one lab in one account and region. */
export interface LabResult {
  readonly lab: string;
  readonly account: string;
  readonly region: string;
  readonly startedAt: string;
  readonly durationMs: number;
  /** Where the facts came from: live AWS calls, or a saved facts file. */
  readonly source: 'aws' | 'facts-file';
  /** Points awarded, extra points of optional checks included (so it may exceed maxScore). */
  readonly score: number;
  /** Points of the required checks. */
  readonly maxScore: number;
  readonly checks: readonly CheckResult[];
}

/** Declares a checker with its types inferred; a plain identity function. */
export function defineChecker<O extends OutputKeys, F>(checker: Checker<O, F>): Checker<O, F> {
  return checker;
}
