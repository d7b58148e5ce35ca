import { MemoryLimitCounters } from '../../../lambdas/core/adapters/local/memory-limit-counters';
import type { ResolvedTenant } from '../../../lambdas/core/config/load';
import {
  checkCounters,
  formatReset,
  limitScopes,
  maxTokensCap,
  planCounters,
  rateLimitHeaders,
} from '../../../lambdas/core/limits/limiter';

const tenant: ResolvedTenant = {
  id: 'acme',
  keyHashes: [],
  budgets: {},
  limits: {
    requestsPerMinute: 10,
    tokensPerDay: 1000,
    maxTokensPerRequest: 500,
  },
  teams: {
    core: {
      budgets: {},
      limits: { requestsPerMinute: 5, maxTokensPerRequest: 300 },
    },
  },
  users: {
    bob: { team: 'core', budgets: {}, limits: { requestsPerMinute: 2 } },
  },
  userDefaults: { budgets: {}, limits: { tokensPerDay: 100 } },
};
const NOW = Date.UTC(2026, 11, 3, 10, 15, 20, 500);

describe('Function: formatReset', () => {
  it.each([
    [250, '250ms'],
    [1000, '1s'],
    [39_500, '40s'],
    [360_000, '6m0s'],
    [3_723_000, '1h2m3s'],
  ])('formats %i ms as %s (OpenAI style)', (ms, text) => {
    expect(formatReset(ms)).toBe(text);
  });
});

describe('Function: limitScopes', () => {
  it('caps a listed user by the tenant, the team and the user', () => {
    expect(limitScopes(tenant, 'bob').map((s) => `${s.kind}:${s.id}`)).toEqual([
      'tenant:acme',
      'team:core',
      'user:bob',
    ]);
  });

  it('caps an unlisted user by userDefaults', () => {
    const scopes = limitScopes(tenant, 'eve');
    expect(scopes.map((s) => s.kind)).toEqual(['tenant', 'user']);
    expect(scopes[1]!.caps).toEqual({ tokensPerDay: 100 });
  });

  it('caps a request without user by the tenant only', () => {
    expect(limitScopes(tenant, undefined)).toHaveLength(1);
  });
});

describe('Function: planCounters', () => {
  it('plans one counter per capped metric and scope, in fixed UTC windows', () => {
    // Act
    const counters = planCounters(tenant, limitScopes(tenant, 'bob'), 42, NOW);

    // Assess
    const minute = Math.floor(NOW / 60_000);
    expect(counters.map((c) => [c.key, c.amount, c.limit])).toEqual([
      [`acme#rpm#${minute}`, 1, 10],
      ['acme#tpd#2026-12-03', 42, 1000],
      [`acme#team:core#rpm#${minute}`, 1, 5],
      [`acme#user:bob#rpm#${minute}`, 1, 2],
    ]);
    expect(counters[0]!.resetAtMs).toBe(Date.UTC(2026, 11, 3, 10, 16));
    expect(counters[1]!.resetAtMs).toBe(Date.UTC(2026, 11, 4));
    expect(counters[0]!.expiresAt).toBeGreaterThan(
      counters[0]!.resetAtMs / 1000
    );
  });

  it('escapes user ids so they cannot forge another key', () => {
    const counters = planCounters(
      tenant,
      limitScopes(tenant, 'x#rpm#1'),
      1,
      NOW
    );
    expect(counters[2]!.key).toContain('user:x%23rpm%231#tpd#');
  });
});

describe('Function: maxTokensCap', () => {
  it('takes the smallest of the tier default and every scope', () => {
    expect(maxTokensCap(limitScopes(tenant, 'bob'), 1000)).toBe(300);
    expect(maxTokensCap(limitScopes(tenant, undefined), 200)).toBe(200);
    expect(maxTokensCap([], undefined)).toBeUndefined();
  });
});

describe('Function: checkCounters', () => {
  it('is all or nothing: a refused counter gives back the others', async () => {
    // Prepare: bob's own limit is 2 per minute
    const store = new MemoryLimitCounters(() => NOW);
    const counters = planCounters(tenant, limitScopes(tenant, 'bob'), 10, NOW);

    // Act
    const verdicts = [];
    for (let i = 0; i < 3; i++)
      verdicts.push(await checkCounters(store, counters));

    // Assess: the third is refused by the user scope and consumed nothing anywhere
    expect(verdicts.map((v) => v.ok)).toEqual([true, true, false]);
    const refused = verdicts[2]!;
    expect(
      !refused.ok && refused.refused.map((r) => r.counter.scope.kind)
    ).toEqual(['user']);
    expect(store.current(counters[0]!.key)).toBe(2);
    expect(store.current(counters[1]!.key)).toBe(20);
    expect(store.current(counters[2]!.key)).toBe(2);
  });

  it('reports the tightest scope in the headers', async () => {
    // Prepare
    const store = new MemoryLimitCounters(() => NOW);
    const counters = planCounters(tenant, limitScopes(tenant, 'bob'), 10, NOW);
    // Act
    const v = await checkCounters(store, counters);
    const headers = rateLimitHeaders(v.states, NOW);
    // Assess: bob (1 of 2 left) is tighter than the team (4 of 5) and tenant (9 of 10)
    expect(headers).toEqual({
      'x-ratelimit-limit-requests': '2',
      'x-ratelimit-remaining-requests': '1',
      'x-ratelimit-reset-requests': '40s',
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '990',
      'x-ratelimit-reset-tokens': '13h44m40s',
    });
  });

  it('gives back what it added and rethrows when the store fails', async () => {
    // Prepare
    const store = new MemoryLimitCounters(() => NOW);
    const counters = planCounters(
      tenant,
      limitScopes(tenant, undefined),
      10,
      NOW
    );
    const failing = {
      tryAdd: (add: (typeof counters)[number]) =>
        add.key.includes('tpd')
          ? Promise.reject(new Error('down'))
          : store.tryAdd(add),
      add: store.add.bind(store),
    };
    // Act / Assess
    await expect(checkCounters(failing, counters)).rejects.toThrow('down');
    expect(store.current(counters[0]!.key)).toBe(0);
  });
});
