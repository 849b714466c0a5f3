/** Where a command writes: results to `out`, progress and errors to `err`. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Colour on (stdout is a TTY and --no-color was not given). */
  readonly color: boolean;
  /** Whether stderr is a terminal (progress lines may be redrawn). */
  readonly interactive: boolean;
}

let pipeGuarded = false;

/** `doplab list | head` closes stdout early: stop quietly instead of crashing with EPIPE. */
function guardBrokenPipe(): void {
  if (pipeGuarded) return;
  pipeGuarded = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

/** The process's own streams. */
export function processIo(color: boolean): Io {
  guardBrokenPipe();
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    color,
    interactive: Boolean(process.stderr.isTTY),
  };
}
