import type { Agent } from '../agents/agent.ts';
import type { Domain } from '../domains/domain.ts';
import { builtInDomains, type DomainRegistry } from '../domains/registry.ts';
import { GroundworkError } from '../errors.ts';
import { buildUser, type ParticipantFactory } from '../runner/build.ts';
import { createPlannedRun, domainFor, leaseOwner, leaseTiming, type LeaseTiming, planRun, runBusyError } from '../runner/local-runner.ts';
import { episodeIdFor, type EpisodeSpec } from '../runner/plan.ts';
import type { RunConfig } from '../schema/run-config.ts';
import type { Task } from '../schema/task.ts';
import { requireRun, type EpisodeRecord, type LeaseOwner, type Store } from '../store/store.ts';
import type { UserSimulator } from '../users/user.ts';
import { seedFrom } from '../util/seeded-random.ts';

/** Prefix of the agent name of every served run: `served:<client name>`. */
export const SERVED_AGENT_PREFIX = 'served:';

/** A client name as the agent name of its served run: `served:external` by default. */
export function servedAgentName(clientName?: string): string {
  const name = (clientName ?? '').trim() || 'external';
  if (!/^[A-Za-z0-9][A-Za-z0-9._@/-]{0,63}$/.test(name))
    throw new GroundworkError('INVALID_ARGUMENT', `client name ${JSON.stringify(name)} is not a plain name`, {
      hint: 'use letters, digits and . _ @ / - (at most 64 characters), e.g. my-agent',
    });
  return `${SERVED_AGENT_PREFIX}${name}`;
}

/** Options of `ServedRun.open`. */
export interface ServedRunOptions {
  store: Store;
  /** Registry name of the domain, e.g. `helpdesk`. Ignored when reopening (`runId`): the stored config decides. */
  domain: string;
  domainOptions?: RunConfig['domainOptions'];
  /** Task split. @default the domain's default split */
  split?: string;
  /** User simulator: `scripted` or a model spec (built by `participants.user`). @default 'scripted' */
  user?: string;
  /** The agent name becomes `served:<clientName>`. @default 'external' */
  clientName?: string;
  /** Reopen this served run (its stored config decides domain, split, user) instead of creating one. */
  runId?: string;
  /** Run seed: episode seeds derive from it as in a local run. @default 1 */
  seed?: number;
  maxSteps?: number;
  maxInvalidToolCalls?: number;
  outcomeReport?: boolean;
  /** Builds a model-backed user simulator. */
  participants?: ParticipantFactory;
  /** @default builtInDomains */
  domains?: DomainRegistry;
  /** @default leaseTiming() */
  lease?: LeaseTiming;
  now?: () => Date;
}

/** A stand-in for the remote agent while the plan is checked: it is never started. */
function placeholderAgent(name: string): Agent {
  return {
    name,
    start() {
      throw new GroundworkError('UNKNOWN_AGENT', `${name} is a served agent: it acts only through groundwork serve`);
    },
  };
}

/**
 * The stored run that served episodes go to: created (or reopened) by `serve`, its lease held and
 * renewed while the server runs, so no second server (or `run --resume`) writes it at the same time.
 * Every task of the split is stored with the run at creation (the store keeps a run's tasks fixed),
 * so any task a client picks is stored with its run.
 */
export class ServedRun {
  private readonly byId: Map<string, Task>;
  /** Next trial per task id (reopen-safe: starts after the highest stored trial). */
  private readonly trials = new Map<string, number>();
  private roundRobin = 0;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private lost = false;
  private closed = false;

  private constructor(
    readonly store: Store,
    readonly runId: string,
    readonly config: RunConfig,
    readonly domain: Domain,
    readonly tasks: readonly Task[],
    readonly user: UserSimulator,
    private readonly owner: LeaseOwner,
    readonly now: () => Date,
  ) {
    this.byId = new Map(tasks.map((task) => [task.id, task]));
  }

  /** The served agent's name (`served:<client>`). */
  get agentName(): string {
    return this.config.agents[0];
  }

  /** Another process took the run's lease over (this server stalled past its expiry): refuse new episodes. */
  get leaseLost(): boolean {
    return this.lost;
  }

  /** Create a served run (or reopen `options.runId`), take its lease and mark it running. */
  static async open(options: ServedRunOptions): Promise<ServedRun> {
    const { store } = options;
    const now = options.now ?? (() => new Date());
    const domains = options.domains ?? builtInDomains;
    const timing = options.lease ?? leaseTiming();
    let runId: string;
    let config: RunConfig;
    let tasks: Task[];
    if (options.runId !== undefined) {
      const run = await requireRun(store, options.runId);
      if (run.config.agents.length !== 1 || !run.config.agents[0].startsWith(SERVED_AGENT_PREFIX))
        throw new GroundworkError(
          'INVALID_ARGUMENT',
          `run ${options.runId} is not a served run (its agents: ${run.config.agents.join(', ')})`,
          {
            hint: 'reopen a run created by groundwork serve, or start a new one without --run',
          },
        );
      runId = run.id;
      config = run.config;
      tasks = await store.runTasks(runId);
    } else {
      const agent = servedAgentName(options.clientName);
      const plan = planRun(
        {
          domain: options.domain,
          domainOptions: options.domainOptions ?? {},
          ...(options.split !== undefined ? { split: options.split } : {}),
          agents: [agent],
          user: options.user ?? 'scripted',
          trials: 1,
          concurrency: 1,
          seed: options.seed ?? 1,
          ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
          ...(options.maxInvalidToolCalls !== undefined ? { maxInvalidToolCalls: options.maxInvalidToolCalls } : {}),
          outcomeReport: options.outcomeReport ?? false,
        },
        {
          domains,
          participants: {
            agent: (name) => (name === agent ? placeholderAgent(name) : options.participants?.agent?.(name)),
            user: (name) => options.participants?.user?.(name),
          },
        },
      );
      ({ runId, config, tasks } = await createPlannedRun(store, plan, { now }));
    }
    const domain = domainFor(config, domains);
    const user = buildUser(config.user, options.participants);
    const owner = leaseOwner();
    const taken = await store.acquireLease(runId, owner, timing.ttlMs);
    if (!taken.acquired) throw runBusyError(runId, taken.holder);
    const served = new ServedRun(store, runId, config, domain, tasks, user, owner, now);
    for (const row of await store.listEpisodes(runId, { agent: config.agents[0] }))
      served.trials.set(row.taskId, Math.max(served.trials.get(row.taskId) ?? 0, row.trial + 1));
    await store.setRunStatus(runId, 'running');
    served.heartbeat = setInterval(() => {
      store.renewLease(runId, owner.owner, timing.ttlMs).then(
        (ours) => {
          if (!ours) served.lost = true;
        },
        // A failed write is not a lost lease: the next beat tries again.
        () => undefined,
      );
    }, timing.heartbeatMs);
    served.heartbeat.unref();
    return served;
  }

  /** A task of the run by id; UNKNOWN_TASK with a hint otherwise. */
  task(id: string): Task {
    const task = this.byId.get(id);
    if (!task)
      throw new GroundworkError('UNKNOWN_TASK', `no task ${JSON.stringify(id)} in ${this.config.domain}/${this.config.split}`, {
        hint: `task ids look like ${this.tasks
          .slice(0, 3)
          .map((t) => t.id)
          .join(', ')} (${this.tasks.length} in all)`,
      });
    return task;
  }

  /**
   * Reserve a fresh episode slot: the task by id (else the next one round-robin), the next trial
   * of that task, its episode id as the runner forms it, and its seed (given, or derived from the
   * run seed as `planEpisodes` does).
   */
  reserveEpisode(options: { taskId?: string; seed?: number } = {}): EpisodeSpec & { task: Task } {
    this.checkOpen();
    const task = options.taskId !== undefined ? this.task(options.taskId) : this.tasks[this.roundRobin++ % this.tasks.length];
    const trial = this.trials.get(task.id) ?? 0;
    this.trials.set(task.id, trial + 1);
    const agent = this.agentName;
    return {
      episodeId: episodeIdFor(this.runId, agent, task.id, trial),
      runId: this.runId,
      agent,
      taskId: task.id,
      trial,
      seed: options.seed ?? seedFrom('episode', this.config.seed, task.id, trial),
      task,
    };
  }

  /** Commit one finished episode to the run. */
  async save(record: EpisodeRecord): Promise<void> {
    await this.store.saveEpisode(record);
  }

  /** Stop the heartbeat, store the final status and give up the lease. Idempotent. */
  async close(status: 'finished' | 'interrupted' = 'finished'): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.lost) return;
    await this.store.setRunStatus(this.runId, status);
    await this.store.releaseLease(this.runId, this.owner.owner).catch(() => undefined);
  }

  private checkOpen(): void {
    if (this.closed) throw new GroundworkError('INVALID_ARGUMENT', `served run ${this.runId} is closed`);
    if (this.lost)
      throw new GroundworkError(
        'RUN_BUSY',
        `run ${this.runId} was taken over by another process after this server stalled past its lease`,
        {
          hint: 'restart groundwork serve',
        },
      );
  }
}
