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
import {
  BENCH_KEY,
  benchGatewayConfig,
  UPSTREAM_KEY,
  UPSTREAM_KEY_ENV,
} from './workload';

/** Per-request wall time of one cache path, µs. */
export interface CachePathFigure {
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

/** Cache-hit latency against a miss and a bypass, in process. */
export interface CacheBenchResult {
  /** temperature unset: today's path plus the bypass check. */
  readonly bypass: CachePathFigure;
  /** temperature 0, a new prompt each time: lookup, provider call, capture, store. */
  readonly miss: CachePathFigure;
  /** temperature 0, a repeated prompt: lookup and replay, no provider call. */
  readonly hit: CachePathFigure;
  /** `x-gateway-cache` values seen per path (every request is checked). */
  readonly statuses: Readonly<Record<string, number>>;
  /** Upstream calls made (misses and bypasses only, when the cache works). */
  readonly providerCalls: number;
  readonly iterations: number;
}

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

/** The slice of ServerResponse LocalResponseStream uses; keeps the cache header. */
class HeaderResponse extends EventEmitter {
  public writableFinished = false;
  public headersSent = false;
  public cache = '';
  public writeHead(_status: number, headers: Record<string, string>): this {
    this.headersSent = true;
    this.cache = String(headers['x-gateway-cache'] ?? '');
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

function figure(samplesNs: number[]): CachePathFigure {
  const sorted = [...samplesNs].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! / 1e3;
  const mean = samplesNs.reduce((s, x) => s + x, 0) / samplesNs.length / 1e3;
  return {
    meanUs: Number(mean.toFixed(1)),
    p50Us: Number(at(0.5).toFixed(1)),
    p99Us: Number(at(0.99).toFixed(1)),
  };
}

/**
 * Cache-hit latency against a miss through the in-process router (the
 * Lambda streaming emulation, auth, validation, routing, cache stage,
 * OpenAI-compatible adapter with the upstream answered in memory). The
 * three paths interleave so drift affects them alike.
 */
export async function benchCacheHit(
  iterations = 5_000
): Promise<CacheBenchResult> {
  const config = benchGatewayConfig(UPSTREAM_BASE_URL);
  let providerCalls = 0;
  const fetch: HttpFetch = async () => {
    providerCalls++;
    return {
      ok: true,
      status: 200,
      headers: { get: () => null },
      text: async () => UPSTREAM_BODY,
      body: null,
    };
  };
  const adapters = new Map<string, ProviderAdapter>([
    [
      'llama',
      createOpenAICompatibleAdapter({
        id: 'llama',
        baseUrl: UPSTREAM_BASE_URL,
        credential: staticCredential(UPSTREAM_KEY),
        fetch,
      }),
    ],
  ]);
  const { app } = composeLocal(config, {
    env: { [UPSTREAM_KEY_ENV]: UPSTREAM_KEY },
    log: new MemoryLog(),
    adapters,
  });
  const handler = createStreamingHandler(app, localAwsLambda);
  const body = (content: string, temperature?: number) =>
    JSON.stringify({
      model: 'bench-model',
      messages: [
        { role: 'system', content: 'You are a concise assistant.' },
        { role: 'user', content },
      ],
      max_tokens: 64,
      ...(temperature === undefined ? {} : { temperature }),
    });
  const statuses: Record<string, number> = {};
  const one = async (payload: string, i: number): Promise<number> => {
    const req = {
      url: '/v1/chat/completions',
      method: 'POST',
      httpVersion: '1.1',
      headers: {
        host: '127.0.0.1:8787',
        'content-type': 'application/json',
        'content-length': String(payload.length),
        authorization: `Bearer ${BENCH_KEY}`,
      },
      socket: { remoteAddress: '127.0.0.1' },
    } as unknown as IncomingMessage;
    const res = new HeaderResponse();
    const stream = new LocalResponseStream(res as unknown as ServerResponse);
    const t0 = process.hrtime.bigint();
    await handler(toApiGatewayEvent(req, payload, `cache-${i}`), stream);
    if (!res.writableFinished)
      await new Promise((resolve) => res.once('finish', resolve));
    const ns = Number(process.hrtime.bigint() - t0);
    statuses[res.cache] = (statuses[res.cache] ?? 0) + 1;
    return ns;
  };
  const repeated = body(
    'Summarise the benefits of a multi-provider gateway in one line.',
    0
  );
  const bypassBody = body(
    'Summarise the benefits of a multi-provider gateway in one line.'
  );
  // Warm-up (and the one miss that stores the repeated prompt's entry).
  const warm = Math.min(1_000, iterations);
  for (let i = 0; i < warm; i++) {
    await one(repeated, i);
    await one(bypassBody, i);
    await one(body(`warm-up prompt ${i}`, 0), i);
  }
  for (const k of Object.keys(statuses)) delete statuses[k];
  const callsBefore = providerCalls;
  const hit: number[] = [];
  const miss: number[] = [];
  const bypass: number[] = [];
  for (let i = 0; i < iterations; i++) {
    hit.push(await one(repeated, i));
    miss.push(await one(body(`unique prompt ${i}`, 0), i));
    bypass.push(await one(bypassBody, i));
  }
  return {
    bypass: figure(bypass),
    miss: figure(miss),
    hit: figure(hit),
    statuses: { ...statuses },
    providerCalls: providerCalls - callsBefore,
    iterations,
  };
}
