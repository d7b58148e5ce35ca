import {
  MemoryModelRegistry,
  MemoryRouteSetStore,
} from '../../../lambdas/core/adapters/local/memory-registry';
import { RegistryCatalog } from '../../../lambdas/core/registry/catalog';
import type {
  ModelVersion,
  RegistryErrorKind,
} from '../../../lambdas/core/registry/types';
import { modelConfig, recordingLog, versionInput } from './fixtures';

const seed = [modelConfig('seed-model')];

interface Setup {
  readonly catalog: RegistryCatalog;
  readonly registry: MemoryModelRegistry;
  readonly routeSets: MemoryRouteSetStore;
  readonly errors: RegistryErrorKind[];
  readonly log: ReturnType<typeof recordingLog>;
  readonly clock: { now: number };
}

function setup(options: { refreshOnList?: boolean } = {}): Setup {
  const registry = new MemoryModelRegistry({
    seed: [
      modelConfig('active-a'),
      modelConfig('canary-b', { status: 'canary' }),
      modelConfig('shadow-c', { status: 'shadow' }),
      modelConfig('old-d', { status: 'deprecated' }),
    ],
  });
  const routeSets = new MemoryRouteSetStore();
  const errors: RegistryErrorKind[] = [];
  const log = recordingLog();
  const clock = { now: 1_000_000 };
  const catalog = new RegistryCatalog({
    registry,
    routeSets,
    seed,
    log,
    onError: (kind) => errors.push(kind),
    now: () => clock.now,
    refreshOnList: options.refreshOnList ?? false,
  });
  return { catalog, registry, routeSets, errors, log, clock };
}

async function activate(
  routeSets: MemoryRouteSetStore,
  models: { id: string; version?: number }[]
): Promise<void> {
  const latest = (await routeSets.versions('active-models')).length;
  await routeSets.put({ name: 'active-models', models }, latest);
  await routeSets.activate('active-models', latest + 1, 'test');
}

const ids = (c: RegistryCatalog): string[] => c.list().map((m) => m.id);

describe('Class: RegistryCatalog', () => {
  describe('Method: list', () => {
    it('serves the seed until the first refresh', () => {
      // Prepare
      const { catalog } = setup();

      // Act & Assess
      expect(catalog.list()).toBe(seed);
      expect(catalog.isStale()).toBe(true);
    });

    it('starts a background refresh when stale and still answers at once', async () => {
      // Prepare
      const { catalog, registry } = setup({ refreshOnList: true });
      const reads = jest.spyOn(registry, 'listLatest');

      // Act
      const first = catalog.list();
      catalog.list();
      await catalog.refresh();

      // Assess
      expect(first).toBe(seed);
      expect(reads).toHaveBeenCalledTimes(1);
      expect(ids(catalog)).toEqual(['active-a', 'canary-b']);
    });
  });

  describe('Method: refresh', () => {
    it('with no active route set serves every active/canary model', async () => {
      // Prepare
      const { catalog } = setup();

      // Act
      await catalog.refresh();

      // Assess
      expect(ids(catalog)).toEqual(['active-a', 'canary-b']);
      expect(catalog.version('active-a')).toMatchObject({ version: 1 });
      expect(catalog.activeRouteSet()).toBeUndefined();
    });

    it('treats an empty route set like no route set', async () => {
      // Prepare
      const { catalog, routeSets } = setup();
      await activate(routeSets, []);

      // Act
      await catalog.refresh();

      // Assess
      expect(ids(catalog)).toEqual(['active-a', 'canary-b']);
      expect(catalog.activeRouteSet()?.version).toBe(1);
    });

    it('serves the route set ids in their order, shadow included, deprecated dropped', async () => {
      // Prepare
      const { catalog, routeSets, errors } = setup();
      await activate(routeSets, [
        { id: 'shadow-c' },
        { id: 'old-d' },
        { id: 'active-a' },
      ]);

      // Act
      await catalog.refresh();

      // Assess
      expect(ids(catalog)).toEqual(['shadow-c', 'active-a']);
      expect(errors).toEqual([]);
    });

    it('honours pinned versions and reads each pinned version once', async () => {
      // Prepare
      const { catalog, registry, routeSets, clock } = setup();
      await registry.putVersion(versionInput('active-a', { quality: 0.99 }), 1);
      await activate(routeSets, [
        { id: 'active-a', version: 1 },
        { id: 'canary-b' },
      ]);
      const history = jest.spyOn(registry, 'history');

      // Act
      await catalog.refresh();
      clock.now += 10_000;
      await catalog.refresh();

      // Assess
      expect(catalog.version('active-a')?.version).toBe(1);
      expect(catalog.list()[0]!.quality).toBe(0.8);
      expect(history).toHaveBeenCalledTimes(1);
    });

    it('skips a model or pinned version the registry lacks and reports it', async () => {
      // Prepare
      const { catalog, routeSets, errors, log } = setup();
      await activate(routeSets, [
        { id: 'ghost' },
        { id: 'active-a', version: 9 },
        { id: 'canary-b' },
      ]);

      // Act
      await catalog.refresh();

      // Assess
      expect(ids(catalog)).toEqual(['canary-b']);
      expect(errors).toEqual([
        'route-set-unknown-model',
        'route-set-unknown-model',
      ]);
      expect(
        log.calls.filter((c) => c.level === 'error').map((c) => c.message)
      ).toEqual([
        expect.stringMatching(/names model ghost,/),
        expect.stringMatching(/names model active-a version 9,/),
      ]);
    });

    it('re-reads only when the view is older than maxAge (or when forced)', async () => {
      // Prepare
      const { catalog, registry, clock } = setup();
      const reads = jest.spyOn(registry, 'listLatest');

      // Act
      await catalog.refresh();
      clock.now += 4_999;
      await catalog.refresh();
      const withinMaxAge = reads.mock.calls.length;
      clock.now += 1;
      await catalog.refresh();
      await catalog.refresh({ force: true });

      // Assess
      expect(withinMaxAge).toBe(1);
      expect(reads).toHaveBeenCalledTimes(3);
    });

    it('picks up a new version after maxAge', async () => {
      // Prepare
      const { catalog, registry, clock } = setup();
      await catalog.refresh();

      // Act
      await registry.putVersion(
        versionInput('active-a', { status: 'deprecated' }),
        1
      );
      await catalog.refresh();
      const before = ids(catalog);
      clock.now += 5_000;
      await catalog.refresh();

      // Assess
      expect(before).toEqual(['active-a', 'canary-b']);
      expect(ids(catalog)).toEqual(['canary-b']);
    });

    it('shares one read among concurrent callers', async () => {
      // Prepare
      const { catalog, registry } = setup();
      let release!: (v: readonly ModelVersion[]) => void;
      const pending = new Promise<readonly ModelVersion[]>((r) => {
        release = r;
      });
      const real = await registry.listLatest();
      const reads = jest
        .spyOn(registry, 'listLatest')
        .mockReturnValueOnce(pending);

      // Act
      const calls = [catalog.refresh(), catalog.refresh(), catalog.refresh()];
      release(real);
      await Promise.all(calls);

      // Assess
      expect(reads).toHaveBeenCalledTimes(1);
      expect(ids(catalog)).toEqual(['active-a', 'canary-b']);
    });

    it('keeps the last good view when the registry read fails, and retries after maxAge', async () => {
      // Prepare
      const { catalog, registry, errors, log, clock } = setup();
      await catalog.refresh();
      const good = catalog.list();
      const reads = jest
        .spyOn(registry, 'listLatest')
        .mockRejectedValueOnce(new Error('throttled'));
      clock.now += 5_000;

      // Act
      await expect(catalog.refresh()).resolves.toBeUndefined();
      const during = catalog.list();
      await catalog.refresh();
      const retriedAtOnce = reads.mock.calls.length;
      clock.now += 5_000;
      await catalog.refresh();

      // Assess
      expect(during).toBe(good);
      expect(errors).toEqual(['registry-read']);
      expect(log.calls.find((c) => c.level === 'error')).toMatchObject({
        message: 'model registry read failed; keeping the last good view',
        attrs: [expect.objectContaining({ error: 'throttled' })],
      });
      expect(retriedAtOnce).toBe(1);
      expect(reads).toHaveBeenCalledTimes(2);
    });

    it('keeps the seed when the route set read fails before any good read', async () => {
      // Prepare
      const { catalog, routeSets, errors } = setup();
      jest
        .spyOn(routeSets, 'active')
        .mockRejectedValueOnce(new Error('ssm down'));

      // Act
      await catalog.refresh();

      // Assess
      expect(catalog.list()).toBe(seed);
      expect(errors).toEqual(['route-set-read']);
    });

    it('refuses a view with nothing routable', async () => {
      // Prepare
      const { catalog, routeSets, errors } = setup();
      await catalog.refresh();
      await activate(routeSets, [{ id: 'old-d' }]);

      // Act
      await catalog.refresh({ force: true });

      // Assess
      expect(ids(catalog)).toEqual(['active-a', 'canary-b']);
      expect(errors).toEqual(['empty-view']);
    });

    it('survives an onError hook that throws', async () => {
      // Prepare
      const registry = new MemoryModelRegistry();
      const catalog = new RegistryCatalog({
        registry,
        routeSets: new MemoryRouteSetStore(),
        seed,
        log: recordingLog(),
        onError: () => {
          throw new Error('metrics broken');
        },
      });

      // Act & Assess
      await expect(catalog.refresh()).resolves.toBeUndefined();
      expect(catalog.list()).toBe(seed);
    });

    it('logs a change of view once', async () => {
      // Prepare
      const { catalog, log, clock } = setup();

      // Act
      await catalog.refresh();
      clock.now += 5_000;
      await catalog.refresh();

      // Assess
      const updates = log.calls.filter(
        (c) => c.message === 'model catalog updated'
      );
      expect(updates).toHaveLength(1);
      expect(updates[0]!.attrs[0]).toMatchObject({
        models: ['active-a@1', 'canary-b@1'],
      });
    });
  });
});
