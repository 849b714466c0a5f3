import { DoplabError } from './errors';

/** A lab's stack output keys, declared once in its `contract.ts` (`as const`). Values are CloudFormation output ids. */
export type OutputKeys = Readonly<Record<string, string>>;

/** The values of a lab's stack outputs, keyed like its contract: a missing key is a compile error on both sides. */
export type StackOutputs<K extends OutputKeys> = { readonly [P in keyof K]: string };

/** The CloudFormation stack name of a lab. */
export function stackNameFor(labId: string): string {
  return `DopLab-${labId}`;
}

/** The tag every lab resource carries, `doplab:lab=<id>`. */
export const LAB_TAG_KEY = 'doplab:lab';

/** Picks a lab's outputs from a stack's raw outputs; names every missing key. */
export function pickOutputs<K extends OutputKeys>(
  keys: K,
  raw: Readonly<Record<string, string>>,
  stackName: string,
): StackOutputs<K> {
  const missing = Object.values(keys).filter((outputId) => raw[outputId] === undefined);
  if (missing.length > 0) {
    throw new DoplabError(
      'STACK_OUTPUT_MISSING',
      'environment',
      `Stack ${stackName} has no output ${missing.join(', ')}; it was deployed by another version of this lab.`,
      { hint: 'Run doplab deploy again to update the stack.' },
    );
  }
  const picked: Record<string, string> = {};
  for (const [name, outputId] of Object.entries(keys)) picked[name] = raw[outputId];
  return picked as StackOutputs<K>;
}
