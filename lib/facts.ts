import { z } from 'zod';
import { ErrorInfo, toErrorInfo } from './errors';

/** One gathered piece of facts: the value read from AWS, or why it could not be read. */
export type Fact<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorInfo };

/** Reads one fact; an AWS error becomes part of the facts instead of aborting the whole gather. */
export async function readFact<T>(read: () => Promise<T>): Promise<Fact<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    return { ok: false, error: toErrorInfo(error) };
  }
}

/** Thrown by `need` inside a check: the engine turns it into an ERROR result carrying the AWS error. */
export class FactUnavailable extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
    this.name = 'FactUnavailable';
  }
}

/** The value of a fact, or an ERROR result for the check that needed it. */
export function need<T>(fact: Fact<T>): T {
  if (fact.ok) return fact.value;
  throw new FactUnavailable(fact.error);
}

export const errorInfoSchema = z.object({
  code: z.string(),
  message: z.string(),
  action: z.string().optional(),
  hint: z.string().optional(),
});

/** The zod schema of a `Fact<T>` whose value matches `value`. */
export function factSchema<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), value }),
    z.object({ ok: z.literal(false), error: errorInfoSchema }),
  ]);
}
