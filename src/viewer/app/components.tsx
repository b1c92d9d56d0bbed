import type { ComponentChildren } from 'preact';
import type { RunPageData } from '../api.ts';
import type { Loaded } from './fetch.ts';

/** A number with fixed digits, or a dash. */
export const fixed = (value: number | null | undefined, digits = 3) =>
  value === undefined || value === null || !Number.isFinite(value) ? '–' : value.toFixed(digits);

/** A JSON value on one line, `∅` for absent. */
export const jsonText = (value: unknown) =>
  value === undefined ? '∅' : typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value);

/** A coloured pill. */
export function Badge(props: { kind: 'pass' | 'fail' | 'warn' | 'info' | 'muted'; children: ComponentChildren; title?: string }) {
  return (
    <span class={`badge ${props.kind}`} title={props.title}>
      {props.children}
    </span>
  );
}

/** pass / fail / infra error. */
export function RewardBadge(props: { reward: number; termination?: string }) {
  if (props.termination === 'infra_error') return <Badge kind="muted">infra error</Badge>;
  return props.reward >= 1 ? <Badge kind="pass">pass</Badge> : <Badge kind="fail">fail</Badge>;
}

/** A verdict label coloured by kind (required, allowed, collateral, verified, contradicted…). */
export function Verdict(props: { verdict: string }) {
  return <span class={`verdict ${props.verdict}`}>{props.verdict}</span>;
}

/** Render a request's state: a spinner line, an error box, or the content. */
export function Await<T>(props: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (props.loaded.state === 'loading') return <p class="muted loading">Loading…</p>;
  if (props.loaded.state === 'error') return <p class="error-box">Error: {props.loaded.message}</p>;
  return <>{props.children(props.loaded.data)}</>;
}

/** A white panel with an optional title. */
export function Card(props: { title?: ComponentChildren; children: ComponentChildren; class?: string; id?: string }) {
  return (
    <section class={`card ${props.class ?? ''}`} id={props.id}>
      {props.title !== undefined && <h2>{props.title}</h2>}
      {props.children}
    </section>
  );
}

/** Per-agent metrics of a run. */
export function SummaryTable(props: { run: RunPageData }) {
  const { summary, agents } = props.run;
  const ks = [...new Set(Object.values(summary.agents).flatMap((m) => Object.keys(m.passHatK)))].sort((a, b) => Number(a) - Number(b));
  return (
    <>
      <table class="num summary">
        <thead>
          <tr>
            <th>agent</th>
            <th>episodes</th>
            <th>mean reward</th>
            {ks.map((k) => (
              <th key={k}>pass^{k}</th>
            ))}
            <th>pass^1 95% CI</th>
            <th>flip rate</th>
            <th>infra errors</th>
          </tr>
        </thead>
        <tbody>
          {agents.map((name) => {
            const m = summary.agents[name];
            return (
              <tr key={name}>
                <td>
                  <strong>{name}</strong>
                </td>
                <td>{m.episodes}</td>
                <td>{fixed(m.meanReward)}</td>
                {ks.map((k) => (
                  <td key={k}>{fixed(m.passHatK[k])}</td>
                ))}
                <td>{m.ci95 ? `[${fixed(m.ci95[0])}, ${fixed(m.ci95[1])}]` : '–'}</td>
                <td>{fixed(m.flipRate, 2)}</td>
                <td>{m.infraErrors}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {/* Nothing graded (no reward, not 0) and pass^k columns over different tasks. */}
      {summary.notes.map((note) => (
        <p class="muted summary-note" key={note}>
          Note: {note}
        </p>
      ))}
    </>
  );
}

/** Header line of a run. */
export function RunMeta(props: { run: RunPageData }) {
  const s = props.run.summary;
  return (
    <p class="meta-line">
      {s.domain}
      {s.split ? `/${s.split}` : ''} · {s.tasks} tasks × {props.run.agents.length} agents × {s.trials} trials · user {s.user} · seed{' '}
      {s.seed} · {s.episodes}/{s.planned} episodes · <span class={`status ${s.status}`}>{s.statusText}</span> · created{' '}
      {s.createdAt.replace('T', ' ').slice(0, 19)}
    </p>
  );
}
