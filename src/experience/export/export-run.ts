import type { DomainRegistry } from '../../domains/registry.ts';
import { policyWithNotes } from '../../episode/orchestrator.ts';
import { domainFor } from '../../runner/local-runner.ts';
import { type EpisodeRecord, type Store, requireRun } from '../../store/store.ts';
import { runFaultLabels } from '../faults.ts';
import { chatTools } from './chat-format.ts';
import { earlyExperienceLines, expertSource } from './early-experience.ts';
import { preferencePairs } from './preference.ts';
import { rlLine } from './rl.ts';
import { EXPORT_LINE_SCHEMAS, type ExportFormat } from './schemas.ts';
import { sftExclusion, sftLine } from './sft.ts';

/** Options of `exportRun`. */
export interface ExportRunOptions {
  format: ExportFormat;
  /** Receives each validated line (one JSON object, no newline). */
  write: (line: string) => void | Promise<void>;
  /** The domains to build the run's domain from (by its config's `domain` name). @default builtInDomains */
  domains?: DomainRegistry;
  /** early-experience: alternatives per expert state. @default 3 */
  alternatives?: number;
  /** early-experience: seed of the choice of alternatives. @default 0 */
  seed?: number;
}

/** What an export wrote and why episodes were left out. */
export interface ExportSummary {
  runId: string;
  format: ExportFormat;
  /** Lines written (each validated against the format's schema). */
  lines: number;
  /** Episodes read. */
  episodes: number;
  /** Episodes that gave no line, by reason (`failed`, `infra_error`, `simulator_faulted`, `not_expert`, `no_pair`...). */
  excluded: Record<string, number>;
  /**
   * Simulator-fault labels: episodes with an audit, those labelled faulted, those without an audit,
   * and whether the run had no stored audit so its audits were computed now, in memory (not stored).
   */
  audits: { audited: number; faulted: number; unaudited: number; auditedNow: boolean };
}

/**
 * Exports a stored run as JSONL training data in one of four formats. Reads only stored data (the
 * run's config, tasks and episodes, which hold no keys) plus the domain's policy and tools. Every
 * line is validated with the format's zod schema before it is written; a line that does not
 * validate stops the export (a bug, never silently written). Never writes to the store, so a
 * read-only store works, audited run or not.
 */
export async function exportRun(store: Store, runId: string, options: ExportRunOptions): Promise<ExportSummary> {
  const run = await requireRun(store, runId);
  const domain = domainFor(run.config, options.domains);
  // Simulator-fault labels come from the audits: a run without stored audits is audited now, in
  // memory (deterministic rules, no judge, nothing stored: an export never writes, and the store may
  // be read-only), so no export depends on whether `groundwork audit` ran.
  const labels = await runFaultLabels(store, runId, options.domains ? { domains: options.domains } : {});
  const auditedNow = labels.computed;
  const tasks = new Map((await store.runTasks(runId)).map((t) => [t.id, t]));
  // The system prompt the agent saw: the policy plus the task's session notes (probe variants), if any.
  const policyOf = (taskId: string) => policyWithNotes(domain.policy, tasks.get(taskId)?.agentNotes);
  const tools = chatTools(domain);
  const schema = EXPORT_LINE_SCHEMAS[options.format];
  const excluded: Record<string, number> = {};
  const exclude = (reason: string) => (excluded[reason] = (excluded[reason] ?? 0) + 1);
  let lines = 0;
  let episodes = 0;
  let audited = 0;
  let faultedCount = 0;
  const emit = async (line: unknown) => {
    const parsed = schema.safeParse(line);
    if (!parsed.success)
      throw new Error(
        `export line ${lines + 1} does not match the ${options.format} schema: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    await options.write(JSON.stringify(parsed.data));
    lines++;
  };
  const byTask = new Map<string, EpisodeRecord[]>();
  const faultedIds = new Set<string>();

  for await (const episode of store.iterateEpisodes(runId)) {
    episodes++;
    const check = await labels.check([episode]);
    audited += check.audited;
    const faulted = check.faulted.has(episode.id);
    if (faulted) faultedCount++, faultedIds.add(episode.id);
    switch (options.format) {
      case 'sft': {
        const reason = sftExclusion(episode, faulted);
        const line = reason ? undefined : sftLine(episode, policyOf(episode.taskId), tools, faulted);
        if (line) await emit(line);
        else exclude(reason ?? 'empty');
        break;
      }
      case 'rl': {
        const line = rlLine(episode, policyOf(episode.taskId), tools, check.audited ? faulted : undefined);
        if (line) await emit(line);
        else exclude(episode.termination === 'infra_error' ? 'infra_error' : 'empty');
        break;
      }
      case 'early-experience': {
        const source = expertSource(episode, faulted);
        const task = tasks.get(episode.taskId);
        if (!source || !task) {
          exclude(faulted ? 'simulator_faulted' : episode.termination === 'infra_error' ? 'infra_error' : 'not_expert');
          break;
        }
        for (const line of earlyExperienceLines(episode, task, domain, tools, source, {
          alternatives: options.alternatives,
          seed: options.seed,
        }))
          await emit(line);
        break;
      }
      case 'preference': {
        const list = byTask.get(episode.taskId) ?? [];
        list.push(episode);
        byTask.set(episode.taskId, list);
        break;
      }
    }
  }
  if (options.format === 'preference') {
    for (const list of byTask.values()) {
      const pairs = preferencePairs(list, policyOf(list[0].taskId), tools, faultedIds);
      for (const line of pairs) await emit(line);
      const failures = list.filter((e) => e.termination !== 'infra_error' && e.reward < 1 && !faultedIds.has(e.id)).length;
      if (failures > pairs.length) excluded.no_pair = (excluded.no_pair ?? 0) + failures - pairs.length;
    }
  }
  return {
    runId,
    format: options.format,
    lines,
    episodes,
    excluded,
    audits: { audited, faulted: faultedCount, unaudited: episodes - audited, auditedNow },
  };
}
