// The CEL evaluator lives in the package (src/validation/_cel.ts), used by the schema validator.
export { celIssues, escapeCelField, toCel } from '../../src/validation/_cel';
export type { CelIssue } from '../../src/validation/_cel';
