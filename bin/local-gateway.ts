/**
 * `npm start`: the gateway on 127.0.0.1:8787 with embedded stores.
 * Env: PORT, HOST, GATEWAY_CONFIG (JSON file), GATEWAY_API_KEY,
 * GATEWAY_DECISION_LOG (JSONL path), LOG_LEVEL.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  ConfigError,
  DEFAULT_LOCAL_API_KEY,
} from '../lambdas/core/config/load';
import { loadGatewayConfig } from '../local/config-file';
import { startLocalGateway } from '../local/gateway';

async function main(): Promise<void> {
  const env = process.env;
  const log = new Logger({
    serviceName: 'ai-gateway',
    logLevel: (env.LOG_LEVEL?.toUpperCase() as 'INFO') ?? 'INFO',
  });
  let loaded: ReturnType<typeof loadGatewayConfig>;
  try {
    loaded = loadGatewayConfig(env.GATEWAY_CONFIG, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const { config, source } = loaded;
  const port = env.PORT ? Number(env.PORT) : 8787;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(
      `invalid PORT ${JSON.stringify(env.PORT)}: must be 0-65535\n`
    );
    process.exit(1);
  }
  const host = env.HOST ?? '127.0.0.1';
  const gateway = await startLocalGateway(config, {
    env,
    log,
    host,
    port,
    decisionLogPath: env.GATEWAY_DECISION_LOG,
  });
  log.info('gateway listening', {
    url: gateway.url,
    dashboard: `${gateway.url}/dashboard`,
    config: source,
    providers: config.providers.map((p) => ({
      id: p.id,
      type: p.type,
      live: p.live,
      ...(p.reason ? { reason: p.reason } : {}),
    })),
    models: config.models.map((m) => m.id),
  });
  if (!env.GATEWAY_CONFIG && !env.GATEWAY_API_KEY) {
    log.warn(
      `no GATEWAY_CONFIG: using the local dev key ${DEFAULT_LOCAL_API_KEY} (set GATEWAY_API_KEY to choose one)`
    );
  }
  if (config.providers.some((p) => p.type === 'echo')) {
    log.info(
      'the "echo" model is a LOCAL SMOKE-TEST model: it repeats your last message and is never deployed to AWS'
    );
  }
  const stop = (): void => {
    log.info('shutting down');
    void gateway.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
