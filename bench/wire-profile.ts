/**
 * The local gateway over real loopback sockets, in one process, for
 * profiling the wire path (host, router, HTTP client) without scheduler noise:
 *   tsx bench/wire-profile.ts [requests] [--floor] [--prof=out.cpuprofile]
 * Runs the fake upstream, the gateway (or the floor proxy) and a keep-alive
 * client in this process, one request at a time; prints CPU per request of
 * the whole loop. Compare gateway and --floor runs: the difference is the
 * gateway's own work on the wire.
 */
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { Session } from 'node:inspector/promises';
import { startLocalGateway } from '../local/gateway';
import { startFakeOpenAI } from '../test/helpers/fakes/openai-fake';
import { MemoryLog } from '../test/helpers/gateway';
import { startFloorProxy } from './children';
import {
  BENCH_KEY,
  benchGatewayConfig,
  benchRequestBody,
  UPSTREAM_KEY,
  UPSTREAM_KEY_ENV,
} from './workload';

function post(agent: Agent, url: URL, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/v1/chat/completions',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${BENCH_KEY}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolve()
            : reject(new Error(`HTTP ${res.statusCode}`))
        );
      }
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 10_000);
  const floor = process.argv.includes('--floor');
  const prof = process.argv
    .find((a) => a.startsWith('--prof='))
    ?.slice('--prof='.length);
  const upstream = await startFakeOpenAI({
    apiKey: UPSTREAM_KEY,
    record: false,
    models: ['bench-model'],
  });
  const target = floor
    ? await startFloorProxy(upstream.url)
    : (
        await startLocalGateway(benchGatewayConfig(upstream.url), {
          env: { [UPSTREAM_KEY_ENV]: UPSTREAM_KEY },
          log: new MemoryLog(),
        })
      ).url;
  const url = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = benchRequestBody(false);
  for (let i = 0; i < Math.min(3000, n); i++) await post(agent, url, body);
  const session = prof ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
  }
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await post(agent, url, body);
  const cpu = process.cpuUsage(cpu0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e3 / n;
  process.stdout.write(
    `${floor ? 'floor' : 'gateway'}: cpu ${((cpu.user + cpu.system) / n).toFixed(1)} us/request, wall ${wall.toFixed(1)} us (client + upstream + ${floor ? 'floor' : 'gateway'}, one process)\n`
  );
  if (session && prof) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(prof, JSON.stringify(profile));
  }
  process.exit(0);
}

void main();
