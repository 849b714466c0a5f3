import { readFileSync } from 'node:fs';
import { Marked, type MarkedExtension, type Token, type Tokens } from 'marked';
import { markedTerminal, type TerminalRendererOptions } from 'marked-terminal';
import { createColors } from 'picocolors';

/** How `doplab show` renders a lab's README. */
export interface MarkdownOptions {
  /** ANSI styles; off when stdout is not a TTY or with --no-color / NO_COLOR. */
  readonly color: boolean;
  /** Columns to wrap paragraphs and tables to. */
  readonly width: number;
  /** `markdown` already lexed (prelexed() reads the build's copy): rendering skips marked's lexer. */
  readonly tokens?: Token[];
}

/** marked's tokens of `markdown`: what the build writes beside each lab README (bin/build.js). */
export function lexMarkdown(markdown: string): Token[] {
  return new Marked().lexer(markdown);
}

/** The file beside a README where the build keeps its tokens. */
export const tokensFileOf = (readme: string) => readme.replace(/\.md$/, '.tokens.json');

/**
 * The build's tokens of the README at `readme`, when they are the tokens of `markdown` (the file holds the
 * text it was lexed from); undefined otherwise, or when there is no such file (running from sources).
 * marked's lexer is most of `show`'s start-up: compiling its Unicode-aware inline expressions takes
 * 50–60 ms on a cold process; reading its result takes under 1 ms.
 */
export function prelexed(readme: string, markdown: string): Token[] | undefined {
  let saved: { markdown?: unknown; tokens?: unknown };
  try {
    saved = JSON.parse(readFileSync(tokensFileOf(readme), 'utf8')) as typeof saved;
  } catch {
    return undefined;
  }
  return saved.markdown === markdown && Array.isArray(saved.tokens) ? (saved.tokens as Token[]) : undefined;
}

/** The width to wrap to: the terminal's, or 80 columns when stdout is not a terminal. */
export function terminalWidth(stream: { readonly isTTY?: boolean; readonly columns?: number } = process.stdout): number {
  return stream.isTTY && stream.columns && stream.columns > 20 ? stream.columns : 80;
}

const identity = (s: string) => s;

// An ANSI escape (SGR colours, OSC 8 links): not counted in a cell's width.
const ANSI = /\u001b\[[0-9;]*m|\u001b\]8;[^\u0007\u001b]*(?:\u0007|\u001b\\)/g;
const visibleLength = (s: string) => Array.from(s.replace(ANSI, '')).length;

/**
 * Column widths (content only) that fit `available` columns: the natural widths when they fit; otherwise
 * each column gets its floor (its longest word, within reason) and the room left is shared in proportion
 * to what each column still wants, so that a column of prose gets more than a column of names.
 */
export function fitColumns(natural: readonly number[], floors: readonly number[], available: number): number[] {
  const want = natural.map((w) => Math.max(1, w));
  if (want.reduce((a, b) => a + b, 0) <= available) return want;
  const base = want.map((w, i) => Math.min(w, Math.max(1, floors[i] ?? 1)));
  const room = available - base.reduce((a, b) => a + b, 0);
  if (room <= 0) return base;
  const extra = want.map((w, i) => w - base[i]);
  const totalExtra = extra.reduce((a, b) => a + b, 0);
  const widths = base.map((b, i) => b + Math.floor((room * extra[i]) / totalExtra));
  // Columns rounded down: hand the few columns left to the widest wants.
  let left = available - widths.reduce((a, b) => a + b, 0);
  for (const i of extra.map((e, i) => [e, i]).sort((a, b) => b[0] - a[0]).map(([, i]) => i)) {
    if (left <= 0) break;
    if (widths[i] < want[i]) {
      widths[i] += 1;
      left -= 1;
    }
  }
  return widths;
}

/**
 * marked + marked-terminal with doplab's choices: wrapped to `width`; styles from picocolors (so the colour
 * decision is doplab's, not chalk's guess); no syntax highlighting (code blocks in one colour: the labs' blocks
 * are short shell commands, and highlight.js is most of marked-terminal's start-up cost); no emoji; tables
 * drawn by cli-table3 but fitted to the width, their cells wrapped; plain text without colour: no ANSI, no
 * `**` or backticks, headings underlined, links as `text (url)`.
 */
export function renderMarkdown(markdown: string, options: MarkdownOptions): string {
  const c = createColors(options.color);
  const width = Math.max(20, options.width);
  const plain = !options.color;
  const underline = (char: string) => (text: string) => {
    const longest = Math.max(...text.split('\n').map(visibleLength));
    return `${text}\n${char.repeat(longest)}`;
  };
  const style: TerminalRendererOptions = {
    code: plain ? identity : c.yellow,
    blockquote: plain ? identity : (s: string) => c.gray(c.italic(s)),
    html: plain ? identity : c.gray,
    heading: plain ? underline('-') : (s: string) => c.green(c.bold(s)),
    firstHeading: plain ? underline('=') : (s: string) => c.magenta(c.underline(c.bold(s))),
    hr: identity,
    listitem: identity,
    table: identity,
    paragraph: identity,
    strong: plain ? identity : c.bold,
    em: plain ? identity : c.italic,
    codespan: plain ? identity : c.yellow,
    del: plain ? identity : (s: string) => c.dim(c.strikethrough(s)),
    link: plain ? identity : c.blue,
    href: plain ? identity : (s: string) => c.blue(c.underline(s)),
    text: identity,
    width,
    reflowText: true,
    showSectionPrefix: false,
    unescape: true,
    emoji: false,
    tab: 2,
  };
  // The @types package declares markedTerminal's result as a Renderer; it is an extension object.
  const terminal = markedTerminal(style) as unknown as MarkedExtension;
  // The columns left for text: the width, less the indent of the lists being drawn.
  let available = width;
  const overrides: MarkedExtension = {
    renderer: {
      // Lists drawn here: marked-terminal 7.3 prints a list item's text as its raw source under marked 15
      // (`**bold**`) and does not wrap it. Items are wrapped to the width left after their indent and marker.
      list(token: Tokens.List): string {
        const start = typeof token.start === 'number' ? token.start : 1;
        const markers = token.items.map((_, i) => (token.ordered ? `${start + i}.` : plain ? '-' : '•'));
        const markerWidth = Math.max(...markers.map((m) => m.length)) + 1;
        const indent = LIST_INDENT + markerWidth;
        const outer = available;
        available = Math.max(20, outer - indent);
        try {
          const items = token.items.map((item, i) => {
            const blocks = item.tokens.map((child) =>
              child.type === 'text' || child.type === 'paragraph'
                ? wrap(inline(this.parser, child as Tokens.Text | Tokens.Paragraph), available)
                : this.parser.parse([child]).replace(/\n+$/, ''),
            );
            const body = (item.task ? `[${item.checked ? 'x' : ' '}] ` : '') + blocks.join(item.loose ? '\n\n' : '\n');
            return body
              .split('\n')
              .map((line, j) => (j === 0 ? `${' '.repeat(LIST_INDENT)}${markers[i].padEnd(markerWidth)}${line}` : line ? `${' '.repeat(indent)}${line}` : ''))
              .join('\n');
          });
          return `${items.join(token.loose ? '\n\n' : '\n')}\n\n`;
        } finally {
          available = outer;
        }
      },
      // Code blocks in one style (marked-terminal would call cli-highlight); indented like marked-terminal's.
      code({ text }: Tokens.Code): string {
        const lines = text.replace(/\n+$/, '').split('\n');
        return `${lines.map((line) => `    ${style.code === identity ? line : c.yellow(line)}`).join('\n')}\n\n`;
      },
      // Tables fitted to the width, cells wrapped.
      table(token: Tokens.Table): string {
        const cell = (t: Tokens.TableCell) => undoColon(unescapeEntities(this.parser.parseInline(t.tokens)));
        const head = token.header.map(cell);
        const rows = token.rows.map((row) => row.map(cell));
        const column = (i: number) => [head[i], ...rows.map((r) => r[i] ?? '')];
        const longest = (texts: string[], split: RegExp) => Math.max(1, ...texts.flatMap((t) => t.split(split)).map(visibleLength));
        // Each column takes its content, a space either side and one border; plus the last border.
        const available = width - 1 - 3 * head.length;
        // Words are kept whole where the longest of each column fit side by side; otherwise the columns with
        // the longest words give way (those are cut), down to 8 columns.
        const floors = head.map((_, i) => longest(column(i), /\s+/));
        while (floors.reduce((a, b) => a + b, 0) > available && Math.max(...floors) > 8) floors[floors.indexOf(Math.max(...floors))] -= 1;
        const content = fitColumns(
          head.map((_, i) => longest(column(i), /\n/)),
          floors,
          available,
        );
        return `${drawTable([head.map((h) => (plain ? h : c.bold(h))), ...rows], content, plain ? identity : c.gray)}\n\n`;
      },
      // No OSC 8 hyperlinks or styles without colour: the text, then the address.
      link(token: Tokens.Link): string | false {
        if (!plain) return false;
        const text = this.parser.parseInline(token.tokens);
        return text && text !== token.href ? `${text} (${token.href})` : token.href;
      },
    },
  };
  const marked = new Marked().use(terminal, overrides);
  // marked.parse(markdown) is lexer then parser: neither extension here has tokenizers, hooks or walkTokens.
  const rendered = marked.parser(options.tokens ?? marked.lexer(markdown));
  return rendered.replace(/\n{3,}/g, '\n\n').trimEnd();
}

const LIST_INDENT = 2;

// The SGR codes that end each kind of style picocolors opens: a style left open at the end of a line would
// run on into the table's padding and borders.
const CLOSES: Record<string, string> = { '1': '22', '2': '22', '3': '23', '4': '24', '9': '29' };
const closerOf = (code: string) => CLOSES[code] ?? (/^(3[0-7]|9[0-7])$/.test(code) ? '39' : undefined);

/** Lines of one cell where each line closes the styles still open at its end and the next reopens them. */
export function closeStyles(lines: readonly string[]): string[] {
  let open: string[] = [];
  return lines.map((line) => {
    const text = open.map((code) => `\u001b[${code}m`).join('') + line;
    for (const [, code] of line.matchAll(/\u001b\[([0-9]+)m/g)) {
      if (closerOf(code)) open.push(code);
      else open = open.filter((o) => closerOf(o) !== code);
    }
    return open.length ? `${text}${[...open].reverse().map((code) => `\u001b[${closerOf(code)}m`).join('')}` : text;
  });
}

/** A table with box-drawing borders, its cells wrapped to `widths`; the first row is the header. */
export function drawTable(rows: readonly (readonly string[])[], widths: readonly number[], border: (s: string) => string = identity): string {
  const rule = (left: string, middle: string, right: string) => border(left + widths.map((w) => '─'.repeat(w + 2)).join(middle) + right);
  const lines = [rule('┌', '┬', '┐')];
  rows.forEach((row, r) => {
    if (r > 0) lines.push(rule('├', '┼', '┤'));
    const cells = widths.map((w, i) => closeStyles(wrap(row[i] ?? '', w).split('\n')));
    const height = Math.max(...cells.map((cell) => cell.length));
    for (let l = 0; l < height; l += 1) {
      const parts = cells.map((cell, i) => ` ${cell[l] ?? ''}${' '.repeat(widths[i] - visibleLength(cell[l] ?? ''))} `);
      lines.push(border('│') + parts.join(border('│')) + border('│'));
    }
  });
  lines.push(rule('└', '┴', '┘'));
  return lines.join('\n');
}

/** A text or paragraph token's inline content, rendered, on one line but for hard breaks. */
function inline(parser: { parseInline(tokens: Token[]): string }, token: Tokens.Text | Tokens.Paragraph): string {
  const text = token.tokens ? parser.parseInline(token.tokens) : token.text;
  // marked-terminal renders a hard break as \r when it reflows text.
  return undoColon(unescapeEntities(text.replace(/\n/g, ' ').replace(/\r/g, '\n')));
}

// marked-terminal hides the colons of code spans from its emoji pass and puts them back in its own blocks.
const undoColon = (text: string) => text.split('*#COLON|*').join(':');

/** A word longer than `width`, cut into pieces of `width` visible characters (escapes kept in place). */
function cut(word: string, width: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let length = 0;
  for (const part of word.split(new RegExp(`(${ANSI.source})`))) {
    if (!part) continue;
    if (new RegExp(`^(?:${ANSI.source})$`).test(part)) {
      piece += part;
      continue;
    }
    for (const char of Array.from(part)) {
      if (length === width) {
        pieces.push(piece);
        piece = '';
        length = 0;
      }
      piece += char;
      length += 1;
    }
  }
  if (piece) pieces.push(piece);
  return pieces;
}

/** Words wrapped to `width` visible columns (ANSI escapes take none); a longer word is cut. */
export function wrap(text: string, width: number): string {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    let length = 0;
    for (const word of paragraph.split(/ +/).flatMap((w) => (visibleLength(w) > width ? cut(w, width) : [w]))) {
      if (!word) continue;
      const w = visibleLength(word);
      if (length > 0 && length + 1 + w > width) {
        out.push(line);
        line = word;
        length = w;
      } else {
        line = length > 0 ? `${line} ${word}` : word;
        length += (length > 0 ? 1 : 0) + w;
      }
    }
    out.push(line);
  }
  return out.join('\n');
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

function unescapeEntities(text: string): string {
  return text.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]);
}
