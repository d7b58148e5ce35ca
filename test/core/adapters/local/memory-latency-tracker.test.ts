import { MemoryLatencyTracker } from '../../../../lambdas/core/adapters/local/memory-latency-tracker';

describe('Class: MemoryLatencyTracker', () => {
  it('has no estimate before the first observation', () => {
    // Prepare
    const tracker = new MemoryLatencyTracker();

    // Act & Assess
    expect(tracker.estimate('m')).toBeUndefined();
    expect(tracker.count('m')).toBe(0);
  });

  it('initialises the average with the first observation', () => {
    // Prepare
    const tracker = new MemoryLatencyTracker();

    // Act
    tracker.observe('m', 1200);

    // Assess
    expect(tracker.estimate('m')).toBe(1200);
    expect(tracker.count('m')).toBe(1);
  });

  it('moves the average by alpha towards each observation (default 0.2)', () => {
    // Prepare
    const tracker = new MemoryLatencyTracker();

    // Act
    tracker.observe('m', 1000);
    tracker.observe('m', 2000);
    tracker.observe('m', 2000);

    // Assess: 1000 -> 1200 -> 1360
    expect(tracker.estimate('m')).toBeCloseTo(1360, 9);
    expect(tracker.count('m')).toBe(3);
  });

  it('uses the configured alpha and keeps models apart', () => {
    // Prepare
    const tracker = new MemoryLatencyTracker({ alpha: 0.5 });

    // Act
    tracker.observe('a', 100);
    tracker.observe('a', 300);
    tracker.observe('b', 50);

    // Assess
    expect(tracker.estimate('a')).toBe(200);
    expect(tracker.estimate('b')).toBe(50);
  });

  it('ignores negative and non-finite latencies', () => {
    // Prepare
    const tracker = new MemoryLatencyTracker();
    tracker.observe('m', 500);

    // Act
    tracker.observe('m', -1);
    tracker.observe('m', Number.NaN);
    tracker.observe('m', Number.POSITIVE_INFINITY);
    tracker.observe('n', -5);

    // Assess
    expect(tracker.estimate('m')).toBe(500);
    expect(tracker.count('m')).toBe(1);
    expect(tracker.estimate('n')).toBeUndefined();
  });

  it.each([0, -0.1, 1.5, Number.NaN])('fails on alpha %d', (alpha) => {
    // Act & Assess
    expect(() => new MemoryLatencyTracker({ alpha })).toThrow(
      /alpha must be in \(0, 1\]/
    );
  });
});
