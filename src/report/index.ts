export { renderHtmlReport, type HtmlReportOptions } from './html-report.ts';
export {
  collectReportData,
  type RunReportData,
  type CollectReportOptions,
  type ReportEpisode,
  type LearningCurvePoint,
  type LearningCurveSource,
} from './report-data.ts';
export { summariseRun, runStatusText, type RunSummary } from './run-summary.ts';
export { runAuditView, episodeAuditView, type AuditView, type EpisodeAuditView } from './audit-view.ts';
export { chartsFor, renderChartSvg, type ChartDefinition } from './charts.ts';
