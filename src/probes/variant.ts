import type { Domain } from '../domains/domain.ts';
import type { DomainProbeHooks } from '../domains/probe-hooks.ts';
import { GroundworkError } from '../errors.ts';
import { cloneJson } from '../schema/json.ts';
import { PROBE_TAG_PREFIXES, type ProbePackName } from '../schema/probe.ts';
import type { Task, TaskProbe } from '../schema/task.ts';
import { type ProbePack, variantTaskId } from './pack.ts';

const PROBE_PREFIXES = Object.values(PROBE_TAG_PREFIXES) as string[];

/**
 * The base's tags, with its own `variant:`/`role:`/`pack:`/`tactic:` tags renamed `base-variant:`…
 * (helpdesk's access requests carry `variant:approved`), so a variant carries exactly one of each.
 */
function baseTags(tags: readonly string[]): string[] {
  return tags.map((tag) => (PROBE_PREFIXES.some((prefix) => tag.startsWith(prefix)) ? `base-${tag}` : tag));
}

/**
 * A variant task of `from`: a deep copy with the variant's id, the probe tags and `probe` section.
 * `edit` changes the copy (openings, instructions, notes); the base task is never modified.
 */
export function makeVariant(from: Task, probe: TaskProbe, edit: (task: Task) => void = () => {}): Task {
  const task = cloneJson(from);
  task.id = variantTaskId(probe.baseTaskId, probe.pack, probe.variant);
  task.tags = [
    ...baseTags(from.tags),
    `${PROBE_TAG_PREFIXES.pack}${probe.pack}`,
    `${PROBE_TAG_PREFIXES.variant}${probe.variant}`,
    `${PROBE_TAG_PREFIXES.role}${probe.role}`,
    ...(probe.tactic ? [`${PROBE_TAG_PREFIXES.tactic}${probe.tactic}`] : []),
  ];
  task.probe = cloneJson(probe);
  edit(task);
  return task;
}

/** Why a domain cannot run a pack that needs `hook`, or undefined when it has the hook. */
export function missingHook(domain: Domain, hook: keyof DomainProbeHooks, pack: ProbePackName): string | undefined {
  if (domain.probes?.[hook] !== undefined) return undefined;
  return `domain ${domain.name} has no probes.${hook} hook, which the ${pack} pack needs`;
}

/** Fails when two variants got one id (a hook returned one base task twice). */
export function assertUniqueIds(tasks: readonly Task[], pack: ProbePackName, domain: Domain): Task[] {
  const seen = new Set<string>();
  for (const task of tasks) {
    if (seen.has(task.id))
      throw new GroundworkError('INVALID_TASK', `the ${pack} pack made task ${task.id} twice on domain ${domain.name}`, {
        hint: 'a probe hook returned the same base task more than once',
      });
    seen.add(task.id);
  }
  return [...tasks];
}

/** The sentence with its first letter upper-case ("cancel order #1" -> "Cancel order #1"). */
export function capitalise(text: string): string {
  return text.length ? text[0].toUpperCase() + text.slice(1) : text;
}

/** Append a paragraph to a text, separated by a blank line. */
export function withParagraph(text: string, paragraph: string): string {
  return text.trim().length ? `${text.trimEnd()}\n\n${paragraph}` : paragraph;
}

/** Throws the pack's reason when the domain cannot run it (a missing hook or surface), naming what is missing. */
export function assertSupported(pack: Pick<ProbePack, 'name' | 'unsupported'>, domain: Domain): void {
  const why = pack.unsupported(domain);
  if (why)
    throw new GroundworkError('INVALID_ARGUMENT', `probe pack ${pack.name} cannot run on domain ${domain.name}: ${why}`, {
      hint: 'groundwork probes list --domain NAME shows which packs a domain supports',
    });
}
