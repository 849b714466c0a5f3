// The server of `doplab open`: loopback only, the run's token on every request, and the JSON API answered
// by the same gather and checks as `doplab check`, with AWS answered by aws-sdk-client-mock below the
// clients' own middleware (test/support/mocked-session).
import * as cfnSdk from '@aws-sdk/client-cloudformation';
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import * as cwSdk from '@aws-sdk/client-cloudwatch';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import * as logsSdk from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, DescribeMetricFiltersCommand, TestMetricFilterCommand, type LogGroup } from '@aws-sdk/client-cloudwatch-logs';
import * as stsSdk from '@aws-sdk/client-sts';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { EXPIRES_AT_OUTPUT } from '../../../lib/cdk/base-names';
import { openLab, parsePort, shownCommands } from '../../../lib/commands/open';
import { DoplabError } from '../../../lib/errors';
import type { FactsFile } from '../../../lib/facts-file';
import type { Io } from '../../../lib/io';
import { findLab } from '../../../lib/registry';
import { browserCommand, redirectFile } from '../../../lib/web/browser';
import type { CheckAnswer } from '../../../lib/web/lab-page';
import type { DeploymentView } from '../../../lib/web/page';
import { LOOPBACK, startPageServer, type PageServer } from '../../../lib/web/server';
import { MockedSession, awsError } from '../../support/mocked-session';

const LAB = findLab('cloudwatch-metric-filters');
const STARTING = JSON.parse(readFileSync(LAB.examples.starting, 'utf8')) as FactsFile<{ logGroup: { ok: true; value: LogGroup } }>;
const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const CREATED = new Date('2026-11-23T10:30:00.000Z');
const EXPIRES = '2026-11-23T14:30:00.000Z';

const STACK: Stack = {
  StackName: STARTING.stack.name,
  StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STARTING.stack.name}/5f3c8a20-c98e-11f0-9a1b-0a1b2c3d4e5f`,
  StackStatus: 'CREATE_COMPLETE',
  CreationTime: CREATED,
  Outputs: Object.entries({ ...STARTING.stack.outputs, [EXPIRES_AT_OUTPUT]: EXPIRES }).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
};

/** A plain HTTP request, so the Host and Origin headers are exactly those given. */
function send(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const at = (server: PageServer, path: string, token: string | null = server.token) => `http://${LOOPBACK}:${server.port}${path}${token === null ? '' : `?token=${token}`}`;

describe('the page server', () => {
  let server: PageServer;

  beforeEach(async () => {
    server = await startPageServer({
      routes: {
        'GET /': (nonce) => ({ html: `<p>page ${nonce}</p>` }),
        'GET /api/status': () => ({ json: { ok: true } }),
        'POST /api/check': () => ({ json: { checked: true } }),
        'GET /api/broken': () => {
          throw new Error('a bug');
        },
      },
    });
  });

  afterEach(() => server.close());

  it('listens on 127.0.0.1 only, on a free port, with a fresh 256-bit token per run', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
    const other = await startPageServer({ routes: {} });
    try {
      expect(other.token).not.toBe(server.token);
      expect(other.port).not.toBe(server.port);
    } finally {
      await other.close();
    }
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && !i.internal && i.family === 'IPv4');
  (external ? it : it.skip)(`cannot be reached on this machine's other address${external ? ` (${external.address})` : ' (none here)'}`, async () => {
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ host: external!.address, port: server.port });
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it.each([
    ['the page', 'GET', '/'],
    ['the status API', 'GET', '/api/status'],
    ['the check API', 'POST', '/api/check'],
    ['any other path', 'GET', '/favicon.ico'],
  ])('refuses %s without the token, or with a wrong one, with 403', async (_what, method, path) => {
    for (const token of [null, '', 'wrong', server.token.slice(1), server.token.toUpperCase()]) {
      const res = await send(at(server, path, token), { method });
      expect(res.status).toBe(403);
      expect(res.body).toContain('needs the token of this run');
      expect(res.body).not.toContain(server.token);
    }
  });

  it('answers with the token: the page with a CSP nonce and nothing from elsewhere, the JSON API, 404 and 405', async () => {
    const page = await send(at(server, '/'));
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const nonce = /page (\S+)</.exec(page.body)![1];
    expect(page.headers['content-security-policy']).toBe(
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
    const status = await send(at(server, '/api/status'));
    expect([status.status, status.headers['content-type'], JSON.parse(status.body)]).toEqual([200, 'application/json; charset=utf-8', { ok: true }]);
    expect(JSON.parse((await send(at(server, '/api/check'), { method: 'POST' })).body)).toEqual({ checked: true });
    expect((await send(at(server, '/api/check'))).status).toBe(405);
    expect((await send(at(server, '/nothing'))).status).toBe(404);
  });

  it('answers a route that throws with 500 and the message, and keeps serving', async () => {
    const res = await send(at(server, '/api/broken'));
    expect([res.status, JSON.parse(res.body)]).toEqual([500, { error: { code: 'INTERNAL', message: 'a bug' } }]);
    expect((await send(at(server, '/api/status'))).status).toBe(200);
  });

  it('refuses a Host other than the loopback address (DNS rebinding) and a POST from another origin', async () => {
    expect((await send(at(server, '/'), { headers: { host: `attacker.example:${server.port}` } })).status).toBe(403);
    expect((await send(at(server, '/api/check'), { method: 'POST', headers: { origin: 'http://attacker.example' } })).status).toBe(403);
    expect((await send(at(server, '/api/check'), { method: 'POST', headers: { origin: `http://127.0.0.1:${server.port}` } })).status).toBe(200);
    expect((await send(at(server, '/'), { headers: { host: `localhost:${server.port}` } })).status).toBe(200);
  });

  it('says a port in use is in use, as a usage error', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, LOOPBACK, resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      const failure = await startPageServer({ port, routes: {} }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(DoplabError);
      expect(failure).toMatchObject({ code: 'BAD_OPTION', source: 'usage', message: `Port ${port} on 127.0.0.1 is already in use.` });
      expect((failure as DoplabError).hint).toBe('Choose another with --port, or leave --port out to use a free one.');
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });
});

describe('parsePort', () => {
  it('takes 0 to 65535 and refuses anything else with a usage error', () => {
    expect([parsePort(undefined), parsePort('0'), parsePort('8080'), parsePort('65535')]).toEqual([0, 0, 8080, 65535]);
    for (const bad of ['65536', '-1', '80a', '', '1e3', '123456']) {
      expect(() => parsePort(bad)).toThrow(expect.objectContaining({ code: 'BAD_OPTION', source: 'usage', message: `--port must be a port number from 1 to 65535 (or 0 for a free one); got "${bad}".` }));
    }
  });
});

describe('shownCommands', () => {
  it("shows the commands with the session's profile, region and endpoint, quoted for a shell", () => {
    const commands = shownCommands(LAB, { profile: "ann's sandbox", endpointUrl: 'http://localhost:4566' }, 'eu-west-1');
    expect(commands.map((c) => c.command)).toEqual([
      `doplab deploy ${LAB.id} --profile 'ann'\\''s sandbox' --region eu-west-1 --endpoint-url http://localhost:4566`,
      `doplab check ${LAB.id} --wait 10m --profile 'ann'\\''s sandbox' --region eu-west-1 --endpoint-url http://localhost:4566`,
      `doplab destroy ${LAB.id} --profile 'ann'\\''s sandbox' --region eu-west-1 --endpoint-url http://localhost:4566`,
      `doplab status --profile 'ann'\\''s sandbox' --region eu-west-1 --endpoint-url http://localhost:4566`,
    ]);
    expect(shownCommands(LAB, {}, undefined, 'my facts.json').map((c) => c.command)).toEqual([`doplab check ${LAB.id} --facts 'my facts.json'`, `doplab deploy ${LAB.id}`]);
  });
});

describe('opening the browser', () => {
  it('uses the desktop opener of each platform, and none on Linux without a display', () => {
    expect(browserCommand('darwin', {})).toEqual({ command: 'open', args: [] });
    expect(browserCommand('win32', {})).toEqual({ command: 'cmd', args: ['/c', 'start', '""'] });
    expect(browserCommand('linux', { DISPLAY: ':0' })).toEqual({ command: 'xdg-open', args: [] });
    expect(browserCommand('linux', { WAYLAND_DISPLAY: 'wayland-0' })).toEqual({ command: 'xdg-open', args: [] });
    expect(browserCommand('linux', {})).toBeUndefined();
  });

  it('hands the browser a file only this user can read that redirects to the address, so the token is on no command line', () => {
    const url = 'http://127.0.0.1:4242/?token=abc&x="y"';
    const file = redirectFile(url);
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    expect(readFileSync(file.path, 'utf8')).toContain('<meta http-equiv="refresh" content="0;url=http://127.0.0.1:4242/?token=abc&amp;x=&quot;y&quot;">');
    file.remove();
    expect(existsSync(file.path)).toBe(false);
  });

  it('opens the redirect file, says so when there is no browser, and removes the file when it stops', async () => {
    const opened: string[] = [];
    const printed: string[] = [];
    const io: Io = { out: (t) => printed.push(t), err: (t) => printed.push(t), color: false, interactive: false };
    let stop: () => void = () => undefined;
    let url = '';
    const exited = openLab(LAB, {}, io, { facts: LAB.examples.solved }, {
      stop: new Promise<void>((r) => (stop = r)),
      onListening: (u) => (url = u),
      openBrowser: async (path) => {
        opened.push(path);
        expect(readFileSync(path, 'utf8')).toContain(`url=${url.replace('&', '&amp;')}`);
        setImmediate(stop);
        return false;
      },
    });
    await expect(exited).resolves.toBe(0);
    expect(opened).toHaveLength(1);
    expect(printed).toContain('No browser to open here: open the address above in yours.');
    expect(existsSync(opened[0])).toBe(false);
  });
});

describe('doplab open: the JSON API against aws-sdk-client-mock', () => {
  let sts: AwsClientStub<STSClient>;
  let cloudformation: AwsClientStub<CloudFormationClient>;
  let logs: AwsClientStub<CloudWatchLogsClient>;
  let cloudwatch: AwsClientStub<CloudWatchClient>;
  let url = '';
  let stop: () => void = () => undefined;
  let exited: Promise<number> = Promise.resolve(0);
  const printed: string[] = [];

  beforeEach(() => {
    sts = mockClient(STSClient);
    cloudformation = mockClient(CloudFormationClient);
    logs = mockClient(CloudWatchLogsClient);
    cloudwatch = mockClient(CloudWatchClient);
    sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/ann`, UserId: 'AIDAYDOPLABLEARNER01' });
    // The starting state: no filter, no alarm, no retention.
    cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [STACK] });
    logs.on(DescribeMetricFiltersCommand).resolves({ metricFilters: [] });
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [STARTING.facts.logGroup.value] });
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
    printed.length = 0;
  });

  afterEach(async () => {
    stop();
    await exited.catch(() => undefined);
    for (const mock of [sts, cloudformation, logs, cloudwatch]) mock.restore();
  });

  async function open(): Promise<string> {
    const session = new MockedSession({ region: REGION, credentials: CREDENTIALS }, [stsSdk, cfnSdk, logsSdk, cwSdk]);
    const io: Io = { out: (t) => printed.push(t), err: (t) => printed.push(t), color: false, interactive: false };
    return new Promise<string>((resolve, reject) => {
      exited = openLab(LAB, { region: REGION }, io, { browser: false }, { session, now: () => NOW, onListening: resolve, stop: new Promise<void>((r) => (stop = r)) });
      exited.catch(reject);
    });
  }

  const api = async <T>(path: string, method = 'GET'): Promise<T> => {
    const res = await fetch(url.replace('/?', `${path}?`), { method });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };

  it('prints the address and serves the deployment as doplab status computes it', async () => {
    url = await open();
    expect(printed[0]).toBe(url);
    const status = await api<{ mode: string; deployment: DeploymentView; html: string }>('/api/status');
    expect(status.mode).toBe('live');
    expect(status.deployment).toEqual({
      kind: 'deployed',
      account: ACCOUNT,
      status: {
        lab: LAB.id,
        region: REGION,
        stackStatus: 'CREATE_COMPLETE',
        createdAt: CREATED.toISOString(),
        ageMs: 90 * 60_000,
        expiresAt: EXPIRES,
        msLeft: 150 * 60_000,
        expired: false,
        costSoFarUsd: 1.5 * LAB.cost.usdPerHour,
        checkPassed: null,
        deletionFailed: null,
      },
    });
    expect(status.html).toContain('<dd id="expires-in">2h 30m</dd>');
    expect(status.html).toContain(`$${(1.5 * LAB.cost.usdPerHour).toFixed(4)}`);
  });

  it('checks with read-only calls only, and reports what changed since the last check', async () => {
    url = await open();
    const first = await api<Extract<CheckAnswer, { result: unknown }>>('/api/check', 'POST');
    expect(first.result).toMatchObject({ lab: LAB.id, account: ACCOUNT, region: REGION, source: 'aws', score: 0 });
    expect(first.result.checks.map((c) => c.id)).toEqual(LAB.checker.checks.map((c) => c.id));
    expect(first.changes).toEqual([]);
    expect(first.pending).toBe(false);
    expect(first.html).toContain('data-id="retention-set" data-status="FAIL"');

    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ ...STARTING.facts.logGroup.value, retentionInDays: 14 }] });
    const second = await api<Extract<CheckAnswer, { result: unknown }>>('/api/check', 'POST');
    expect(second.changes).toEqual([{ id: 'retention-set', from: 'FAIL', to: 'PASS' }]);
    expect(second.result.checks.find((c) => c.id === 'retention-set')?.status).toBe('PASS');
    expect(second.html).toContain('<li class="check PASS changed" data-id="retention-set"');
    expect(second.html).toContain('<span class="was">was FAIL</span>');
    // The calls of doplab check (the lab stack, then the checker's reads), plus GetCallerIdentity at start-up.
    expect(logs.commandCalls(TestMetricFilterCommand)).toHaveLength(0);
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
    for (const mock of [cloudformation, logs, cloudwatch]) {
      for (const call of mock.calls()) expect(call.args[0].constructor.name).toMatch(/^(Describe|Get|List|Test)\w+Command$/);
    }
  });

  it('says the lab is not deployed, in the deployment panel and as the check error, with the command to run', async () => {
    cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [] });
    cloudformation.on(DescribeStacksCommand, { StackName: STACK.StackName }).rejects(awsError('ValidationError', `Stack with id ${STACK.StackName} does not exist`));
    url = await open();
    const status = await api<{ deployment: DeploymentView; html: string }>('/api/status');
    expect(status.deployment).toEqual({ kind: 'not-deployed', account: ACCOUNT, region: REGION });
    const check = await api<Extract<CheckAnswer, { error: unknown }>>('/api/check', 'POST');
    expect(check.error).toMatchObject({ code: 'LAB_NOT_DEPLOYED', message: `Lab ${LAB.id} is not deployed in ${REGION} (no stack ${STACK.StackName}).`, hint: `Run doplab deploy ${LAB.id} --region ${REGION}.` });
    expect(check.html).toBe(
      `<p class="error"><b>Could not check:</b> Lab ${LAB.id} is not deployed in ${REGION} (no stack ${STACK.StackName}).</p><p class="hint">Run doplab deploy ${LAB.id} --region ${REGION}.</p>`,
    );
  });

  it('shows a failed read as the error of that panel, not a crash', async () => {
    url = await open();
    cloudformation.on(DescribeStacksCommand).rejects(awsError('AccessDenied', `User: arn:aws:iam::${ACCOUNT}:user/ann is not authorized to perform: cloudformation:DescribeStacks`, 403));
    const status = await api<{ deployment: DeploymentView; html: string }>('/api/status');
    expect(status.deployment).toMatchObject({ kind: 'error', error: { code: 'ACCESS_DENIED' } });
    expect(status.html).toContain('Could not read the deployment:');
  });

  it('fails before listening when there are no credentials', async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const failure = await open().catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'NO_CREDENTIALS', source: 'environment' });
    expect(printed).toEqual([]);
  });
});
