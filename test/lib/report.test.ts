import { create } from 'xmlbuilder2';
import type { CheckResult, LabResult } from '../../lib/checker';
import { renderJUnit } from '../../lib/report/junit';
import { renderChecklist, summaryLine } from '../../lib/report/terminal';

const ANSI = /\u001b\[/;

const checks: CheckResult[] = [
  {
    id: 'filter-counts-errors',
    title: 'Metric filter counts ERROR lines',
    taskStatement: '4.1',
    status: 'PASS',
    points: 0.5,
    maxPoints: 0.5,
    evidence: { observed: 'PASS-OBSERVED matched 3 of 3 ERROR lines', expected: 'PASS-EXPECTED', where: 'PASS-WHERE' },
  },
  {
    id: 'retention-set',
    title: 'Log group keeps events for 14 days',
    taskStatement: '4.1',
    status: 'FAIL',
    points: 0,
    maxPoints: 1,
    evidence: {
      observed: 'retention is <never expire> & "unset"',
      expected: 'retentionInDays = 14',
      where: 'log group /doplab/orders-api in eu-west-1',
    },
    hint: 'Log groups keep events forever unless told otherwise.',
  },
  {
    id: 'alarm-receiving-data',
    title: 'Alarm is receiving data',
    taskStatement: '4.2',
    status: 'PENDING',
    points: 0,
    maxPoints: 1.25,
    evidence: { observed: 'alarm errors-alarm is INSUFFICIENT_DATA', expected: 'OK or ALARM', where: 'alarm errors-alarm in eu-west-1' },
    hint: 'Metrics take a few minutes to arrive.',
  },
  {
    id: 'alarm-notifies-topic',
    title: 'Alarm notifies the lab topic',
    taskStatement: '4.2',
    status: 'ERROR',
    points: 0,
    maxPoints: 1,
    error: { code: 'ACCESS_DENIED', message: 'Access denied: cloudwatch:DescribeAlarms in eu-west-1 is not allowed.', action: 'cloudwatch:DescribeAlarms' },
    hint: 'Allow cloudwatch:DescribeAlarms for the identity you use.',
  },
  {
    id: 'filter-publishes-metric',
    title: 'Filter publishes DopLab/OrdersApi ErrorCount',
    taskStatement: '4.2',
    status: 'SKIPPED',
    points: 0,
    maxPoints: 1.25,
    hint: 'Needs filter-counts-errors to pass first.',
  },
];

const result: LabResult = {
  lab: 'cloudwatch-metric-filters',
  account: '123456789012',
  region: 'eu-west-1',
  startedAt: '2026-11-23T10:00:00.000Z',
  durationMs: 1234,
  source: 'aws',
  score: 0.5,
  maxScore: 5,
  checks,
};

describe('renderChecklist', () => {
  const plain = renderChecklist(result, { color: false });
  const lines = plain.split('\n');

  it('has no ANSI escapes without colour', () => {
    expect(plain).not.toMatch(ANSI);
  });

  it('uses colour when asked', () => {
    expect(renderChecklist(result, { color: true })).toMatch(ANSI);
  });

  it('names the lab, the account, the region and where the facts came from', () => {
    expect(lines[0]).toBe('cloudwatch-metric-filters — account 123456789012, eu-west-1 (live)');
    expect(renderChecklist({ ...result, source: 'facts-file' }, { color: false }).split('\n')[0]).toBe(
      'cloudwatch-metric-filters — account 123456789012, eu-west-1 (saved facts)',
    );
  });

  it('shows one line per check with its symbol, points, task statement and, unless PASS or FAIL, its status', () => {
    const checkLines = lines.filter((l) => /^ {2}\S/.test(l));
    expect(checkLines).toEqual([
      '  ✔ Metric filter counts ERROR lines              0.5/0.5  [4.1]',
      '  ✘ Log group keeps events for 14 days                0/1  [4.1]',
      '  … Alarm is receiving data                        0/1.25  [4.2] PENDING',
      '  ! Alarm notifies the lab topic                      0/1  [4.2] ERROR',
      '  - Filter publishes DopLab/OrdersApi ErrorCount   0/1.25  [4.2] SKIPPED',
    ]);
    // Fractional points wider than 5 characters keep the task-statement column aligned.
    expect(new Set(checkLines.map((l) => l.indexOf('['))).size).toBe(1);
  });

  it('shows evidence and hints only under checks that did not pass', () => {
    expect(plain).not.toContain('PASS-OBSERVED');
    expect(plain).not.toContain('PASS-EXPECTED');
    expect(plain).not.toContain('PASS-WHERE');
    const failed = lines.findIndex((l) => l.startsWith('  ✘ Log group keeps events for 14 days'));
    expect(failed).toBeGreaterThan(0);
    expect(lines.slice(failed + 1, failed + 5)).toEqual([
      '      observed: retention is <never expire> & "unset"',
      '      expected: retentionInDays = 14',
      '      where:    log group /doplab/orders-api in eu-west-1',
      '      hint:     Log groups keep events forever unless told otherwise.',
    ]);
  });

  it('shows what is awaited under a pending check', () => {
    expect(plain).toContain('      observed: alarm errors-alarm is INSUFFICIENT_DATA\n      expected: OK or ALARM');
    expect(plain).toContain('      hint:     Metrics take a few minutes to arrive.');
  });

  it('shows the error and its hint under an errored check', () => {
    const errored = lines.findIndex((l) => l.startsWith('  ! '));
    expect(lines.slice(errored + 1, errored + 3)).toEqual([
      '      error:    Access denied: cloudwatch:DescribeAlarms in eu-west-1 is not allowed.',
      '      hint:     Allow cloudwatch:DescribeAlarms for the identity you use.',
    ]);
  });

  it('shows only the reason under a skipped check', () => {
    const skipped = lines.findIndex((l) => l.startsWith('  - '));
    expect(lines.slice(skipped + 1)).toEqual(['      hint:     Needs filter-counts-errors to pass first.', '', expect.stringMatching(/^Score/)]);
  });

  it('ends with the score line', () => {
    expect(lines.at(-1)).toBe('Score 0.5/5 — 1 passed, 1 failed, 1 pending, 1 errors, 1 skipped');
  });
});

describe('summaryLine', () => {
  it('leaves out statuses that did not occur', () => {
    const passed: LabResult = { ...result, score: 0.5, maxScore: 0.5, checks: [checks[0]] };
    expect(summaryLine(passed, { color: false })).toBe('Score 0.5/0.5 — 1 passed, 0 failed');
  });

  it('counts an optional check apart from the required ones', () => {
    const required = { ...checks[0], status: 'PASS' as const };
    const open = { ...checks[1], id: 'hook', status: 'FAIL' as const, optional: true };
    const done = { ...checks[1], id: 'hook2', status: 'PASS' as const, optional: true };
    expect(summaryLine({ ...result, score: 0.5, maxScore: 0.5, checks: [required, open] }, { color: false })).toBe(
      'Score 0.5/0.5 — 1 passed, 0 failed, 1 optional open',
    );
    expect(summaryLine({ ...result, score: 1, maxScore: 0.5, checks: [required, done] }, { color: false })).toBe(
      'Score 1/0.5 — 1 passed, 0 failed, 1 optional passed',
    );
  });

  it('prints fractional scores without float noise', () => {
    expect(summaryLine({ ...result, score: 0.1 + 0.2, maxScore: 5 }, { color: false })).toMatch(/^Score 0\.3\/5 /);
  });
});

// xmlbuilder2's parser is lenient (it accepts `<a><b></a>` and a bare `&`), so well-formedness is
// checked by this strict little tokenizer, and values are read back through xmlbuilder2's DOM.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;
const ENTITY = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
const START_TAG = /^<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*"[^"<]*")*)\s*(\/?)>$/;

/** Throws unless `xml` is a well-formed XML 1.0 document (no DTD, comments or CDATA expected). */
function assertWellFormed(xml: string): void {
  if (NOT_XML_CHAR.test(xml)) throw new Error(`character not allowed in XML 1.0 at ${xml.search(NOT_XML_CHAR)}`);
  const body = xml.replace(/^<\?xml[^?]*\?>/, '');
  const open: string[] = [];
  let roots = 0;
  for (const [token] of body.matchAll(/<[^>]*>|[^<]+/g)) {
    if (!token.startsWith('<')) {
      if (ENTITY.test(token)) throw new Error(`bare & in text: ${token}`);
      if (open.length === 0 && token.trim() !== '') throw new Error(`text outside the root: ${token}`);
      continue;
    }
    const close = /^<\/([A-Za-z_][\w.-]*)\s*>$/.exec(token);
    if (close) {
      if (open.pop() !== close[1]) throw new Error(`unbalanced ${token}`);
      continue;
    }
    const start = START_TAG.exec(token);
    if (!start) throw new Error(`malformed tag ${token}`);
    if (ENTITY.test(start[2])) throw new Error(`bare & in attributes of ${token}`);
    if (open.length === 0) roots += 1;
    if (!start[3]) open.push(start[1]);
  }
  if (open.length > 0) throw new Error(`unclosed ${open.join(', ')}`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
}

/** The parts of xmlbuilder2's DOM the tests read. */
interface XmlElement {
  readonly tagName: string;
  readonly textContent: string | null;
  readonly children: ArrayLike<XmlElement>;
  getAttribute(name: string): string | null;
  getElementsByTagName(name: string): ArrayLike<XmlElement>;
}

function parse(xml: string): XmlElement {
  assertWellFormed(xml);
  return create(xml).root().node as unknown as XmlElement;
}

const attrs = (element: XmlElement, ...names: string[]) => Object.fromEntries(names.map((n) => [n, element.getAttribute(n)]));
const all = (element: XmlElement, tag: string) => Array.from(element.getElementsByTagName(tag));
const childrenOf = (element: XmlElement) => Array.from(element.children);

describe('the strict XML check used here', () => {
  it.each(['<a><b></a>', '<a>&</a>', '<a x="<"/>', '<a/><b/>', '<a>\u001b</a>', '<a x=1/>'])('rejects %j', (xml) => {
    expect(() => assertWellFormed(xml)).toThrow();
  });

  it('accepts a document with entities, attributes and nesting', () => {
    expect(() => assertWellFormed('<?xml version="1.0"?>\n<a x="&quot;1&quot;"><b/>t &amp; &#38; &lt;u&gt;</a>')).not.toThrow();
  });
});

describe('renderJUnit', () => {
  const other: LabResult = { ...result, lab: 'backup-dr', account: '210987654321', durationMs: 766, checks: [checks[0], checks[1]] };
  const xml = renderJUnit([result, other]);
  const root = parse(xml);
  const suites = all(root, 'testsuite');

  it('is a well-formed XML document with a declaration', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(root.tagName).toBe('testsuites');
  });

  it('counts tests, failures (FAIL and PENDING), errors and skipped over all labs', () => {
    expect(attrs(root, 'name', 'tests', 'failures', 'errors', 'skipped', 'time')).toEqual({
      name: 'doplab',
      tests: '7',
      failures: '3',
      errors: '1',
      skipped: '1',
      time: '2.000',
    });
  });

  it('writes one testsuite per lab result with its own counts and score', () => {
    expect(suites).toHaveLength(2);
    expect(attrs(suites[0], 'name', 'tests', 'failures', 'errors', 'skipped', 'timestamp', 'time')).toEqual({
      name: 'cloudwatch-metric-filters (123456789012 eu-west-1)',
      tests: '5',
      failures: '2',
      errors: '1',
      skipped: '1',
      timestamp: '2026-11-23T10:00:00.000Z',
      time: '1.234',
    });
    expect(attrs(suites[1], 'name', 'tests', 'failures', 'errors', 'skipped')).toEqual({
      name: 'backup-dr (210987654321 eu-west-1)',
      tests: '2',
      failures: '1',
      errors: '0',
      skipped: '0',
    });
    expect(all(suites[0], 'property').map((p) => attrs(p, 'name', 'value'))).toEqual([
      { name: 'score', value: '0.5' },
      { name: 'maxScore', value: '5' },
    ]);
  });

  it('writes one testcase per check, named by id and title, classed by lab and task statement', () => {
    const cases = all(suites[0], 'testcase');
    expect(cases.map((c) => attrs(c, 'classname', 'name'))).toEqual([
      { classname: 'cloudwatch-metric-filters.4.1', name: 'filter-counts-errors: Metric filter counts ERROR lines' },
      { classname: 'cloudwatch-metric-filters.4.1', name: 'retention-set: Log group keeps events for 14 days' },
      { classname: 'cloudwatch-metric-filters.4.2', name: 'alarm-receiving-data: Alarm is receiving data' },
      { classname: 'cloudwatch-metric-filters.4.2', name: 'alarm-notifies-topic: Alarm notifies the lab topic' },
      { classname: 'cloudwatch-metric-filters.4.2', name: 'filter-publishes-metric: Filter publishes DopLab/OrdersApi ErrorCount' },
    ]);
    const [pass, fail, pending, error, skipped] = cases.map(childrenOf);
    expect(pass).toEqual([]);
    expect(fail.map((e) => [e.tagName, e.getAttribute('type')])).toEqual([['failure', 'FAIL']]);
    expect(pending.map((e) => [e.tagName, e.getAttribute('type'), e.getAttribute('message')])).toEqual([
      ['failure', 'PENDING', 'alarm errors-alarm is INSUFFICIENT_DATA'],
    ]);
    expect(error.map((e) => [e.tagName, e.getAttribute('type'), e.getAttribute('message')])).toEqual([
      ['error', 'ACCESS_DENIED', 'Access denied: cloudwatch:DescribeAlarms in eu-west-1 is not allowed.'],
    ]);
    expect(error[0].textContent).toBe(
      'error: Access denied: cloudwatch:DescribeAlarms in eu-west-1 is not allowed.\nhint: Allow cloudwatch:DescribeAlarms for the identity you use.',
    );
    expect(skipped.map((e) => [e.tagName, e.getAttribute('message')])).toEqual([['skipped', 'Needs filter-counts-errors to pass first.']]);
  });

  it('escapes <, & and " in evidence, and they read back unchanged', () => {
    expect(xml).toContain('message="retention is &lt;never expire&gt; &amp; &quot;unset&quot;"');
    expect(xml).toContain('observed: retention is &lt;never expire&gt; &amp; "unset"');
    const failure = childrenOf(all(suites[0], 'testcase')[1])[0];
    expect(failure.getAttribute('message')).toBe('retention is <never expire> & "unset"');
    expect(failure.textContent).toBe(
      'observed: retention is <never expire> & "unset"\n' +
        'expected: retentionInDays = 14\n' +
        'where: log group /doplab/orders-api in eu-west-1\n' +
        'hint: Log groups keep events forever unless told otherwise.',
    );
  });

  it('drops terminal colours and replaces characters XML cannot hold, so the report stays well-formed', () => {
    const control: LabResult = {
      ...result,
      checks: [{ ...checks[1], evidence: { ...checks[1].evidence!, observed: 'line \u001b[31mERROR\u001b[0m with a \u0000 byte' } }],
    };
    const failure = all(parse(renderJUnit([control])), 'failure')[0];
    expect(failure.getAttribute('message')).toBe('line ERROR with a \ufffd byte');
    expect(failure.textContent).toContain('observed: line ERROR with a \ufffd byte');
  });

  it('writes an empty testsuites element for no results', () => {
    const empty = parse(renderJUnit([]));
    expect(attrs(empty, 'tests', 'failures', 'errors', 'skipped', 'time')).toEqual({ tests: '0', failures: '0', errors: '0', skipped: '0', time: '0.000' });
    expect(childrenOf(empty)).toEqual([]);
  });
});
