import { checkJudgeFlags, judgeFor } from '../judge-options.ts';
import { describeError, GroundworkError } from '../../errors.ts';
import { judgeCommunication } from '../../audits/communication-judge.ts';
import { judgeTau2NlAssertions } from '../../audits/tau2-nl-judge.ts';
import type { Tau2NlJudgements } from '../../grading/tau2.ts';
import type { CommunicationJudgements } from '../../grading/communication.ts';
import { outcomeChanged, regradeEpisode } from '../../grading/regrade.ts';
import { domainFor } from '../../runner/local-runner.ts';
import { openStore, printJson } from '../context.ts';
import { table } from '../format.ts';
import { leaseIsLive, requireRun, type Store } from '../../store/store.ts';
import { summariseStoredRun } from '../../audit-runner/summarise-stored-run.ts';

export interface RegradeOptions {
  dryRun?: boolean;
  judge?: string;
  config?: string;
  record?: string;
  replay?: string;
  /** --store (or its alias --db): a SQLite path or a PostgreSQL URL. */
  store?: string;
  json?: boolean;
}

/** `groundwork regrade RUN_ID`: grade every stored episode again with the current grader. */
export async function regradeAction(runId: string, options: RegradeOptions): Promise<void> {
  checkJudgeFlags(options);
  const store = await openStore(options.store);
  try {
    const run = await requireRun(store, runId);
    const domain = domainFor(run.config);
    const judge = judgeFor(run, options);
    let judged = 0;
    let nlJudged = 0;
    let pending = 0;
    const tasks = new Map((await store.runTasks(runId)).map((t) => [t.id, t]));
    let episodes = 0;
    let mismatches = 0;
    const changed: { episodeId: string; agent: string; taskId: string; trial: number; before: number; after: number }[] = [];
    const updates: [string, Awaited<ReturnType<typeof regradeEpisode>>['outcome']][] = [];
    for await (const episode of store.iterateEpisodes(runId)) {
      episodes++;
      if (episode.termination === 'infra_error') continue;
      const task = tasks.get(episode.taskId);
      if (!task)
        throw new GroundworkError(
          'STORE_FAILED',
          `episode ${episode.id} refers to task ${episode.taskId}, which is not stored with run ${runId}`,
        );
      // τ-bench's substring rule is τ-bench's grade: the judge reads only Groundwork's own items.
      const judgeable = task.expected.communicate.filter((item) => item.match !== 'tau-substring');
      let judgements: CommunicationJudgements | undefined;
      if (judge && judgeable.length > 0) {
        const messages = episode.trajectory.events.flatMap((e) => (e.type === 'message' && e.role === 'agent' ? [e.content] : []));
        const session = judge.hub.session(judge.model, { role: 'judge', trial: episode.trial, seed: episode.trajectory.seed });
        judgements = (await judgeCommunication(session, judgeable, messages, judge.model)).judgements;
        judged++;
      }
      // τ² tasks whose reward counts NL assertions: the judge reads the whole conversation, as τ²'s does.
      let nlJudgements: Tau2NlJudgements | undefined;
      const expected = task.expected;
      if (judge && expected.kind === 'tau2' && expected.rewardBasis.includes('NL_ASSERTION') && expected.nlAssertions.length > 0) {
        const session = judge.hub.session(judge.model, { role: 'judge', trial: episode.trial, seed: episode.trajectory.seed });
        nlJudgements = (await judgeTau2NlAssertions(session, expected.nlAssertions, episode.trajectory.events, judge.model)).judgements;
        nlJudged++;
      }
      const { outcome, initialStateMismatch } = regradeEpisode(domain, task, episode.trajectory, {
        previous: episode.outcome,
        ...(judgements ? { judgements } : {}),
        ...(nlJudgements ? { nlJudgements } : {}),
      });
      if (initialStateMismatch) mismatches++;
      if (outcome.tau2?.reward === null) pending++;
      if (outcomeChanged(episode.outcome, outcome)) {
        changed.push({
          episodeId: episode.id,
          agent: episode.agent,
          taskId: episode.taskId,
          trial: episode.trial,
          before: episode.outcome.reward,
          after: outcome.reward,
        });
        updates.push([episode.id, outcome]);
      }
    }
    if (!options.dryRun) for (const [id, outcome] of updates) await store.updateOutcome(id, outcome);
    const audit =
      options.dryRun || updates.length === 0 ? undefined : await reauditChanged(store, runId, new Set(changed.map((c) => c.episodeId)));
    const result = {
      runId,
      episodes,
      ...(options.judge ? { judge: options.judge, judged, nlJudged } : {}),
      /** τ² episodes whose reward waits for a judge (NL assertions); counted as 0 until judged. */
      tau2Pending: pending,
      changed: changed.length,
      rewardChanged: changed.filter((c) => c.before !== c.after).length,
      initialStateMismatches: mismatches,
      stored: !options.dryRun,
      ...(audit ? { audit } : {}),
      changes: changed,
    };
    if (options.json) {
      printJson(result);
      return;
    }
    process.stdout.write(
      `${episodes} episodes re-graded${options.judge ? ` (${judged} with judge ${options.judge} on what the agent told the user, ${nlJudged} on τ² NL assertions)` : ''}: ${changed.length} outcome(s) changed, ${result.rewardChanged} reward(s) changed${options.dryRun ? ' (dry run: nothing stored)' : ''}.\n`,
    );
    if (pending > 0)
      process.stdout.write(
        `${pending} τ² episode(s) have an incomplete reward: their NL assertions need a judge (regrade with --judge MODEL); counted as 0 until judged.\n`,
      );
    if (mismatches > 0)
      process.stdout.write(
        `warning: ${mismatches} episode(s) started from a state this domain no longer reproduces (data or generator changed); their grades may not be comparable.\n`,
      );
    if (audit) process.stdout.write(`${audit.detail}\n`);
    const flips = changed.filter((c) => c.before !== c.after);
    if (flips.length > 0)
      process.stdout.write(
        `${table(
          ['episode', 'agent', 'task', 'trial', 'reward'],
          flips.slice(0, 50).map((c) => [c.episodeId, c.agent, c.taskId, String(c.trial), `${c.before} → ${c.after}`]),
        )}\n`,
      );
  } finally {
    await store.close();
  }
}

/** What `regrade` did to the run's audits after outcomes changed. */
interface RegradeAudit {
  /** `updated`: the changed episodes (and those of their tasks whose problems changed) audited again, the run audit stored again. */
  status: 'updated' | 'not_audited' | 'judge' | 'running' | 'failed';
  detail: string;
}

/**
 * After outcomes changed, audit again the changed episodes and those a changed task problem (the
 * oracle now passing a task, noop failing one) made stale, and store the run audit again, so the
 * stored audits, their indexed columns and the run audit are what `groundwork audit` makes of the
 * regraded run. Left alone: a run never audited, one audited with an LLM judge (audits made again
 * here would have none: the user re-runs `audit --judge`), one a live process is still running
 * (its own end-of-run summary sees the changed rewards).
 */
async function reauditChanged(store: Store, runId: string, changed: ReadonlySet<string>): Promise<RegradeAudit> {
  const run = await requireRun(store, runId);
  if ((run.lease && leaseIsLive(run.lease)) || run.status === 'queued')
    return { status: 'running', detail: `run ${runId} is still ${run.status}: its own end-of-run audit includes the new grades` };
  const previous = await store.getRunAudit(runId);
  if (!previous && (await store.auditTotals(runId)).audited === 0)
    return { status: 'not_audited', detail: `run ${runId} has no audit yet (groundwork audit ${runId} makes one)` };
  if (previous?.judge)
    return {
      status: 'judge',
      detail: `the audit of run ${runId} was made with judge ${previous.judge}: run groundwork audit ${runId} --judge ${previous.judge} to bring it up to date`,
    };
  try {
    await summariseStoredRun(store, runId, { reaudit: changed });
  } catch (error) {
    // The new grades are stored all the same; the audit can be made again.
    return { status: 'failed', detail: `audit not brought up to date: ${describeError(error)} (run groundwork audit ${runId})` };
  }
  return { status: 'updated', detail: `audits brought up to date with the new grades (the same as groundwork audit ${runId})` };
}
