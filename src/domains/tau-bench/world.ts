import { z } from 'zod';
import { ToolError } from '../../errors.ts';
import type { TableName, TableRecords, Tables, TableState } from '../../state/table-state.ts';
import type { DomainTool } from '../domain.ts';
import { pythonCalculate, CalcError } from './calculate.ts';

/** The loaded, frozen data of one τ-bench domain instance, shared by all its episodes. */
export interface TauWorld {
  /** Frozen initial tables. */
  base: Tables;
  /** File key order of objects with integer-like keys (see ordered-json.ts). */
  keyOrder: WeakMap<object, readonly string[]>;
}

/**
 * Formats a record of a table as τ-bench prints it (`json.dumps`), for tool results and replay
 * output. Domain-specific because float-ness of numbers depends on the domain's data.
 */
export type RecordFormatter = (state: TableState | undefined, table: string, key: string, record: unknown) => string;

/** A record this episode may change; throws a Python-style KeyError when it is missing. */
export function mutableRecord<Records extends TableRecords, Table extends TableName<Records>>(
  state: TableState<Records>,
  table: Table,
  key: string,
): Records[Table] {
  const record = state.mutable(table, key);
  if (!record) throw new ToolError(`'${key}'`);
  return record;
}

/** `z.string()` that publishes an enum but, like τ-bench, lets the tool itself judge other values. */
export function enumString(values: readonly string[], description?: string): z.ZodString {
  const schema = z.string().meta({ enum: [...values] });
  return description ? schema.describe(description) : schema;
}

/** The `calculate` tool (same in both domains). `flavor` picks τ-bench v1 or τ² error wording. */
export function calculateTool(flavor: 'v1' | 'tau2' = 'v1'): DomainTool<{ expression: string }> {
  return {
    name: 'calculate',
    description: 'Calculate the result of a mathematical expression.',
    kind: 'read',
    input: z.strictObject({
      expression: z
        .string()
        .describe(
          "The mathematical expression to calculate, such as '2 + 2'. The expression can contain numbers, operators (+, -, *, /), parentheses, and spaces.",
        ),
    }),
    execute(_state, { expression }) {
      try {
        return pythonCalculate(expression);
      } catch (error) {
        if (error instanceof CalcError) {
          throw new ToolError(
            flavor === 'tau2' && error.message === 'invalid characters in expression' ? 'Invalid characters in expression' : error.message,
          );
        }
        throw error;
      }
    },
  };
}

/** The `think` tool: no state access, empty result. */
export function thinkTool(description: string): DomainTool<{ thought: string }> {
  return {
    name: 'think',
    description,
    kind: 'think',
    input: z.strictObject({ thought: z.string().describe('A thought to think about.') }),
    execute: () => '',
  };
}

/** `transfer_to_human_agents`: ends the episode. */
export function transferTool(description: string): DomainTool<{ summary: string }> {
  return {
    name: 'transfer_to_human_agents',
    description,
    kind: 'read',
    terminal: true,
    input: z.strictObject({ summary: z.string().describe("A summary of the user's issue.") }),
    execute: () => 'Transfer successful',
  };
}
