// `doplab grade` and `doplab grader-role` as users run them, and gradeCommand's exit codes on a simulated class.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gradeCommand, INTERRUPTED } from '../../lib/commands/grade';
import { graderActions } from '../../lib/grade/grader-role';
import type { Io } from '../../lib/io';
import { LABS } from '../../labs';
import { FACTS, SimulatedClass, type SimulatedAccount } from '../support/simulated-class';
import { doplabAsync, hasStackTrace, isolatedEnv } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'doplab-cli-grade-'));

function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}


describe('doplab grade (spawned)', () => {
  let server: Server;
  let requests = 0;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    // An endpoint that counts what reaches it: roster errors must stop doplab before any AWS call.
    server = createServer((_req, res) => {
      requests += 1;
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    env = isolatedEnv({ AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => (requests = 0));

  it('stops on a malformed roster with every problem and its line, exit 2, before any AWS call', async () => {
    const roster = file('bad.csv', 'learner,account_id\nalice,12345\nbob,111122223333\nalice,222233334444\n');
    const run = await doplabAsync(['grade', '--roster', roster, '--role-name', 'DopLabGrader', '--out', join(tmp, 'out-bad')], env);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`Roster ${roster} has 2 problems:`);
    expect(run.stderr).toContain('line 2: account_id "12345" is not a 12-digit AWS account id');
    expect(run.stderr).toContain('line 4: learner "alice" is already on line 2');
    expect(run.stderr).toContain('Nothing was sent to AWS.');
    expect(hasStackTrace(run.stderr)).toBe(false);
    expect(requests).toBe(0);
    expect(existsSync(join(tmp, 'out-bad'))).toBe(false);
  });

  it.each([
    [['--labs', 'cloudwatch-metric-filter'], 'Unknown lab "cloudwatch-metric-filter". Did you mean cloudwatch-metric-filters?'],
    [['--concurrency', '0'], '--concurrency must be a positive whole number up to 1000; got "0".'],
    [['--rate', 'fast'], '--rate must be a positive number up to 1000; got "fast".'],
  ])('refuses bad options %j with exit 2', async (args, message) => {
    const roster = file('ok.csv', 'learner,account_id\nalice,111122223333\n');
    const run = await doplabAsync(['grade', '--roster', roster, '--role-name', 'DopLabGrader', ...args], env);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
    expect(requests).toBe(0);
  });

  it('needs --roster', async () => {
    const run = await doplabAsync(['grade'], env);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("required option '--roster <file>' not specified");
  });

  it("says when the instructor's own credentials do not work, exit 3, instead of failing every learner", async () => {
    const roster = file('ok2.csv', 'learner,account_id\nalice,111122223333\n');
    const run = await doplabAsync(['grade', '--roster', roster, '--role-name', 'DopLabGrader', '--out', join(tmp, 'out-nocreds')], isolatedEnv({ AWS_REGION: 'eu-west-1' }));
    expect(run.status).toBe(3);
    expect(run.stderr).toContain('No AWS credentials found');
    expect(hasStackTrace(run.stderr)).toBe(false);
  });
});

describe('doplab grader-role (spawned)', () => {
  const base = ['grader-role', '--instructor-account', '999988887777', '--external-id', 'dop-class-2026'];

  it('prints the trust and the exact permissions', async () => {
    const run = await doplabAsync(base);
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.roleName).toBe('DopLabGrader');
    expect(out.trustPolicy.Statement[0]).toMatchObject({ Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Condition: { StringEquals: { 'sts:ExternalId': 'dop-class-2026' } } });
    expect(out.permissionsPolicy.Statement[0].Action).toEqual(graderActions(LABS));
  });

  it('prints a plain CloudFormation template for a StackSet, and the CDK deploy command', async () => {
    const template = await doplabAsync(['grader-role', '--format', 'cloudformation']);
    expect(template.status).toBe(0);
    expect(JSON.parse(template.stdout).Resources.GraderRole.Type).toBe('AWS::IAM::Role');
    const cdk = await doplabAsync([...base, '--format', 'cdk', '--labs', 'cloudwatch-metric-filters']);
    expect(cdk.stdout.trim()).toBe(
      'npx cdk deploy DopLab-GraderRole -c doplab:grader:instructorAccount=999988887777 -c doplab:grader:externalId=dop-class-2026 -c doplab:grader:roleName=DopLabGrader -c doplab:grader:labs=cloudwatch-metric-filters',
    );
  });

  it('refuses a bad external id with exit 2', async () => {
    const run = await doplabAsync(['grader-role', '--instructor-account', '999988887777', '--external-id', 'has spaces']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--external-id must be 2 to 1224 characters');
  });
});

describe('gradeCommand', () => {
  function capture(interactive = false): Io & { stdout: string[]; stderr: string[] } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return { out: (t) => stdout.push(t), err: (t) => stderr.push(t), color: false, interactive, stdout, stderr };
  }

  async function gradeWith(accounts: (SimulatedAccount & { learner: string })[], extra: { signal?: AbortSignal } = {}, interactive = false) {
    const roster = file(`roster-${accounts.length}-${Math.random()}.csv`, `learner,account_id\n${accounts.map((a) => `${a.learner},${a.accountId}`).join('\n')}\n`);
    const cls = new SimulatedClass(accounts);
    const io = capture(interactive);
    const out = mkdtempSync(join(tmp, 'out-'));
    const code = await gradeCommand({ roster, roleName: 'DopLabGrader', labs: 'cloudwatch-metric-filters', out, instructor: cls.instructorSession(), newSession: cls.newSession, ...extra }, { region: 'eu-west-1' }, io);
    return { code, io, out };
  }

  it('exits 0 only when every learner passed everything, listing the reports', async () => {
    const { code, io, out } = await gradeWith([{ learner: 'alice', accountId: '111111111111', roleName: 'DopLabGrader', facts: FACTS.solved }]);
    expect(code).toBe(0);
    expect(io.stdout.join('\n')).toContain('1 of 1 learners passed everything');
    for (const f of ['gradebook.csv', 'gradebook.json', 'junit.xml', 'report.html']) expect(existsSync(join(out, f))).toBe(true);
    expect(io.stderr.join('\n')).toContain('[1/1] ✔ alice 100/100');
  });

  it('exits 1 when a learner failed a check or could not be graded, naming the reason per learner', async () => {
    const { code, io } = await gradeWith([
      { learner: 'alice', accountId: '111111111111', roleName: 'DopLabGrader', facts: FACTS.solved },
      { learner: 'carol', accountId: '333333333333' },
    ]);
    expect(code).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/! carol 0\/100 — not graded: Cannot assume arn:aws:iam::333333333333:role\/DopLabGrader/);
  });

  it('on a terminal, shows a progress bar instead of a line per learner, then who could not be graded', async () => {
    const { code, io } = await gradeWith(
      [
        { learner: 'alice', accountId: '111111111111', roleName: 'DopLabGrader', facts: FACTS.solved },
        { learner: 'carol', accountId: '333333333333' },
      ],
      {},
      true,
    );
    expect(code).toBe(1);
    const stderr = io.stderr.join('\n');
    expect(stderr).not.toContain('[1/2]');
    expect(stderr).toMatch(/^ {2}! carol: Cannot assume arn:aws:iam::333333333333:role\/DopLabGrader/m);
  });

  it(`exits ${INTERRUPTED} when interrupted, saying how to resume`, async () => {
    const controller = new AbortController();
    controller.abort();
    const { code, io } = await gradeWith([{ learner: 'alice', accountId: '111111111111', roleName: 'DopLabGrader', facts: FACTS.solved }], { signal: controller.signal });
    expect(code).toBe(INTERRUPTED);
    expect(io.stderr.join('\n')).toContain('run the same command again to resume');
  });
});
