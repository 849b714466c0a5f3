// The page of `doplab open` as HTML: every lab's README and checklist, with everything escaped.
import { readFileSync } from 'node:fs';
import type { LabResult } from '../../../lib/checker';
import { checkFactsFile } from '../../../lib/commands/check';
import { LABS } from '../../../labs';
import { codeBlock, diffResults, renderChecklistHtml, renderDeployment, renderPage, renderReadme } from '../../../lib/web/page';

const HOSTILE = '<script>alert("x")</script> & \'quoted\'';

function result(checks: Partial<LabResult['checks'][number]>[]): LabResult {
  return {
    lab: 'cloudwatch-metric-filters',
    account: '111122223333',
    region: 'eu-west-1',
    startedAt: '2026-11-23T10:00:00.000Z',
    durationMs: 5,
    source: 'aws',
    score: 0,
    maxScore: 10,
    checks: checks.map((c, i) => ({ id: `c${i}`, title: `check ${i}`, taskStatement: '4.1', status: 'FAIL', points: 0, maxPoints: 5, ...c })),
  };
}

describe('renderReadme', () => {
  it('renders tables, emphasis and code blocks with a copy button', () => {
    const html = renderReadme('# Title\n\n| a | b |\n| --- | --- |\n| **1** | `x<y` |\n\n```sh\ndoplab check lab --wait 10m\n```\n');
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<th>a</th>');
    expect(html).toContain('<td><strong>1</strong></td>');
    expect(html).toContain('<code>x&lt;y</code>');
    expect(html).toContain(
      '<div class="code"><button type="button" class="copy" title="Copy to the clipboard">Copy</button><pre><code class="language-sh">doplab check lab --wait 10m</code></pre></div>',
    );
  });

  it('escapes raw HTML, and keeps only http(s), mailto and in-page links', () => {
    const html = renderReadme(`${HOSTILE}\n\n<img src=x onerror=alert(1)>\n\n[a](javascript:alert(1)) [b](https://docs.aws.amazon.com/x "t") [c](#tasks) [d](../other.md) ![e](https://example.com/e.png)\n`);
    expect(html).toBe(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;\n\n&lt;img src=x onerror=alert(1)&gt;\n\n' +
        '<p>a <a href="https://docs.aws.amazon.com/x" title="t" target="_blank" rel="noopener noreferrer">b</a> <a href="#tasks">c</a> d e</p>\n',
    );
  });

  it('leaves the shared marked instance as it was', () => {
    const { marked }: typeof import('marked') = require('marked');
    renderReadme('```\nx\n```');
    expect(marked.parse('```\nx\n```', { async: false })).toBe('<pre><code>x\n</code></pre>\n');
  });

  it('escapes a code block and ignores a language that is not a plain word', () => {
    expect(codeBlock('<b>&</b>\n', 'sh" onclick="x')).toBe(
      '<div class="code"><button type="button" class="copy" title="Copy to the clipboard">Copy</button><pre><code>&lt;b&gt;&amp;&lt;/b&gt;</code></pre></div>\n',
    );
  });
});

describe('renderChecklistHtml', () => {
  it('escapes titles, evidence, hints and errors', () => {
    const html = renderChecklistHtml(
      result([
        { title: HOSTILE, evidence: { observed: HOSTILE, expected: HOSTILE, where: HOSTILE }, hint: HOSTILE },
        { status: 'ERROR', error: { code: 'ACCESS_DENIED', message: HOSTILE }, hint: 'not your fault' },
      ]),
      [],
    );
    expect(html).not.toContain('<script');
    expect(html.match(/&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &#39;quoted&#39;/g)).toHaveLength(6);
  });

  it('shows evidence and hints only under checks that did not pass, and marks what changed', () => {
    const html = renderChecklistHtml(
      result([
        { status: 'PASS', points: 5, evidence: { observed: 'seen', expected: 'wanted', where: 'here' } },
        { status: 'PENDING', evidence: { observed: 'alarm INSUFFICIENT_DATA', expected: 'OK', where: 'eu-west-1' }, hint: 'wait' },
      ]),
      [{ id: 'c0', from: 'FAIL', to: 'PASS' }],
    );
    expect(html).toContain('<li class="check PASS changed" data-id="c0" data-status="PASS"><div class="row"><span class="sym">✔</span><span class="title">check 0</span><span class="pts">5/5</span><span class="ts">4.1</span><span class="was">was FAIL</span></div></li>');
    expect(html).toContain('<span class="label">PENDING</span></div><dl><dt>observed</dt><dd>alarm INSUFFICIENT_DATA</dd><dt>expected</dt><dd>OK</dd><dt>where</dt><dd class="muted">eu-west-1</dd><dt>hint</dt><dd class="hint">wait</dd></dl>');
    expect(html).toContain('1 changed since the last check');
  });
});

describe('diffResults', () => {
  it('is empty on a first check, and lists status changes, new checks and changed evidence', () => {
    const before = result([{ status: 'FAIL' }, { status: 'PENDING', evidence: { observed: 'a', expected: 'x', where: 'w' } }, { status: 'PASS' }]);
    const after = result([{ status: 'PASS' }, { status: 'PENDING', evidence: { observed: 'b', expected: 'x', where: 'w' } }, { status: 'PASS' }, { status: 'FAIL' }]);
    expect(diffResults(undefined, after)).toEqual([]);
    expect(diffResults(before, after)).toEqual([
      { id: 'c0', from: 'FAIL', to: 'PASS' },
      { id: 'c1', from: 'PENDING', to: 'PENDING' },
      { id: 'c3', from: null, to: 'FAIL' },
    ]);
    expect(diffResults(after, after)).toEqual([]);
  });
});

describe('the page of every lab', () => {
  it.each(LABS.map((lab) => [lab.id, lab]))('%s: README, facts, cost and every check, with no per-lab code', (_id, lab) => {
    const { result: solved } = checkFactsFile(lab, lab.examples.solved);
    const html = renderPage({ lab, mode: 'facts', commands: [{ label: 'Deploy', command: `doplab deploy ${lab.id}` }], initial: { result: solved, changes: [] }, recheckMs: 30_000, nonce: 'n0nce' }, renderReadme(readFileSync(lab.instructions, 'utf8')));
    const heading = /^# (.+)$/m.exec(readFileSync(lab.instructions, 'utf8'))![1];
    expect(html).toContain(`<h1>${heading.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')}</h1>`);
    expect(html).toContain(`$${lab.cost.usdPerHour.toFixed(4)} per hour`);
    for (const t of lab.taskStatements) expect(html).toContain(`<li><b>${t}</b>`);
    expect(solved.checks.map((c) => c.id)).toEqual(lab.checker.checks.map((c) => c.id));
    for (const c of solved.checks) expect(html).toContain(`data-id="${c.id}" data-status="${c.optional ? c.status : 'PASS'}"`);
    // Self-contained: no URL to fetch; the only scripts and styles are the two inline ones with the nonce.
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)="(https?:)?\/\//i);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('<script nonce="n0nce">');
    expect(html.match(/<style/g)).toHaveLength(1);
    expect(html).not.toMatch(/ style="/);
    // The README as HTML, not Markdown.
    expect(html).not.toMatch(/\*\*\S/);
    expect(html).not.toMatch(/^\|.*\|$/m);
  });
});

describe('renderDeployment', () => {
  const lab = LABS[0];
  it('says where the lab is and escapes what it shows', () => {
    expect(renderDeployment({ kind: 'not-deployed', account: '111122223333', region: 'eu-west-1' }, lab)).toBe(
      `<p><b>Not deployed</b> in account 111122223333, eu-west-1. Deploy it with the command below (about ${lab.deployMinutes} min).</p>`,
    );
    const error = renderDeployment({ kind: 'error', error: { code: 'EXPIRED_CREDENTIALS', message: HOSTILE, hint: 'Log in again.' } }, lab);
    expect(error).not.toContain('<script');
    expect(error).toContain('<p class="hint">Log in again.</p>');
    const offline = renderDeployment({ kind: 'offline', path: '/tmp/<f>.json', account: '1', region: 'r', gatheredAt: 't' }, lab);
    expect(offline).toContain('<code>/tmp/&lt;f&gt;.json</code>');
  });

  it('shows an expired lab as overdue and a lab without expiry as such', () => {
    const status = { lab: lab.id, region: 'eu-west-1', stackStatus: 'CREATE_COMPLETE', createdAt: 'x', ageMs: 3_600_000, expiresAt: 'y', msLeft: -300_000, expired: true, costSoFarUsd: 0.5, checkPassed: null, deletionFailed: null };
    expect(renderDeployment({ kind: 'deployed', account: '1', status }, lab)).toContain('<dd id="expires-in">overdue by 5m 00s</dd>');
    expect(renderDeployment({ kind: 'deployed', account: '1', status: { ...status, msLeft: null, expiresAt: null } }, lab)).toContain('no expiry (deployed with --ttl none)');
  });
});
