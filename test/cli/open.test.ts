// `doplab open` as a user runs it: the real CLI process, its address on stdout, Ctrl-C to stop, and bad
// input refused with a clear message and no stack trace.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { findLab } from '../../lib/registry';
import { LAB, ROOT, SOLVED, doplabAsync, hasStackTrace, isolatedEnv } from './helpers';

interface Served {
  readonly url: string;
  /** Sends SIGINT and resolves to the exit code and the output. */
  stop(): Promise<{ status: number | null; stdout: string; stderr: string }>;
}

/** Starts `doplab open …` and resolves once it printed its address. */
function serve(args: readonly string[], env = isolatedEnv()): Promise<Served> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'doplab.js'), 'open', ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const url = /^(http:\/\/\S+)\n/.exec(stdout)?.[1];
      if (url)
        resolve({
          url,
          stop: async () => {
            child.kill('SIGINT');
            const status = await closed;
            clearTimeout(timer);
            return { status, stdout, stderr };
          },
        });
    });
    void closed.then((status) => {
      clearTimeout(timer);
      reject(new Error(`doplab open exited ${status} before printing an address: ${stderr}`));
    });
  });
}

describe('doplab open', () => {
  it('serves a saved result offline until Ctrl-C, then exits 0', async () => {
    const served = await serve([LAB, '--facts', SOLVED, '--no-browser']);
    const { url } = served;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`<h1>${/^# (.+)$/m.exec(require('node:fs').readFileSync(findLab(LAB).instructions, 'utf8'))![1]}</h1>`);
    expect(html).toContain('data-mode="facts"');
    expect((await fetch(url.replace(/\?token=.*/, ''))).status).toBe(403);
    const check = (await (await fetch(url.replace('/?', '/api/check?'), { method: 'POST' })).json()) as { result: { score: number; maxScore: number; source: string } };
    expect(check.result.source).toBe('facts-file');
    expect(check.result.score).toBe(check.result.maxScore);
    const { status, stdout, stderr } = await served.stop();
    expect(status).toBe(0);
    expect(stdout).toBe(`${url}\n`);
    expect(stderr).toContain(`Serving ${LAB} on ${url.replace(/\?token=.*/, '')} (this machine only`);
    expect(stderr).toContain(`Stopped serving ${LAB}.`);
    expect(hasStackTrace(stderr)).toBe(false);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('refuses an unknown lab with exit 2 and the nearest id', async () => {
    const run = await doplabAsync(['open', 'cloudwatch-metric-filter', '--no-browser']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('doplab: Unknown lab "cloudwatch-metric-filter". Did you mean cloudwatch-metric-filters?');
    expect(hasStackTrace(run.stderr)).toBe(false);
  });

  it('refuses a port in use with exit 2 and says what to do', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      const run = await doplabAsync(['open', LAB, '--facts', SOLVED, '--no-browser', '--port', String(port)]);
      expect(run.status).toBe(2);
      expect(run.stderr).toBe(`doplab: Port ${port} on 127.0.0.1 is already in use.\n  Choose another with --port, or leave --port out to use a free one.\n`);
      expect(run.stdout).toBe('');
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });

  it('refuses a port that is not a number with exit 2', async () => {
    const run = await doplabAsync(['open', LAB, '--facts', SOLVED, '--no-browser', '--port', 'http']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--port must be a port number from 1 to 65535 (or 0 for a free one); got "http".');
  });

  it('refuses to start without AWS credentials, with exit 3 and no stack trace', async () => {
    const run = await doplabAsync(['open', LAB, '--no-browser'], isolatedEnv({ AWS_REGION: 'eu-west-1' }));
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/^doplab: No AWS credentials found/);
    expect(hasStackTrace(run.stderr)).toBe(false);
    expect(run.stdout).toBe('');
  });

  it('refuses a facts file that does not exist before it listens', async () => {
    const run = await doplabAsync(['open', LAB, '--facts', '/nonexistent/facts.json', '--no-browser']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('/nonexistent/facts.json');
    expect(hasStackTrace(run.stderr)).toBe(false);
    expect(run.stdout).toBe('');
  });
});

describe('doplab open: start-up cost', () => {
  /** Runs the CLI in-process until it listens, stops it as Ctrl-C would, and reports what it loaded. */
  function loadedBy(args: readonly string[]): { code: number; cdk: number; marked: boolean; web: boolean } {
    const script = `
      require('tsx/cjs/api').register();
      const { main } = require('./lib/cli.ts');
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = (chunk, ...rest) => {
        if (String(chunk).startsWith('http://')) setImmediate(() => process.emit('SIGINT'));
        return write(chunk, ...rest);
      };
      main(['node', 'doplab', ...${JSON.stringify(args)}]).then((code) => {
        const keys = Object.keys(require.cache);
        const cdk = keys.filter((k) => /node_modules[\\\\/](aws-cdk-lib|@aws-cdk[\\\\/]toolkit-lib|constructs)[\\\\/]/.test(k)).length;
        const marked = keys.some((k) => /node_modules[\\\\/]marked[\\\\/]/.test(k));
        const web = keys.some((k) => /lib[\\\\/]web[\\\\/]/.test(k));
        process.stderr.write('\\n' + JSON.stringify({ code, cdk, marked, web }));
      });`;
    const run = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, env: isolatedEnv(), encoding: 'utf8', timeout: 60_000 });
    return JSON.parse(run.stderr.trim().split('\n').pop() ?? '{}');
  }

  it('open loads neither aws-cdk-lib nor the CDK toolkit library, and marked only for the first page', () => {
    expect(loadedBy(['open', LAB, '--facts', SOLVED, '--no-browser'])).toEqual({ code: 0, cdk: 0, marked: false, web: true });
  });

  it('list loads neither marked nor the page', () => {
    expect(loadedBy(['list'])).toEqual({ code: 0, cdk: 0, marked: false, web: false });
  });
});
