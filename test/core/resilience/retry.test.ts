import fc from 'fast-check';
import {
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderContentFilteredError,
  ProviderContextLengthError,
  ProviderNotFoundError,
  ProviderThrottledError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../../../lambdas/core/providers/errors';
import { ResilienceConfigError } from '../../../lambdas/core/resilience/errors';
import {
  backoffDelayMs,
  isRetryable,
  isRetryableOnSameCandidate,
  type NextStepContext,
  planNextStep,
  RetryBudget,
  retryAfterOf,
  retryDelayMs,
} from '../../../lambdas/core/resilience/retry';

/** mulberry32: a small seeded RNG, so runs are reproducible. */
function seededRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const throttled = (retryAfterMs?: number): ProviderThrottledError =>
  new ProviderThrottledError('gemini', '429', { status: 429, retryAfterMs });
const unavailable = new ProviderUnavailableError('gemini', '503');

function socketError(code: string): Error {
  return Object.assign(new Error(`socket ${code}`), { code });
}

describe('Function: backoffDelayMs', () => {
  it('stays within [0, min(maxMs, baseMs * 2^attempt)) for any rng draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, maxMs, draw) => {
          // Act
          const delay = backoffDelayMs(attempt, { baseMs, maxMs }, () => draw);

          // Assess
          const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(ceiling);
          expect(Number.isInteger(delay)).toBe(true);
        }
      )
    );
  });

  it.each([
    [0, 0.5, 50],
    [1, 0.5, 100],
    [3, 0.5, 400],
    [10, 0.5, 1_000],
    [0, 0, 0],
    [-1, 0.5, 50],
  ])(
    'attempt %i with rng %d -> %i ms (base 100, max 2000)',
    (attempt, draw, expected) => {
      // Act
      const delay = backoffDelayMs(
        attempt,
        { baseMs: 100, maxMs: 2_000 },
        () => draw
      );

      // Assess
      expect(delay).toBe(expected);
    }
  );

  it('spreads delays over the whole range (full jitter)', () => {
    // Prepare
    const rng = seededRng(7);

    // Act
    const delays = Array.from({ length: 2_000 }, () =>
      backoffDelayMs(4, { baseMs: 100, maxMs: 10_000 }, rng)
    );

    // Assess: ceiling 1600, mean ~800, both ends reached
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    expect(mean).toBeGreaterThan(740);
    expect(mean).toBeLessThan(860);
    expect(Math.min(...delays)).toBeLessThan(50);
    expect(Math.max(...delays)).toBeGreaterThan(1_550);
  });
});

describe('Function: retryDelayMs', () => {
  const opts = { baseMs: 100, maxMs: 2_000, maxRetryAfterMs: 5_000 };

  it('waits at least the upstream Retry-After', () => {
    // Act
    const delay = retryDelayMs(throttled(1_500), 0, opts, () => 0.9);

    // Assess
    expect(delay).toBe(1_500);
  });

  it('keeps the jitter when it is longer than Retry-After', () => {
    // Act
    const delay = retryDelayMs(throttled(10), 3, opts, () => 0.5);

    // Assess
    expect(delay).toBe(400);
  });

  it('accepts a Retry-After equal to the cap', () => {
    // Act
    const delay = retryDelayMs(throttled(5_000), 0, opts, () => 0.5);

    // Assess
    expect(delay).toBe(5_000);
  });

  it('refuses to wait for a Retry-After above the cap', () => {
    // Act
    const delay = retryDelayMs(throttled(5_001), 0, opts, () => 0.5);

    // Assess
    expect(delay).toBeUndefined();
  });

  it('uses the jitter alone without a Retry-After', () => {
    // Act
    const delay = retryDelayMs(unavailable, 1, opts, () => 0.25);

    // Assess
    expect(delay).toBe(50);
  });
});

describe('Function: retryAfterOf', () => {
  it('reads retryAfterMs from provider errors only', () => {
    // Act & Assess
    expect(retryAfterOf(throttled(2_000))).toBe(2_000);
    expect(retryAfterOf(unavailable)).toBeUndefined();
    expect(
      retryAfterOf(Object.assign(new Error('x'), { retryAfterMs: 9 }))
    ).toBeUndefined();
  });
});

describe('Function: isRetryable', () => {
  const fetchFailed = new TypeError('fetch failed', {
    cause: socketError('UND_ERR_SOCKET'),
  });

  it.each([
    ['throttled', throttled(), true, true],
    ['unavailable', unavailable, true, true],
    ['timeout', new ProviderTimeoutError('p', 'x'), true, true],
    ['auth', new ProviderAuthError('p', 'x'), true, false],
    ['not_found', new ProviderNotFoundError('p', 'x'), true, false],
    ['bad_request', new ProviderBadRequestError('p', 'x'), false, false],
    ['context_length', new ProviderContextLengthError('p', 'x'), false, false],
    [
      'content_filtered',
      new ProviderContentFilteredError('p', 'x'),
      false,
      false,
    ],
    ['ECONNRESET', socketError('ECONNRESET'), true, true],
    ['ETIMEDOUT', socketError('ETIMEDOUT'), true, true],
    ['fetch failed (socket)', fetchFailed, true, true],
    ['TimeoutError', new DOMException('t', 'TimeoutError'), true, true],
    ['AbortError', new DOMException('a', 'AbortError'), false, false],
    ['ENOENT', socketError('ENOENT'), false, false],
    ['plain Error', new Error('boom'), false, false],
    ['a string', 'boom', false, false],
  ])('%s -> any %s, same %s', (_name, err, any, same) => {
    // Act & Assess
    expect(isRetryable(err)).toBe(any);
    expect(isRetryableOnSameCandidate(err)).toBe(same);
  });
});

describe('Class: RetryBudget', () => {
  it('fails with every invalid option listed', () => {
    // Act
    const act = (): unknown =>
      new RetryBudget({ ratio: 2, maxTokens: 0, initialTokens: -1 });

    // Assess
    expect(act).toThrow(ResilienceConfigError);
    expect(act).toThrow(/ratio.*maxTokens.*initialTokens/);
  });

  it('starts full and spends one token per retry', () => {
    // Prepare
    const budget = new RetryBudget({ maxTokens: 2 });

    // Act
    const spent = [budget.tryConsume(), budget.tryConsume()];

    // Assess
    expect(spent).toEqual([true, true]);
    expect(budget.canRetry()).toBe(false);
    expect(budget.tryConsume()).toBe(false);
    expect(budget.tokens).toBe(0);
  });

  it('earns exactly one token from ten first attempts at ratio 0.1', () => {
    // Prepare
    const budget = new RetryBudget({ ratio: 0.1, initialTokens: 0 });

    // Act
    for (let i = 0; i < 9; i++) budget.recordRequest();
    const afterNine = budget.canRetry();
    budget.recordRequest();

    // Assess
    expect(afterNine).toBe(false);
    expect(budget.canRetry()).toBe(true);
    expect(budget.tokens).toBe(1);
  });

  it('never holds more than maxTokens', () => {
    // Prepare
    const budget = new RetryBudget({ ratio: 0.5, maxTokens: 3 });

    // Act
    for (let i = 0; i < 100; i++) budget.recordRequest();

    // Assess
    expect(budget.tokens).toBe(3);
  });

  it('keeps extra load within ratio x requests + cap over 10,000 requests at 30% failures', () => {
    // Prepare
    const rng = seededRng(2024);
    const budget = new RetryBudget({ ratio: 0.1, maxTokens: 10 });
    const requests = 10_000;
    let retries = 0;

    // Act: one candidate, so every retryable failure asks for a retry-same
    for (let i = 0; i < requests; i++) {
      budget.recordRequest();
      let retriesOnCandidate = 0;
      while (rng() < 0.3) {
        const step = planNextStep(unavailable, {
          retriesOnCandidate,
          maxRetriesPerCandidate: 3,
          hasNextCandidate: false,
          remainingMs: 60_000,
          budget,
          rng,
        });
        if (step.action !== 'retry-same') break;
        retries++;
        retriesOnCandidate++;
      }
    }

    // Assess: ~3,000 retries wanted; the budget lets ~1,000 through
    expect(retries).toBeLessThanOrEqual(0.1 * requests + 10);
    expect(retries).toBeGreaterThanOrEqual(0.1 * requests - 1);
  });
});

describe('Function: planNextStep', () => {
  const base: NextStepContext = {
    retriesOnCandidate: 0,
    hasNextCandidate: false,
    remainingMs: 10_000,
    rng: () => 0.5,
    backoff: { baseMs: 100, maxMs: 2_000, maxRetryAfterMs: 5_000 },
  };

  it.each<[string, unknown, Partial<NextStepContext>, object]>([
    [
      'fails over on a retryable error when a candidate is left',
      unavailable,
      { hasNextCandidate: true },
      { action: 'failover' },
    ],
    [
      'fails over on auth when a candidate is left',
      new ProviderAuthError('p', '401'),
      { hasNextCandidate: true },
      { action: 'failover' },
    ],
    [
      'fails over instead of waiting for a long Retry-After',
      throttled(60_000),
      { hasNextCandidate: true },
      { action: 'failover' },
    ],
    [
      'fails over with the soft deadline passed (time left before hard)',
      new ProviderTimeoutError('p', 'soft'),
      { hasNextCandidate: true, remainingMs: 3_000 },
      { action: 'failover' },
    ],
    [
      'retries the last candidate after jittered backoff',
      unavailable,
      {},
      { action: 'retry-same', delayMs: 50 },
    ],
    [
      'retries the last candidate after its Retry-After',
      throttled(1_200),
      {},
      { action: 'retry-same', delayMs: 1_200 },
    ],
    [
      'gives up on a non-retryable error even with candidates left',
      new ProviderBadRequestError('p', '400'),
      { hasNextCandidate: true },
      { action: 'give-up', reason: 'not-retryable' },
    ],
    [
      'gives up after the first token',
      unavailable,
      { hasNextCandidate: true, firstTokenSent: true },
      { action: 'give-up', reason: 'after-first-token' },
    ],
    [
      'gives up when the hard deadline leaves no time for an attempt',
      unavailable,
      { hasNextCandidate: true, remainingMs: 99 },
      { action: 'give-up', reason: 'deadline' },
    ],
    [
      'gives up when the backoff would pass the hard deadline',
      throttled(1_000),
      { remainingMs: 1_050 },
      { action: 'give-up', reason: 'deadline', retryAfterMs: 1_000 },
    ],
    [
      'gives up on auth with no candidate left (same key fails again)',
      new ProviderAuthError('p', '401'),
      {},
      { action: 'give-up', reason: 'no-candidates' },
    ],
    [
      'gives up once same-candidate retries are used',
      unavailable,
      { retriesOnCandidate: 1 },
      { action: 'give-up', reason: 'retries-exhausted' },
    ],
    [
      'allows more retries when configured',
      unavailable,
      { retriesOnCandidate: 1, maxRetriesPerCandidate: 2 },
      { action: 'retry-same', delayMs: 100 },
    ],
    [
      'gives up and passes on a Retry-After above the cap',
      throttled(30_000),
      {},
      {
        action: 'give-up',
        reason: 'retry-after-too-long',
        retryAfterMs: 30_000,
      },
    ],
    [
      'gives up when the budget is empty',
      unavailable,
      { budget: new RetryBudget({ initialTokens: 0 }) },
      { action: 'give-up', reason: 'budget' },
    ],
    [
      'gives up on a client abort',
      new DOMException('gone', 'AbortError'),
      { hasNextCandidate: true },
      { action: 'give-up', reason: 'not-retryable' },
    ],
  ])('%s', (_name, err, ctx, expected) => {
    // Act
    const step = planNextStep(err, { ...base, ...ctx });

    // Assess
    expect(step).toEqual(expected);
  });

  it('spends a budget token only on a retry-same decision', () => {
    // Prepare
    const budget = new RetryBudget({ maxTokens: 1 });

    // Act
    const failover = planNextStep(unavailable, {
      ...base,
      budget,
      hasNextCandidate: true,
    });
    const tooLong = planNextStep(throttled(30_000), { ...base, budget });
    const afterNoop = budget.tokens;
    const retry = planNextStep(unavailable, { ...base, budget });

    // Assess
    expect(failover.action).toBe('failover');
    expect(tooLong.action).toBe('give-up');
    expect(afterNoop).toBe(1);
    expect(retry.action).toBe('retry-same');
    expect(budget.tokens).toBe(0);
  });
});
