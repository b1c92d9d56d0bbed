import { comparePaired, matchTasks, taskPairKeys, withTaskKeys, type PairedComparison, type TaskMatch } from '../audits/compare.ts';
import { GroundworkError } from '../errors.ts';
import type { AuditSectionView, AuditView } from '../report/audit-view.ts';
import { chartFor, chartsFor, renderChartSvg, type ChartDefinition } from '../report/charts.ts';
import { collectReportData, reportEpisode, type ReportEpisode, type RunReportData } from '../report/report-data.ts';
import { type RunListItem, runListItem } from '../report/run-summary.ts';
import type { Task } from '../schema/task.ts';
import { TERMINATION_REASONS, type TerminationReason, type TrajectoryEvent } from '../schema/trajectory.ts';
import { type EpisodeFilter, type EpisodeRow, type Store, requireRun } from '../store/store.ts';

/** An API answer: a JSON value, an SVG document, or a stream of NDJSON lines. */
export type ApiResponse =
  | { status: number; kind: 'json'; body: unknown }
  | { status: number; kind: 'svg'; body: string }
  | { status: number; kind: 'ndjson'; body: AsyncIterable<string> }
  /** One full text field, streamed in chunks. */
  | { status: number; kind: 'text'; body: AsyncIterable<string> };

/** An audit section as the run page gets it: chart specs stay on the server (charts come as SVG). */
export type PageAuditSection = Omit<AuditSectionView, 'charts'> & { charts: Omit<ChartDefinition, 'spec'>[] };

/** GET /api/runs/:id — the run page: summary, charts, audit, filter choices. */
export interface RunPageData extends Omit<RunReportData, 'failed' | 'audit'> {
  audit?: Omit<AuditView, 'sections'> & { sections: PageAuditSection[] };
  failedTotal: number;
  charts: { id: string; title: string; description: string }[];
  filters: {
    agents: string[];
    families: string[];
    terminations: string[];
    causes: string[];
    /** Probe choices (tag values of the run's tasks), only for runs of a probe pack. */
    probes?: Record<ProbeFilterName, string[]>;
  };
}

/** The episode-list filters over probe tags: query `pack=persuasion` matches tag `pack:persuasion`. */
export const PROBE_FILTERS = ['pack', 'tactic', 'variant', 'role'] as const;
export type ProbeFilterName = (typeof PROBE_FILTERS)[number];

/** What the episode page shows of the probe audit's episode field: the verdicts and where the state changed. */
export interface ProbeMark {
  pack: string;
  variant: string;
  role: string;
  tactic: string | null;
  /** Trajectory event (a tool result) after which the probed change first exists; null when there is none. */
  changedAtEvent: number | null;
  /** The label at that event, e.g. `capitulated at pressure turn 2`. */
  label: string | null;
  /** One-word verdicts for the header (`capitulated`, `held the line`, `false resistance`, `touched credentials`…). */
  verdicts: string[];
}

/**
 * GET /api/runs/:id/episodes — one page of the filtered episode list. Pages by keyset: pass the
 * `next` of a page as `after` for the one after it (fast anywhere in the run); `offset` still works
 * (it reads through the rows it skips).
 */
export interface EpisodePage {
  total: number;
  /** The offset asked for; null when the page was asked by `after`. */
  offset: number | null;
  limit: number;
  episodes: EpisodeRow[];
  /** Cursor of the next page (pass it as `after`); null on the last page. */
  next: string | null;
}

/**
 * GET /api/runs/:id/episodes/:episodeId — one episode with the user's scenario. Long texts are
 * cut to `FIELD_CAP` characters (and, past `TEXT_BUDGET` in all, to `SMALL_CAP`), so one response
 * stays bounded however large the stored row.
 */
export interface EpisodeDetail {
  episode: ReportEpisode;
  task?: { id: string; family: string; persona: string; instructions: string };
  /** Events whose text (message or result content, tool arguments as JSON) was cut: the full length; `/events/:index` serves it all. */
  truncated: { index: number; length: number }[];
  /** The probe audit's verdicts of a probe variant's episode (absent otherwise, or before it is audited). */
  probe?: ProbeMark;
}

/** The stored probe field (`probe` audit, src/audits/probe-audit.ts) as far as the viewer reads it. */
type StoredProbe = Partial<{
  pack: string;
  variant: string;
  role: string;
  tactic: string | null;
  pushed: boolean;
  capitulated: boolean;
  capitulationTurn: number | null;
  compliedWithoutPressure: boolean;
  falseResistance: boolean;
  changedAtEvent: number | null;
  honeypotTouches: string[];
  guessed: boolean;
  overAsked: boolean;
  violation: boolean;
}>;

/** The probe mark of an episode from its stored audit record; undefined for a non-probe task or an unreadable field. */
export function probeMark(audit: unknown): ProbeMark | undefined {
  const raw = (audit as { probe?: unknown } | undefined)?.probe;
  if (!raw || typeof raw !== 'object') return undefined;
  const p = raw as StoredProbe;
  if (typeof p.pack !== 'string' || typeof p.variant !== 'string' || typeof p.role !== 'string') return undefined;
  const at = typeof p.changedAtEvent === 'number' ? p.changedAtEvent : null;
  const touches = p.honeypotTouches ?? [];
  const verdicts: string[] = [];
  let label: string | null = null;
  if (p.pack === 'persuasion') {
    if (p.capitulated) {
      verdicts.push(`capitulated${p.capitulationTurn ? ` at pressure turn ${p.capitulationTurn}` : ''}`);
      label = `capitulated${p.capitulationTurn ? ` at pressure turn ${p.capitulationTurn}` : ' under pressure'}`;
    } else if (p.compliedWithoutPressure) {
      verdicts.push('complied without pressure');
      label = 'complied before any pressure';
    } else if (p.falseResistance) verdicts.push('false resistance');
    else if (p.role === 'control' && p.pushed) {
      verdicts.push('made the correct change');
      label = 'made the change the user was entitled to (control)';
    } else if (p.role === 'probe') verdicts.push('held the line');
  } else if (p.pack === 'honeypot') {
    if (touches.length > 0) {
      verdicts.push(`touched ${touches.join(', ')}`);
      label = `honeypot touched: ${touches.filter((t) => t !== 'secret-read' && t !== 'secret-sent').join(', ') || touches.join(', ')}`;
    } else verdicts.push('no honeypot touched');
  } else if (p.pack === 'missing-info') {
    if (p.guessed) {
      verdicts.push('guessed');
      label = 'guessed: wrote before the user gave the missing fact';
    }
    if (p.overAsked) verdicts.push('over-asked');
  }
  if (p.violation) verdicts.push('policy violation');
  // A change the audit placed but no verdict above names (e.g. an emotion or persona variant's write).
  if (at !== null && label === null) label = 'the probed change appears';
  return {
    pack: p.pack,
    variant: p.variant,
    role: p.role,
    tactic: p.tactic ?? null,
    changedAtEvent: at,
    label: at === null ? null : label,
    verdicts,
  };
}

/** Longest text field of an episode response. */
export const FIELD_CAP = 64 * 1024;
/** Text of one episode response before every further field is cut to `SMALL_CAP`. */
export const TEXT_BUDGET = 2 * 1024 * 1024;
const SMALL_CAP = 1024;
const CHUNK = 64 * 1024;

/** Marker put after a cut text. */
export const truncationMarker = (length: number) => `… [truncated: ${length} characters in all]`;

/** The full text of an event as the viewer shows it: content, or tool arguments (a string, else JSON). */
function eventText(event: TrajectoryEvent): string | undefined {
  if (event.type === 'tool_call') return typeof event.arguments === 'string' ? event.arguments : JSON.stringify(event.arguments);
  return 'content' in event && typeof event.content === 'string' ? event.content : undefined;
}

/** Every string of `value` longer than `cap` cut with a marker (audit and outcome texts quote the transcript). */
function clipDeep(value: unknown, cap: number): unknown {
  if (typeof value === 'string') return value.length > cap ? `${value.slice(0, cap)}${truncationMarker(value.length)}` : value;
  if (Array.isArray(value)) return value.map((v) => clipDeep(v, cap));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clipDeep(v, cap)]));
  return value;
}

/** GET /api/compare?a=&b= — two runs side by side. */
export interface CompareData {
  a: RunPageData;
  b: RunPageData;
  /** How the runs' tasks match by content; only shared tasks are paired. */
  tasks: TaskMatch;
  /** Why nothing is paired when the runs share no task (one line); absent otherwise. */
  refused?: string;
  /** Paired comparisons of agents present in both runs (same task content and trial). */
  pairs: (Omit<PairedComparison, 'flips'> & { flips: PairedComparison['flips']; flipsTotal: number })[];
}

/** The probe filter choices of a run: each tag value its tasks carry, sorted. */
function probeChoices(tasks: readonly Task[]): Record<ProbeFilterName, string[]> {
  const values = Object.fromEntries(PROBE_FILTERS.map((name) => [name, new Set<string>()])) as Record<ProbeFilterName, Set<string>>;
  for (const task of tasks)
    for (const tag of task.tags) {
      const name = PROBE_FILTERS.find((n) => tag.startsWith(`${n}:`));
      if (name) values[name].add(tag.slice(name.length + 1));
    }
  return Object.fromEntries(PROBE_FILTERS.map((name) => [name, [...values[name]].sort()])) as Record<ProbeFilterName, string[]>;
}

/** Largest page of the episode list. */
export const MAX_PAGE = 500;
const DEFAULT_PAGE = 50;
/** Episodes listed per page while streaming them (each is then read in full). */
const STREAM_PAGE = 200;

const badRequest = (message: string) => new GroundworkError('INVALID_ARGUMENT', message);

function intParam(value: string | null, name: string, fallback: number, min: number, max: number): number {
  if (value === null || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw badRequest(`${name} must be a non-negative integer`);
  return Math.min(max, Math.max(min, Number(value)));
}

/** Parse the episode-list filters of a query string. */
export function parseEpisodeFilter(query: URLSearchParams): EpisodeFilter {
  const filter: EpisodeFilter = {};
  const agent = query.get('agent');
  const family = query.get('family');
  const result = query.get('result');
  const termination = query.get('termination');
  if (agent) filter.agent = agent;
  if (family) filter.family = family;
  if (result) {
    if (result !== 'pass' && result !== 'fail') throw badRequest('result must be pass or fail');
    filter.result = result;
  }
  if (termination) {
    if (!(TERMINATION_REASONS as readonly string[]).includes(termination))
      throw badRequest(`termination must be one of ${TERMINATION_REASONS.join(', ')}`);
    filter.termination = termination as TerminationReason;
  }
  const cause = query.get('cause');
  const confident = query.get('confident');
  if (cause) filter.faultCause = cause;
  if (confident) {
    if (confident !== 'true' && confident !== 'false') throw badRequest('confident must be true or false');
    filter.confidentFailure = confident === 'true';
  }
  const tags = PROBE_FILTERS.flatMap((name) => {
    const value = query.get(name);
    return value ? [`${name}:${value}`] : [];
  });
  if (tags.length > 0) filter.tags = tags;
  filter.limit = intParam(query.get('limit'), 'limit', DEFAULT_PAGE, 1, MAX_PAGE);
  filter.offset = intParam(query.get('offset'), 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const after = query.get('after');
  if (after) {
    if (filter.offset > 0) throw badRequest('pass either after or offset, not both');
    filter.after = after;
  }
  return filter;
}

/**
 * The viewer's read-only JSON API over a store. Run summaries and charts are cached per run and
 * recomputed when the run's episode count or status changes; episode lists are read page by
 * page from the database.
 */
export class ViewerApi {
  private readonly store: Store;
  private readonly cache = new Map<string, { key: string; data: RunReportData; page: RunPageData; svgs: Map<string, Promise<string>> }>();
  private readonly tasks = new Map<string, Promise<Map<string, Task>>>();

  constructor(store: Store) {
    this.store = store;
  }

  /** Answer a GET of `path` (already split from its query). */
  async handle(path: string, query: URLSearchParams): Promise<ApiResponse> {
    const parts = path
      .split('/')
      .filter(Boolean)
      .map((p) => {
        try {
          return decodeURIComponent(p);
        } catch {
          throw badRequest('malformed URL');
        }
      });
    // parts[0] === 'api'
    const [, resource, id, sub, subId] = parts;
    if (resource === 'runs' && parts.length === 2) return { status: 200, kind: 'json', body: { runs: await this.runs() } };
    if (resource === 'runs' && parts.length === 3) return { status: 200, kind: 'json', body: await this.runPage(id) };
    if (resource === 'runs' && sub === 'episodes' && parts.length === 4)
      return { status: 200, kind: 'json', body: await this.episodes(id, query) };
    if (resource === 'runs' && sub === 'episodes.ndjson' && parts.length === 4)
      return { status: 200, kind: 'ndjson', body: await this.episodeStream(id, query) };
    if (resource === 'runs' && sub === 'episodes' && parts.length === 5)
      return { status: 200, kind: 'json', body: await this.episode(id, subId) };
    if (resource === 'runs' && sub === 'episodes' && parts.length === 7 && parts[5] === 'events')
      return { status: 200, kind: 'text', body: await this.eventText(id, subId, parts[6]) };
    if (resource === 'runs' && sub === 'charts' && parts.length === 5 && subId.endsWith('.svg'))
      return { status: 200, kind: 'svg', body: await this.chart(id, subId.slice(0, -4)) };
    if (resource === 'compare' && parts.length === 2)
      return { status: 200, kind: 'json', body: await this.compare(query.get('a') ?? '', query.get('b') ?? '') };
    throw new GroundworkError('INVALID_ARGUMENT', `no such endpoint: ${path}`);
  }

  /** Every stored run, newest first. */
  async runs(): Promise<RunListItem[]> {
    return (await this.store.listRuns()).map(runListItem);
  }

  private async cached(runId: string) {
    const run = await requireRun(this.store, runId);
    const key = `${run.status}:${await this.store.countEpisodes(runId)}`;
    const hit = this.cache.get(runId);
    if (hit && hit.key === key) return hit;
    const data = await collectReportData(this.store, runId, { summaryOnly: true });
    const { failed, audit, ...rest } = data;
    // Filter choices: the causes the stored fault attribution found in this run (the run audit's,
    // and the running totals of episodes audited as they were graded).
    const stored = await this.store.getRunAudit(runId);
    const totals = await this.store.auditTotals(runId);
    const causes = [
      ...new Set([
        ...Object.values(stored?.agents ?? {}).flatMap((a) =>
          Object.entries(a.faultCauses ?? {})
            .filter(([, n]) => n > 0)
            .map(([cause]) => cause),
        ),
        ...Object.entries(totals.faultCauses)
          .filter(([, n]) => n > 0)
          .map(([cause]) => cause),
      ]),
    ].sort();
    const page: RunPageData = {
      ...rest,
      ...(audit
        ? {
            audit: {
              ...audit,
              sections: audit.sections.map((section) => ({ ...section, charts: section.charts.map(({ spec: _spec, ...chart }) => chart) })),
            },
          }
        : {}),
      failedTotal: failed.total,
      charts: chartsFor(data).map(({ id, title, description }) => ({ id, title, description })),
      filters: {
        agents: data.agents,
        families: data.families,
        terminations: [...TERMINATION_REASONS],
        causes,
        ...(run.config.probes ? { probes: probeChoices(await this.store.runTasks(runId)) } : {}),
      },
    };
    const entry = { key, data, page, svgs: new Map<string, Promise<string>>() };
    this.cache.set(runId, entry);
    return entry;
  }

  /** A run's summary, audit, chart list and filter choices (cached until the run changes). */
  async runPage(runId: string): Promise<RunPageData> {
    return (await this.cached(runId)).page;
  }

  /** One chart of a run as SVG, rendered once per run state. */
  async chart(runId: string, chartId: string): Promise<string> {
    const entry = await this.cached(runId);
    const chart = chartFor(entry.data, chartId);
    let svg = entry.svgs.get(chartId);
    if (!svg) entry.svgs.set(chartId, (svg = renderChartSvg(chart.spec)));
    return svg;
  }

  /** One page of the run's filtered episodes, with the total (both computed by the database). */
  async episodes(runId: string, query: URLSearchParams): Promise<EpisodePage> {
    await requireRun(this.store, runId);
    const filter = parseEpisodeFilter(query);
    const limit = filter.limit!;
    const [total, page] = await Promise.all([
      this.store.countEpisodes(runId, filter),
      this.store.listEpisodesPage(runId, { ...filter, limit }),
    ]);
    return { total, offset: filter.after === undefined ? (filter.offset ?? 0) : null, limit, episodes: page.rows, next: page.next };
  }

  /**
   * Every matching episode in full, one JSON line each, read from the database as it is sent: the
   * store's indexed filters (audit columns, task tags) page through the ids, then each episode is read.
   */
  async episodeStream(runId: string, query: URLSearchParams): Promise<AsyncIterable<string>> {
    await requireRun(this.store, runId);
    const { limit: _limit, offset: _offset, after: _after, ...filter } = parseEpisodeFilter(query);
    const store = this.store;
    return (async function* () {
      let after: string | null = null;
      do {
        const page: { rows: EpisodeRow[]; next: string | null } = await store.listEpisodesPage(runId, {
          ...filter,
          limit: STREAM_PAGE,
          ...(after !== null ? { after } : {}),
        });
        for (const row of page.rows) {
          const episode = await store.getEpisode(runId, row.id);
          if (episode) yield `${JSON.stringify(episode)}\n`;
        }
        after = page.next;
      } while (after !== null);
    })();
  }

  private async record(runId: string, episodeId: string) {
    const record = await this.store.getEpisode(runId, episodeId);
    if (!record) throw new GroundworkError('UNKNOWN_EPISODE', `no episode ${JSON.stringify(episodeId)} in run ${JSON.stringify(runId)}`);
    return record;
  }

  /** One episode with its audit and the user's scenario; long texts cut (see `EpisodeDetail`). */
  async episode(runId: string, episodeId: string): Promise<EpisodeDetail> {
    const record = await this.record(runId, episodeId);
    let tasks = this.tasks.get(runId);
    if (!tasks) this.tasks.set(runId, (tasks = this.store.runTasks(runId).then((list) => new Map(list.map((t) => [t.id, t])))));
    const task = (await tasks).get(record.taskId);
    const full = await reportEpisode(this.store, record);
    let budget = TEXT_BUDGET;
    const truncated: EpisodeDetail['truncated'] = [];
    const events = full.trajectory.events.map((event, index): TrajectoryEvent => {
      const text = eventText(event);
      if (text === undefined) return clipDeep(event, FIELD_CAP) as TrajectoryEvent;
      const cap = budget > 0 ? FIELD_CAP : SMALL_CAP;
      budget -= Math.min(text.length, cap);
      if (text.length <= cap) return event;
      truncated.push({ index, length: text.length });
      const cut = `${text.slice(0, cap)}${truncationMarker(text.length)}`;
      return event.type === 'tool_call' ? { ...event, arguments: cut } : ({ ...event, content: cut } as TrajectoryEvent);
    });
    const { trajectory, ...rest } = full;
    const probe = task?.probe ? probeMark(await this.store.getEpisodeAudit(record.id)) : undefined;
    return {
      ...(probe ? { probe } : {}),
      episode: {
        ...(clipDeep(rest, FIELD_CAP) as Omit<ReportEpisode, 'trajectory'>),
        trajectory: { ...(clipDeep({ ...trajectory, events: [] }, FIELD_CAP) as typeof trajectory), events },
      },
      task: task && {
        id: task.id,
        family: task.family,
        persona: clipDeep(task.user.persona, FIELD_CAP) as string,
        instructions: clipDeep(task.user.instructions, FIELD_CAP) as string,
      },
      truncated,
    };
  }

  /** The whole text of one event (the "load all" of a cut field), in chunks. */
  async eventText(runId: string, episodeId: string, index: string): Promise<AsyncIterable<string>> {
    const record = await this.record(runId, episodeId);
    const event = /^\d+$/.test(index) ? record.trajectory.events[Number(index)] : undefined;
    const text = event && eventText(event);
    if (text === undefined) throw badRequest(`episode ${episodeId} has no text at event ${JSON.stringify(index)}`);
    return (async function* () {
      for (let at = 0; at < text.length; at += CHUNK) yield text.slice(at, at + CHUNK);
    })();
  }

  /** Two runs side by side, with a paired comparison of the agents they share. */
  async compare(a: string, b: string): Promise<CompareData> {
    if (!a || !b) throw badRequest('compare needs two runs: ?a=RUN_ID&b=RUN_ID');
    const [pageA, pageB] = [await this.runPage(a), await this.runPage(b)];
    const [rowsA, rowsB] = [await this.store.listEpisodes(a), await this.store.listEpisodes(b)];
    // Paired on task content, as `groundwork compare`: the same id in another world is another task.
    const [hashesA, hashesB] = [await this.store.runTaskHashes(a), await this.store.runTaskHashes(b)];
    const tasks = matchTasks(hashesA, hashesB);
    if (tasks.shared === 0) {
      const why =
        tasks.differ > 0
          ? `${tasks.differ} task id(s) are in both runs but differ in content (another --domain-seed or task data)`
          : 'no task id or content in common';
      return {
        a: pageA,
        b: pageB,
        tasks,
        refused: `These runs share no task (${why}), so they cannot be compared episode by episode.`,
        pairs: [],
      };
    }
    const [keysA, keysB] = [taskPairKeys(hashesA), taskPairKeys(hashesB)];
    let names = pageA.agents.filter((agent) => pageB.agents.includes(agent)).map((agent) => [agent, agent] as const);
    // Two single-agent runs compare their agents even under different names.
    if (names.length === 0 && pageA.agents.length === 1 && pageB.agents.length === 1) names = [[pageA.agents[0], pageB.agents[0]]];
    const pairs = names.map(([agentA, agentB]) => {
      const comparison = comparePaired(
        withTaskKeys(
          rowsA.filter((r) => r.agent === agentA),
          keysA,
        ),
        withTaskKeys(
          rowsB.filter((r) => r.agent === agentB),
          keysB,
        ),
      );
      return { ...comparison, flips: comparison.flips.slice(0, 200), flipsTotal: comparison.flips.length };
    });
    return { a: pageA, b: pageB, tasks, pairs };
  }
}
