import { DynamoBudgetLedger } from '../../lambdas/core/adapters/aws/dynamo-budget-ledger';
import { MemoryBudgetLedger } from '../../lambdas/core/adapters/local/memory-budget-ledger';
import { budgetLevels } from '../../lambdas/core/budget/levels';
import type { BudgetLedger } from '../../lambdas/core/budget/types';
import { resolveConfig } from '../../lambdas/core/config/load';
import type { GatewayConfigFile } from '../../lambdas/core/config/schema';
import { createEchoAdapter } from '../../lambdas/core/providers/echo';
import { ProviderUnavailableError } from '../../lambdas/core/providers/errors';
import { useDynamoDbLocal } from '../helpers/dynamodb-local';
import { call, json, startTestGateway, TEST_KEY } from '../helpers/gateway';

/**
 * Budgets end to end through the local gateway (the Lambda's handler):
 * headers, the 429 refusal, cheaper fallback, the stream cut, and many
 * concurrent requests at the edge on the memory and DynamoDB ledgers.
 */

const ddb = useDynamoDbLocal();

type Tenant = NonNullable<GatewayConfigFile['tenants']>[number];

/** `pricey` ($1,000 per 1M tokens: 1 token = $0.001) beats `cheap` on quality; both echo. */
function budgetConfig(
  tenant: Partial<Tenant> = {},
  budgets: GatewayConfigFile['budgets'] = {}
): GatewayConfigFile {
  return {
    providers: { echo: { type: 'echo' }, echo2: { type: 'echo' } },
    models: [
      {
        id: 'pricey',
        provider: 'echo',
        providerModelId: 'echo',
        aliases: ['group'],
        capabilities: ['tools', 'streaming'],
        maxOutputTokens: 1000,
        pricing: { inputPer1M: 1000, outputPer1M: 1000 },
        quality: 0.99,
      },
      {
        id: 'cheap',
        provider: 'echo2',
        providerModelId: 'echo',
        aliases: ['group'],
        capabilities: ['tools', 'streaming'],
        maxOutputTokens: 1000,
        pricing: { inputPer1M: 10, outputPer1M: 10 },
        quality: 0.01,
      },
    ],
    tenants: [
      {
        id: 'acme',
        apiKeys: [TEST_KEY],
        tier: 'premium',
        budgets: { dailyUsd: 0.05 },
        ...tenant,
      },
    ],
    routing: {
      weights: {
        premium: { quality: 1, cost: 0, latency: 0, domain: 0 },
      },
      banditWeight: 0,
    },
    budgets,
  };
}

const hi = (extra: Record<string, unknown> = {}) => ({
  model: 'group',
  max_tokens: 10,
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});

describe('Budgets end to end', () => {
  it('answers with cost and remaining budget, falls back to the cheaper model, then refuses with 429 budget_exceeded', async () => {
    const gw = await startTestGateway(budgetConfig());
    try {
      const served: string[] = [];
      let refusal: Response | undefined;
      for (let i = 0; i < 200 && !refusal; i++) {
        const res = await call(gw, '/v1/chat/completions', { body: hi() });
        if (res.status === 429) {
          refusal = res;
          break;
        }
        expect(res.status).toBe(200);
        expect(Number(res.headers.get('x-gateway-cost-usd'))).toBeGreaterThan(
          0
        );
        expect(
          Number(res.headers.get('x-gateway-budget-remaining-usd'))
        ).toBeLessThanOrEqual(0.05);
        served.push(res.headers.get('x-gateway-model')!);
        await res.text();
      }
      // The quality-first policy picks pricey until its worst case no longer fits.
      expect(served[0]).toBe('pricey');
      expect(served).toContain('cheap');
      expect(served.indexOf('cheap')).toBeGreaterThan(0);
      expect(served.slice(served.indexOf('cheap'))).not.toContain('pricey');
      // Finally even cheap stops at the 95% shutdown threshold.
      expect(refusal).toBeDefined();
      const body = await json(refusal!);
      expect(body.error).toMatchObject({
        type: 'insufficient_quota',
        code: 'budget_exceeded',
      });
      expect(body.error.message).toMatch(/tenant daily budget/);
      expect(body.error.message).toMatch(/resets at \d{4}-\d\d-\d\dT00:00:00/);
      const retryAfter = Number(refusal!.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(86_400);
      expect(refusal!.headers.get('x-gateway-budget-scope')).toBe('tenant');
      expect(refusal!.headers.get('x-gateway-budget-remaining-usd')).not.toBe(
        null
      );
      // Alerts fired once each, as log lines (and the BudgetAlert metric).
      const alerts = gw.log.lines.filter((l) => l.message === 'budget alert');
      expect(
        alerts.map(
          (l) => (l.attributes[0] as { thresholdPct: number }).thresholdPct
        )
      ).toEqual([50, 75, 90, 95]);
      const metrics = await (await call(gw, '/metrics')).text();
      expect(metrics).toMatch(/gateway_events_total\{name="BudgetAlert"/);
      expect(metrics).toMatch(
        /gateway_gauge\{name="BudgetUsedPct",detail="acme"\} 9\d/
      );
    } finally {
      await gw.close();
    }
  });

  it('refuses at once without cheaper fallback, naming the user budget', async () => {
    const gw = await startTestGateway(
      budgetConfig(
        {
          budgets: {},
          users: { alice: { budgets: { dailyUsd: 0.01 } } },
        },
        { cheaperFallback: false }
      )
    );
    try {
      // pricey's worst case ((5 + 13) tokens x $0.001 = $0.018) is above alice's $0.01
      const res = await call(gw, '/v1/chat/completions', {
        body: hi({ user: 'alice' }),
      });
      expect(res.status).toBe(429);
      const body = await json(res);
      expect(body.error.code).toBe('budget_exceeded');
      expect(body.error.message).toMatch(/user daily budget of "alice"/);
      // bob has no cap at all: unlimited
      const bob = await call(gw, '/v1/chat/completions', {
        body: hi({ user: 'bob' }),
      });
      expect(bob.status).toBe(200);
      expect(bob.headers.get('x-gateway-budget-remaining-usd')).toBe(
        'unlimited'
      );
    } finally {
      await gw.close();
    }
  });

  it('cuts a stream whose running cost would pass its reservation: finish_reason length, then an error event', async () => {
    const ledger = new MemoryBudgetLedger();
    const gw = await startTestGateway(
      budgetConfig({ allowedModels: ['pricey'], budgets: { dailyUsd: 10 } }),
      { budgetLedger: ledger }
    );
    try {
      // The echo model ignores max_tokens and repeats 40 words: far past 2 tokens.
      const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
      const res = await call(gw, '/v1/chat/completions', {
        body: {
          model: 'pricey',
          stream: true,
          stream_options: { include_usage: true },
          max_tokens: 2,
          messages: [{ role: 'user', content: words }],
        },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-gateway-budget-remaining-usd')).not.toBe(null);
      const text = await res.text();
      const events = text
        .split('\n\n')
        .filter((e) => e.startsWith('data: '))
        .map((e) => e.slice(6));
      expect(events).not.toContain('[DONE]');
      const parsed = events.map((e) => JSON.parse(e));
      const finish = parsed.find((c) => c.choices?.[0]?.finish_reason);
      expect(finish.choices[0].finish_reason).toBe('length');
      const last = parsed[parsed.length - 1];
      expect(last.error).toMatchObject({
        type: 'insufficient_quota',
        code: 'budget_exceeded',
      });
      const content = parsed
        .map((c) => c.choices?.[0]?.delta?.content ?? '')
        .join('');
      expect(content.length).toBeGreaterThan(0);
      expect(content.length).toBeLessThan(words.length);
      // Settled at the estimate, within the reservation; nothing left reserved.
      const config = resolveConfig(
        budgetConfig({ budgets: { dailyUsd: 10 } }),
        {},
        't'
      );
      const [b] = await ledger.balances(
        budgetLevels(config.tenants[0]!, undefined, Date.now())
      );
      expect(b!.reservedNanos).toBe(0);
      expect(b!.spentNanos).toBeGreaterThan(0);
    } finally {
      await gw.close();
    }
  });

  it('/v1/stats shows cost per tenant and model, only the caller’s own', async () => {
    const OTHER = 'sk-other-tenant-key-0002';
    const gw2 = await startTestGateway({
      ...budgetConfig({ allowedModels: ['pricey'] }),
      tenants: [
        { id: 'acme', apiKeys: [TEST_KEY], tier: 'premium' },
        { id: 'other', apiKeys: [OTHER], tier: 'premium' },
      ],
    });
    try {
      for (let i = 0; i < 2; i++)
        await (await call(gw2, '/v1/chat/completions', { body: hi() })).text();
      const mine = await json(await call(gw2, '/v1/stats'));
      expect(mine.cost_usd).toEqual({
        acme: { pricey: { cost_usd: 0.014, requests: 2 } },
      });
      const theirs = await json(await call(gw2, '/v1/stats', { key: OTHER }));
      expect(theirs.cost_usd).toEqual({});
    } finally {
      await gw2.close();
    }
  });

  it('releases the reservation on a failover (only the serving model is charged) and when the client goes away', async () => {
    const ledger = new MemoryBudgetLedger();
    const file = budgetConfig({ budgets: { dailyUsd: 10 } });
    const config = resolveConfig(file, {}, 't');
    const levels = budgetLevels(config.tenants[0]!, undefined, Date.now());
    // pricey's provider fails before answering; cheap (echo2) answers after 300 ms
    const adapters = new Map([
      [
        'echo',
        {
          ...createEchoAdapter({ id: 'echo' }),
          chat: async () => {
            throw new ProviderUnavailableError('echo', 'down');
          },
        },
      ],
      ['echo2', createEchoAdapter({ id: 'echo2', latencyMs: 300 })],
    ]);
    const gw = await startTestGateway(file, { budgetLedger: ledger, adapters });
    try {
      const res = await call(gw, '/v1/chat/completions', { body: hi() });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-gateway-model')).toBe('cheap');
      await res.text();
      let [b] = await ledger.balances(levels);
      // (5 + 2) tokens at $10/1M on cheap; pricey's hold was released
      expect(b).toMatchObject({ spentNanos: 70_000, reservedNanos: 0 });
      // WHEN the client goes away while cheap is still thinking
      await expect(
        fetch(`${gw.url}/v1/chat/completions`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${TEST_KEY}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify(hi()),
          signal: AbortSignal.timeout(100),
        })
      ).rejects.toThrow();
      for (let i = 0; i < 50; i++) {
        [b] = await ledger.balances(levels);
        if (b!.reservedNanos === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      // THEN the reservation is released, nothing spent
      expect(b).toMatchObject({ spentNanos: 70_000, reservedNanos: 0 });
    } finally {
      await gw.close();
    }
  });

  it('fails closed with 503 budget_unavailable when the ledger cannot be reached', async () => {
    const broken = new MemoryBudgetLedger();
    broken.reserve = async () => {
      throw new Error('ledger down');
    };
    const gw = await startTestGateway(budgetConfig(), { budgetLedger: broken });
    try {
      const res = await call(gw, '/v1/chat/completions', { body: hi() });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect((await json(res)).error.code).toBe('budget_unavailable');
      expect(gw.log.text()).toContain('budget reserve failed');
      // the provider slot taken for the attempt was given back: the next request is admitted
      const again = await call(gw, '/v1/chat/completions', { body: hi() });
      expect(again.status).toBe(503);
      await again.text();
    } finally {
      await gw.close();
    }
  });

  const ledgers: [string, () => Promise<BudgetLedger>][] = [
    ['memory', async () => new MemoryBudgetLedger()],
    [
      'DynamoDB Local',
      async () =>
        new DynamoBudgetLedger({
          tableName: await ddb.createTable('usage-e2e'),
          client: ddb.documentClient(),
          maxConflictRetries: 40,
        }),
    ],
  ];

  it.each(ledgers)(
    '300 concurrent HTTP requests at the edge: spend stays at or under the cap, no reservation leaks (%s ledger)',
    async (_name, make) => {
      const ledger = await make();
      const file = budgetConfig(
        { allowedModels: ['pricey'], budgets: { dailyUsd: 0.5 } },
        { shutdownThresholdPct: 100 }
      );
      const gw = await startTestGateway(file, { budgetLedger: ledger });
      try {
        const statuses = await Promise.all(
          Array.from({ length: 300 }, async (_, i) => {
            const stream = i % 2 === 0;
            const res = await call(gw, '/v1/chat/completions', {
              body: hi({ stream }),
            });
            const text = await res.text();
            // A stream committed by a keep-alive refuses in-band (status 200).
            if (stream && res.status === 200 && !text.includes('[DONE]')) {
              expect(text).toContain('budget_exceeded');
              return 429;
            }
            return res.status;
          })
        );
        const ok = statuses.filter((s) => s === 200).length;
        const refused = statuses.filter((s) => s === 429).length;
        expect(ok + refused).toBe(300);
        expect(refused).toBeGreaterThan(0);
        const tenant = resolveConfig(file, {}, 't').tenants[0]!;
        const levels = budgetLevels(tenant, undefined, Date.now());
        // Settles run after the answer went out: give the last ones a moment.
        let [b] = await ledger.balances(levels);
        for (let i = 0; i < 100 && b!.reservedNanos !== 0; i++) {
          await new Promise((r) => setTimeout(r, 50));
          [b] = await ledger.balances(levels);
        }
        expect(b!.spentNanos).toBeLessThanOrEqual(0.5e9);
        expect(b!.reservedNanos).toBe(0);
        // every served request cost (5 + 2) tokens x $0.001
        expect(b!.spentNanos).toBe(ok * 7_000_000);
      } finally {
        await gw.close();
      }
    },
    120_000
  );
});
