// What every checker test does the same way: evaluate facts as `doplab check --facts` would, find one check's result,
// and register the declaration tests.
import type { Identity } from '../../lib/aws/lab-stack';
import type { Check, Checker, CheckResult, LabResult, TaskStatement } from '../../lib/checker';
import type { OutputKeys } from '../../lib/contract';
import { isReadOnlyAction, type AwsSession, type CallListener } from '../../lib/aws/clients';
import { checkerActions, evaluate, gatherFacts } from '../../lib/engine';

/** The parts of a checker these helpers read. */
interface CheckerLike<F> {
  readonly labId: string;
  readonly actions: readonly string[];
  readonly checks: readonly Check<F>[];
}

/** Evaluates facts with the checker's checks, as from a facts file, in `account` and `region`. */
export function factsRunner<F>(checker: CheckerLike<F>, account: string, region: string): (facts: F) => LabResult {
  return (facts) => evaluate(checker.checks, facts, { lab: checker.labId, account, region, source: 'facts-file' });
}

/** Finds one check's result by id, among the ids the checker declares (a missing one throws). */
export function checkFinder<Id extends string>(_ids: readonly Id[]): (result: LabResult, id: Id) => CheckResult {
  return (result, id) => {
    const found = result.checks.find((c) => c.id === id);
    if (!found) throw new Error(`no check ${id}`);
    return found;
  };
}

/**
 * Registers the declaration tests: the checks are `ids` in order, worth 100 points, each proving one of the lab's task
 * statements; the checker declares exactly `actions` (DescribeStacks included), all read-only.
 */
export function itDeclaresChecks<F>(checker: CheckerLike<F>, taskStatements: readonly TaskStatement[], ids: readonly string[], actions: readonly string[]): void {
  it(`has ${ids.length} checks worth 100 points, each proving a task statement of the lab`, () => {
    expect(checker.checks.map((c) => c.id)).toEqual([...ids]);
    expect(checker.checks.reduce((sum, c) => sum + c.points, 0)).toBe(100);
    for (const c of checker.checks) expect(taskStatements).toContain(c.taskStatement);
  });

  it('declares only read-only actions', () => {
    expect(checkerActions(checker)).toEqual([...actions]);
    expect(checkerActions(checker).every(isReadOnlyAction)).toBe(true);
  });
}

/** Gathers through the real gather on `session`, recording the IAM actions it called (each once, sorted). */
export async function gatherRecorded<O extends OutputKeys, F>(checker: Checker<O, F>, session: AwsSession, identity: Identity): Promise<{ facts: F; actions: string[] }> {
  const actions: string[] = [];
  const listener: CallListener = (action) => actions.push(action);
  const file = await gatherFacts(checker, session, { identity, listener });
  return { facts: file.facts, actions: [...new Set(actions)].sort() };
}
