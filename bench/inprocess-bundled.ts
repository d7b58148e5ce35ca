/**
 * The in-process figure (bench/inprocess-bench.ts) measured on the gateway
 * code as Lambda runs it: bench/inprocess-profile.ts built by esbuild with
 * the deployed router's options (scripts/build-router.ts: ESM, minified,
 * no keepNames, so no `__name` calls), run in a child node process. The
 * tsx figure keeps function names and runs tsx's loader; this one doesn't.
 *   tsx bench/inprocess-bundled.ts [iterations]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { ROUTER_BUNDLE_OPTIONS } from '../scripts/build-router';
import type { InProcessBenchResult } from './inprocess-bench';

const ROOT = join(__dirname, '..');

/** Builds the in-process loop as the router is built and runs it: warm-up round, then the measured one. */
export async function benchInProcessBundled(
  iterations: number
): Promise<InProcessBenchResult> {
  const outdir = mkdtempSync(join(tmpdir(), 'inprocess-bundled-'));
  try {
    await build({
      ...ROUTER_BUNDLE_OPTIONS,
      entryPoints: [join(ROOT, 'bench/inprocess-profile.ts')],
      entryNames: 'inprocess',
      outdir,
      absWorkingDir: ROOT,
      logLevel: 'warning',
    });
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(outdir, 'inprocess.mjs'), String(iterations), '2', '--json'],
      { cwd: ROOT, maxBuffer: 1 << 20 }
    );
    const last = stdout.trim().split('\n').pop() ?? '';
    return JSON.parse(last) as InProcessBenchResult;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchInProcessBundled(Number(process.argv[2] ?? 20_000)).then((x) => {
    process.stdout.write(
      `bundled: cpu ${x.cpuUs.toFixed(1)} us  wall ${x.wallUs.toFixed(1)} us  alloc ${x.allocKb.toFixed(1)} KB  promoted ${x.promotedKb.toFixed(2)} KB  (${x.iterations} req)\n`
    );
  });
}
