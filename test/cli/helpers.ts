import { spawn, spawnSync } from 'node:child_process';
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

/**
 * Runs `node bin/doplab.js` without blocking, for tests whose fake endpoint lives in this process (a
 * spawnSync would leave it unable to answer). stdin is an already-closed pipe: never a terminal, so
 * nobody can confirm a prompt.
 */
export function doplabAsync(args: readonly string[], env: NodeJS.ProcessEnv = isolatedEnv()): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'doplab.js'), ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end();
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
