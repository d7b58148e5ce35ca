import { memoryControlPlane } from '../../../bench/canary-sim';
import {
  MemoryExperimentStore,
  StaticExperimentFlags,
} from '../../../lambdas/core/adapters/local/memory-experiment-store';
import { resolveConfig } from '../../../lambdas/core/config/load';
import { ExperimentService } from '../../../lambdas/core/experiments/service';
import { resolveExperiment } from '../../../lambdas/core/experiments/types';
import { AlarmRollback } from '../../../lambdas/core/rollback/rollback';
import { MemoryLog } from '../../helpers/gateway';
import { alarmEvent } from './helpers';

const MODEL = 'llama-maverick';

function setup(dryRun = false) {
  const config = resolveConfig(
    {
      providers: { echo: { type: 'echo' } },
      models: [
        {
          id: MODEL,
          provider: 'echo',
          providerModelId: MODEL,
          status: 'canary',
        },
        { id: 'other', provider: 'echo', providerModelId: 'other' },
      ],
      tenants: [{ id: 'acme', apiKeys: ['sk-acme-000000000000'] }],
    },
    {},
    'test'
  );
  const cp = memoryControlPlane(config);
  const running = (id: string, model: string) => ({
    ...resolveExperiment(
      { id, kind: 'rollout', rollout: { model, stage: 'canary' } },
      'test'
    ),
    status: 'running' as const,
  });
  const store = new MemoryExperimentStore([
    running('maverick-rollout', MODEL),
    running('other-rollout', 'other'),
  ]);
  const experiments = new ExperimentService({
    store,
    flags: new StaticExperimentFlags(),
    control: cp.control,
    log: new MemoryLog(),
  });
  const rollback = new AlarmRollback({
    control: cp.control,
    routeSets: { inspect: async (name) => ({ name }) },
    alarmTags: async () => ({}),
    experiments,
    defaultRouteSet: 'active-models',
    dryRun,
    log: new MemoryLog(),
    now: () => Date.parse('2026-03-02T10:20:00.000Z'),
  });
  return { ...cp, store, rollback };
}

describe('Class: AlarmRollback with an experiments backend', () => {
  it('stops the running experiments of the implicated model, audited', async () => {
    // Prepare
    const w = setup();
    // Act
    const result = await w.rollback.handle(alarmEvent({ model: MODEL }));
    // Assess
    expect(result.actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'stop-experiment',
          target: 'experiment/maverick-rollout',
          outcome: 'done',
          detail: 'rolled_back',
        }),
      ])
    );
    expect((await w.store.get('maverick-rollout'))?.status).toBe('rolled_back');
    expect((await w.store.get('other-rollout'))?.status).toBe('running');
    const trail = await w.audit.list({ limit: 20 });
    expect(
      trail.find((r) => r.target === 'experiment/maverick-rollout')
    ).toMatchObject({ who: 'rollback-lambda', what: 'experiment.stop' });
  });

  it('plans the stop in dry run without changing the experiment', async () => {
    const w = setup(true);
    const result = await w.rollback.handle(alarmEvent({ model: MODEL }));
    expect(result.actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'stop-experiment',
          outcome: 'planned',
          detail: 'would mark rolled back',
        }),
      ])
    );
    expect((await w.store.get('maverick-rollout'))?.status).toBe('running');
  });
});
