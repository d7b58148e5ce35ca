import OpenAI from 'openai';
import { resolveConfig } from '../../lambdas/core/config/load';
import type { GatewayConfigFile } from '../../lambdas/core/config/schema';
import type { Log } from '../../lambdas/core/ports';
import { seededRng } from '../../lambdas/core/routing/bandit';
import {
  type LocalGateway,
  type LocalGatewayOptions,
  startLocalGateway,
} from '../../local/gateway';

/** The API key of the test tenant. */
export const TEST_KEY = 'sk-test-tenant-key-0001';

/** A logger that records instead of printing (and lets tests assert on logs). */
export class MemoryLog implements Log {
  public readonly lines: {
    level: string;
    message: string;
    attributes: Record<string, unknown>[];
  }[] = [];
  public debug(
    message: string,
    ...attributes: Record<string, unknown>[]
  ): void {
    this.lines.push({ level: 'debug', message, attributes });
  }
  public info(message: string, ...attributes: Record<string, unknown>[]): void {
    this.lines.push({ level: 'info', message, attributes });
  }
  public warn(message: string, ...attributes: Record<string, unknown>[]): void {
    this.lines.push({ level: 'warn', message, attributes });
  }
  public error(
    message: string,
    ...attributes: Record<string, unknown>[]
  ): void {
    this.lines.push({ level: 'error', message, attributes });
  }
  /** Everything logged, as one string (for "no secret/prompt in logs" checks). */
  public text(): string {
    return JSON.stringify(this.lines);
  }
}

/** A config with an echo provider and the test tenant, merged with `extra`. */
export function echoConfig(
  extra: Partial<GatewayConfigFile> = {}
): GatewayConfigFile {
  return {
    providers: { echo: { type: 'echo' }, ...(extra.providers ?? {}) },
    models: [
      {
        id: 'echo',
        provider: 'echo',
        providerModelId: 'echo',
        aliases: ['local-echo'],
        capabilities: ['tools', 'streaming', 'json_mode'],
      },
      ...(extra.models ?? []),
    ],
    tenants: extra.tenants ?? [
      { id: 'test', apiKeys: [TEST_KEY], tier: 'standard' },
    ],
    ...(extra.routing ? { routing: extra.routing } : {}),
    ...(extra.server ? { server: extra.server } : {}),
  };
}

/** Starts a local gateway on an ephemeral loopback port with a seeded RNG and a memory log. */
export async function startTestGateway(
  file: GatewayConfigFile,
  options: LocalGatewayOptions & { env?: NodeJS.ProcessEnv } = {}
): Promise<LocalGateway & { log: MemoryLog }> {
  const env = options.env ?? {};
  const config = resolveConfig(file, env, 'test');
  const log = new MemoryLog();
  const gw = await startLocalGateway(config, {
    rng: seededRng(42),
    log,
    ...options,
    env,
  });
  return { ...gw, log };
}

/** fetch against the gateway with the test key. */
export function call(
  gw: { url: string },
  path: string,
  init: {
    method?: string;
    body?: unknown;
    key?: string | null;
    headers?: Record<string, string>;
    rawBody?: string;
  } = {}
): Promise<Response> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.key !== null)
    headers.authorization = `Bearer ${init.key ?? TEST_KEY}`;
  let body: string | undefined = init.rawBody;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
  }
  return fetch(`${gw.url}${path}`, {
    method: init.method ?? (body !== undefined ? 'POST' : 'GET'),
    headers,
    body,
  });
}

/** A parsed JSON response body, loosely typed for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON
export type Json = any;

/** Reads a response body as JSON. */
export async function json(res: Response): Promise<Json> {
  return (await res.json()) as Json;
}

/** The official `openai` SDK pointed at a gateway, as a client app would use it (no retries: tests see every answer). */
export function sdkClient(gw: { url: string }, apiKey = TEST_KEY): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
}
