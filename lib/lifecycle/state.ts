import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { doplabHome, writeFileAtomic } from './config';

/** The last passing check of a lab in one account and region. */
const PassedCheckSchema = z.object({
  score: z.number(),
  maxScore: z.number(),
  /** ISO 8601. */
  at: z.string(),
});
const StateSchema = z.object({ passedChecks: z.record(z.string(), PassedCheckSchema).default({}) });

/** What doplab remembers between runs (`~/.doplab/state.json`): which labs passed `check`, where and when. */
export type DoplabState = z.infer<typeof StateSchema>;
/** A live `check` that passed: its score and when (ISO 8601). */
export type PassedCheck = z.infer<typeof PassedCheckSchema>;

function statePath(env: NodeJS.ProcessEnv): string {
  return join(doplabHome(env), 'state.json');
}

/** The key of a lab deployment: `<account>/<region>/<lab>`. */
export function deploymentKey(account: string, region: string, lab: string): string {
  return `${account}/${region}/${lab}`;
}

/** Reads the state; a missing or unreadable file is an empty state (it is a cache, never a source of truth). */
export function readState(env: NodeJS.ProcessEnv = process.env): DoplabState {
  const path = statePath(env);
  if (!existsSync(path)) return { passedChecks: {} };
  try {
    return StateSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return { passedChecks: {} };
  }
}

/** Records that a live `check` passed (written atomically). */
export function recordPassedCheck(key: string, passed: PassedCheck, env: NodeJS.ProcessEnv = process.env): void {
  const state = readState(env);
  state.passedChecks[key] = passed;
  writeFileAtomic(statePath(env), `${JSON.stringify(state, null, 2)}\n`);
}
