/**
 * The parts of the AWS composition the admin function shares with the
 * router: the gateway config and the registry. Apart from aws-deps.ts so the
 * admin bundle doesn't reach the router's composition, whose lazy imports
 * (lambdas/core/lazy-parts.ts) would make esbuild put code the admin never
 * runs into the admin's cold chunks.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoModelRegistry } from '../core/adapters/aws/dynamo-registry';
import { secretArnFor } from '../core/adapters/aws/secrets-credentials';
import { SsmRouteSetStore } from '../core/adapters/aws/ssm-route-sets';
import {
  ConfigError,
  type GatewayConfig,
  resolveConfig,
} from '../core/config/load';
import { RegistryCatalog } from '../core/registry/catalog';
import { DEFAULT_ROUTE_SET } from '../core/registry/schema';

/**
 * The deployment's gateway config (providers, routing, resilience; models
 * only as the registry's fallback seed) from `GATEWAY_CONFIG_JSON`. A
 * provider is live when its Secrets Manager secret is wired (or it needs
 * none). The local-only `echo` provider is refused.
 */
export function loadAwsConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  let raw: unknown = {};
  if (env.GATEWAY_CONFIG_JSON) {
    try {
      raw = JSON.parse(env.GATEWAY_CONFIG_JSON);
    } catch (err) {
      throw new ConfigError('GATEWAY_CONFIG_JSON', [
        `not valid JSON: ${(err as Error).message}`,
      ]);
    }
  }
  const config = resolveConfig(
    raw,
    env,
    'GATEWAY_CONFIG_JSON',
    (id, credentialEnv, e) =>
      Boolean(secretArnFor(id, undefined, e)) ||
      credentialEnv === undefined ||
      Boolean(e[credentialEnv])
  );
  const echo = config.providers.find((p) => p.type === 'echo');
  if (echo)
    throw new ConfigError('GATEWAY_CONFIG_JSON', [
      `providers.${echo.id}: the echo provider is local-only`,
    ]);
  return config;
}

/** The value of a required environment variable (a ConfigError when unset). */
export function requiredEnv(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new ConfigError('environment', [`${name} is not set`]);
  return v;
}

/** The SSM hierarchy of the route sets, from ROUTE_SET_PARAM (`/ai/routing/{env}/active-models`). */
function routeSetPrefix(param: string): { prefix: string; name: string } {
  const at = param.lastIndexOf('/');
  return {
    prefix: param.slice(0, at),
    name: param.slice(at + 1) || DEFAULT_ROUTE_SET,
  };
}

/**
 * The model registry (DynamoDB), the route sets (SSM, history in the
 * registry table) and the catalog the router and the admin function both
 * read, from MODEL_REGISTRY_TABLE and ROUTE_SET_PARAM.
 */
export function awsRegistryParts(
  env: NodeJS.ProcessEnv,
  config: GatewayConfig,
  doc: DynamoDBDocumentClient,
  ssm: SSMClient,
  log: Logger,
  onError?: (kind: string) => void
): {
  registry: DynamoModelRegistry;
  routeSets: SsmRouteSetStore;
  routeSetName: string;
  catalog: RegistryCatalog;
} {
  const registryTable = requiredEnv(env, 'MODEL_REGISTRY_TABLE');
  const registry = new DynamoModelRegistry({
    tableName: registryTable,
    client: doc,
  });
  const { prefix, name } = routeSetPrefix(requiredEnv(env, 'ROUTE_SET_PARAM'));
  const routeSets = new SsmRouteSetStore({
    prefix,
    tableName: registryTable,
    client: doc,
    awsSdkV3Client: ssm,
    log,
    ...(onError ? { onError } : {}),
  });
  const catalog = new RegistryCatalog({
    registry,
    routeSets,
    routeSetName: name,
    seed: config.models,
    log,
    ...(onError ? { onError } : {}),
  });
  return { registry, routeSets, routeSetName: name, catalog };
}
