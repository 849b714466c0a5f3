import type { Io } from '../io';

/** A Ctrl-C handler for a long wait: the first Ctrl-C aborts `signal` (the command stops cleanly), a second exits at once. */
export interface Interrupt {
  readonly signal: AbortSignal;
  dispose(): void;
}

/** Installs the handler; `message` says what keeps running in AWS. Exit code 130 is the shell's for SIGINT. */
export function onInterrupt(io: Io, message: string, exit: (code: number) => void = (code) => process.exit(code)): Interrupt {
  const controller = new AbortController();
  const handler = () => {
    if (controller.signal.aborted) return exit(130);
    io.err(`\n${message} Press Ctrl-C again to quit at once.`);
    controller.abort();
  };
  process.on('SIGINT', handler);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', handler) };
}
