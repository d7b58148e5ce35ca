import type { CircuitSnapshot } from './circuit-breaker';

/**
 * Picks where the last same-candidate retry goes once every candidate has
 * been tried: the tried model whose PROVIDER fared best in the breakers'
 * current windows (Laplace-smoothed success share), not simply the last one.
 * Outages are correlated per provider, so the provider's recent record is
 * the best predictor of the next call; ties keep the earlier (better-ranked)
 * candidate.
 *
 * @param tried models already attempted, in attempt order (`provider`, `id`)
 * @param circuits the breakers' snapshot, keyed `provider#model`
 * @returns index into `tried`
 */
export function bestRetryTarget(
  tried: readonly { readonly provider: string; readonly id: string }[],
  circuits: Readonly<Record<string, CircuitSnapshot>>
): number {
  const perProvider = new Map<string, { ok: number; n: number }>();
  for (const [key, c] of Object.entries(circuits)) {
    const provider = key.slice(0, key.indexOf('#'));
    const agg = perProvider.get(provider) ?? { ok: 0, n: 0 };
    agg.ok += c.requests - c.failures;
    agg.n += c.requests;
    perProvider.set(provider, agg);
  }
  let best = 0;
  let bestScore = -1;
  tried.forEach((m, i) => {
    const agg = perProvider.get(m.provider) ?? { ok: 0, n: 0 };
    const score = (agg.ok + 1) / (agg.n + 2);
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  });
  return best;
}
