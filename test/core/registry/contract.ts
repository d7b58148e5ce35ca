import {
  type ModelRegistryStore,
  RegistryConflictError,
  RegistryNotFoundError,
  RegistryValidationError,
  type RouteSetStore,
} from '../../../lambdas/core/registry/types';
import { versionInput } from './fixtures';

/**
 * Behaviour every ModelRegistryStore / RouteSetStore must share, run against
 * the memory stores and the AWS ones (DynamoDB Local), so `npm start` and
 * AWS can't drift apart.
 */

/** Registers the ModelRegistryStore contract for one implementation. */
export function describeModelRegistryContract(
  make: () => Promise<ModelRegistryStore>
): void {
  describe('ModelRegistryStore contract', () => {
    let store: ModelRegistryStore;

    beforeEach(async () => {
      store = await make();
    });

    it('numbers versions from 1 and lists history newest first', async () => {
      // Act
      const v1 = await store.putVersion(versionInput('b-model'), 0);
      const v2 = await store.putVersion(
        versionInput('b-model', { status: 'canary' }),
        1
      );
      await store.putVersion(versionInput('a-model'), 0);

      // Assess
      expect([v1.version, v2.version]).toEqual([1, 2]);
      expect(await store.history('b-model')).toEqual([v2, v1]);
      expect(
        (await store.listLatest()).map((v) => [v.modelId, v.version])
      ).toEqual([
        ['a-model', 1],
        ['b-model', 2],
      ]);
    });

    it('refuses a write based on a stale latest version', async () => {
      // Prepare
      await store.putVersion(versionInput('m'), 0);
      await store.putVersion(versionInput('m'), 1);

      // Act & Assess
      await expect(store.putVersion(versionInput('m'), 1)).rejects.toThrow(
        RegistryConflictError
      );
      await expect(store.putVersion(versionInput('m'), 0)).rejects.toThrow(
        RegistryConflictError
      );
      expect((await store.history('m')).map((v) => v.version)).toEqual([2, 1]);
    });

    it('refuses an invalid version with the bad fields named, before the version check', async () => {
      // Act
      const bad = store.putVersion(
        {
          ...versionInput('m', { contextWindow: 0 }),
          tokenLimit: -5,
          createdBy: '',
        },
        3
      );

      // Assess
      await expect(bad).rejects.toThrow(RegistryValidationError);
      const problems = await bad.catch(
        (e: RegistryValidationError) => e.problems
      );
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^contextWindow: /),
          expect.stringMatching(/^tokenLimit: /),
          'createdBy: required',
        ])
      );
      expect(await store.listLatest()).toEqual([]);
    });

    it('refuses a version whose config id differs from its model id', async () => {
      // Act & Assess
      await expect(
        store.putVersion({ ...versionInput('m'), modelId: 'other' }, 0)
      ).rejects.toThrow(/config\.id: "m" differs from modelId "other"/);
    });

    it('returns [] as the history of an unknown model', async () => {
      // Act & Assess
      expect(await store.history('nope')).toEqual([]);
    });
  });
}

/** Registers the RouteSetStore contract for one implementation. */
export function describeRouteSetStoreContract(
  make: () => Promise<RouteSetStore>
): void {
  describe('RouteSetStore contract', () => {
    let store: RouteSetStore;

    beforeEach(async () => {
      store = await make();
    });

    it('stores versions conditionally, newest first, without activating them', async () => {
      // Act
      const v1 = await store.put(
        { name: 'canary-set', models: [{ id: 'a' }], updatedBy: 'alice' },
        0
      );
      const v2 = await store.put(
        { name: 'canary-set', models: [{ id: 'a', version: 2 }] },
        1
      );
      const stale = store.put({ name: 'canary-set', models: [] }, 1);

      // Assess
      await expect(stale).rejects.toThrow(RegistryConflictError);
      expect(v1).toMatchObject({ version: 1, updatedBy: 'alice' });
      expect(v2.updatedAt).toEqual(expect.any(String));
      expect(await store.versions('canary-set')).toEqual([v2, v1]);
      expect(await store.active('canary-set')).toBeUndefined();
      expect(await store.versions('unknown')).toEqual([]);
    });

    it('refuses a bad document and stores nothing', async () => {
      // Act
      const bad = store.put(
        { name: 'Bad Name', models: [{ id: 'a' }, { id: 'a' }] },
        0
      );

      // Assess
      await expect(bad).rejects.toThrow(RegistryValidationError);
      await expect(bad).rejects.toThrow(/name: must match/);
      await expect(
        store.put({ name: 'ok', models: [{ id: 'a' }, { id: 'a' }] }, 0)
      ).rejects.toThrow(/models\[1\]\.id: duplicate model id "a"/);
      expect(await store.versions('ok')).toEqual([]);
    });

    it('activates stored versions and reports what it replaced', async () => {
      // Prepare
      const v1 = await store.put({ name: 'rs', models: [{ id: 'a' }] }, 0);
      const v2 = await store.put({ name: 'rs', models: [{ id: 'b' }] }, 1);

      // Act
      const first = await store.activate('rs', 1, 'ops');
      const second = await store.activate('rs', 2, 'ops');

      // Assess
      expect(first).toEqual([undefined, v1]);
      expect(second).toEqual([v1, v2]);
      expect(await store.active('rs')).toEqual(v2);
      await expect(store.activate('rs', 3, 'ops')).rejects.toThrow(
        RegistryNotFoundError
      );
    });

    it('rolls back like an undo stack: further back each time, never bouncing', async () => {
      // Prepare
      for (let n = 0; n < 4; n++)
        await store.put({ name: 'rs', models: [{ id: `m${n + 1}` }] }, n);
      await store.activate('rs', 1, 'ops');
      await store.activate('rs', 2, 'ops');
      await store.activate('rs', 3, 'ops');

      // Act
      const [, back2] = await store.rollback('rs', 'alarm');
      const [, back1] = await store.rollback('rs', 'alarm');
      const none = store.rollback('rs', 'alarm');

      // Assess
      expect([back2.version, back1.version]).toEqual([2, 1]);
      await expect(none).rejects.toThrow(RegistryNotFoundError);
      expect((await store.active('rs'))?.version).toBe(1);

      // Act: a new activation after rollbacks undoes to where it started.
      await store.activate('rs', 4, 'ops');
      const [from4, to1] = await store.rollback('rs', 'alarm');

      // Assess
      expect([from4?.version, to1.version]).toEqual([4, 1]);
    });

    it('refuses to roll back a route set that was never activated', async () => {
      // Act & Assess
      await expect(store.rollback('never', 'alarm')).rejects.toThrow(
        RegistryNotFoundError
      );
    });
  });
}
