import { IAMClient, ListAccountAliasesCommand } from '@aws-sdk/client-iam';
import type { AwsSession } from '../aws/clients';
import type { Identity } from '../aws/lab-stack';
import { DoplabError } from '../errors';
import type { Io } from '../io';
import { envSandboxAccounts, loadConfig } from './config';

/** How the sandbox guard may ask the user; the CLI passes the terminal, tests pass answers. */
export interface Asker {
  /** Whether a person can answer (stdin is a terminal). */
  readonly interactive: boolean;
  /** Asks one question and resolves to the answer ('' when interrupted). */
  readonly ask: (question: string) => Promise<string>;
}

/** What the guard decided, for the progress line. */
export type GuardVerdict = 'listed' | 'confirmed' | 'yes';

/** The account's alias (IAM ListAccountAliases); undefined when it has none or the caller may not read it. */
export async function accountAlias(session: AwsSession): Promise<string | undefined> {
  try {
    const aliases = await session.readOnlyClient(IAMClient).send(new ListAccountAliasesCommand({}));
    return aliases.AccountAliases?.[0];
  } catch (error) {
    if (error instanceof DoplabError && error.code === 'ACCESS_DENIED') return undefined;
    throw error;
  }
}

/**
 * The sandbox guard (DESIGN §6): `deploy`, `solve` and `destroy` act only in an account listed as a
 * sandbox (config file or DOPLAB_SANDBOX_ACCOUNTS), after `--yes`, or after the user types the account
 * id at a terminal. Without a terminal it refuses: nothing is ever done silently in an unknown account.
 */
export async function sandboxGuard(
  target: { readonly identity: Identity; readonly alias?: string; readonly verb: string },
  options: { readonly yes?: boolean; readonly asker: Asker; readonly env?: NodeJS.ProcessEnv; readonly io: Io },
): Promise<GuardVerdict> {
  const { identity, alias, verb } = target;
  const config = loadConfig(options.env);
  const listed = new Set([...config.sandboxAccounts, ...envSandboxAccounts(options.env)]);
  if (listed.has(identity.account)) return 'listed';
  if (options.yes) return 'yes';

  const named = `account ${identity.account}${alias ? ` (${alias})` : ' (no alias)'} in ${identity.region}`;
  const listIt = `list it in ${config.path} ({ "sandboxAccounts": ["${identity.account}"] }) or DOPLAB_SANDBOX_ACCOUNTS`;
  if (!options.asker.interactive) {
    throw new DoplabError('NOT_SANDBOX', 'environment', `Refusing to ${verb} in ${named}: it is not listed as a sandbox, and there is no terminal to confirm.`, {
      hint: `If this account is a sandbox, ${listIt}, or pass --yes.`,
    });
  }
  options.io.err(`About to ${verb} in ${named}, as ${identity.arn}.`);
  options.io.err(`This account is not listed as a sandbox (${listIt} to skip this question).`);
  const answer = (await options.asker.ask(`Type the account id (${identity.account}) to continue: `)).trim();
  if (answer === identity.account) return 'confirmed';
  throw new DoplabError('NOT_SANDBOX', 'environment', `Not confirmed: nothing was done in ${named}.`, {
    hint: `Run again and type ${identity.account}, or ${listIt}.`,
  });
}

/** Asks on the terminal (stdin, prompt on stderr); Ctrl-C answers ''. */
export function terminalAsker(): Asker {
  return {
    interactive: Boolean(process.stdin.isTTY),
    ask: async (question) => {
      const { createInterface } = require('node:readline/promises') as typeof import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const abort = new AbortController();
      rl.on('SIGINT', () => abort.abort());
      try {
        return await rl.question(question, { signal: abort.signal });
      } catch {
        return '';
      } finally {
        rl.close();
      }
    },
  };
}
