import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { DoplabError } from './errors';

export const FACTS_FORMAT = 'doplab-facts/1';

/** A saved gather: enough to re-grade offline (`check --facts`). */
export interface FactsFile<F = unknown> {
  readonly format: typeof FACTS_FORMAT;
  readonly lab: string;
  readonly account: string;
  readonly region: string;
  readonly gatheredAt: string;
  readonly stack: { readonly name: string; readonly status: string; readonly outputs: Readonly<Record<string, string>> };
  readonly facts: F;
}

const envelopeSchema = z.object({
  format: z.literal(FACTS_FORMAT),
  lab: z.string().min(1),
  account: z.string(),
  region: z.string(),
  gatheredAt: z.string(),
  stack: z.object({ name: z.string(), status: z.string(), outputs: z.record(z.string(), z.string()) }),
  facts: z.unknown(),
});

/** The first few problems, each at its path in the file (`facts.logGroup.value.retentionInDays`). */
function describeIssues(error: z.ZodError, under: readonly PropertyKey[] = []): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = [...under, ...issue.path].map(String);
      return `  at ${path.length ? path.join('.') : '(top level)'}: ${issue.message}`;
    })
    .join('\n');
}

/** Reads and validates a facts file for `labId`; every problem is a usage error naming the file. */
export function loadFactsFile<F>(path: string, labId: string, factsSchema: z.ZodType<F>): FactsFile<F> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DoplabError('BAD_FACTS_FILE', 'usage', `Cannot read facts file ${path}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DoplabError('BAD_FACTS_FILE', 'usage', `Facts file ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) {
    throw new DoplabError('BAD_FACTS_FILE', 'usage', `Facts file ${path} is not a doplab facts file (${FACTS_FORMAT}):\n${describeIssues(envelope.error)}`, {
      hint: 'Create one with doplab check <lab> --save-facts FILE.',
    });
  }
  if (envelope.data.lab !== labId) {
    throw new DoplabError('BAD_FACTS_FILE', 'usage', `Facts file ${path} holds facts of lab ${envelope.data.lab}, not ${labId}.`, {
      hint: `Run doplab check ${envelope.data.lab} --facts ${path}.`,
    });
  }
  const facts = factsSchema.safeParse(envelope.data.facts);
  if (!facts.success) {
    throw new DoplabError('BAD_FACTS_FILE', 'usage', `Facts file ${path} has malformed facts for ${labId}:\n${describeIssues(facts.error, ['facts'])}`);
  }
  return { ...envelope.data, format: FACTS_FORMAT, facts: facts.data };
}

export function saveFactsFile(path: string, file: FactsFile): void {
  try {
    writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  } catch (error) {
    throw new DoplabError('BAD_OPTION', 'usage', `Cannot write facts file ${path}: ${(error as Error).message}`, { cause: error });
  }
}
