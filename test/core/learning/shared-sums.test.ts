import { DecayedSums } from '../../../lambdas/core/learning/decayed-sums';
import { SharedSums } from '../../../lambdas/core/learning/shared-sums';

const H = 60_000;

function fleetWith(value: number): DecayedSums {
  const f = new DecayedSums(H);
  f.add('k', 'a|m', value, 0);
  return f;
}

describe('Class: SharedSums', () => {
  it('counts a local delta exactly once through write and re-read', () => {
    // Prepare
    const s = new SharedSums(H);
    s.add('k', 'a|m', 1, 0);

    // Act & Assess: visible while pending, while written, and after a read
    expect(s.value('k', 'a|m', 0)).toBe(1);
    const taken = s.takePending();
    expect(s.value('k', 'a|m', 0)).toBe(1);
    const startedBefore = s.readStarted();
    s.written(taken);
    expect(s.value('k', 'a|m', 0)).toBe(1);
    // A read that started before the write completed may miss it: keep it.
    s.replaceFleet(fleetWith(0.5), startedBefore);
    expect(s.value('k', 'a|m', 0)).toBe(1.5);
    // A read that started after includes it: drop the local copy.
    const startedAfter = s.readStarted();
    s.replaceFleet(fleetWith(1), startedAfter);
    expect(s.value('k', 'a|m', 0)).toBe(1);
  });

  it('returns the failed part of a write to pending without double counting', () => {
    // Prepare
    const s = new SharedSums(H);
    s.add('k', 'a|m', 1, 0);
    s.add('k', 'a|n', 2, 0);
    const taken = s.takePending();
    const failed = new DecayedSums(H);
    failed.add('k', 'a|n', 2, 0);

    // Act
    s.written(taken, failed);
    s.replaceFleet(fleetWith(1), s.readStarted());

    // Assess: m came back from the fleet, n is pending again
    expect(s.value('k', 'a|m', 0)).toBe(1);
    expect(s.value('k', 'a|n', 0)).toBe(2);
    expect(s.takePending().value('k', 'a|n', 0)).toBe(2);
  });

  it('clears a key in every layer', () => {
    // Prepare
    const s = new SharedSums(H);
    s.replaceFleet(fleetWith(3), s.readStarted());
    s.add('k', 'a|m', 1, 0);
    s.add('other', 'a|m', 1, 0);

    // Act
    s.clear('k');

    // Assess
    expect(s.value('k', 'a|m', 0)).toBe(0);
    expect(s.value('other', 'a|m', 0)).toBe(1);
    expect([...s.keys()]).toEqual(['other']);
  });
});
