/**
 * Builds the router Lambda bundle exactly as the CDK function construct does
 * (esbuild, ESM, minified, `module,main` main fields, AWS SDK bundled) and
 * reports its size. `npm run build:router`; the benchmark calls it too.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = join(__dirname, '..');

/** esbuild options shared with lib/constructs (keep in sync with GatewayFunction). */
export const ROUTER_BUNDLE_OPTIONS = {
  bundle: true,
  minify: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  sourcemap: 'external',
  banner: {
    js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  },
} as const;

/** Result of a router build. */
export interface RouterBundle {
  readonly outfile: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** A preload that stands in for the Lambda runtime's `awslambda` global. */
  readonly shimPath: string;
}

/** Builds dist/router/index.mjs and returns its size. */
export async function buildRouterBundle(): Promise<RouterBundle> {
  const outdir = join(ROOT, 'dist/router');
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'index.mjs');
  await build({
    ...ROUTER_BUNDLE_OPTIONS,
    mainFields: [...ROUTER_BUNDLE_OPTIONS.mainFields],
    entryPoints: [join(ROOT, 'lambdas/router/handler.ts')],
    outfile,
    logLevel: 'warning',
  });
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
  };
}

if (require.main === module) {
  void buildRouterBundle().then((b) => {
    process.stdout.write(
      `${b.outfile}: ${b.bytes} bytes (gzip ${b.gzipBytes})\n`
    );
  });
}
