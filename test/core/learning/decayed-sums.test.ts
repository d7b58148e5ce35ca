import {
  DecayedSums,
  ERA_HALF_LIVES,
  eraOf,
} from '../../../lambdas/core/learning/decayed-sums';

const H = 1000;
const ERA = H * ERA_HALF_LIVES;

describe('Class: DecayedSums', () => {
  it('decays every amount by half per half-life, whenever it was added', () => {
    // Prepare
    const s = new DecayedSums(H);
    s.add('k', 'x', 8, 0);
    s.add('k', 'x', 4, 2 * H);

    // Act & Assess: 8·2^-3 + 4·2^-1 at t = 3H
    expect(s.value('k', 'x', 3 * H)).toBeCloseTo(1 + 2, 12);
    expect(s.value('k', 'missing', 3 * H)).toBe(0);
  });

  it('carries the previous era and drops older ones', () => {
    // Prepare
    const s = new DecayedSums(H);
    s.add('k', 'x', 1, ERA - H); // end of era 0
    s.add('k', 'x', 1, ERA + H); // era 1

    // Act
    const inEra1 = s.value('k', 'x', ERA + H);
    s.add('k', 'x', 1, 2 * ERA + H); // era 2: era 0 drops out

    // Assess
    expect(inEra1).toBeCloseTo(1 + 2 ** -2, 12);
    expect(s.value('k', 'x', 2 * ERA + H)).toBeCloseTo(1 + 2 ** -16, 12);
  });

  it('groups stored values by key and era for a flush, and merges them back exactly', () => {
    // Prepare
    const s = new DecayedSums(H);
    s.add('k', 'a|m', 1, 10);
    s.add('k', 'b|m', 2, 10);
    s.add('k', 'a|m', 1, ERA + 10);
    s.add('j', 'a|m', 3, 10);

    // Act
    const entries = [...s.entries()];
    const copy = new DecayedSums(H);
    copy.merge(s);

    // Assess
    expect(
      entries.map((e) => [e.key, e.era, [...e.values.keys()].sort()])
    ).toEqual([
      ['k', 0, ['a|m', 'b|m']],
      ['k', 1, ['a|m']],
      ['j', 0, ['a|m']],
    ]);
    for (const [key, attr] of [
      ['k', 'a|m'],
      ['k', 'b|m'],
      ['j', 'a|m'],
    ]) {
      expect(copy.value(key, attr, ERA + 20)).toBe(
        s.value(key, attr, ERA + 20)
      );
    }
  });

  it('keeps stored factors bounded by 2^16 within an era', () => {
    // Prepare
    const s = new DecayedSums(H);
    s.add('k', 'x', 1, ERA - 1);

    // Act
    const [entry] = [...s.entries()];

    // Assess
    expect(eraOf(ERA - 1, H)).toBe(0);
    expect(entry.values.get('x')!).toBeLessThan(2 ** ERA_HALF_LIVES);
  });

  it('fails on a non-positive half-life', () => {
    // Act & Assess
    expect(() => new DecayedSums(0)).toThrow(/halfLifeMs must be > 0, got 0/);
  });
});
