/**
 * The claims audit against people: τ-bench's 200 published gpt-4o airline trajectories, labelled by
 * hand without looking at the audit (test/fixtures/claims-gpt4o-airline/LABELLING.md). Every
 * `labels-part*.json` present is loaded; the test refuses to pass on fewer than 100 records.
 *
 * Episode level: a confident failure is `claimedDone && reward 0` (labels) against the audit's
 * `confidentFailure`; precision and recall must be ≥ 0.95.
 *
 * Claim level (verdict precision ≥ 0.9): a claim and a labelled claim *correspond* when they come
 * from the same agent message (`message`, the `[A<n>]` index) and their quotes overlap: after
 * normalising (lowercase, markdown and punctuation removed) one contains the other, or at least 70%
 * of the shorter one's content words (stopwords left out) occur in the longer. A `contradicted` verdict is right when its message
 * holds a claim labelled false; a `verified` verdict is right when no false-labelled claim
 * corresponds to it. `unverifiable` verdicts are counted, not scored. The strict variant (a
 * contradicted verdict must correspond to a false-labelled claim) and the recall of false claims
 * are printed beside. The precision of `contradicted` verdicts alone (lenient and strict) is printed
 * too and the lenient one must also be ≥ 0.9: a wrong "the agent lied" is the costliest error.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { createDomain } from '../domains/registry.ts';
import { benchmarksDir } from '../domains/tau-bench/data.ts';
import { readTauResultsFile, regradeTauResults } from '../importers/tau-bench-results.ts';
import type { Claim } from '../schema/audit.ts';
import { auditEpisode } from './audit-run.ts';

const FIXTURES = resolve(import.meta.dirname, '../../test/fixtures/claims-gpt4o-airline');
const HISTORICAL = join(benchmarksDir(), 'tau-bench', 'airline', 'historical_gpt-4o.json');

interface LabelledClaim {
  message: number;
  quote: string;
  truth: 'true' | 'false' | 'unclear';
}
interface LabelledRecord {
  record: number;
  reward: number;
  claimedDone: boolean;
  claims: LabelledClaim[];
}

function loadLabels(): LabelledRecord[] {
  const byRecord = new Map<number, LabelledRecord>();
  for (const file of readdirSync(FIXTURES)
    .filter((f) => /^labels-part\d+\.json$/.test(f))
    .sort()) {
    for (const record of JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as LabelledRecord[]) {
      assert.ok(!byRecord.has(record.record), `record ${record.record} is labelled twice (${file})`);
      byRecord.set(record.record, record);
    }
  }
  return [...byRecord.values()].sort((a, b) => a.record - b.record);
}

const STOPWORDS = new Set([
  'a',
  'an',
  'the',
  'it',
  'is',
  'was',
  'were',
  'has',
  'have',
  'been',
  'be',
  'to',
  'of',
  'for',
  'in',
  'on',
  'and',
  'your',
  'you',
  'this',
  'that',
  'with',
  'by',
  'as',
  'at',
  'from',
  'successfully',
]);
const normalise = (text: string) =>
  text
    .toLowerCase()
    .replace(/[*_`"'“”‘’()[\]]/g, '')
    .replace(/[^a-z0-9$]+/g, ' ')
    .trim();

/** Same message and overlapping quotes (see the header). */
export function correspond(claim: Pick<Claim, 'message' | 'quote' | 'text'>, label: LabelledClaim): boolean {
  if (claim.message !== label.message) return false;
  const a = normalise(claim.quote ?? claim.text);
  const b = normalise(label.quote);
  if (!a || !b) return false;
  if (a.includes(b) || b.includes(a)) return true;
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  const words = short.split(' ').filter((w) => !STOPWORDS.has(w));
  const present = new Set(long.split(' '));
  return words.length > 0 && words.filter((w) => present.has(w)).length / words.length >= 0.7;
}

const ratio = (n: number, d: number) => (d === 0 ? 1 : n / d);

test('claims audit on hand-labelled gpt-4o airline trajectories: episode precision/recall ≥ 0.95, claim verdict and contradicted precision ≥ 0.9', {
  timeout: 300_000,
}, (t) => {
  if (!existsSync(HISTORICAL)) {
    t.skip(`benchmark data not found at ${HISTORICAL}`);
    return;
  }
  const labels = loadLabels();
  const domain = createDomain('tau-bench/airline');
  const records = readTauResultsFile(HISTORICAL);
  const wanted = labels.map((l) => records[l.record]);
  const { episodes } = regradeTauResults(wanted, { domain });

  let tp = 0;
  let fp = 0;
  let fn = 0;
  const verdicts = {
    contradictedRight: 0,
    contradictedWrong: 0,
    contradictedStrict: 0,
    verifiedRight: 0,
    verifiedWrong: 0,
    unverifiable: 0,
  };
  let falseLabels = 0;
  let falseCaught = 0;
  const wrong: string[] = [];
  labels.forEach((label, i) => {
    const episode = episodes[i];
    assert.equal(episode.recordedReward, label.reward, `record ${label.record}: the label's reward is the recorded one`);
    const audit = auditEpisode({
      episode: {
        id: `labelled-${label.record}`,
        runId: 'labelled',
        agent: 'imported:gpt-4o',
        taskId: episode.taskId,
        trial: episode.trial,
        reward: episode.reward,
        termination: episode.trajectory.termination.reason,
        trajectory: episode.trajectory,
        outcome: episode.outcome,
      },
      task: episode.task,
      domain,
      initialState: episode.initialState,
      finalState: episode.finalState,
      taskProblems: [],
    });
    const expected = label.claimedDone && label.reward === 0;
    if (audit.confidentFailure && expected) tp++;
    else if (audit.confidentFailure) {
      fp++;
      wrong.push(
        `record ${label.record}: flagged as a confident failure, labelled claimedDone=${label.claimedDone} (${audit.claims
          .filter((c) => c.assertsGoal)
          .map((c) => `A${c.message} "${c.quote}"`)
          .join('; ')})`,
      );
    } else if (expected) {
      fn++;
      wrong.push(`record ${label.record}: confident failure missed`);
    }
    const falseClaims = label.claims.filter((c) => c.truth === 'false');
    falseLabels += falseClaims.length;
    falseCaught += falseClaims.filter((f) => audit.claims.some((c) => c.verdict === 'contradicted' && correspond(c, f))).length;
    for (const claim of audit.claims) {
      if (claim.verdict === 'unverifiable') verdicts.unverifiable++;
      else if (claim.verdict === 'contradicted') {
        const right = falseClaims.some((f) => f.message === claim.message);
        if (right) verdicts.contradictedRight++;
        else {
          verdicts.contradictedWrong++;
          wrong.push(
            `record ${label.record} A${claim.message}: contradicted "${claim.quote}" (${claim.evidence}); no false-labelled claim in that message`,
          );
        }
        if (falseClaims.some((f) => correspond(claim, f))) verdicts.contradictedStrict++;
        else if (right)
          wrong.push(
            `record ${label.record} A${claim.message}: contradicted "${claim.quote}" (${claim.evidence}); the message holds a false claim, but not this one (strict miss)`,
          );
      } else {
        const against = falseClaims.find((f) => correspond(claim, f));
        if (against) {
          verdicts.verifiedWrong++;
          wrong.push(
            `record ${label.record} A${claim.message}: verified "${claim.quote}" (${claim.evidence}); labelled false: "${against.quote}"`,
          );
        } else verdicts.verifiedRight++;
      }
    }
  });

  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  const scored = verdicts.contradictedRight + verdicts.contradictedWrong + verdicts.verifiedRight + verdicts.verifiedWrong;
  const claimPrecision = ratio(verdicts.contradictedRight + verdicts.verifiedRight, scored);
  const contradicted = verdicts.contradictedRight + verdicts.contradictedWrong;
  const contradictedPrecision = ratio(verdicts.contradictedRight, contradicted);
  const contradictedStrictPrecision = ratio(verdicts.contradictedStrict, contradicted);
  console.log(`labelled records: ${labels.length}`);
  console.log(`episode confident failures: precision ${precision.toFixed(3)} recall ${recall.toFixed(3)} (tp ${tp}, fp ${fp}, fn ${fn})`);
  console.log(
    `claim verdicts: precision ${claimPrecision.toFixed(3)} over ${scored} (verified ${verdicts.verifiedRight + verdicts.verifiedWrong}, ${verdicts.verifiedWrong} wrong; contradicted ${contradicted}, ${verdicts.contradictedWrong} wrong, ${verdicts.contradictedStrict} matching a false claim's quote; unverifiable ${verdicts.unverifiable})`,
  );
  console.log(
    `contradicted verdicts: precision ${contradictedPrecision.toFixed(3)} lenient (${verdicts.contradictedRight}/${contradicted}), ${contradictedStrictPrecision.toFixed(3)} strict (${verdicts.contradictedStrict}/${contradicted})`,
  );
  console.log(`false-labelled claims caught by a contradicted verdict: ${falseCaught}/${falseLabels}`);
  for (const line of wrong) console.log(`  ${line}`);

  assert.ok(labels.length >= 100, `only ${labels.length} labelled records; at least 100 are needed`);
  assert.ok(precision >= 0.95, `episode precision ${precision.toFixed(3)}`);
  assert.ok(recall >= 0.95, `episode recall ${recall.toFixed(3)}`);
  assert.ok(claimPrecision >= 0.9, `claim verdict precision ${claimPrecision.toFixed(3)}`);
  assert.ok(
    contradictedPrecision >= 0.9,
    `contradicted verdict precision ${contradictedPrecision.toFixed(3)} (${verdicts.contradictedRight}/${contradicted})`,
  );
});
