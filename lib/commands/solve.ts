import { AwsSession, type AwsOptions } from '../aws/clients';
import { readLabStack } from '../aws/lab-stack';
import type { Asker } from '../lifecycle/guard';
import { preflight } from '../lifecycle/preflight';
import { pickOutputs } from '../contract';
import type { Io } from '../io';
import type { AnyLab } from '../registry';

/** `doplab solve <lab>`: applies the reference solution through the SDK in the lab's account, after the sandbox guard. */
export async function solveLab(
  lab: AnyLab,
  aws: AwsOptions,
  io: Io,
  options: { readonly yes?: boolean } = {},
  deps: { readonly session?: AwsSession; readonly asker?: Asker; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<number> {
  const session = deps.session ?? new AwsSession(aws);
  try {
    const asker = deps.asker ?? (require('../lifecycle/guard') as typeof import('../lifecycle/guard')).terminalAsker();
    const { identity } = await preflight(session, io, { verb: `solve ${lab.id}` }, { yes: options.yes, asker, env: deps.env });
    const stack = await readLabStack(session, lab.id, identity.region);
    const outputs = pickOutputs(lab.checker.outputs, stack.outputs, stack.name);
    io.err(`Solving ${lab.id} in account ${identity.account}, ${identity.region} (as ${identity.arn}).`);
    const solve = await lab.loadSolution();
    await solve({
      outputs,
      account: identity.account,
      region: identity.region,
      client: (ctor) => session.client(ctor, identity.region),
      log: (line) => io.err(`  ${line}`),
    });
    io.err(`Done. AWS may take a few minutes to settle: doplab check ${lab.id} --wait 10m`);
    return 0;
  } finally {
    if (!deps.session) session.destroy();
  }
}
