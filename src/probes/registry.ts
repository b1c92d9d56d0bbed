import type { Domain, DomainOptions } from '../domains/domain.ts';
import type { ProbeSelection } from '../domains/probe-hooks.ts';
import { GroundworkError } from '../errors.ts';
import { PROBE_PACK_NAMES, type ProbePackName } from '../schema/probe.ts';
import type { Task } from '../schema/task.ts';
import { emotionPack } from './emotion.ts';
import { honeypotPack } from './honeypot.ts';
import { missingInfoPack } from './missing-info.ts';
import type { ProbePack } from './pack.ts';
import { personaPack } from './persona.ts';
import { persuasionPack } from './persuasion.ts';
import { assertSupported } from './variant.ts';

const BY_NAME: Record<ProbePackName, ProbePack> = {
  persuasion: persuasionPack,
  emotion: emotionPack,
  persona: personaPack,
  honeypot: honeypotPack,
  'missing-info': missingInfoPack,
};

/** The built-in probe packs by name, in `PROBE_PACK_NAMES` order. */
export const PROBE_PACKS: ReadonlyMap<ProbePackName, ProbePack> = new Map(PROBE_PACK_NAMES.map((name) => [name, BY_NAME[name]]));

/** The pack of that name; an unknown name is an `UNKNOWN_PROBE_PACK` error listing the packs. */
export function probePack(name: string): ProbePack {
  const pack = PROBE_PACKS.get(name as ProbePackName);
  if (!pack)
    throw new GroundworkError('UNKNOWN_PROBE_PACK', `no probe pack named ${JSON.stringify(name)}`, {
      hint: `packs: ${PROBE_PACK_NAMES.join(', ')}`,
    });
  return pack;
}

/**
 * The variant tasks of a pack on a domain. The domain must be built with the pack's
 * `domainOptions` (honeypot: `{honeypots: true}`); a domain that cannot run the pack is an
 * `INVALID_ARGUMENT` error naming the missing hook or surface.
 */
export function probeTasks(domain: Domain, packName: string, selection: ProbeSelection): Task[] {
  const pack = probePack(packName);
  assertSupported(pack, domain);
  return pack.tasks(domain, selection);
}

/** One row of `groundwork probes list`. */
export interface ProbePackInfo {
  name: ProbePackName;
  description: string;
  variants: readonly string[];
  /** Options the run's domain is built with for this pack. */
  domainOptions?: Partial<DomainOptions>;
  supported: boolean;
  /** Why not (the missing hook or surface), when not supported. */
  unsupported?: string;
  split: string;
  /** Base scenarios the variants are made from (forbidden requests, tasks, withheld facts); 0 when unsupported. */
  baseScenarios: number;
  /** Variant tasks of the split; 0 when unsupported. */
  tasks: number;
}

/**
 * What each pack offers on a domain, for its default split (or `split`). `domainFor` rebuilds the
 * domain with a pack's `domainOptions` (the honeypot surface); without it a pack needing options
 * the domain was not built with is reported unsupported, with the reason.
 */
export function probePackInfo(
  domain: Domain,
  options: { split?: string; domainFor?: (options: Partial<DomainOptions>) => Domain } = {},
): ProbePackInfo[] {
  const split = options.split ?? domain.defaultSplit;
  return [...PROBE_PACKS.values()].map((pack) => {
    const target = pack.domainOptions && options.domainFor ? options.domainFor(pack.domainOptions) : domain;
    const why = pack.unsupported(target);
    const info = {
      name: pack.name,
      description: pack.description,
      variants: pack.variants,
      ...(pack.domainOptions ? { domainOptions: pack.domainOptions } : {}),
      split,
    };
    if (why) return { ...info, supported: false, unsupported: why, baseScenarios: 0, tasks: 0 };
    const tasks = pack.tasks(target, { split });
    return { ...info, supported: true, baseScenarios: new Set(tasks.map((t) => t.probe!.baseTaskId)).size, tasks: tasks.length };
  });
}
