import { getEventListeners } from 'node:events';
import {
  attemptSignal,
  Deadline,
} from '../../../lambdas/core/resilience/deadline';

const START = 1_000_000;
const clock = (): number => Date.now();

function listeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

describe('Class: Deadline', () => {
  it('places soft and hard deadlines from now', () => {
    // Prepare
    const t = { now: 5_000 };

    // Act
    const deadline = new Deadline(() => t.now, 1_000, 3_000);

    // Assess
    expect(deadline).toMatchObject({
      startedAt: 5_000,
      softAt: 6_000,
      hardAt: 8_000,
    });
    expect(deadline.remaining()).toBe(3_000);
    expect(deadline.remainingSoft()).toBe(1_000);
    t.now = 6_000;
    expect(deadline.softExpired()).toBe(true);
    expect(deadline.hardExpired()).toBe(false);
    expect(deadline.remaining()).toBe(2_000);
    t.now = 9_000;
    expect(deadline.hardExpired()).toBe(true);
    expect(deadline.remaining()).toBe(0);
    expect(deadline.remainingSoft()).toBe(0);
  });

  it('uses the hard deadline when no soft one is given', () => {
    // Act
    const deadline = new Deadline(() => 0, undefined, 3_000);

    // Assess
    expect(deadline.softAt).toBe(3_000);
  });

  it('never puts the soft deadline after the hard one', () => {
    // Act
    const deadline = new Deadline(() => 0, 10_000, 3_000);

    // Assess
    expect(deadline.softAt).toBe(3_000);
  });
});

describe('Function: attemptSignal', () => {
  let parent: AbortController;

  beforeEach(() => {
    jest.useFakeTimers({ now: START });
    parent = new AbortController();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('aborts with "client" and the parent reason when the client leaves', () => {
    // Prepare
    const deadline = new Deadline(clock, 1_000, 5_000);
    const scope = attemptSignal(parent.signal, deadline, 2_000);
    const why = new Error('socket closed');

    // Act
    parent.abort(why);

    // Assess
    expect(scope.signal.aborted).toBe(true);
    expect(scope.reason()).toBe('client');
    expect(scope.signal.reason).toBe(why);
    expect(jest.getTimerCount()).toBe(0);
    expect(listeners(parent.signal)).toBe(0);
  });

  it('aborts at once when the parent already aborted', () => {
    // Prepare
    parent.abort();
    const deadline = new Deadline(clock, 1_000, 5_000);

    // Act
    const scope = attemptSignal(parent.signal, deadline, 2_000);

    // Assess
    expect(scope.reason()).toBe('client');
    expect(scope.signal.aborted).toBe(true);
    expect(listeners(parent.signal)).toBe(0);
  });

  it('aborts with "soft" at the soft deadline before the first token', () => {
    // Prepare
    const deadline = new Deadline(clock, 1_000, 5_000);
    const scope = attemptSignal(parent.signal, deadline, 2_000);

    // Act
    jest.advanceTimersByTime(999);
    const before = scope.signal.aborted;
    jest.advanceTimersByTime(1);

    // Assess
    expect(before).toBe(false);
    expect(scope.reason()).toBe('soft');
    expect(scope.signal.reason).toMatchObject({ name: 'TimeoutError' });
    expect(listeners(parent.signal)).toBe(0);
  });

  it('ignores the soft deadline with soft: false (no candidate left)', () => {
    // Prepare
    const deadline = new Deadline(clock, 1_000, 5_000);
    const scope = attemptSignal(parent.signal, deadline, 60_000, {
      soft: false,
    });

    // Act
    jest.advanceTimersByTime(4_999);
    const before = scope.signal.aborted;
    jest.advanceTimersByTime(1);

    // Assess
    expect(before).toBe(false);
    expect(scope.reason()).toBe('hard');
  });

  it('aborts with "attempt-timeout" when the provider is slower than its timeout', () => {
    // Prepare
    const deadline = new Deadline(clock, 3_000, 5_000);
    const scope = attemptSignal(parent.signal, deadline, 2_000);

    // Act
    jest.advanceTimersByTime(2_000);

    // Assess
    expect(scope.reason()).toBe('attempt-timeout');
    expect(scope.signal.reason).toMatchObject({ name: 'TimeoutError' });
  });

  it('reports "hard" when the hard deadline and the attempt timeout coincide', () => {
    // Prepare
    const deadline = new Deadline(clock, undefined, 2_000);
    const scope = attemptSignal(parent.signal, deadline, 2_000);

    // Act
    jest.advanceTimersByTime(2_000);

    // Assess
    expect(scope.reason()).toBe('hard');
  });

  it('hands the next candidate the time left up to the hard deadline', () => {
    // Prepare: the first attempt is abandoned at the soft deadline
    const deadline = new Deadline(clock, 1_000, 5_000);
    const first = attemptSignal(parent.signal, deadline, 30_000);
    jest.advanceTimersByTime(1_000);
    expect(first.reason()).toBe('soft');
    first.dispose();

    // Act
    const remaining = deadline.remaining();
    const second = attemptSignal(parent.signal, deadline, 30_000);
    jest.advanceTimersByTime(3_999);
    const before = second.signal.aborted;
    jest.advanceTimersByTime(1);

    // Assess: the passed soft deadline doesn't abort it at once
    expect(remaining).toBe(4_000);
    expect(before).toBe(false);
    expect(second.reason()).toBe('hard');
  });

  it('aborts at once when the hard deadline already passed', () => {
    // Prepare
    const deadline = new Deadline(clock, 1_000, 2_000);
    jest.advanceTimersByTime(2_000);

    // Act
    const scope = attemptSignal(parent.signal, deadline, 30_000);

    // Assess
    expect(scope.reason()).toBe('hard');
    expect(jest.getTimerCount()).toBe(0);
    expect(listeners(parent.signal)).toBe(0);
  });

  it('stops the soft deadline and attempt timeout at the first token', () => {
    // Prepare
    const deadline = new Deadline(clock, 1_000, 10_000);
    const scope = attemptSignal(parent.signal, deadline, 2_000);
    jest.advanceTimersByTime(500);

    // Act
    scope.firstToken();
    jest.advanceTimersByTime(9_499);
    const before = scope.signal.aborted;
    jest.advanceTimersByTime(1);

    // Assess
    expect(before).toBe(false);
    expect(scope.reason()).toBe('hard');
  });

  it('aborts with "idle" after a silence longer than the idle timeout', () => {
    // Prepare
    const deadline = new Deadline(clock, 1_000, 60_000);
    const scope = attemptSignal(parent.signal, deadline, 2_000);
    scope.firstToken(300);

    // Act: chunks every 200 ms keep it alive, then silence
    for (let i = 0; i < 10; i++) {
      jest.advanceTimersByTime(200);
      scope.touch();
    }
    const alive = scope.signal.aborted;
    jest.advanceTimersByTime(299);
    const justBefore = scope.signal.aborted;
    jest.advanceTimersByTime(1);

    // Assess
    expect(alive).toBe(false);
    expect(justBefore).toBe(false);
    expect(scope.reason()).toBe('idle');
  });

  it('keeps one timer however many chunks are touched', () => {
    // Prepare
    const deadline = new Deadline(clock, 1_000, 60_000);
    const scope = attemptSignal(parent.signal, deadline, 2_000);
    scope.firstToken(1_000);

    // Act
    for (let i = 0; i < 1_000; i++) scope.touch();

    // Assess
    expect(jest.getTimerCount()).toBe(1);
    scope.dispose();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('aborts the signal on dispose without a reason code', () => {
    // Prepare
    const deadline = new Deadline(clock, 1_000, 5_000);
    const scope = attemptSignal(parent.signal, deadline, 2_000);

    // Act
    scope.dispose();
    scope.dispose();
    jest.advanceTimersByTime(10_000);
    parent.abort();

    // Assess
    expect(scope.signal.aborted).toBe(true);
    expect(scope.signal.reason).toMatchObject({ name: 'AbortError' });
    expect(scope.reason()).toBeUndefined();
  });

  it('leaves no listener or timer behind over many attempts', () => {
    // Prepare
    const deadline = new Deadline(clock, 50_000, 100_000);

    // Act: a mix of disposed, timed-out and streamed attempts
    for (let i = 0; i < 2_000; i++) {
      const scope = attemptSignal(parent.signal, deadline, 10);
      if (i % 3 === 0) jest.advanceTimersByTime(10);
      else if (i % 3 === 1) {
        scope.firstToken(5);
        scope.touch();
      }
      scope.dispose();
    }

    // Assess
    expect(listeners(parent.signal)).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('Function: attemptSignal (real timers)', () => {
  it('aborts a real upstream wait within a few ms', async () => {
    // Prepare
    const parent = new AbortController();
    const deadline = new Deadline(() => Date.now(), 5, 1_000);
    const scope = attemptSignal(parent.signal, deadline, 1_000);

    // Act
    await new Promise<void>((resolve) => {
      scope.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    scope.dispose();

    // Assess
    expect(scope.reason()).toBe('soft');
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });
});
