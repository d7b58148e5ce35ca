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
 * we run.
 */
export const LAMBDA_ESBUILD = {
  minify: true,
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'] as string[],
  banner:
    "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
} as const;
