import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, resolveConfig } from '../../lambdas/core/config/load';

/** The router's config file when the `routerConfig` context is not given. */
export const DEFAULT_ROUTER_CONFIG = join(
  __dirname,
  '../../config/gateway.aws.json'
);

/** Lambda allows 4 KB of environment in total; leave room for the other variables. */
export const MAX_ROUTER_CONFIG_BYTES = 2500;

/**
 * Reads and validates the router's config file (providers, routing,
 * resilience; models live in the registry table, tenants in the tenants
 * table) and returns it minified for the GATEWAY_CONFIG_JSON variable.
 * Fails synth with every bad field named, like the local gateway does.
 */
export function loadRouterConfig(path: string = DEFAULT_ROUTER_CONFIG): string {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`router config ${path}: ${(err as Error).message}`);
  }
  try {
    // Credentials come from Secrets Manager at run time: every provider counts as live here.
    const config = resolveConfig(raw, {}, path, () => true);
    const echo = config.providers.find((p) => p.type === 'echo');
    if (echo)
      throw new ConfigError(path, [
        `providers.${echo.id}: the echo provider is local-only`,
      ]);
    if ((raw as { tenants?: unknown[] }).tenants?.length) {
      throw new ConfigError(path, [
        'tenants: tenants live in the tenants table on AWS (npm run ops -- tenants ...)',
      ]);
    }
  } catch (err) {
    throw new Error((err as Error).message);
  }
  const json = JSON.stringify(raw);
  if (Buffer.byteLength(json) > MAX_ROUTER_CONFIG_BYTES) {
    throw new Error(
      `router config ${path} is ${Buffer.byteLength(json)} bytes minified, more than ${MAX_ROUTER_CONFIG_BYTES}: move models to the registry (npm run registry -- seed)`
    );
  }
  return json;
}
