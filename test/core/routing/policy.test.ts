import { MemoryLatencyTracker } from '../../../lambdas/core/adapters/local/memory-latency-tracker';
import {
  DOMAIN_MATCH_SCORE,
  DOMAIN_MISMATCH_SCORE,
  DOMAIN_NEUTRAL_SCORE,
  domainScore,
  estimateRequestCostUsd,
  NEUTRAL_LATENCY_MS,
  normaliseWeights,
  scorePolicy,
} from '../../../lambdas/core/routing/policy';
import { makeContext, makeModel } from './fixtures';

const EQUAL = normaliseWeights({ cost: 1, latency: 1, quality: 1, domain: 1 });

describe('Function: normaliseWeights', () => {
  it('scales weights to sum 1', () => {
    // Act
    const w = normaliseWeights({ cost: 6, latency: 2, quality: 1, domain: 1 });

    // Assess
    expect(w).toEqual({ cost: 0.6, latency: 0.2, quality: 0.1, domain: 0.1 });
  });

  it('treats negative and NaN weights as 0 and all-zero as equal weights', () => {
    // Act
    const cleaned = normaliseWeights({
      cost: -1,
      latency: Number.NaN,
      quality: 1,
      domain: 1,
    });
    const zero = normaliseWeights({
      cost: 0,
      latency: 0,
      quality: 0,
      domain: 0,
    });

    // Assess
    expect(cleaned).toEqual({ cost: 0, latency: 0, quality: 0.5, domain: 0.5 });
    expect(zero).toEqual({
      cost: 0.25,
      latency: 0.25,
      quality: 0.25,
      domain: 0.25,
    });
  });
});

describe('Function: domainScore', () => {
  it('scores a listed domain 1, general or generalists 0.5, other specialists 0.2', () => {
    // Prepare
    const legal = makeModel('legal', { domains: ['legal'] });
    const generalist = makeModel('gen');
    const declaredGeneral = makeModel('g2', { domains: ['general', 'code'] });

    // Act & Assess
    expect(domainScore(legal, 'legal')).toBe(DOMAIN_MATCH_SCORE);
    expect(domainScore(legal, 'general')).toBe(DOMAIN_NEUTRAL_SCORE);
    expect(domainScore(generalist, 'legal')).toBe(DOMAIN_NEUTRAL_SCORE);
    expect(domainScore(declaredGeneral, 'legal')).toBe(DOMAIN_NEUTRAL_SCORE);
    expect(domainScore(legal, 'medical')).toBe(DOMAIN_MISMATCH_SCORE);
  });
});

describe('Function: estimateRequestCostUsd', () => {
  it('prices the estimated prompt plus the expected completion', () => {
    // Prepare: 123 prompt tokens (400 chars, Bedrock, 2 messages)
    const model = makeModel('m', {
      pricing: { inputPer1M: 2, outputPer1M: 10 },
      maxOutputTokens: 300,
    });

    // Act
    const defaultOut = estimateRequestCostUsd(model, makeContext());
    const requested = estimateRequestCostUsd(
      model,
      makeContext({ maxOutputTokens: 100 })
    );

    // Assess: 512 expected output capped at the model's 300
    expect(defaultOut).toBeCloseTo((123 * 2 + 300 * 10) / 1e6, 12);
    expect(requested).toBeCloseTo((123 * 2 + 100 * 10) / 1e6, 12);
  });
});

describe('Function: scorePolicy', () => {
  it('gives the cheapest model a cost score of 1 and the others min/cost', () => {
    // Prepare
    const models = [
      makeModel('cheap', { pricing: { inputPer1M: 1, outputPer1M: 1 } }),
      makeModel('dear', { pricing: { inputPer1M: 4, outputPer1M: 4 } }),
    ];

    // Act
    const [cheap, dear] = scorePolicy(
      models,
      makeContext(),
      new MemoryLatencyTracker(),
      EQUAL
    );

    // Assess
    expect(cheap.components.cost).toBe(1);
    expect(dear.components.cost).toBeCloseTo(0.25, 3);
    expect(dear.estimatedCostUsd).toBeCloseTo(4 * cheap.estimatedCostUsd, 12);
  });

  it('keeps priced models comparable next to a free one', () => {
    // Prepare
    const models = [
      makeModel('free', { pricing: { inputPer1M: 0, outputPer1M: 0 } }),
      makeModel('priced'),
    ];

    // Act
    const [free, priced] = scorePolicy(
      models,
      makeContext(),
      new MemoryLatencyTracker(),
      EQUAL
    );

    // Assess
    expect(free.components.cost).toBe(1);
    expect(priced.components.cost).toBeGreaterThan(0);
    expect(priced.components.cost).toBeLessThan(0.01);
    expect(Number.isFinite(priced.policyScore)).toBe(true);
  });

  it('shrinks the prior toward observations and gives the fastest 1', () => {
    // Prepare: one cold call and three warm ones at 400 ms against a 4 s prior
    const latency = new MemoryLatencyTracker({ now: () => 0 });
    for (let i = 0; i < 4; i++) latency.observe('slow-prior', 400);
    const models = [
      makeModel('slow-prior', { expectedLatencyMs: 4000 }),
      makeModel('fast-prior', { expectedLatencyMs: 800 }),
    ];

    // Act
    const [observed, prior] = scorePolicy(
      models,
      makeContext(),
      latency,
      EQUAL
    );

    // Assess: exp((ln 4000 + 3.1 ln 400) / 4.1) ~ 702 ms
    expect(observed.estimatedLatencyMs).toBeCloseTo(
      Math.exp((Math.log(4000) + 3.1 * Math.log(400)) / 4.1),
      6
    );
    expect(observed.components.latency).toBe(1);
    expect(prior.estimatedLatencyMs).toBeCloseTo(800, 6);
    expect(prior.components.latency).toBeCloseTo(
      observed.estimatedLatencyMs / 800,
      12
    );
  });

  it('gives an untried model without expectedLatencyMs the fleet median, not a penalty', () => {
    // Prepare
    const latency = new MemoryLatencyTracker({ now: () => 0, coldWeight: 1 });
    latency.observe('a', 300);
    latency.observe('b', 500);
    latency.observe('c', 700);
    const models = [
      makeModel('a', { expectedLatencyMs: undefined }),
      makeModel('untried', { expectedLatencyMs: undefined }),
    ];

    // Act
    const [, untried] = scorePolicy(models, makeContext(), latency, EQUAL);

    // Assess
    expect(untried.estimatedLatencyMs).toBeCloseTo(500, 6);
  });

  it('scores every model alike when nothing is known at all', () => {
    // Act
    const scores = scorePolicy(
      [
        makeModel('a', { expectedLatencyMs: undefined }),
        makeModel('b', { expectedLatencyMs: undefined }),
      ],
      makeContext(),
      new MemoryLatencyTracker(),
      EQUAL
    );

    // Assess
    expect(scores.map((s) => s.estimatedLatencyMs)).toEqual([
      NEUTRAL_LATENCY_MS,
      NEUTRAL_LATENCY_MS,
    ]);
  });

  it('flags candidates whose latency estimate exceeds the SLA', () => {
    // Prepare
    const models = [
      makeModel('fast', { expectedLatencyMs: 1000 }),
      makeModel('slow', { expectedLatencyMs: 3000 }),
    ];

    // Act
    const [fast, slow] = scorePolicy(
      models,
      makeContext({ maxLatencyMs: 2500 }),
      new MemoryLatencyTracker(),
      EQUAL
    );

    // Assess
    expect(fast.overSla).toBe(false);
    expect(slow.overSla).toBe(true);
  });

  it('weights the components into a policy score in [0, 1]', () => {
    // Prepare
    const models = [
      makeModel('a', { quality: 0.9, domains: ['legal'] }),
      makeModel('b', {
        quality: 0.3,
        expectedLatencyMs: 2000,
        pricing: { inputPer1M: 2, outputPer1M: 8 },
      }),
    ];
    const weights = normaliseWeights({
      cost: 0.4,
      latency: 0.3,
      quality: 0.2,
      domain: 0.1,
    });

    // Act
    const scores = scorePolicy(
      models,
      makeContext({ domain: 'legal' }),
      new MemoryLatencyTracker(),
      weights
    );

    // Assess
    for (const s of scores) {
      const c = s.components;
      expect(s.policyScore).toBeCloseTo(
        0.4 * c.cost + 0.3 * c.latency + 0.2 * c.quality + 0.1 * c.domain,
        12
      );
      for (const v of [s.policyScore, c.cost, c.latency, c.quality, c.domain]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
    // a is cheapest and fastest: 0.4 + 0.3 + 0.2 * 0.9 + 0.1 * 1
    expect(scores[0].policyScore).toBeCloseTo(0.98, 12);
    expect(scores[0].policyScore).toBeGreaterThan(scores[1].policyScore);
  });
});
