/**
 * What the audit adds to a built-in run (helpdesk, oracle/naive/noop, scripted user, SQLite):
 * the run without audit, with per-episode audits stored with each episode plus the end-of-run
 * summary (what `groundwork run` does), and with the old second pass over the store
 * (`auditStoredRun` after the run). Paired: each repetition runs the three in rotating order on
 * fresh databases; medians are printed. Then the peak memory (max RSS, one child process each) of
 * summarising a large run: agent by agent from the stored audits, the whole run at once, and the
 * offline audit holding every audit in memory.
 *
 * Run: node --import tsx bench/audit-overhead.ts [tasks=300] [trials=3] [reps=3] [largeEpisodes=50000] [modes]
 * (largeEpisodes 0 skips the memory part; modes: a comma list of none,per-episode,second-pass, and
 * threads-none,threads-per-episode (the same run on 2 episode threads, as `run --threads 2`), the
 * first being the baseline; `by-audit` in the list also times the auditor alone, audit by audit,
 * over the episodes of one run: CPU µs per episode, and the per-task set-up.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditStoredRun } from '../src/audit-runner/audit-stored-run.ts';
import { createEpisodeAuditor, type EpisodeAuditor, type GradedForAudit } from '../src/audit-runner/episode-auditor.ts';
import type { EpisodeAuditInput } from '../src/audits/audit.ts';
import { BUILT_IN_AUDITS, createAuditRegistry } from '../src/audits/registry.ts';
import type { Domain } from '../src/domains/domain.ts';
import { MAX_AUDITS_IN_MEMORY, summariseStoredRun } from '../src/audit-runner/summarise-stored-run.ts';
import { EpisodeThreads } from '../src/cli/threads/episode-threads.ts';
import { SharedAdmissions } from '../src/models/shared-admission.ts';
import { createRun, domainFor, executeRun } from '../src/runner/local-runner.ts';
import type { EpisodeAudit } from '../src/schema/audit.ts';
import type { Task } from '../src/schema/task.ts';
import { SqliteStore } from '../src/store/sqlite-store.ts';

const agents = ['oracle', 'naive', 'noop'];
type Mode = 'none' | 'per-episode' | 'second-pass' | 'threads-none' | 'threads-per-episode';
/** Episode threads of the threads-* modes (as `run --threads 2`), and their episodes in flight. */
const THREADS = 2;
const THREADED_CONCURRENCY = 16;

/** One run in a fresh database; milliseconds of the run and of its audit. */
async function timedRun(
  dir: string,
  mode: Mode,
  tasks: number,
  trials: number,
): Promise<{ run: number; audit: number; cpu: number; episodes: number; threadStartMs?: number }> {
  const store = SqliteStore.open(join(dir, `${mode}-${Math.random().toString(36).slice(2)}.db`));
  const threaded = mode.startsWith('threads-');
  const audited = mode === 'per-episode' || mode === 'threads-per-episode';
  let threads: EpisodeThreads | undefined;
  try {
    const concurrency = threaded ? THREADED_CONCURRENCY : 4;
    const { runId, config } = await createRun(store, { domain: 'helpdesk', tasks: { count: tasks }, agents, trials, concurrency });
    const runTasks = await store.runTasks(runId);
    let auditor: EpisodeAuditor | undefined;
    const auditorOf = (domain: Domain) => (auditor ??= createEpisodeAuditor({ domain, tasks: runTasks, keep: MAX_AUDITS_IN_MEMORY }));
    let threadStartMs: number | undefined;
    if (threaded) {
      // As `run --threads 2` builds them (src/cli/actions/run.ts); started before the clock, their start-up printed apart.
      const starting = performance.now();
      threads = new EpisodeThreads({
        threads: THREADS,
        runId,
        config,
        tasks: runTasks,
        admissions: new SharedAdmissions(),
        ...(audited ? { auditor: () => auditorOf(domainFor(config)) } : {}),
      });
      await threads.ready();
      threadStartMs = performance.now() - starting;
    }
    const cpu = process.cpuUsage();
    const started = performance.now();
    const result = await executeRun(runId, {
      store,
      ...(audited ? { auditEpisode: (graded, task, domain) => auditorOf(domain).audit(graded, task) } : {}),
      ...(threads ? { runEpisodes: threads } : {}),
    });
    const ran = performance.now();
    if (audited) await summariseStoredRun(store, runId, auditor ? { auditor } : {});
    if (mode === 'second-pass') await auditStoredRun(store, runId);
    const used = process.cpuUsage(cpu);
    return {
      run: ran - started,
      audit: performance.now() - ran,
      cpu: (used.user + used.system) / 1000,
      episodes: result.ran,
      ...(threadStartMs !== undefined ? { threadStartMs } : {}),
    };
  } finally {
    await threads?.close();
    await store.close();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const cpuMs = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};

/**
 * The auditor alone over the graded episodes of one run (captured as the runner hands them over):
 * per repetition a fresh auditor, its per-task set-up (static lint, token index) first, then every
 * episode's audit; each registered audit's CPU time is summed. Medians, CPU µs per episode.
 */
async function auditorByAudit(tasks: number, trials: number, reps: number): Promise<void> {
  const store = SqliteStore.open(':memory:');
  try {
    const { runId } = await createRun(store, { domain: 'helpdesk', tasks: { count: tasks }, agents, trials, concurrency: 4 });
    const runTasks = await store.runTasks(runId);
    const graded: { graded: GradedForAudit; task: Task }[] = [];
    let domain: Domain | undefined;
    await executeRun(runId, {
      store,
      auditEpisode: (episode, task, runDomain) => {
        domain = runDomain;
        graded.push({ graded: episode, task });
        return undefined;
      },
    });
    const setup: number[] = [];
    const total: number[] = [];
    const byAudit = new Map<string, number[]>();
    for (let rep = 0; rep < reps; rep++) {
      const spent = new Map<string, number>();
      const timed = createAuditRegistry(
        BUILT_IN_AUDITS.map((audit) => ({
          ...audit,
          audit: (input: EpisodeAuditInput, earlier: Partial<EpisodeAudit>) => {
            const started = cpuMs();
            try {
              return audit.audit(input, earlier);
            } finally {
              spent.set(audit.name, (spent.get(audit.name) ?? 0) + cpuMs() - started);
            }
          },
        })),
      );
      const auditor = createEpisodeAuditor({ domain: domain!, tasks: runTasks, registry: timed });
      const started = cpuMs();
      for (const task of runTasks) auditor.staticProblems(task);
      const setUp = cpuMs();
      for (const { graded: episode, task } of graded) auditor.audit(episode, task);
      setup.push(setUp - started);
      total.push(cpuMs() - setUp);
      for (const [name, ms] of spent) byAudit.set(name, [...(byAudit.get(name) ?? []), ms]);
    }
    const perEpisode = (ms: number) => ((ms / graded.length) * 1000).toFixed(1);
    console.log(`\nthe auditor alone over ${graded.length} graded episodes (${runTasks.length} tasks), medians of ${reps}, CPU:`);
    console.log(`  per-task set-up ${median(setup).toFixed(0)} ms (${((median(setup) / runTasks.length) * 1000).toFixed(0)} µs/task)`);
    console.log(
      `  audits ${median(total).toFixed(0)} ms = ${perEpisode(median(total))} µs/episode (timed one by one, with the timers' own cost):`,
    );
    for (const [name, ms] of byAudit) console.log(`    ${name.padEnd(12)} ${perEpisode(median(ms)).padStart(6)} µs/episode`);
  } finally {
    await store.close();
  }
}

/** A large audited run: one real audited run, its episodes and audits copied under further trial numbers. */
async function buildLargeRun(path: string, target: number): Promise<string> {
  const store = SqliteStore.open(path);
  try {
    const base = { domain: 'helpdesk', tasks: { count: 300 }, agents, trials: 3 };
    const { runId: seedRun } = await createRun(store, base);
    const seedTasks = await store.runTasks(seedRun);
    let auditor: EpisodeAuditor | undefined;
    await executeRun(seedRun, {
      store,
      auditEpisode: (graded, task, domain) => (auditor ??= createEpisodeAuditor({ domain, tasks: seedTasks })).audit(graded, task),
    });
    const audits = new Map<string, EpisodeAudit>();
    for await (const audit of store.iterateEpisodeAudits(seedRun)) audits.set(audit.episodeId, audit);
    const copies = Math.ceil(target / audits.size);
    const { runId } = await createRun(store, { ...base, trials: 3 * copies });
    for (let copy = 0; copy < copies; copy++) {
      for await (const episode of store.iterateEpisodes(seedRun)) {
        const id = `${episode.id}-c${copy}`;
        const trial = episode.trial + 3 * copy;
        const audit = audits.get(episode.id)!;
        await store.saveEpisode({ ...episode, id, runId, trial }, { ...audit, episodeId: id, runId, trial });
      }
    }
    return runId;
  } finally {
    await store.close();
  }
}

/** Child: summarise the run one way and print {ms, maxRssMb}. */
async function child(path: string, runId: string, how: string): Promise<void> {
  const store = SqliteStore.open(path);
  const started = performance.now();
  if (how === 'per-agent') await summariseStoredRun(store, runId);
  if (how === 'whole-run') await summariseStoredRun(store, runId, { maxAuditsInMemory: Number.POSITIVE_INFINITY });
  if (how === 'offline') await auditStoredRun(store, runId, { save: false });
  const ms = performance.now() - started;
  await store.close();
  console.log(JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4], process.argv[5]);
} else {
  const [tasks, trials, reps, large] = [300, 3, 3, 50_000].map((d, i) => Number(process.argv[2 + i] ?? d));
  const dir = mkdtempSync(join(tmpdir(), 'gw-audit-bench-'));
  const listed = process.argv[6]?.split(',') ?? ['none', 'per-episode', 'second-pass'];
  const modes = listed.filter((mode) => mode !== 'by-audit') as Mode[];
  const times: Record<Mode, { total: number[]; audit: number[]; cpu: number[] }> = {
    none: { total: [], audit: [], cpu: [] },
    'per-episode': { total: [], audit: [], cpu: [] },
    'second-pass': { total: [], audit: [], cpu: [] },
    'threads-none': { total: [], audit: [], cpu: [] },
    'threads-per-episode': { total: [], audit: [], cpu: [] },
  };
  const threadStarts: number[] = [];
  if (modes.length > 0) {
    let episodes = 0;
    await timedRun(dir, 'per-episode', 10, 1); // warm-up: module loading and JIT
    for (let rep = 0; rep < reps; rep++) {
      for (let i = 0; i < modes.length; i++) {
        const mode = modes[(i + rep) % modes.length];
        const t = await timedRun(dir, mode, tasks, trials);
        times[mode].total.push(t.run + t.audit);
        times[mode].audit.push(t.audit);
        times[mode].cpu.push(t.cpu);
        if (t.threadStartMs !== undefined) threadStarts.push(t.threadStartMs);
        episodes = t.episodes;
      }
    }
    const none = median(times[modes[0]].total);
    const noneCpu = median(times[modes[0]].cpu);
    console.log(
      `helpdesk ${tasks} tasks × ${agents.join(',')} × ${trials} trials = ${episodes} episodes, SQLite file, medians of ${reps}:`,
    );
    for (const mode of modes) {
      const total = median(times[mode].total);
      const cpu = median(times[mode].cpu);
      const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${(((a - b) / b) * 100).toFixed(1)}%`;
      const overhead = mode === modes[0] ? '' : `  overhead ${pct(total, none)} wall, ${pct(cpu, noneCpu)} CPU`;
      const audit = mode === 'none' || mode === 'threads-none' ? '' : ` (end of run ${median(times[mode].audit).toFixed(0)} ms)`;
      console.log(`  ${mode.padEnd(19)} ${total.toFixed(0).padStart(6)} ms wall ${cpu.toFixed(0).padStart(6)} ms CPU${audit}${overhead}`);
    }
    if (modes[0] === 'none' && modes.includes('per-episode')) {
      // The target, as docs/scale.md reads it: what the end of the run adds (the second pass
      // over the store it once was), beside what the audits made with the episodes add.
      const endOfRun = median(times['per-episode'].audit);
      const share = endOfRun / none;
      const played = median(times['per-episode'].total.map((total, i) => total - times['per-episode'].audit[i]));
      console.log(
        `  end-of-run audit ${endOfRun.toFixed(0)} ms = ${(share * 100).toFixed(1)}% of the run without audits (target < 10%: ${share < 0.1 ? 'met' : 'missed'}); the audits made as episodes are graded add ${(((played - none) / none) * 100).toFixed(1)}% before it`,
      );
    }
    if (threadStarts.length > 0)
      console.log(
        `  (threads-*: ${THREADS} episode threads, concurrency ${THREADED_CONCURRENCY}, CPU of every thread; their start-up, not in the wall above: ${median(threadStarts).toFixed(0)} ms median)`,
      );
  }
  rmSync(dir, { recursive: true, force: true });
  if (listed.includes('by-audit')) await auditorByAudit(tasks, trials, Math.max(reps, 5));

  if (large > 0) {
    // tmpfs when there is one: building the large run commits one episode per transaction.
    const bigDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'gw-audit-large-'));
    const path = join(bigDir, 'large.db');
    const started = performance.now();
    const runId = await buildLargeRun(path, large);
    const size = (await (async () => {
      const s = SqliteStore.open(path);
      const n = (await s.auditTotals(runId)).audited;
      await s.close();
      return n;
    })()) as number;
    console.log(`\nsummarising a ${size}-episode run (built in ${((performance.now() - started) / 1000).toFixed(0)} s), one process each:`);
    const self = fileURLToPath(import.meta.url);
    for (const how of ['per-agent', 'whole-run', 'offline']) {
      const out = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', path, runId, how], { encoding: 'utf8' });
      if (out.status !== 0) {
        console.log(`  ${how}: failed: ${out.stderr.trim().split('\n').slice(-3).join(' | ')}`);
        continue;
      }
      const { ms, maxRssMb } = JSON.parse(out.stdout.trim().split('\n').pop()!);
      const label = {
        'per-agent': 'agent by agent (summariseStoredRun)',
        'whole-run': 'whole run at once',
        offline: 'offline audit, all in memory',
      }[how];
      console.log(`  ${label!.padEnd(36)} ${(ms / 1000).toFixed(1).padStart(6)} s  peak RSS ${maxRssMb.toFixed(0)} MB`);
    }
    rmSync(bigDir, { recursive: true, force: true });
  }
}
