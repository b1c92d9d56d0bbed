import { useState } from 'preact/hooks';
import type { RunListItem } from '../../report/run-summary.ts';
import { Await, Card, fixed } from './components.tsx';
import { useJson } from './fetch.ts';
import { apiUrl, compareHref, runHref } from './route.ts';

/** The list of stored runs; pick two to compare. */
export function RunsPage() {
  const loaded = useJson<{ runs: RunListItem[] }>(apiUrl(['runs']));
  const [picked, setPicked] = useState<string[]>([]);
  const toggle = (id: string) => setPicked((now) => (now.includes(id) ? now.filter((x) => x !== id) : [...now, id].slice(-2)));
  return (
    <Card title="Runs">
      <Await loaded={loaded}>
        {({ runs }) =>
          runs.length === 0 ? (
            <p class="muted">
              No runs in this database yet. Start one with <code>groundwork run</code>.
            </p>
          ) : (
            <>
              <p class="toolbar">
                <span class="muted">Tick two runs to compare them.</span>{' '}
                {picked.length === 2 ? (
                  <a class="button" href={compareHref(picked[0], picked[1])} data-testid="compare-link">
                    Compare the two runs
                  </a>
                ) : (
                  <span class="button disabled">Compare the two runs</span>
                )}
              </p>
              <table class="runs">
                <thead>
                  <tr>
                    <th></th>
                    <th>run</th>
                    <th>created</th>
                    <th>status</th>
                    <th>domain/split</th>
                    <th>episodes</th>
                    <th>mean reward by agent</th>
                  </tr>
                </thead>
                <tbody>
                  {runs.map((run) => (
                    <tr key={run.runId}>
                      <td>
                        <input
                          type="checkbox"
                          aria-label={`select ${run.runId}`}
                          checked={picked.includes(run.runId)}
                          onChange={() => toggle(run.runId)}
                        />
                      </td>
                      <td>
                        <a href={runHref(run.runId)} class="mono">
                          {run.runId}
                        </a>
                      </td>
                      <td>{run.createdAt.replace('T', ' ').slice(0, 19)}</td>
                      <td>
                        <span class={`status ${run.status}`}>{run.statusText}</span>
                      </td>
                      <td>
                        {run.domain}/{run.split ?? '–'}
                      </td>
                      <td class="num">
                        {run.episodes}/{run.planned}
                      </td>
                      <td>
                        {Object.entries(run.meanReward).map(([agent, mean]) => (
                          <span class="agent-score" key={agent}>
                            {agent} <b>{fixed(mean, 2)}</b>
                          </span>
                        ))}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )
        }
      </Await>
    </Card>
  );
}
