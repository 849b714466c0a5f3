import { readFileSync } from 'node:fs';
import { DoplabError } from '../errors';
import type { Io } from '../io';
import type { AnyLab } from '../registry';
import { prelexed, renderMarkdown, terminalWidth, wrap } from '../report/markdown';

/**
 * `doplab show <lab>`: the learner instructions, with the lab's facts first, rendered for a terminal and
 * wrapped to its width (plain text when stdout is not a terminal or with --no-color / NO_COLOR).
 * This module is loaded by `show` only: the Markdown renderer stays out of every other command.
 */
export function showLab(lab: AnyLab, io: Io, options: { readonly width?: number } = {}): number {
  let text: string;
  try {
    text = readFileSync(lab.instructions, 'utf8');
  } catch (error) {
    throw new DoplabError('INTERNAL', 'harness', `Instructions of lab ${lab.id} are missing at ${lab.instructions}.`, { cause: error });
  }
  const width = options.width ?? terminalWidth();
  const facts =
    `Lab ${lab.id} · exam tasks ${lab.taskStatements.join(', ')} · ${lab.difficulty} · ~${lab.minutes} min · ` +
    `~$${lab.cost.usdPerHour.toFixed(4)}/hour while deployed`;
  io.out([wrap(facts, width), '', renderMarkdown(text, { color: io.color, width, tokens: prelexed(lab.instructions, text) })].join('\n'));
  return 0;
}
