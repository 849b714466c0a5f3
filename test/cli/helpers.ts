import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const LAB = 'cloudwatch-metric-filters';
export const STARTING = join(ROOT, 'labs', LAB, 'facts', 'starting.json');
export const SOLVED = join(ROOT, 'labs', LAB, 'facts', 'solved.json');

/** An environment with no AWS credentials, profile or network route: nothing can reach real AWS. */
export function isolatedEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') && k !== 'NO_COLOR') env[k] = v;
  return {
    ...env,
    AWS_CONFIG_FILE: '/nonexistent/doplab-test/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/doplab-test/credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the doplab command as a user would (`bin/doplab.js`), never on a TTY. */
export function doplab(args: readonly string[], env: NodeJS.ProcessEnv = isolatedEnv()): Run {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'doplab.js'), ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** True when output shows a JavaScript stack trace. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+\(.+:\d+:\d+\)$/m.test(text);
}
