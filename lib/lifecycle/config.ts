import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { DoplabError } from '../errors';

/** doplab's own directory: `DOPLAB_HOME`, else `~/.doplab`. */
export function doplabHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOPLAB_HOME || join(homedir(), '.doplab');
}

/** The config file: `DOPLAB_CONFIG`, else `<doplab home>/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOPLAB_CONFIG || join(doplabHome(env), 'config.json');
}

const ACCOUNT_ID = z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits');

const ConfigSchema = z
  .object({
    /** Accounts doplab may deploy to, solve in and destroy in without asking. */
    sandboxAccounts: z.array(ACCOUNT_ID).default([]),
  })
  .strict();

/** What `~/.doplab/config.json` holds, e.g. `{ "sandboxAccounts": ["111122223333"] }`. */
export type DoplabConfig = z.infer<typeof ConfigSchema>;

/** Reads the config file (a missing file is an empty config); a malformed one is a usage error naming the problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): DoplabConfig & { readonly path: string } {
  const path = configPath(env);
  if (!existsSync(path)) return { sandboxAccounts: [], path };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new DoplabError('BAD_CONFIG', 'usage', `${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
      hint: 'Fix the file, e.g. { "sandboxAccounts": ["111122223333"] }.',
    });
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
    throw new DoplabError('BAD_CONFIG', 'usage', `${path} is not a doplab config: ${issues}.`, {
      hint: 'Expected { "sandboxAccounts": ["111122223333"] }.',
    });
  }
  return { ...parsed.data, path };
}

/** The accounts in `DOPLAB_SANDBOX_ACCOUNTS` (comma- or space-separated); a malformed id is a usage error. */
export function envSandboxAccounts(env: NodeJS.ProcessEnv = process.env): string[] {
  const ids = (env.DOPLAB_SANDBOX_ACCOUNTS ?? '').split(/[\s,]+/).filter(Boolean);
  for (const id of ids) {
    if (!ACCOUNT_ID.safeParse(id).success) {
      throw new DoplabError('BAD_CONFIG', 'usage', `DOPLAB_SANDBOX_ACCOUNTS holds "${id}", which is not a 12-digit AWS account id.`);
    }
  }
  return ids;
}

/** Writes a file whole or not at all (a temporary file renamed over it), so Ctrl-C never leaves half a file. */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
