import fc from 'fast-check';
import {
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderContentFilteredError,
  ProviderContextLengthError,
  ProviderError,
  ProviderNotFoundError,
  ProviderThrottledError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../../../lambdas/core/providers/errors';
import {
  type BreakerAttempt,
  type CircuitBreakerOptions,
  CircuitBreakerRegistry,
  type CircuitStateChange,
  circuitKey,
  countsAgainstCircuit,
} from '../../../lambdas/core/resilience/circuit-breaker';
import { ResilienceConfigError } from '../../../lambdas/core/resilience/errors';

const KEY = circuitKey('bedrock', 'claude-sonnet');
const unavailable = (): ProviderError =>
  new ProviderUnavailableError('bedrock', '503');

/** A registry on a hand-driven clock. */
function setup(options: CircuitBreakerOptions = {}): {
  breakers: CircuitBreakerRegistry;
  clock: { t: number };
  changes: CircuitStateChange[];
} {
  const clock = { t: 1_000_000 };
  const breakers = new CircuitBreakerRegistry({
    now: () => clock.t,
    ...options,
  });
  const changes: CircuitStateChange[] = [];
  breakers.onStateChange((c) => changes.push(c));
  return { breakers, clock, changes };
}

/** Admits and immediately settles `n` calls with the given outcome. */
function record(
  breakers: CircuitBreakerRegistry,
  outcome: 'success' | 'failure' | 'ignore',
  n = 1,
  key = KEY
): void {
  for (let i = 0; i < n; i++) {
    const attempt = breakers.begin(key);
    if (!attempt) throw new Error(`circuit ${key} refused call ${i}`);
    if (outcome === 'success') attempt.success();
    else if (outcome === 'failure') attempt.failure(unavailable());
    else attempt.ignore();
  }
}

/** Opens the circuit with `minimumRequests` failures. */
function trip(breakers: CircuitBreakerRegistry, minimumRequests = 10): void {
  record(breakers, 'failure', minimumRequests);
  expect(breakers.state(KEY)).toBe('open');
}

describe('Function: circuitKey', () => {
  it('joins provider and model with #', () => {
    // Act
    const key = circuitKey('gemini', 'gemini-flash');

    // Assess
    expect(key).toBe('gemini#gemini-flash');
  });
});

describe('Function: countsAgainstCircuit', () => {
  it.each([
    ['throttled', new ProviderThrottledError('p', 'x'), true],
    ['unavailable', new ProviderUnavailableError('p', 'x'), true],
    ['timeout', new ProviderTimeoutError('p', 'x'), true],
    ['auth', new ProviderAuthError('p', 'x'), true],
    ['not_found', new ProviderNotFoundError('p', 'x'), true],
    ['unknown', new ProviderError('p', 'x'), true],
    ['bad_request', new ProviderBadRequestError('p', 'x'), false],
    ['context_length', new ProviderContextLengthError('p', 'x'), false],
    ['content_filtered', new ProviderContentFilteredError('p', 'x'), false],
    ['AbortError', new DOMException('gone', 'AbortError'), false],
    ['TimeoutError', new DOMException('soft', 'TimeoutError'), false],
    ['non-provider error', new TypeError('adapter bug'), true],
    ['no error given', undefined, true],
  ])('%s -> %s', (_name, err, expected) => {
    // Act
    const counts = countsAgainstCircuit(err);

    // Assess
    expect(counts).toBe(expected);
  });
});

describe('Class: CircuitBreakerRegistry', () => {
  describe('Method: constructor', () => {
    it('fails with every invalid option listed in one error', () => {
      // Act
      const act = (): unknown =>
        new CircuitBreakerRegistry({
          failureRateThreshold: 1.5,
          minimumRequests: 0,
          halfOpenMaxProbes: 1.5,
          cooldownMs: -1,
        });

      // Assess
      expect(act).toThrow(ResilienceConfigError);
      expect(act).toThrow(
        /failureRateThreshold must be in \(0, 1\], got 1\.5.*minimumRequests must be an integer >= 1, got 0.*cooldownMs must be >= 0, got -1.*halfOpenMaxProbes must be an integer >= 1, got 1\.5/
      );
    });
  });

  describe('Closed state', () => {
    it('stays closed below minimumRequests even at 100% failures', () => {
      // Prepare
      const { breakers, changes } = setup({ minimumRequests: 10 });

      // Act
      record(breakers, 'failure', 9);

      // Assess
      expect(breakers.state(KEY)).toBe('closed');
      expect(breakers.isOpen(KEY)).toBe(false);
      expect(breakers.snapshot()[KEY]).toMatchObject({
        failures: 9,
        requests: 9,
      });
      expect(changes).toHaveLength(0);
    });

    it('opens at minimumRequests when the failure rate reaches the threshold', () => {
      // Prepare
      const { breakers } = setup({
        minimumRequests: 10,
        failureRateThreshold: 0.5,
      });
      record(breakers, 'success', 5);
      record(breakers, 'failure', 4);

      // Act
      record(breakers, 'failure');

      // Assess
      expect(breakers.state(KEY)).toBe('open');
      expect(breakers.isOpen(KEY)).toBe(true);
      expect(breakers.begin(KEY)).toBeUndefined();
    });

    it('stays closed while the failure rate is below the threshold', () => {
      // Prepare
      const { breakers } = setup({
        minimumRequests: 10,
        failureRateThreshold: 0.5,
      });
      record(breakers, 'success', 6);

      // Act: 5 of 11 = 45%
      record(breakers, 'failure', 5);

      // Assess
      expect(breakers.state(KEY)).toBe('closed');
      record(breakers, 'failure');
      expect(breakers.state(KEY)).toBe('open');
    });

    it('lets old failures slide out of the window', () => {
      // Prepare
      const { breakers, clock } = setup({
        windowMs: 30_000,
        minimumRequests: 10,
      });
      record(breakers, 'failure', 9);

      // Act: not a multiple of the window, so another bucket slot is used
      clock.t += 33_500;
      const emptied = breakers.snapshot()[KEY];
      record(breakers, 'failure', 9);

      // Assess
      expect(emptied).toMatchObject({ failures: 0, requests: 0 });
      expect(breakers.state(KEY)).toBe('closed');
      expect(breakers.snapshot()[KEY]).toMatchObject({
        failures: 9,
        requests: 9,
      });
      record(breakers, 'failure');
      expect(breakers.state(KEY)).toBe('open');
    });

    it('keeps failures inside the window by bucket', () => {
      // Prepare: buckets of 3 s
      const { breakers, clock } = setup({
        windowMs: 30_000,
        windowBuckets: 10,
        minimumRequests: 10,
      });
      record(breakers, 'failure', 5);
      clock.t += 15_000;
      record(breakers, 'failure', 4);

      // Act: the first five are 26 s old, still inside the window
      clock.t += 11_000;
      record(breakers, 'failure');

      // Assess
      expect(breakers.state(KEY)).toBe('open');
    });

    it('does not open on one failure after a long idle period', () => {
      // Prepare
      const { breakers, clock } = setup({ minimumRequests: 10 });
      record(breakers, 'failure', 9);

      // Act: ten idle minutes, then one failure
      clock.t += 605_000;
      record(breakers, 'failure');

      // Assess
      expect(breakers.state(KEY)).toBe('closed');
      expect(breakers.snapshot()[KEY]).toMatchObject({ requests: 1 });
    });

    it('does not count ignored outcomes or client errors', () => {
      // Prepare
      const { breakers } = setup({ minimumRequests: 10 });

      // Act
      record(breakers, 'ignore', 20);
      for (let i = 0; i < 20; i++) {
        breakers.begin(KEY)!.failure(new ProviderBadRequestError('p', '400'));
        breakers
          .begin(KEY)!
          .failure(new ProviderContextLengthError('p', 'too long'));
        breakers.begin(KEY)!.failure(new DOMException('gone', 'AbortError'));
      }

      // Assess
      expect(breakers.state(KEY)).toBe('closed');
      expect(breakers.snapshot()[KEY]).toMatchObject({ requests: 0 });
    });

    it('keeps circuits of different keys apart', () => {
      // Prepare
      const { breakers } = setup({ minimumRequests: 10 });
      const other = circuitKey('bedrock', 'nova-pro');

      // Act
      trip(breakers);

      // Assess
      expect(breakers.isOpen(other)).toBe(false);
      expect(breakers.begin(other)).toBeDefined();
    });

    it('drops the late outcome of a call begun before the circuit opened', () => {
      // Prepare
      const { breakers, clock } = setup({
        minimumRequests: 10,
        cooldownMs: 1_000,
      });
      const slow = breakers.begin(KEY)!;
      trip(breakers);
      clock.t += 1_000;
      expect(breakers.state(KEY)).toBe('half-open');

      // Act: the old call succeeds while a probe could be pending
      slow.success();

      // Assess: it was not taken for a probe
      expect(breakers.state(KEY)).toBe('half-open');
      expect(breakers.begin(KEY)?.probe).toBe(true);
    });

    it('treats unknown keys as closed without creating them', () => {
      // Prepare
      const { breakers } = setup();

      // Act
      const open = breakers.isOpen('nobody#nothing');

      // Assess
      expect(open).toBe(false);
      expect(breakers.state('nobody#nothing')).toBe('closed');
      expect(breakers.retryAfterMs('nobody#nothing')).toBe(0);
      expect(breakers.snapshot()).toEqual({});
    });
  });

  describe('Open and half-open states', () => {
    it('refuses calls during the cooldown, then half-opens', () => {
      // Prepare
      const { breakers, clock, changes } = setup({ cooldownMs: 15_000 });
      const openedAt = clock.t;
      trip(breakers);

      // Act
      clock.t += 14_999;
      const during = breakers.isOpen(KEY);
      const retryAfter = breakers.retryAfterMs(KEY);
      clock.t += 1;

      // Assess
      expect(during).toBe(true);
      expect(retryAfter).toBe(1);
      expect(breakers.state(KEY)).toBe('half-open');
      expect(breakers.isOpen(KEY)).toBe(false);
      expect(breakers.retryAfterMs(KEY)).toBe(0);
      expect(changes.map((c) => [c.from, c.to, c.at])).toEqual([
        ['closed', 'open', openedAt],
        ['open', 'half-open', openedAt + 15_000],
      ]);
    });

    it.each([1, 2, 3])('admits exactly %i probe(s) while half-open', (max) => {
      // Prepare
      const { breakers, clock } = setup({
        cooldownMs: 1_000,
        halfOpenMaxProbes: max,
      });
      trip(breakers);
      clock.t += 1_000;

      // Act
      const probes: BreakerAttempt[] = [];
      for (let i = 0; i < max + 2; i++) {
        const attempt = breakers.begin(KEY);
        if (attempt) probes.push(attempt);
      }

      // Assess
      expect(probes).toHaveLength(max);
      expect(probes.every((p) => p.probe)).toBe(true);
      expect(breakers.isOpen(KEY)).toBe(true);
      expect(breakers.state(KEY)).toBe('half-open');
      expect(breakers.snapshot()[KEY]?.probesInFlight).toBe(max);
    });

    it('frees a probe slot when a probe is ignored', () => {
      // Prepare
      const { breakers, clock } = setup({ cooldownMs: 1_000 });
      trip(breakers);
      clock.t += 1_000;
      const probe = breakers.begin(KEY)!;

      // Act
      probe.ignore();

      // Assess
      expect(breakers.state(KEY)).toBe('half-open');
      expect(breakers.isOpen(KEY)).toBe(false);
      expect(breakers.begin(KEY)?.probe).toBe(true);
    });

    it('closes on a probe success with an empty window', () => {
      // Prepare
      const { breakers, clock, changes } = setup({ cooldownMs: 1_000 });
      trip(breakers);
      clock.t += 1_000;
      const probe = breakers.begin(KEY)!;

      // Act
      probe.success();

      // Assess
      expect(breakers.state(KEY)).toBe('closed');
      expect(breakers.snapshot()[KEY]).toEqual({
        state: 'closed',
        failures: 0,
        requests: 0,
        probesInFlight: 0,
      });
      expect(changes.at(-1)).toMatchObject({ from: 'half-open', to: 'closed' });
      // A fresh window: one failure right after closing doesn't re-open.
      record(breakers, 'failure');
      expect(breakers.state(KEY)).toBe('closed');
    });

    it('needs successesToClose probe successes to close', () => {
      // Prepare
      const { breakers, clock } = setup({
        cooldownMs: 1_000,
        successesToClose: 3,
      });
      trip(breakers);
      clock.t += 1_000;

      // Act
      breakers.begin(KEY)!.success();
      breakers.begin(KEY)!.success();
      const afterTwo = breakers.state(KEY);
      breakers.begin(KEY)!.success();

      // Assess
      expect(afterTwo).toBe('half-open');
      expect(breakers.state(KEY)).toBe('closed');
    });

    it('re-opens on a probe failure with a fresh cooldown', () => {
      // Prepare
      const { breakers, clock } = setup({ cooldownMs: 15_000 });
      trip(breakers);
      clock.t += 20_000;
      const probe = breakers.begin(KEY)!;
      clock.t += 500;

      // Act
      probe.failure(new ProviderTimeoutError('bedrock', 'slow'));

      // Assess
      const snap = breakers.snapshot()[KEY]!;
      expect(snap.state).toBe('open');
      expect(snap.openedAt).toBe(clock.t);
      expect(snap.nextProbeAt).toBe(clock.t + 15_000);
      expect(breakers.retryAfterMs(KEY)).toBe(15_000);
      clock.t += 14_999;
      expect(breakers.isOpen(KEY)).toBe(true);
      clock.t += 1;
      expect(breakers.state(KEY)).toBe('half-open');
    });

    it('ignores a client error from a probe', () => {
      // Prepare
      const { breakers, clock } = setup({ cooldownMs: 1_000 });
      trip(breakers);
      clock.t += 1_000;
      const probe = breakers.begin(KEY)!;

      // Act
      probe.failure(new ProviderBadRequestError('bedrock', '400'));

      // Assess
      expect(breakers.state(KEY)).toBe('half-open');
      expect(breakers.begin(KEY)?.probe).toBe(true);
    });

    it('drops the outcome of a sibling probe after the round was decided', () => {
      // Prepare
      const { breakers, clock } = setup({
        cooldownMs: 1_000,
        halfOpenMaxProbes: 2,
      });
      trip(breakers);
      clock.t += 1_000;
      const first = breakers.begin(KEY)!;
      const second = breakers.begin(KEY)!;

      // Act
      first.failure(unavailable());
      second.success();

      // Assess
      expect(breakers.state(KEY)).toBe('open');
    });

    it('frees probe slots held longer than probeTimeoutMs', () => {
      // Prepare
      const { breakers, clock } = setup({
        cooldownMs: 1_000,
        probeTimeoutMs: 60_000,
      });
      trip(breakers);
      clock.t += 1_000;
      const lost = breakers.begin(KEY)!;
      clock.t += 59_999;
      expect(breakers.isOpen(KEY)).toBe(true);

      // Act
      clock.t += 1;
      const next = breakers.begin(KEY);
      lost.success();

      // Assess: the lost probe's late success doesn't close the new round
      expect(next?.probe).toBe(true);
      expect(breakers.state(KEY)).toBe('half-open');
      next!.success();
      expect(breakers.state(KEY)).toBe('closed');
    });
  });

  describe('Class: BreakerAttempt', () => {
    it('counts only the first outcome reported', () => {
      // Prepare
      const { breakers } = setup({ minimumRequests: 2 });
      const attempts = [breakers.begin(KEY)!, breakers.begin(KEY)!];

      // Act: a stream succeeds at its first token, then fails mid-stream
      for (const a of attempts) {
        a.success();
        a.failure(unavailable());
      }

      // Assess
      expect(attempts[0]!.settled).toBe(true);
      expect(attempts[0]!.key).toBe(KEY);
      expect(breakers.state(KEY)).toBe('closed');
      expect(breakers.snapshot()[KEY]).toMatchObject({
        failures: 0,
        requests: 2,
      });
    });
  });

  describe('Method: snapshot', () => {
    it('reports each circuit for /v1/stats', () => {
      // Prepare
      const { breakers, clock } = setup({ cooldownMs: 15_000 });
      const openedAt = clock.t;
      trip(breakers);
      record(breakers, 'success', 3, 'gemini#flash');
      record(breakers, 'failure', 1, 'gemini#flash');

      // Act
      const snap = breakers.snapshot();

      // Assess
      expect(snap).toEqual({
        [KEY]: {
          state: 'open',
          failures: 10,
          requests: 10,
          openedAt,
          nextProbeAt: openedAt + 15_000,
          probesInFlight: 0,
        },
        'gemini#flash': {
          state: 'closed',
          failures: 1,
          requests: 4,
          probesInFlight: 0,
        },
      });
      expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    });
  });

  describe('Method: onStateChange', () => {
    it('reports the window counts that opened the circuit', () => {
      // Prepare
      const { breakers, changes } = setup({ minimumRequests: 10 });
      record(breakers, 'success', 4);

      // Act
      record(breakers, 'failure', 6);

      // Assess
      expect(changes).toEqual([
        {
          key: KEY,
          from: 'closed',
          to: 'open',
          at: expect.any(Number),
          failures: 6,
          requests: 10,
        },
      ]);
    });

    it('stops calling an unsubscribed listener and survives a throwing one', () => {
      // Prepare
      const { breakers, clock } = setup({ cooldownMs: 1_000 });
      const seen: string[] = [];
      const off = breakers.onStateChange((c) => seen.push(c.to));
      breakers.onStateChange(() => {
        throw new Error('metrics down');
      });
      trip(breakers);

      // Act
      off();
      clock.t += 1_000;
      const state = breakers.state(KEY);

      // Assess
      expect(seen).toEqual(['open']);
      expect(state).toBe('half-open');
    });
  });

  describe('Method: reset', () => {
    it('forgets one circuit or all of them', () => {
      // Prepare
      const { breakers } = setup();
      trip(breakers);
      record(breakers, 'success', 1, 'gemini#flash');

      // Act
      breakers.reset(KEY);
      const afterOne = Object.keys(breakers.snapshot());
      breakers.reset();

      // Assess
      expect(afterOne).toEqual(['gemini#flash']);
      expect(breakers.isOpen(KEY)).toBe(false);
      expect(breakers.snapshot()).toEqual({});
    });
  });

  describe('Property: invariants under random traffic', () => {
    type Command =
      | { readonly op: 'begin' }
      | {
          readonly op: 'settle';
          readonly pick: number;
          readonly outcome: 'success' | 'failure' | 'ignore';
        }
      | { readonly op: 'advance'; readonly ms: number };

    const command: fc.Arbitrary<Command> = fc.oneof(
      { weight: 4, arbitrary: fc.constant({ op: 'begin' as const }) },
      {
        weight: 4,
        arbitrary: fc.record({
          op: fc.constant('settle' as const),
          pick: fc.nat(),
          outcome: fc.constantFrom(
            'success' as const,
            'failure' as const,
            'failure' as const,
            'ignore' as const
          ),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          op: fc.constant('advance' as const),
          ms: fc.integer({ min: 0, max: 20_000 }),
        }),
      }
    );

    it('never exceeds halfOpenMaxProbes concurrent probes nor opens before minimumRequests', () => {
      fc.assert(
        fc.property(
          fc.array(command, { maxLength: 300 }),
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 1, max: 3 }),
          fc.double({ min: 0.1, max: 1, noNaN: true }),
          (commands, maxProbes, minimumRequests, successesToClose, rate) => {
            // Prepare
            const clock = { t: 0 };
            const breakers = new CircuitBreakerRegistry({
              now: () => clock.t,
              halfOpenMaxProbes: maxProbes,
              minimumRequests,
              successesToClose,
              failureRateThreshold: rate,
              cooldownMs: 5_000,
              windowMs: 30_000,
              probeTimeoutMs: 1e12,
            });
            // Our own model: which round each attempt belongs to, and
            // counted outcomes since the circuit last closed.
            let round = 0;
            let countedSinceClosed = 0;
            const outstanding: { a: BreakerAttempt; round: number }[] = [];
            breakers.onStateChange((c) => {
              round++;
              if (c.to === 'closed') countedSinceClosed = 0;
              if (c.to === 'open' && c.from === 'closed') {
                expect(countedSinceClosed).toBeGreaterThanOrEqual(
                  minimumRequests
                );
                expect(c.requests).toBeGreaterThanOrEqual(minimumRequests);
                expect(c.failures).toBeGreaterThanOrEqual(rate * c.requests);
              }
            });

            // Act
            for (const cmd of commands) {
              if (cmd.op === 'advance') clock.t += cmd.ms;
              else if (cmd.op === 'begin') {
                const a = breakers.begin(KEY);
                if (a) {
                  expect(breakers.state(KEY)).not.toBe('open');
                  outstanding.push({ a, round });
                }
              } else if (outstanding.length > 0) {
                const i = cmd.pick % outstanding.length;
                const [{ a, round: r }] = outstanding.splice(i, 1) as [
                  { a: BreakerAttempt; round: number },
                ];
                const closedRound =
                  r === round && breakers.state(KEY) === 'closed';
                if (closedRound && cmd.outcome !== 'ignore') {
                  countedSinceClosed++;
                }
                if (cmd.outcome === 'success') a.success();
                else if (cmd.outcome === 'failure') a.failure(unavailable());
                else a.ignore();
              }

              // Assess
              const state = breakers.state(KEY);
              const probes = outstanding.filter(
                (o) => o.round === round && o.a.probe
              ).length;
              if (state === 'half-open') {
                expect(probes).toBeLessThanOrEqual(maxProbes);
              }
            }
          }
        ),
        { numRuns: 300 }
      );
    });
  });
});
