import type { Io } from '../io';

/** Where a live line writes: stderr, as it is. */
export interface LiveLineTarget {
  /** Raw write (no newline added). */
  readonly write: (text: string) => void;
  /** Columns of the terminal, read at each redraw (it may be resized). */
  readonly columns: () => number;
}

// An ANSI SGR escape: takes no column.
const SGR = /\u001b\[[0-9;]*m/g;

/** `text` cut to `columns` visible characters (escapes kept, colour reset at the cut). */
export function fitLine(text: string, columns: number): string {
  const max = Math.max(10, columns - 1);
  if (Array.from(text.replace(SGR, '')).length <= max) return text;
  let out = '';
  let visible = 0;
  for (const part of text.split(/(\u001b\[[0-9;]*m)/)) {
    if (/^\u001b\[[0-9;]*m$/.test(part)) {
      out += part;
      continue;
    }
    for (const char of Array.from(part)) {
      if (visible === max - 1) return `${out}…${/\u001b\[/.test(out) ? '\u001b[0m' : ''}`;
      out += char;
      visible += 1;
    }
  }
  return out;
}

/**
 * One status line on stderr, redrawn in place at a terminal (carriage return, erase line), with lines
 * logged above it; `every` seconds it is redrawn from its source, so that elapsed times move between
 * events. Without a terminal nothing is drawn in place: `log` and `done` print whole lines, `update` and
 * `show` print nothing (callers print one line per event that matters instead).
 */
export class LiveLine {
  private source?: () => string;
  private drawn = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly io: Pick<Io, 'err' | 'interactive'>,
    private readonly target: LiveLineTarget = { write: (text) => process.stderr.write(text), columns: () => process.stderr.columns ?? 80 },
    /** Redraw period at a terminal, in ms; 0: only on update. */
    private readonly every = 1000,
  ) {}

  /** Whether the line is redrawn in place (stderr is a terminal). */
  get interactive(): boolean {
    return this.io.interactive;
  }

  /** Shows the line produced by `source`, and redraws it on a timer while it is shown. */
  show(source: () => string): void {
    this.source = source;
    this.redraw();
    if (this.io.interactive && this.every > 0 && !this.timer) {
      this.timer = setInterval(() => this.redraw(), this.every);
      this.timer.unref();
    }
  }

  /** Draws the current line again (an event changed it, or time passed). */
  redraw(): void {
    if (!this.io.interactive || !this.source) return;
    this.target.write(`\r\u001b[2K${fitLine(this.source(), this.target.columns())}`);
    this.drawn = true;
  }

  /** A line printed above the live line, which is then drawn again below it. */
  log(text: string): void {
    this.erase();
    this.io.err(text);
    this.redraw();
  }

  /** Stops the line: it is replaced by `final` (a whole line) or erased. */
  done(final?: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.source = undefined;
    this.erase();
    if (final !== undefined) this.io.err(final);
  }

  private erase(): void {
    if (!this.drawn) return;
    this.target.write('\r\u001b[2K');
    this.drawn = false;
  }
}
