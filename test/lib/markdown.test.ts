import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { showLab } from '../../lib/commands/show';
import { closeStyles, drawTable, fitColumns, lexMarkdown, prelexed, renderMarkdown, terminalWidth, tokensFileOf, wrap } from '../../lib/report/markdown';
import { LABS } from '../../labs';
import { recordingIo } from './lifecycle/support';

const ANSI = /\u001b[[\]]/;
const SAMPLE = [
  '# Roll a baseline out',
  '',
  'Exam task statements **2.1** and **2.2**: run `doplab check demo` when *done*; see [the guide](https://docs.aws.amazon.com/guide.html) &amp; more.',
  '',
  '## Tasks',
  '',
  '1. **Create the StackSet.** Create a StackSet from `baseline.yaml` with **self-managed permissions**, using the',
  '   administration role and the execution role of the lab, and tag it `doplab:lab=demo`.',
  '2. **Roll it out.** Add stack instances in both regions.',
  '',
  '| check | passes when |',
  '| --- | --- |',
  '| stack-set-uses-lab-roles | an `ACTIVE`, self-managed StackSet in the deploy region uses the lab\'s administration role (by ARN) and execution role (by name) |',
  '| drift-detected | the latest drift detection found the StackSet `IN_SYNC` |',
  '',
  '```sh',
  'aws cloudformation describe-stacks --stack-name DopLab-demo',
  '```',
].join('\n');

/** Lines outside code blocks (which are never wrapped: they are copied and pasted). */
const proseLines = (text: string) => text.split('\n').filter((line) => !line.startsWith('    aws '));
const widest = (text: string) => Math.max(...proseLines(text).map((line) => Array.from(line).length));

describe('renderMarkdown, plain (stdout not a terminal, or --no-color)', () => {
  const text = renderMarkdown(SAMPLE, { color: false, width: 60 });

  it('prints text without Markdown syntax or ANSI escapes', () => {
    expect(text).not.toMatch(ANSI);
    expect(text).not.toContain('**');
    expect(text).not.toContain('`');
    expect(text).not.toMatch(/^\s*\|/m);
    expect(text).not.toContain('| --- |');
    expect(text).not.toContain('&amp;');
    expect(text.replace(/\s+/g, ' ')).toContain('Exam task statements 2.1 and 2.2: run doplab check demo when done; see the guide');
  });

  it('underlines headings instead of printing #', () => {
    expect(text).not.toMatch(/^#/m);
    expect(text).toContain('Roll a baseline out\n===================');
    expect(text).toContain('Tasks\n-----');
  });

  it('gives a link as its text and address', () => {
    expect(text.replace(/\n/g, ' ')).toContain('the guide (https://docs.aws.amazon.com/guide.html)');
  });

  it('wraps paragraphs, list items and table cells to the width, list items under their marker', () => {
    expect(widest(text)).toBeLessThanOrEqual(60);
    expect(text).toContain(
      [
        '  1. Create the StackSet. Create a StackSet from',
        '     baseline.yaml with self-managed permissions, using the',
        '     administration role and the execution role of the lab,',
        '     and tag it doplab:lab=demo.',
        '  2. Roll it out. Add stack instances in both regions.',
      ].join('\n'),
    );
  });

  it('draws the table with borders, each cell wrapped inside its column', () => {
    const table = text.slice(text.indexOf('┌'), text.indexOf('┘') + 1).split('\n');
    expect(table[0]).toMatch(/^┌─+┬─+┐$/);
    expect(table[1]).toMatch(/^│ check +│ passes when +│$/);
    expect(table).toContain(table.find((l) => l.startsWith('│ stack-set-uses-lab-roles │ an ACTIVE, self-managed')));
    expect(table.at(-1)).toMatch(/^└─+┴─+┘$/);
    // Every line of the table is as wide as its top border.
    expect(new Set(table.map((l) => Array.from(l).length)).size).toBe(1);
  });

  it('keeps code blocks whole and indented', () => {
    expect(text).toContain('\n    aws cloudformation describe-stacks --stack-name DopLab-demo');
  });

  it('wraps to another width', () => {
    const wide = renderMarkdown(SAMPLE, { color: false, width: 120 });
    expect(widest(wide)).toBeLessThanOrEqual(120);
    expect(widest(wide)).toBeGreaterThan(100);
  });
});

describe('renderMarkdown, at a terminal', () => {
  const text = renderMarkdown(SAMPLE, { color: true, width: 60 });

  it('styles instead of Markdown syntax: bold, code in yellow, bold table header', () => {
    expect(text).toContain('\u001b[1m2.1\u001b[22m');
    expect(text).toContain('\u001b[33mdoplab check demo\u001b[39m');
    expect(text).toContain('\u001b[1mcheck\u001b[22m');
    expect(text).not.toContain('**');
    expect(text).not.toContain('`');
  });

  it('wraps on visible width: escapes take no column', () => {
    const visible = text.replace(/\u001b\[[0-9;]*m|\u001b\]8;[^\u0007\u001b]*(?:\u0007|\u001b\\)/g, '');
    expect(widest(visible)).toBeLessThanOrEqual(60);
    expect(visible).toContain('  1. Create the StackSet. Create a StackSet from\n     baseline.yaml');
  });
});

describe('layout helpers', () => {
  it('fitColumns keeps natural widths that fit, and gives prose the room when they do not', () => {
    expect(fitColumns([10, 20], [5, 5], 40)).toEqual([10, 20]);
    // A names column (longest word 24) and a prose column: the names keep their words whole.
    const widths = fitColumns([24, 130], [24, 11], 70);
    expect(widths.reduce((a, b) => a + b, 0)).toBe(70);
    expect(widths[0]).toBe(24);
    // Nothing fits even the floors: the floors.
    expect(fitColumns([50, 50], [30, 30], 40)).toEqual([30, 30]);
  });

  it('wrap breaks between words and cuts a word longer than the width', () => {
    expect(wrap('one two three four', 9)).toBe('one two\nthree\nfour');
    expect(wrap('/doplab/artifact-repositories/scan', 12)).toBe('/doplab/arti\nfact-reposit\nories/scan');
    expect(wrap('\u001b[1mbold words\u001b[22m here', 10)).toBe('\u001b[1mbold words\u001b[22m\nhere');
    expect(wrap('\u001b[1mbold words\u001b[22m here', 9)).toBe('\u001b[1mbold\nwords\u001b[22m\nhere');
  });

  it('closeStyles keeps a style cut across lines off the borders: closed at the end of a line, reopened on the next', () => {
    expect(closeStyles(['\u001b[1m\u001b[33mDopLab-lambda', 'pricing\u001b[39m\u001b[22m here'])).toEqual([
      '\u001b[1m\u001b[33mDopLab-lambda\u001b[39m\u001b[22m',
      '\u001b[1m\u001b[33mpricing\u001b[39m\u001b[22m here',
    ]);
    expect(closeStyles(['plain', 'lines'])).toEqual(['plain', 'lines']);
  });

  it('drawTable pads every cell to its column', () => {
    expect(drawTable([['a', 'b'], ['long text', 'x']], [4, 1])).toBe(
      ['┌──────┬───┐', '│ a    │ b │', '├──────┼───┤', '│ long │ x │', '│ text │   │', '└──────┴───┘'].join('\n'),
    );
  });

  it("terminalWidth is the terminal's, 80 when not a terminal", () => {
    expect(terminalWidth({ isTTY: true, columns: 132 })).toBe(132);
    expect(terminalWidth({ isTTY: false, columns: 132 })).toBe(80);
    expect(terminalWidth({})).toBe(80);
  });
});

describe('doplab show on every lab', () => {
  it.each(LABS.map((lab) => [lab.id, lab] as const))('%s: plain text wrapped to 80 columns (the width when piped), every check id whole', (_id, lab) => {
    const io = recordingIo();
    expect(showLab(lab, io, { width: 80 })).toBe(0);
    const out = io.outText();
    expect(out.startsWith(`Lab ${lab.id} · exam tasks ${lab.taskStatements.join(', ')}`)).toBe(true);
    expect(out).not.toMatch(ANSI);
    expect(out).not.toMatch(/\*\*|^#+ |^\s*\|.*\|\s*$/m);
    const readme = readFileSync(lab.instructions, 'utf8');
    // Outside code blocks, every line fits.
    const fenced = new Set(readme.split('```').filter((_, i) => i % 2 === 1).flatMap((block) => block.split('\n').map((l) => `    ${l}`)));
    expect(out.split('\n').filter((l) => !fenced.has(l) && Array.from(l).length > 80)).toEqual([]);
    // Every check id of the "done" table is still there.
    for (const check of lab.checker.checks) expect(out).toContain(check.id);
  });
});

describe("the build's prelexed README tokens", () => {
  const dir = mkdtempSync(join(tmpdir(), 'doplab-prelexed-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(LABS.map((lab) => [lab.id, lab] as const))('%s: rendering its tokens, after a JSON round trip, gives what rendering its text gives', (_id, lab) => {
    const markdown = readFileSync(lab.instructions, 'utf8');
    const tokens = JSON.parse(JSON.stringify(lexMarkdown(markdown))) as ReturnType<typeof lexMarkdown>;
    for (const options of [{ color: false, width: 80 }, { color: true, width: 80 }, { color: false, width: 52 }, { color: true, width: 120 }]) {
      expect(renderMarkdown(markdown, { ...options, tokens })).toBe(renderMarkdown(markdown, options));
    }
  });

  it('are used only when they are the tokens of the text read: a README changed after the build is lexed again', () => {
    const readme = join(dir, 'README.md');
    writeFileSync(tokensFileOf(readme), JSON.stringify({ markdown: SAMPLE, tokens: lexMarkdown(SAMPLE) }));
    expect(tokensFileOf(readme)).toBe(join(dir, 'README.tokens.json'));
    expect(prelexed(readme, SAMPLE)).toEqual(JSON.parse(JSON.stringify(lexMarkdown(SAMPLE))));
    expect(prelexed(readme, `${SAMPLE}\n\nOne more line.`)).toBeUndefined();
    writeFileSync(tokensFileOf(readme), '{ not json');
    expect(prelexed(readme, SAMPLE)).toBeUndefined();
    expect(prelexed(join(dir, 'missing', 'README.md'), SAMPLE)).toBeUndefined();
  });
});
