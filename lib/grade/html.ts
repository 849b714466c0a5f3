// The class report: one self-contained HTML file (inline CSS and JS, no URL to fetch), readable offline.
import type { Status, TaskStatement } from '../checker';
import { DOP_C02_DOMAINS } from '../exam';
import type { AnyLab } from '../registry';
import { escapeHtml } from '../web/escape';
import type { LearnerRow } from './reports';

/** The class-wide numbers the report opens with. */
export interface HtmlSummary {
  readonly generatedAt: string;
  readonly learners: number;
  readonly passedAll: number;
  readonly notGraded: number;
  /** Learners per tenth of the score: [0-10 %, 10-20 %, …, 90-100 %]. */
  readonly buckets: readonly number[];
  readonly mastery: readonly { readonly taskStatement: TaskStatement; readonly earned: number; readonly max: number }[];
  /** Checks that did not pass for someone, most often first. */
  readonly failing: readonly {
    readonly lab: string;
    readonly id: string;
    readonly title: string;
    readonly hint: string;
    readonly taskStatement: TaskStatement;
    readonly counts: Readonly<Record<Status, number>>;
  }[];
}

const SYMBOL: Readonly<Record<Status | 'NOT_GRADED', string>> = { PASS: '✔', FAIL: '✘', PENDING: '…', ERROR: '!', SKIPPED: '–', NOT_GRADED: '?' };

const esc = escapeHtml;

function pct(earned: number, max: number): number {
  return max > 0 ? Math.round((earned / max) * 1000) / 10 : 0;
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d2430}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse}th,td{padding:2px 6px;border:1px solid #d6dae0}
.heat td.c{text-align:center;width:1.6em;font-weight:bold}
.PASS{background:#2f9e44;color:#fff}.FAIL{background:#e03131;color:#fff}.PENDING{background:#f59f00;color:#222}
.ERROR{background:#5c5f66;color:#fff}.SKIPPED{background:#ced4da;color:#222}.NOT_GRADED{background:#fff;color:#999}
th.sort{cursor:pointer;text-decoration:underline dotted}
.bar{display:inline-block;height:12px;background:#1971c2;vertical-align:middle}
.hint{color:#495057;font-size:.92em}.muted{color:#868e96}
.controls{margin:.6em 0}.controls input,.controls select{margin-right:1em}
`;

const SCRIPT = `
(function(){
  var table=document.getElementById('heatmap'),body=table.tBodies[0];
  var filter=document.getElementById('filter'),show=document.getElementById('show'),count=document.getElementById('shown');
  function apply(){
    var q=filter.value.trim().toLowerCase(),mode=show.value,n=0;
    Array.prototype.forEach.call(body.rows,function(r){
      var ok=r.getAttribute('data-learner').toLowerCase().indexOf(q)>=0&&(mode==='all'||(mode==='passed')===(r.getAttribute('data-passed')==='yes'));
      r.style.display=ok?'':'none';if(ok)n++;
    });
    count.textContent=n;
  }
  function sortBy(key,numeric){
    var rows=Array.prototype.slice.call(body.rows),dir=table.getAttribute('data-sort')===key+':asc'?'desc':'asc';
    rows.sort(function(a,b){
      var x=a.getAttribute('data-'+key),y=b.getAttribute('data-'+key);
      var c=numeric?Number(x)-Number(y):x.localeCompare(y);
      return dir==='asc'?c:-c;
    });
    rows.forEach(function(r){body.appendChild(r);});
    table.setAttribute('data-sort',key+':'+dir);
  }
  filter.addEventListener('input',apply);show.addEventListener('change',apply);
  Array.prototype.forEach.call(table.querySelectorAll('th.sort'),function(th){
    th.addEventListener('click',function(){sortBy(th.getAttribute('data-key'),th.getAttribute('data-numeric')==='1');});
  });
  apply();
})();
`;

/** The report up to the heatmap's rows: summary, distribution, mastery, common failures, heatmap header. */
export function renderHtmlStart(labs: readonly AnyLab[], s: HtmlSummary): string {
  const maxBucket = Math.max(1, ...s.buckets);
  const distribution = s.buckets
    .map((n, i) => `<tr><td>${i * 10}–${i === 9 ? 100 : i * 10 + 10} %</td><td><span class="bar" style="width:${Math.round((n / maxBucket) * 300)}px"></span> ${n}</td></tr>`)
    .join('');
  const earned = new Map(s.mastery.map((m) => [m.taskStatement, m]));
  const mastery = DOP_C02_DOMAINS.flatMap((d) => {
    const rows = d.taskStatements.filter((t) => earned.has(t.id));
    if (rows.length === 0) return [];
    const e = rows.reduce((n, t) => n + earned.get(t.id)!.earned, 0);
    const m = rows.reduce((n, t) => n + earned.get(t.id)!.max, 0);
    return [
      `<tr><th colspan="2">Domain ${d.number}: ${esc(d.title)}</th><td>${pct(e, m)} %</td></tr>`,
      ...rows.map((t) => {
        const v = earned.get(t.id)!;
        return `<tr data-task="${t.id}"><td>${t.id}</td><td>${esc(t.title)}</td><td><span class="bar" style="width:${Math.round(pct(v.earned, v.max) * 2)}px"></span> ${pct(v.earned, v.max)} %</td></tr>`;
      }),
    ];
  }).join('');
  const failing = s.failing
    .slice(0, 10)
    .map((f) => {
      const graded = Object.values(f.counts).reduce((a, b) => a + b, 0);
      return `<tr><td>${f.counts.FAIL + f.counts.PENDING} of ${graded}</td><td><b>${esc(f.lab)} / ${esc(f.id)}</b> [${f.taskStatement}]<br>${esc(f.title)}<div class="hint">hint: ${esc(f.hint)}</div></td></tr>`;
    })
    .join('');
  const groupHeader = labs.map((lab) => `<th colspan="${lab.checker.checks.length}">${esc(lab.id)}</th>`).join('');
  const checkHeader = labs
    .flatMap((lab) => lab.checker.checks.map((c) => `<th title="${esc(`${lab.id}/${c.id}: ${c.title} [${c.taskStatement}]`)}">${esc(c.id)}</th>`))
    .join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>doplab grades</title><style>${CSS}</style></head><body>
<h1>doplab grades</h1>
<p id="summary">${s.learners} learners · ${s.passedAll} passed everything · ${s.notGraded} with a lab not graded · labs: ${labs.map((l) => esc(l.id)).join(', ')} · ${esc(s.generatedAt)}</p>
<h2>Score distribution</h2>
<table id="distribution">${distribution}</table>
<h2>Mastery per exam domain and task statement</h2>
<table id="mastery">${mastery}</table>
<h2>Most common failing checks</h2>
${failing ? `<table id="failing">${failing}</table>` : '<p>None: every graded check passed.</p>'}
<h2>Learners × checks</h2>
<div class="controls"><label>Learner <input id="filter" type="search" placeholder="filter by name"></label>
<label>Show <select id="show"><option value="all">everyone</option><option value="failed">not passed everything</option><option value="passed">passed everything</option></select></label>
<span class="muted"><span id="shown">${s.learners}</span> shown · ✔ pass ✘ fail … pending ! error – skipped ? not graded</span></div>
<table id="heatmap" class="heat"><thead><tr><th rowspan="2" class="sort" data-key="learner">learner</th><th rowspan="2" class="sort" data-key="percent" data-numeric="1">score %</th>${groupHeader}</tr><tr>${checkHeader}</tr></thead><tbody>
`;
}

/** One heatmap row: a learner, their score and one cell per check. */
export function renderHtmlRow(row: LearnerRow, labs: readonly AnyLab[]): string {
  const percent = row.maxScore > 0 ? Math.round((row.score / row.maxScore) * 10_000) / 100 : 0;
  const cells = labs
    .map((lab, i) => {
      const record = row.records[i];
      return lab.checker.checks
        .map((c) => {
          if (!record?.graded) {
            const why = record?.error?.message ?? 'not graded yet';
            return `<td class="c NOT_GRADED" title="${esc(`${lab.id}/${c.id}: not graded: ${why}`)}">${SYMBOL.NOT_GRADED}</td>`;
          }
          const result = record.result.checks.find((r) => r.id === c.id);
          const status = result?.status ?? 'ERROR';
          const detail = result?.evidence ? `observed: ${result.evidence.observed}` : (result?.error?.message ?? result?.hint ?? '');
          return `<td class="c ${status}" title="${esc(`${lab.id}/${c.id}: ${status}${detail ? ` — ${detail}` : ''}`)}">${SYMBOL[status]}</td>`;
        })
        .join('');
    })
    .join('');
  return `<tr data-learner="${esc(row.entry.learner)}" data-percent="${percent}" data-passed="${row.passedAll ? 'yes' : 'no'}"><th>${esc(row.entry.learner)}</th><td>${percent}</td>${cells}</tr>\n`;
}

/** The rest of the report after the heatmap's rows. */
export function renderHtmlEnd(): string {
  return `</tbody></table><script>${SCRIPT}</script></body></html>\n`;
}
