/**
 * Builds the router Lambda bundle exactly as the CDK function construct does
 * (lib/bundling.ts: esbuild, ESM, minified, `module,main` main fields, AWS
 * SDK bundled, unreachable credential providers external) and reports its
 * size; the admin Lambda's too. `npm run build:router`; the benchmark calls
 * it too.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build } from 'esbuild';
import { LAMBDA_ESBUILD, LAMBDA_EXTERNAL_MODULES } from '../lib/bundling';

const ROOT = join(__dirname, '..');

/**
 * esbuild options of the deployed router (lib/bundling.ts, shared with the
 * CDK construct): no source map, as the router ships without one by default.
 */
export const ROUTER_BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  ...LAMBDA_ESBUILD,
  mainFields: [...LAMBDA_ESBUILD.mainFields],
  external: [...LAMBDA_EXTERNAL_MODULES],
  banner: { js: LAMBDA_ESBUILD.banner },
};

/** Result of a router build. */
export interface RouterBundle {
  readonly outfile: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** A preload that stands in for the Lambda runtime's `awslambda` global. */
  readonly shimPath: string;
  /** Minified bytes by origin (AWS SDK, Powertools, zod, gateway code, other). */
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
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'index.mjs');
  const result = await build({
    ...ROUTER_BUNDLE_OPTIONS,
    entryPoints: [join(ROOT, 'lambdas', name, 'handler.ts')],
    outfile,
    metafile: true,
    logLevel: 'warning',
  });
  const composition: Record<string, number> = {};
  for (const output of Object.values(result.metafile.outputs)) {
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
    bytes: statSync(outfile).size,
    gzipBytes: gzipSync(readFileSync(outfile)).length,
    shimPath,
    composition,
  };
}

if (require.main === module) {
  void (async () => {
    for (const name of ['router', 'admin'] as const) {
      const b = await buildLambdaBundle(name);
      process.stdout.write(
        `${b.outfile}: ${b.bytes} bytes (gzip ${b.gzipBytes})\n${JSON.stringify(b.composition)}\n`
      );
    }
  })();
}
