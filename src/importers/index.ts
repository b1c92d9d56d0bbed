export {
  regradeTauResults,
  readTauResultsFile,
  parseTauResults,
  importTauRecord,
  tauResultsFileSchema,
  tauResultRecordSchema,
  type TauResultRecord,
  type TauRegradeResult,
  type TauRegradeSummary,
  type ImportTauOptions,
  type ImportedEpisode,
  type ToolOutputMismatch,
} from './tau-bench-results.ts';
export { importTauResultsAsRun, type ImportRunOptions, type ImportRunResult } from './store-import.ts';
