import type { EpisodePage, RunPageData } from '../api.ts';
import { Await, Badge, Card, RewardBadge, RunMeta, SummaryTable } from './components.tsx';
import { useJson } from './fetch.ts';
import { apiUrl, episodeHref, runHref } from './route.ts';

const PAGE_SIZE = 50;
const FILTERS = ['agent', 'family', 'result', 'termination', 'cause', 'confident', 'pack', 'tactic', 'variant', 'role'] as const;

/**
 * Keyset cursors of the episode pages seen, by run, filters and page number: a page turn asks for
 * the rows after the cursor the previous page returned (fast anywhere in a large run); a page
 * reached another way (a link to page 7) is asked by offset once.
 */
const pageCursors = new Map<string, string>();

/** A run: summary, charts, audit and the filtered, paginated episode list. */
export function RunPage(props: { runId: string; query: URLSearchParams }) {
  const loaded = useJson<RunPageData>(apiUrl(['runs', props.runId]));
  return (
    <Await loaded={loaded}>
      {(run) => (
        <>
          <header class="page-head">
            <h1>
              Run <span class="mono">{run.summary.runId}</span>
            </h1>
            <RunMeta run={run} />
          </header>
          <Card title="Summary">
            <SummaryTable run={run} />
          </Card>
          <Card title="Charts" class="charts">
            <div class="chart-grid">
              {run.charts.map((chart) => (
                <figure class="chart" key={chart.id} data-chart={chart.id}>
                  <figcaption>
                    <h3>{chart.title}</h3>
                    <p class="muted">{chart.description}</p>
                  </figcaption>
                  <img src={apiUrl(['runs', run.summary.runId, 'charts', `${chart.id}.svg`])} alt={chart.title} loading="lazy" />
                </figure>
              ))}
            </div>
            {run.learningCurves === undefined && <p class="muted small">Learning curves appear here for runs of learning agents.</p>}
          </Card>
          <AuditCard run={run} />
          <Episodes run={run} query={props.query} />
        </>
      )}
    </Await>
  );
}

function AuditCard(props: { run: RunPageData }) {
  const audit = props.run.audit;
  if (!audit) {
    return (
      <Card title="Audits">
        <p class="muted">
          No audit is stored for this run: confident failures, calibration, simulator fidelity and fault causes appear here once it is
          audited.
        </p>
      </Card>
    );
  }
  const runId = props.run.summary.runId;
  return (
    <Card title="Audits">
      {/* One section per registered audit, rendered from its own description: a new audit needs no change here. */}
      {audit.sections.map((section) => (
        <section class="audit" key={section.name} data-audit={section.name}>
          <h3>
            {section.title} {section.version && <span class="muted small">{section.version}</span>}
          </h3>
          <p class="muted">{section.text}</p>
          {section.stale ? (
            <p class="muted">{section.stale}</p>
          ) : (
            section.tables.map((t, i) => (
              <div key={i}>
                {t.title && <h4>{t.title}</h4>}
                <table class="num">
                  <thead>
                    <tr>
                      {t.columns.map((c) => (
                        <th key={c}>{c}</th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {t.rows.map((row, r) => (
                      <tr key={r}>
                        {row.map((cell, c) => (
                          <td key={c}>
                            {cell === null ? (
                              '–'
                            ) : typeof cell === 'object' ? (
                              <a class="mono" href={episodeHref(runId, cell.episodeId)}>
                                {cell.episodeId}
                              </a>
                            ) : (
                              cell
                            )}
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
                {t.note && <p class="muted small">{t.note}</p>}
              </div>
            ))
          )}
        </section>
      ))}
      {audit.taskProblems && audit.taskProblems.length > 0 && (
        <>
          <h3>Task problems</h3>
          <table>
            <thead>
              <tr>
                <th>task</th>
                <th>kind</th>
                <th>detail</th>
              </tr>
            </thead>
            <tbody>
              {audit.taskProblems.map((p, i) => (
                <tr key={i}>
                  <td>{p.taskId}</td>
                  <td>{p.kind}</td>
                  <td>{p.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {audit.notes && audit.notes.length > 0 && <p class="muted small">{audit.notes.join(' ')}</p>}
    </Card>
  );
}

function Episodes(props: { run: RunPageData; query: URLSearchParams }) {
  const { run, query } = props;
  const runId = run.summary.runId;
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1);
  const apiQuery = new URLSearchParams();
  for (const name of FILTERS) {
    const value = query.get(name);
    if (value) apiQuery.set(name, value);
  }
  apiQuery.set('limit', String(PAGE_SIZE));
  const cursorKey = (n: number) => `${runId}?${apiQuery.toString()}#${n}`;
  const cursor = pageCursors.get(cursorKey(page));
  if (cursor) apiQuery.set('after', cursor);
  else if (page > 1) apiQuery.set('offset', String((page - 1) * PAGE_SIZE));
  const loaded = useJson<EpisodePage>(apiUrl(['runs', runId, 'episodes'], apiQuery));
  if (loaded.state === 'ready' && loaded.data.next) pageCursors.set(cursorKey(page + 1), loaded.data.next);
  const go = (changes: Record<string, string>) => {
    const next = new URLSearchParams(query);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    if (!('page' in changes)) next.delete('page');
    location.hash = runHref(runId, next);
  };
  const select = (name: (typeof FILTERS)[number], label: string, options: readonly (string | [string, string])[]) => (
    <label>
      {label}
      <select name={name} value={query.get(name) ?? ''} onChange={(e) => go({ [name]: (e.currentTarget as HTMLSelectElement).value })}>
        <option value="">all</option>
        {options.map((option) => {
          const [value, text] = Array.isArray(option) ? option : [option, option];
          return (
            <option key={value} value={value}>
              {text}
            </option>
          );
        })}
      </select>
    </label>
  );
  const audited = run.audit !== undefined;
  const probes = run.filters.probes;
  return (
    <Card title="Episodes" id="episodes">
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        {select('agent', 'agent', run.filters.agents)}
        {select('family', 'family', run.filters.families)}
        {select('result', 'outcome', [
          ['pass', 'pass'],
          ['fail', 'fail'],
        ])}
        {select('termination', 'termination', run.filters.terminations)}
        {audited && select('cause', 'fault cause', run.filters.causes)}
        {audited && select('confident', 'confident failure', [['true', 'confident failures only']])}
        {/* Probe runs only: their tasks carry pack:/tactic:/variant:/role: tags. */}
        {probes && probes.pack.length > 0 && select('pack', 'probe pack', probes.pack)}
        {probes && probes.tactic.length > 0 && select('tactic', 'tactic', probes.tactic)}
        {probes && probes.role.length > 0 && select('role', 'role', probes.role)}
        {probes && probes.variant.length > 0 && select('variant', 'variant', probes.variant)}
      </form>
      <Await loaded={loaded}>
        {(list) => {
          const pages = Math.max(1, Math.ceil(list.total / PAGE_SIZE));
          return (
            <>
              <p class="muted" data-testid="episode-count">
                {list.total} episode{list.total === 1 ? '' : 's'} · page {page} of {pages}
              </p>
              <table class="episodes">
                <thead>
                  <tr>
                    <th>episode</th>
                    <th>agent</th>
                    <th>task</th>
                    <th>family</th>
                    <th>trial</th>
                    <th>outcome</th>
                    <th>termination</th>
                  </tr>
                </thead>
                <tbody>
                  {list.episodes.map((e) => (
                    <tr key={e.id} class={e.reward >= 1 ? 'row-pass' : 'row-fail'}>
                      <td>
                        <a class="mono" href={episodeHref(runId, e.id)}>
                          {e.id}
                        </a>
                      </td>
                      <td>{e.agent}</td>
                      <td>{e.taskId}</td>
                      <td>{e.family}</td>
                      <td class="num">{e.trial}</td>
                      <td>
                        <RewardBadge reward={e.reward} termination={e.termination} />
                      </td>
                      <td>
                        {e.termination === 'user_stop' || e.termination === 'agent_stop' ? (
                          e.termination
                        ) : (
                          <Badge kind="warn">{e.termination}</Badge>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <nav class="pager">
                <button type="button" disabled={page <= 1} onClick={() => go({ page: String(page - 1) })}>
                  ← previous
                </button>
                <span>
                  {list.total === 0
                    ? 'no episode matches these filters'
                    : `${(page - 1) * PAGE_SIZE + 1}–${(page - 1) * PAGE_SIZE + list.episodes.length} of ${list.total}`}
                </span>
                <button type="button" disabled={!list.next} onClick={() => go({ page: String(page + 1) })}>
                  next →
                </button>
              </nav>
            </>
          );
        }}
      </Await>
    </Card>
  );
}
