import type { AwsSession } from '../aws/clients';
import { whoAmI, type Identity } from '../aws/lab-stack';
import type { Io } from '../io';
import type { AnyLab } from '../registry';
import { accountAlias, sandboxGuard, type Asker, type GuardVerdict } from './guard';

/** Options every mutating command (deploy, solve, destroy) takes. */
export interface GuardOptions {
  /** Skip the sandbox confirmation (scripts). */
  readonly yes?: boolean;
  readonly asker: Asker;
  readonly env?: NodeJS.ProcessEnv;
}

/** What preflight established before anything is changed. */
export interface Preflight {
  readonly identity: Identity;
  readonly alias?: string;
  readonly verdict: GuardVerdict;
  /** CDK context the lab's own preflight decided. */
  readonly context: Readonly<Record<string, string>>;
}

const VERDICT: Record<GuardVerdict, string> = { listed: 'listed as a sandbox', confirmed: 'confirmed', yes: '--yes' };

/**
 * Preflight of deploy, solve and destroy, read-only until it returns: credentials and the account/region
 * they resolve to, the account alias, the sandbox guard, then (deploy only) the lab's own preconditions.
 */
export async function preflight(
  session: AwsSession,
  io: Io,
  what: { readonly verb: string; readonly lab?: AnyLab; readonly runLabHook?: boolean },
  guard: GuardOptions,
): Promise<Preflight> {
  const identity = await whoAmI(session);
  const alias = await accountAlias(session);
  const verdict = await sandboxGuard({ identity, alias, verb: what.verb }, { ...guard, io });
  io.err(`Account ${identity.account}${alias ? ` (${alias})` : ''}, ${identity.region}, as ${identity.arn} — ${VERDICT[verdict]}.`);
  let context: Readonly<Record<string, string>> = {};
  const hook = what.runLabHook ? what.lab?.preflight : undefined;
  if (hook) {
    const result = await hook({
      account: identity.account,
      region: identity.region,
      client: (ctor, region) => session.client(ctor, region ?? identity.region),
      log: (line) => io.err(`  ${line}`),
    });
    for (const note of result.notes ?? []) io.err(`  ${note}`);
    context = result.context ?? {};
  }
  return { identity, alias, verdict, context };
}
