import { readFileSync } from 'node:fs';
import { DoplabError } from '../errors';
import type { Io } from '../io';
import type { AnyLab } from '../registry';

/** `doplab show <lab>`: the learner instructions, with the lab's facts first. */
export function showLab(lab: AnyLab, io: Io): number {
  let text: string;
  try {
    text = readFileSync(lab.instructions, 'utf8');
  } catch (error) {
    throw new DoplabError('INTERNAL', 'harness', `Instructions of lab ${lab.id} are missing at ${lab.instructions}.`, { cause: error });
  }
  io.out(
    [
      `Lab ${lab.id} · exam tasks ${lab.taskStatements.join(', ')} · ${lab.difficulty} · ~${lab.minutes} min · ` +
        `~$${lab.cost.usdPerHour.toFixed(4)}/hour while deployed`,
      '',
      text.trimEnd(),
    ].join('\n'),
  );
  return 0;
}
