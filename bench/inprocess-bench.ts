import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpFetch } from '../lambdas/core/providers/http-client';
import { createOpenAICompatibleAdapter } from '../lambdas/core/providers/openai-compatible/adapter';
import {
  type ProviderAdapter,
  staticCredential,
} from '../lambdas/core/providers/types';
import { createStreamingHandler } from '../lambdas/router/lambda-stream';
import {
  LocalResponseStream,
  localAwsLambda,
} from '../local/awslambda-emulator';
import { composeLocal } from '../local/compose';
import { toApiGatewayEvent } from '../local/server';
import { MemoryLog } from '../test/helpers/gateway';
import { measureAllocation } from './alloc';
import {
  BENCH_KEY,
  benchGatewayConfig,
  benchRequestBody,
  UPSTREAM_KEY,
  UPSTREAM_KEY_ENV,
} from './workload';

/** CPU and wall time of one request through the router without sockets. */
export interface InProcessBenchResult {
  /** Wall time per request, µs (one at a time). */
  readonly wallUs: number;
  /** CPU time per request (user + system), µs. */
  readonly cpuUs: number;
  /** JS heap allocated per request, KB (1 KB = 1,000 bytes). */
  readonly allocKb: number;
  /** Of it, promoted to the old generation by scavenges, KB per request. */
  readonly promotedKb: number;
  readonly iterations: number;
}

// Never contacted: the adapter's fetch answers in memory.
const UPSTREAM_BASE_URL = 'http://127.0.0.1:9/v1';

const UPSTREAM_BODY = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1,
  model: 'bench-model',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content:
          'One API, failover and cost control across every provider you use.',
      },
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 30, completion_tokens: 12, total_tokens: 42 },
});

/** Stands in for node:http: answers at once with a canned completion. */
const cannedFetch: HttpFetch = async () => ({
  ok: true,
  status: 200,
  headers: { get: () => null },
  text: async () => UPSTREAM_BODY,
  body: null,
});

/** The slice of ServerResponse LocalResponseStream uses, discarding bytes. */
class NullResponse extends EventEmitter {
  public writableFinished = false;
  public headersSent = false;
  public writeHead(): this {
    this.headersSent = true;
    return this;
  }
  public write(): boolean {
    return true;
  }
  public end(): this {
    this.writableFinished = true;
    this.emit('finish');
    return this;
  }
}

/**
 * The gateway's own cost per request, free of socket and scheduler noise:
 * the local host's event construction, the Lambda streaming emulation, auth,
 * validation, routing, resilience, the OpenAI-compatible adapter's
 * transforms, metrics and the decision log, with the upstream HTTP call
 * replaced by a canned answer. A stable figure to compare runs and machines.
 */
export function inProcessRunner(): (i: number) => Promise<void> {
  const config = benchGatewayConfig(UPSTREAM_BASE_URL);
  const adapters = new Map<string, ProviderAdapter>([
    [
      'llama',
      createOpenAICompatibleAdapter({
        id: 'llama',
        baseUrl: UPSTREAM_BASE_URL,
        credential: staticCredential(UPSTREAM_KEY),
        fetch: cannedFetch,
      }),
    ],
  ]);
  const { app } = composeLocal(config, {
    env: { [UPSTREAM_KEY_ENV]: UPSTREAM_KEY },
    log: new MemoryLog(),
    adapters,
  });
  const handler = createStreamingHandler(app, localAwsLambda);
  const payload = benchRequestBody(false);
  const req = {
    url: '/v1/chat/completions',
    method: 'POST',
    httpVersion: '1.1',
    headers: {
      host: '127.0.0.1:8787',
      'content-type': 'application/json',
      'content-length': String(payload.length),
      authorization: `Bearer ${BENCH_KEY}`,
      connection: 'keep-alive',
    },
    socket: { remoteAddress: '127.0.0.1' },
  } as unknown as IncomingMessage;

  const one = async (i: number): Promise<void> => {
    const res = new NullResponse();
    const stream = new LocalResponseStream(res as unknown as ServerResponse);
    await handler(toApiGatewayEvent(req, payload, `bench-${i}`), stream);
    if (!res.writableFinished) {
      await new Promise((resolve) => res.once('finish', resolve));
    }
    // A socket delivers each request in its own macrotask; without this the
    // whole loop is one microtask chain, so nextTick callbacks (stream
    // finish/close) and immediates (decision-log flush, shadow sampling)
    // pile up until it ends and every request's objects stay alive.
    await new Promise<void>((resolve) => setImmediate(resolve));
  };

  return one;
}

/** Runs {@link inProcessRunner} `iterations` times after a warm-up. */
export async function benchInProcess(
  iterations = 20_000
): Promise<InProcessBenchResult> {
  const one = inProcessRunner();
  for (let i = 0; i < Math.min(5_000, iterations); i++) await one(i);
  let cpu = { user: 0, system: 0 };
  let wallNs = 0;
  // The GC profiler costs only per collection, so CPU and allocation come
  // from the same loop.
  const alloc = await measureAllocation(async () => {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await one(i);
    cpu = process.cpuUsage(cpu0);
    wallNs = Number(process.hrtime.bigint() - t0);
  });
  return {
    wallUs: wallNs / 1e3 / iterations,
    cpuUs: (cpu.user + cpu.system) / iterations,
    allocKb: alloc.allocatedBytes / 1e3 / iterations,
    promotedKb: alloc.promotedBytes / 1e3 / iterations,
    iterations,
  };
}
