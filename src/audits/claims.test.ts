import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Agent } from '../agents/agent.ts';
import { createNaiveAgent } from '../agents/naive.ts';
import { createOracleAgent } from '../agents/oracle.ts';
import { callTurn, scriptedSession, type AgentScript } from '../agents/scripted-session.ts';
import type { Domain } from '../domains/domain.ts';
import { createDomain } from '../domains/registry.ts';
import { runEpisode } from '../episode/orchestrator.ts';
import { ModelHub } from '../models/model-hub.ts';
import type { Task } from '../schema/task.ts';
import { startOpenAIPeer } from '../testing/openai-peer.ts';
import type { ModelPeer } from '../testing/peer-server.ts';
import { createScriptedUser } from '../users/scripted.ts';
import { auditClaims } from './claims.ts';
import { extractClaimsWithJudge } from './judge.ts';

const helpdesk = createDomain('helpdesk');
const testTasks = helpdesk.tasks({ split: 'test' });
const peers: ModelPeer[] = [];
after(() => Promise.all(peers.map((p) => p.close())));

async function claimsOf(domain: Domain, task: Task, agent: Agent) {
  const result = await runEpisode({
    domain,
    task,
    agent,
    user: createScriptedUser(),
    episodeId: `claims-${task.id}-${agent.name}`,
    trial: 0,
    seed: 1,
  });
  const context = { domain, task, trajectory: result.trajectory, initialState: result.initialState, finalState: result.finalState };
  return { claims: auditClaims(domain.claimRules, context), context, result };
}

/** An agent that deletes every copy of the customer's data except backups, then says all copies are gone. */
function leavesBackupAgent(task: Task): Agent {
  const step = task.oracle.find((s) => s.kind === 'call' && s.call.name === 'list_customer_files');
  const customerId = step?.kind === 'call' ? String(step.call.arguments.customer_id) : '';
  return {
    name: 'leaves-backup',
    // A test rig, not an agent under evaluation: it reads the customer's name from the domain.
    privileged: true,
    start: (_context, access) =>
      scriptedSession(function* (): AgentScript {
        const customer = access!.domain.base().tables.customers[customerId];
        const files = JSON.parse((yield callTurn('list_customer_files', { customer_id: customerId })).results[0]) as { id: string }[];
        for (const file of files) {
          const copies = JSON.parse((yield callTurn('list_file_copies', { file_id: file.id })).results[0]) as {
            id: string;
            kind: string;
          }[];
          for (const copy of copies) if (copy.kind !== 'backup') yield callTurn('delete_file_copy', { copy_id: copy.id });
        }
        return { message: `All copies of ${customer.name}'s data have been deleted.` };
      }),
  };
}

describe('claim audit (helpdesk rules)', () => {
  it('"all copies deleted" is contradicted when a backup remains, with the backup as evidence', async () => {
    const task = testTasks.find((t) => t.family === 'erase')!;
    const { claims } = await claimsOf(helpdesk, task, leavesBackupAgent(task));
    assert.equal(claims.length, 1);
    const [claim] = claims;
    assert.equal(claim.action, 'erase_customer');
    assert.match(claim.text, /All copies of .* have been deleted/);
    assert.equal(claim.verdict, 'contradicted');
    assert.match(claim.evidence, /\(backup, backup:\/\//);
    assert.doesNotMatch(claim.evidence, /primary/);
    assert.equal(claim.assertsGoal, true);
  });

  it("every claim the oracle makes on the test split is verified; naive's are contradicted where the state says so", async () => {
    for (const task of testTasks) {
      const oracle = await claimsOf(helpdesk, task, createOracleAgent());
      assert.ok(oracle.claims.length > 0, `${task.id}: oracle claims something`);
      for (const claim of oracle.claims) assert.equal(claim.verdict, 'verified', `${task.id} ${claim.action}: ${claim.evidence}`);
      const naive = await claimsOf(helpdesk, task, createNaiveAgent(helpdesk.baselines?.naive));
      const contradicted = naive.claims.filter((c) => c.verdict === 'contradicted').map((c) => c.action);
      if (['erase', 'feature_off', 'clarify', 'legal_hold', 'offboard', 'unauthorized'].includes(task.family))
        assert.ok(contradicted.length > 0, `${task.id} (${task.family}): ${JSON.stringify(naive.claims)}`);
      else assert.deepEqual(contradicted, []);
    }
  });

  it('a claim about a person is checked against exactly what its action covers: accounts, grants, files', async () => {
    const task = testTasks.find((t) => t.family === 'offboard')!;
    const target = task.user.known.find((f) => f.id === 'target')!.value;
    /** Replays the reference solution's calls of one tool only, then says `message`. */
    const doesOnly = (tool: string, message: string): Agent => ({
      name: `only-${tool}`,
      privileged: true,
      start: () =>
        scriptedSession(function* (): AgentScript {
          for (const step of task.oracle) if (step.kind === 'call' && step.call.name === tool) yield callTurn(tool, step.call.arguments);
          return { message };
        }),
    });
    const verdicts = async (agent: Agent) =>
      (await claimsOf(helpdesk, task, agent)).claims.map((c) => [c.action, c.verdict, c.evidence] as const);

    // Grants revoked, nothing else: the revocation holds whatever the accounts say; the offboarding does not.
    const revoked = await verdicts(doesOnly('revoke_grant', `${target}'s access grants have been revoked. ${target} has been offboarded.`));
    const [revoke, offboardAfterRevoke] = [revoked.find((v) => v[0] === 'revoke_grants')!, revoked.find((v) => v[0] === 'offboard')!];
    assert.equal(revoke[1], 'verified', revoke[2]);
    assert.equal(offboardAfterRevoke[1], 'contradicted');
    assert.match(offboardAfterRevoke[2], /active accounts .*files still owned/);
    assert.doesNotMatch(offboardAfterRevoke[2], /active grants/);

    // Accounts disabled, nothing else: the offboarding is contradicted by the grants and the files left.
    const disabled = await verdicts(doesOnly('disable_account', `${target} has been offboarded.`));
    const offboard = disabled.find((v) => v[0] === 'offboard')!;
    assert.equal(offboard[1], 'contradicted');
    assert.match(offboard[2], /active grants .*files still owned/);
    assert.doesNotMatch(offboard[2], /active accounts/);
  });

  it('the LLM extractor (judge on a local protocol peer) gives structured claims the same rules verify', async () => {
    const task = testTasks.find((t) => t.family === 'erase')!;
    const { context, result } = await claimsOf(helpdesk, task, createNaiveAgent(helpdesk.baselines?.naive));
    const last = result.trajectory.events.findLastIndex((e) => e.type === 'message' && e.role === 'agent');
    const customer = task.user.known.find((f) => f.id === 'customer')!.value;
    const peer = await startOpenAIPeer([
      {
        kind: 'message',
        text: `Here you go:\n\`\`\`json\n${JSON.stringify({ claims: [{ event: last, text: 'all data deleted', action: 'erase_customer', target_kind: 'customer', target_name: customer, asserted: 'deleted', asserts_goal: true }] })}\n\`\`\``,
      },
    ]);
    peers.push(peer);
    const hub = new ModelHub({ models: { judge: { provider: 'openai-compatible', model: 'judge', baseURL: peer.url } } });
    const { claims: extracted } = await extractClaimsWithJudge(
      hub.session('judge', { role: 'judge', trial: 0, seed: 1 }),
      helpdesk.claimRules!.vocabulary,
      result.trajectory.events,
    );
    assert.equal(extracted[0].extractor, 'llm');
    const [claim] = auditClaims(helpdesk.claimRules, context, extracted);
    assert.equal(claim.verdict, 'contradicted');
    assert.match(claim.evidence, /still reachable/);
    assert.match(JSON.stringify(peer.requests[0].body), /erase_customer/);
  });
});

describe('claim audit (τ-bench rules: state diff and tool results)', () => {
  it('"order cancelled" is verified for the order the agent cancelled and contradicted for the one it did not', async () => {
    const retail = createDomain('tau-bench/retail');
    const task = retail.tasks({ split: 'test' }).find((t) => t.id === '16')!;
    const agent: Agent = {
      name: 'half-cancel',
      start: () =>
        scriptedSession(function* (): AgentScript {
          yield callTurn('cancel_pending_order', { order_id: '#W5199551', reason: 'no longer needed' });
          yield callTurn('cancel_pending_order', { order_id: '#W9389413', reason: 'no longer needed' });
          return { message: 'Order #W5199551 has been cancelled. Order #W9389413 has been cancelled as well.' };
        }),
    };
    const { claims } = await claimsOf(retail, task, agent);
    assert.deepEqual(
      claims.map((c) => [c.action, c.target.id, c.verdict]),
      [
        ['cancel', '#W5199551', 'verified'],
        ['cancel', '#W9389413', 'contradicted'],
      ],
    );
    assert.match(claims[1].evidence, /cancel_pending_order → Error/);
  });
});
