import type { CircuitSnapshot } from '../../../lambdas/core/resilience/circuit-breaker';
import { bestRetryTarget } from '../../../lambdas/core/resilience/retry-target';

const snap = (requests: number, failures: number): CircuitSnapshot => ({
  state: 'closed',
  requests,
  failures,
  probesInFlight: 0,
});

describe('Function: bestRetryTarget', () => {
  it('retries on the provider with the best recent success share, across its models', () => {
    // Prepare: Bedrock fails 60% over two models, the OpenAI-compatible endpoint 10%
    const circuits = {
      'bedrock#b1': snap(50, 30),
      'bedrock#b2': snap(50, 30),
      'openai-compatible#o1': snap(100, 10),
      'gemini#g1': snap(100, 30),
    };
    const tried = [
      { provider: 'openai-compatible', id: 'o1' },
      { provider: 'gemini', id: 'g1' },
      { provider: 'bedrock', id: 'b2' },
    ];
    // Act / Assess: not the last tried (Bedrock) but the healthiest provider
    expect(bestRetryTarget(tried, circuits)).toBe(0);
  });

  it('keeps the earlier candidate on a tie and handles providers without history', () => {
    expect(
      bestRetryTarget(
        [
          { provider: 'a', id: 'a1' },
          { provider: 'b', id: 'b1' },
        ],
        {}
      )
    ).toBe(0);
    // A provider with no recorded calls (prior 0.5) beats one failing most calls
    expect(
      bestRetryTarget(
        [
          { provider: 'a', id: 'a1' },
          { provider: 'b', id: 'b1' },
        ],
        { 'a#a1': snap(10, 9) }
      )
    ).toBe(1);
  });
});
