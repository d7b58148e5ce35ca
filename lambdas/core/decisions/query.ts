import type { DecisionFeedback, DecisionQuery, DecisionRecord } from '../ports';

/**
 * True when two feedbacks say the same thing (score, thumbs, comment): a
 * client retrying the same call gets the same answer, a different one is a
 * conflict. The recording time is not compared.
 */
export function sameFeedback(
  a: DecisionFeedback,
  b: Omit<DecisionFeedback, 'at'>
): boolean {
  return (
    a.score === b.score &&
    (a.thumbs ?? null) === (b.thumbs ?? null) &&
    (a.comment ?? null) === (b.comment ?? null)
  );
}

/** True when a record falls in the query's time window and tenant. */
export function matchesQuery(
  r: DecisionRecord,
  q: Omit<DecisionQuery, 'limit' | 'cursor'>
): boolean {
  if (q.tenant !== undefined && r.tenant !== q.tenant) return false;
  const t = Date.parse(r.ts);
  if (q.since !== undefined && !(t >= Date.parse(q.since))) return false;
  if (q.until !== undefined && !(t < Date.parse(q.until))) return false;
  return true;
}
