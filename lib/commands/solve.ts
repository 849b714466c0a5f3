import { AwsSession, type AwsOptions } from '../aws/clients';
import { readLabStack, whoAmI } from '../aws/lab-stack';
import { pickOutputs } from '../contract';
import type { Io } from '../io';
import type { AnyLab } from '../registry';

/** `doplab solve <lab>`: applies the reference solution through the SDK in the lab's account. */
export async function solveLab(lab: AnyLab, aws: AwsOptions, io: Io): Promise<number> {
  const session = new AwsSession(aws);
  try {
    const identity = await whoAmI(session);
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
    session.destroy();
  }
}
