import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpOpsBackend, type OpsBackend } from '../../scripts/ops/backend';
import { reconcileBudgets } from '../../scripts/ops/budget';
import { type OpsIo, runOps } from '../../scripts/ops/cli';
import { call, startTestGateway, TEST_KEY } from '../helpers/gateway';

const ADMIN_KEY = 'admin-key-for-ops-budget-0000';

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

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++)
    await new Promise((r) => setTimeout(r, 20));
}

describe('ops budget report | reconcile', () => {
  it('reports each capped level and reconciles the ledger with the decision log, listing differences', async () => {
    // GIVEN a gateway with a tenant-, team- and user-capped tenant and a JSONL decision log
    const dir = mkdtempSync(join(tmpdir(), 'ops-budget-'));
    const log = join(dir, 'decisions.jsonl');
    const gw = await startTestGateway(
      {
        providers: { echo: { type: 'echo' } },
        models: [
          {
            id: 'echo',
            provider: 'echo',
            providerModelId: 'echo',
            pricing: { inputPer1M: 100, outputPer1M: 200 },
          },
        ],
        tenants: [
          {
            id: 'acme',
            apiKeys: [TEST_KEY],
            budgets: { dailyUsd: 5, monthlyUsd: 50 },
            teams: { eng: { budgets: { dailyUsd: 2 } } },
            users: { alice: { team: 'eng', budgets: { dailyUsd: 1 } } },
          },
        ],
      },
      { env: { GATEWAY_ADMIN_KEY: ADMIN_KEY }, decisionLogPath: log }
    );
    const backend = async (): Promise<OpsBackend> =>
      new HttpOpsBackend(gw.url, ADMIN_KEY);
    try {
      for (const user of ['alice', 'alice', undefined]) {
        const res = await call(gw, '/v1/chat/completions', {
          body: {
            model: 'echo',
            max_tokens: 20,
            messages: [{ role: 'user', content: 'hello budget' }],
            ...(user ? { user } : {}),
          },
        });
        expect(res.status).toBe(200);
        await res.text();
      }
      await waitFor(
        () => readFileSync(log, 'utf8').trim().split('\n').length === 3
      );

      // WHEN the report runs
      const report = io();
      expect(
        await runOps(['budget', 'report', '--json'], report, backend)
      ).toBe(0);
      const rows = JSON.parse(report.outText.join(''));
      // THEN tenant day+month, team day, user day are listed with their caps
      expect(
        rows.map(
          (r: { scope: string; period: string }) => `${r.scope}/${r.period}`
        )
      ).toEqual(['tenant/day', 'team/day', 'user/day', 'tenant/month']);
      expect(rows[0]).toMatchObject({
        tenant: 'acme',
        cap_usd: 5,
        reserved_usd: 0,
      });
      expect(rows[0].spent_usd).toBeGreaterThan(0);
      const human = io();
      await runOps(['budget', 'report'], human, backend);
      expect(human.outText.join('\n')).toMatch(
        /acme\s+user alice\s+day \d{4}-\d\d-\d\d/
      );

      // WHEN reconcile compares with the decision log: they agree
      const ok = io();
      expect(
        await runOps(['budget', 'reconcile', '--decisions', log], ok, backend)
      ).toBe(0);
      expect(ok.outText.join('\n')).toMatch(/agree \(1 tenant-days\)/);

      // WHEN a decision the ledger never saw is in the log: the difference is listed, exit 1
      appendFileSync(
        log,
        `${JSON.stringify({ decision_id: 'x', ts: new Date().toISOString(), tenant: 'acme', cost_usd: 0.5 })}\n`
      );
      const bad = io();
      expect(
        await runOps(['budget', 'reconcile', '--decisions', log], bad, backend)
      ).toBe(1);
      expect(bad.outText.join('\n')).toMatch(
        /1 difference\(s\):[\s\S]*acme[\s\S]*diff -0\.500000/
      );

      // AND reconcile without --decisions is a usage error
      const missing = io();
      expect(await runOps(['budget', 'reconcile'], missing, backend)).toBe(1);
      expect(missing.errText.join('')).toMatch(/--decisions/);
    } finally {
      await gw.close();
    }
  });

  it('lists tenants without a daily cap as n/a, not as differences', () => {
    const r = reconcileBudgets(
      [],
      [{ tenant: 'free', ts: '2026-12-03T10:00:00Z', cost_usd: 0.2 }]
    );
    expect(r.differences).toEqual([]);
    expect(r.rows[0]).toMatchObject({
      tenant: 'free',
      day: '2026-12-03',
      ledger_usd: null,
    });
  });
});
