import { z } from 'zod';
import type { Domain, DomainTool } from '../domains/domain.ts';
import { GroundworkError, ToolError } from '../errors.ts';
import { TASK_SCHEMA_VERSION, type Task } from '../schema/task.ts';
import { freezeTables, hashTables, type RecordsOf, type Tables } from '../state/table-state.ts';

const TINY_POLICY = `You are the assistant of a small key-value store.
- Use get to read a key and set to change it. Never change a key the user did not ask about.
- Tell the user the value you read or wrote.`;

/** The tiny domain's one table: key -> value. */
const tinyTables = { kv: z.strictObject({ value: z.string() }) };

const tinyTools: DomainTool<any, RecordsOf<typeof tinyTables>>[] = [
  {
    name: 'get',
    description: 'Read the value of a key.',
    kind: 'read',
    input: z.object({ key: z.string().describe('The key to read') }),
    execute(state, input: { key: string }) {
      const record = state.get('kv', input.key);
      if (!record) throw new ToolError(`no key ${JSON.stringify(input.key)}`);
      return { key: input.key, value: record.value };
    },
  },
  {
    name: 'set',
    description: 'Set the value of an existing key.',
    kind: 'write',
    input: z.object({ key: z.string(), value: z.string() }),
    execute(state, input: { key: string; value: string }) {
      const record = state.mutable('kv', input.key);
      if (!record) throw new ToolError(`no key ${JSON.stringify(input.key)}`);
      record.value = input.value;
      return { key: input.key, value: input.value };
    },
  },
];

function tinyTasks(): Task[] {
  const base = {
    schemaVersion: TASK_SCHEMA_VERSION as typeof TASK_SCHEMA_VERSION,
    domain: 'tiny',
    family: 'kv',
    split: 'test',
    tags: [] as string[],
  };
  return [
    {
      ...base,
      id: 'tiny-set-color',
      user: {
        persona: 'You are Ada, who owns the store.',
        instructions: 'You want the key "color" set to "blue". Stop once the agent says it is done.',
        openings: ['Please set color to blue.'],
        known: [{ id: 'color', keywords: ['color', 'value'], value: 'blue' }],
        unknown: [],
        confirms: true,
      },
      expected: {
        kind: 'declared',
        alternatives: [
          {
            required: [{ kind: 'field', table: 'kv', key: 'color', path: 'value', equals: 'blue' }],
            allowed: [{ table: 'kv', keys: ['color'], fields: ['value'], ops: ['update'] }],
          },
        ],
        communicate: [],
      },
      noChange: false,
      oracle: [
        { kind: 'call', call: { name: 'set', arguments: { key: 'color', value: 'blue' } } },
        { kind: 'say', text: 'Done: color is now blue.' },
      ],
    },
    {
      ...base,
      id: 'tiny-read-size',
      user: {
        persona: 'You are Ada, who owns the store.',
        instructions: 'You want to know the value of the key "size". Do not change anything.',
        openings: ['What is the size?'],
        known: [],
        unknown: [],
        confirms: false,
      },
      expected: {
        kind: 'declared',
        alternatives: [{ required: [], allowed: [] }],
        communicate: [{ id: 'size', anyOf: ['large'], match: 'word' }],
      },
      noChange: true,
      oracle: [
        { kind: 'call', call: { name: 'get', arguments: { key: 'size' } } },
        { kind: 'say', text: 'The size is large.' },
      ],
    },
  ];
}

/**
 * A minimal test-only domain: a key-value store (`kv` table: color=red, size=large) with `get`
 * and `set` tools and two declared-outcome tasks (`tiny-set-color`, `tiny-read-size`).
 */
export function createTinyDomain(): Domain {
  let base: { tables: Tables; hash: string } | undefined;
  const tasks = tinyTasks();
  return {
    name: 'tiny',
    description: 'test-only key-value store',
    policy: TINY_POLICY,
    tools: tinyTools,
    queries: {},
    tables: tinyTables,
    base() {
      if (!base) {
        const tables = freezeTables({ kv: { color: { value: 'red' }, size: { value: 'large' } } });
        base = { tables, hash: hashTables(tables) };
      }
      return base;
    },
    splits: ['test'],
    defaultSplit: 'test',
    tasks(selection) {
      if (selection.ids) {
        return selection.ids.map((id) => {
          const task = tasks.find((t) => t.id === id);
          if (!task) throw new GroundworkError('UNKNOWN_TASK', `unknown tiny task ${JSON.stringify(id)}`);
          return task;
        });
      }
      return tasks.slice(0, selection.count ?? tasks.length);
    },
    options: { maxSteps: 20 },
  };
}
