import type { CompareData, RunPageData } from '../api.ts';
import { Await, Card, fixed, RunMeta, SummaryTable } from './components.tsx';
import { useJson } from './fetch.ts';
import { apiUrl, runHref } from './route.ts';

function Side(props: { label: string; run: RunPageData }) {
  const runId = props.run.summary.runId;
  return (
    <div class="side">
      <h2>
        {props.label}:{' '}
        <a class="mono" href={runHref(runId)}>
          {runId}
        </a>
      </h2>
      <RunMeta run={props.run} />
      <SummaryTable run={props.run} />
      {props.run.charts
        .filter((c) => c.id === 'pass-hat-k' || c.id === 'families')
        .map((chart) => (
          <figure class="chart" key={chart.id} data-chart={chart.id}>
            <figcaption>
              <h3>{chart.title}</h3>
            </figcaption>
            <img src={apiUrl(['runs', runId, 'charts', `${chart.id}.svg`])} alt={chart.title} />
          </figure>
        ))}
    </div>
  );
}

/** Two runs side by side, with a paired comparison of each shared agent. */
export function ComparePage(props: { a: string; b: string }) {
  const loaded = useJson<CompareData>(apiUrl(['compare'], new URLSearchParams({ a: props.a, b: props.b })));
  return (
    <Await loaded={loaded}>
      {(data) => (
        <>
          <header class="page-head">
            <h1>Compare runs</h1>
          </header>
          <Card title="Paired comparison (same task content and trial)">
            {data.tasks.note && !data.refused && (
              <p class="task-match">{`${data.tasks.note[0].toUpperCase()}${data.tasks.note.slice(1)}; only shared tasks are compared.`}</p>
            )}
            {data.refused ? (
              <p class="refused">{data.refused}</p>
            ) : data.pairs.length === 0 ? (
              <p class="muted">The runs share no agent, so no paired comparison is possible; see both summaries below.</p>
            ) : (
              <table class="num compare">
                <thead>
                  <tr>
                    <th>agent A → B</th>
                    <th>pairs</th>
                    <th>pass^1 A</th>
                    <th>pass^1 B</th>
                    <th>B − A</th>
                    <th>95% CI</th>
                    <th>McNemar p</th>
                    <th>flipped tasks</th>
                  </tr>
                </thead>
                <tbody>
                  {data.pairs.map((p) => (
                    <tr key={`${p.agentA}-${p.agentB}`} class={p.withinNoise ? '' : p.difference > 0 ? 'row-pass' : 'row-fail'}>
                      <td>{p.agentA === p.agentB ? p.agentA : `${p.agentA} → ${p.agentB}`}</td>
                      <td>{p.pairs}</td>
                      <td>{fixed(p.passA)}</td>
                      <td>{fixed(p.passB)}</td>
                      <td>{`${p.difference >= 0 ? '+' : ''}${fixed(p.difference)}`}</td>
                      <td>
                        [{fixed(p.ci95[0])}, {fixed(p.ci95[1])}]
                      </td>
                      <td>{fixed(p.mcnemar.pValue)}</td>
                      <td>{p.flipsTotal}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {data.pairs.map((p) => (
              <p key={`v-${p.agentA}`} class="verdict-line">
                <b>{p.agentA}:</b> {p.verdict}
              </p>
            ))}
          </Card>
          <div class="side-by-side">
            <Side label="A" run={data.a} />
            <Side label="B" run={data.b} />
          </div>
        </>
      )}
    </Await>
  );
}
