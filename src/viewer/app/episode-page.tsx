import { useState } from 'preact/hooks';
import type { EpisodeDetail, ProbeMark } from '../api.ts';
import type { ClaimView, EpisodeAuditView } from '../../report/audit-view.ts';
import { describeActual, describePredicate } from '../../grading/predicate-text.ts';
import { DIFF_SIDE_TITLES, diffSides } from '../../schema/diff-sides.ts';
import type { FieldChange } from '../../schema/outcome.ts';
import type { TrajectoryEvent } from '../../schema/trajectory.ts';
import { Await, Badge, Card, jsonText, RewardBadge, Verdict } from './components.tsx';
import { useJson } from './fetch.ts';
import { apiUrl, runHref } from './route.ts';

const LONG = 600;

/** One episode: grade, claims, state diff, goal state over turns, transcript. */
export function EpisodePage(props: { runId: string; episodeId: string }) {
  const loaded = useJson<EpisodeDetail>(apiUrl(['runs', props.runId, 'episodes', props.episodeId]));
  return (
    <Await loaded={loaded}>
      {({ episode, task, truncated, probe }) => {
        const { row, trajectory: t, outcome: o, audit } = episode;
        const failedQuery = new URLSearchParams({ agent: row.agent, result: 'fail' });
        return (
          <>
            <header class="page-head">
              <p class="crumbs">
                <a href={runHref(row.runId)}>← run {row.runId}</a> ·{' '}
                <a href={runHref(row.runId, failedQuery)}>{row.agent}’s failed episodes</a>
              </p>
              <h1>
                Episode <span class="mono">{row.id}</span> <RewardBadge reward={o.reward} termination={row.termination} />
                {audit?.confidentFailure && <Badge kind="fail">confident failure</Badge>}
                {audit?.faultCause && (
                  <Badge kind={audit.faultCause === 'agent' ? 'info' : 'warn'} title={audit.faultDetail}>
                    fault: {audit.faultCause}
                  </Badge>
                )}
              </h1>
              <dl class="meta">
                {(
                  [
                    ['agent', row.agent],
                    ['task', row.taskId],
                    ['family', row.family],
                    ['trial', String(row.trial)],
                    ['seed', String(row.seed)],
                    ['termination', `${t.termination.reason}${t.termination.detail ? ` (${t.termination.detail})` : ''}`],
                    ['steps', String(t.steps)],
                    ['user', t.user],
                    ...(audit?.confidence !== undefined ? [['stated confidence', audit.confidence.toFixed(2)]] : []),
                  ] as [string, string][]
                ).map(([label, value]) => (
                  <div key={label}>
                    <dt>{label}</dt>
                    <dd>{value}</dd>
                  </div>
                ))}
              </dl>
              {probe && <ProbeHeader probe={probe} />}
              {episode.why.length > 0 && (
                <p class="why">
                  {episode.why.map((w) => (
                    <span class="chip" key={w}>
                      {w}
                    </span>
                  ))}
                </p>
              )}
            </header>
            <div class="episode-grid">
              <div class="col">
                <Card title="Grade" class="grade">
                  <p class="components">
                    state <Badge kind={o.state.pass ? 'pass' : 'fail'}>{o.state.pass ? 'pass' : 'fail'}</Badge> collateral{' '}
                    <Badge kind={o.collateral.pass ? 'pass' : 'fail'}>
                      {o.collateral.pass ? 'none' : `${o.collateral.changes.length} change(s)`}
                    </Badge>{' '}
                    communication <Badge kind={o.communication.pass ? 'pass' : 'fail'}>{o.communication.pass ? 'pass' : 'fail'}</Badge>
                  </p>
                  {o.note && <p class="muted">{o.note}</p>}
                  <ul class="checks">
                    {o.state.predicates.map((p, i) => (
                      <li key={i} class={p.pass ? 'ok' : 'bad'}>
                        {p.pass ? '✓' : '✗'} {describePredicate(p.predicate)}
                        {!p.pass && <span class="muted"> (actual: {describeActual(p)})</span>}
                      </li>
                    ))}
                    {o.communication.items.map((item) => (
                      <li key={item.id} class={item.pass ? 'ok' : 'bad'}>
                        {item.pass ? '✓' : '✗'} told the user: {item.id}
                      </li>
                    ))}
                  </ul>
                </Card>
                <Claims audit={audit} />
                <Card title="State diff (initial → final)" class="diff-card" id="diff">
                  <DiffTable diff={o.diff} userTables={episode.userTables} />
                </Card>
                <GoalStates audit={audit} />
                <SimulatorFaults audit={audit} />
                {task && (
                  <Card title="The user’s scenario" class="scenario">
                    <p>{task.persona}</p>
                    <p class="muted pre">{task.instructions}</p>
                  </Card>
                )}
              </div>
              <div class="col">
                <Card title="Transcript" class="transcript-card">
                  <Transcript
                    events={t.events}
                    audit={audit}
                    probe={probe}
                    cut={new Map((truncated ?? []).map((c) => [c.index, c.length]))}
                    fullUrl={(index) => apiUrl(['runs', props.runId, 'episodes', props.episodeId, 'events', String(index)])}
                  />
                </Card>
              </div>
            </div>
          </>
        );
      }}
    </Await>
  );
}

function Claims(props: { audit: EpisodeAuditView | undefined }) {
  const claims = props.audit?.claims;
  if (!claims || claims.length === 0) return null;
  return (
    <Card title="Claims vs final state" class="claims-card" id="claims">
      <ul class="claims">
        {claims.map((c, i) => (
          <li key={i} class={`claim ${c.verdict}`} data-verdict={c.verdict}>
            <Verdict verdict={c.verdict} /> <q>{c.text}</q>
            {c.what && <code class="muted"> {c.what}</code>}
            {c.evidence && <div class="evidence">{c.evidence}</div>}
          </li>
        ))}
      </ul>
    </Card>
  );
}

/**
 * The field-level diff, filterable by verdict. Dual control: changes of the user's tables
 * (`userTables`) are grouped apart under a row that labels them as the user's side.
 */
export function DiffTable(props: { diff: readonly FieldChange[]; userTables?: readonly string[] }) {
  const [shown, setShown] = useState<Record<string, boolean>>({ required: true, allowed: true, collateral: true });
  if (props.diff.length === 0) return <p class="muted">No change of state.</p>;
  const counts = { required: 0, allowed: 0, collateral: 0 } as Record<string, number>;
  for (const change of props.diff) counts[change.verdict]++;
  const visible = props.diff.filter((c) => shown[c.verdict]);
  const split = diffSides(visible, props.userTables ?? []);
  const sides: { title?: string; side: string; changes: FieldChange[] }[] =
    (props.userTables ?? []).length === 0
      ? [{ side: 'agent', changes: visible }]
      : [
          { title: DIFF_SIDE_TITLES.agent, side: 'agent', changes: split.agent },
          { title: DIFF_SIDE_TITLES.user, side: 'user', changes: split.user },
        ];
  return (
    <>
      <p class="diff-toggles">
        {(['required', 'allowed', 'collateral'] as const).map((v) => (
          <label key={v} class={`toggle ${v}`}>
            <input type="checkbox" checked={shown[v]} onChange={() => setShown({ ...shown, [v]: !shown[v] })} /> {v} ({counts[v]})
          </label>
        ))}
      </p>
      <table class="diff">
        <thead>
          <tr>
            <th>verdict</th>
            <th>record</th>
            <th>field</th>
            <th>before</th>
            <th></th>
            <th>after</th>
          </tr>
        </thead>
        {sides.map(({ title, side, changes }) => (
          <tbody key={side} data-side={side}>
            {title && (
              <tr class="diff-side">
                <th colSpan={6}>
                  {title}
                  {changes.length === 0 && <span class="muted"> — no change</span>}
                </th>
              </tr>
            )}
            {changes.map((c, i) => (
              <tr key={i} class={c.verdict} data-verdict={c.verdict}>
                <td>
                  <Verdict verdict={c.verdict} />
                </td>
                <td>
                  <code>
                    {c.table}/{c.key}
                  </code>
                </td>
                <td>
                  <code>{c.path || `(${c.op})`}</code>
                </td>
                <td class="before">
                  <code>{jsonText(c.before)}</code>
                </td>
                <td class="arrow">→</td>
                <td class="after">
                  <code>{jsonText(c.after)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        ))}
      </table>
    </>
  );
}

function GoalStates(props: { audit: EpisodeAuditView | undefined }) {
  const goals = props.audit?.goalStates;
  if (!goals || goals.length === 0) return null;
  const items = goals[0].items;
  const final = props.audit?.goalFinal?.length ? new Map(props.audit.goalFinal.map((i) => [i.id, i])) : undefined;
  return (
    <Card title="User goal state over the turns" class="goals-card">
      <table class="goals">
        <thead>
          <tr>
            <th>item</th>
            <th>category</th>
            {goals.map((g) => (
              <th key={g.turn}>turn {g.turn}</th>
            ))}
            {final && <th title="status at the end, completion read from the final state">end</th>}
            {final && <th title="simulator fidelity: did the simulated user keep this item (n/a: it never had the chance)">user</th>}
            {final && <th title="the agent's side: completed in the state, blocked by the agent, open, or unknown">outcome</th>}
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item.id}>
              <td>{item.description ?? item.id}</td>
              <td>{item.category}</td>
              {goals.map((g) => {
                const status = g.items.find((i) => i.id === item.id)?.status ?? '';
                return (
                  <td key={g.turn}>
                    <span class={`goal ${status.toLowerCase()}`}>{status}</span>
                  </td>
                );
              })}
              {final && <EndOfGoal item={final.get(item.id)} />}
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}

/** The end of one goal item: final status, whether the simulated user kept it, and its outcome. */
function EndOfGoal(props: { item: { status: string; kept?: string; outcome?: string } | undefined }) {
  const item = props.item;
  return (
    <>
      <td>{item && <span class={`goal ${item.status.toLowerCase()}`}>{item.status}</span>}</td>
      <td>{item?.kept === 'no_chance' ? 'n/a' : (item?.kept?.replace(/_/g, ' ') ?? '')}</td>
      <td>{item?.outcome ?? ''}</td>
    </>
  );
}

function SimulatorFaults(props: { audit: EpisodeAuditView | undefined }) {
  const faults = props.audit?.simulatorFaults;
  if (!faults || faults.length === 0) return null;
  return (
    <Card title="Simulator faults" class="faults-card">
      <ul class="claims">
        {faults.map((f, i) => (
          <li key={i}>
            <Verdict verdict="contradicted" /> <b>{f.kind}</b>
            {f.turn !== undefined && ` · turn ${f.turn}`}
            {f.item && <code> {f.item}</code>} {f.text && <q>{f.text}</q>}
            {f.detail && <div class="evidence">{f.detail}</div>}
          </li>
        ))}
      </ul>
    </Card>
  );
}

function LongText(props: { text: string; pre?: boolean }) {
  const [open, setOpen] = useState(false);
  const long = props.text.length > LONG;
  const text = long && !open ? `${props.text.slice(0, LONG)}…` : props.text;
  return (
    <div class={props.pre ? 'text pre mono-block' : 'text'}>
      {text}
      {long && (
        <button type="button" class="link" onClick={() => setOpen(!open)}>
          {open ? 'show less' : `show all ${props.text.length} characters`}
        </button>
      )}
    </div>
  );
}

/** Messages with tool calls and results inline; claims marked on the agent message they come from. */
/** A text the server cut: the marker and a button that loads the whole text from `url`. */
function CutText(props: { text: string; length: number | undefined; url: string; pre?: boolean }) {
  const [full, setFull] = useState<{ state: 'idle' | 'loading' | 'error'; text?: string; message?: string }>({ state: 'idle' });
  if (props.length === undefined) return <LongText text={props.text} pre={props.pre} />;
  if (full.text !== undefined) return <LongText text={full.text} pre={props.pre} />;
  const load = () => {
    setFull({ state: 'loading' });
    fetch(props.url)
      .then(async (response) => {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        setFull({ state: 'idle', text: await response.text() });
      })
      .catch((error: Error) => setFull({ state: 'error', message: error.message }));
  };
  return (
    <div class="cut-text">
      <LongText text={props.text} pre={props.pre} />
      <p class="truncated">
        Shown in part ({props.length.toLocaleString('en')} characters in all).{' '}
        <button type="button" class="load-all" onClick={load} disabled={full.state === 'loading'}>
          {full.state === 'loading' ? 'loading…' : 'Load all'}
        </button>
        {full.state === 'error' && <span class="error"> {full.message}</span>}
      </p>
    </div>
  );
}

/** The probe variant and the probe audit's verdicts (pack, variant, role, tactic; capitulated, touched…). */
function ProbeHeader(props: { probe: ProbeMark }) {
  const { probe } = props;
  return (
    <p class="probe-verdicts" data-testid="probe-verdicts">
      <span class="chip">probe {probe.pack}</span>
      <span class="chip">variant {probe.variant}</span>
      <span class="chip">role {probe.role}</span>
      {probe.tactic && <span class="chip">tactic {probe.tactic}</span>}
      {probe.verdicts.map((verdict) => (
        <Badge key={verdict} kind={/^(held|made|no honeypot)/.test(verdict) ? 'pass' : 'fail'}>
          {verdict}
        </Badge>
      ))}
      {probe.changedAtEvent !== null && (
        <a class="small" href={`#event-${probe.changedAtEvent}`} onClick={(e) => jumpTo(e, probe.changedAtEvent!)}>
          {' '}
          see where the state changed
        </a>
      )}
    </p>
  );
}

/** Scroll to a transcript event without touching the hash route. */
function jumpTo(event: Event, index: number) {
  event.preventDefault();
  document.getElementById(`event-${index}`)?.scrollIntoView({ block: 'center' });
}

function Transcript(props: {
  events: readonly TrajectoryEvent[];
  audit: EpisodeAuditView | undefined;
  /** The probe audit's mark: a label on the event after which the probed change exists. */
  probe?: ProbeMark;
  /** Event index → full length of a text the server cut. */
  cut: ReadonlyMap<number, number>;
  fullUrl: (index: number) => string;
}) {
  const claimsAt = new Map<number, ClaimView[]>();
  for (const claim of props.audit?.claims ?? [])
    if (claim.eventIndex !== undefined) claimsAt.set(claim.eventIndex, [...(claimsAt.get(claim.eventIndex) ?? []), claim]);
  const goalsAt = new Map((props.audit?.goalStates ?? []).filter((g) => g.eventIndex !== undefined).map((g) => [g.eventIndex!, g]));
  return (
    <ol class="transcript">
      {props.events.map((event, index) => {
        switch (event.type) {
          case 'message': {
            const claims = claimsAt.get(index) ?? [];
            const goal = goalsAt.get(index);
            return (
              <li key={index} class={`msg ${event.role}`}>
                <span class="who">{event.role}</span>
                <div>
                  <CutText text={event.content} length={props.cut.get(index)} url={props.fullUrl(index)} />
                  {claims.map((c, i) => (
                    <div class="inline-claim" key={i}>
                      <Verdict verdict={c.verdict} /> {c.what ?? c.text}
                    </div>
                  ))}
                  {goal && (
                    <div class="inline-goal">
                      {goal.items.map((item) => (
                        <span key={item.id} class={`goal ${item.status.toLowerCase()}`} title={item.description}>
                          {item.id}: {item.status}
                        </span>
                      ))}
                    </div>
                  )}
                </div>
                {event.control ? <span class="control">{event.control}</span> : <span />}
              </li>
            );
          }
          case 'tool_call':
            return (
              <li key={index} class={`tool call${event.actor === 'user' ? ' by-user' : ''}`} data-actor={event.actor ?? 'agent'}>
                <span class="who">{event.actor === 'user' ? 'user call' : 'call'}</span>
                <code>
                  <b>{event.name}</b>(
                  {props.cut.has(index) ? (
                    <CutText text={String(event.arguments)} length={props.cut.get(index)} url={props.fullUrl(index)} pre />
                  ) : typeof event.arguments === 'string' ? (
                    event.arguments
                  ) : (
                    JSON.stringify(event.arguments)
                  )}
                  )
                </code>
                <span />
              </li>
            );
          case 'tool_result':
            return (
              <li
                key={index}
                id={`event-${index}`}
                class={`tool result ${event.isError ? 'error' : ''}${event.actor === 'user' ? ' by-user' : ''}${props.probe?.changedAtEvent === index ? ' changed-here' : ''}`}
                data-actor={event.actor ?? 'agent'}
              >
                <span class="who">
                  {event.actor === 'user' ? 'user ' : ''}
                  {event.isError ? 'error' : 'result'}
                </span>
                <CutText text={event.content} length={props.cut.get(index)} url={props.fullUrl(index)} pre />
                {event.stateHash ? (
                  <span class="hash" title="state hash after this write">
                    write · {event.stateHash.slice(0, 8)}
                  </span>
                ) : (
                  <span />
                )}
                {props.probe?.changedAtEvent === index && (
                  // Full width under the result (the stylesheet is shared with the report, so the mark styles itself).
                  <div
                    class="state-changed"
                    data-testid="state-changed"
                    style={{
                      gridColumn: '1 / -1',
                      fontWeight: 700,
                      padding: '4px 8px',
                      color: 'var(--fail)',
                      background: 'var(--fail-bg)',
                      borderLeft: '4px solid var(--fail)',
                    }}
                  >
                    state changed here{props.probe.label ? `: ${props.probe.label}` : ''}
                  </div>
                )}
              </li>
            );
          case 'note':
          case 'outcome_request':
            return (
              <li key={index} class="note">
                <span class="who">{event.type === 'note' ? 'note' : 'asked'}</span>
                <CutText text={event.content} length={props.cut.get(index)} url={props.fullUrl(index)} />
                <span />
              </li>
            );
          case 'outcome_report':
            return (
              <li key={index} class="report">
                <span class="who">self-report</span>
                <div class="text">
                  success {event.success ? 'yes' : 'no'}, confidence {event.confidence.toFixed(2)} — {event.summary}
                </div>
                <span />
              </li>
            );
          default:
            return (
              <li key={index} class="note">
                <span class="who">event</span>
                <LongText text={JSON.stringify(event)} />
                <span />
              </li>
            );
        }
      })}
    </ol>
  );
}
