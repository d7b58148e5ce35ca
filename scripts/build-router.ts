/**
 * Builds the router Lambda bundle exactly as the CDK function construct does
 * (lib/bundling.ts: esbuild, ESM, minified, `module,main` main fields, AWS
 * SDK bundled, unreachable credential providers external) and reports its
 * size; the admin Lambda's too. `npm run build:router`; the benchmark calls
 * it too.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { lambdaBuildOptions } from '../lib/bundling';

const ROOT = join(__dirname, '..');

/**
 * esbuild options of the deployed router (lib/bundling.ts, shared with the
 * CDK construct): no source map, as the router ships without one by default.
 */
export const ROUTER_BUNDLE_OPTIONS: BuildOptions = (() => {
  const {
    entryPoints: _entry,
    outdir: _outdir,
    ...shared
  } = lambdaBuildOptions({ entry: '', outdir: '', sourceMap: false });
  return shared;
})();

/** Result of a router build. */
export interface RouterBundle {
  /** The handler file (`index.mjs`); its chunks sit in `chunks/` beside it. */
  readonly outfile: string;
  /** What a cold start loads: the handler file and the chunks it imports statically. */
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Lazy chunks, loaded only by the `import()` of a rarely taken path. */
  readonly lazyBytes: number;
  /** Every output file, relative to the bundle folder, with its size and whether a cold start loads it. */
  readonly files: readonly { file: string; bytes: number; cold: boolean }[];
  /** A preload that stands in for the Lambda runtime's `awslambda` global. */
  readonly shimPath: string;
  /** Minified bytes a cold start loads, by origin (AWS SDK, Powertools, zod, gateway code, other). */
  readonly composition: Readonly<Record<string, number>>;
}

/** Which part of the bundle an input file belongs to. */
function origin(input: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
  if (!pkg) return 'gateway code';
  if (pkg.startsWith('@aws-sdk/') || pkg.startsWith('@smithy/'))
    return 'aws sdk';
  if (pkg.startsWith('@aws-lambda-powertools/')) return 'powertools';
  if (pkg === 'zod') return 'zod';
  return 'other deps';
}

/** Builds dist/router/index.mjs and returns its size. */
export function buildRouterBundle(): Promise<RouterBundle> {
  return buildLambdaBundle('router');
}

/** Builds dist/<name>/index.mjs from lambdas/<name>/handler.ts and returns its size. */
export async function buildLambdaBundle(
  name: 'router' | 'admin'
): Promise<RouterBundle> {
  const outdir = join(ROOT, 'dist', name);
  // Chunk names carry a content hash: clear the last build's.
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'index.mjs');
  const result = await build({
    ...ROUTER_BUNDLE_OPTIONS,
    entryPoints: [join(ROOT, 'lambdas', name, 'handler.ts')],
    outdir,
    absWorkingDir: ROOT,
    metafile: true,
    logLevel: 'warning',
  });
  const cold = coldOutputs(result.metafile, relative(ROOT, outfile));
  const composition: Record<string, number> = {};
  const files: { file: string; bytes: number; cold: boolean }[] = [];
  let bytes = 0;
  let lazyBytes = 0;
  let coldCode = '';
  for (const [path, output] of Object.entries(result.metafile.outputs)) {
    const isCold = cold.has(path);
    files.push({
      file: relative(outdir, join(ROOT, path)),
      bytes: output.bytes,
      cold: isCold,
    });
    if (!isCold) {
      lazyBytes += output.bytes;
      continue;
    }
    bytes += output.bytes;
    coldCode += readFileSync(join(ROOT, path), 'utf8');
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const key = origin(input);
      composition[key] = (composition[key] ?? 0) + bytesInOutput;
    }
  }
  const shimPath = join(outdir, 'lambda-runtime-shim.mjs');
  writeFileSync(
    shimPath,
    'globalThis.awslambda = Object.assign(globalThis.awslambda ?? {}, { streamifyResponse: (h) => h, HttpResponseStream: { from: (s) => s } });\n'
  );
  return {
    outfile,
    bytes,
    gzipBytes: gzipSync(coldCode).length,
    lazyBytes,
    files,
    shimPath,
    composition,
  };
}

/**
 * The output files a cold start loads: the entry and every chunk it reaches
 * through static imports (`import()` targets are the lazy ones).
 */
export function coldOutputs(metafile: Metafile, entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const i of metafile.outputs[path]?.imports ?? []) {
      if (i.kind === 'import-statement' && !i.external) visit(i.path);
    }
  };
  visit(entry);
  return seen;
}

if (require.main === module) {
  void (async () => {
    for (const name of ['router', 'admin'] as const) {
      const b = await buildLambdaBundle(name);
      process.stdout.write(
        `${b.outfile}: ${b.bytes} bytes loaded cold (gzip ${b.gzipBytes}), ${b.lazyBytes} in lazy chunks\n${JSON.stringify(b.composition)}\n`
      );
    }
  })();
}
