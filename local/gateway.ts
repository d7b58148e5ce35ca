import type { GatewayConfig } from '../lambdas/core/config/load';
import type { RouterDeps } from '../lambdas/router/app';
import { createStreamingHandler } from '../lambdas/router/lambda-stream';
import { installAwsLambdaEmulator } from './awslambda-emulator';
import { composeLocal, type LocalComposeOptions } from './compose';
import type { DashboardSources } from './dashboard/data';
import { dashboardRoute } from './dashboard/serve';
import { routerDashboardSources } from './dashboard/sources';
import { type LocalServer, startLocalServer } from './server';
import { createLocalWsEndpoint } from './ws';

/** Options of a local gateway instance. */
export interface LocalGatewayOptions extends LocalComposeOptions {
  readonly host?: string;
  readonly port?: number;
  /** Extra dashboard sources (cache, experiments) as those modules land. */
  readonly dashboard?: DashboardSources;
  /** WebSocket (`GET /v1/ws`) settings; `GATEWAY_WS_MAX_IN_FLIGHT` sets maxInFlight too. */
  readonly ws?: {
    readonly maxInFlight?: number;
    readonly pingIntervalMs?: number;
  };
}

/** A running local gateway and the deps it runs with (for tests and tools). */
export interface LocalGateway extends LocalServer {
  readonly deps: RouterDeps;
}

/**
 * Starts the gateway locally: the same router app and the same streaming
 * handler as the Lambda, behind the emulated `awslambda` runtime API.
 */
export async function startLocalGateway(
  config: GatewayConfig,
  options: LocalGatewayOptions = {}
): Promise<LocalGateway> {
  const { app, deps } = composeLocal(config, options);
  const handler = createStreamingHandler(app, installAwsLambdaEmulator());
  const server = await startLocalServer({
    handler,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    maxBodyBytes: config.server.maxBodyBytes,
    localRoutes: dashboardRoute(
      deps,
      options.dashboard ?? routerDashboardSources(deps)
    ),
    websocket: createLocalWsEndpoint({
      app,
      tenants: deps.tenants,
      maxBodyBytes: config.server.maxBodyBytes,
      maxInFlight:
        options.ws?.maxInFlight ??
        positiveInt((options.env ?? process.env).GATEWAY_WS_MAX_IN_FLIGHT),
      pingIntervalMs: options.ws?.pingIntervalMs,
      log: deps.log,
    }),
  });
  return { ...server, deps };
}

function positiveInt(v: string | undefined): number | undefined {
  const n = Number(v);
  return v && Number.isInteger(n) && n > 0 ? n : undefined;
}
