import { randomBytes } from 'node:crypto';
import { createExperienceAgent } from '../agents/experience-agent.ts';
import { createLlmAgent } from '../agents/llm-agent.ts';
import type { DomainRegistry } from '../domains/registry.ts';
import { GroundworkError } from '../errors.ts';
import { summarise } from '../grading/metrics.ts';
import type { ModelHub } from '../models/model-hub.ts';
import type { ModelsConfig } from '../models/model-config.ts';
import { addUsage } from '../models/usage.ts';
import type { RunConfig, RunConfigInput } from '../schema/run-config.ts';
import type { ParticipantFactory } from '../runner/build.ts';
import { createRun, domainFor, executeRun, type RunProgress } from '../runner/local-runner.ts';
import {
  EXPERIENCE_KINDS,
  EXPERIENCE_SCHEMA_VERSION,
  type ExperienceKind,
  type LearningEvaluation,
  type LearningSession,
} from '../schema/experience.ts';
import type { JsonValue } from '../schema/json.ts';
import type { Usage } from '../schema/trajectory.ts';
import type { EpisodeRecord, Store } from '../store/store.ts';
import { DEFAULT_EXPERIENCE_LIMITS, renderExperience, selectedIds, selectExperience, type ExperienceLimits } from './context.ts';
import type { EmbedFunction } from './demonstrations.ts';
import { countByKind, EXPERIENCE_SOURCE_SPLIT, loadExperience } from './experience-store.ts';
import { ensureRunAudited, simulatorFaultedEpisodes } from './faults.ts';
import { updateExperience } from './update.ts';

/** Which tasks of a split: the first N, or exact ids. */
export interface TaskChoice {
  count?: number;
  ids?: string[];
}

/** Something that happened during `learn`, for progress output and logs. */
export type LearnEvent =
  | { type: 'phase-start'; phase: string; runId: string; planned: number }
  | { type: 'episode'; phase: string; progress: RunProgress }
  | { type: 'phase-end'; phase: string; runId: string; successRate: number }
  | { type: 'experience'; round: number; saved: number; removed: number; notes: string[] };

/** Options of `learn`. */
export interface LearnOptions {
  store: Store;
  /** The run's model hub (the agent, reflection and critic models are called through it). */
  hub: ModelHub;
  /** The agent's model: a spec (`openai:gpt-4o`) or a configured model name. */
  agent: string;
  /** The critic model for insights and skills. @default the agent's model */
  critic?: string;
  /** @default 'helpdesk' */
  domain?: string;
  domainOptions?: RunConfig['domainOptions'];
  /** The domains to take `domain` from. @default builtInDomains */
  domains?: DomainRegistry;
  /** User simulator. @default 'scripted' */
  user?: string;
  /** Builds model users (and anything else not built in). */
  participants?: ParticipantFactory;
  /** Mechanisms switched on. @default all four */
  mechanisms?: readonly ExperienceKind[];
  /** Learning rounds on the train split. @default 3 */
  rounds?: number;
  /** Train tasks. @default the first 14 */
  trainTasks?: TaskChoice;
  /** Test tasks. @default the first 7 */
  testTasks?: TaskChoice;
  /** Trials per task in every phase. @default 1 */
  trials?: number;
  /** Show reflections the field-level diff, not only the binary outcome. @default false */
  withDiff?: boolean;
  /** How much experience goes into one episode. @default DEFAULT_EXPERIENCE_LIMITS */
  limits?: Partial<ExperienceLimits>;
  /** An embedding function for retrieval (library use); lexical similarity (BM25) when absent. */
  embed?: EmbedFunction;
  /**
   * An embedding model (spec or configured name) for retrieval of demonstrations and skills,
   * called through the hub (role `embed`, keyed per episode trial and seed). Exclusive with
   * `embed`. @default none: BM25
   */
  embedModel?: string;
  /** Seed of the episodes (same in every phase, so rounds meet the same users). @default 1 */
  seed?: number;
  /** @default 4 */
  concurrency?: number;
  maxSteps?: number;
  /** Named models, stored in each run's config (no keys). @default {} */
  models?: ModelsConfig;
  /** Evaluate the test split before learning too (the "before" of the curve). @default true */
  testBefore?: boolean;
  /** Experience set / session id. @default a new `learn-…` id */
  sessionId?: string;
  onEvent?: (event: LearnEvent) => void;
  now?: () => Date;
}

/**
 * Largest share of a phase's episodes that may end in infra_error. Above it the phase measured
 * the provider, not the agent: its success rate would read as a real (low) score and its
 * reflections would be learned from episodes that never ran, so `learn` stops.
 */
export const MAX_INFRA_ERROR_SHARE = 0.5;

/** Throws TOO_MANY_INFRA_ERRORS when more than half of a phase's episodes could not run (or none ran). */
export function stopOnInfraErrors(phase: string, runId: string, episodes: readonly EpisodeRecord[]): void {
  const failed = episodes.filter((e) => e.termination === 'infra_error');
  if (episodes.length > 0 && failed.length / episodes.length <= MAX_INFRA_ERROR_SHARE) return;
  const details = new Map<string, number>();
  for (const e of failed)
    details.set(
      e.trajectory.termination.detail ?? 'no detail recorded',
      (details.get(e.trajectory.termination.detail ?? 'no detail recorded') ?? 0) + 1,
    );
  const top = [...details.entries()].sort((x, y) => y[1] - x[1])[0]?.[0];
  throw new GroundworkError(
    'TOO_MANY_INFRA_ERRORS',
    `learning stopped in ${phase} (run ${runId}): ${failed.length} of ${episodes.length} episodes ended in infra_error (more than ${MAX_INFRA_ERROR_SHARE * 100}%)${top ? `: ${top}` : ''}`,
    {
      hint: 'nothing was learned from that phase; fix the cause, then run learn again',
    },
  );
}

/** A new learning session id: time-ordered and unique. */
export function newLearnId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `learn-${stamp}-${randomBytes(2).toString('hex')}`;
}

/**
 * Learning from earned feedback, in context (no weight updates). Optionally evaluates the test
 * split first; then, for each round, runs the train tasks with the experience so far, grades
 * them, and updates the experience from the graded episodes; finally evaluates the test split with
 * the learned experience. Every phase is an ordinary stored run whose config records the
 * experience block (mechanisms, set, source runs, `trainOnly`). The session (learning curve)
 * is stored and returned.
 */
export async function learn(options: LearnOptions): Promise<LearningSession> {
  const { store, hub } = options;
  const now = options.now ?? (() => new Date());
  const mechanisms = [...new Set(options.mechanisms ?? EXPERIENCE_KINDS)];
  const rounds = options.rounds ?? 3;
  if (rounds < 1) throw new GroundworkError('INVALID_ARGUMENT', 'rounds must be at least 1');
  const trials = options.trials ?? 1;
  const critic = options.critic ?? options.agent;
  hub.resolve(options.agent);
  hub.resolve(critic);
  if (options.embed && options.embedModel)
    throw new GroundworkError('INVALID_ARGUMENT', 'give either an embed function or an embedding model, not both');
  // Fails now (unknown model, missing key, Anthropic) rather than in the first episode.
  if (options.embedModel) hub.embedder(options.embedModel, { role: 'embed', trial: 0, seed: 0 });
  const retrieval: 'bm25' | 'embeddings' = options.embed || options.embedModel ? 'embeddings' : 'bm25';
  /** The embedding function of one episode: its own session, so trial and seed key its cassettes. */
  const embedFor = (trial: number, seed: number): { embed?: EmbedFunction; usage?: () => Usage } => {
    if (options.embed) return { embed: options.embed };
    if (!options.embedModel) return {};
    const embedder = hub.embedder(options.embedModel, { role: 'embed', trial, seed });
    return { embed: (texts) => embedder.embed(texts), usage: () => embedder.usage() };
  };
  const limits: ExperienceLimits = { ...DEFAULT_EXPERIENCE_LIMITS, ...options.limits };
  const setId = options.sessionId ?? newLearnId(now());
  const baseConfig = {
    domain: options.domain ?? 'helpdesk',
    domainOptions: options.domainOptions ?? {},
    agents: [options.agent],
    user: options.user ?? 'scripted',
    trials,
    seed: options.seed ?? 1,
    concurrency: options.concurrency ?? 4,
    ...(options.maxSteps ? { maxSteps: options.maxSteps } : {}),
    models: options.models ?? {},
  } satisfies RunConfigInput;
  const domain = domainFor({ ...baseConfig, tasks: {}, maxInvalidToolCalls: 5 } as RunConfig, options.domains);
  if (!domain.splits.includes(EXPERIENCE_SOURCE_SPLIT) || !domain.splits.includes('test')) {
    throw new GroundworkError(
      'INVALID_ARGUMENT',
      `domain ${domain.name} has no train and test splits (it has ${domain.splits.join(', ')})`,
      { hint: 'learn needs a domain with train and test splits, e.g. helpdesk' },
    );
  }
  const splitTaskIds = (split: string) => new Set(domain.tasks({ split }).map((t) => t.id));

  const session: LearningSession = {
    schemaVersion: EXPERIENCE_SCHEMA_VERSION,
    id: setId,
    createdAt: now().toISOString(),
    status: 'running',
    domain: domain.name,
    agent: options.agent,
    critic,
    mechanisms,
    settings: {
      rounds,
      trials,
      seed: baseConfig.seed,
      withDiff: options.withDiff === true,
      trainTasks: (options.trainTasks ?? { count: 14 }) as JsonValue,
      testTasks: (options.testTasks ?? { count: 7 }) as JsonValue,
      limits: { ...limits },
      retrieval,
      ...(options.embedModel ? { embedModel: options.embedModel } : {}),
      user: baseConfig.user,
    },
    rounds: [],
    test: {},
    usage: {},
  };
  await store.saveLearningSession(session);
  const sourceRunIds: string[] = [];

  /** One phase: a stored run of the agent with the experience guarded for `split`. */
  const phase = async (
    name: string,
    split: string,
    tasks: TaskChoice,
    useExperience: readonly ExperienceKind[],
  ): Promise<{ runId: string; episodes: EpisodeRecord[]; evaluation: LearningEvaluation }> => {
    const scope = { split, taskIds: splitTaskIds(split) };
    const guarded = useExperience.length
      ? await loadExperience(store, { setId, domain: domain.name, mechanisms: useExperience, scope })
      : { records: [], refused: [] };
    let embedUsage: Usage | undefined;
    const agent = createExperienceAgent({
      name: options.agent,
      build: (systemPrompt) => createLlmAgent(options.agent, hub, { systemPrompt }),
      async experience(request) {
        // Defence in depth: the pool was guarded for this split; an episode of another split gets nothing.
        if (!guarded.records.length || request.taskInfo?.split !== split) return { text: '', ids: [] };
        const { embed, usage } = embedFor(request.trial, request.seed);
        try {
          const selected = await selectExperience(
            guarded.records,
            { taskId: request.taskInfo.id, family: request.taskInfo.family, request: request.request },
            limits,
            embed,
          );
          return { text: renderExperience(selected), ids: selectedIds(selected) };
        } finally {
          if (usage) embedUsage = addUsage(embedUsage, usage());
        }
      },
    });
    const participants: ParticipantFactory = {
      agent: (name) => (name === options.agent ? agent : options.participants?.agent?.(name)),
      user: (name) => options.participants?.user?.(name),
    };
    const config: RunConfigInput = {
      ...baseConfig,
      split,
      tasks: tasks,
      experience: {
        mechanisms: [...useExperience],
        setId,
        sourceRunIds: [...sourceRunIds],
        sourceSplit: EXPERIENCE_SOURCE_SPLIT,
        trainOnly: true,
        phase: name,
        retrieval,
        ...(options.embedModel ? { embedModel: options.embedModel } : {}),
      },
    };
    const { runId } = await createRun(store, config, { participants, now, domains: options.domains });
    const run = (await store.getRun(runId))!;
    options.onEvent?.({ type: 'phase-start', phase: name, runId, planned: run.planned });
    await executeRun(runId, {
      store,
      participants,
      now,
      domains: options.domains,
      onProgress: (progress) => options.onEvent?.({ type: 'episode', phase: name, progress }),
    });
    // The deterministic audits label simulator-faulted episodes, which never become experience.
    await ensureRunAudited(store, runId, { now, domains: options.domains });
    const episodes: EpisodeRecord[] = [];
    for await (const episode of store.iterateEpisodes(runId)) episodes.push(episode);
    stopOnInfraErrors(name, runId, episodes);
    const metrics = summarise(
      episodes.map((e) => ({
        agent: e.agent,
        taskId: e.taskId,
        family: e.family,
        trial: e.trial,
        reward: e.reward,
        termination: e.termination,
      })),
    )[options.agent];
    if (embedUsage) session.usage.embed = addUsage(session.usage.embed, embedUsage);
    const used = new Set<string>();
    for (const episode of episodes) {
      const shown = (episode.trajectory.participants.agent as { experience?: unknown } | undefined)?.experience;
      if (Array.isArray(shown)) for (const id of shown) used.add(String(id));
    }
    const evaluation: LearningEvaluation = {
      runId,
      episodes: episodes.length,
      // Something was graded (stopOnInfraErrors), so these exist; never a 0 standing for "nothing ran".
      successRate: metrics!.meanReward!,
      passHatK: metrics!.passHatK,
      ci95: metrics!.ci95!,
      experienceUsed: used.size,
      experienceRefused: guarded.refused.length,
    };
    options.onEvent?.({ type: 'phase-end', phase: name, runId, successRate: evaluation.successRate });
    return { runId, episodes, evaluation };
  };

  try {
    const testTasks = options.testTasks ?? { count: 7 };
    if (options.testBefore !== false) {
      session.test.before = (await phase('test-before', 'test', testTasks, [])).evaluation;
      await store.saveLearningSession(session);
    }
    const history: EpisodeRecord[] = [];
    for (let round = 1; round <= rounds; round++) {
      const { runId, episodes, evaluation } = await phase(
        `round-${round}`,
        EXPERIENCE_SOURCE_SPLIT,
        options.trainTasks ?? { count: 14 },
        mechanisms,
      );
      sourceRunIds.push(runId);
      const update = await updateExperience({
        store,
        hub,
        setId,
        domain,
        episodes,
        history,
        mechanisms,
        agentModel: options.agent,
        critic,
        withDiff: options.withDiff,
        round,
        excluded: await simulatorFaultedEpisodes(store, episodes),
        now,
        concurrency: baseConfig.concurrency,
      });
      history.push(...episodes);
      for (const [role, usage] of Object.entries(update.usage)) session.usage[role] = addUsage(session.usage[role], usage);
      options.onEvent?.({ type: 'experience', round, saved: update.saved, removed: update.removed, notes: update.notes });
      const stored = await store.listExperience({ setId });
      const { passHatK, ci95, successRate } = evaluation;
      session.rounds.push({ round, runId, episodes: episodes.length, successRate, passHatK, ci95, experience: countByKind(stored) });
      await store.saveLearningSession(session);
    }
    session.test.after = (await phase('test-after', 'test', testTasks, mechanisms)).evaluation;
    session.status = 'finished';
    await store.saveLearningSession(session);
    return session;
  } catch (error) {
    session.status = 'failed';
    session.error = (error as Error).message;
    await store.saveLearningSession(session);
    throw error;
  }
}
