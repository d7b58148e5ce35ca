/**
 * Resilience figures for `npm run bench`: kill-switch propagation and the
 * latency a failover before the first token adds. In-process: a local
 * gateway and loopback fakes (the figures measure mechanisms, not CPU).
 */
import { Agent, request } from 'node:http';
import {
  createKillSwitchBacking,
  MemoryKillSwitchStore,
} from '../lambdas/core/adapters/local/memory-kill-switches';
import { resolveConfig } from '../lambdas/core/config/load';
import { startLocalGateway } from '../local/gateway';
import { startFakeOpenAI } from '../test/helpers/fakes/openai-fake';
import { MemoryLog } from '../test/helpers/gateway';
import { BENCH_KEY } from './workload';

function post(
  agent: Agent,
  url: string,
  model: string
): Promise<{ status: number; ms: number }> {
  const u = new URL(url);
  const body = JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'hello' }],
  });
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = request(
      {
        agent,
        host: u.hostname,
        port: u.port,
        path: '/v1/chat/completions',
        method: 'POST',
        headers: {
          authorization: `Bearer ${BENCH_KEY}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ms: Number(process.hrtime.bigint() - start) / 1e6,
          })
        );
      }
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function setup(maxAgeMs: number) {
  const [a, b] = await Promise.all([
    // Records requests: that is how the bench sees who served.
    startFakeOpenAI({ models: ['m'] }),
    startFakeOpenAI({ record: false, models: ['m'] }),
  ]);
  const backing = createKillSwitchBacking({});
  const routerView = new MemoryKillSwitchStore({ backing, maxAgeMs });
  const operator = new MemoryKillSwitchStore({ backing, maxAgeMs: 0 });
  const config = resolveConfig(
    {
      providers: {
        primary: { type: 'openai-compatible', baseUrl: a.url },
        secondary: { type: 'openai-compatible', baseUrl: b.url },
      },
      models: [
        {
          id: 'a',
          provider: 'primary',
          providerModelId: 'm',
          aliases: ['g'],
          quality: 1,
          expectedLatencyMs: 1,
        },
        {
          id: 'b',
          provider: 'secondary',
          providerModelId: 'm',
          aliases: ['g'],
          quality: 0.1,
          expectedLatencyMs: 50,
        },
      ],
      tenants: [{ id: 'bench', apiKeys: [BENCH_KEY] }],
      routing: { banditWeight: 0 },
      // Failovers must not open the breaker during the measurement.
      resilience: { breaker: { minimumRequests: 1_000_000 } },
    },
    {},
    'bench'
  );
  const gw = await startLocalGateway(config, {
    log: new MemoryLog(),
    killSwitches: routerView,
  });
  return {
    a,
    b,
    gw,
    operator,
    close: () => Promise.all([gw.close(), a.close(), b.close()]),
  };
}

/**
 * Time from a kill-switch write to the last request the killed provider
 * serves, under steady traffic, with the router's documented maxAge.
 */
export async function benchKillSwitchPropagation(
  maxAgeMs = 5000
): Promise<{ maxAgeMs: number; propagationMs: number }> {
  const s = await setup(maxAgeMs);
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  try {
    let lastOnKilled = 0;
    let stop = false;
    // One request at a time, so each one is attributed to the provider that served it.
    const traffic = (async () => {
      while (!stop) {
        const before = s.a.requests.length;
        await post(agent, s.gw.url, 'g');
        if (s.a.requests.length > before) lastOnKilled = Date.now();
      }
    })();
    // Land the write at a random point of the router's cache window.
    await new Promise((r) => setTimeout(r, 200 + Math.random() * maxAgeMs));
    const engagedAt = Date.now();
    await s.operator.set('provider/primary', { state: 'on', reason: 'bench' });
    await new Promise((r) => setTimeout(r, maxAgeMs + 500));
    stop = true;
    await traffic;
    return { maxAgeMs, propagationMs: Math.max(0, lastOnKilled - engagedAt) };
  } finally {
    agent.destroy();
    await s.close();
  }
}

/** Added latency of a failover before the first token (the first candidate answers 503 at once). */
export async function benchFailoverLatency(
  n = 300
): Promise<{ normalP50Ms: number; failoverP50Ms: number; addedP50Ms: number }> {
  const s = await setup(0);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const p50 = (xs: number[]) =>
    [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  try {
    for (let i = 0; i < 50; i++) await post(agent, s.gw.url, 'g');
    const normal: number[] = [];
    for (let i = 0; i < n; i++)
      normal.push((await post(agent, s.gw.url, 'g')).ms);
    s.a.setBehavior({ errorStatus: 503 });
    const failover: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = await post(agent, s.gw.url, 'g');
      if (r.status === 200) failover.push(r.ms);
    }
    return {
      normalP50Ms: p50(normal),
      failoverP50Ms: p50(failover),
      addedP50Ms: p50(failover) - p50(normal),
    };
  } finally {
    agent.destroy();
    await s.close();
  }
}
