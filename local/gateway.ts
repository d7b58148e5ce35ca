import type { GatewayConfig } from '../lambdas/core/config/load';
import type { RouterDeps } from '../lambdas/router/app';
import { createStreamingHandler } from '../lambdas/router/lambda-stream';
import { installAwsLambdaEmulator } from './awslambda-emulator';
import { composeLocal, type LocalComposeOptions } from './compose';
import type { DashboardSources } from './dashboard/data';
import { dashboardRoute } from './dashboard/serve';
import { type LocalServer, startLocalServer } from './server';

/** Options of a local gateway instance. */
export interface LocalGatewayOptions extends LocalComposeOptions {
  readonly host?: string;
  readonly port?: number;
  /** Extra dashboard sources (cache, experiments) as those modules land. */
  readonly dashboard?: DashboardSources;
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
    localRoutes: dashboardRoute(deps, options.dashboard),
  });
  return { ...server, deps };
}
