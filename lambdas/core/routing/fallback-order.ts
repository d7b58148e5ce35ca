import type { ScoredCandidate } from './types';

/**
 * Orders a fallback chain so consecutive attempts go to different
 * providers. Real outages are correlated per provider (a region's Bedrock
 * throttles every model at once), so a second model of the provider that
 * just failed is the attempt least likely to succeed. The chain interleaves
 * providers: each round takes the best remaining candidate of every
 * provider, providers ordered by their best candidate's rank, starting with
 * the providers the chosen model does not use. Within a provider the score
 * order is kept.
 *
 * @param chosen the first attempt
 * @param ranked every eligible candidate, best first (may include `chosen`)
 * @param max most fallbacks to return
 */
export function diversifiedFallbacks(
  chosen: ScoredCandidate,
  ranked: readonly ScoredCandidate[],
  max: number
): ScoredCandidate[] {
  const queues = new Map<string, ScoredCandidate[]>();
  for (const c of ranked) {
    if (c === chosen) continue;
    const q = queues.get(c.model.provider);
    if (q) q.push(c);
    else queues.set(c.model.provider, [c]);
  }
  const out: ScoredCandidate[] = [];
  let last = chosen.model.provider;
  while (out.length < max && queues.size > 0) {
    // One round: every provider once, the last-used provider goes last.
    const round = [...queues.keys()];
    const at = round.indexOf(last);
    if (at >= 0 && round.length > 1) round.push(round.splice(at, 1)[0]!);
    for (const provider of round) {
      if (out.length >= max) break;
      const q = queues.get(provider)!;
      out.push(q.shift()!);
      last = provider;
      if (q.length === 0) queues.delete(provider);
    }
  }
  return out;
}
