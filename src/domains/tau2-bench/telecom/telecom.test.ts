import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { JsonValue } from '../../../schema/json.ts';
import { freezeTables, TableState } from '../../../state/table-state.ts';
import { initialStateFor } from '../../initial-state.ts';
import { executeSideToolCall, executeToolCall, toolJsonSchema } from '../../tools.ts';
import { benchmarksDir, REPO_ROOT } from '../../tau-bench/data.ts';
import { canonicalTau2Json } from '../canonical.ts';
import { TELECOM_AGENT_FUNCTIONS } from './agent-functions.ts';
import { TELECOM_AGENT_TABLES } from './agent-tables.ts';
import { createTelecomAgentTools } from './agent-tools.ts';
import { readTomlFile, telecomAgentTables } from './data.ts';
import { createTau2TelecomDomain, tau2DbDump } from './index.ts';

/**
 * τ²-bench telecom, agent side, against values produced by running τ²'s own code (the fixture's
 * `how` says exactly what was run): the published tool specs, the initial database, 150 random
 * sequences of agent tool calls and environment functions (outputs byte-equal, databases equal
 * after each sequence), the composed policy and the task splits.
 */

interface Step {
  kind: 'tool' | 'fn';
  name: string;
  arguments: Record<string, JsonValue>;
  output: string;
  error: boolean;
}
interface Fixture {
  base_agent: string;
  policy: string;
  splits: Record<string, string>;
  generated: string;
  tools: { name: string; description: string; parameters: Record<string, unknown> }[];
  sequences: { steps: Step[]; agent: string }[];
  gold: Record<string, { outputs: string[]; errors: boolean[]; agent: string; user: string }>;
}

const fixture = JSON.parse(readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'tau2-telecom', 'agent-side.json'), 'utf8')) as Fixture;
const dataDir = path.join(benchmarksDir(), 'tau2-bench', 'telecom');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const short = (text: string) => sha256(text).slice(0, 16);

/** The fixture hashes the canonical JSON of τ²'s model_dump (canonical.ts describes it). */
const canonical = (value: unknown) => canonicalTau2Json(value as JsonValue);

const agentBase = freezeTables(telecomAgentTables(readTomlFile(dataDir, 'db.toml')));
const agentDump = (state: TableState) => Object.fromEntries(Object.keys(TELECOM_AGENT_TABLES).map((t) => [t, state.rows(t)]));

describe('τ²-bench telecom agent side', () => {
  const tools = createTelecomAgentTools();

  it('publishes τ²’s tools: names, order, descriptions and argument schemas', () => {
    assert.deepEqual(
      tools.map((t) => t.name),
      fixture.tools.map((t) => t.name),
    );
    for (const [i, tool] of tools.entries()) {
      assert.equal(tool.description, fixture.tools[i].description, tool.name);
      assert.deepEqual(toolJsonSchema(tool), fixture.tools[i].parameters, tool.name);
    }
  });

  it('loads db.toml into τ²’s model_dump of the database', () => {
    assert.equal(sha256(canonical(agentDump(TableState.over(agentBase)))), fixture.base_agent);
  });

  it('gives τ²’s exact outputs and database on random call sequences', () => {
    // Bills τ² creates with a random id are compared under the name NEWBILL<n>, as the fixture has them.
    const known = new Set(['B1001', 'B1002', 'B1003', 'B1004', 'B1005', 'B1006', 'B1234321', 'B0000', 'B7777777']);
    let steps = 0;
    for (const [index, sequence] of fixture.sequences.entries()) {
      const state = TableState.over(agentBase);
      const renames = new Map<string, string>();
      const normalised = (text: string) => {
        for (const id of state.keys('bills')) if (!known.has(id) && !renames.has(id)) renames.set(id, `NEWBILL${renames.size + 1}`);
        for (const [from, to] of renames) text = text.split(from).join(to);
        return text;
      };
      for (const step of sequence.steps) {
        let content: string;
        let error: boolean;
        if (step.kind === 'tool') {
          const result = executeToolCall({ tools }, state, step.name, step.arguments);
          content = result.content;
          error = result.isError;
        } else {
          try {
            content = JSON.stringify(TELECOM_AGENT_FUNCTIONS[step.name](state, step.arguments));
            error = false;
          } catch (caught) {
            content = `Error: ${(caught as Error).message}`;
            error = true;
          }
        }
        const where = `sequence ${index}: ${step.name}(${JSON.stringify(step.arguments)}) -> ${content}`;
        assert.equal(error, step.error, where);
        assert.equal(short(normalised(content)), step.output, where);
        steps++;
      }
      assert.equal(short(normalised(canonical(agentDump(state)))), sequence.agent, `sequence ${index}: database`);
    }
    assert.ok(steps > 700, `${steps} steps compared`);
  });
});

describe('τ²-bench telecom domain', () => {
  const domain = createTau2TelecomDomain();

  it('composes τ²’s default policy (main policy and tech support manual)', () => {
    assert.equal(sha256(domain.policy), fixture.policy);
  });

  it('offers τ²’s splits with its task ids in its order', () => {
    for (const [split, hash] of Object.entries(fixture.splits)) {
      assert.equal(
        sha256(
          domain
            .tasks({ split })
            .map((t) => t.id)
            .join('\n'),
        ),
        hash,
        split,
      );
    }
    assert.equal(
      sha256(
        domain
          .tasks({ split: 'generated' })
          .map((t) => t.id)
          .join('\n'),
      ),
      fixture.generated,
    );
    assert.equal(domain.defaultSplit, 'base');
  });

  it('dumps the agent side as τ²’s TelecomDB.model_dump()', () => {
    assert.equal(sha256(canonical(tau2DbDump(TableState.over(domain.base().tables), 'agent'))), fixture.base_agent);
  });

  it('replays every base task’s gold actions with τ²’s outputs and end states on both sides', () => {
    const tasks = domain.tasks({ split: 'base' });
    assert.equal(tasks.length, Object.keys(fixture.gold).length);
    for (const task of tasks) {
      const expected = fixture.gold[task.id];
      assert.ok(expected, task.id);
      assert.equal(task.expected.kind, 'tau2');
      if (task.expected.kind !== 'tau2') continue;
      const state = initialStateFor(domain, task);
      const results = task.expected.actions.map((action) => executeSideToolCall(domain, state, action.side, action.name, action.arguments));
      assert.deepEqual(
        results.map((r) => short(r.content)),
        expected.outputs,
        `${task.id}: ${results.map((r) => r.content).join(' | ')}`,
      );
      assert.deepEqual(
        results.map((r) => r.isError),
        expected.errors,
        task.id,
      );
      assert.equal(short(canonical(tau2DbDump(state, 'agent'))), expected.agent, `${task.id}: agent database`);
      assert.equal(short(canonical(tau2DbDump(state, 'user'))), expected.user, `${task.id}: user database`);
    }
  });
});
