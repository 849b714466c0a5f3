import { createColors } from 'picocolors';
import type { CheckResult, LabResult, Status } from '../checker';

/** How the terminal reporter looks. */
export interface TerminalOptions {
  /** Colour on; off when stdout is not a TTY or --no-color is given. */
  readonly color: boolean;
}

/** The symbol of each status in a checklist. */
export const SYMBOL: Record<Status, string> = { PASS: '✔', FAIL: '✘', PENDING: '…', ERROR: '!', SKIPPED: '-' };

/** Points as written: `5`, `0.5`, `1.25` (no float noise). */
export function formatPoints(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(4)));
}

/** The checklist a learner reads: one line per check, evidence and hint under anything that did not pass. */
export function renderChecklist(result: LabResult, options: TerminalOptions): string {
  const c = createColors(options.color);
  const paint: Record<Status, (s: string) => string> = {
    PASS: c.green,
    FAIL: c.red,
    PENDING: c.yellow,
    ERROR: c.magenta,
    SKIPPED: c.dim,
  };
  const origin = result.source === 'facts-file' ? 'saved facts' : 'live';
  const lines = [c.bold(`${result.lab}`) + c.dim(` — account ${result.account}, ${result.region} (${origin})`), ''];
  const width = Math.max(...result.checks.map((r) => r.title.length), 10);
  const pointsOf = (check: CheckResult) => `${formatPoints(check.points)}/${formatPoints(check.maxPoints)}`;
  // Fractional points (0.5/1.25) are wider than 5 characters; align the column on the widest.
  const pointsWidth = Math.max(...result.checks.map((r) => pointsOf(r).length), 5);
  for (const check of result.checks) {
    const points = pointsOf(check);
    const label = check.status === 'PASS' || check.status === 'FAIL' ? '' : ` ${check.status}`;
    const extra = check.optional ? c.dim(' (optional, extra points)') : '';
    lines.push(
      `  ${paint[check.status](SYMBOL[check.status])} ${check.title.padEnd(width)}  ${points.padStart(pointsWidth)}  ${c.dim(`[${check.taskStatement}]`)}${paint[check.status](label)}${extra}`,
    );
    if (check.status !== 'PASS') lines.push(...details(check, c.dim));
  }
  lines.push('', summaryLine(result, options));
  return lines.join('\n');
}

function details(check: CheckResult, dim: (s: string) => string): string[] {
  const out: string[] = [];
  if (check.error) out.push(`      error:    ${check.error.message}`);
  if (check.evidence && check.status !== 'SKIPPED') {
    out.push(`      observed: ${check.evidence.observed}`);
    out.push(`      expected: ${check.evidence.expected}`);
    out.push(dim(`      where:    ${check.evidence.where}`));
  }
  if (check.hint) out.push(`      hint:     ${check.hint}`);
  return out;
}

/** `Score 7/10 — 5 passed, 1 failed, 1 pending`. */
export function summaryLine(result: LabResult, options: TerminalOptions): string {
  const c = createColors(options.color);
  // Counts are of required checks; an optional check only adds "N optional passed/open".
  const required = result.checks.filter((r) => !r.optional);
  const optional = result.checks.filter((r) => r.optional);
  const count = (s: Status) => required.filter((r) => r.status === s).length;
  const parts = [`${count('PASS')} passed`, `${count('FAIL')} failed`];
  for (const [s, word] of [['PENDING', 'pending'], ['ERROR', 'errors'], ['SKIPPED', 'skipped']] as const) {
    if (count(s) > 0) parts.push(`${count(s)} ${word}`);
  }
  const optionalPassed = optional.filter((r) => r.status === 'PASS').length;
  if (optionalPassed > 0) parts.push(`${optionalPassed} optional passed`);
  if (optional.length > optionalPassed) parts.push(`${optional.length - optionalPassed} optional open`);
  const score = `Score ${formatPoints(result.score)}/${formatPoints(result.maxScore)}`;
  const done = result.checks.every((r) => r.optional || r.status === 'PASS');
  return `${done ? c.green(c.bold(score)) : c.bold(score)} — ${parts.join(', ')}`;
}
