import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describeActual, describePredicate } from '../grading/predicate-text.ts';
import type { AuditCell } from '../audits/audit.ts';
import { GroundworkError } from '../errors.ts';
import { DIFF_SIDE_TITLES, diffSides } from '../schema/diff-sides.ts';
import type { FieldChange } from '../schema/outcome.ts';
import type { TrajectoryEvent, Usage } from '../schema/trajectory.ts';
import type { AuditSectionView, EpisodeAuditView } from './audit-view.ts';
import { chartsFor, renderChartSvg, type ChartDefinition } from './charts.ts';
import { anchorId, html, joinHtml, trustedHtml, type SafeHtml } from './escape.ts';
import type { ReportEpisode, RunReportData } from './report-data.ts';

/**
 * The stylesheet shared with the viewer (which imports the same file), inlined in the report and
 * allowed by its hash in the report's CSP. Read next to this module: `npm run build` copies it into dist/.
 */
export const REPORT_CSS = readFileSync(new URL('./groundwork.css', import.meta.url), 'utf8');

/** Options of `renderHtmlReport`. */
export interface HtmlReportOptions {
  /** Shown in the footer; pass the clock in (the renderer reads none). */
  generatedAt?: string;
  /** Longest text shown for one message, tool call or result, in characters. @default 20000 */
  maxTextLength?: number;
}

const fixed = (value: number | null | undefined, digits = 3) =>
  value === undefined || value === null || !Number.isFinite(value) ? '–' : value.toFixed(digits);
const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`);
const json = (value: unknown) =>
  value === undefined ? '∅' : typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value, null, 1).replace(/\n\s*/g, ' ');

/** `<span class="badge pass">` etc. */
const badge = (ok: boolean, yes = 'pass', no = 'fail') => html`<span class="badge ${ok ? 'pass' : 'fail'}">${ok ? yes : no}</span>`;

function table(headers: string[], rows: (SafeHtml | string | number)[][], className = ''): SafeHtml {
  return html`<table class="${className}"><thead><tr>${headers.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${rows.map((row) => html`<tr>${row.map((cell) => html`<td>${cell}</td>`)}</tr>`)}</tbody></table>`;
}

function figure(chart: ChartDefinition, svg: string, numbers: SafeHtml): SafeHtml {
  return html`<section class="chart-block" id="${anchorId('chart', chart.id)}">
<figure class="chart" data-chart="${chart.id}"><figcaption><h3>${chart.title}</h3><p>${chart.description}</p></figcaption>${trustedHtml(svg)}</figure>
<div class="numbers">${numbers}</div></section>`;
}

/** The table beside each chart: the same numbers, readable without the picture. */
function numbersFor(chart: ChartDefinition, data: RunReportData): SafeHtml {
  const agents = data.agents.map((name) => [name, data.summary.agents[name]] as const);
  switch (chart.id) {
    case 'pass-hat-k': {
      const ks = [...new Set(agents.flatMap(([, m]) => Object.keys(m.passHatK)))].sort((a, b) => Number(a) - Number(b));
      return table(
        ['agent', ...ks.map((k) => `pass^${k}`)],
        agents.map(([name, m]) => [name, ...ks.map((k) => fixed(m.passHatK[k]))]),
        'num',
      );
    }
    case 'families':
      return table(
        ['family', ...data.agents],
        data.families.map((family) => [family, ...agents.map(([, m]) => fixed(m.families[family]?.meanReward, 2))]),
        'num',
      );
    case 'terminations': {
      // Only the reasons that occur: six mostly-zero columns hide the ones that matter.
      const reasons = Object.keys(agents[0]?.[1].terminations ?? {}).filter((r) =>
        agents.some(([, m]) => m.terminations[r as keyof typeof m.terminations] > 0),
      );
      return table(
        ['agent', ...reasons],
        agents.map(([name, m]) => [name, ...reasons.map((r) => m.terminations[r as keyof typeof m.terminations])]),
        'num',
      );
    }
    case 'usage': {
      const rows: (string | number)[][] = [];
      for (const [name, m] of agents)
        for (const [role, u] of Object.entries((m.usage ?? {}) as Record<string, Usage>))
          rows.push([name, role, u.calls, u.inputTokens, u.outputTokens, `$${u.costUsd.toFixed(4)}`]);
      return table(['agent', 'role', 'calls', 'input tokens', 'output tokens', 'cost'], rows, 'num');
    }
    case 'learning-curves':
      return table(
        ['agent', 'metric', 'step', 'value'],
        (data.learningCurves ?? []).map((p) => [p.agent, p.metric, p.step, fixed(p.value)]),
        'num',
      );
    default:
      // Every chart shows its numbers: a chart id without a table here is a bug, not an empty cell.
      throw new GroundworkError('UNKNOWN_CHART', `the report has no table for chart ${JSON.stringify(chart.id)}`);
  }
}

/** A cell of an audit table: links to an episode's section when the report includes it. */
function auditCell(cell: AuditCell, included: ReadonlySet<string>): SafeHtml | string | number {
  if (cell === null) return '–';
  if (typeof cell === 'object')
    return included.has(cell.episodeId)
      ? html`<a href="#${anchorId('ep', cell.episodeId)}">${cell.episodeId}</a>`
      : html`<code>${cell.episodeId}</code>`;
  return cell;
}

/** One registered audit: heading, what it measures, its charts and its tables (the same numbers). */
function auditSection(section: AuditSectionView, svgs: ReadonlyMap<string, string>, included: ReadonlySet<string>): SafeHtml {
  const tables = section.tables.map(
    (t) =>
      html`${t.title ? html`<h4>${t.title}</h4>` : ''}${table(
        t.columns,
        t.rows.map((row) => row.map((cell) => auditCell(cell, included))),
        'num',
      )}${t.note ? html`<p class="muted">${t.note}</p>` : ''}`,
  );
  const figures = section.charts.map(
    (chart) =>
      html`<figure class="chart" data-chart="${chart.id}"><figcaption><h3>${chart.title}</h3><p>${chart.description}</p></figcaption>${trustedHtml(svgs.get(chart.id) ?? '')}</figure>`,
  );
  return html`<section class="audit" data-audit="${section.name}" id="${anchorId('audit', section.name)}"><h3 class="sub">${section.title} <span class="muted">${section.version ?? ''}</span></h3><p class="muted">${section.text}</p>
${section.stale ? html`<p class="muted">${section.title}: ${section.stale}.</p>` : figures.length ? html`<div class="chart-block"><div>${figures}</div><div class="numbers">${tables}</div></div>` : tables}</section>`;
}

function summaryTable(data: RunReportData): SafeHtml {
  const ks = [...new Set(Object.values(data.summary.agents).flatMap((m) => Object.keys(m.passHatK)))].sort((a, b) => Number(a) - Number(b));
  return table(
    ['agent', 'episodes', 'mean reward', ...ks.map((k) => `pass^${k}`), 'pass^1 95% CI', 'flip rate', 'infra errors'],
    data.agents.map((name) => {
      const m = data.summary.agents[name];
      return [
        html`<strong>${name}</strong>`,
        m.episodes,
        fixed(m.meanReward),
        ...ks.map((k) => fixed(m.passHatK[k])),
        m.ci95 ? `[${fixed(m.ci95[0])}, ${fixed(m.ci95[1])}]` : '–',
        fixed(m.flipRate, 2),
        m.infraErrors,
      ];
    }),
    'num summary',
  );
}

function transcript(events: readonly TrajectoryEvent[], max: number): SafeHtml {
  return html`<ol class="transcript">${events.map((event) => {
    switch (event.type) {
      case 'message':
        return html`<li class="msg ${event.role}"><span class="who">${event.role === 'user' ? 'user' : 'agent'}</span><div class="text">${clip(event.content, max)}</div>${event.control ? html`<span class="control">${event.control}</span>` : ''}</li>`;
      case 'tool_call':
        return html`<li class="tool call${event.actor === 'user' ? ' by-user' : ''}"><span class="who">${event.actor === 'user' ? 'user call' : 'call'}</span><code><b>${event.name}</b>(${clip(typeof event.arguments === 'string' ? event.arguments : JSON.stringify(event.arguments), max)})</code></li>`;
      case 'tool_result':
        return html`<li class="tool result ${event.isError ? 'error' : ''}${event.actor === 'user' ? ' by-user' : ''}"><span class="who">${event.actor === 'user' ? 'user ' : ''}${event.isError ? 'error' : 'result'}</span><pre>${clip(event.content, max)}</pre>${event.stateHash ? html`<span class="hash" title="state hash after this write">state ${event.stateHash}</span>` : ''}</li>`;
      case 'note':
        return html`<li class="note"><span class="who">note</span><div class="text">${clip(event.content, max)}</div></li>`;
      case 'outcome_request':
        return html`<li class="note"><span class="who">asked</span><div class="text">${clip(event.content, max)}</div></li>`;
      case 'outcome_report':
        return html`<li class="report"><span class="who">self-report</span><div class="text">success ${event.success ? 'yes' : 'no'}, confidence ${event.confidence.toFixed(2)} — ${clip(event.summary, max)}</div></li>`;
      default:
        return html`<li class="note"><span class="who">event</span><div class="text">${clip(JSON.stringify(event), max)}</div></li>`;
    }
  })}</ol>`;
}

/**
 * The field-level state diff with each change's verdict. Dual control: changes of the user's
 * tables (`userTables`) are shown apart, labelled as the user's side.
 */
export function diffTable(diff: readonly FieldChange[], max = 2000, userTables: readonly string[] = []): SafeHtml {
  if (diff.length === 0) return html`<p class="muted">No change of state.</p>`;
  if (userTables.length > 0) {
    const sides = diffSides(diff, userTables);
    const side = (title: string, changes: readonly FieldChange[]) =>
      html`<h5 class="diff-side">${title}</h5>${changes.length ? diffTable(changes, max) : html`<p class="muted">No change.</p>`}`;
    return html`${side(DIFF_SIDE_TITLES.agent, sides.agent)}${side(DIFF_SIDE_TITLES.user, sides.user)}`;
  }
  return html`<table class="diff"><thead><tr><th>verdict</th><th>record</th><th>field</th><th>before</th><th></th><th>after</th></tr></thead><tbody>${diff.map(
    (c) =>
      html`<tr class="${c.verdict}"><td><span class="verdict ${c.verdict}">${c.verdict}</span></td><td><code>${c.table}/${c.key}</code></td><td><code>${c.path || `(${c.op})`}</code></td><td class="before"><code>${clip(json(c.before), max)}</code></td><td class="arrow">→</td><td class="after"><code>${clip(json(c.after), max)}</code></td></tr>`,
  )}</tbody></table>`;
}

function claims(audit: EpisodeAuditView | undefined): SafeHtml {
  if (!audit?.claims?.length) return html``;
  return html`<h4>Claims checked against the final state</h4><ul class="claims">${audit.claims.map((c) => html`<li class="claim ${c.verdict}"><span class="verdict ${c.verdict}">${c.verdict}</span> “${c.text}”${c.what ? html` <code class="muted">${c.what}</code>` : ''}${c.evidence ? html`<div class="evidence">${c.evidence}</div>` : ''}</li>`)}</ul>`;
}

function simulatorFaults(audit: EpisodeAuditView | undefined): SafeHtml {
  if (!audit?.simulatorFaults?.length) return html``;
  return html`<h4>Simulator faults</h4><ul class="claims">${audit.simulatorFaults.map((f) => html`<li><span class="verdict contradicted">${f.kind}</span>${f.turn !== undefined ? ` turn ${f.turn}` : ''}${f.item ? html` <code>${f.item}</code>` : ''} ${f.text ? `“${f.text}”` : ''}${f.detail ? html`<div class="evidence">${f.detail}</div>` : ''}</li>`)}</ul>`;
}

function goalStates(audit: EpisodeAuditView | undefined): SafeHtml {
  if (!audit?.goalStates?.length) return html``;
  const ids = [...new Set(audit.goalStates.flatMap((g) => g.items.map((i) => i.id)))];
  const meta = new Map(audit.goalStates.flatMap((g) => g.items.map((i) => [i.id, i] as const)));
  return html`<h4>User goal state over the turns</h4><table class="goals"><thead><tr><th>item</th><th>category</th>${audit.goalStates.map((g) => html`<th>turn ${g.turn}</th>`)}</tr></thead><tbody>${ids.map(
    (id) =>
      html`<tr><td>${meta.get(id)?.description ?? id}</td><td>${meta.get(id)?.category ?? ''}</td>${audit.goalStates!.map((g) => {
        const status = g.items.find((i) => i.id === id)?.status ?? '';
        return html`<td><span class="goal ${status.toLowerCase()}">${status}</span></td>`;
      })}</tr>`,
  )}</tbody></table>${audit.goalFinal?.length ? html`<p class="muted">At the end (completion read from the final state): ${audit.goalFinal.map((i) => html`<span class="chip">${i.id}: ${i.status}${i.kept ? `, user ${i.kept.replace(/_/g, ' ')}` : ''}${i.outcome ? `, ${i.outcome}` : ''}</span> `)}</p>` : ''}`;
}

/** Label/value pairs, each kept together when the line wraps. */
const meta = (pairs: [string, string][]) => pairs.map(([label, value]) => html`<div><dt>${label}</dt><dd>${value}</dd></div>`);

function episodeSection(episode: ReportEpisode, max: number): SafeHtml {
  const { row, trajectory: t, outcome: o, audit } = episode;
  return html`<section class="episode" id="${anchorId('ep', row.id)}">
<header><h3>${row.id}</h3><span class="badge fail">reward ${o.reward}</span>
<dl class="meta">${meta([['agent', row.agent], ['task', row.taskId], ['family', row.family], ['trial', String(row.trial)], ['termination', `${t.termination.reason}${t.termination.detail ? ` (${t.termination.detail})` : ''}`], ...(audit?.faultCause ? [['fault cause', audit.faultCause] as [string, string]] : []), ...(audit?.confidence !== undefined ? [['stated confidence', audit.confidence.toFixed(2)] as [string, string]] : [])])}${audit?.confidentFailure ? html`<div><dd><span class="badge fail">confident failure</span></dd></div>` : ''}</dl>
<p class="why">${episode.why.map((w) => html`<span class="chip">${w}</span>`)}</p></header>
<div class="grade"><h4>Grade</h4><p>state ${badge(o.state.pass)} collateral ${badge(o.collateral.pass, 'none', `${o.collateral.changes.length} change(s)`)} communication ${badge(o.communication.pass)}</p>
${o.state.predicates.length ? html`<ul class="checks">${o.state.predicates.map((p) => html`<li class="${p.pass ? 'ok' : 'bad'}">${p.pass ? '✓' : '✗'} ${describePredicate(p.predicate)}${p.pass ? '' : html` <span class="muted">(actual: ${describeActual(p)})</span>`}</li>`)}</ul>` : ''}
${o.communication.items.length ? html`<ul class="checks">${o.communication.items.map((i) => html`<li class="${i.pass ? 'ok' : 'bad'}">${i.pass ? '✓' : '✗'} told the user: ${i.id}</li>`)}</ul>` : ''}</div>
${claims(audit)}${simulatorFaults(audit)}
<h4>State diff (initial → final)</h4>${diffTable(o.diff, undefined, episode.userTables)}
${goalStates(audit)}
<h4>Transcript</h4>${transcript(t.events, max)}
<p class="back"><a href="#failed">↑ failed episodes</a></p>
</section>`;
}

/** Task problems and notes of the run audit (the record's own parts, beside the audits' sections). */
function auditExtras(data: RunReportData): SafeHtml {
  const audit = data.audit;
  if (!audit) return html``;
  return html`${
    audit.taskProblems?.length
      ? html`<h3 class="sub">Task problems</h3>${table(
          ['task', 'kind', 'detail'],
          audit.taskProblems.map((p) => [p.taskId, p.kind, p.detail]),
        )}`
      : ''
  }
<p class="muted">Audited ${audit.createdAt ?? ''}${audit.judge ? ` with judge ${audit.judge}` : ''}.${audit.notes?.length ? ` ${audit.notes.join(' ')}` : ''}</p>`;
}

function failedIndex(data: RunReportData): SafeHtml {
  const { total, episodes } = data.failed;
  if (total === 0) return html`<p>No failed episodes.</p>`;
  return html`<p>${total} failed episode${total === 1 ? '' : 's'}${episodes.length < total ? html`; the first ${episodes.length} (spread over agents) are included below — open the rest with <code>groundwork view</code>` : ''}.</p>
${table(
  ['episode', 'agent', 'task', 'family', 'trial', 'termination', 'why'],
  episodes.map((e) => [
    html`<a href="#${anchorId('ep', e.row.id)}">${e.row.id}</a>`,
    e.row.agent,
    e.row.taskId,
    e.row.family,
    e.row.trial,
    e.row.termination,
    html`${e.audit?.confidentFailure ? html`<span class="badge fail">confident failure</span> ` : ''}${e.audit?.faultCause && e.audit.faultCause !== 'agent' ? html`<span class="badge warn">${e.audit.faultCause}</span> ` : ''}${e.why.join('; ')}`,
  ]),
  'failed-index',
)}`;
}

/**
 * Render a run's report as one self-contained HTML document: inline SVG charts rendered from
 * Vega-Lite, tables of the same numbers, and every included failed episode's transcript and
 * state diff. No script, no external resource; a CSP forbids both.
 */
export async function renderHtmlReport(data: RunReportData, options: HtmlReportOptions = {}): Promise<string> {
  const max = options.maxTextLength ?? 20_000;
  const s = data.summary;
  const charts = chartsFor(data);
  const svgs = new Map(await Promise.all(charts.map(async (chart) => [chart.id, await renderChartSvg(chart.spec)] as const)));
  // Placed by where each chart comes from, never by a list of known ids: a new audit's chart cannot go missing.
  const auditChartIds = new Set((data.audit?.sections ?? []).flatMap((section) => section.charts.map((c) => c.id)));
  const own = charts.filter((chart) => !auditChartIds.has(chart.id));
  const core = own
    .filter((chart) => chart.id !== 'learning-curves')
    .map((chart) => figure(chart, svgs.get(chart.id)!, numbersFor(chart, data)));
  const learning = own
    .filter((chart) => chart.id === 'learning-curves')
    .map((chart) => figure(chart, svgs.get(chart.id)!, numbersFor(chart, data)));
  const included = new Set(data.failed.episodes.map((e) => e.row.id));
  const audits = (data.audit?.sections ?? []).map((section) => auditSection(section, svgs, included));
  const usageShown = charts.some((c) => c.id === 'usage');
  const styleHash = createHash('sha256').update(REPORT_CSS).digest('base64');
  const csp = `default-src 'none'; style-src 'sha256-${styleHash}'; img-src data:; base-uri 'none'; form-action 'none'`;
  const body = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${trustedHtml(csp)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Groundwork report — ${s.runId}</title>
<style>${trustedHtml(REPORT_CSS)}</style></head>
<body class="gw-report"><header class="top"><h1>Groundwork report <span class="run-id">${s.runId}</span></h1>
<p class="meta-line">${s.domain}${s.split ? `/${s.split}` : ''} · ${s.tasks} tasks × ${data.agents.length} agents × ${s.trials} trials · user ${s.user} · seed ${s.seed} · ${s.episodes}/${s.planned} episodes · <span class="status ${s.status}">${s.statusText}</span> · created ${s.createdAt}</p>
<nav><a href="#summary">Summary</a><a href="#charts">Charts</a><a href="#audits">Audits</a>${learning.length ? html`<a href="#learning">Learning</a>` : ''}<a href="#failed">Failed episodes (${data.failed.total})</a></nav></header>
<main>
<section id="summary"><h2>Summary</h2>${summaryTable(data)}${s.notes.map((note) => html`<p class="muted note">Note: ${note}</p>`)}</section>
<section id="charts"><h2>Results</h2>${core}${usageShown ? '' : html`<p class="muted">No model usage recorded (built-in agents make no model calls), so there is no cost or token chart.</p>`}</section>
<section id="audits"><h2>Audits</h2>${data.audit ? html`${audits}${auditExtras(data)}` : html`<p class="muted">No audit is stored for this run (confident failures, calibration, simulator fidelity and fault causes appear here once it is audited).</p>`}</section>
${learning.length ? html`<section id="learning"><h2>Learning curves</h2>${learning}</section>` : ''}
<section id="failed"><h2>Failed episodes</h2>${failedIndex(data)}</section>
${joinHtml(data.failed.episodes.map((e) => episodeSection(e, max)))}
</main>
<footer>Generated by Groundwork${options.generatedAt ? ` on ${options.generatedAt}` : ''}. Grades come from the final state, never from what the agent said.</footer>
</body></html>
`;
  return body.value;
}
