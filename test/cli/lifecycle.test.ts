import { spawn } from 'node:child_process';
// deploy / solve / destroy / status end to end: the real CLI process against a canned local endpoint, no TTY.
// The sandbox guard must refuse an unlisted account before any call that changes anything is sent.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callerIdentity, queryResponse, queryError, CLOUDFORMATION_NS, startFakeAwsEndpoint, type FakeAwsEndpoint } from '../support/canned-endpoint';
import { LAB, ROOT, doplab, hasStackTrace, isolatedEnv, doplabAsync } from './helpers';

const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const ACCOUNT = '111122223333';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', AWS_REGION: 'eu-west-1' };

/** Empty answers of the leftover audit's JSON-protocol calls, by X-Amz-Target. */
const JSON_ANSWERS: Record<string, object> = {
  'ResourceGroupsTaggingAPI_20170126.GetResources': { ResourceTagMappingList: [], PaginationToken: '' },
  'GraniteServiceVersion20100801.DescribeAlarms': { MetricAlarms: [], CompositeAlarms: [] },
  'Logs_20140328.DescribeLogGroups': { logGroups: [] },
};


describe('lifecycle commands against a local endpoint', () => {
  let endpoint: FakeAwsEndpoint;
  beforeAll(async () => {
    endpoint = await startFakeAwsEndpoint((request) => {
      if (request.action === 'GetCallerIdentity') return callerIdentity(ACCOUNT);
      if (request.action === 'ListAccountAliases') {
        return queryResponse(IAM_NS, 'ListAccountAliases', '<IsTruncated>false</IsTruncated><AccountAliases><member>acme-sandbox-7</member></AccountAliases>');
      }
      if (request.action === 'DescribeStacks' && request.body.includes('StackName=')) {
        return queryError(CLOUDFORMATION_NS, 'ValidationError', 'Stack with id DopLab-cloudwatch-metric-filters does not exist');
      }
      if (request.action === 'DescribeStacks') return queryResponse(CLOUDFORMATION_NS, 'DescribeStacks', '<Stacks/>');
      const json = JSON_ANSWERS[String(request.headers['x-amz-target'] ?? '')];
      if (json) return { status: 200, body: JSON.stringify(json), contentType: 'application/x-amz-json-1.1' };
      return queryError(CLOUDFORMATION_NS, 'InternalFailure', `the test endpoint does not answer ${request.action}`, 500);
    });
  });
  afterAll(() => endpoint.close());
  beforeEach(() => endpoint.requests.splice(0));

  const env = () => isolatedEnv({ ...CREDENTIALS, AWS_ENDPOINT_URL: endpoint.url });

  it.each([
    ['deploy', [LAB]],
    ['solve', [LAB]],
    ['destroy', [LAB]],
    ['destroy', ['--all']],
  ])('%s %s refuses an unlisted account without a terminal: exit 3, only reads sent', async (verb, rest) => {
    const run = await doplabAsync([verb, ...rest], env());
    expect(run.status).toBe(3);
    expect(run.stderr).toContain(`in account ${ACCOUNT} (acme-sandbox-7) in eu-west-1: it is not listed as a sandbox, and there is no terminal to confirm.`);
    expect(run.stderr).toContain('--yes');
    expect(hasStackTrace(run.stderr)).toBe(false);
    expect(endpoint.requests.map((r) => r.action).sort()).toEqual(['GetCallerIdentity', 'ListAccountAliases']);
  });

  it('destroy in a listed account with no stack is a clean success (exit 0)', async () => {
    const run = await doplabAsync(['destroy', LAB], { ...env(), DOPLAB_SANDBOX_ACCOUNTS: ACCOUNT });
    expect(run.stderr).toContain(`DopLab-${LAB} is not deployed in eu-west-1: nothing to delete.`);
    expect(run.stderr).toContain('Leftover audit: nothing tagged doplab:lab=cloudwatch-metric-filters or known to linger is left in eu-west-1.');
    expect(run.status).toBe(0);
    expect(endpoint.requests.map((r) => r.action ?? String(r.headers['x-amz-target']))).toEqual([
      'GetCallerIdentity',
      'ListAccountAliases',
      'DescribeStacks',
      'ResourceGroupsTaggingAPI_20170126.GetResources',
      'GraniteServiceVersion20100801.DescribeAlarms',
      'Logs_20140328.DescribeLogGroups',
      'Logs_20140328.DescribeLogGroups',
    ]);
  });

  it('a malformed config file is a usage error naming the file', async () => {
    const home = mkdtempSync(join(tmpdir(), 'doplab-cfg-'));
    writeFileSync(join(home, 'config.json'), '{"sandboxAccounts": "111122223333"}');
    const run = await doplabAsync(['destroy', LAB], { ...env(), DOPLAB_HOME: home });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${home}/config.json is not a doplab config: sandboxAccounts: `);
  });

  it.each([['status'], ['destroy', LAB]])('%s loads neither aws-cdk-lib nor the CDK toolkit library', async (...args: string[]) => {
    const script = `
      require('tsx/cjs/api').register();
      const { main } = require('./lib/cli.ts');
      main(['node', 'doplab', ...${JSON.stringify(args)}]).then((code) => {
        const loaded = Object.keys(require.cache).filter((k) => /node_modules[\\\\/](aws-cdk-lib|@aws-cdk[\\\\/]toolkit-lib|constructs)[\\\\/]/.test(k));
        process.stderr.write('\\n' + JSON.stringify({ code, loaded: loaded.length }));
      });`;
    const run = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, env: { ...env(), DOPLAB_SANDBOX_ACCOUNTS: ACCOUNT } });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('close', () => resolve(stderr));
    });
    expect(JSON.parse(run.trim().split('\n').pop() ?? '{}')).toEqual({ code: 0, loaded: 0 });
  });

  it('status lists nothing when no lab is deployed', async () => {
    const run = await doplabAsync(['status'], env());
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`No doplab labs deployed in account ${ACCOUNT}, eu-west-1.\n`);
  });
});

describe('lifecycle usage errors', () => {
  it('destroy needs a lab id or --all, not both', () => {
    expect(doplab(['destroy']).status).toBe(2);
    const both = doplab(['destroy', LAB, '--all']);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('doplab destroy takes a lab id, or --all (not both).');
  });

  it('deploy refuses a --ttl that is not a duration between 15m and 7d, or none', () => {
    const run = doplab(['deploy', LAB, '--ttl', '5m']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--ttl must be between 15m and 7d (or none); got "5m".');
    expect(doplab(['deploy', LAB, '--ttl', 'soon']).stderr).toContain('--ttl takes a duration like 90s, 10m or 1h; got "soon".');
  });
});
