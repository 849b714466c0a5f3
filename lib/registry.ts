import { LABS } from '../labs';
import { DoplabError } from './errors';
import type { Lab } from './lab';
import { nearest } from './suggest';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- labs differ in outputs and facts types
export type AnyLab = Lab<any, any>;

/** Every lab in the catalogue. */
export function allLabs(): readonly AnyLab[] {
  return LABS;
}

/** The lab with this id; an unknown id is a usage error that suggests the nearest one. */
export function findLab(id: string, labs: readonly AnyLab[] = LABS): AnyLab {
  const lab = labs.find((l) => l.id === id);
  if (lab) return lab;
  const ids = labs.map((l) => l.id);
  const guess = nearest(id, ids);
  throw new DoplabError('UNKNOWN_LAB', 'usage', `Unknown lab "${id}".${guess ? ` Did you mean ${guess}?` : ''}`, {
    hint: `Labs: ${ids.join(', ')} (doplab list shows them all).`,
  });
}
