// Re-records labs' shipped facts files (labs/<id>/facts/*.json) from their test worlds, through the checker's
// real gather: `npx tsx test/support/write-facts.ts <lab> [<lab> ...]`, or `--all` for every lab with a world.
// A lab's world is test/fixtures/<id>/gather-world.ts, exporting FACTS_FILES (each file's path and world) and
// freshFactsFile(name); each lab's checker test proves its shipped files are what this writes today.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LABS } from '../../labs';
import type { FactsFile } from '../../lib/facts-file';

interface GatherWorldModule {
  readonly FACTS_FILES: Record<string, { readonly path: string }>;
  freshFactsFile(name: string): Promise<FactsFile>;
}

const FIXTURES = join(__dirname, '..', 'fixtures');

/** The labs whose facts files are recorded from a test world. */
export const labsWithWorlds = (): string[] => LABS.map((lab) => lab.id).filter((id) => existsSync(join(FIXTURES, id, 'gather-world.ts')));

/** Writes every facts file of `lab` from its world; returns the paths written. */
export async function writeFacts(lab: string): Promise<string[]> {
  const world = (await import(join(FIXTURES, lab, 'gather-world'))) as GatherWorldModule;
  const written: string[] = [];
  for (const [name, { path }] of Object.entries(world.FACTS_FILES)) {
    writeFileSync(path, `${JSON.stringify(await world.freshFactsFile(name), null, 2)}\n`);
    written.push(path);
  }
  return written;
}

async function main(args: readonly string[]): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const known = labsWithWorlds();
  const labs = args.includes('--all') ? known : [...args];
  const unknown = labs.filter((lab) => !known.includes(lab));
  if (labs.length === 0 || unknown.length > 0) {
    process.stderr.write(`${unknown.length > 0 ? `no test world for ${unknown.join(', ')}\n` : ''}usage: npx tsx test/support/write-facts.ts <lab>... | --all (labs with a world: ${known.join(', ')})\n`);
    process.exitCode = 2;
    return;
  }
  for (const lab of labs) for (const path of await writeFacts(lab)) process.stdout.write(`wrote ${path}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
