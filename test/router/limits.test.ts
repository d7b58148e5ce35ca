import { DynamoLimitCounters } from '../../lambdas/core/adapters/aws/dynamo-limit-counters';
import { MemoryLimitCounters } from '../../lambdas/core/adapters/local/memory-limit-counters';
import type { GatewayConfigFile } from '../../lambdas/core/config/schema';
import type { LimitCounterStore } from '../../lambdas/core/limits/types';
import { useDynamoDbLocal } from '../helpers/dynamodb-local';
import {
  call,
  echoConfig,
  json,
  startTestGateway,
  TEST_KEY,
} from '../helpers/gateway';

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;

const ddb = useDynamoDbLocal();

/** A tenant with the limits under test, on the echo model. */
function limitedConfig(
  limits: NonNullable<GatewayConfigFile['tenants']>[number]['limits'],
  extra: Partial<
    GatewayConfigFile['tenants'] extends (infer T)[] | undefined ? T : never
  > = {}
): GatewayConfigFile {
  return echoConfig({
    tenants: [
      { id: 'acme', apiKeys: [TEST_KEY], tier: 'standard', limits, ...extra },
    ],
  });
}

/**
 * A frozen clock in the middle of a minute, so the burst can't straddle two
 * windows. The memory store reads it too: on the real clock it would see the
 * frozen window as expired once the wall clock passes it.
 */
const frozenNow = (): number => Date.UTC(2026, 11, 3, 12, 0, 30);

async function twoRouters(
  file: GatewayConfigFile,
  store: LimitCounterStore
): Promise<[Gateway, Gateway]> {
  return Promise.all([
    startTestGateway(file, { limitCounters: store, now: frozenNow }),
    startTestGateway(file, { limitCounters: store, now: frozenNow }),
  ]);
}

const hello = { model: 'echo', messages: [{ role: 'user', content: 'hi' }] };

describe('Tenant limits across router instances', () => {
  describe.each([
    [
      'DynamoDB Local',
      async () =>
        new DynamoLimitCounters({
          tableName: await ddb.createTable('usage'),
          client: ddb.documentClient(),
        }),
    ],
    ['one memory store', async () => new MemoryLimitCounters(frozenNow)],
  ])('shared counters (%s)', (_name, makeStore) => {
    let routers: [Gateway, Gateway];
    afterEach(async () => {
      await Promise.all(routers.map((r) => r.close()));
    });

    it('lets exactly 30 of 100 concurrent requests through two routers at requestsPerMinute 30', async () => {
      // Prepare
      routers = await twoRouters(
        limitedConfig({ requestsPerMinute: 30 }),
        await makeStore()
      );

      // Act: 100 at once, alternating between the routers
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          call(routers[i % 2]!, '/v1/chat/completions', { body: hello })
        )
      );

      // Assess
      const bodies = await Promise.all(responses.map((x) => x.text()));
      const ok = responses.filter((r) => r.status === 200);
      const refused = responses.filter((r) => r.status === 429);
      expect(ok).toHaveLength(30);
      expect(refused).toHaveLength(70);
      const r = refused[0]!;
      const body = JSON.parse(bodies[responses.indexOf(r)]!);
      expect(body.error).toMatchObject({
        type: 'rate_limit_exceeded',
        code: 'rate_limit_exceeded',
        param: null,
      });
      expect(body.error.message).toContain('tenant acme');
      const retryAfter = Number(r.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(r.headers.get('x-ratelimit-limit-requests')).toBe('30');
      expect(r.headers.get('x-ratelimit-remaining-requests')).toBe('0');
      expect(r.headers.get('x-ratelimit-reset-requests')).toMatch(
        /^(\d+s|\d+ms)$/
      );
      // Successful answers carry the headers too.
      const remaining = ok.map((x) =>
        Number(x.headers.get('x-ratelimit-remaining-requests'))
      );
      expect(new Set(remaining).size).toBe(30);
      expect(Math.min(...remaining)).toBe(0);
      expect(Math.max(...remaining)).toBe(29);
    }, 60_000);

    it('counts real tokens per day: the reservation is corrected after the call', async () => {
      // Prepare: the echo model answers with the prompt; max_tokens 100 reserved up front
      const store = await makeStore();
      routers = await twoRouters(limitedConfig({ tokensPerDay: 1000 }), store);
      const counter = async (): Promise<number> =>
        (
          await store.tryAdd({
            key: 'acme#tpd#2026-12-03',
            amount: 0,
            limit: 1e9,
            expiresAt: 2e9,
          })
        ).value;

      // Act
      const first = await call(routers[0], '/v1/chat/completions', {
        body: { ...hello, max_tokens: 100 },
      });
      const usage = (await json(first)).usage;
      // The correction is written after the answer: wait for it
      for (let i = 0; i < 50 && (await counter()) !== usage.total_tokens; i++)
        await new Promise((r) => setTimeout(r, 20));
      const afterFirst = await counter();
      const second = await call(routers[1], '/v1/chat/completions', {
        body: { ...hello, max_tokens: 100 },
      });
      await second.text();

      // Assess: only the real usage stays counted; the second router sees it
      expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
      expect(afterFirst).toBe(usage.total_tokens);
      const reservedBySecond =
        1000 -
        usage.total_tokens -
        Number(second.headers.get('x-ratelimit-remaining-tokens'));
      // the second's reservation: its prompt estimate + max_tokens 100
      expect(reservedBySecond).toBeGreaterThanOrEqual(100);
      expect(reservedBySecond).toBeLessThan(120);
    }, 30_000);
  });

  describe('token limit refusal and max_tokens clamp', () => {
    let gw: Gateway;
    afterEach(() => gw.close());

    it('refuses a request whose estimate passes the daily token limit, with the tokens trio', async () => {
      // Prepare
      gw = await startTestGateway(limitedConfig({ tokensPerDay: 50 }));

      // Act
      const res = await call(gw, '/v1/chat/completions', {
        body: { ...hello, max_tokens: 200 },
      });

      // Assess
      expect(res.status).toBe(429);
      const body = await json(res);
      expect(body.error.type).toBe('rate_limit_exceeded');
      expect(body.error.message).toContain('tokens per day');
      expect(res.headers.get('x-ratelimit-limit-tokens')).toBe('50');
      expect(res.headers.get('x-ratelimit-remaining-tokens')).toBe('50');
      expect(res.headers.get('x-ratelimit-reset-tokens')).toMatch(
        /^(\d+h)?(\d+m)?\d+s$/
      );
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('clamps max_tokens to the tenant cap before routing', async () => {
      // Prepare
      gw = await startTestGateway(limitedConfig({ maxTokensPerRequest: 64 }));
      // Act: /v1/route shows the context the router planned with
      const res = await call(gw, '/v1/chat/completions', {
        body: { ...hello, max_tokens: 5000 },
      });
      // Assess
      expect(res.status).toBe(200);
      const seen = gw.deps.limits;
      expect(seen).toBeDefined();
      const admitted = await seen!.admit(
        {
          model: 'echo',
          messages: [{ role: 'user', content: 'x' }],
          maxTokens: 5000,
          stream: false,
          includeUsage: false,
          routing: {},
        },
        gw.deps.tenants && (await gw.deps.tenants.authenticate(TEST_KEY))!
      );
      expect(admitted.request.maxTokens).toBe(64);
    });

    it('sends the x-ratelimit headers on a streamed answer', async () => {
      // Prepare
      gw = await startTestGateway(
        limitedConfig({ requestsPerMinute: 5, tokensPerDay: 10_000 })
      );
      // Act
      const res = await call(gw, '/v1/chat/completions', {
        body: { ...hello, stream: true },
      });
      const text = await res.text();
      // Assess
      expect(res.status).toBe(200);
      expect(text).toContain('data: [DONE]');
      expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('4');
      expect(res.headers.get('x-ratelimit-limit-tokens')).toBe('10000');
    });

    it('limits a user by userDefaults independently of the tenant', async () => {
      // Prepare
      gw = await startTestGateway(
        limitedConfig(
          { requestsPerMinute: 100 },
          { userDefaults: { limits: { requestsPerMinute: 2 } } }
        )
      );
      // Act
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await call(gw, '/v1/chat/completions', {
          body: { ...hello, user: 'bob' },
        });
        statuses.push(r.status);
        if (i === 2)
          expect((await json(r)).error.message).toContain('user bob');
        else await r.text();
      }
      const other = await call(gw, '/v1/chat/completions', {
        body: { ...hello, user: 'alice' },
      });
      // Assess
      expect(statuses).toEqual([200, 200, 429]);
      expect(other.status).toBe(200);
    });
  });
});
