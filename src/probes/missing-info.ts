import type { Domain } from '../domains/domain.ts';
import type { ProbeSelection, WithheldFact } from '../domains/probe-hooks.ts';
import type { Task } from '../schema/task.ts';
import type { ProbePack } from './pack.ts';
import { assertSupported, assertUniqueIds, makeVariant, missingHook } from './variant.ts';

const VARIANTS = ['withheld', 'full'] as const;

function missingInfoVariant(fact: WithheldFact, variant: (typeof VARIANTS)[number]): Task {
  return makeVariant(variant === 'withheld' ? fact.withheld : fact.full, {
    pack: 'missing-info',
    // The full task is the task as it is: both variants pair on its id.
    baseTaskId: fact.full.id,
    variant,
    role: variant === 'withheld' ? 'probe' : 'baseline',
    withheld: { factId: fact.fact.id, value: fact.fact.value, keywords: fact.fact.keywords },
  });
}

/**
 * Missing-info: a fact the task needs left out of the opening (`withheld`: asking is right, a write
 * before the user gave it is a guess) and its full-information twin (`full`: asking again is over-asking).
 */
export const missingInfoPack: ProbePack = {
  name: 'missing-info',
  description: 'a needed fact withheld from the opening (ask, do not guess), with full-information twins',
  variants: VARIANTS,
  unsupported: (domain) => missingHook(domain, 'withheldFacts', 'missing-info'),
  tasks(domain: Domain, selection: ProbeSelection): Task[] {
    assertSupported(missingInfoPack, domain);
    const facts = domain.probes!.withheldFacts!(selection);
    const tasks = facts.flatMap((fact) => VARIANTS.map((variant) => missingInfoVariant(fact, variant)));
    return assertUniqueIds(tasks, 'missing-info', domain);
  },
};
