import {
  parseDecisionLines,
  ReplayError,
  type ReplayPolicy,
  type ReplayRecord,
  replay,
  targetDistribution,
} from '../../../lambdas/core/experiments/replay';
import { seededRng } from '../../../lambdas/core/routing/bandit';
import type { Rng } from '../../../lambdas/core/routing/types';

/*
 * Synthetic world with a known answer: three contexts, three models, a
 * Bernoulli (or continuous) reward with a known mean per (context, model), a
 * logging policy that explores, and a target policy that differs from it.
 * The true value of the target policy is sum_x p(x) sum_a pi(a|x) m(x, a).
 */
const MODELS = ['claude-sonnet', 'gemini-flash', 'llama-70b'] as const;
const CONTEXTS = [
  { ctx: { domain: 'legal', budget_tier: 'premium', tools: true }, p: 0.5 },
  { ctx: { domain: 'general', budget_tier: 'standard', tools: false }, p: 0.3 },
  { ctx: { domain: 'code', budget_tier: 'economy', tools: true }, p: 0.2 },
];
const KEYS = [
  'legal|premium|true',
  'general|standard|false',
  'code|economy|true',
];
const MEANS = [
  [0.9, 0.6, 0.5],
  [0.7, 0.75, 0.55],
  [0.4, 0.5, 0.8],
];
const LOGGING = [
  [0.6, 0.3, 0.1],
  [0.34, 0.33, 0.33],
  [0.2, 0.2, 0.6],
];
const TARGET: ReplayPolicy = {
  contexts: {
    [KEYS[0]!]: { 'claude-sonnet': 0.2, 'gemini-flash': 0.2, 'llama-70b': 0.6 },
    [KEYS[1]!]: { 'gemini-flash': 1 },
  },
  default: { 'claude-sonnet': 0.1, 'llama-70b': 0.9 },
};

function trueValue(policy: ReplayPolicy): number {
  let v = 0;
  CONTEXTS.forEach((c, x) => {
    const d = policy.contexts[KEYS[x]!] ?? policy.default!;
    const total = MODELS.reduce((s, m) => s + (d[m] ?? 0), 0);
    MODELS.forEach((m, a) => {
      v += c.p * ((d[m] ?? 0) / total) * MEANS[x]![a]!;
    });
  });
  return v;
}

function pick(rng: Rng, probs: readonly number[]): number {
  let u = rng();
  for (let i = 0; i < probs.length; i++) {
    u -= probs[i]!;
    if (u < 0) return i;
  }
  return probs.length - 1;
}

/** n logged decisions; `jitter` varies the logging policy per record. */
function synthLog(
  rng: Rng,
  n: number,
  opts: { continuous?: boolean; jitter?: boolean } = {}
): ReplayRecord[] {
  const out: ReplayRecord[] = [];
  const ctxProbs = CONTEXTS.map((c) => c.p);
  for (let i = 0; i < n; i++) {
    const x = pick(rng, ctxProbs);
    let mu = LOGGING[x]!;
    if (opts.jitter) {
      // Per-record logging policy, as Thompson sampling's varies per draw.
      const raw = mu.map((p) => p * (0.5 + rng()));
      const s = raw.reduce((a, b) => a + b, 0);
      mu = raw.map((p) => p / s);
    }
    const a = pick(rng, mu);
    const m = MEANS[x]![a]!;
    const reward = opts.continuous
      ? Math.min(1, Math.max(0, m + (rng() - 0.5) * 0.4))
      : rng() < m
        ? 1
        : 0;
    out.push({
      context: CONTEXTS[x]!.ctx,
      candidates: [...MODELS],
      chosen: MODELS[a]!,
      propensity: mu[a]!,
      outcome: reward > 0.5 ? 'ok' : 'error',
      reward,
    });
  }
  return out;
}

describe('Function: replay', () => {
  describe('statistical properties on synthetic logs with a known value', () => {
    it.each([
      ['Bernoulli rewards, fixed logging policy', {}],
      [
        'continuous rewards, per-record propensities',
        { continuous: true, jitter: true },
      ],
    ])(
      '%s: both estimators unbiased, 95%% intervals cover about 95%%',
      (_name, opts) => {
        // Prepare
        const truth = trueValue(TARGET);
        const reps = 300;
        const rng = seededRng(20261203);
        const errs = { ips: [] as number[], dr: [] as number[] };
        const cover = { ips: 0, dr: 0 };
        // Act
        for (let r = 0; r < reps; r++) {
          const res = replay(synthLog(rng, 1500, opts), TARGET);
          for (const k of ['ips', 'dr'] as const) {
            const e = res[k];
            errs[k].push(e.value - truth);
            if (e.ci95[0] <= truth && truth <= e.ci95[1]) cover[k]++;
          }
        }
        // Assess
        for (const k of ['ips', 'dr'] as const) {
          const mean = errs[k].reduce((a, b) => a + b, 0) / reps;
          const sd = Math.sqrt(
            errs[k].reduce((a, b) => a + (b - mean) ** 2, 0) / (reps - 1)
          );
          // Mean error within 3.5 standard errors of zero: unbiased.
          expect(Math.abs(mean)).toBeLessThan((3.5 * sd) / Math.sqrt(reps));
          // Binomial(300, 0.95) lies in [0.91, 0.985] with overwhelming odds.
          expect(cover[k] / reps).toBeGreaterThanOrEqual(0.91);
          expect(cover[k] / reps).toBeLessThanOrEqual(0.985);
        }
        // DR's reward model removes most of the reward noise IPS carries.
        const sdOf = (xs: number[]) => {
          const m = xs.reduce((a, b) => a + b, 0) / xs.length;
          return Math.sqrt(
            xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length
          );
        };
        expect(sdOf(errs.dr)).toBeLessThan(sdOf(errs.ips));
      }
    );

    it('evaluating the logging policy itself gives weights of 1 and ESS = n', () => {
      // Prepare
      const logging: ReplayPolicy = {
        contexts: Object.fromEntries(
          KEYS.map((k, x) => [
            k,
            Object.fromEntries(MODELS.map((m, a) => [m, LOGGING[x]![a]!])),
          ])
        ),
      };
      const log = synthLog(seededRng(7), 2000);
      const onPolicy = log.reduce((s, r) => s + (r.reward as number), 0) / 2000;
      // Act
      const res = replay(log, logging);
      // Assess
      expect(res.n).toBe(2000);
      expect(res.ess).toBeCloseTo(2000, 6);
      expect(res.ips.value).toBeCloseTo(onPolicy, 10);
      expect(res.warnings).toEqual([]);
    });
  });

  describe('target policy over the logged candidates', () => {
    it('renormalises the policy over the candidates a record had', () => {
      // Prepare
      const policy: ReplayPolicy = {
        contexts: {},
        default: { a: 0.5, b: 0.25, c: 0.25 },
      };
      const r: ReplayRecord = {
        context: { domain: 'd', budget_tier: 'standard', tools: false },
        candidates: ['a', 'b'],
        chosen: 'b',
        propensity: 0.5,
        reward: 1,
      };
      // Act
      const d = targetDistribution(policy, r);
      // Assess
      expect(Object.fromEntries(d!)).toEqual({ a: 2 / 3, b: 1 / 3 });
      expect(replay([r, r], policy).ips.value).toBeCloseTo(2 / 3, 10);
    });
  });

  describe('warnings', () => {
    const base: ReplayRecord = {
      context: { domain: 'legal', budget_tier: 'premium', tools: true },
      candidates: ['a', 'b'],
      chosen: 'a',
      propensity: 0.5,
      reward: 1,
    };

    it('warns on propensities below the threshold and on a low ESS', () => {
      // Prepare
      const log: ReplayRecord[] = [
        ...Array.from({ length: 300 }, () => ({ ...base })),
        { ...base, chosen: 'b', propensity: 0.002, reward: 0 },
      ];
      // Act
      const res = replay(log, { contexts: { 'legal|premium|true': { b: 1 } } });
      // Assess
      expect(res.warnings).toEqual([
        expect.stringMatching(
          /^1 record\(s\) with propensity below 0\.01 \(min 0\.00200\)/
        ),
        expect.stringMatching(/^low effective sample size: 1\.0 of 301/),
      ]);
    });

    it('leaves out unusable propensities, keeps uncovered contexts, derives missing rewards', () => {
      // Prepare
      const log: ReplayRecord[] = [
        ...Array.from({ length: 200 }, () => ({ ...base })),
        { ...base, propensity: 0 },
        { ...base, propensity: Number.NaN },
        {
          ...base,
          context: { domain: 'other', budget_tier: 'economy', tools: false },
          reward: null,
          outcome: 'error',
        },
      ];
      // Act
      const res = replay(log, {
        contexts: { 'legal|premium|true': { a: 0.5, b: 0.5 } },
      });
      // Assess
      expect(res.n).toBe(201);
      expect(res.warnings).toEqual([
        '2 record(s) left out: propensity missing or outside (0, 1]',
        expect.stringMatching(
          /^1 record\(s\) in contexts the policy does not cover/
        ),
        '1 record(s) had no reward yet: their outcome was used (ok = 1, else 0)',
      ]);
      // 200 records at weight 1 and reward 1, one kept at its reward 0.
      expect(res.ips.value).toBeCloseTo(200 / 201, 10);
    });

    it('fails with ReplayError when nothing is usable', () => {
      expect(() =>
        replay([{ ...base, propensity: -1 }], { contexts: {} })
      ).toThrow(ReplayError);
    });
  });
});

describe('Function: parseDecisionLines', () => {
  it('reads decision records and counts malformed lines', () => {
    // Prepare
    const good = JSON.stringify({
      decision_id: 'd1',
      context: { domain: 'legal', budget_tier: 'premium', tools: true },
      candidates: ['a'],
      chosen: 'a',
      propensity: 1,
      reward: null,
      outcome: 'ok',
    });
    // Act
    const { records, malformed } = parseDecisionLines([
      good,
      '',
      '{not json',
      JSON.stringify({ chosen: 'a' }),
    ]);
    // Assess
    expect(records).toHaveLength(1);
    expect(records[0]!.chosen).toBe('a');
    expect(malformed).toBe(2);
  });
});
