import {
  activeSwitches,
  evaluateKillSwitches,
  isSwitchOn,
  UNKNOWN_STATE_REASON,
} from '../../../lambdas/core/kill-switches/evaluate';
import type {
  KillSwitchSnapshot,
  KillSwitchValue,
} from '../../../lambdas/core/kill-switches/types';
import type { ModelConfig } from '../../../lambdas/core/types';

const NOW = Date.parse('2026-11-23T10:00:00.000Z');

function model(id: string, provider: string): ModelConfig {
  return {
    id,
    provider,
    providerType: 'bedrock',
    providerModelId: `upstream.${id}`,
    aliases: [],
    region: 'eu',
    capabilities: ['tools', 'streaming'],
    contextWindow: 128_000,
    maxOutputTokens: 4096,
    pricing: { inputPer1M: 1, outputPer1M: 4 },
    domains: [],
    quality: 0.7,
    expectedLatencyMs: 1000,
    status: 'active',
  };
}

const MODELS = [
  model('claude-sonnet', 'bedrock'),
  model('nova-pro', 'bedrock'),
  model('gemini-flash', 'gemini'),
  model('llama-4', 'openai-compatible'),
];

function snapshot(
  switches: Record<string, KillSwitchValue>,
  known = true
): KillSwitchSnapshot {
  return { switches: new Map(Object.entries(switches)), readAt: NOW, known };
}

const request = { routeSet: 'active-models', sampleKey: 0.5, now: NOW };

describe('Function: evaluateKillSwitches', () => {
  it('lets everything through when no switch is on', () => {
    // Prepare
    const snap = snapshot({
      global: { state: 'off' },
      'provider/gemini': { state: 'off', reason: 'recovered' },
    });

    // Act
    const result = evaluateKillSwitches(snap, request, MODELS);

    // Assess
    expect(result.blocked).toBeUndefined();
    expect([...result.excluded]).toEqual([]);
  });

  it('blocks every request on the global switch, naming it', () => {
    // Prepare
    const snap = snapshot({ global: { state: 'on', reason: 'incident 42' } });

    // Act
    const result = evaluateKillSwitches(snap, request, MODELS);

    // Assess
    expect(result.blocked).toEqual({ scope: 'global', reason: 'incident 42' });
  });

  it('blocks only the route set its route switch names', () => {
    // Prepare
    const snap = snapshot({ 'route/canary': { state: 'on' } });

    // Act
    const canary = evaluateKillSwitches(
      snap,
      { ...request, routeSet: 'canary' },
      MODELS
    );
    const active = evaluateKillSwitches(snap, request, MODELS);

    // Assess
    expect(canary.blocked).toEqual({ scope: 'route/canary' });
    expect(active.blocked).toBeUndefined();
  });

  it('names global before route when both are on', () => {
    // Prepare
    const snap = snapshot({
      'route/active-models': { state: 'on', reason: 'route' },
      global: { state: 'on', reason: 'global' },
    });

    // Act
    const result = evaluateKillSwitches(snap, request, MODELS);

    // Assess
    expect(result.blocked).toEqual({ scope: 'global', reason: 'global' });
  });

  it('excludes every model of a killed provider instance', () => {
    // Prepare
    const snap = snapshot({
      'provider/bedrock': { state: 'on', reason: 'throttling' },
    });

    // Act
    const result = evaluateKillSwitches(snap, request, MODELS);

    // Assess
    expect(result.blocked).toBeUndefined();
    expect(Object.fromEntries(result.excluded)).toEqual({
      'claude-sonnet': {
        code: 'kill_switch',
        reason: 'kill switch provider/bedrock is on: throttling',
      },
      'nova-pro': {
        code: 'kill_switch',
        reason: 'kill switch provider/bedrock is on: throttling',
      },
    });
  });

  it('excludes a killed model only, naming the model switch over its provider', () => {
    // Prepare
    const snap = snapshot({
      'model/gemini-flash': { state: 'on', reason: 'bad outputs' },
      'provider/gemini': { state: 'on' },
    });

    // Act
    const result = evaluateKillSwitches(
      snap,
      request,
      MODELS.filter((m) => m.provider !== 'bedrock')
    );

    // Assess
    expect(result.excluded.get('gemini-flash')).toEqual({
      code: 'kill_switch',
      reason: 'kill switch model/gemini-flash is on: bad outputs',
    });
    expect(result.excluded.has('llama-4')).toBe(false);
  });

  it('still lists exclusions when the request is blocked (for /v1/route)', () => {
    // Prepare
    const snap = snapshot({
      global: { state: 'on' },
      'model/llama-4': { state: 'on' },
    });

    // Act
    const result = evaluateKillSwitches(snap, request, MODELS);

    // Assess
    expect(result.blocked?.scope).toBe('global');
    expect(result.excluded.get('llama-4')?.reason).toBe(
      'kill switch model/llama-4 is on'
    );
  });

  it('treats a switch past its until as off, and before it as on', () => {
    // Prepare
    const expired = snapshot({
      global: { state: 'on', until: '2026-11-23T09:59:59.999Z' },
    });
    const pending = snapshot({
      global: { state: 'on', until: '2026-11-23T10:00:00.001Z' },
    });

    // Act
    const afterUntil = evaluateKillSwitches(expired, request, MODELS);
    const beforeUntil = evaluateKillSwitches(pending, request, MODELS);

    // Assess
    expect(afterUntil.blocked).toBeUndefined();
    expect(beforeUntil.blocked).toEqual({ scope: 'global' });
  });

  it('sheds about percent of the traffic in a brownout', () => {
    // Prepare
    const snap = snapshot({
      'provider/gemini': { state: 'on', percent: 30, reason: 'quota' },
    });
    const n = 10_000;
    let excluded = 0;

    // Act
    for (let i = 0; i < n; i += 1) {
      const sampleKey = (i + 0.5) / n;
      const result = evaluateKillSwitches(
        snap,
        { ...request, sampleKey },
        MODELS
      );
      if (result.excluded.has('gemini-flash')) excluded += 1;
    }

    // Assess
    expect(excluded / n).toBeCloseTo(0.3, 2);
  });

  it('sheds about percent with random sample keys too', () => {
    // Prepare: a fixed-seed LCG keeps the test deterministic.
    let seed = 12345;
    const rng = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const snap = snapshot({ global: { state: 'on', percent: 10 } });
    const n = 20_000;
    let blocked = 0;

    // Act
    for (let i = 0; i < n; i += 1) {
      const result = evaluateKillSwitches(
        snap,
        { ...request, sampleKey: rng() },
        MODELS
      );
      if (result.blocked) blocked += 1;
    }

    // Assess: 10% with a 4-sigma band (sigma = sqrt(0.09 / n) ~ 0.0021).
    expect(Math.abs(blocked / n - 0.1)).toBeLessThan(0.0085);
  });

  it('names the brownout share in the exclusion reason', () => {
    // Prepare
    const snap = snapshot({ 'model/nova-pro': { state: 'on', percent: 50 } });

    // Act
    const result = evaluateKillSwitches(
      snap,
      { ...request, sampleKey: 0.1 },
      MODELS
    );

    // Assess
    expect(result.excluded.get('nova-pro')?.reason).toBe(
      'kill switch model/nova-pro is on (brownout 50%)'
    );
  });

  it('sheds nothing at percent 0 and everything at percent 100', () => {
    // Prepare
    const zero = snapshot({ global: { state: 'on', percent: 0 } });
    const full = snapshot({ global: { state: 'on', percent: 100 } });

    // Act & Assess
    for (const sampleKey of [0, 0.5, 0.999999]) {
      expect(
        evaluateKillSwitches(zero, { ...request, sampleKey }, MODELS).blocked
      ).toBeUndefined();
      expect(
        evaluateKillSwitches(full, { ...request, sampleKey }, MODELS).blocked
      ).toBeDefined();
    }
  });

  it('treats a non-finite sample key as inside the brownout', () => {
    // Prepare
    const snap = snapshot({ global: { state: 'on', percent: 1 } });

    // Act
    const result = evaluateKillSwitches(
      snap,
      { ...request, sampleKey: Number.NaN },
      MODELS
    );

    // Assess
    expect(result.blocked).toEqual({ scope: 'global' });
  });

  it('fails safe on a snapshot that was never read', () => {
    // Prepare
    const snap = snapshot({}, false);

    // Act
    const result = evaluateKillSwitches(snap, request, MODELS);

    // Assess
    expect(result.blocked).toEqual({
      scope: 'global',
      reason: UNKNOWN_STATE_REASON,
    });
  });

  it('serves traffic on an unknown snapshot with failOpen', () => {
    // Prepare
    const snap = snapshot({}, false);

    // Act
    const result = evaluateKillSwitches(snap, request, MODELS, {
      failOpen: true,
    });

    // Assess
    expect(result.blocked).toBeUndefined();
    expect(result.excluded.size).toBe(0);
  });

  it('ignores switches that name no model, provider or route in play', () => {
    // Prepare
    const snap = snapshot({
      'model/retired': { state: 'on' },
      'provider/vllm': { state: 'on' },
      'route/other': { state: 'on' },
    });

    // Act
    const result = evaluateKillSwitches(snap, request, MODELS);

    // Assess
    expect(result.blocked).toBeUndefined();
    expect(result.excluded.size).toBe(0);
  });
});

describe('Function: isSwitchOn', () => {
  it('keeps a switch with an unreadable until engaged', () => {
    // Act & Assess
    expect(isSwitchOn({ state: 'on', until: 'garbage' }, NOW)).toBe(true);
    expect(isSwitchOn({ state: 'off', until: 'garbage' }, NOW)).toBe(false);
  });
});

describe('Function: activeSwitches', () => {
  it('lists switches that are on, sorted, with their share', () => {
    // Prepare
    const snap = snapshot({
      'provider/gemini': { state: 'on', percent: 40 },
      'model/nova-pro': { state: 'off' },
      global: { state: 'on', reason: 'x' },
      'route/canary': { state: 'on', until: '2026-11-23T09:00:00Z' },
    });

    // Act
    const active = activeSwitches(snap, NOW);

    // Assess
    expect(active).toEqual([
      { scope: 'global', value: { state: 'on', reason: 'x' }, percent: 100 },
      {
        scope: 'provider/gemini',
        value: { state: 'on', percent: 40 },
        percent: 40,
      },
    ]);
  });
});
