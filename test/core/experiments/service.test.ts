import { memoryControlPlane } from '../../../bench/canary-sim';
import { handleExperimentEvent } from '../../../lambdas/admin/experiment-events';
import { READ_ONLY_ROLLOUT_CONTROL } from '../../../lambdas/core/adapters/aws/experiment-delegate';
import {
  MemoryExperimentStore,
  StaticExperimentFlags,
} from '../../../lambdas/core/adapters/local/memory-experiment-store';
import { resolveConfig } from '../../../lambdas/core/config/load';
import {
  EXPERIMENT_EVALUATE_DETAIL_TYPE,
  EXPERIMENT_EVENT_SOURCE,
} from '../../../lambdas/core/experiments/events';
import { ExperimentService } from '../../../lambdas/core/experiments/service';
import { resolveExperiment } from '../../../lambdas/core/experiments/types';
import { MemoryLog } from '../../helpers/gateway';

function world() {
  const config = resolveConfig(
    {
      providers: { echo: { type: 'echo' } },
      models: [
        { id: 'stable', provider: 'echo', providerModelId: 'stable' },
        {
          id: 'next',
          provider: 'echo',
          providerModelId: 'next',
          status: 'canary',
        },
      ],
      tenants: [{ id: 'acme', apiKeys: ['sk-acme-000000000000'] }],
    },
    {},
    'test'
  );
  const cp = memoryControlPlane(config);
  const store = new MemoryExperimentStore([
    {
      ...resolveExperiment(
        {
          id: 'next-rollout',
          kind: 'rollout',
          rollout: { model: 'next', stage: 'canary' },
        },
        'test'
      ),
      status: 'running',
    },
    {
      ...resolveExperiment(
        {
          id: 'ab',
          kind: 'ab',
          variants: [
            { name: 'a', weight: 50, model: 'next' },
            { name: 'b', weight: 50 },
          ],
        },
        'test'
      ),
      status: 'running',
    },
  ]);
  const service = (flags: Record<string, boolean> = {}) =>
    new ExperimentService({
      store,
      flags: new StaticExperimentFlags(flags),
      control: cp.control,
      log: new MemoryLog(),
      cacheMs: 0,
    });
  return { ...cp, store, config, service };
}

/** A canary failing half its calls against a clean control: a clear regression. */
async function regressCanary(store: MemoryExperimentStore): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await store.record('next-rollout', 'canary:control', {
      ok: true,
      latencyMs: 500,
      costUsd: 0.001,
    });
  }
  for (let i = 0; i < 40; i++) {
    await store.record('next-rollout', 'canary:candidate', {
      ok: i % 2 === 0,
      latencyMs: 500,
      costUsd: 0.001,
    });
  }
}

describe('Class: ExperimentService', () => {
  it('rolls back exactly once when two routers reach the same verdict', async () => {
    // Prepare
    const w = world();
    await regressCanary(w.store);
    // Act
    const [a, b] = await Promise.all([
      w.service().evaluate('next-rollout'),
      w.service().evaluate('next-rollout'),
    ]);
    // Assess
    expect([a.action, b.action].sort()).toEqual(['none', 'rollback']);
    const trail = await w.audit.list({ limit: 50 });
    const whats = trail.map((r) => r.what);
    expect(whats.filter((x) => x === 'experiment.rollback')).toHaveLength(1);
    expect(trail.find((r) => r.what === 'experiment.rollback')?.who).toBe(
      'experiment-controller'
    );
    expect((await w.killSwitches.get('model/next'))?.state).toBe('on');
    expect((await w.registry.history('next'))[0]?.config.status).toBe('shadow');
  });

  it('on AWS a router only asks: the admin function re-judges from the shared counters and acts', async () => {
    // Prepare: a regressed canary in the shared counters
    const w = world();
    await regressCanary(w.store);
    const requests: { id: string; action: string }[] = [];
    const router = new ExperimentService({
      store: w.store,
      flags: new StaticExperimentFlags({}),
      control: READ_ONLY_ROLLOUT_CONTROL,
      delegate: async (id, step) => {
        requests.push({ id, action: step.action });
      },
      log: new MemoryLog(),
      cacheMs: 0,
    });
    // Act 1: the router's evaluation
    const seen = await router.evaluate('next-rollout');
    // Assess 1: it asked, and changed nothing itself
    expect(seen.action).toBe('rollback');
    expect(requests).toEqual([{ id: 'next-rollout', action: 'rollback' }]);
    expect((await w.store.get('next-rollout'))?.status).toBe('running');
    expect(await w.killSwitches.get('model/next')).toBeUndefined();
    // Act 2: the admin function handles the request event
    const result = await handleExperimentEvent(
      {
        source: EXPERIMENT_EVENT_SOURCE,
        'detail-type': EXPERIMENT_EVALUATE_DETAIL_TYPE,
        detail: {
          experimentId: 'next-rollout',
          action: 'rollback',
          reason: 'x',
        },
      },
      w.service(),
      new MemoryLog()
    );
    // Assess 2: the admin side acted through the audited control plane
    expect(result?.actions).toEqual({ 'next-rollout': 'rollback' });
    expect((await w.killSwitches.get('model/next'))?.state).toBe('on');
    const trail = await w.audit.list({ limit: 50 });
    expect(trail.find((r) => r.what === 'experiment.rollback')?.who).toBe(
      'experiment-controller'
    );
  });

  it('the admin function ignores HTTP events and sweeps live experiments on its schedule', async () => {
    const w = world();
    expect(
      await handleExperimentEvent(
        { httpMethod: 'GET', path: '/v1/admin/stats' },
        w.service(),
        new MemoryLog()
      )
    ).toBeUndefined();
    const sweep = await handleExperimentEvent(
      { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
      w.service(),
      new MemoryLog()
    );
    // Nothing recorded yet: both live experiments evaluated, neither acted on
    expect([...(sweep?.evaluated ?? [])].sort()).toEqual([
      'ab',
      'next-rollout',
    ]);
    expect(Object.values(sweep?.actions ?? {})).toEqual(['none', 'none']);
  });

  it('stops every running experiment that involves a model (rollback Lambda)', async () => {
    const w = world();
    const stopped = await w
      .service()
      .stopForModel('next', { who: 'rollback-lambda', reason: 'alarm x' });
    expect(stopped.sort()).toEqual(['ab', 'next-rollout']);
    expect((await w.store.get('ab'))?.status).toBe('rolled_back');
  });

  it('honours flags: an experiment switched off assigns nobody', async () => {
    const w = world();
    const input = {
      tenantId: 'acme',
      user: 'u1',
      models: w.config.models,
      routing: w.config.routing,
    };
    expect(await w.service().route(input)).toBeDefined();
    expect(
      await w
        .service({ 'experiment-ab': false, 'experiment-next-rollout': false })
        .route(input)
    ).toBeUndefined();
    expect(
      await w.service({ experiments: false }).route(input)
    ).toBeUndefined();
  });

  it('a finished experiment becomes a draft again when re-put, and can restart', async () => {
    const w = world();
    const svc = w.service();
    const actor = { who: 'admin', reason: 'test' };
    await svc.rollback('next-rollout', actor);
    await expect(svc.start('next-rollout', actor)).rejects.toMatchObject({
      code: 'experiment_finished',
    });
    const again = await svc.put(
      {
        id: 'next-rollout',
        kind: 'rollout',
        rollout: { model: 'next', stage: 'canary' },
      },
      actor
    );
    expect(again.status).toBe('draft');
    expect((await svc.start('next-rollout', actor)).status).toBe('running');
    expect((await w.registry.history('next'))[0]?.config.status).toBe('canary');
  });

  it('completes an A/B test with its winner once the rule declares one', async () => {
    const w = world();
    for (let i = 0; i < 400; i++) {
      await w.store.record('ab', 'a', {
        ok: i % 10 !== 0,
        latencyMs: 5,
        costUsd: 0,
      });
      await w.store.record('ab', 'b', {
        ok: i % 10 < 7,
        latencyMs: 5,
        costUsd: 0,
      });
    }
    await w.service().evaluate('ab');
    const e = await w.store.get('ab');
    expect(e).toMatchObject({ status: 'completed', winner: 'a' });
    const trail = await w.audit.list({ limit: 5 });
    expect(trail[0]).toMatchObject({
      what: 'experiment.winner',
      who: 'experiment-controller',
    });
  });

  it('refuses invalid definitions with the field named', async () => {
    const w = world();
    await expect(
      w.service().put(
        {
          id: 'x',
          kind: 'ab',
          variants: [
            { name: 'a', weight: 60 },
            { name: 'b', weight: 30 },
          ],
        },
        { who: 'admin', reason: 'try' }
      )
    ).rejects.toThrow(/weights must sum to 100/);
  });
});
