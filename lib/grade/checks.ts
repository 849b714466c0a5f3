import { allLabs, findLab, type AnyLab } from '../registry';

/**
 * Whether a check gives extra points only. Optional checks are being added to lib/checker.ts in
 * parallel; reading the flag this way works with and without it.
 */
export function isOptional(check: object): boolean {
  return (check as { readonly optional?: boolean }).optional === true;
}

/** A lab's maximum score as evaluate counts it: the points of its required checks, decimals exact. */
export function labMaxScore(lab: AnyLab): number {
  const points = lab.checker.checks.filter((c) => !isOptional(c)).reduce((n, c) => n + c.points, 0);
  return Math.round(points * 1e9) / 1e9;
}

/** The labs named by a comma-separated list (--labs), or every lab; an unknown id is a usage error. */
export function selectLabs(list: string | undefined): AnyLab[] {
  if (list === undefined || list.trim() === '') return [...allLabs()];
  const ids = [...new Set(list.split(',').map((id) => id.trim()).filter(Boolean))];
  return ids.map((id) => findLab(id));
}
