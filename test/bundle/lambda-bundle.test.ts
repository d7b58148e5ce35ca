import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_EXTERNAL_MODULES } from '../../lib/bundling';
import { entryPath } from '../../lib/paths';
import { ROUTER_BUNDLE_OPTIONS } from '../../scripts/build-router';
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
    const outfile = join(dir, `${name}.mjs`);
    await build({
      ...ROUTER_BUNDLE_OPTIONS,
      entryPoints: [entry],
      outfile,
      nodePaths: [join(ROOT, 'node_modules')],
      logLevel: 'silent',
    });
    return outfile;
  };

  it.each(['router', 'admin', 'rotation', 'rollback'] as const)(
    '%s: refers to the left-out credential providers only through import()',
    async (name) => {
      // WHEN
      const out = await build({
        ...ROUTER_BUNDLE_OPTIONS,
        entryPoints: [entryPath(name)],
        write: false,
        outdir: dir,
        logLevel: 'silent',
      });
      const code = out.outputFiles.find((f) => f.path.endsWith('.js'))!.text;

      // THEN: a static import would fail the whole module at load.
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
    const code = async (name: 'router' | 'admin') => {
      const out = await build({
        ...ROUTER_BUNDLE_OPTIONS,
        entryPoints: [entryPath(name)],
        write: false,
        outdir: dir,
        logLevel: 'silent',
      });
      return out.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
    };
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
