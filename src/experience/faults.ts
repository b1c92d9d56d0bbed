import { auditStoredRun } from '../audit-runner/audit-stored-run.ts';
import type { DomainRegistry } from '../domains/registry.ts';
import type { EpisodeAudit } from '../schema/audit.ts';
import type { Store } from '../store/store.ts';

/** True when an audit labels the episode's conversation or failure as the simulated user's fault. */
export function isSimulatorFaulted(audit: Pick<EpisodeAudit, 'simulatorFaults' | 'fault'>): boolean {
  return audit.simulatorFaults.length > 0 || audit.fault?.cause === 'user_simulator';
}

/** How simulator faults were checked for a set of episodes. */
export interface FaultCheck {
  /** Episodes labelled simulator-faulted. */
  faulted: Set<string>;
  /** Episodes that had an audit (the others could not be checked). */
  audited: number;
}

/**
 * Makes sure a run has stored audits: when it has no run audit yet, runs the deterministic audits
 * (rules only, no judge) and stores them. Returns whether it audited now.
 */
export async function ensureRunAudited(
  store: Store,
  runId: string,
  options: { now?: () => Date; domains?: DomainRegistry } = {},
): Promise<boolean> {
  if (await store.getRunAudit(runId)) return false;
  await auditStoredRun(store, runId, {
    ...(options.now ? { now: options.now } : {}),
    ...(options.domains ? { domains: options.domains } : {}),
  });
  return true;
}

/** Simulator-fault labels of a run's episodes, for a command that must not write (see `runFaultLabels`). */
export interface RunFaultLabels {
  /** True when the run had no stored run audit, so its deterministic audits were computed now, in memory (nothing stored). */
  computed: boolean;
  /** The simulator-faulted episodes among `episodes`, and how many had an audit. */
  check(episodes: readonly { id: string }[]): Promise<FaultCheck>;
}

/**
 * The simulator-fault labels of a run without writing to the store: the stored audits when the run
 * has a run audit; otherwise the deterministic audits (rules only, no judge) computed in memory and
 * never saved, so read-only commands (and read-only stores) work on runs that were never audited.
 */
export async function runFaultLabels(
  store: Store,
  runId: string,
  options: { now?: () => Date; domains?: DomainRegistry } = {},
): Promise<RunFaultLabels> {
  if (await store.getRunAudit(runId)) return { computed: false, check: (episodes) => checkSimulatorFaults(store, episodes) };
  const audits = new Map<string, EpisodeAudit>();
  await auditStoredRun(store, runId, {
    save: false,
    onEpisodeAudit: (episodeId, audit) => audits.set(episodeId, audit),
    ...(options.now ? { now: options.now } : {}),
    ...(options.domains ? { domains: options.domains } : {}),
  });
  return { computed: true, check: async (episodes) => faultCheck(episodes, (id) => audits.get(id)) };
}

/** The simulator-faulted episodes among `episodes`, from their stored audits. */
export async function checkSimulatorFaults(store: Store, episodes: readonly { id: string }[]): Promise<FaultCheck> {
  return faultCheck(episodes, (id) => store.getEpisodeAudit(id));
}

async function faultCheck(
  episodes: readonly { id: string }[],
  auditOf: (episodeId: string) => EpisodeAudit | undefined | Promise<EpisodeAudit | undefined>,
): Promise<FaultCheck> {
  const faulted = new Set<string>();
  let audited = 0;
  for (const episode of episodes) {
    const audit = await auditOf(episode.id);
    if (!audit) continue;
    audited++;
    if (isSimulatorFaulted(audit)) faulted.add(episode.id);
  }
  return { faulted, audited };
}

/** The simulator-faulted episodes among `episodes` (see `checkSimulatorFaults`). */
export async function simulatorFaultedEpisodes(store: Store, episodes: readonly { id: string }[]): Promise<Set<string>> {
  return (await checkSimulatorFaults(store, episodes)).faulted;
}
