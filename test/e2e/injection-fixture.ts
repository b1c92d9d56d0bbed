import type { Agent, AgentTurn } from '../../src/agents/agent.ts';
import { createDomainRegistry } from '../../src/domains/registry.ts';
import { createRun, executeRun } from '../../src/runner/local-runner.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { createTinyDomain } from '../../src/testing/tiny-domain.ts';
import type { UserSimulator } from '../../src/users/user.ts';

/** Markup that runs script if any page renders it as HTML instead of text. */
export const PAYLOADS = [
  '<script>window.__pwned=1</script>',
  '<img src=x onerror="window.__pwned=1">',
  '<a href="javascript:window.__pwned=1">x</a>',
  '<svg onload="window.__pwned=1;alert(1)"></svg>',
  '"><iframe src="javascript:alert(1)"></iframe>',
] as const;

const ALL = PAYLOADS.join(' ');
const USAGE = { calls: 1, inputTokens: 120, outputTokens: 30, costUsd: 0.0012, latencyMs: 5 };

/** An agent named with a payload whose tool calls, arguments and messages carry every payload. */
export const EVIL_AGENT = 'evil<img src=x onerror="window.__pwned=1">';
const EVIL_USER = 'user<script>window.__pwned=1</script>';

function evilAgent(): Agent {
  return {
    name: EVIL_AGENT,
    start: () => {
      let turn = 0;
      return {
        next: async (): Promise<AgentTurn> => {
          turn++;
          if (turn === 1) {
            return {
              usage: USAGE,
              toolCalls: [
                // A write: the payload lands in the state, hence in the field-level diff.
                { id: 'c1', name: 'set', arguments: { key: 'color', value: ALL } },
                // A read of a missing key: the error result echoes the payload.
                { id: 'c2', name: 'get', arguments: { key: PAYLOADS[1] } },
                // An unknown tool with raw, invalid JSON arguments.
                { id: 'c3', name: PAYLOADS[0], arguments: `{"x": "${PAYLOADS[2]}"` },
              ],
            };
          }
          if (turn === 2) return { usage: USAGE, message: `Done! ${ALL} The color is now blue.` };
          return { end: true };
        },
        describe: () => ({ note: PAYLOADS[3] }),
      };
    },
  };
}

function evilUser(): UserSimulator {
  return {
    name: EVIL_USER,
    start: () => {
      let turn = 0;
      return {
        next: async () => {
          turn++;
          if (turn === 1) return { content: `Please set color to blue. ${ALL}`, usage: USAGE };
          return { content: `Thanks ${PAYLOADS[2]} ${PAYLOADS[4]} ###STOP###`, usage: USAGE };
        },
      };
    },
  };
}

/**
 * Store, in the SQLite database at `db`, a run made by the real runner whose agent and user
 * messages, tool calls, tool results, state diff, agent name and user name carry `PAYLOADS`.
 */
export async function createInjectionRun(db: string): Promise<{ runId: string; episodeIds: string[] }> {
  const store = SqliteStore.open(db);
  try {
    const participants = {
      agent: (name: string) => (name === EVIL_AGENT ? evilAgent() : undefined),
      user: (name: string) => (name === EVIL_USER ? evilUser() : undefined),
    };
    const domains = createDomainRegistry([['tiny', createTinyDomain]]);
    const { runId } = await createRun(
      store,
      { domain: 'tiny', agents: [EVIL_AGENT], user: EVIL_USER, trials: 2, tasks: { ids: ['tiny-set-color'] } },
      { participants, domains },
    );
    await executeRun(runId, { store, participants, domains });
    const episodeIds = (await store.listEpisodes(runId)).map((e) => e.id);
    return { runId, episodeIds };
  } finally {
    await store.close();
  }
}
