// Writes a lab's shipped facts files from its worlds, through the real gather (test/fixtures/<id>/write-facts.ts).
import { writeFileSync } from 'node:fs';

/** Writes each of `files` as `fresh(name)` gathers it, and says so; a failure sets the exit code. */
export function writeFactsFiles(files: Readonly<Record<string, { path: string }>>, fresh: (name: string) => Promise<unknown>): void {
  void (async () => {
    for (const [name, { path }] of Object.entries(files)) {
      writeFileSync(path, `${JSON.stringify(await fresh(name), null, 2)}\n`);
      console.log(`wrote ${path}`);
    }
  })().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
