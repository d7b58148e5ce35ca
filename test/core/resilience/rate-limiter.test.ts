import { getEventListeners } from 'node:events';
import { ResilienceConfigError } from '../../../lambdas/core/resilience/errors';
import {
  ConcurrencyLimiter,
  ProviderLimits,
  TokenBucket,
} from '../../../lambdas/core/resilience/rate-limiter';

function manualClock(start = 1_000_000): { t: number; now: () => number } {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

describe('Class: TokenBucket', () => {
  it('fails on a non-positive rate or a burst below one', () => {
    // Act
    const act = (): unknown => new TokenBucket(0, 0.5);

    // Assess
    expect(act).toThrow(ResilienceConfigError);
    expect(act).toThrow(/ratePerSecond.*got 0.*burst must be >= 1, got 0\.5/);
  });

  it('starts full and allows a burst, then refuses', () => {
    // Prepare
    const clock = manualClock();
    const bucket = new TokenBucket(2, 5, clock.now);

    // Act
    const taken = Array.from({ length: 6 }, () => bucket.tryTake());

    // Assess
    expect(taken).toEqual([true, true, true, true, true, false]);
  });

  it('refills at the rate over injected time, up to the burst', () => {
    // Prepare
    const clock = manualClock();
    const bucket = new TokenBucket(2, 5, clock.now);
    for (let i = 0; i < 5; i++) bucket.tryTake();

    // Act
    clock.t += 499;
    const early = bucket.tryTake();
    clock.t += 1;
    const onTime = bucket.tryTake();
    clock.t += 60_000;
    const refilled = bucket.available();

    // Assess
    expect(early).toBe(false);
    expect(onTime).toBe(true);
    expect(refilled).toBe(5);
  });

  it('says how long until the next token', () => {
    // Prepare
    const clock = manualClock();
    const bucket = new TokenBucket(2, 1, clock.now);
    bucket.tryTake();

    // Act
    const empty = bucket.msUntilAvailable();
    clock.t += 300;
    const partly = bucket.msUntilAvailable();
    clock.t += 200;
    const ready = bucket.msUntilAvailable();

    // Assess
    expect(empty).toBe(500);
    expect(partly).toBe(200);
    expect(ready).toBe(0);
  });

  it('waits longer than a second when the rate is below one per second', () => {
    // Prepare
    const clock = manualClock();
    const bucket = new TokenBucket(0.25, 1, clock.now);
    bucket.tryTake();

    // Act
    const wait = bucket.msUntilAvailable();

    // Assess
    expect(wait).toBe(4_000);
  });

  it('does not refill or drain when the clock steps back', () => {
    // Prepare
    const clock = manualClock();
    const bucket = new TokenBucket(1, 2, clock.now);
    bucket.tryTake();

    // Act
    clock.t -= 10_000;
    const after = bucket.available();
    clock.t += 1_000;

    // Assess
    expect(after).toBe(1);
    expect(bucket.available()).toBe(2);
  });
});

describe('Class: ConcurrencyLimiter', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('fails on invalid options', () => {
    // Act
    const act = (): unknown =>
      new ConcurrencyLimiter(0, { maxQueue: -1, queueTimeoutMs: -5 });

    // Assess
    expect(act).toThrow(/maxConcurrency.*maxQueue.*queueTimeoutMs/);
  });

  it('admits up to max and frees a slot on release', () => {
    // Prepare
    const limiter = new ConcurrencyLimiter(2);

    // Act
    const a = limiter.tryAcquire();
    const b = limiter.tryAcquire();
    const c = limiter.tryAcquire();
    a!();
    const d = limiter.tryAcquire();

    // Assess
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(c).toBeUndefined();
    expect(d).toBeDefined();
    expect(limiter.inFlight).toBe(2);
  });

  it('ignores a second release of the same slot', () => {
    // Prepare
    const limiter = new ConcurrencyLimiter(2);
    const a = limiter.tryAcquire()!;
    limiter.tryAcquire();

    // Act
    a();
    a();

    // Assess
    expect(limiter.inFlight).toBe(1);
  });

  it('estimates Retry-After from the average hold time per slot', () => {
    // Prepare
    const clock = manualClock();
    const limiter = new ConcurrencyLimiter(2, { now: clock.now });
    const first = limiter.tryAcquire()!;
    clock.t += 1_000;
    first();

    // Act
    limiter.tryAcquire();
    const free = limiter.retryAfterMs();
    limiter.tryAcquire();
    const full = limiter.retryAfterMs();

    // Assess: hold average stays 1000 ms (the default and the one sample)
    expect(free).toBe(0);
    expect(full).toBe(500);
  });

  it('moves the estimate towards recent hold times', () => {
    // Prepare
    const clock = manualClock();
    const limiter = new ConcurrencyLimiter(1, { now: clock.now });

    // Act
    for (let i = 0; i < 30; i++) {
      const release = limiter.tryAcquire()!;
      clock.t += 100;
      release();
    }
    limiter.tryAcquire();

    // Assess
    expect(limiter.retryAfterMs()).toBeGreaterThanOrEqual(100);
    expect(limiter.retryAfterMs()).toBeLessThan(110);
  });

  it('hands a freed slot to the oldest waiter', async () => {
    // Prepare
    const limiter = new ConcurrencyLimiter(1, { maxQueue: 2 });
    const holder = limiter.tryAcquire()!;
    const order: string[] = [];
    const w1 = limiter.acquire().then((r) => {
      order.push('w1');
      return r;
    });
    const w2 = limiter.acquire().then((r) => {
      order.push('w2');
      return r;
    });

    // Act
    const barged = limiter.tryAcquire();
    holder();
    const r1 = await w1;
    r1!();
    const r2 = await w2;

    // Assess
    expect(barged).toBeUndefined();
    expect(order).toEqual(['w1', 'w2']);
    expect(r2).toBeDefined();
    expect(limiter.inFlight).toBe(1);
    r2!();
    expect(limiter.inFlight).toBe(0);
  });

  it('refuses at once when the queue is full or disabled', async () => {
    // Prepare
    const noQueue = new ConcurrencyLimiter(1);
    const small = new ConcurrencyLimiter(1, { maxQueue: 1 });
    noQueue.tryAcquire();
    small.tryAcquire();
    const controller = new AbortController();
    const queued = small.acquire(controller.signal);

    // Act
    const refused = [await noQueue.acquire(), await small.acquire()];

    // Assess
    expect(refused).toEqual([undefined, undefined]);
    expect(small.queued).toBe(1);
    controller.abort();
    expect(await queued).toBeUndefined();
    expect(small.queued).toBe(0);
  });

  it('refuses at once for an already aborted signal', async () => {
    // Prepare
    const limiter = new ConcurrencyLimiter(1, { maxQueue: 1 });
    limiter.tryAcquire();

    // Act
    const result = await limiter.acquire(AbortSignal.abort());

    // Assess
    expect(result).toBeUndefined();
    expect(limiter.queued).toBe(0);
  });

  it('gives up a queued wait after queueTimeoutMs and clears its timer', async () => {
    // Prepare
    jest.useFakeTimers();
    const limiter = new ConcurrencyLimiter(1, {
      maxQueue: 1,
      queueTimeoutMs: 200,
    });
    const holder = limiter.tryAcquire()!;
    const waiting = limiter.acquire();

    // Act
    jest.advanceTimersByTime(200);
    const result = await waiting;

    // Assess
    expect(result).toBeUndefined();
    expect(limiter.queued).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    holder();
    expect(limiter.inFlight).toBe(0);
  });

  it('gives up a queued wait when its signal aborts', async () => {
    // Prepare
    jest.useFakeTimers();
    const limiter = new ConcurrencyLimiter(1, { maxQueue: 1 });
    limiter.tryAcquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);

    // Act
    controller.abort();
    const result = await waiting;

    // Assess
    expect(result).toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('releases the waiter timer and listener when a slot is handed over', async () => {
    // Prepare
    jest.useFakeTimers();
    const limiter = new ConcurrencyLimiter(1, { maxQueue: 1 });
    const holder = limiter.tryAcquire()!;
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);

    // Act
    holder();
    const release = await waiting;

    // Assess
    expect(release).toBeDefined();
    expect(jest.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('Class: ProviderLimits', () => {
  it('fails with every invalid provider limit listed', () => {
    // Act
    const act = (): unknown =>
      new ProviderLimits({
        bedrock: { requestsPerSecond: -1 },
        gemini: { maxConcurrency: 2.5, burst: 0 },
      });

    // Assess
    expect(act).toThrow(ResilienceConfigError);
    expect(act).toThrow(
      /bedrock\.requestsPerSecond.*gemini\.burst.*gemini\.maxConcurrency/
    );
  });

  it('admits a provider without limits every time', () => {
    // Prepare
    const limits = new ProviderLimits({});

    // Act
    const results = Array.from({ length: 1_000 }, () =>
      limits.tryAcquire('bedrock')
    );

    // Assess
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it('refuses above the rate with the wait until the next token', () => {
    // Prepare
    const clock = manualClock();
    const limits = new ProviderLimits(
      { gemini: { requestsPerSecond: 10, burst: 2 } },
      { now: clock.now }
    );
    limits.tryAcquire('gemini');
    limits.tryAcquire('gemini');

    // Act
    const refused = limits.tryAcquire('gemini');
    clock.t += 100;
    const later = limits.tryAcquire('gemini');

    // Assess
    expect(refused).toEqual({ ok: false, reason: 'rate', retryAfterMs: 100 });
    expect(later.ok).toBe(true);
  });

  it('defaults the burst to the rate rounded up', () => {
    // Prepare
    const limits = new ProviderLimits(
      { gemini: { requestsPerSecond: 2.5 } },
      { now: () => 0 }
    );

    // Act
    const admitted = Array.from(
      { length: 5 },
      () => limits.tryAcquire('gemini').ok
    );

    // Assess
    expect(admitted).toEqual([true, true, true, false, false]);
  });

  it('refuses above max concurrency until a call releases', () => {
    // Prepare
    const limits = new ProviderLimits({ bedrock: { maxConcurrency: 1 } });
    const first = limits.tryAcquire('bedrock');

    // Act
    const second = limits.tryAcquire('bedrock');
    if (first.ok) first.release();
    const third = limits.tryAcquire('bedrock');

    // Assess
    expect(first.ok).toBe(true);
    expect(second).toMatchObject({ ok: false, reason: 'concurrency' });
    expect(second.ok || second.retryAfterMs).toBeGreaterThan(0);
    expect(third.ok).toBe(true);
  });

  it('takes no rate token when concurrency refuses', () => {
    // Prepare
    const clock = manualClock();
    const limits = new ProviderLimits(
      { bedrock: { requestsPerSecond: 1, burst: 2, maxConcurrency: 1 } },
      { now: clock.now }
    );
    const held = limits.tryAcquire('bedrock');

    // Act
    for (let i = 0; i < 5; i++) limits.tryAcquire('bedrock');
    if (held.ok) held.release();
    const next = limits.tryAcquire('bedrock');

    // Assess
    expect(next.ok).toBe(true);
    expect(limits.snapshot().bedrock).toMatchObject({ tokens: 0 });
  });

  it('takes no slot when the rate refuses, and reports the longer wait', () => {
    // Prepare
    const clock = manualClock();
    const limits = new ProviderLimits(
      { bedrock: { requestsPerSecond: 0.5, burst: 1, maxConcurrency: 1 } },
      { now: clock.now }
    );
    const held = limits.tryAcquire('bedrock');

    // Act
    const refused = limits.tryAcquire('bedrock');
    if (held.ok) held.release();
    const rateOnly = limits.tryAcquire('bedrock');

    // Assess: both saturated -> the 2 s rate wait beats the 1 s slot guess
    expect(refused).toEqual({ ok: false, reason: 'rate', retryAfterMs: 2_000 });
    expect(rateOnly).toEqual({
      ok: false,
      reason: 'rate',
      retryAfterMs: 2_000,
    });
    expect(limits.snapshot().bedrock).toMatchObject({ inFlight: 0 });
  });

  it('snapshots use per configured provider', () => {
    // Prepare
    const limits = new ProviderLimits(
      {
        bedrock: { maxConcurrency: 4 },
        gemini: { requestsPerSecond: 5 },
      },
      { now: () => 0 }
    );
    limits.tryAcquire('bedrock');
    limits.tryAcquire('gemini');

    // Act
    const snap = limits.snapshot();

    // Assess
    expect(snap).toEqual({
      bedrock: {
        inFlight: 1,
        maxConcurrency: 4,
        tokens: undefined,
        requestsPerSecond: undefined,
      },
      gemini: {
        inFlight: undefined,
        maxConcurrency: undefined,
        tokens: 4,
        requestsPerSecond: 5,
      },
    });
  });
});
