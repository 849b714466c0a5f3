import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAB, ROOT, SOLVED, STARTING, doplab, hasStackTrace, isolatedEnv } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'doplab-cli-'));

describe('doplab list', () => {
  it('prints the catalogue with exam task statements and cost', () => {
    const run = doplab(['list']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(LAB);
    expect(run.stdout).toMatch(/4\.1 4\.2/);
    expect(run.stdout).toMatch(/\$0\.\d{4}/);
  });

  it('prints JSON with --json', () => {
    const run = doplab(['list', '--json']);
    expect(run.status).toBe(0);
    const labs = JSON.parse(run.stdout);
    expect(labs).toEqual(expect.arrayContaining([expect.objectContaining({ id: LAB, taskStatements: ['4.1', '4.2'] })]));
    expect(typeof labs[0].costPerHour).toBe('number');
  });

  it('prints no colour when stdout is not a terminal', () => {
    expect(doplab(['list']).stdout).not.toMatch(/\x1b\[/);
  });
});

describe('doplab show', () => {
  it('prints the instructions of a lab as plain text when piped: no Markdown syntax, no colour, 80 columns', () => {
    const run = doplab(['show', LAB]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Tasks\n-----');
    expect(run.stdout).toContain('DopLab/OrdersApi');
    expect(run.stdout).not.toMatch(/\x1b\[|\*\*|^## /m);
    expect(run.stdout).toMatch(/^┌─+┬─+┐$/m);
    expect(Math.max(...run.stdout.split('\n').filter((l) => !l.startsWith('    ')).map((l) => Array.from(l).length))).toBeLessThanOrEqual(80);
  });

  it('exits 2 and suggests the nearest id for an unknown lab', () => {
    const run = doplab(['show', 'cloudwatch-metric-filter']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('Unknown lab "cloudwatch-metric-filter". Did you mean cloudwatch-metric-filters?');
    expect(hasStackTrace(run.stderr)).toBe(false);
  });
});

describe('doplab check --facts (offline)', () => {
  it('fails the starting state with hints and exits 1', () => {
    const run = doplab(['check', LAB, '--facts', STARTING]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('✘');
    expect(run.stdout).toContain('hint:');
    expect(run.stdout).toMatch(/Score 0\/\d+/);
  });

  it('passes the solved state and exits 0', () => {
    const run = doplab(['check', LAB, '--facts', SOLVED]);
    expect(run.status).toBe(0);
    const [, score, max] = /Score (\d+)\/(\d+)/.exec(run.stdout) ?? [];
    expect(score).toBe(max);
    expect(run.stdout).not.toContain('✘');
  });

  it('prints the result as JSON with --json', () => {
    const run = doplab(['check', LAB, '--facts', SOLVED, '--json']);
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ lab: LAB, source: 'facts-file' });
    expect(result.score).toBe(result.maxScore);
    expect(result.checks.length).toBeGreaterThan(3);
  });

  it('writes a JUnit report with --junit', () => {
    const file = join(tmp, 'starting.xml');
    const run = doplab(['check', LAB, '--facts', STARTING, '--junit', file]);
    expect(run.status).toBe(1);
    const xml = readFileSync(file, 'utf8');
    expect(xml).toContain('<testsuites');
    expect(xml).toMatch(/<testcase [^>]*name="filter-counts-errors/);
    expect(xml).toContain('<failure');
  });

  it('exits 2 naming the file when the facts file is not JSON', () => {
    const file = join(tmp, 'broken.json');
    writeFileSync(file, '{ not json');
    const run = doplab(['check', LAB, '--facts', file]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`Facts file ${file} is not valid JSON`);
    expect(hasStackTrace(run.stderr)).toBe(false);
  });

  it('exits 2 when the facts are malformed for the lab', () => {
    const file = join(tmp, 'malformed.json');
    const solved = JSON.parse(readFileSync(SOLVED, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...solved, facts: { nonsense: true } }));
    const run = doplab(['check', LAB, '--facts', file]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`Facts file ${file} has malformed facts for ${LAB}`);
  });

  it('exits 2 when the facts file does not exist', () => {
    const run = doplab(['check', LAB, '--facts', join(tmp, 'missing.json')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('Cannot read facts file');
  });

  it('refuses --wait with --facts', () => {
    const run = doplab(['check', LAB, '--facts', SOLVED, '--wait', '5m']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--wait needs live AWS');
  });
});

describe('usage errors', () => {
  it('exits 2 on a bad duration', () => {
    const run = doplab(['check', LAB, '--wait', 'soon']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--wait takes a duration like 90s, 10m or 1h; got "soon".');
  });

  it('exits 2 on an unknown option', () => {
    const run = doplab(['check', LAB, '--bogus']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("unknown option '--bogus'");
  });

  it('exits 2 on an unknown command and suggests one', () => {
    const run = doplab(['chek', LAB]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/unknown command 'chek'[\s\S]*check/);
  });

  it('exits 2 on a missing lab argument', () => {
    const run = doplab(['check']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("missing required argument 'lab'");
  });

  it('exits 2 on an --endpoint-url that is not an http(s) URL', () => {
    const run = doplab(['check', LAB, '--endpoint-url', 'not a url'], isolatedEnv({ AWS_REGION: 'eu-west-1' }));
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--endpoint-url (or AWS_ENDPOINT_URL) must be an http(s) URL such as http://localhost:4566; got "not a url".');
  });

  it('exits 2 on an AWS_ENDPOINT_URL that is not an http(s) URL', () => {
    const run = doplab(['check', LAB], isolatedEnv({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'ftp://example' }));
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('got "ftp://example"');
  });

  it('exits 0 with --help', () => {
    const run = doplab(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('check');
  });
});

describe('environment errors (exit 3, no stack trace)', () => {
  it('says so when there are no credentials', () => {
    // An endpoint nobody listens on: even a credential leak could not reach AWS.
    const run = doplab(['check', LAB], isolatedEnv({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }));
    expect(run.status).toBe(3);
    expect(run.stderr).toContain('No AWS credentials found');
    expect(run.stderr).toContain('--profile');
    expect(hasStackTrace(run.stderr)).toBe(false);
    // The SDK's Node 20 deprecation notice would bury the message on every run.
    expect(run.stderr).not.toContain('NodeVersionSupportWarning');
  });

  it('says so when deploy finds no credentials, in preflight before synthesizing anything', () => {
    const run = doplab(['deploy', LAB], isolatedEnv({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }));
    expect(run.status).toBe(3);
    expect(run.stderr).toContain('No AWS credentials found (needed for sts:GetCallerIdentity in eu-west-1).');
    expect(hasStackTrace(run.stderr)).toBe(false);
  });

  it('says so when no region is set', () => {
    const run = doplab(['check', LAB], isolatedEnv({ AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }));
    expect(run.status).toBe(3);
    expect(run.stderr).toContain('No AWS region is set.');
  });

  it('shows the stack trace only with --verbose', () => {
    const run = doplab(['check', LAB, '--verbose'], isolatedEnv({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }));
    expect(run.status).toBe(3);
    expect(hasStackTrace(run.stderr)).toBe(true);
  });
});

describe('start-up cost', () => {
  it('does not load aws-cdk-lib or the CDK toolkit library for check --facts', () => {
    const script = `
      require('tsx/cjs/api').register();
      const { main } = require('./lib/cli.ts');
      main(['node', 'doplab', 'check', '${LAB}', '--facts', ${JSON.stringify(SOLVED)}, '--json']).then((code) => {
        const loaded = Object.keys(require.cache).filter((k) => /node_modules[\\\\/](aws-cdk-lib|@aws-cdk[\\\\/]toolkit-lib|constructs)[\\\\/]/.test(k));
        process.stderr.write(JSON.stringify({ code, loaded: loaded.length }));
      });`;
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const run = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, env: isolatedEnv(), encoding: 'utf8' });
    const report = JSON.parse(run.stderr.trim().split('\n').pop() ?? '{}');
    expect(report).toEqual({ code: 0, loaded: 0 });
  });
});

/** Runs the CLI in-process and reports which AWS SDK client packages it loaded. */
function sdkClientsLoadedBy(args: readonly string[]): { code: number; clients: string[] } {
  const script = `
    require('tsx/cjs/api').register();
    const { main } = require('./lib/cli.ts');
    main(['node', 'doplab', ...${JSON.stringify(args)}]).then((code) => {
      const clients = new Set();
      for (const k of Object.keys(require.cache)) {
        const m = /node_modules[\\/]@aws-sdk[\\/](client-[a-z0-9-]+)[\\/]/.exec(k);
        if (m) clients.add(m[1]);
      }
      process.stderr.write(JSON.stringify({ code, clients: [...clients].sort() }));
    });`;
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const run = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, env: isolatedEnv(), encoding: 'utf8' });
  return JSON.parse(run.stderr.trim().split('\n').pop() ?? '{}');
}

/** Runs the CLI in-process and reports whether it loaded the Markdown renderer (marked, marked-terminal). */
function markdownLoadedBy(args: readonly string[]): { code: number; loaded: string[] } {
  const script = `
    require('tsx/cjs/api').register();
    const { main } = require('./lib/cli.ts');
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = () => true;
    main(['node', 'doplab', ...${JSON.stringify(args)}]).then((code) => {
      process.stdout.write = write;
      const loaded = new Set();
      for (const k of Object.keys(require.cache)) {
        const m = /node_modules[\\/](marked|marked-terminal)[\\/]/.exec(k);
        if (m) loaded.add(m[1]);
      }
      process.stderr.write(JSON.stringify({ code, loaded: [...loaded].sort() }));
    });`;
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const run = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, env: isolatedEnv(), encoding: 'utf8' });
  return JSON.parse(run.stderr.trim().split('\n').pop() ?? '{}');
}

describe('start-up cost as labs are added', () => {
  it('loads the Markdown renderer for show only', () => {
    expect(markdownLoadedBy(['list'])).toEqual({ code: 0, loaded: [] });
    expect(markdownLoadedBy(['--help'])).toEqual({ code: 0, loaded: [] });
    expect(markdownLoadedBy(['check', LAB, '--facts', SOLVED, '--json'])).toEqual({ code: 0, loaded: [] });
    expect(markdownLoadedBy(['show', LAB])).toEqual({ code: 0, loaded: ['marked', 'marked-terminal'] });
  });

  it('loads no AWS SDK client for list and show', () => {
    expect(sdkClientsLoadedBy(['list', '--json'])).toEqual({ code: 0, clients: [] });
    expect(sdkClientsLoadedBy(['show', LAB])).toEqual({ code: 0, clients: [] });
  });

  it("loads only the checked lab's SDK clients for check --facts (from the sources; the build loads none: test/cli/build.test.ts)", () => {
    expect(sdkClientsLoadedBy(['check', LAB, '--facts', SOLVED, '--json'])).toEqual({
      code: 0,
      clients: ['client-cloudwatch', 'client-cloudwatch-logs'],
    });
  });
});

describe('doplab synth', () => {
  it("prints only the template on stdout, even with --verbose (the toolkit's messages go to stderr)", () => {
    const run = doplab(['synth', LAB, '--verbose']);
    expect(run.status).toBe(0);
    const template = JSON.parse(run.stdout);
    expect(Object.values(template.Resources).map((r) => (r as { Type: string }).Type)).toEqual(
      expect.arrayContaining(['AWS::Logs::LogGroup', 'AWS::SNS::Topic', 'AWS::Lambda::Function', 'Custom::DopLabCleanup']),
    );
    expect(template.Outputs).toHaveProperty('AppLogGroupName');
    expect(run.stderr).toContain('Synthesis time');
  });

  it('leaves no synthesized cloud assembly behind in the temporary directory', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'doplab-synth-tmp-'));
    const run = doplab(['synth', LAB], { ...isolatedEnv(), TMPDIR: tmp });
    expect(run.status).toBe(0);
    expect(readdirSync(tmp).filter((name) => name.startsWith('cdk.out'))).toEqual([]);
    // Without --verbose, none of the toolkit's own messages.
    expect(run.stderr).not.toMatch(/Synthesis time|Starting Synthesis/);
  });
});
