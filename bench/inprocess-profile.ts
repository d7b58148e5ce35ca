/**
 * Runs only the in-process bench, for profiling and quick before/after runs:
 *   tsx bench/inprocess-profile.ts [iterations] [rounds] [--prof=out.cpuprofile]
 * Prints CPU µs, allocated and promoted KB per request for each round. With
 * --prof, the rounds after the first are sampled (100 µs) by the inspector,
 * so module loading and JIT warm-up stay out of the profile; read it with
 * bench/profile-top.ts. With --heap=all|promoted, the same rounds run under
 * V8's sampling heap profiler instead (every allocation, or only what
 * survived young collections), aggregated by allocating function. With
 * --json, the last round's figures are printed as one JSON line instead
 * (bench/inprocess-bundled.ts reads it from the esbuild-built copy).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { benchInProcess } from './inprocess-bench';

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const prof = process.argv
    .find((a) => a.startsWith('--prof='))
    ?.slice('--prof='.length);
  const iterations = Number(args[0] ?? 20_000);
  const rounds = Number(args[1] ?? 1);
  const heap = process.argv
    .find((a) => a.startsWith('--heap='))
    ?.slice('--heap='.length);
  const session = prof || heap ? new Session() : undefined;
  for (let r = 0; r < rounds; r++) {
    if (session && heap && r === 1) {
      session.connect();
      await session.post('HeapProfiler.enable');
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 512,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: heap === 'all',
      });
    } else if (session && r === 1) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      await session.post('Profiler.start');
    }
    const x = await benchInProcess(iterations);
    if (process.argv.includes('--json')) {
      if (r === rounds - 1) process.stdout.write(`${JSON.stringify(x)}\n`);
      continue;
    }
    process.stdout.write(
      `cpu ${x.cpuUs.toFixed(1)} us  wall ${x.wallUs.toFixed(1)} us  alloc ${x.allocKb.toFixed(1)} KB  promoted ${x.promotedKb.toFixed(2)} KB  (${x.iterations} req)\n`
    );
  }
  if (session && heap) {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    printHeapTop(profile.head, iterations * (rounds - 1));
    session.disconnect();
  } else if (session && prof) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(prof, JSON.stringify(profile));
    session.disconnect();
  }
}

interface HeapNode {
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly selfSize: number;
  readonly children: readonly HeapNode[];
}

/** Bytes per request by allocating function (self) and by caller chain top. */
function printHeapTop(head: HeapNode, requests: number): void {
  const self = new Map<string, number>();
  let total = 0;
  const walk = (n: HeapNode, path: string): void => {
    const f = n.callFrame;
    const key = `${f.functionName || '(anon)'} ${f.url.replace(/.*\/(wt\/perf|node_modules)\//, '')}:${f.lineNumber + 1}`;
    self.set(`${path}${key}`, (self.get(`${path}${key}`) ?? 0) + n.selfSize);
    total += n.selfSize;
    for (const c of n.children) walk(c, '');
  };
  walk(head, '');
  process.stdout.write(
    `sampled ${(total / requests).toFixed(0)} B per request\n`
  );
  for (const [k, v] of [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 40)) {
    process.stdout.write(`${(v / requests).toFixed(0).padStart(7)} B  ${k}\n`);
  }
}

void main();
