import { ProviderUnavailableError } from '../../../lambdas/core/providers/errors';
import {
  CandidateGate,
  CircuitBreakerRegistry,
  ProviderLimits,
} from '../../../lambdas/core/resilience';

const model = { provider: 'bedrock', id: 'claude-sonnet' };
const KEY = 'bedrock#claude-sonnet';

function setup(maxConcurrency = 1): {
  gate: CandidateGate;
  breakers: CircuitBreakerRegistry;
  clock: { t: number };
} {
  const clock = { t: 1_000_000 };
  const now = (): number => clock.t;
  const breakers = new CircuitBreakerRegistry({
    now,
    minimumRequests: 2,
    cooldownMs: 1_000,
  });
  const limits = new ProviderLimits({ bedrock: { maxConcurrency } }, { now });
  return { gate: new CandidateGate(breakers, limits), breakers, clock };
}

function trip(gate: CandidateGate): void {
  for (let i = 0; i < 2; i++) {
    const admitted = gate.admit(model);
    if (!admitted.ok) throw new Error('refused while tripping');
    admitted.attempt.failure(new ProviderUnavailableError('bedrock', '503'));
    admitted.release();
  }
}

describe('Class: CandidateGate', () => {
  it('admits a healthy candidate with a breaker attempt and a slot', () => {
    // Prepare
    const { gate } = setup();

    // Act
    const admitted = gate.admit(model);

    // Assess
    expect(admitted.ok).toBe(true);
    if (!admitted.ok) return;
    expect(admitted.attempt.key).toBe(KEY);
    expect(admitted.attempt.probe).toBe(false);
  });

  it('refuses an open circuit with the time until its next probe', () => {
    // Prepare
    const { gate, clock } = setup();
    trip(gate);
    clock.t += 400;

    // Act
    const refused = gate.admit(model);

    // Assess
    expect(refused).toEqual({
      ok: false,
      code: 'circuit_open',
      retryAfterMs: 600,
    });
    expect(gate.isOpen(model)).toBe(true);
  });

  it('refuses a saturated provider and gives the probe slot back', () => {
    // Prepare
    const { gate, breakers, clock } = setup();
    trip(gate);
    clock.t += 1_000;
    // The provider's only slot is busy with another model's call.
    const other = gate.admit({ provider: 'bedrock', id: 'nova-pro' });

    // Act
    const refused = gate.admit(model);

    // Assess
    expect(other.ok).toBe(true);
    expect(refused).toMatchObject({ ok: false, code: 'rate_limited' });
    expect(breakers.state(KEY)).toBe('half-open');
    expect(breakers.isOpen(KEY)).toBe(false);
  });

  it('closes the circuit when an admitted probe succeeds', () => {
    // Prepare
    const { gate, breakers, clock } = setup(5);
    trip(gate);
    clock.t += 1_000;

    // Act
    const probe = gate.admit(model);
    if (probe.ok) {
      probe.attempt.success();
      probe.release();
    }

    // Assess
    expect(breakers.state(KEY)).toBe('closed');
    expect(gate.isOpen(model)).toBe(false);
  });
});
