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
  /** Episodes that had a stored audit (the others could not be checked). */
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

/** The simulator-faulted episodes among `episodes`, from their stored audits. */
export async function checkSimulatorFaults(store: Store, episodes: readonly { id: string }[]): Promise<FaultCheck> {
  const faulted = new Set<string>();
  let audited = 0;
  for (const episode of episodes) {
    const audit = await store.getEpisodeAudit(episode.id);
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
