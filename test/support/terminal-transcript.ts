/** What lib/report/live-line.ts writes before each redraw of its line: carriage return, erase line. */
export const REDRAW = '\r\u001b[2K';

/** What a terminal shows in the end of a stderr transcript: each line as last redrawn, erased lines gone. */
export function screen(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((line) => line.split(REDRAW).at(-1) ?? '')
    .filter((line) => line !== '');
}

/** Every state the live line took in a stderr transcript, in order (and the whole lines logged). */
export function frames(stderr: string): string[] {
  return stderr
    .split(REDRAW)
    .map((frame) => frame.split('\n')[0])
    .filter((frame) => frame !== '');
}
