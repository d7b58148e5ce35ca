import { MemoryBanditStore } from '../../../../lambdas/core/adapters/local/memory-bandit-store';

// A frozen clock: decay factors are exactly 1, so sums compare exactly.
const frozen = () => 0;

describe('Class: MemoryBanditStore', () => {
  describe('Method: get', () => {
    it('returns the uniform prior for unknown arms', () => {
      // Prepare
      const store = new MemoryBanditStore({ now: frozen });

      // Act & Assess
      expect(store.get('legal|premium|true', 'm')).toEqual({
        alpha: 1,
        beta: 1,
      });
    });

    it('returns the configured prior for unknown arms', () => {
      // Prepare
      const store = new MemoryBanditStore({
        now: frozen,
        prior: { alpha: 2, beta: 5 },
      });

      // Act & Assess
      expect(store.get('k', 'm')).toEqual({ alpha: 2, beta: 5 });
    });
  });

  describe('Method: update', () => {
    it('adds the reward to alpha and its complement to beta', () => {
      // Prepare
      const store = new MemoryBanditStore({ now: frozen });

      // Act
      store.update('k', 'm', 1);
      store.update('k', 'm', 0);
      store.update('k', 'm', 0.25);

      // Assess
      expect(store.get('k', 'm')).toEqual({ alpha: 2.25, beta: 2.75 });
    });

    it('clamps rewards to [0, 1] and ignores NaN', () => {
      // Prepare
      const store = new MemoryBanditStore({ now: frozen });

      // Act
      store.update('k', 'm', 7);
      store.update('k', 'm', -3);
      store.update('k', 'm', Number.NaN);

      // Assess
      expect(store.get('k', 'm')).toEqual({ alpha: 2, beta: 2 });
    });

    it('keeps contexts and models apart, starting each from the prior', () => {
      // Prepare
      const store = new MemoryBanditStore({
        now: frozen,
        prior: { alpha: 3, beta: 3 },
      });

      // Act
      store.update('a', 'm', 1);
      store.update('b', 'm', 0);

      // Assess
      expect(store.get('a', 'm')).toEqual({ alpha: 4, beta: 3 });
      expect(store.get('b', 'm')).toEqual({ alpha: 3, beta: 4 });
      expect(store.get('a', 'other')).toEqual({ alpha: 3, beta: 3 });
    });

    it('never changes a posterior a caller already holds', () => {
      // Prepare
      const store = new MemoryBanditStore({ now: frozen });
      store.update('k', 'm', 1);
      const held = store.get('k', 'm');

      // Act
      store.update('k', 'm', 1);

      // Assess
      expect(held).toEqual({ alpha: 2, beta: 1 });
      expect(store.get('k', 'm')).toEqual({ alpha: 3, beta: 1 });
    });
  });

  describe('Method: reset', () => {
    it('forgets one context or all of them', () => {
      // Prepare
      const store = new MemoryBanditStore({ now: frozen });
      store.update('a', 'm', 1);
      store.update('b', 'm', 1);

      // Act
      store.reset('a');
      const afterOne = store.snapshot();
      store.reset();

      // Assess
      expect(afterOne).toEqual({ b: { m: { alpha: 2, beta: 1 } } });
      expect(store.snapshot()).toEqual({});
      expect(store.get('b', 'm')).toEqual({ alpha: 1, beta: 1 });
    });
  });

  describe('Method: snapshot', () => {
    it('returns a detached copy of every updated arm', () => {
      // Prepare
      const store = new MemoryBanditStore({ now: frozen });
      store.update('legal|premium|true', 'x', 1);
      store.update('legal|premium|true', 'y', 0);

      // Act
      const snap = store.snapshot();
      store.update('legal|premium|true', 'x', 1);

      // Assess
      expect(snap).toEqual({
        'legal|premium|true': {
          x: { alpha: 2, beta: 1 },
          y: { alpha: 1, beta: 2 },
        },
      });
    });
  });

  it.each([
    [{ alpha: 0, beta: 1 }],
    [{ alpha: 1, beta: -1 }],
    [{ alpha: Number.NaN, beta: 1 }],
    [{ alpha: 1, beta: Number.POSITIVE_INFINITY }],
  ])('fails on an invalid prior %o', (prior) => {
    // Act & Assess
    expect(() => new MemoryBanditStore({ now: frozen, prior })).toThrow(
      /prior alpha and beta must be finite and > 0/
    );
  });
  describe('Decay', () => {
    it('halves the evidence every half-life and drifts back to the prior', () => {
      // Prepare
      let t = 0;
      const store = new MemoryBanditStore({
        now: () => t,
        halfLifeMs: 1000,
      });
      for (let i = 0; i < 8; i++) store.update('k', 'm', 1);

      // Act
      t = 1000;
      const oneHalfLife = store.get('k', 'm');
      t = 40_000;
      const forty = store.get('k', 'm');

      // Assess
      expect(oneHalfLife.alpha).toBeCloseTo(1 + 4, 9);
      expect(oneHalfLife.beta).toBeCloseTo(1, 9);
      expect(forty.alpha).toBeCloseTo(1, 6);
    });

    it('lets recent rewards outweigh old ones after a shift', () => {
      // Prepare: 100 failures long ago, then 10 recent successes
      let t = 0;
      const store = new MemoryBanditStore({ now: () => t, halfLifeMs: 1000 });
      for (let i = 0; i < 100; i++) store.update('k', 'm', 0);
      t = 5000;
      for (let i = 0; i < 10; i++) store.update('k', 'm', 1);

      // Act
      const p = store.get('k', 'm');

      // Assess: the failures weigh 100 / 32 ~ 3 now
      expect(p.alpha / (p.alpha + p.beta)).toBeGreaterThan(0.7);
    });

    it('keeps its sums across era boundaries', () => {
      // Prepare: an era is 16 half-lives
      let t = 15_900;
      const store = new MemoryBanditStore({ now: () => t, halfLifeMs: 1000 });
      store.update('k', 'm', 1);

      // Act: into the next era
      t = 16_900;
      const p = store.get('k', 'm');

      // Assess
      expect(p.alpha).toBeCloseTo(1.5, 9);
    });
  });
});
