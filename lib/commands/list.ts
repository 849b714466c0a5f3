import { createColors } from 'picocolors';
import type { Io } from '../io';
import type { AnyLab } from '../registry';

function usd(n: number): string {
  return n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`;
}

/** `doplab list`: the catalogue as a table, or JSON. */
export function listLabs(labs: readonly AnyLab[], io: Io, options: { json?: boolean }): number {
  if (options.json) {
    const rows = labs.map((lab) => ({
      id: lab.id,
      title: lab.title,
      summary: lab.summary,
      taskStatements: lab.taskStatements,
      difficulty: lab.difficulty,
      minutes: lab.minutes,
      deployMinutes: lab.deployMinutes,
      costPerHour: lab.cost.usdPerHour,
    }));
    io.out(JSON.stringify(rows, null, 2));
    return 0;
  }
  const c = createColors(io.color);
  const header = ['LAB', 'EXAM TASKS', 'LEVEL', 'TIME', 'COST/HOUR', 'TITLE'];
  const rows = labs.map((lab) => [
    lab.id,
    lab.taskStatements.join(' '),
    lab.difficulty,
    `${lab.minutes} min`,
    usd(lab.cost.usdPerHour),
    lab.title,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ');
  io.out([c.bold(line(header)), ...rows.map(line)].join('\n'));
  io.out(c.dim(`\n${labs.length} lab(s). Read one: doplab show <lab>. Costs are estimates at us-east-1 prices.`));
  return 0;
}
