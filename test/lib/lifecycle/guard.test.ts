import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListAccountAliasesCommand } from '@aws-sdk/client-iam';
import { DoplabError, exitCodeFor } from '../../../lib/errors';
import { configPath, envSandboxAccounts, loadConfig } from '../../../lib/lifecycle/config';
import { accountAlias, sandboxGuard } from '../../../lib/lifecycle/guard';
import { awsError } from '../../support/mocked-session';
import { ACCOUNT, CALLER_ARN, REGION, fakeAsker, mockAws, recordingIo } from './support';

const IDENTITY = { account: ACCOUNT, arn: CALLER_ARN, region: REGION };

function home(config?: unknown): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'doplab-guard-'));
  if (config !== undefined) writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return { DOPLAB_HOME: dir };
}

async function refusal(promise: Promise<unknown>): Promise<DoplabError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DoplabError);
  return error as DoplabError;
}

describe('doplab config', () => {
  it('lives in DOPLAB_HOME, or where DOPLAB_CONFIG says', () => {
    expect(configPath({ DOPLAB_HOME: '/tmp/h' })).toBe('/tmp/h/config.json');
    expect(configPath({ DOPLAB_HOME: '/tmp/h', DOPLAB_CONFIG: '/etc/doplab.json' })).toBe('/etc/doplab.json');
  });

  it('reads sandbox accounts, and treats a missing file as empty', () => {
    expect(loadConfig(home({ sandboxAccounts: [ACCOUNT] })).sandboxAccounts).toEqual([ACCOUNT]);
    expect(loadConfig(home()).sandboxAccounts).toEqual([]);
  });

  it('names what is wrong in a malformed config, as a usage error', () => {
    const env = home({ sandboxAccounts: ['1234'] });
    const error = (() => {
      try {
        loadConfig(env);
      } catch (e) {
        return e as DoplabError;
      }
    })();
    expect(error?.code).toBe('BAD_CONFIG');
    expect(error?.message).toBe(`${env.DOPLAB_HOME}/config.json is not a doplab config: sandboxAccounts.0: an AWS account id is 12 digits.`);
    expect(exitCodeFor(error)).toBe(2);
    expect(() => loadConfig(home('{ not json'))).toThrow(/is not valid JSON/);
    expect(() => loadConfig(home({ sandboxAcounts: [] }))).toThrow(/Unrecognized key/);
  });

  it('reads DOPLAB_SANDBOX_ACCOUNTS, comma or space separated, and refuses a malformed id', () => {
    expect(envSandboxAccounts({ DOPLAB_SANDBOX_ACCOUNTS: `${ACCOUNT}, 444455556666 777788889999` })).toEqual([ACCOUNT, '444455556666', '777788889999']);
    expect(() => envSandboxAccounts({ DOPLAB_SANDBOX_ACCOUNTS: 'acme' })).toThrow('DOPLAB_SANDBOX_ACCOUNTS holds "acme", which is not a 12-digit AWS account id.');
  });
});

describe('sandbox guard', () => {
  const target = { identity: IDENTITY, alias: 'acme-sandbox-7', verb: 'deploy cloudwatch-metric-filters' };

  it('proceeds without asking in an account listed in the config file', async () => {
    const asker = fakeAsker(false);
    await expect(sandboxGuard(target, { asker, env: home({ sandboxAccounts: [ACCOUNT] }), io: recordingIo() })).resolves.toBe('listed');
    expect(asker.questions).toEqual([]);
  });

  it('proceeds in an account listed in DOPLAB_SANDBOX_ACCOUNTS', async () => {
    await expect(sandboxGuard(target, { asker: fakeAsker(false), env: { ...home(), DOPLAB_SANDBOX_ACCOUNTS: ACCOUNT }, io: recordingIo() })).resolves.toBe('listed');
  });

  it('refuses an unlisted account when there is no terminal: exit 3, saying how to list it', async () => {
    const asker = fakeAsker(false, ACCOUNT);
    const error = await refusal(sandboxGuard(target, { asker, env: home(), io: recordingIo() }));
    expect(error.code).toBe('NOT_SANDBOX');
    expect(exitCodeFor(error)).toBe(3);
    expect(error.message).toBe(
      `Refusing to deploy cloudwatch-metric-filters in account ${ACCOUNT} (acme-sandbox-7) in ${REGION}: it is not listed as a sandbox, and there is no terminal to confirm.`,
    );
    expect(error.hint).toContain('DOPLAB_SANDBOX_ACCOUNTS');
    expect(error.hint).toContain('--yes');
    expect(asker.questions).toEqual([]);
  });

  it('proceeds with --yes', async () => {
    await expect(sandboxGuard(target, { yes: true, asker: fakeAsker(false), env: home(), io: recordingIo() })).resolves.toBe('yes');
  });

  it('asks at a terminal, showing account id, alias and region, and proceeds when the account id is typed', async () => {
    const io = recordingIo(true);
    const asker = fakeAsker(true, ` ${ACCOUNT}\n`);
    await expect(sandboxGuard(target, { asker, env: home(), io })).resolves.toBe('confirmed');
    expect(io.errText()).toContain(`About to deploy cloudwatch-metric-filters in account ${ACCOUNT} (acme-sandbox-7) in ${REGION}, as ${CALLER_ARN}.`);
    expect(asker.questions).toEqual([`Type the account id (${ACCOUNT}) to continue: `]);
  });

  it('stops at a terminal when the answer is anything else (y, Ctrl-C)', async () => {
    for (const answer of ['y', '']) {
      const error = await refusal(sandboxGuard({ ...target, alias: undefined }, { asker: fakeAsker(true, answer), env: home(), io: recordingIo(true) }));
      expect(error.message).toBe(`Not confirmed: nothing was done in account ${ACCOUNT} (no alias) in ${REGION}.`);
    }
  });
});

describe('accountAlias', () => {
  let aws: ReturnType<typeof mockAws>;
  beforeEach(() => (aws = mockAws()));
  afterEach(() => aws.restore());

  it('reads the alias with iam:ListAccountAliases', async () => {
    await expect(accountAlias(aws.session)).resolves.toBe('acme-sandbox-7');
    expect(aws.iam).toHaveReceivedCommandTimes(ListAccountAliasesCommand, 1);
  });

  it('is undefined when the account has none or the caller may not read it', async () => {
    aws.iam.on(ListAccountAliasesCommand).resolves({ AccountAliases: [] });
    await expect(accountAlias(aws.session)).resolves.toBeUndefined();
    aws.iam.on(ListAccountAliasesCommand).rejects(awsError('AccessDenied', 'User is not authorized to perform: iam:ListAccountAliases', 403));
    await expect(accountAlias(aws.session)).resolves.toBeUndefined();
  });
});
