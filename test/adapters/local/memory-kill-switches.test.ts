import {
  createKillSwitchBacking,
  MemoryKillSwitchStore,
} from '../../../lambdas/core/adapters/local/memory-kill-switches';
import {
  KillSwitchError,
  KillSwitchValidationError,
} from '../../../lambdas/core/kill-switches/errors';
import { evaluateKillSwitches } from '../../../lambdas/core/kill-switches/evaluate';

function manualClock(start = 1_000_000) {
  const time = { now: start };
  return { time, clock: () => time.now };
}

describe('Class: MemoryKillSwitchStore', () => {
  describe('Method: constructor', () => {
    it('seeds from stored texts and value objects', async () => {
      // Prepare
      const store = new MemoryKillSwitchStore({
        initial: {
          global: 'off',
          'provider/gemini': '{"state":"on","reason":"quota"}',
          'model/llama-4': { state: 'on', percent: 10 },
          'route/canary': 'garbage',
        },
      });

      // Act
      const snap = await store.snapshot();

      // Assess
      expect(snap.known).toBe(true);
      expect(Object.fromEntries(snap.switches)).toEqual({
        global: { state: 'off' },
        'provider/gemini': { state: 'on', reason: 'quota' },
        'model/llama-4': { state: 'on', percent: 10 },
        'route/canary': { state: 'on', reason: 'unparseable value' },
      });
    });

    it('fails on a bad scope or a maxAge above 5 s', () => {
      // Act & Assess
      expect(
        () => new MemoryKillSwitchStore({ initial: { tenant: 'on' } })
      ).toThrow(KillSwitchValidationError);
      expect(() => new MemoryKillSwitchStore({ maxAgeMs: 6000 })).toThrow(
        KillSwitchError
      );
    });
  });

  describe('Method: snapshot', () => {
    it('is always known, even when empty', async () => {
      // Act
      const snap = await new MemoryKillSwitchStore().snapshot();

      // Assess
      expect(snap).toEqual({
        switches: new Map(),
        readAt: expect.any(Number),
        known: true,
      });
    });

    it('is a copy: later writes do not change a snapshot already taken', async () => {
      // Prepare
      const store = new MemoryKillSwitchStore({ maxAgeMs: 0 });
      const before = await store.snapshot();

      // Act
      await store.set('global', { state: 'on' });

      // Assess
      expect(before.switches.size).toBe(0);
      expect((await store.snapshot()).switches.get('global')).toEqual({
        state: 'on',
      });
    });
  });

  describe('Method: set', () => {
    it('returns before and after, and the writer sees its own write', async () => {
      // Prepare
      const { clock } = manualClock();
      const store = new MemoryKillSwitchStore({
        initial: { 'provider/bedrock': 'off' },
        clock,
      });
      await store.snapshot();

      // Act
      const result = await store.set('provider/bedrock', {
        state: 'on',
        reason: 'throttling',
      });
      const fresh = await store.set('model/new', { state: 'off' });
      const snap = await store.snapshot();

      // Assess
      expect(result).toEqual({
        before: { state: 'off' },
        after: { state: 'on', reason: 'throttling' },
      });
      expect(fresh).toEqual({ after: { state: 'off' } });
      expect(snap.switches.get('provider/bedrock')?.state).toBe('on');
      expect(await store.get('model/new')).toEqual({ state: 'off' });
    });

    it('rejects bad scopes and values and writes nothing', async () => {
      // Prepare
      const store = new MemoryKillSwitchStore();

      // Act & Assess
      await expect(store.set('everything', { state: 'on' })).rejects.toThrow(
        KillSwitchValidationError
      );
      await expect(
        store.set('global', { state: 'on', until: 'soon' })
      ).rejects.toThrow(/until/);
      await expect(store.get('model/')).rejects.toThrow(
        KillSwitchValidationError
      );
      expect(store.backing.size).toBe(0);
    });
  });

  describe('propagation', () => {
    it("shows another writer's change to a router no later than maxAge", async () => {
      // Prepare: an admin store and a router store share one backing.
      const { time, clock } = manualClock();
      const backing = createKillSwitchBacking({ 'provider/gemini': 'off' });
      const admin = new MemoryKillSwitchStore({
        backing,
        clock,
        maxAgeMs: 5000,
      });
      const router = new MemoryKillSwitchStore({
        backing,
        clock,
        maxAgeMs: 5000,
      });
      await router.snapshot();

      // Act: sample the router every 100 ms after the change.
      time.now += 1234;
      const changedAt = time.now;
      await admin.set('provider/gemini', { state: 'on' });
      let visibleAt: number | undefined;
      while (visibleAt === undefined && time.now <= changedAt + 10_000) {
        const snap = await router.snapshot();
        if (snap.switches.get('provider/gemini')?.state === 'on') {
          visibleAt = time.now;
        } else {
          time.now += 100;
        }
      }

      // Assess: visible within the bound, and not instantly (the cache is real).
      expect(visibleAt).toBeDefined();
      expect(visibleAt! - changedAt).toBeLessThanOrEqual(5000);
      expect(visibleAt! - changedAt).toBeGreaterThan(0);
    });

    it('holds for every change time and maxAge (exhaustive over a grid)', async () => {
      for (const maxAgeMs of [0, 250, 1000, 5000]) {
        for (let offset = 0; offset <= 6000; offset += 250) {
          // Prepare
          const { time, clock } = manualClock();
          const backing = createKillSwitchBacking();
          const admin = new MemoryKillSwitchStore({ backing, clock, maxAgeMs });
          const router = new MemoryKillSwitchStore({
            backing,
            clock,
            maxAgeMs,
          });
          await router.snapshot();
          time.now += offset;
          await router.snapshot();

          // Act
          const changedAt = time.now;
          await admin.set('global', { state: 'on' });
          time.now = changedAt + maxAgeMs;
          const snap = await router.snapshot();

          // Assess
          const evaluation = evaluateKillSwitches(
            snap,
            { routeSet: 'active-models', sampleKey: 0.5, now: time.now },
            []
          );
          expect(evaluation.blocked).toEqual({ scope: 'global' });
        }
      }
    });
  });
});
