// The compiled build (bin/build.js → dist/) against the TypeScript sources: same output for `list` and
// `check --facts` on every lab's examples, and the launcher (bin/doplab.js) picks the build only while it
// is current. The build goes to a throwaway folder inside the repository (node_modules resolve from it).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LABS } from '../../labs';
import { lexMarkdown, prelexed } from '../../lib/report/markdown';
import { FakeAws, fakeStateFromFacts } from '../support/fake-aws';
import { LAB, ROOT, SOLVED, isolatedEnv } from './helpers';

/** Fake static credentials: the SDK signs with them, the fake endpoint ignores the signature. */
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', AWS_REGION: 'eu-west-1' };

/** `npm run build` into `outdir` (a child process: esbuild's service must not outlive the test). */
function build(outdir: string): string {
  const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'build.js'), outdir], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`bin/build.js exited ${run.status}: ${run.stderr}`);
  return run.stdout;
}

const ARTIFACTS = join(ROOT, 'test-artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

/** Every command compared: the catalogue, then each lab's example facts, as a user passes them (paths of the sources' examples). */
const COMMANDS: string[][] = [
  ['list'],
  ['list', '--json'],
  // The build bundles marked-terminal without its highlighter, emoji table and table library (bin/build.js).
  ...LABS.map((lab) => ['show', lab.id]),
  ...LABS.flatMap((lab) =>
    Object.values(lab.examples).flatMap((file) => [
      ['check', lab.id, '--facts', file, '--no-color'],
      ['check', lab.id, '--facts', file, '--json'],
    ]),
  ),
];

interface Outcome {
  readonly argv: string[];
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs every command in one process through `cliModule`'s main (the CLI entry both bin files call),
 * capturing what it writes; `setup` runs first (the sources register tsx). Timestamps in --json results
 * are the only expected difference and are blanked.
 */
async function runAll(cliModule: string, setup: string, commands: readonly string[][], env: NodeJS.ProcessEnv = isolatedEnv()): Promise<Outcome[]> {
  // As bin/doplab.ts does before it calls main.
  const driver = `
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    ${setup}
    const { main } = require(${JSON.stringify(cliModule)});
    (async () => {
      const outcomes = [];
      for (const argv of JSON.parse(process.argv[1])) {
        let stdout = '', stderr = '';
        const out = process.stdout.write, err = process.stderr.write;
        process.stdout.write = (chunk) => ((stdout += chunk), true);
        process.stderr.write = (chunk) => ((stderr += chunk), true);
        let code;
        try { code = await main(['node', 'doplab', ...argv]); } finally { process.stdout.write = out; process.stderr.write = err; }
        outcomes.push({ argv, code, stdout: stdout.replace(/"(startedAt|durationMs)": [^,\\n]+/g, '"$1": "…"'), stderr });
      }
      require('node:fs').writeFileSync(process.argv[2], JSON.stringify(outcomes));
    })();`;
  const dir = mkdtempSync(join(ARTIFACTS, 'outcomes-'));
  const file = join(dir, 'outcomes.json');
  try {
    // Not spawnSync: a fake AWS endpoint in this process must stay able to answer.
    const child = spawn(process.execPath, ['-e', driver, JSON.stringify(commands), file], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const status = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve));
    if (status !== 0) throw new Error(`driver for ${cliModule} exited ${status}: ${stderr}`);
    return JSON.parse(readFileSync(file, 'utf8')) as Outcome[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the compiled build', () => {
  const out = mkdtempSync(join(ARTIFACTS, 'dist-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  // One process per side runs every command: the offline ones, then a live check against a local AWS endpoint.
  let fromBuild: Outcome[] = [];
  let fromSrc: Outcome[] = [];
  let operations: string[] = [];

  beforeAll(async () => {
    expect(build(out)).toMatch(/built \d+ modules and \d+ files/);
    const fake = await FakeAws.start(fakeStateFromFacts(SOLVED).state);
    try {
      const commands = [...COMMANDS, ['check', LAB, '--endpoint-url', fake.url, '--json']];
      const env = isolatedEnv(CREDENTIALS);
      [fromBuild, fromSrc] = await Promise.all([
        runAll(join(out, 'lib', 'cli.js'), '', commands, env),
        runAll(join(ROOT, 'lib', 'cli.ts'), "require('tsx/cjs/api').register();", commands, env),
      ]);
      operations = fake.operations();
    } finally {
      await fake.stop();
    }
  });

  it('gives the same output as the sources for list, show and check --facts on every example of every lab', () => {
    const offline = COMMANDS.length;
    expect(fromBuild.slice(0, offline)).toEqual(fromSrc.slice(0, offline));
    // Not two identical failures: the catalogue names every lab, solved examples pass and starting ones fail.
    const [list] = fromBuild;
    expect(list.code).toBe(0);
    for (const lab of LABS) expect(list.stdout).toContain(lab.id);
    const shows = fromBuild.filter((o) => o.argv[0] === 'show');
    expect(shows).toHaveLength(LABS.length);
    for (const show of shows) expect(show).toMatchObject({ code: 0, stderr: '', stdout: expect.stringContaining('┌') });
    for (const outcome of fromBuild.slice(2, offline).filter((o) => o.argv[0] === 'check')) {
      expect(outcome.stderr).toBe('');
      expect(outcome.code).toBe(outcome.argv[3].endsWith('solved.json') ? 0 : 1);
    }
  });

  it('checks live against a local AWS endpoint like the sources do (the SDK clients it loads on first use included)', () => {
    const live = fromBuild[COMMANDS.length];
    expect(live).toEqual(fromSrc[COMMANDS.length]);
    expect(live).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(live.stdout)).toMatchObject({ lab: LAB, account: '111122223333', source: 'aws' });
    expect(operations.filter((op) => op === 'DescribeStacks')).toHaveLength(2);
  });

  it('loads no AWS SDK client for check --facts (they load on first use, in a live check)', () => {
    const script = `
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
      require(${JSON.stringify(join(out, 'lib', 'cli.js'))}).main(['node', 'doplab', 'check', '${LAB}', '--facts', ${JSON.stringify(SOLVED)}, '--json']).then((code) => {
        const clients = Object.keys(require.cache).filter((k) => /node_modules[\\/]@aws-sdk[\\/]client-/.test(k));
        process.stderr.write(JSON.stringify({ code, clients }));
      });`;
    const run = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, env: isolatedEnv(), encoding: 'utf8' });
    expect(JSON.parse(run.stderr.trim().split('\n').pop() ?? '{}')).toEqual({ code: 0, clients: [] });
  });

  it('bundles into the catalogue only the labs\' data (lab.ts, contract.ts): every other module stays one instance, required from its own file', () => {
    const catalogue = readFileSync(join(out, 'labs', 'index.js'), 'utf8');
    const inlined = [...catalogue.matchAll(/^\/\/ (\S+\.ts)$/gm)].map((m) => m[1]);
    expect(inlined.filter((f) => f !== 'labs/index.ts' && !/^labs\/[\w-]+\/(lab|contract)\.ts$/.test(f))).toEqual([]);
    expect(inlined).toEqual(expect.arrayContaining(LABS.map((lab) => `labs/${lab.id}/lab.ts`)));
    // What the data files import from lib/ (defineLab, helpers of the contracts) is required from its own compiled file.
    const required = [...new Set([...catalogue.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))];
    expect(required).toContain('../lib/lab');
    for (const path of required) {
      expect(path).toMatch(/^\.\.\/lib\//);
      expect(existsSync(join(out, 'labs', `${path}.js`))).toBe(true);
    }
  });

  it('serves the doplab open page from the build: the README through marked, the checklist, the token', async () => {
    const driver = `require(${JSON.stringify(join(out, 'lib', 'cli.js'))}).main(['node', 'doplab', 'open', '${LAB}', '--facts', ${JSON.stringify(SOLVED)}, '--no-browser']).then((code) => process.stderr.write('exit ' + code));`;
    const child = spawn(process.execPath, ['-e', driver], { cwd: ROOT, env: isolatedEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let stdout = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          stdout += chunk;
          if (stdout.includes('\n')) resolve(stdout.trim());
        });
        void closed.then(() => reject(new Error(`doplab open from the build exited: ${stderr}`)));
      });
      const html = await (await fetch(url)).text();
      expect(html).toContain(`<h1>${/^# (.+)$/m.exec(readFileSync(LABS.find((l) => l.id === LAB)!.instructions, 'utf8'))![1]}</h1>`);
      expect(html).toContain('<button type="button" id="check">Check</button>');
      expect(html).toContain('data-status="PASS"');
      expect((await fetch(url.replace(/\?token=.*/, ''))).status).toBe(403);
    } finally {
      child.kill('SIGINT');
      await closed;
    }
    expect(stderr).toContain('exit 0');
  });

  it("ships every file the code reads beside itself: lab instructions, example facts, baseline templates, handler files", () => {
    const assets = ['lib', 'labs', 'checkers'].flatMap((dir) => (readdirSync(join(ROOT, dir), { recursive: true }) as string[]).map((f) => join(dir, f)));
    const expected = assets.filter((f) => !f.endsWith('.ts') && statSync(join(ROOT, f)).isFile());
    for (const lab of LABS) expect(expected).toEqual(expect.arrayContaining([lab.instructions, lab.examples.starting, lab.examples.solved].map((f) => relative(ROOT, f))));
    expect(expected.filter((f) => !existsSync(join(out, f)))).toEqual([]);
  });

  it("writes each lab README's tokens beside it, lexed from its text, so that show skips marked's lexer", () => {
    for (const lab of LABS) {
      const readme = join(out, relative(ROOT, lab.instructions));
      const markdown = readFileSync(lab.instructions, 'utf8');
      expect(prelexed(readme, markdown)).toEqual(JSON.parse(JSON.stringify(lexMarkdown(markdown))));
    }
  });

  it('leaves out what only the policy proofs load (lib/policy, labs/*/calls.ts: their engines are devDependencies)', () => {
    expect(existsSync(join(ROOT, 'lib', 'policy', 'calls.ts'))).toBe(true);
    expect(existsSync(join(out, 'lib', 'policy'))).toBe(false);
    expect(LABS.filter((lab) => existsSync(join(out, 'labs', lab.id, 'calls.js'))).map((lab) => lab.id)).toEqual([]);
    expect(LABS.filter((lab) => !existsSync(join(out, 'labs', lab.id, 'lab.js'))).map((lab) => lab.id)).toEqual([]);
  });

  it('bundles of zod only what the sources use, and runs it jitless', () => {
    const zod = readFileSync(join(out, 'vendor', 'zod.js'), 'utf8');
    expect(zod).toMatch(/config\(\{ jitless: true \}\)/);
    expect(zod).not.toMatch(/function toJSONSchema\b/);
    const { z } = require(join(out, 'vendor', 'zod.js')) as { z: Record<string, unknown> };
    expect(Object.keys(z)).toEqual(expect.arrayContaining(['string', 'looseObject', 'array', 'number', 'object', 'iso', 'enum', 'discriminatedUnion']));
  });
});

describe('bin/doplab.js, the launcher', () => {
  // A miniature checkout: the launcher, a "build" and "sources" that only say which one ran.
  const tree = mkdtempSync(join(ARTIFACTS, 'launcher-'));
  const past = new Date('2026-01-01T00:00:00Z');
  const builtAt = new Date('2026-01-02T00:00:00Z');
  const later = new Date('2026-01-03T00:00:00Z');
  afterAll(() => rmSync(tree, { recursive: true, force: true }));

  function file(path: string, text: string, time = past): void {
    mkdirSync(join(tree, path, '..'), { recursive: true });
    writeFileSync(join(tree, path), text);
    utimesSync(join(tree, path), time, time);
  }

  beforeEach(() => {
    rmSync(tree, { recursive: true, force: true });
    mkdirSync(join(tree, 'bin'), { recursive: true });
    copyFileSync(join(ROOT, 'bin', 'doplab.js'), join(tree, 'bin', 'doplab.js'));
    copyFileSync(join(ROOT, 'bin', 'compile-cache.js'), join(tree, 'bin', 'compile-cache.js'));
    file('bin/doplab.ts', "process.stdout.write('sources');");
    file('lib/cli.ts', 'export {};');
    file('labs/some-lab/README.md', '# a lab');
    file('checkers/some-lab.ts', 'export {};');
    file('dist/bin/doplab.js', "process.stdout.write('build');");
    for (const dir of ['lib', 'labs/some-lab', 'labs', 'checkers']) utimesSync(join(tree, dir), past, past);
    file('dist/.built', '{}', builtAt);
  });

  function launch(env: Record<string, string> = {}): string {
    const { DOPLAB_FROM_SOURCES: _, ...rest } = isolatedEnv(env);
    // The compile cache (bin/compile-cache.js) inside the miniature checkout, removed with it.
    const cache = { NODE_COMPILE_CACHE: join(tree, 'compile-cache') };
    const run = spawnSync(process.execPath, [join(tree, 'bin', 'doplab.js')], { env: { ...rest, ...cache, ...env }, encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toBe('');
    return run.stdout;
  }

  it('runs the build while no source is newer than it', () => {
    expect(launch()).toBe('build');
  });

  it('runs the sources through tsx when a source file, a lab asset or a folder (a deleted file) changed after the build', () => {
    utimesSync(join(tree, 'lib', 'cli.ts'), later, later);
    expect(launch()).toBe('sources');
    utimesSync(join(tree, 'lib', 'cli.ts'), past, past);
    utimesSync(join(tree, 'labs', 'some-lab', 'README.md'), later, later);
    expect(launch()).toBe('sources');
    utimesSync(join(tree, 'labs', 'some-lab', 'README.md'), past, past);
    unlinkSync(join(tree, 'checkers', 'some-lab.ts'));
    expect(launch()).toBe('sources');
  });

  it("keeps the build's compiled code between runs, and compiles a changed module afresh", () => {
    const cache = join(tree, 'compile-cache');
    // Two modules, so that the second is compiled through the cache hook (the entry is compiled before it is installed on Node 20).
    file('dist/bin/doplab.js', "process.stdout.write(require('./said'));");
    file('dist/bin/said.js', "module.exports = 'build';");
    expect(launch({ NODE_COMPILE_CACHE: cache })).toBe('build');
    const entries = readdirSync(cache);
    expect(entries.length).toBeGreaterThan(0);
    expect(launch({ NODE_COMPILE_CACHE: cache })).toBe('build');
    expect(readdirSync(cache)).toEqual(entries);
    // Same length (all V8 itself compares), new content: not the cached code.
    file('dist/bin/said.js', "module.exports = 'BUILD';", builtAt);
    expect(launch({ NODE_COMPILE_CACHE: cache })).toBe('BUILD');
    expect(launch({ NODE_COMPILE_CACHE: cache, NODE_DISABLE_COMPILE_CACHE: '1' })).toBe('BUILD');
  });

  it('never uses a cache folder that others can write (a shared temporary directory), nor a link in its place', () => {
    file('dist/bin/doplab.js', "process.stdout.write(require('./said'));");
    file('dist/bin/said.js', "module.exports = 'build';");
    const open = join(tree, 'open-cache');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(launch({ NODE_COMPILE_CACHE: open })).toBe('build');
    expect(readdirSync(open)).toEqual([]);
    const real = join(tree, 'real-cache');
    mkdirSync(real, { mode: 0o700 });
    const link = join(tree, 'linked-cache');
    symlinkSync(real, link);
    expect(launch({ NODE_COMPILE_CACHE: link })).toBe('build');
    expect(readdirSync(real)).toEqual([]);
    // The same folder made private is used.
    chmodSync(open, 0o700);
    expect(launch({ NODE_COMPILE_CACHE: open })).toBe('build');
    expect(readdirSync(open).length).toBeGreaterThan(0);
  });

  it('runs the sources when there is no build, or when DOPLAB_FROM_SOURCES=1', () => {
    expect(launch({ DOPLAB_FROM_SOURCES: '1' })).toBe('sources');
    rmSync(join(tree, 'dist'), { recursive: true });
    expect(launch()).toBe('sources');
  });
});
