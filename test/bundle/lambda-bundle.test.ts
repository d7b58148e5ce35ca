import { execFile, spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { ROUTER_LAMBDA_ENV } from '../../bench/cold-start';
import { LAMBDA_EXTERNAL_MODULES } from '../../lib/bundling';
import { entryPath } from '../../lib/paths';
import { coldOutputs, ROUTER_BUNDLE_OPTIONS } from '../../scripts/build-router';
import { bedrockModel } from '../core/providers/bedrock/fixtures';
import {
  type FakeBedrockServer,
  startFakeBedrock,
} from '../helpers/fakes/bedrock-fake';

const ROOT = join(__dirname, '../..');

/** Every way an ESM bundle can refer to module `m`. */
function references(code: string, m: string) {
  const q = m.replace(/[/\\^$*+?.()|[\]{}-]/g, '\\$&');
  return {
    dynamic: new RegExp(`import\\(\\s*"${q}(/[^"]*)?"\\s*\\)`).test(code),
    static: new RegExp(
      `(from\\s*"${q}(/[^"]*)?"|import\\s*"${q}(/[^"]*)?")`
    ).test(code),
  };
}

describe('Lambda bundle (lib/bundling.ts)', () => {
  // Outside the repository, as in /var/task: the external packages resolve nowhere.
  const dir = mkdtempSync(join(tmpdir(), 'gw-bundle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Bundles `lines` as the Lambda is bundled, outside the repository; returns the .mjs path. */
  const buildProbe = async (
    name: string,
    lines: readonly string[]
  ): Promise<string> => {
    const entry = join(dir, `${name}.ts`);
    writeFileSync(entry, lines.join('\n'));
    const outdir = join(dir, name);
    await build({
      ...ROUTER_BUNDLE_OPTIONS,
      entryPoints: [entry],
      outdir,
      nodePaths: [join(ROOT, 'node_modules')],
      logLevel: 'silent',
    });
    return join(outdir, 'index.mjs');
  };

  /** Every output file of a Lambda's bundle (handler file and chunks), in memory. */
  const bundleOf = async (name: Parameters<typeof entryPath>[0]) => {
    const out = await build({
      ...ROUTER_BUNDLE_OPTIONS,
      entryPoints: [entryPath(name)],
      write: false,
      outdir: join(dir, `mem-${name}`),
      absWorkingDir: ROOT,
      metafile: true,
      logLevel: 'silent',
    });
    const code = out.outputFiles
      .filter((f) => f.path.endsWith('.mjs'))
      .map((f) => f.text)
      .join('\n');
    return { out, code };
  };

  it.each(['router', 'admin', 'rotation', 'rollback'] as const)(
    '%s: refers to the left-out credential providers only through import()',
    async (name) => {
      // WHEN
      const { code } = await bundleOf(name);

      // THEN: a static import would fail the module (or chunk) at load.
      for (const m of LAMBDA_EXTERNAL_MODULES) {
        expect({ m, static: references(code, m).static }).toEqual({
          m,
          static: false,
        });
      }
      // The profile chain is still wired, just not bundled.
      expect(references(code, '@aws-sdk/credential-provider-ini').dynamic).toBe(
        true
      );
      // What the runtime does reach stays inside.
      expect(code).toContain('AWS_SESSION_TOKEN');
    }
  );

  it('keeps the admin API out of the router bundle and in the admin bundle', async () => {
    // WHEN
    const code = async (name: 'router' | 'admin') =>
      (await bundleOf(name)).code;
    const [router, admin] = await Promise.all([code('router'), code('admin')]);

    // THEN: admin auth codes and audit action names mark the admin code.
    for (const marker of ['iam_required', 'admin_only', 'kill-switch.set']) {
      expect({ marker, router: router.includes(marker) }).toEqual({
        marker,
        router: false,
      });
      expect({ marker, admin: admin.includes(marker) }).toEqual({
        marker,
        admin: true,
      });
    }
    expect(router).toContain('decision_not_found');
  });

  it("keeps the router's lazy parts out of the admin bundle's cold start", async () => {
    // WHEN
    const { out } = await bundleOf('admin');
    const outputs = out.metafile!.outputs;
    const entry = Object.keys(outputs).find((p) => p.endsWith('/index.mjs'))!;
    const cold = coldOutputs(out.metafile!, entry);
    const coldCode = out.outputFiles
      .filter((f) => [...cold].some((p) => resolve(ROOT, p) === f.path))
      .map((f) => f.text)
      .join('\n');

    // THEN: the admin calls no model; the Bedrock Runtime client (used by
    // the router's lazily loaded guardrail and embeddings) stays out of its
    // cold start
    expect(coldCode).not.toContain('AmazonBedrockFrontendService');
    expect(coldCode).toContain('kill-switch.set');
  });

  describe('lazy chunks of the router bundle', () => {
    // SDK service ids, ajv's draft URI, wire names and error texts:
    // strings each lazy part carries.
    const LAZY_MARKERS = {
      ajv: 'json-schema.org/draft-07',
      sts: 'AWSSecurityTokenServiceV20110615',
      eventbridge: 'AWSEvents',
      evidently: '"Evidently"',
      appconfig: 'GetLatestConfiguration',
      gemini: 'streamGenerateContent',
      openaiCompatible: 'upstream answered 2xx with a body that is not JSON',
      echo: 'echo: ',
      embeddings: 'encoding_format',
      bedrockEmbed: 'bedrock sent an embedding body that is not JSON',
      feedback: 'feedback_conflict',
      mediaFetch: 'media_fetch',
      leasing: 'lease#',
      bedrockGuardrail: 'no guardrail parameter',
      googleTokenExchange: 'jwt-bearer',
    } as const;

    it('keeps the rarely taken paths out of what a cold start loads', async () => {
      // WHEN
      const { out } = await bundleOf('router');
      const outputs = out.metafile!.outputs;
      const entry = Object.keys(outputs).find((p) => p.endsWith('/index.mjs'))!;
      const cold = coldOutputs(out.metafile!, entry);
      const text = (paths: string[]) =>
        out.outputFiles
          .filter((f) => paths.some((p) => resolve(ROOT, p) === f.path))
          .map((f) => f.text)
          .join('\n');
      const coldCode = text([...cold]);
      const lazyCode = text(Object.keys(outputs).filter((p) => !cold.has(p)));

      // THEN: each part is in a chunk reached only through import()
      for (const [part, marker] of Object.entries(LAZY_MARKERS)) {
        expect({ part, cold: coldCode.includes(marker) }).toEqual({
          part,
          cold: false,
        });
        expect({ part, lazy: lazyCode.includes(marker) }).toEqual({
          part,
          lazy: true,
        });
      }
      // What every request needs stays in the cold part.
      expect(coldCode).toContain('missing_api_key');
    });

    it('the router handler imports cold outside the repository, then a json_schema path loads ajv from its chunk', async () => {
      // GIVEN the router bundle written where no node_modules can help
      const outdir = join(dir, 'router');
      mkdirSync(outdir, { recursive: true });
      await build({
        ...ROUTER_BUNDLE_OPTIONS,
        entryPoints: [entryPath('router')],
        outdir,
        logLevel: 'silent',
      });
      const shim = join(outdir, 'shim.mjs');
      writeFileSync(
        shim,
        'globalThis.awslambda = { streamifyResponse: (h) => h, HttpResponseStream: { from: (s) => s } };\n'
      );
      const probe = await buildProbe('json-schema-probe', [
        `import { loadJsonSchemaEngine, validatorFor } from ${JSON.stringify(join(ROOT, 'lambdas/core/api/json-schema'))};`,
        '(async () => {',
        '  await loadJsonSchemaEngine();',
        "  const v = validatorFor({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', required: ['a'] });",
        '  process.stdout.write(JSON.stringify([v({ a: 1 }), v({})]));',
        '})();',
      ]);
      const env = {
        PATH: process.env.PATH,
        HOME: dir,
        NODE_NO_WARNINGS: '1',
        ...ROUTER_LAMBDA_ENV,
        AWS_ACCESS_KEY_ID: 'AKIDLAMBDAEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret-example',
      };

      // WHEN: a cold import of the handler (and exit: no AWS call needed)
      const cold = spawnSync(
        process.execPath,
        [
          '--import',
          shim,
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(join(outdir, 'index.mjs'))}); process.stdout.write(typeof m.handler); process.exit(0);`,
        ],
        { env, encoding: 'utf8', timeout: 20_000, cwd: dir }
      );
      const lazy = spawnSync(process.execPath, [probe], {
        env,
        encoding: 'utf8',
        timeout: 20_000,
        cwd: dir,
      });

      // THEN
      expect(cold.stderr).toBe('');
      expect(cold.stdout).toBe('function');
      expect(lazy.stdout).toBe('[true,false]');
      // The probe's ajv came from a chunk beside its entry.
      const { readdirSync, readFileSync } = await import('node:fs');
      const chunks = readdirSync(join(dir, 'json-schema-probe', 'chunks'));
      expect(
        chunks.some((f) =>
          readFileSync(
            join(dir, 'json-schema-probe', 'chunks', f),
            'utf8'
          ).includes(LAZY_MARKERS.ajv)
        )
      ).toBe(true);
    });
    it('a bundle built like the Lambda loads every lazy chunk of the router composition from beside its entry', async () => {
      // GIVEN a probe of the AWS composition's preload, with every
      // lazily loaded provider family configured
      const probe = await buildProbe('lazy-parts-probe', [
        `import { preloadLazyChunks } from ${JSON.stringify(join(ROOT, 'lambdas/router/aws-deps'))};`,
        `import { resolveConfig } from ${JSON.stringify(join(ROOT, 'lambdas/core/config/load'))};`,
        `import { createAdapters, envCredentials } from ${JSON.stringify(join(ROOT, 'lambdas/core/providers/registry'))};`,
        '(async () => {',
        '  const config = resolveConfig(',
        "    { providers: { gemini: { type: 'gemini' }, llama: { type: 'openai-compatible' }, dev: { type: 'echo' } } },",
        "    { GEMINI_API_KEY: 'k', LLAMA_API_KEY: 'k' }",
        '  );',
        '  const adapters = createAdapters(config.providers, envCredentials({}));',
        '  const failed = await preloadLazyChunks(adapters);',
        "  const model = { id: 'echo', provider: 'dev', providerType: 'echo', providerModelId: 'echo-1' };",
        "  const request = { model: 'echo', messages: [{ role: 'user', content: 'hi' }], stream: false, includeUsage: true, routing: {} };",
        "  const r = await adapters.get('dev').chat(request, model, { signal: new AbortController().signal, requestId: 'probe' });",
        '  process.stdout.write(JSON.stringify({ failed, adapters: [...adapters.keys()].sort(), echo: r.content }));',
        '  process.exit(0);',
        "})().catch((e) => { process.stdout.write('ERR ' + e.message); process.exit(3); });",
      ]);

      // WHEN: run where no node_modules can help
      const r = spawnSync(process.execPath, [probe], {
        env: { PATH: process.env.PATH, HOME: dir, NODE_NO_WARNINGS: '1' },
        encoding: 'utf8',
        timeout: 20_000,
        cwd: dir,
      });

      // THEN
      const out = JSON.parse(r.stdout) as {
        failed: string[];
        adapters: string[];
        echo: string;
      };
      expect(out.failed).toEqual([]);
      expect(out.adapters).toEqual(
        expect.arrayContaining(['dev', 'gemini', 'llama'])
      );
      expect(out.echo).toBe('echo: hi');
      // ...from their chunks, not inlined into the entry
      const chunks = readdirSync(join(dir, 'lazy-parts-probe', 'chunks'));
      for (const name of ['lazy-parts-', 'ajv-drafts-'])
        expect({ name, chunk: chunks.some((f) => f.startsWith(name)) }).toEqual(
          {
            name,
            chunk: true,
          }
        );
    });
  });

  describe('credentials in a bundle built like the Lambda', () => {
    let probe: string;

    beforeAll(async () => {
      probe = await buildProbe('credentials-probe', [
        "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
        "const client = new DynamoDBClient({ region: 'eu-central-1' });",
        'client.config.credentials().then(',
        "  (c) => { process.stdout.write('OK ' + c.accessKeyId); },",
        "  (e) => { process.stdout.write('ERR ' + e.message); process.exitCode = 3; }",
        ');',
      ]);
    });

    const run = (env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, [probe], {
        env: { PATH: process.env.PATH, HOME: dir, ...env },
        encoding: 'utf8',
        timeout: 20_000,
      });

    it('resolves the env credentials the Lambda runtime provides', () => {
      // WHEN
      const r = run({
        AWS_ACCESS_KEY_ID: 'AKIDLAMBDAEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret-example',
        AWS_SESSION_TOKEN: 'token-example',
      });

      // THEN
      expect(r.stdout).toBe('OK AKIDLAMBDAEXAMPLE');
      expect(r.status).toBe(0);
    });

    it('fails fast, naming the missing provider, without env credentials', () => {
      // WHEN: no env credentials; the chain reaches the profile provider.
      const r = run({});

      // THEN: no hang and no call to an instance metadata endpoint.
      expect(r.error).toBeUndefined();
      expect(r.status).toBe(3);
      expect(r.stdout).toMatch(/^ERR .*@aws-sdk\/credential-provider-ini/);
    });
  });

  describe('a Bedrock call from a bundle built like the Lambda', () => {
    let fake: FakeBedrockServer;
    let probe: string;

    beforeAll(async () => {
      fake = await startFakeBedrock();
      probe = await buildProbe('bedrock-probe', [
        `import { createBedrockAdapter } from ${JSON.stringify(join(ROOT, 'lambdas/core/providers/bedrock/adapter'))};`,
        `const model = ${JSON.stringify(bedrockModel())};`,
        "const request = { model: model.id, messages: [{ role: 'user', content: 'Hello' }], stream: false };",
        "const adapter = createBedrockAdapter({ id: model.provider, region: 'eu-central-1', endpoint: process.env.FAKE_URL });",
        'const call = { signal: new AbortController().signal, requestId: "probe" };',
        '(async () => {',
        '  const r = await adapter.chat(request, model, call);',
        '  let streamed = "";',
        '  for await (const ev of adapter.chatStream({ ...request, stream: true }, model, call))',
        '    if (ev.type === "text") streamed += ev.text;',
        '  process.stdout.write(JSON.stringify({ content: r.content, streamed }));',
        '  process.exit(0);',
        "})().catch((e) => { process.stdout.write('ERR ' + e.message); process.exit(3); });",
      ]);
    });

    afterAll(() => fake.close());

    it('signs with the env credentials and reads Converse and ConverseStream', async () => {
      // WHEN: only what the Lambda runtime provides, and the fake's URL.
      // Async: the fake answers from this process, so it must not block.
      const r = await new Promise<{ stdout: string; status: number | null }>(
        (resolve) => {
          const child = execFile(
            process.execPath,
            [probe],
            {
              env: {
                PATH: process.env.PATH,
                HOME: dir,
                AWS_ACCESS_KEY_ID: 'AKIDLAMBDAEXAMPLE',
                AWS_SECRET_ACCESS_KEY: 'secret-example',
                AWS_SESSION_TOKEN: 'token-example',
                FAKE_URL: fake.url,
                NODE_NO_WARNINGS: '1',
              },
              encoding: 'utf8',
              timeout: 20_000,
            },
            (_err, stdout) => resolve({ stdout, status: child.exitCode })
          );
        }
      );

      // THEN: no left-out provider was needed on the way
      expect(r.stdout).toBe(
        JSON.stringify({ content: 'echo: Hello', streamed: 'echo: Hello' })
      );
      expect(r.status).toBe(0);
      // SigV4 with the role's env credentials (and its session token)
      const signed = fake.requests.map((q) => ({
        authorization: String(q.headers.authorization),
        token: q.headers['x-amz-security-token'],
      }));
      expect(signed).toHaveLength(2);
      for (const h of signed) {
        expect(h.authorization).toMatch(
          /^AWS4-HMAC-SHA256 Credential=AKIDLAMBDAEXAMPLE\/\d{8}\/eu-central-1\/bedrock\/aws4_request/
        );
        expect(h.token).toBe('token-example');
      }
    });
  });
});
