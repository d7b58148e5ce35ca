/**
 * esbuild settings of every gateway Lambda, shared by the CDK construct
 * (lib/constructs/gateway-function.ts) and the benchmark's router build
 * (scripts/build-router.ts), so the bytes we measure are the bytes we deploy.
 * No aws-cdk-lib import here: the benchmark loads this file too.
 */

/**
 * Credential providers the AWS SDK's default chain imports lazily (dynamic
 * `import()`) and that a Lambda function never reaches: the runtime puts the
 * execution role's credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN, so the chain stops at `fromEnv`. Profiles, SSO, the
 * sign-in login flow, credential_process and web-identity token files (with
 * the STS/SSO/SSO-OIDC/sign-in clients behind them) are about 100 KB of the
 * router bundle. Left out, an `import()` of one of them would fail with
 * "Cannot find package": only in an environment without env credentials,
 * which a Lambda is not. The container/IMDS providers stay bundled.
 * test/bundle/lambda-bundle.test.ts checks that every one of these is only
 * ever imported dynamically and that env credentials still resolve.
 */
export const LAMBDA_EXTERNAL_MODULES: readonly string[] = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-login',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/nested-clients',
];

/**
 * ESM output with a `require` shim for CommonJS dependencies, `module`
 * entry points first (about 40% smaller bundles, AWS-NOTES §7), Node 22
 * syntax, minified, the AWS SDK bundled so the version we test is the version
 * we run. Code splitting: what the code reaches only through `import()`
 * (ajv for json_schema requests, STS for cross-account Bedrock, Evidently,
 * AppConfig flags, EventBridge) goes to lazy chunks beside `index.mjs`, so a
 * cold start loads only what every request needs.
 */
export const LAMBDA_ESBUILD = {
  minify: true,
  format: 'esm',
  target: 'node22',
  splitting: true,
  /** The handler file, `index.mjs` (the Lambda handler is `index.handler`). */
  entryNames: 'index',
  /** Lazy and shared chunks, in a folder beside the handler file. */
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  mainFields: ['module', 'main'] as string[],
  banner:
    "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
} as const;

/**
 * The esbuild build of one Lambda entry into `outdir` (`index.mjs` plus
 * `chunks/`), as the CDK construct runs it at synth and the benchmark runs it
 * for its figures. esbuild's own `BuildOptions` shape, typed loosely here so
 * this file needs no esbuild import.
 */
export function lambdaBuildOptions(options: {
  readonly entry: string;
  readonly outdir: string;
  readonly sourceMap: boolean;
}) {
  return {
    bundle: true,
    platform: 'node' as const,
    minify: LAMBDA_ESBUILD.minify,
    format: LAMBDA_ESBUILD.format,
    target: LAMBDA_ESBUILD.target,
    splitting: LAMBDA_ESBUILD.splitting,
    entryNames: LAMBDA_ESBUILD.entryNames,
    chunkNames: LAMBDA_ESBUILD.chunkNames,
    outExtension: { ...LAMBDA_ESBUILD.outExtension },
    mainFields: [...LAMBDA_ESBUILD.mainFields],
    external: [...LAMBDA_EXTERNAL_MODULES],
    banner: { js: LAMBDA_ESBUILD.banner },
    sourcemap: options.sourceMap,
    entryPoints: [options.entry],
    outdir: options.outdir,
    logLevel: 'warning' as const,
  };
}
