import { existsSync, readFileSync } from 'node:fs';
import { isReadOnlyAction } from './aws/clients';
import { DOP_C02_TASK_STATEMENTS, isExamTaskStatement } from './exam';
import { loadFactsFile } from './facts-file';
import type { Lab } from './lab';

const KEBAB_CASE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** `service:Action`, e.g. `logs:DescribeMetricFilters` or `codestar-connections:GetConnection`. */
const IAM_ACTION = /^[a-z0-9-]+:[A-Z][A-Za-z0-9]*$/;
const DIFFICULTIES = ['foundational', 'intermediate', 'advanced'];
/** How far a cost total may stray from the sum of its items (float rounding only). */
const COST_TOLERANCE_USD = 1e-6;

/**
 * The sections a lab's README.md must have (DESIGN §3: "the scenario, the tasks, what done means,
 * hints, the cost, and how to clean up"). Each is a level-2 Markdown heading (`## ...`, at the start
 * of a line), matched case-insensitively:
 *
 * | section          | heading must start with                      | e.g.                          |
 * | ---------------- | -------------------------------------------- | ----------------------------- |
 * | Scenario         | `Scenario` or `The scenario`                 | `## Scenario`                 |
 * | Tasks            | `Task`, `Tasks`, `Your task(s)`              | `## Your tasks`               |
 * | What done means  | any heading containing the word `done`       | `## What "done" means`        |
 * | Hints            | `Hint` or `Hints`                            | `## Hints`                    |
 * | Cost             | `Cost` or `What it costs`                    | `## Cost`                     |
 * | Clean up         | `Clean up`, `Cleanup`, `Clean-up`, `Cleaning up` | `## Clean up`             |
 */
export const INSTRUCTION_SECTIONS: readonly { readonly name: string; readonly heading: RegExp }[] = [
  { name: 'Scenario', heading: /^##[ \t]+(?:the[ \t]+)?scenario\b/im },
  { name: 'Tasks', heading: /^##[ \t]+(?:your[ \t]+)?tasks?\b/im },
  { name: 'What done means', heading: /^##[ \t]+.*\bdone\b/im },
  { name: 'Hints', heading: /^##[ \t]+hints?\b/im },
  { name: 'Cost', heading: /^##[ \t]+(?:what[ \t]+it[ \t]+)?costs?\b/im },
  { name: 'Clean up', heading: /^##[ \t]+clean(?:ing)?(?:[ \t-]?up)\b/im },
];

function usd(n: number): string {
  return String(Number(n.toFixed(6)));
}

function blank(text: unknown): boolean {
  return typeof text !== 'string' || text.trim() === '';
}

function positive(n: unknown): boolean {
  return typeof n === 'number' && Number.isFinite(n) && n > 0;
}

function nonNegative(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0;
}

/**
 * What is wrong with a lab's declaration, one exact message per problem, each naming the lab and the
 * thing. An empty list means the lab may be in the catalogue.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- labs differ in outputs and facts types
export function labProblems(lab: Lab<any, any>): string[] {
  const problems: string[] = [];
  const id = String(lab.id);
  const problem = (text: string) => problems.push(`Lab ${id}: ${text}`);

  if (!KEBAB_CASE.test(id)) problem('id is not kebab-case (lowercase letters and digits joined by "-").');
  if (blank(lab.title)) problem('title is empty.');
  if (blank(lab.summary)) problem('summary is empty.');
  if (!DIFFICULTIES.includes(lab.difficulty)) problem(`difficulty "${lab.difficulty}" is not one of ${DIFFICULTIES.join(', ')}.`);
  if (!positive(lab.minutes)) problem(`minutes is ${lab.minutes}; expected a number above 0.`);
  if (!positive(lab.deployMinutes)) problem(`deployMinutes is ${lab.deployMinutes}; expected a number above 0.`);

  const taskStatements: readonly string[] = lab.taskStatements ?? [];
  if (taskStatements.length === 0) problem('declares no exam task statement.');
  for (const ts of taskStatements) {
    if (!isExamTaskStatement(ts)) {
      problem(`task statement ${ts} is not a DOP-C02 task statement (${DOP_C02_TASK_STATEMENTS.join(', ')}).`);
    }
  }
  for (const ts of new Set(taskStatements.filter((t, i) => taskStatements.indexOf(t) !== i))) {
    problem(`task statement ${ts} is listed more than once.`);
  }

  costProblems(lab, problem);
  instructionProblems(lab, problem);
  exampleProblems(lab, problem);
  if (!lab.checker) {
    problem('has no checker.');
  } else {
    checkerProblems(lab, taskStatements, problem);
  }
  if (typeof lab.loadStack !== 'function') problem('has no loadStack (the scenario stack).');
  if (typeof lab.loadSolution !== 'function') problem('has no loadSolution (the reference solution).');
  return problems;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function costProblems(lab: Lab<any, any>, problem: (text: string) => void): void {
  const cost = lab.cost;
  if (!cost) {
    problem('has no cost estimate.');
    return;
  }
  if (!nonNegative(cost.usdPerHour)) problem(`cost per hour is ${cost.usdPerHour}; expected a number ≥ 0.`);
  if (blank(cost.pricing)) problem('cost has no pricing note (where the prices come from and when they were read).');
  const items = cost.items ?? [];
  if (items.length === 0) {
    problem('cost has no items.');
    return;
  }
  for (const [index, item] of items.entries()) {
    const name = blank(item.resource) ? `#${index + 1}` : `"${item.resource}"`;
    if (blank(item.resource)) problem(`cost item #${index + 1} names no resource.`);
    if (!nonNegative(item.usdPerHour)) problem(`cost item ${name} costs ${item.usdPerHour} per hour; expected a number ≥ 0.`);
    if (blank(item.basis)) problem(`cost item ${name} has no basis (how its price was worked out).`);
  }
  if (!nonNegative(cost.usdPerHour) || !items.every((item) => nonNegative(item.usdPerHour))) return;
  const sum = items.reduce((total, item) => total + item.usdPerHour, 0);
  if (Math.abs(cost.usdPerHour - sum) > COST_TOLERANCE_USD) {
    problem(`cost per hour ${usd(cost.usdPerHour)} is not the sum of its items (${usd(sum)}).`);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function instructionProblems(lab: Lab<any, any>, problem: (text: string) => void): void {
  if (blank(lab.instructions) || !existsSync(lab.instructions)) {
    problem(`instructions file ${lab.instructions} does not exist.`);
    return;
  }
  const text = readFileSync(lab.instructions, 'utf8');
  for (const section of INSTRUCTION_SECTIONS) {
    if (!section.heading.test(text)) problem(`instructions ${lab.instructions} have no "## ${section.name}" section.`);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function exampleProblems(lab: Lab<any, any>, problem: (text: string) => void): void {
  for (const state of ['starting', 'solved'] as const) {
    const path = lab.examples?.[state];
    if (blank(path) || !existsSync(path)) {
      problem(`example facts file of the ${state} state ${path} does not exist.`);
      continue;
    }
    if (!lab.checker) continue;
    try {
      loadFactsFile(path, lab.id, lab.checker.factsSchema);
    } catch (error) {
      problem(`example facts of the ${state} state are not valid: ${(error as Error).message}`);
    }
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function checkerProblems(lab: Lab<any, any>, taskStatements: readonly string[], problem: (text: string) => void): void {
  const checker = lab.checker;
  if (checker.labId !== lab.id) problem(`checker is declared for lab ${checker.labId}.`);

  const checks = checker.checks ?? [];
  if (checks.length === 0) problem('checker has no checks.');
  const seen = new Set<string>();
  for (const check of checks) {
    const name = String(check.id);
    if (!KEBAB_CASE.test(name)) problem(`check id "${name}" is not kebab-case.`);
    if (seen.has(name)) problem(`check id "${name}" is used more than once.`);
    if (blank(check.title)) problem(`check ${name} has no title.`);
    if (blank(check.hint)) problem(`check ${name} has no hint.`);
    if (!positive(check.points)) problem(`check ${name} is worth ${check.points} points; expected a number above 0.`);
    if (taskStatements.length > 0 && !taskStatements.includes(check.taskStatement)) {
      problem(`check ${name} proves task statement ${check.taskStatement}, which the lab does not declare (${taskStatements.join(', ')}).`);
    }
    for (const dependency of check.dependsOn ?? []) {
      if (!seen.has(dependency)) problem(`check ${name} depends on ${dependency}, which is not an earlier check.`);
    }
    if (typeof check.run !== 'function') problem(`check ${name} has no run function.`);
    seen.add(name);
  }
  for (const ts of new Set(taskStatements)) {
    if (checks.length > 0 && isExamTaskStatement(ts) && !checks.some((c) => c.taskStatement === ts)) {
      problem(`task statement ${ts} is proven by no check.`);
    }
  }

  for (const action of checker.actions ?? []) {
    if (!IAM_ACTION.test(action)) {
      problem(`checker action "${action}" is not of the form service:Action.`);
    } else if (!isReadOnlyAction(action)) {
      problem(`checker action "${action}" is not read-only.`);
    }
  }
}

/** Problems of the catalogue as a whole: ids declared more than once. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function catalogueProblems(labs: readonly Lab<any, any>[]): string[] {
  const counts = new Map<string, number>();
  for (const lab of labs) counts.set(lab.id, (counts.get(lab.id) ?? 0) + 1);
  return [...counts]
    .filter(([, n]) => n > 1)
    .map(([id, n]) => `Lab id ${id} is declared ${n} times in the catalogue.`);
}
