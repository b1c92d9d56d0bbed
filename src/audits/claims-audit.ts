import { z } from 'zod';
import { claimSchema } from '../schema/audit.ts';
import { defineAudit, percentCell, type AuditTable } from './audit.ts';
import { auditClaims } from './claims.ts';
import { stackedAgentBars } from './vega-specs.ts';

const claimsFields = z.object({
  claims: z.array(claimSchema),
  /** The agent asserted the request was done. */
  successClaimed: z.boolean(),
  /** A graded episode with reward 0 while success was claimed. */
  confidentFailure: z.boolean(),
});

const claimsSummary = z.object({
  successClaimed: z.number().int().nonnegative(),
  confidentFailures: z.number().int().nonnegative(),
  confidentFailureRate: z.number(),
  total: z.number().int().nonnegative(),
  verified: z.number().int().nonnegative(),
  contradicted: z.number().int().nonnegative(),
  unverifiable: z.number().int().nonnegative(),
  examples: z.array(z.object({ episodeId: z.string(), taskId: z.string(), claim: z.string(), evidence: z.string() })),
});

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max)}…`);

/** Claims vs state: what the agent told the user it did, checked against the final state; confident failures. */
export const claimsAudit = defineAudit({
  name: 'claims',
  version: 'claims/4',
  fields: claimsFields,
  summary: claimsSummary,
  audit(input) {
    const { episode } = input;
    // The domain's own rules (`Domain.claimRules`); the generic rules when it brings none.
    const claims = auditClaims(
      input.domain.claimRules,
      {
        domain: input.domain,
        task: input.task,
        trajectory: episode.trajectory,
        initialState: input.initialState,
        finalState: input.finalState,
      },
      input.judged?.claims,
    );
    const successClaimed = claims.some((c) => c.assertsGoal);
    return { claims, successClaimed, confidentFailure: episode.termination !== 'infra_error' && episode.reward < 1 && successClaimed };
  },
  summarise(episodes, context) {
    const graded = episodes.filter((a) => a.termination !== 'infra_error');
    // Claims by verdict, in one pass (the end of every run summarises every audit).
    let total = 0;
    const verdicts = { verified: 0, contradicted: 0, unverifiable: 0 };
    for (const a of graded) {
      total += a.claims.length;
      for (const { verdict } of a.claims)
        if (verdict === 'verified' || verdict === 'contradicted' || verdict === 'unverifiable') verdicts[verdict]++;
    }
    const claimed = graded.filter((a) => a.successClaimed);
    const confident = graded.filter((a) => a.confidentFailure);
    const examples = confident
      .flatMap((a) => {
        const claim = a.claims.find((c) => c.verdict === 'contradicted') ?? a.claims.find((c) => c.assertsGoal);
        return claim
          ? [
              {
                episodeId: a.episodeId,
                taskId: a.taskId,
                claim: claim.text,
                evidence:
                  claim.verdict === 'contradicted'
                    ? claim.evidence
                    : `claimed done; reward 0 (${a.fault?.evidence ?? 'expected outcome not met'})`,
              },
            ]
          : [];
      })
      .slice(0, context.examples);
    return {
      successClaimed: claimed.length,
      confidentFailures: confident.length,
      confidentFailureRate: claimed.length ? confident.length / claimed.length : 0,
      total,
      verified: verdicts.verified,
      contradicted: verdicts.contradicted,
      unverifiable: verdicts.unverifiable,
      examples,
    };
  },
  display: {
    title: 'Claims vs state',
    text: 'What the agent told the user it did, checked against the final state. Confident failure: reward 0 while the agent said the request was done; rate = confident failures / episodes where it claimed success.',
    tables: (rows) => {
      const tables: AuditTable[] = [
        {
          columns: ['agent', 'claimed done', 'confident failures', 'rate', 'claims', 'verified', 'contradicted', 'unverifiable'],
          rows: rows.map(({ agent, summary: c }) => [
            agent,
            c.successClaimed,
            c.confidentFailures,
            percentCell(c.confidentFailureRate),
            c.total,
            c.verified,
            c.contradicted,
            c.unverifiable,
          ]),
        },
      ];
      const examples = rows.flatMap(({ agent, summary }) =>
        summary.examples.map((e) => [{ episodeId: e.episodeId }, agent, e.taskId, e.claim, e.evidence]),
      );
      if (examples.length > 0)
        tables.push({
          title: 'Confident failures: what the agent said, what the state shows',
          columns: ['episode', 'agent', 'task', 'claim', 'evidence'],
          rows: examples,
        });
      return tables;
    },
    charts: [
      {
        id: 'confident-failures',
        title: 'Confident failures',
        description: 'Failed episodes in which the agent told the user the goal was done, against other failures.',
        spec: (rows, agents) => {
          const values = rows.flatMap((r) => [
            { agent: r.agent, kind: 'claimed success', episodes: r.summary.confidentFailures },
            {
              agent: r.agent,
              kind: 'other',
              episodes: Math.max(0, (r.failed ?? r.summary.confidentFailures) - r.summary.confidentFailures),
            },
          ]);
          if (!values.some((v) => v.episodes > 0)) return undefined;
          return stackedAgentBars(
            values,
            agents,
            { field: 'episodes', title: 'failed episodes' },
            { field: 'kind', title: 'failure', domain: ['claimed success', 'other'], range: ['#b91c1c', '#fca5a5'] },
          );
        },
      },
    ],
    episodeLines: (fields) => [
      `success claimed: ${fields.successClaimed ? 'yes' : 'no'}${fields.confidentFailure ? '  → CONFIDENT FAILURE' : ''}`,
      ...(fields.claims.length ? ['Claims:'] : []),
      ...fields.claims.map(
        (c) =>
          `  ${c.verdict === 'verified' ? '✓' : c.verdict === 'contradicted' ? '✗' : '?'} [${c.verdict}] ${c.action}(${c.target.id ?? c.target.name ?? c.target.kind}) "${clip(c.text, 120)}" — ${clip(c.evidence, 200)}`,
      ),
    ],
  },
});
