import ms from 'ms';
import { DoplabError } from './errors';

/** Parses a duration option such as `90s`, `10m` or `1h` into milliseconds. */
export function parseDuration(text: string, option: string): number {
  let value: number | undefined;
  try {
    value = /^\d+$/.test(text) ? Number(text) * 1000 : ms(text as ms.StringValue);
  } catch {
    // ms throws on an empty string instead of returning undefined.
    value = undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new DoplabError('BAD_OPTION', 'usage', `${option} takes a duration like 90s, 10m or 1h; got "${text}".`);
  }
  return value;
}

/** `2m 05s`, for progress lines. */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.round(milliseconds / 1000);
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m > 0 ? `${m}m ${String(s).padStart(2, '0')}s` : `${s}s`;
}
