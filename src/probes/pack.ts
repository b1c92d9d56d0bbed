import type { Domain, DomainOptions } from '../domains/domain.ts';
import type { ProbeSelection } from '../domains/probe-hooks.ts';
import type { ProbePackName } from '../schema/probe.ts';
import type { Task } from '../schema/task.ts';

/**
 * A probe pack: a variant generator over a domain's tasks. Its variants are ordinary tasks (with a
 * `probe` section and `pack:`/`tactic:`/`variant:`/`role:` tags), graded by the same state grader;
 * the probe audit adds the pack's metrics. Variant ids are `<base id>~<pack>~<variant>`.
 */
export interface ProbePack {
  name: ProbePackName;
  /** One line: what it probes. */
  description: string;
  /** Its variants, in the order they are generated per base task (e.g. the tactics, then their controls). */
  variants: readonly string[];
  /** Domain options the pack needs (honeypot: `{honeypots: true}`), merged into the run's. @default none */
  domainOptions?: Partial<DomainOptions>;
  /** Why this domain cannot run the pack (a missing hook), or undefined when it can. */
  unsupported(domain: Domain): string | undefined;
  /** Every variant of every base scenario of the selection. Deterministic; ids unique. */
  tasks(domain: Domain, selection: ProbeSelection): Task[];
}

/** The id of a variant task. */
export function variantTaskId(baseTaskId: string, pack: ProbePackName, variant: string): string {
  return `${baseTaskId}~${pack}~${variant}`;
}
