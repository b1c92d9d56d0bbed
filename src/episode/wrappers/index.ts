export { StepLimit } from './step-limit.ts';
export { InvalidCallBudget } from './invalid-call-budget.ts';
export { SingleToolCallPerTurn } from './single-tool-call.ts';
export { InterceptOutcomeReport, RequestOutcomeReport } from './outcome-report.ts';
export { ToolErrorLimit } from './tool-error-limit.ts';
