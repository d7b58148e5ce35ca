/**
 * Aggregates a V8 .cpuprofile by self time:
 *   tsx bench/profile-top.ts <file.cpuprofile> [rows] [--by-url]
 * Profiles from `node --cpu-prof`; `--by-url` sums per file instead of per
 * function; `--inclusive` counts a function's callees too (once per stack).
 * Async functions restart their stack after each await, so inclusive time
 * is a lower bound for them.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
}

const [file, rowsArg] = process.argv.slice(2);
const byUrl = process.argv.includes('--by-url');
const inclusive = process.argv.includes('--inclusive');
const profile = JSON.parse(readFileSync(file!, 'utf8')) as Profile;
const total = profile.samples.length;
const self = new Map<string, number>();
const short = (url: string): string =>
  url
    .replace(/^file:\/\//, '')
    .replace(/.*node_modules\//, 'nm:')
    .replace(/.*\/wt\/perf\//, '');
const keyOf = (n: ProfileNode): string => {
  const f = n.callFrame;
  return byUrl
    ? short(f.url) || `(${f.functionName})`
    : `${f.functionName || '(anon)'} ${short(f.url)}:${f.lineNumber + 1}`;
};
if (inclusive) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const root = profile.nodes[0]!;
  const walk = (n: ProfileNode, onStack: Set<string>): number => {
    let total = n.hitCount ?? 0;
    const key = keyOf(n);
    const fresh = !onStack.has(key);
    if (fresh) onStack.add(key);
    for (const c of n.children ?? []) total += walk(byId.get(c)!, onStack);
    if (fresh) {
      onStack.delete(key);
      self.set(key, (self.get(key) ?? 0) + total);
    }
    return total;
  };
  walk(root, new Set());
} else {
  for (const n of profile.nodes)
    self.set(keyOf(n), (self.get(keyOf(n)) ?? 0) + (n.hitCount ?? 0));
}
const us = (profile.endTime - profile.startTime) / total;
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]);
process.stdout.write(`${total} samples, ${us.toFixed(0)} us/sample\n`);
for (const [k, v] of rows.slice(0, Number(rowsArg ?? 40))) {
  process.stdout.write(
    `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}\n`
  );
}
