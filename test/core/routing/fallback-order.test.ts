import { diversifiedFallbacks } from '../../../lambdas/core/routing/fallback-order';
import type { ScoredCandidate } from '../../../lambdas/core/routing/types';
import { makeModel } from './fixtures';

/** A ranked candidate of a provider; only model and provider matter here. */
function cand(id: string, provider: string): ScoredCandidate {
  return {
    model: makeModel(id, { provider }),
    components: { latency: 0, cost: 0, quality: 0, domain: 0 },
    estimatedCostUsd: 0,
    estimatedLatencyMs: 0,
    overSla: false,
    policyScore: 0,
    banditMean: 0,
    banditSample: 0,
    finalScore: 0,
    probability: 0,
  };
}

const ids = (cs: readonly ScoredCandidate[]) => cs.map((c) => c.model.id);

describe('Function: diversifiedFallbacks', () => {
  it('puts another provider right after the chosen model, keeping score order within a provider', () => {
    // Prepare: the three best candidates are all Bedrock
    const ranked = [
      cand('b1', 'bedrock'),
      cand('b2', 'bedrock'),
      cand('b3', 'bedrock'),
      cand('g1', 'gemini'),
      cand('o1', 'openai-compatible'),
      cand('g2', 'gemini'),
    ];
    // Act
    const chain = diversifiedFallbacks(ranked[0]!, ranked, 5);
    // Assess: never two Bedrock models in a row while others remain
    expect(ids(chain)).toEqual(['g1', 'o1', 'b2', 'g2', 'b3']);
  });

  it('caps the chain at max and never repeats the chosen model', () => {
    const ranked = [
      cand('g1', 'gemini'),
      cand('b1', 'bedrock'),
      cand('g2', 'gemini'),
    ];
    const chain = diversifiedFallbacks(ranked[1]!, ranked, 1);
    expect(ids(chain)).toEqual(['g1']);
    expect(ids(diversifiedFallbacks(ranked[1]!, ranked, 0))).toEqual([]);
    expect(ids(diversifiedFallbacks(ranked[0]!, ranked, 9))).toEqual([
      'b1',
      'g2',
    ]);
  });

  it('falls back to score order when only one provider is left', () => {
    const ranked = [cand('b1', 'bedrock'), cand('b2', 'bedrock')];
    expect(ids(diversifiedFallbacks(ranked[0]!, ranked, 3))).toEqual(['b2']);
  });

  it('alternates providers for every chain length (property over random pools)', () => {
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const providers = ['bedrock', 'gemini', 'openai-compatible'];
    for (let run = 0; run < 200; run++) {
      const n = 1 + Math.floor(rnd() * 9);
      const ranked = Array.from({ length: n }, (_, i) =>
        cand(`m${i}`, providers[Math.floor(rnd() * 3)]!)
      );
      const chosen = ranked[Math.floor(rnd() * n)]!;
      const chain = diversifiedFallbacks(chosen, ranked, n);
      // Every other candidate appears exactly once
      expect(new Set(ids(chain)).size).toBe(n - 1);
      expect(ids(chain)).not.toContain(chosen.model.id);
      // Same provider twice in a row only when no other provider had a candidate left
      const seq = [chosen, ...chain];
      for (let i = 1; i < seq.length; i++) {
        if (seq[i]!.model.provider !== seq[i - 1]!.model.provider) continue;
        const rest = seq.slice(i);
        expect(
          rest.every((c) => c.model.provider === seq[i]!.model.provider)
        ).toBe(true);
      }
    }
  });
});
