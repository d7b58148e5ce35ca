import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolveConfig } from '../lambdas/core/config/load';
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

/** CPU and wall time of one request through the router without sockets. */
export interface InProcessBenchResult {
  /** Wall time per request, µs (one at a time). */
  readonly wallUs: number;
  /** CPU time per request (user + system), µs. */
  readonly cpuUs: number;
  readonly iterations: number;
}

const KEY = 'sk-bench-tenant-key-0001';

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
export async function benchInProcess(
  iterations = 20_000
): Promise<InProcessBenchResult> {
  const config = resolveConfig(
    {
      providers: {
        llama: {
          type: 'openai-compatible',
          baseUrl: 'http://127.0.0.1:9/v1',
          apiKeyEnv: 'BENCH_KEY',
        },
      },
      models: [
        {
          id: 'bench-model',
          provider: 'llama',
          providerModelId: 'bench-model',
          capabilities: ['tools', 'streaming'],
          pricing: { inputPer1M: 0.2, outputPer1M: 0.6 },
        },
      ],
      tenants: [{ id: 'bench', apiKeys: [KEY] }],
    },
    { BENCH_KEY: 'x' },
    'bench'
  );
  const adapters = new Map<string, ProviderAdapter>([
    [
      'llama',
      createOpenAICompatibleAdapter({
        id: 'llama',
        baseUrl: 'http://127.0.0.1:9/v1',
        credential: staticCredential('x'),
        fetch: cannedFetch,
      }),
    ],
  ]);
  const { app } = composeLocal(config, {
    env: { BENCH_KEY: 'x' },
    log: new MemoryLog(),
    adapters,
  });
  const handler = createStreamingHandler(app, localAwsLambda);
  const payload = JSON.stringify({
    model: 'bench-model',
    messages: [
      { role: 'system', content: 'You are a concise assistant.' },
      {
        role: 'user',
        content:
          'Summarise the benefits of a multi-provider gateway in one line.',
      },
    ],
    max_tokens: 64,
  });
  const req = {
    url: '/v1/chat/completions',
    method: 'POST',
    httpVersion: '1.1',
    headers: {
      host: '127.0.0.1:8787',
      'content-type': 'application/json',
      'content-length': String(payload.length),
      authorization: `Bearer ${KEY}`,
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
  };

  for (let i = 0; i < Math.min(5_000, iterations); i++) await one(i);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await one(i);
  const cpu = process.cpuUsage(cpu0);
  const wallNs = Number(process.hrtime.bigint() - t0);
  return {
    wallUs: wallNs / 1e3 / iterations,
    cpuUs: (cpu.user + cpu.system) / iterations,
    iterations,
  };
}
