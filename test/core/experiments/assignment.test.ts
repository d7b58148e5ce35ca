import {
  appliesTo,
  assign,
  bucketPosition,
  forceModel,
  pickVariant,
  variantExclusions,
} from '../../../lambdas/core/experiments/assignment';
import {
  type Experiment,
  resolveExperiment,
} from '../../../lambdas/core/experiments/types';
import type {
  RoutingDecision,
  ScoredCandidate,
} from '../../../lambdas/core/routing/types';
import type { ModelConfig } from '../../../lambdas/core/types';

function rollout(stage: 'shadow' | 'canary', share = 0.1): Experiment {
  return {
    ...resolveExperiment(
      {
        id: 'next',
        kind: 'rollout',
        rollout: { model: 'new-model', stage, canaryShare: share },
      },
      'test'
    ),
    status: 'running',
  };
}

describe('Module: experiments/assignment', () => {
  it('buckets stickily by tenant and user, independently per experiment', () => {
    expect(bucketPosition('e1', 'acme', 'u1')).toBe(
      bucketPosition('e1', 'acme', 'u1')
    );
    expect(bucketPosition('e1', 'acme', 'u1')).not.toBe(
      bucketPosition('e1', 'other', 'u1')
    );
    expect(bucketPosition('e1', 'acme', 'u1')).not.toBe(
      bucketPosition('e2', 'acme', 'u1')
    );
  });

  it('splits traffic by the variant weights', () => {
    const e = rollout('canary', 0.1);
    let canary = 0;
    for (let u = 0; u < 20_000; u++) {
      if (assign(e, bucketPosition(e.id, 'acme', `user-${u}`)).model) canary++;
    }
    expect(canary / 20_000).toBeGreaterThan(0.09);
    expect(canary / 20_000).toBeLessThan(0.11);
    expect(pickVariant(e.variants, 0.999_999).name).toBe('candidate');
  });

  it('applies rollouts only in canary, only while live and to targeted tenants', () => {
    const now = Date.parse('2026-12-03T08:00:00Z');
    expect(appliesTo(rollout('canary'), 'acme', now)).toBe(true);
    expect(appliesTo(rollout('shadow'), 'acme', now)).toBe(false);
    expect(
      appliesTo({ ...rollout('canary'), status: 'stopped' }, 'acme', now)
    ).toBe(false);
    expect(
      appliesTo(
        { ...rollout('canary'), stopAt: '2026-12-03T07:00:00Z' },
        'acme',
        now
      )
    ).toBe(false);
    expect(
      appliesTo({ ...rollout('canary'), tenants: ['other'] }, 'acme', now)
    ).toBe(false);
  });

  it('keeps the candidate model out of the control arm', () => {
    const e = rollout('canary');
    const control = assign(e, 0.5);
    expect(control.variant).toBe('control');
    expect(control.bucket).toBe('canary:control');
    const ex = variantExclusions(e, control, []);
    expect(ex.get('new-model')?.code).toBe('experiment');
  });

  it('forces the variant model and keeps the rest as fallbacks', () => {
    const c = (id: string) =>
      ({ model: { id } as ModelConfig }) as ScoredCandidate;
    const decision: RoutingDecision = {
      contextKey: 'general|standard|false',
      chosen: c('a'),
      propensity: 0.7,
      fallbacks: [c('b'), c('new-model')],
      candidates: [c('a'), c('b'), c('new-model')],
      excluded: [],
    };
    const forced = forceModel(decision, 'new-model', 2)!;
    expect(forced.chosen?.model.id).toBe('new-model');
    expect(forced.fallbacks.map((f) => f.model.id)).toEqual(['a', 'b']);
    expect(forced.propensity).toBe(1);
    expect(forceModel(decision, 'missing', 2)).toBeUndefined();
  });
});
