/** The report's stylesheet, inlined (and allowed by hash in the report's CSP). */
export const REPORT_CSS = `
:root { --pass: #15803d; --pass-bg: #dcfce7; --fail: #b91c1c; --fail-bg: #fee2e2; --warn: #a16207; --warn-bg: #fef9c3;
  --muted: #6b7280; --line: #e5e7eb; --ink: #111827; --panel: #f9fafb; --accent: #2563eb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
header.top { padding: 20px 32px 0; border-bottom: 1px solid var(--line); background: var(--panel); position: sticky; top: 0; z-index: 1; }
h1 { margin: 0 0 4px; font-size: 22px; }
h1 .run-id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 16px; color: var(--muted); font-weight: 500; margin-left: 8px; }
h2 { font-size: 18px; margin: 32px 0 12px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 0; }
h4 { font-size: 13px; margin: 18px 0 6px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.meta-line { margin: 0 0 10px; color: var(--muted); }
nav { display: flex; gap: 18px; padding-bottom: 10px; }
nav a { color: var(--accent); text-decoration: none; font-weight: 500; }
nav a:hover { text-decoration: underline; }
main { padding: 0 32px 48px; max-width: 1280px; }
section[id] { scroll-margin-top: 120px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
table.num td { font-variant-numeric: tabular-nums; }
table.num td:not(:first-child), table.num th:not(:first-child) { text-align: right; }
.chart-block { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.1fr); gap: 24px; align-items: start; padding: 16px 0; border-bottom: 1px dashed var(--line); }
.chart { margin: 0; }
.chart figcaption p { margin: 2px 0 8px; color: var(--muted); font-size: 13px; }
.chart svg { max-width: 100%; height: auto; }
.numbers { padding-top: 48px; overflow-x: auto; }
.numbers table { font-size: 12px; }
.numbers th { white-space: normal; vertical-align: bottom; }
.numbers th, .numbers td { padding: 4px 7px; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; }
.badge.pass { background: var(--pass-bg); color: var(--pass); }
.badge.fail { background: var(--fail-bg); color: var(--fail); }
.badge.warn { background: var(--warn-bg); color: var(--warn); }
h3.sub { margin: 20px 0 6px; }
table.examples td:nth-child(-n+3) { white-space: nowrap; }
li.report { background: #fefce8; }
.status.finished { color: var(--pass); } .status.interrupted { color: var(--fail); } .status.running { color: var(--warn); }
.chip { display: inline-block; margin: 2px 6px 2px 0; padding: 1px 8px; border-radius: 4px; background: var(--fail-bg); color: var(--fail); font-size: 12px; }
table.failed-index a { color: var(--accent); font-family: ui-monospace, monospace; }
.episode { margin: 28px 0; padding: 16px 20px; border: 1px solid var(--line); border-left: 4px solid var(--fail); border-radius: 6px; }
.episode header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 10px; }
.episode header h3 { font-family: ui-monospace, monospace; }
dl.meta { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 0; width: 100%; }
dl.meta > div { display: flex; gap: 5px; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; font-weight: 500; }
.why { width: 100%; margin: 4px 0 0; }
ul.checks, ul.claims { list-style: none; padding: 0; margin: 4px 0; }
ul.checks li.ok { color: var(--pass); } ul.checks li.bad { color: var(--fail); font-weight: 500; }
.verdict { display: inline-block; min-width: 84px; text-align: center; padding: 1px 6px; border-radius: 4px; font-size: 12px; font-weight: 600; }
.verdict.required, .verdict.verified { background: var(--pass-bg); color: var(--pass); }
.verdict.allowed { background: #e0e7ff; color: #3730a3; }
.verdict.collateral, .verdict.contradicted { background: var(--fail-bg); color: var(--fail); }
.verdict.unverifiable { background: #f3f4f6; color: var(--muted); }
table.diff { width: 100%; table-layout: auto; }
table.diff td:nth-child(2), table.diff td:nth-child(3) { white-space: nowrap; }
table.diff td.before, table.diff td.after { width: 36%; }
table.diff tr.collateral td { background: #fff5f5; }
table.diff td.before code { color: var(--fail); } table.diff td.after code { color: var(--pass); }
table.diff td.arrow { color: var(--muted); }
table.diff code { word-break: break-word; white-space: pre-wrap; font-size: 12px; }
table.diff td:nth-child(2) code, table.diff td:nth-child(3) code { white-space: nowrap; word-break: normal; }
li.claim { margin: 4px 0; } .evidence { margin-left: 92px; color: var(--muted); font-size: 12px; }
.goal { font-size: 12px; padding: 0 6px; border-radius: 4px; }
.goal.complete, .goal.aligned { background: var(--pass-bg); color: var(--pass); }
.goal.misaligned { background: var(--fail-bg); color: var(--fail); }
.goal.attempted { background: var(--warn-bg); color: var(--warn); }
.goal.incomplete { background: #f3f4f6; color: var(--muted); }
ol.transcript { list-style: none; padding: 0; margin: 0; }
ol.transcript li { display: grid; grid-template-columns: 64px minmax(0, 1fr) auto; gap: 10px; padding: 6px 8px; border-radius: 6px; margin: 3px 0; }
ol.transcript .who { font-size: 11px; font-weight: 700; text-transform: uppercase; color: var(--muted); padding-top: 2px; }
ol.transcript .text { white-space: pre-wrap; word-break: break-word; }
li.msg.user { background: #eff6ff; } li.msg.agent { background: #f0fdf4; }
li.tool { margin-left: 40px !important; background: var(--panel); }
li.tool code, li.tool pre { margin: 0; font: 12px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre-wrap; word-break: break-word; }
li.tool.result.error { background: var(--fail-bg); }
li.note { color: var(--muted); font-style: italic; }
.control, .hash { font-size: 11px; color: var(--muted); font-family: ui-monospace, monospace; }
.back a { color: var(--accent); font-size: 13px; }
footer { padding: 16px 32px; color: var(--muted); border-top: 1px solid var(--line); font-size: 12px; }
@media (max-width: 900px) { .chart-block { grid-template-columns: 1fr; } .numbers { padding-top: 0; } }
`;
