import { MemoryBudgetAlerts } from '../../../lambdas/core/adapters/local/memory-budget-alerts';
import { MemoryBudgetLedger } from '../../../lambdas/core/adapters/local/memory-budget-ledger';
import { resolveBudgetSettings } from '../../../lambdas/core/budget/config';
import { BudgetGuard } from '../../../lambdas/core/budget/guard';
import { budgetShadowBudget } from '../../../lambdas/core/budget/shadow-budget';
import type { Observation } from '../../../lambdas/core/experiments/types';
import type { ChatCall } from '../../../lambdas/core/gateway/chat-service';
import { ExperimentHooks } from '../../../lambdas/core/gateway/shadow';
import type { GatewayMetrics } from '../../../lambdas/core/ports';
import type { ProviderAdapter } from '../../../lambdas/core/providers/types';
import type { ModelConfig } from '../../../lambdas/core/types';
import { MemoryLog } from '../../helpers/gateway';

const shadowModel = {
  id: 'next',
  provider: 'slow',
  capabilities: [],
  providerType: 'openai-compatible',
  maxOutputTokens: 1000,
  pricing: { inputPer1M: 1, outputPer1M: 2 },
} as unknown as ModelConfig;

function callFor(id: string, tools = false): ChatCall {
  return {
    request: {
      model: 'auto',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      includeUsage: false,
      routing: {},
      ...(tools
        ? { tools: [{ type: 'function', function: { name: 'f' } }] }
        : {}),
    },
    tenant: { id: 'acme' },
    requestId: id,
    plan: {
      decision: { chosen: { model: { id: 'stable' } } },
    },
  } as unknown as ChatCall;
}

function setup(delayMs: number, maxInFlight = 4) {
  const observed: { id: string; bucket: string; o: Observation }[] = [];
  const events: string[] = [];
  const charged: number[] = [];
  let calls = 0;
  const adapter = {
    chat: async (req: { stream: boolean }) => {
      calls++;
      expect(req.stream).toBe(false);
      await new Promise((r) => setTimeout(r, delayMs));
      return {
        content: 'x',
        finishReason: 'stop',
        usage: { promptTokens: 1000, completionTokens: 500, totalTokens: 1500 },
      };
    },
  } as unknown as ProviderAdapter;
  const metrics = {
    request: () => undefined,
    attempt: () => undefined,
    event: (name: string) => events.push(name),
  } as GatewayMetrics;
  const hooks = new ExperimentHooks({
    experiments: {
      shadowTargets: async () => [{ experimentId: 'roll', model: shadowModel }],
      observe: async (id, bucket, o) => {
        observed.push({ id, bucket, o });
      },
    },
    adapters: new Map([['slow', adapter]]),
    metrics,
    log: new MemoryLog(),
    maxInFlight,
    budget: {
      reserve: async () => ({
        settle: async (usd: number) => {
          charged.push(usd);
        },
        release: async () => undefined,
      }),
    },
  });
  return { hooks, observed, events, charged, calls: () => calls };
}

describe('Class: ExperimentHooks (shadow traffic)', () => {
  it('runs the shadow copy detached: the request never waits for it', async () => {
    // Prepare
    const w = setup(300);
    const call = callFor('r1');
    // Act
    const t0 = performance.now();
    w.hooks.started(call);
    w.hooks.finished(call, { ok: true, latencyMs: 12, costUsd: 0.001 });
    const syncMs = performance.now() - t0;
    await w.hooks.drain();
    // Assess
    expect(syncMs).toBeLessThan(20);
    expect(w.observed.map((x) => x.bucket).sort()).toEqual([
      'shadow:candidate',
      'shadow:control',
    ]);
    const shadow = w.observed.find((x) => x.bucket === 'shadow:candidate')!;
    expect(shadow.o.ok).toBe(true);
    expect(shadow.o.latencyMs).toBeGreaterThanOrEqual(250);
    // 1000 in at $1/M + 500 out at $2/M, charged to the tenant and metered.
    expect(w.charged).toEqual([0.002]);
    expect(w.events).toEqual(['ShadowCall', 'ShadowCostUsd']);
  });

  it('drops samples beyond maxInFlight and skips models that lack a needed capability', async () => {
    const w = setup(100, 1);
    const a = callFor('a');
    const b = callFor('b');
    w.hooks.started(a);
    w.hooks.started(b);
    w.hooks.started(callFor('c', true));
    await w.hooks.drain();
    expect(w.calls()).toBe(1);
    expect(w.events).toContain('ShadowDropped');
  });
});

describe('Function: budgetShadowBudget', () => {
  function guard(dailyUsd: number) {
    const ledger = new MemoryBudgetLedger();
    const g = new BudgetGuard({
      ledger,
      settings: resolveBudgetSettings(undefined),
      alerts: new MemoryBudgetAlerts(),
      metrics: {
        request: () => undefined,
        attempt: () => undefined,
        event: () => undefined,
      },
      log: new MemoryLog(),
    });
    const call = {
      ...callFor('s1'),
      tenant: {
        id: 'acme',
        keyHashes: [],
        budgets: { dailyUsd },
        limits: {},
      },
    } as unknown as ChatCall;
    return { ledger, budget: budgetShadowBudget(g), call };
  }

  it('settles a shadow copy on the tenant budget like live spend', async () => {
    // Prepare
    const w = guard(5);
    // Act
    const spend = await w.budget.reserve(w.call, shadowModel);
    await spend!.settle(0.25);
    // Assess
    const [day] = (await w.ledger.list('acme')).filter(
      (b) => b.level.period === 'day'
    );
    expect(day!.spentNanos).toBe(250_000_000);
    expect(day!.reservedNanos).toBe(0);
  });

  it('drops a shadow copy whose worst case does not fit the budget', async () => {
    const w = guard(0.000001);
    expect(await w.budget.reserve(w.call, shadowModel)).toBeUndefined();
  });
});
