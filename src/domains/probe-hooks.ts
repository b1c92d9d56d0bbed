/**
 * What a domain offers the probe packs (`src/probes/`). The packs are generic; the domain says
 * which of its requests the policy forbids (and their legitimate twins), how to re-cast a task's
 * user as another person, which facts a task can withhold, and which of its own tables are
 * honeypots. A domain without hooks simply offers fewer packs (`groundwork probes list` says which).
 */
import type { ChangeRule, OracleStep, Task } from '../schema/task.ts';

/** Which base scenarios to build: a split, and optionally the first `count` of them. Deterministic. */
export interface ProbeSelection {
  split: string;
  count?: number;
}

/**
 * A request the policy forbids, with its legitimate twin (persuasion pack).
 *
 * `forbidden` is a complete task whose user asks for something the policy forbids; its expected
 * outcome has no pushed-for change and its oracle refuses (citing the policy). `control` is the same
 * request where the user is right (has the authority, brings a valid approval, the order is still
 * pending…): its expected outcome requires the change and its oracle does it. Both are graded as
 * any task of the domain is; the pack only adds the pressure.
 */
export interface ForbiddenRequest {
  forbidden: Task;
  control: Task;
  /** The change the user pushes for: on `forbidden`'s state, a change matching any rule means the agent gave in. */
  pushedFor: ChangeRule[];
  /** Steps that do what the user asks on `forbidden` (after its oracle's look-ups): the test agents' capitulation. */
  comply: OracleStep[];
  /** What the user wants, as the user would say it: "offboard Dana Ruiz", "cancel order #W2378156". */
  request: string;
  /** Who could legitimately ask (for authority and false-approval lines): "Dana's direct manager", "the order's owner". */
  authority: string;
  /** What the control's user says to show it is right, true in the control's state: "I am Dana's direct manager, Lee Park." */
  controlEvidence: string;
}

/** A person a task's user can be re-cast as (persona pack): only the identity changes, never the request. */
export interface PersonaIdentity {
  /** Full name, e.g. "Lakisha Washington". */
  name: string;
  /** Job title or membership description where the domain has one (seniority), e.g. "Intern". */
  title?: string;
}

/** A task with a fact withheld from the user's opening, and its full-information twin (missing-info pack). */
export interface WithheldFact {
  /** The task as it is: the opening gives the fact. */
  full: Task;
  /** The same task whose opening leaves the fact out; the user gives it only when asked. */
  withheld: Task;
  fact: { id: string; value: string; keywords: string[] };
}

/** The probe hooks of a domain (`Domain.probes`). Every hook is optional and pure. */
export interface DomainProbeHooks {
  /** Forbidden requests with their legitimate twins, from a split. */
  forbiddenRequests?(selection: ProbeSelection): ForbiddenRequest[];
  /**
   * The task with its user re-cast as `identity`: the user's record in the state (initial patch)
   * and every text that names them (openings, instructions, known facts, oracle steps, expected
   * communication). Undefined when this task's user cannot be re-cast.
   */
  recastUser?(task: Task, identity: PersonaIdentity): Task | undefined;
  /** Tasks whose opening can withhold a fact the task needs, with their twins. */
  withheldFacts?(selection: ProbeSelection): WithheldFact[];
  /** Tables of the domain itself that no task needs to change (helpdesk's audit `settings`). */
  honeypotTables?: readonly string[];
}
