import { GCProfiler, getHeapStatistics } from 'node:v8';

/** Heap bytes a piece of work allocated and promoted, from V8's GC events. */
export interface AllocationFigures {
  /** Bytes allocated on the JS heap (young and old). */
  readonly allocatedBytes: number;
  /** Bytes scavenges moved into the old generation (survived young GCs). */
  readonly promotedBytes: number;
  readonly scavenges: number;
  readonly markSweeps: number;
}

interface SpaceStat {
  readonly spaceName: string;
  readonly spaceUsedSize: number;
}
interface GcSnapshot {
  readonly heapStatistics: { readonly usedHeapSize: number };
  readonly heapSpaceStatistics: readonly SpaceStat[];
}
interface GcEvent {
  readonly gcType: string;
  readonly beforeGC: GcSnapshot;
  readonly afterGC: GcSnapshot;
}

const OLD_SPACES = new Set(['old_space', 'code_space', 'large_object_space']);

function oldUsed(s: GcSnapshot): number {
  let n = 0;
  for (const sp of s.heapSpaceStatistics)
    if (OLD_SPACES.has(sp.spaceName)) n += sp.spaceUsedSize;
  return n;
}

/**
 * Runs `work` under V8's GC profiler. Allocation is the heap growth between
 * collections (used before each GC minus used after the previous one), plus
 * the growth since the last; promotion is the old-generation growth across
 * each scavenge. No --expose-gc needed.
 */
export async function measureAllocation(
  work: () => Promise<void>
): Promise<AllocationFigures> {
  const profiler = new GCProfiler();
  const startUsed = getHeapStatistics().used_heap_size;
  profiler.start();
  await work();
  const endUsed = getHeapStatistics().used_heap_size;
  const events = (profiler.stop()?.statistics ?? []) as unknown as GcEvent[];
  let allocated = 0;
  let promoted = 0;
  let scavenges = 0;
  let markSweeps = 0;
  let prev = startUsed;
  for (const e of events) {
    allocated += Math.max(0, e.beforeGC.heapStatistics.usedHeapSize - prev);
    prev = e.afterGC.heapStatistics.usedHeapSize;
    if (e.gcType === 'Scavenge' || e.gcType === 'MinorMarkSweep') {
      scavenges++;
      promoted += Math.max(0, oldUsed(e.afterGC) - oldUsed(e.beforeGC));
    } else markSweeps++;
  }
  allocated += Math.max(0, endUsed - prev);
  return {
    allocatedBytes: allocated,
    promotedBytes: promoted,
    scavenges,
    markSweeps,
  };
}
