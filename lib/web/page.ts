// The learner's page of `doplab open`: the lab's README, its facts, where it is deployed and the checklist,
// as one self-contained HTML document (inline CSS and script, nothing fetched but the page's own API).
// Every piece of text that reaches the HTML goes through escapeHtml; the README through marked with raw
// HTML escaped and links limited to http(s), mailto and in-page anchors.
import type { CheckResult, LabResult, Status } from '../checker';
import type { LabStatus } from '../commands/status';
import { formatAge } from '../commands/status';
import { DOP_C02_DOMAINS } from '../exam';
import { anyPending } from '../engine';
import type { ErrorInfo } from '../errors';
import type { AnyLab } from '../registry';
import { SYMBOL, formatPoints, summaryLine } from '../report/terminal';
import { PAGE_CSS, PAGE_SCRIPT } from './assets';
import { escapeHtml as esc } from './escape';

/** Where the page's lab is, as the deployment panel shows it. */
export type DeploymentView =
  | { readonly kind: 'deployed'; readonly account: string; readonly status: LabStatus }
  | { readonly kind: 'not-deployed'; readonly account: string; readonly region: string }
  | { readonly kind: 'offline'; readonly path: string; readonly account: string; readonly region: string; readonly gatheredAt: string }
  | { readonly kind: 'error'; readonly error: ErrorInfo };

/** A command the page shows for the learner to run (the page itself never deploys or destroys). */
export interface ShownCommand {
  readonly label: string;
  readonly command: string;
}

/** How a check's result differs from the previous check's. */
export interface CheckChange {
  readonly id: string;
  /** The status before, or null when the check was not in the previous result. */
  readonly from: Status | null;
  readonly to: Status;
}

/** Everything the page is rendered from. */
export interface PageModel {
  readonly lab: AnyLab;
  readonly mode: 'live' | 'facts';
  readonly commands: readonly ShownCommand[];
  /** The checklist to show before the first Check (a saved result in offline mode). */
  readonly initial?: { readonly result: LabResult; readonly changes: readonly CheckChange[] };
  /** Pause before re-checking while anything is PENDING, in milliseconds. */
  readonly recheckMs: number;
  /** The Content-Security-Policy nonce of this response's inline style and script. */
  readonly nonce: string;
}

/** The checks whose status or observed evidence differ from the previous result (none on a first check). */
export function diffResults(previous: LabResult | undefined, next: LabResult): CheckChange[] {
  if (!previous) return [];
  const before = new Map(previous.checks.map((c) => [c.id, c]));
  return next.checks.flatMap((c) => {
    const old = before.get(c.id);
    if (old && old.status === c.status && old.evidence?.observed === c.evidence?.observed) return [];
    return [{ id: c.id, from: old?.status ?? null, to: c.status }];
  });
}

/** The lab's README as HTML: GitHub-flavoured Markdown (tables), code blocks with a copy button. */
export function renderReadme(markdown: string): string {
  // Loaded on first use: `list` and `show` never pay for it. An instance, so the shared `marked` keeps its defaults.
  const { Marked }: typeof import('marked') = require('marked');
  const marked = new Marked({
    gfm: true,
    renderer: {
      code: ({ text, lang }) => codeBlock(text, lang),
      html: ({ text }) => esc(text),
      link({ href, title, tokens }) {
        const text = this.parser.parseInline(tokens);
        if (!/^(https?:|mailto:|#)/i.test(href)) return text;
        const external = !href.startsWith('#');
        return `<a href="${esc(href)}"${title ? ` title="${esc(title)}"` : ''}${external ? ' target="_blank" rel="noopener noreferrer"' : ''}>${text}</a>`;
      },
      // The page fetches nothing but its own API: an image shows as its alt text.
      image: ({ text }) => esc(text),
    },
  });
  return marked.parse(markdown, { async: false });
}

/** A code block with a copy button; `lang` becomes a class only when it is a plain word. */
export function codeBlock(text: string, lang?: string): string {
  const language = lang && /^[\w+-]+$/.test(lang) ? ` class="language-${lang}"` : '';
  return `<div class="code"><button type="button" class="copy" title="Copy to the clipboard">Copy</button><pre><code${language}>${esc(text.replace(/\n$/, ''))}</code></pre></div>\n`;
}

/** The checklist before any check: every check with its points, not yet run. */
export function renderUncheckedList(lab: AnyLab): string {
  const rows = lab.checker.checks.map(
    (c) =>
      `<li class="check NOT_CHECKED" data-id="${esc(c.id)}" data-status="NOT_CHECKED"><div class="row"><span class="sym">·</span>` +
      `<span class="title">${esc(c.title)}</span><span class="pts">–/${formatPoints(c.points)}</span><span class="ts">${esc(c.taskStatement)}</span>` +
      `${c.optional ? '<span class="opt">optional, extra points</span>' : ''}</div></li>`,
  );
  return `<p class="score" id="score">Not checked yet: press <b>Check</b>.</p><ol class="checks">${rows.join('')}</ol>`;
}

/** The checklist of a result, as the terminal shows it (statuses, points, evidence, hints), with changes marked. */
export function renderChecklistHtml(result: LabResult, changes: readonly CheckChange[]): string {
  const changed = new Map(changes.map((c) => [c.id, c]));
  const origin = result.source === 'facts-file' ? 'saved facts' : 'live';
  const rows = result.checks.map((check) => checkRow(check, changed.get(check.id)));
  const when = new Date(result.startedAt);
  return (
    `<p class="score" id="score"><b>${esc(summaryLine(result, { color: false }))}</b></p>` +
    `<p class="muted">account ${esc(result.account)}, ${esc(result.region)} (${origin}) · checked <time datetime="${esc(result.startedAt)}">${esc(when.toLocaleTimeString('en-GB'))}</time>` +
    `${changes.length ? ` · <span class="changed-note">${changes.length} changed since the last check</span>` : ''}</p>` +
    `<ol class="checks">${rows.join('')}</ol>`
  );
}

function checkRow(check: CheckResult, change: CheckChange | undefined): string {
  const label = check.status === 'PASS' || check.status === 'FAIL' ? '' : `<span class="label">${check.status}</span>`;
  const was = change ? `<span class="was">${change.from === null ? 'new' : change.from === change.to ? 'evidence changed' : `was ${change.from}`}</span>` : '';
  const details: string[] = [];
  if (check.status !== 'PASS') {
    if (check.error) details.push(`<dt>error</dt><dd>${esc(check.error.message)}</dd>`);
    if (check.evidence && check.status !== 'SKIPPED') {
      details.push(`<dt>observed</dt><dd>${esc(check.evidence.observed)}</dd>`);
      details.push(`<dt>expected</dt><dd>${esc(check.evidence.expected)}</dd>`);
      details.push(`<dt>where</dt><dd class="muted">${esc(check.evidence.where)}</dd>`);
    }
    if (check.hint) details.push(`<dt>hint</dt><dd class="hint">${esc(check.hint)}</dd>`);
  }
  return (
    `<li class="check ${check.status}${change ? ' changed' : ''}" data-id="${esc(check.id)}" data-status="${check.status}">` +
    `<div class="row"><span class="sym">${SYMBOL[check.status]}</span><span class="title">${esc(check.title)}</span>` +
    `<span class="pts">${formatPoints(check.points)}/${formatPoints(check.maxPoints)}</span><span class="ts">${esc(check.taskStatement)}</span>` +
    `${label}${check.optional ? '<span class="opt">optional, extra points</span>' : ''}${was}</div>` +
    `${details.length ? `<dl>${details.join('')}</dl>` : ''}</li>`
  );
}

/** A check that could not run at all (lab not deployed, credentials expired…): what happened and what to do. */
export function renderCheckError(error: ErrorInfo): string {
  return `<p class="error"><b>Could not check:</b> ${esc(error.message)}</p>${error.hint ? `<p class="hint">${esc(error.hint)}</p>` : ''}`;
}

/** The deployment panel: deployed here or not, time left before expiry, cost so far. */
export function renderDeployment(view: DeploymentView, lab: AnyLab): string {
  switch (view.kind) {
    case 'offline':
      return (
        `<p><b>Offline</b>: a saved result, no AWS calls. <b>Check</b> reads the file again.</p>` +
        `<dl><dt>file</dt><dd><code>${esc(view.path)}</code></dd><dt>gathered</dt><dd>${esc(view.gatheredAt)} in account ${esc(view.account)}, ${esc(view.region)}</dd></dl>`
      );
    case 'error':
      return `<p class="error"><b>Could not read the deployment:</b> ${esc(view.error.message)}</p>${view.error.hint ? `<p class="hint">${esc(view.error.hint)}</p>` : ''}`;
    case 'not-deployed':
      return `<p><b>Not deployed</b> in account ${esc(view.account)}, ${esc(view.region)}. Deploy it with the command below (about ${lab.deployMinutes} min).</p>`;
    case 'deployed': {
      const s = view.status;
      const left = s.msLeft === null ? 'no expiry (deployed with --ttl none)' : s.msLeft > 0 ? formatAge(s.msLeft) : `overdue by ${formatAge(-s.msLeft)}`;
      const cost = s.costSoFarUsd === null ? '?' : `$${s.costSoFarUsd.toFixed(4)}`;
      return (
        `<p><b>Deployed</b> in account ${esc(view.account)}, ${esc(s.region)}: <code>${esc(s.stackStatus)}</code></p>` +
        `<dl><dt>age</dt><dd>${esc(formatAge(s.ageMs))}</dd><dt>expires in</dt><dd id="expires-in">${esc(left)}</dd>` +
        `<dt>cost so far</dt><dd id="cost-so-far">${esc(cost)} <span class="muted">(hours deployed × $${lab.cost.usdPerHour.toFixed(4)}/h)</span></dd>` +
        `<dt>check passed</dt><dd>${s.checkPassed ? `${formatPoints(s.checkPassed.score)}/${formatPoints(s.checkPassed.maxScore)} at ${esc(s.checkPassed.at)}` : 'not yet'}</dd></dl>`
      );
    }
  }
}

function taskTitle(id: string): string {
  for (const d of DOP_C02_DOMAINS) {
    const t = d.taskStatements.find((x) => x.id === id);
    if (t) return `Domain ${d.number} · ${t.title}`;
  }
  return '';
}

/** The whole page. */
export function renderPage(model: PageModel, readme: string): string {
  const { lab } = model;
  const tasks = lab.taskStatements.map((t) => `<li><b>${esc(t)}</b> ${esc(taskTitle(t))}</li>`).join('');
  const costRows = lab.cost.items.map((i) => `<tr><td>${esc(i.resource)}</td><td class="num">$${i.usdPerHour.toFixed(4)}</td><td>${esc(i.basis)}</td></tr>`).join('');
  const commands = model.commands.map((c) => `<h3>${esc(c.label)}</h3>${codeBlock(c.command, 'sh')}`).join('');
  const checklist = model.initial ? renderChecklistHtml(model.initial.result, model.initial.changes) : renderUncheckedList(lab);
  const live = model.mode === 'live';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,">
<title>${esc(lab.id)} · doplab</title><style nonce="${model.nonce}">${PAGE_CSS}</style></head>
<body data-recheck-ms="${model.recheckMs}" data-mode="${model.mode}" data-pending="${model.initial && anyPending(model.initial.result) ? 1 : 0}">
<header><span class="brand">doplab</span> <span class="lab-id">${esc(lab.id)}</span> <span class="muted">${live ? 'live: checks read your AWS account (read-only)' : 'offline: a saved result'}</span></header>
<main>
<article id="readme">
<section id="facts" class="card"><h2>At a glance</h2><p>${esc(lab.summary)}</p>
<dl class="facts"><dt>exam tasks</dt><dd><ul class="tasks">${tasks}</ul></dd>
<dt>level</dt><dd>${esc(lab.difficulty)} · about ${lab.minutes} min of work · deploys in about ${lab.deployMinutes} min</dd>
<dt>cost</dt><dd><b id="cost-per-hour">$${lab.cost.usdPerHour.toFixed(4)} per hour</b> while deployed
<details><summary>breakdown</summary><table class="cost"><thead><tr><th>resource</th><th>$/hour</th><th>basis</th></tr></thead><tbody>${costRows}</tbody></table><p class="muted">${esc(lab.cost.pricing)}</p></details></dd></dl></section>
<section id="instructions">${readme}</section>
</article>
<aside id="side">
<section class="card"><h2>Deployment</h2><div id="deployment"><p class="muted">Reading…</p></div></section>
<section class="card" id="check-card"><h2>Checklist</h2>
<div class="controls"><button type="button" id="check">Check</button>
<label><input type="checkbox" id="auto" checked> re-check every ${Math.round(model.recheckMs / 1000)} s while anything is PENDING</label></div>
<p id="check-note" class="muted" aria-live="polite"></p><div id="check-error"></div>
<div id="checklist">${checklist}</div></section>
<section class="card" id="commands"><h2>Commands</h2><p class="muted">This page only reads. Run these in a terminal:</p>${commands}</section>
</aside>
</main>
<script nonce="${model.nonce}">${PAGE_SCRIPT}</script>
</body></html>
`;
}
