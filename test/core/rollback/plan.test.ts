import type { RouteSetDocument } from '../../../lambdas/core/registry/types';
import { parseAlarmEvent } from '../../../lambdas/core/rollback/alarm-event';
import {
  implicatedModels,
  implicatedRouteSet,
  type ModelFacts,
  planRollback,
  type RollbackFacts,
  type RouteSetView,
} from '../../../lambdas/core/rollback/plan';
import { alarmEvent } from './helpers';

const NOW = Date.parse('2026-03-02T10:20:00.000Z');
const alarm = parseAlarmEvent(alarmEvent({ model: 'llama-maverick' }));

function doc(
  version: number,
  models: RouteSetDocument['models']
): RouteSetDocument {
  return { name: 'active-models', version, models };
}

function facts(overrides: Partial<RollbackFacts> = {}): RollbackFacts {
  const models: ModelFacts[] = [
    { id: 'llama-maverick', latest: { version: 2, status: 'active' } },
  ];
  const routeSet: RouteSetView = {
    name: 'active-models',
    active: doc(2, [{ id: 'claude-sonnet' }, { id: 'llama-maverick' }]),
    target: doc(1, [{ id: 'claude-sonnet' }]),
    lastActivation: {
      version: 2,
      action: 'activate',
      by: 'ops',
      at: '2026-03-02T09:00:00.000Z',
    },
  };
  return {
    alarm,
    tags: {},
    models,
    routeSet,
    routeSetFromTag: false,
    ...overrides,
  };
}

describe('Function: planRollback', () => {
  it('engages the kill switch and rolls back the route set that added the model', () => {
    // Act
    const plan = planRollback(facts(), NOW);

    // Assess
    expect(plan.actions).toEqual([
      {
        kind: 'kill-switch',
        target: 'model/llama-maverick',
        modelId: 'llama-maverick',
      },
      {
        kind: 'route-set-rollback',
        target: 'route-set/active-models',
        routeSet: 'active-models',
        fromVersion: 2,
        toVersion: 1,
      },
    ]);
    expect(plan.skipped).toEqual([
      {
        kind: 'experiment',
        target: 'model/llama-maverick',
        why: 'no experiments backend configured: nothing to stop',
      },
    ]);
  });

  it('stops a canary (to shadow) after the kill switch', () => {
    // Act
    const plan = planRollback(
      facts({
        models: [
          { id: 'llama-maverick', latest: { version: 4, status: 'canary' } },
        ],
      }),
      NOW
    );

    // Assess
    expect(plan.actions.map((a) => a.kind)).toEqual([
      'kill-switch',
      'stop-canary',
      'route-set-rollback',
    ]);
    expect(plan.actions[1]).toMatchObject({
      modelId: 'llama-maverick',
      fromVersion: 4,
    });
  });

  it('rolls back when the last activation moved the model pin', () => {
    // Act
    const plan = planRollback(
      facts({
        routeSet: {
          name: 'active-models',
          active: doc(3, [{ id: 'llama-maverick', version: 5 }]),
          target: doc(2, [{ id: 'llama-maverick', version: 4 }]),
        },
      }),
      NOW
    );

    // Assess
    expect(plan.actions.at(-1)).toMatchObject({
      kind: 'route-set-rollback',
      fromVersion: 3,
      toVersion: 2,
    });
  });

  it('keeps a route set whose last change did not touch the model (the kill switch suffices)', () => {
    // Act
    const plan = planRollback(
      facts({
        routeSet: {
          name: 'active-models',
          active: doc(3, [{ id: 'llama-maverick' }, { id: 'gemini-flash' }]),
          target: doc(2, [{ id: 'llama-maverick' }]),
        },
      }),
      NOW
    );

    // Assess
    expect(plan.actions.map((a) => a.kind)).toEqual(['kill-switch']);
    expect(plan.skipped).toContainEqual({
      kind: 'route-set-rollback',
      target: 'route-set/active-models',
      why: 'v3 admits llama-maverick as v2 did: a rollback would not help; the kill switch stops the model',
    });
  });

  it('rolls back a route set named by the alarm tag whatever changed', () => {
    // Act
    const plan = planRollback(
      facts({
        models: [],
        routeSetFromTag: true,
        routeSet: {
          name: 'legal',
          active: doc(3, [{ id: 'a' }]),
          target: doc(2, [{ id: 'a' }]),
        },
      }),
      NOW
    );

    // Assess
    expect(plan.actions).toEqual([
      {
        kind: 'route-set-rollback',
        target: 'route-set/legal',
        routeSet: 'legal',
        fromVersion: 3,
        toVersion: 2,
      },
    ]);
  });

  it('handles a route set without history or never activated', () => {
    // Act
    const noEarlier = planRollback(
      facts({ routeSet: { name: 'active-models', active: doc(1, []) } }),
      NOW
    );
    const never = planRollback(
      facts({ routeSet: { name: 'active-models' } }),
      NOW
    );

    // Assess
    expect(noEarlier.actions.map((a) => a.kind)).toEqual(['kill-switch']);
    expect(noEarlier.skipped).toContainEqual({
      kind: 'route-set-rollback',
      target: 'route-set/active-models',
      why: 'no earlier activation than v1 to roll back to',
    });
    expect(never.skipped).toContainEqual(
      expect.objectContaining({ why: 'never activated: nothing to roll back' })
    );
  });

  it('does not roll back twice for the same alarm', () => {
    // Act
    const plan = planRollback(
      facts({
        routeSet: {
          name: 'active-models',
          active: doc(1, [{ id: 'claude-sonnet' }]),
          target: doc(3, [{ id: 'llama-maverick' }]),
          lastActivation: {
            version: 1,
            action: 'rollback',
            by: 'rollback-lambda',
            at: '2026-03-02T10:16:02.000Z',
          },
        },
      }),
      NOW
    );

    // Assess
    expect(plan.actions.map((a) => a.kind)).toEqual(['kill-switch']);
    expect(plan.skipped).toContainEqual(
      expect.objectContaining({
        why: 'already rolled back to v1 for this alarm',
      })
    );
  });

  it('leaves a fully engaged kill switch alone but completes a brownout or an expiring one', () => {
    // Act
    const plans = [
      { state: 'on' as const },
      { state: 'on' as const, percent: 30 },
      { state: 'on' as const, until: '2026-03-02T10:00:00.000Z' },
      { state: 'off' as const },
    ].map((killSwitch) =>
      planRollback(
        facts({
          models: [{ id: 'llama-maverick', killSwitch }],
          routeSet: undefined,
        }),
        NOW
      )
    );

    // Assess
    expect(
      plans.map((p) => p.actions.some((a) => a.kind === 'kill-switch'))
    ).toEqual([false, true, true, true]);
    expect(plans[0]!.skipped).toContainEqual({
      kind: 'kill-switch',
      target: 'model/llama-maverick',
      why: 'already engaged',
    });
  });

  it('only records a gateway-wide alarm', () => {
    // Act
    const plan = planRollback(facts({ models: [], routeSet: undefined }), NOW);

    // Assess
    expect(plan.actions).toEqual([]);
    expect(plan.skipped).toEqual([
      expect.objectContaining({
        kind: 'route-set-rollback',
        why: expect.stringMatching(/^gateway-wide alarm: .*recorded only$/),
      }),
    ]);
  });
});

describe('Function: implicatedModels / implicatedRouteSet', () => {
  it('joins the Model dimension with the model tag and picks the route set', () => {
    // Act
    const models = implicatedModels(alarm, {
      'ai-gateway:model': 'gemini-flash, llama-maverick',
    });

    // Assess
    expect(models).toEqual(['llama-maverick', 'gemini-flash']);
    expect(implicatedRouteSet(models, {}, 'active-models')).toEqual({
      name: 'active-models',
      fromTag: false,
    });
    expect(
      implicatedRouteSet(
        [],
        { 'ai-gateway:route-set': 'legal' },
        'active-models'
      )
    ).toEqual({
      name: 'legal',
      fromTag: true,
    });
    expect(implicatedRouteSet([], {}, 'active-models')).toEqual({
      fromTag: false,
    });
  });
});
