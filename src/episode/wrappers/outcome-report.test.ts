import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OUTCOME_REQUEST_TEXT } from '../../agents/outcome-report.ts';
import { createHelpdeskDomain } from '../../domains/helpdesk/index.ts';
import { initialStateFor } from '../../domains/initial-state.ts';
import { GroundworkError } from '../../errors.ts';
import { ConversationEnv } from '../conversation-env.ts';
import type { EpisodeAction } from '../env.ts';
import { InterceptOutcomeReport, RequestOutcomeReport } from './outcome-report.ts';

const domain = createHelpdeskDomain();
const task = domain.tasks({ split: 'test' })[0];
const report = (id: string, args: Record<string, unknown> | string) => ({ id, name: 'report_outcome', arguments: args as never });

test('report_outcome is intercepted: recorded as an event, never a domain call, invalid arguments flagged', () => {
  const core = new ConversationEnv(domain, initialStateFor(domain, task));
  const env = new InterceptOutcomeReport(core);
  env.reset();
  const before = core.state.hash();
  env.step({ type: 'agent_turn', turn: {} });
  const valid = env.step({ type: 'tool_call', call: report('', '{"success": true, "confidence": 0.8, "summary": "done"}') });
  assert.equal(valid.invalid, undefined);
  assert.deepEqual(valid.observation.slice(-3), [
    { type: 'tool_call', id: 'call-1', name: 'report_outcome', arguments: '{"success": true, "confidence": 0.8, "summary": "done"}' },
    { type: 'tool_result', callId: 'call-1', name: 'report_outcome', content: 'Outcome report recorded.', isError: false },
    { type: 'outcome_report', callId: 'call-1', success: true, confidence: 0.8, summary: 'done' },
  ]);
  const invalid = env.step({ type: 'tool_call', call: report('r2', { success: true, confidence: 2 }) });
  assert.equal(invalid.invalid, 'tool_call');
  assert.match((invalid.observation.at(-1) as { content: string }).content, /^Error: invalid report_outcome arguments: confidence/);
  assert.equal(core.state.hash(), before, 'the state is untouched');
  // Without the wrapper, the domain answers: it has no such tool.
  const bare = new ConversationEnv(domain, initialStateFor(domain, task));
  bare.reset();
  assert.match(
    (bare.step({ type: 'tool_call', call: report('x', {}) }).observation.at(-1) as { content: string }).content,
    /unknown tool "report_outcome"/,
  );
});

function stopped(): { core: ConversationEnv; env: RequestOutcomeReport } {
  const core = new ConversationEnv(domain, initialStateFor(domain, task));
  const env = new RequestOutcomeReport(new InterceptOutcomeReport(core));
  env.reset();
  env.step({ type: 'user_turn', turn: { content: 'hi' } });
  env.step({ type: 'agent_turn', turn: { message: 'Done.' } });
  env.step({ type: 'agent_turn_end' });
  return { core, env };
}

test('a normal ending without a report asks for one in an extra turn, then ends as it would have', () => {
  const { core, env } = stopped();
  const asked = env.step({ type: 'user_turn', turn: { content: 'Thanks ###STOP###' } });
  assert.equal(asked.terminated || asked.truncated, false);
  assert.equal(asked.next, 'agent');
  assert.deepEqual(asked.observation.at(-1), { type: 'outcome_request', content: OUTCOME_REQUEST_TEXT });
  const steps = core.record.steps;

  const extra: EpisodeAction = {
    type: 'agent_turn',
    turn: {
      message: 'not recorded',
      toolCalls: [
        { id: 't', name: 'think', arguments: { thought: 'x' } },
        report('r', { success: false, confidence: 0.3, summary: 'unsure' }),
      ],
      usage: { calls: 1, inputTokens: 5, outputTokens: 2, costUsd: 0, latencyMs: 1 },
    },
  };
  const end = env.step(extra);
  assert.deepEqual(end.termination, { reason: 'user_stop', detail: '###STOP###' });
  assert.deepEqual(
    end.observation.slice(-3).map((e) => e.type),
    ['tool_call', 'tool_result', 'outcome_report'],
  );
  assert.ok(
    !end.observation.some((e) => e.type === 'message' && e.content === 'not recorded'),
    'only the report is taken from the extra turn',
  );
  assert.equal(core.record.steps, steps, 'the extra turn is outside the step count');
  assert.equal(core.record.usage.agent?.inputTokens, 5, 'its usage is counted');
});

test('a failure or a missing call on the extra turn only adds a note; errors and earlier reports are not asked again', () => {
  const failed = stopped().env;
  failed.step({ type: 'user_turn', turn: { content: '###STOP###' } });
  const afterFailure = failed.step({ type: 'failure', actor: 'agent', error: new GroundworkError('PROVIDER_FAILED', 'HTTP 503') });
  assert.equal(afterFailure.termination?.reason, 'user_stop');
  assert.match((afterFailure.observation.at(-1) as { content: string }).content, /^outcome report failed: .*503/);

  const silent = stopped().env;
  silent.step({ type: 'user_turn', turn: { content: '###STOP###' } });
  assert.deepEqual(silent.step({ type: 'agent_turn', turn: { message: 'bye' } }).observation.at(-1), {
    type: 'note',
    content: 'the agent did not call report_outcome when asked',
  });

  const crashed = stopped().env;
  assert.equal(crashed.step({ type: 'failure', actor: 'user', error: new Error('bug') }).termination?.reason, 'user_error');

  const reported = stopped().env;
  reported.step({ type: 'agent_turn', turn: {} });
  reported.step({ type: 'tool_call', call: report('r', { success: true, confidence: 1, summary: 'ok' }) });
  assert.equal(
    reported.step({ type: 'tool_call', call: { id: 'h', name: 'transfer_to_human', arguments: { summary: 'x' } } }).termination?.reason,
    'agent_stop',
  );
});
