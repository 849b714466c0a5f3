import { closest, distance } from 'fastest-levenshtein';

/** The known id nearest to `input`, if it is near enough to be a likely typo or a prefix. */
export function nearest(input: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  // A fragment of one or two letters is in almost every id; it suggests nothing.
  const prefixed = input.length >= 3 ? known.filter((id) => id.includes(input)) : [];
  if (prefixed.length === 1) return prefixed[0];
  const best = closest(input, [...known]);
  return distance(input, best) <= Math.max(3, Math.floor(best.length / 3)) ? best : undefined;
}
