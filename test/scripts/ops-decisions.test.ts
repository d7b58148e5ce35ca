import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDecisionLog } from '../../lambdas/core/adapters/aws/dynamo-decision-log';
import { awsOpsContext } from '../../scripts/ops/aws';
import {
  ControlPlaneOpsBackend,
  HttpOpsBackend,
  type OpsBackend,
} from '../../scripts/ops/backend';
import { type OpsIo, runOps } from '../../scripts/ops/cli';
import { LOCAL_AWS, useDynamoDbLocal } from '../helpers/dynamodb-local';
import { call, echoConfig, startTestGateway } from '../helpers/gateway';

const ADMIN_KEY = 'admin-key-for-export-tests-01';

function io(): OpsIo & { outText: string[]; errText: string[] } {
  const outText: string[] = [];
  const errText: string[] = [];
  return {
    outText,
    errText,
    out: (t) => outText.push(t),
    err: (t) => errText.push(t),
  };
}

describe('Command: ops decisions export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-export-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('against the admin API', () => {
    let gw: Awaited<ReturnType<typeof startTestGateway>>;
    let backend: () => Promise<OpsBackend>;
    let rated: string;

    beforeAll(async () => {
      gw = await startTestGateway(echoConfig(), {
        env: { GATEWAY_ADMIN_KEY: ADMIN_KEY },
      });
      backend = async () => new HttpOpsBackend(gw.url, ADMIN_KEY);
      for (let i = 0; i < 3; i++) {
        const res = await call(gw, '/v1/chat/completions', {
          body: {
            model: 'auto',
            messages: [{ role: 'user', content: `prompt ${i}` }],
          },
        });
        await res.text();
        rated = res.headers.get('x-gateway-decision-id')!;
      }
      await call(gw, '/v1/feedback', {
        body: { decision_id: rated, thumbs: 'up' },
      });
    });
    afterAll(() => gw.close());

    it('writes every decision as JSONL to --out, with feedback and reward', async () => {
      // Act
      const out = io();
      const file = join(dir, 'all.jsonl');
      const code = await runOps(
        ['decisions', 'export', '--out', file],
        out,
        backend
      );

      // Assess
      expect(code).toBe(0);
      expect(out.outText.join('\n')).toContain('exported 3 decisions');
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      const records = lines.map((l) => JSON.parse(l));
      expect(records).toHaveLength(3);
      for (const r of records) {
        expect(Object.keys(r)).toEqual(
          expect.arrayContaining([
            'decision_id',
            'ts',
            'tenant',
            'context',
            'candidates',
            'chosen',
            'propensity',
            'latency_ms',
            'cost_usd',
            'outcome',
            'reward',
          ])
        );
      }
      expect(records.find((r) => r.decision_id === rated)).toEqual(
        expect.objectContaining({
          reward: 1,
          feedback: expect.objectContaining({ thumbs: 'up', score: 1 }),
        })
      );
      expect(readFileSync(file, 'utf8')).not.toContain('prompt 1');
    });

    it('prints pure JSONL on stdout without --out and filters by tenant and time', async () => {
      // Act
      const all = io();
      await runOps(['decisions', 'export', '--tenant', 'test'], all, backend);
      const none = io();
      await runOps(
        ['decisions', 'export', '--since', '2999-01-01T00:00:00Z'],
        none,
        backend
      );

      // Assess
      expect(all.outText).toHaveLength(3);
      for (const line of all.outText)
        expect(JSON.parse(line).tenant).toBe('test');
      expect(all.errText.join('')).toContain('exported 3 decisions');
      expect(none.outText).toEqual([]);
    });

    it('refuses a bad --since with exit 1 and a clear message', async () => {
      // Act
      const out = io();
      const code = await runOps(
        ['decisions', 'export', '--since', 'last tuesday'],
        out,
        backend
      );

      // Assess
      expect(code).toBe(1);
      expect(out.errText.join('')).toContain(
        '--since must be an ISO date-time, got last tuesday'
      );
    });
  });

  describe('straight from DynamoDB (--env)', () => {
    const ddb = useDynamoDbLocal();
    const ssm = mockClient(SSMClient);
    const saved = { ...process.env };

    afterAll(() => {
      process.env = saved;
      ssm.restore();
    });

    it('reads the decisions table with the caller credentials, filtered by tenant', async () => {
      // Arrange
      const table = await ddb.createTable('export-decisions');
      const log = new DynamoDecisionLog({
        tableName: table,
        client: ddb.documentClient(),
      });
      for (let i = 0; i < 60; i++) {
        log.record({
          decision_id: `d${i}`,
          ts: new Date(Date.UTC(2026, 11, 1, 0, 0, i)).toISOString(),
          tenant: i % 2 ? 'acme' : 'globex',
          context: { domain: 'general', budget_tier: 'standard', tools: false },
          candidates: ['m'],
          chosen: 'm',
          propensity: 1,
          latency_ms: 10,
          cost_usd: 0,
          outcome: 'ok',
          reward: 1,
        });
      }
      await log.flush();
      Object.assign(process.env, {
        GATEWAY_REGISTRY_TABLE: 'unused',
        GATEWAY_AUDIT_TABLE: 'unused',
        GATEWAY_TENANTS_TABLE: 'unused',
        GATEWAY_DECISIONS_TABLE: table,
        AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint(),
        AWS_REGION: LOCAL_AWS.region,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      });
      const backend = async () => {
        const ctx = await awsOpsContext('dev');
        return new ControlPlaneOpsBackend(
          ctx.plane,
          ctx.who,
          ctx.describe,
          ctx.tenants,
          undefined,
          ctx.decisions
        );
      };

      // Act
      const file = join(dir, 'aws.jsonl');
      const out = io();
      const code = await runOps(
        [
          'decisions',
          'export',
          '--env',
          'dev',
          '--tenant',
          'acme',
          '--out',
          file,
        ],
        out,
        backend
      );

      // Assess
      expect(code).toBe(0);
      const ids = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).decision_id as string);
      expect(ids).toHaveLength(30);
      expect(new Set(ids).size).toBe(30);
    });
  });
});
