import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type DynamoDBDocumentClient,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { DynamoModelRegistry } from '../../../lambdas/core/adapters/aws/dynamo-registry';
import { type CliIo, main } from '../../../scripts/registry-cli';
import { LOCAL_AWS, useDynamoDbLocal } from '../../helpers/dynamodb-local';
import { versionInput } from './fixtures';

const ROOT = join(__dirname, '../../..');
const MODELS = join(ROOT, 'registry/models.json');
const ROUTE_SET = join(ROOT, 'registry/route-sets/active-models.json');

const ddb = useDynamoDbLocal();

interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

async function run(argv: string[], io: Partial<CliIo> = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
    env: {},
    now: () => new Date('2026-04-01T00:00:00.000Z'),
    ...io,
  });
  return { code, out, err };
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'registry-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeJson(name: string, value: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(
    file,
    typeof value === 'string' ? value : JSON.stringify(value)
  );
  return file;
}

async function repoModels(): Promise<{ models: Record<string, unknown>[] }> {
  return JSON.parse(await readFile(MODELS, 'utf8'));
}

describe('Function: main', () => {
  describe('Command: validate', () => {
    it('accepts the repo documents', async () => {
      // Act
      const r = await run(['validate', MODELS, ROUTE_SET]);

      // Assess
      expect(r).toEqual({ code: 0, out: ['ok: 2 document(s) valid'], err: [] });
    });

    it('names every bad field by path and exits 1', async () => {
      // Prepare
      const registry = await writeJson('bad-models.json', {
        models: [
          {
            id: 'a',
            provider: 'bedrock',
            providerModelId: 'x',
            status: 'live',
          },
          { id: 'b', provider: 'llama-api', providerModelId: 'y' },
          {
            id: 'c',
            provider: 'gemini',
            providerModelId: 'z',
            pricing: { inputPer1M: -1, outputPer1M: 1 },
          },
        ],
      });
      const routeSet = await writeJson('bad-route-set.json', {
        name: 'Active Models',
        models: [{ id: 'a' }, { id: 'a', version: 0 }],
      });

      // Act
      const r = await run(['validate', registry, routeSet]);

      // Assess
      expect(r.code).toBe(1);
      expect(r.out).toEqual([
        expect.stringMatching(
          /bad-models\.json: models\[0\]\.status: Invalid option/
        ),
        expect.stringMatching(
          /bad-models\.json: models\[2\]\.pricing\.inputPer1M: Too small/
        ),
        `${registry}: models[1].providerType: required when provider "llama-api" is not one of bedrock, gemini, openai-compatible, echo`,
        `${routeSet}: name: must match [a-z0-9-]{1,64}`,
        expect.stringMatching(
          /bad-route-set\.json: models\[1\]\.version: Too small/
        ),
        `${routeSet}: models[1].id: duplicate model id "a"`,
        '6 problem(s) in 2 of 2 document(s)',
      ]);
    });

    it('checks route sets against the registry documents given', async () => {
      // Prepare
      const routeSet = await writeJson('ghost-route-set.json', {
        name: 'active-models',
        models: [{ id: 'claude-sonnet' }, { id: 'ghost' }],
      });

      // Act
      const alone = await run(['validate', routeSet]);
      const withRegistry = await run(['validate', MODELS, routeSet]);

      // Assess
      expect(alone.code).toBe(0);
      expect(withRegistry.code).toBe(1);
      expect(withRegistry.out[0]).toBe(
        `${routeSet}: models[1].id: unknown model "ghost" (not in the registry)`
      );
    });

    it('reports unreadable, non-JSON and unrecognisable files', async () => {
      // Prepare
      const garbage = await writeJson('garbage.json', '{"models": [');
      const other = await writeJson('other.json', { hello: 'world' });

      // Act
      const r = await run([
        'validate',
        join(dir, 'missing.json'),
        garbage,
        other,
      ]);

      // Assess
      expect(r.code).toBe(1);
      expect(r.out.slice(0, 3)).toEqual([
        `${join(dir, 'missing.json')}: <root>: cannot read (no such file)`,
        expect.stringMatching(/garbage\.json: <root>: not valid JSON/),
        expect.stringMatching(
          /other\.json: <root>: neither a registry document/
        ),
      ]);
    });

    it('prints machine output with --json', async () => {
      // Prepare
      const routeSet = await writeJson('json-route-set.json', {
        name: 'x',
        models: 'all',
      });

      // Act
      const r = await run(['validate', '--json', MODELS, routeSet]);

      // Assess
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out[0]!)).toEqual({
        ok: false,
        files: [
          { file: MODELS, kind: 'registry', problems: [] },
          {
            file: routeSet,
            kind: 'route-set',
            problems: [expect.stringMatching(/^models: /)],
          },
        ],
      });
    });
  });

  describe('Usage', () => {
    it.each([
      [[]],
      [['frob']],
      [['validate']],
      [['validate', '--nope', 'x.json']],
      [['diff', MODELS]],
      [['seed', MODELS, MODELS, '--table', 't']],
      [['diff', MODELS, '--table', 't', '--dry-run']],
    ])('exits 2 with the usage for %j', async (argv) => {
      // Act
      const r = await run(argv);

      // Assess
      expect(r.code).toBe(2);
      expect(r.err[0]).toMatch(/^error: /);
      expect(r.err[1]).toMatch(/^usage: npm run registry/);
      expect(r.err.join('\n')).not.toMatch(/\n\s+at /);
    });

    it('refuses a route set where a registry document is needed', async () => {
      // Act
      const r = await run(['seed', ROUTE_SET, '--table', 't'], {
        documentClient: ddb.documentClient(),
      });

      // Assess
      expect(r.code).toBe(1);
      expect(r.err).toEqual([
        `error: ${ROUTE_SET}: a route set; diff and seed take a registry document`,
      ]);
    });
  });

  describe('Commands: diff and seed (DynamoDB Local)', () => {
    let table: string;
    let client: DynamoDBDocumentClient;

    beforeEach(async () => {
      table = await ddb.createTable('cli');
      client = ddb.documentClient();
    });

    it('seeds a fresh table, then finds nothing to change', async () => {
      // Act
      const seeded = await run(
        ['seed', MODELS, '--table', table, '--by', 'ci'],
        {
          documentClient: client,
        }
      );
      const diff = await run(['diff', MODELS, '--table', table, '--json'], {
        documentClient: client,
      });

      // Assess
      expect(seeded.code).toBe(0);
      expect(seeded.out).toContain('wrote claude-sonnet v1 (new)');
      expect(seeded.out.at(-1)).toBe(
        `12 written, 0 failed, 0 unchanged (table ${table})`
      );
      const latest = await new DynamoModelRegistry({
        tableName: table,
        client,
      }).listLatest();
      expect(latest).toHaveLength(12);
      expect(latest.find((v) => v.modelId === 'claude-sonnet')).toMatchObject({
        createdBy: 'ci',
        createdAt: '2026-04-01T00:00:00.000Z',
        guardrailProfile: 'legal',
        tokenLimit: 160000,
        config: { region: 'eu', providerType: 'bedrock' },
      });
      expect(JSON.parse(diff.out[0]!)).toMatchObject({
        added: [],
        changed: [],
        removed: [],
        unchanged: expect.arrayContaining([{ id: 'gemini-pro', version: 1 }]),
      });
    });

    it('shows field-level changes, and seeds only changed and new models', async () => {
      // Prepare
      await run(['seed', MODELS], { documentClient: client }).then((r) =>
        expect(r.code).toBe(2)
      );
      await run(['seed', MODELS, '--table', table], { documentClient: client });
      const doc = await repoModels();
      const claude = doc.models.find((m) => m.id === 'claude-sonnet')!;
      claude.pricing = { inputPer1M: 2.5, outputPer1M: 15 };
      claude.status = 'canary';
      delete claude.tokenLimit;
      doc.models = doc.models.filter((m) => m.id !== 'nova-lite');
      doc.models.push({
        id: 'mistral',
        provider: 'bedrock',
        providerModelId: 'eu.mistral.pixtral-large-2502-v1:0',
      });
      const file = await writeJson('changed-models.json', doc);

      // Act
      const diff = await run(['diff', file, '--table', table], {
        documentClient: client,
      });
      const dry = await run(['seed', file, '--table', table, '--dry-run'], {
        documentClient: client,
      });
      const afterDry = await run(['diff', file, '--table', table, '--json'], {
        documentClient: client,
      });
      const seeded = await run(['seed', file, '--table', table, '--json'], {
        documentClient: client,
      });

      // Assess
      expect(diff.code).toBe(0);
      expect(diff.out).toEqual([
        '+ mistral: new model',
        '~ claude-sonnet (table v1): pricing.inputPer1M: 3 -> 2.5',
        '~ claude-sonnet (table v1): status: "active" -> "canary"',
        '~ claude-sonnet (table v1): tokenLimit: 160000 -> (absent)',
        '- nova-lite (table v1): in the table, not in the file',
        '1 added, 1 changed, 1 only in the table, 10 unchanged',
      ]);
      expect(dry.out).toEqual(
        expect.arrayContaining([
          'would write mistral v1 (new)',
          'would write claude-sonnet v2 (was v1)',
          '  nova-lite: only in the table, left alone (set its status to deprecated to retire it)',
        ])
      );
      expect(JSON.parse(afterDry.out[0]!).added).toEqual(['mistral']);
      expect(seeded.code).toBe(0);
      expect(JSON.parse(seeded.out[0]!)).toMatchObject({
        dryRun: false,
        written: [
          { id: 'mistral', version: 1, previous: 0 },
          { id: 'claude-sonnet', version: 2, previous: 1 },
        ],
        failed: [],
        leftAlone: ['nova-lite'],
      });
      const history = await new DynamoModelRegistry({
        tableName: table,
        client,
      }).history('claude-sonnet');
      expect(
        history.map((v) => [v.version, v.config.status, v.tokenLimit])
      ).toEqual([
        [2, 'canary', undefined],
        [1, 'active', 160000],
      ]);
    });

    it('reports a model another writer changed meanwhile, and exits 1', async () => {
      // Prepare
      await run(['seed', MODELS, '--table', table], { documentClient: client });
      const doc = await repoModels();
      doc.models[0]!.quality = 0.95;
      const file = await writeJson('race-models.json', doc);
      const rival = new DynamoModelRegistry({ tableName: table, client });
      let raced = false;
      const racing = {
        send: async (command: unknown) => {
          if (command instanceof TransactWriteCommand && !raced) {
            raced = true;
            await rival.putVersion(versionInput('claude-sonnet'), 1);
          }
          return client.send(command as never);
        },
      } as unknown as DynamoDBDocumentClient;

      // Act
      const r = await run(['seed', file, '--table', table], {
        documentClient: racing,
      });

      // Assess
      expect(r.code).toBe(1);
      expect(r.out).toContain(
        '! claude-sonnet: conflict: changed in the table since it was read (expected v1); run seed again'
      );
      const [latest] = await rival.history('claude-sonnet');
      expect(latest).toMatchObject({ version: 2, createdBy: 'tester' });
    });

    it('builds its client from the environment (AWS_ENDPOINT_URL_DYNAMODB)', async () => {
      // Act
      const r = await run(['seed', MODELS, '--table', table, '--json'], {
        env: {
          AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint(),
          AWS_REGION: LOCAL_AWS.region,
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
        },
      });

      // Assess
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out[0]!).written).toHaveLength(12);
    });

    it('prints one line, no stack, for a missing table', async () => {
      // Act
      const r = await run(['diff', MODELS, '--table', 'no-such-table'], {
        documentClient: client,
      });

      // Assess
      expect(r.code).toBe(1);
      expect(r.err).toEqual([
        expect.stringMatching(
          /^error: registry table: ResourceNotFoundException: /
        ),
      ]);
    });
  });

  describe('Entry point', () => {
    it('runs under tsx and exits with the code of main', async () => {
      // Prepare
      const bad = await writeJson('entry-bad.json', { models: [{ id: 'x' }] });
      const tsx = join(ROOT, 'node_modules/.bin/tsx');
      const script = join(ROOT, 'scripts/registry-cli.ts');

      // Act
      const ok = await promisify(execFile)(tsx, [script, 'validate', MODELS]);
      const failed = await promisify(execFile)(tsx, [
        script,
        'validate',
        bad,
      ]).catch((e: { code: number; stdout: string }) => e);

      // Assess
      expect(ok.stdout).toBe('ok: 1 document(s) valid\n');
      expect(failed).toMatchObject({
        code: 1,
        stdout: expect.stringContaining('models[0].provider: '),
      });
    }, 30_000);
  });
});
