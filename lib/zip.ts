// Reading zip archives (a pipeline's source object) with fflate: stored and deflated entries, as `zip`, Python's
// zipfile and CodePipeline write them. Plain TypeScript, no aws-cdk-lib: checkers use it.
import { unzipSync } from 'fflate';

/** Options of zipTextFiles. */
export interface ZipReadOptions {
  /** Which entries to read, by their path in the archive. @default every file */
  readonly wanted?: (name: string) => boolean;
  /** Most bytes one entry may expand to; a larger wanted entry is an error (a zip bomb, or not a source file). @default 1 MiB */
  readonly maxEntryBytes?: number;
}

/** Thrown when bytes are not a zip archive that can be read. */
export class ZipReadError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ZipReadError';
  }
}

/** The wanted files of a zip archive as UTF-8 text, keyed by their path in the archive (directories left out). */
export function zipTextFiles(bytes: Uint8Array, options: ZipReadOptions = {}): Record<string, string> {
  const maxBytes = options.maxEntryBytes ?? 1024 * 1024;
  const wanted = options.wanted ?? (() => true);
  let tooLarge: string | undefined;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (file) => {
        if (file.name.endsWith('/') || !wanted(file.name)) return false;
        if (file.originalSize > maxBytes) {
          tooLarge = `${file.name} expands to ${file.originalSize} bytes; at most ${maxBytes} are read`;
          return false;
        }
        return true;
      },
    });
  } catch (error) {
    throw new ZipReadError(`not a readable zip archive (${(error as Error).message})`, { cause: error });
  }
  if (tooLarge) throw new ZipReadError(tooLarge);
  const decoder = new TextDecoder('utf-8');
  return Object.fromEntries(Object.entries(entries).map(([name, data]) => [name, decoder.decode(data)]));
}
