import type { Check, CheckResult, Checker, LabResult } from './checker';
import { pickOutputs, type OutputKeys } from './contract';
import { toErrorInfo } from './errors';
import { FactUnavailable } from './facts';
import { FACTS_FORMAT, type FactsFile } from './facts-file';
import type { AwsSession, CallListener } from './aws/clients';
import type { Identity } from './aws/lab-stack';

/** Where the facts were gathered, for the result header. */
export interface EvaluationMeta {
  readonly lab: string;
  readonly account: string;
  readonly region: string;
  readonly source: LabResult['source'];
  readonly startedAt?: Date;
}

/**
 * Runs every check on the facts. Pure: no AWS. A check whose dependency did not pass is SKIPPED; a
 * check that throws becomes ERROR and the others still run.
 */
export function evaluate<F>(checks: readonly Check<F>[], facts: F, meta: EvaluationMeta): LabResult {
  const started = meta.startedAt ?? new Date();
  const byId = new Map<string, CheckResult>();
  const results: CheckResult[] = [];
  for (const check of checks) {
    const result = runOne(check, facts, byId);
    byId.set(check.id, result);
    results.push(result);
  }
  return {
    lab: meta.lab,
    account: meta.account,
    region: meta.region,
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    source: meta.source,
    score: sumPoints(results.map((r) => r.points)),
    maxScore: sumPoints(results.filter((r) => !r.optional).map((r) => r.maxPoints)),
    checks: results,
  };
}

/** Adds points so that decimal points add up as written (0.1 + 0.2 is 0.3, not 0.30000000000000004). */
function sumPoints(points: readonly number[]): number {
  return Math.round(points.reduce((sum, p) => sum + p, 0) * 1e9) / 1e9;
}

function runOne<F>(check: Check<F>, facts: F, done: ReadonlyMap<string, CheckResult>): CheckResult {
  const base = {
    id: check.id,
    title: check.title,
    taskStatement: check.taskStatement,
    maxPoints: check.points,
    ...(check.optional ? { optional: true } : {}),
  };
  const blocking = (check.dependsOn ?? []).filter((id) => done.get(id)?.status !== 'PASS');
  if (blocking.length > 0) {
    // A dependency that could not be checked (ERROR) is not something the learner can make pass.
    const undecided = blocking.filter((id) => done.get(id)?.status === 'ERROR');
    const hint =
      undecided.length > 0
        ? `Not checked: ${undecided.join(', ')} could not be checked (see the error above).`
        : `Needs ${blocking.join(', ')} to pass first.`;
    return { ...base, status: 'SKIPPED', points: 0, hint };
  }
  try {
    const verdict = check.run(facts);
    const passed = verdict.status === 'PASS';
    return {
      ...base,
      status: verdict.status,
      points: passed ? check.points : 0,
      evidence: verdict.evidence,
      ...(passed ? {} : { hint: verdict.hint ?? check.hint }),
    };
  } catch (error) {
    const info =
      error instanceof FactUnavailable
        ? error.info
        : { ...toErrorInfo(error), message: `check ${check.id} threw: ${(error as Error)?.message ?? String(error)}` };
    return { ...base, status: 'ERROR', points: 0, error: info, hint: info.hint ?? 'This is not your fault; see the error.' };
  }
}

/** True when every required check passed (optional checks give extra points only). */
export function allPassed(result: LabResult): boolean {
  return result.checks.every((c) => c.optional || c.status === 'PASS');
}

/** True when a required check is still settling in AWS (worth checking again shortly). */
export function anyPending(result: LabResult): boolean {
  return result.checks.some((c) => !c.optional && c.status === 'PENDING');
}

/** The IAM actions a checker needs, reading the lab's stack included. */
export function checkerActions(checker: Pick<Checker<OutputKeys, unknown>, 'actions'>): string[] {
  return [...new Set(['cloudformation:DescribeStacks', ...checker.actions])].sort();
}

/**
 * Gathers a lab's facts from AWS: the lab's stack and outputs, then the checker's own read-only calls
 * (round trips: the checker's dependency depth + 1). Without `identity`, the account is the one in the
 * stack's ARN (the account of the credentials that read it), so no STS call is spent on it. Stack
 * problems (not deployed, outputs missing) are thrown; the checker's own read failures are recorded in
 * the facts.
 */
export async function gatherFacts<O extends OutputKeys, F>(
  checker: Checker<O, F>,
  session: AwsSession,
  options: { identity?: Identity; listener?: CallListener } = {},
): Promise<FactsFile<F>> {
  // Loaded here, not at the top: `check --facts` evaluates without loading any SDK client.
  const { readLabStack, sessionRegion, whoAmI }: typeof import('./aws/lab-stack') = require('./aws/lab-stack');
  const region = options.identity?.region ?? (await sessionRegion(session));
  const stack = await readLabStack(session, checker.labId, region, options.listener);
  // An endpoint whose stack ARNs carry no account (some emulators) is asked who we are, as before.
  const account = options.identity?.account ?? stack.account ?? (await whoAmI(session)).account;
  const outputs = pickOutputs(checker.outputs, stack.outputs, stack.name);
  const facts = await checker.gather({
    outputs,
    account,
    region,
    stackCreatedAt: stack.createdAt,
    client: (ctor, clientRegion) => session.readOnlyClient(ctor, clientRegion ?? region, options.listener),
  });
  return {
    format: FACTS_FORMAT,
    lab: checker.labId,
    account,
    region,
    gatheredAt: new Date().toISOString(),
    stack: { name: stack.name, status: stack.status, outputs: stack.outputs },
    facts,
  };
}
