import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditLog } from '../core/adapters/aws/dynamo-audit-log';
import { DynamoDecisionLog } from '../core/adapters/aws/dynamo-decision-log';
import { DynamoLimitCounters } from '../core/adapters/aws/dynamo-limit-counters';
import { DynamoModelRegistry } from '../core/adapters/aws/dynamo-registry';
import { DynamoTenantDirectory } from '../core/adapters/aws/dynamo-tenants';
import { EmfMetrics } from '../core/adapters/aws/emf-metrics';
import {
  secretArnFor,
  secretsCredentials,
} from '../core/adapters/aws/secrets-credentials';
import { SsmKillSwitchStore } from '../core/adapters/aws/ssm-kill-switches';
import { SsmRouteSetStore } from '../core/adapters/aws/ssm-route-sets';
import { MemoryDecisionLog } from '../core/adapters/local/decision-log';
import {
  ConfigError,
  type GatewayConfig,
  resolveConfig,
} from '../core/config/load';
import { createAdapters } from '../core/providers/registry';
import { RegistryCatalog } from '../core/registry/catalog';
import { DEFAULT_ROUTE_SET } from '../core/registry/schema';
import { StaticTenantDirectory } from '../core/tenants/directory';
import type { RouterApp, RouterDeps } from './app';
import { composeRouter } from './compose';

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

function required(env: NodeJS.ProcessEnv, name: string): string {
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
 * Builds the router for the Lambda (once per container): models from the
 * DynamoDB registry + the SSM route set, kill switches from SSM (≤ 5 s
 * staleness), tenants from DynamoDB (hashed keys), credentials from Secrets
 * Manager, audit and decisions in DynamoDB, metrics as EMF. Admin routes
 * trust API Gateway's AWS_IAM authorisation.
 */
export function composeAws(env: NodeJS.ProcessEnv = process.env): {
  app: RouterApp;
  deps: RouterDeps;
} {
  const config = loadAwsConfig(env);
  const log = new Logger();
  const metrics = new EmfMetrics();
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const ssm = new SSMClient({});
  const registryTable = required(env, 'MODEL_REGISTRY_TABLE');
  const registry = new DynamoModelRegistry({
    tableName: registryTable,
    client: doc,
  });
  const { prefix, name } = routeSetPrefix(required(env, 'ROUTE_SET_PARAM'));
  const routeSets = new SsmRouteSetStore({
    prefix,
    tableName: registryTable,
    client: doc,
    awsSdkV3Client: ssm,
    log,
    onError: (kind) => metrics.event('RegistryError', 1, { Kind: kind }),
  });
  const catalog = new RegistryCatalog({
    registry,
    routeSets,
    routeSetName: name,
    seed: config.models,
    log,
    onError: (kind) => metrics.event('RegistryError', 1, { Kind: kind }),
  });
  const tenantsTable = env.TENANTS_TABLE
    ? new DynamoTenantDirectory({ tableName: env.TENANTS_TABLE, client: doc })
    : undefined;
  const killSwitches = new SsmKillSwitchStore({
    prefix: required(env, 'KILL_SWITCH_PREFIX'),
    awsSdkV3Client: ssm,
    log,
    onError: () => metrics.event('KillSwitchReadError'),
  });
  return composeRouter({
    config,
    log,
    metrics,
    catalog,
    registry,
    routeSets,
    routeSetName: name,
    killSwitches,
    killSwitchFailOpen: env.KILL_SWITCH_FAIL_OPEN === 'true',
    audit: new DynamoAuditLog({
      tableName: required(env, 'AUDIT_TABLE'),
      client: doc,
    }),
    decisions: env.DECISIONS_TABLE
      ? new DynamoDecisionLog({
          tableName: env.DECISIONS_TABLE,
          client: doc,
          log,
        })
      : new MemoryDecisionLog(1000),
    tenants: tenantsTable ?? new StaticTenantDirectory(config.tenants),
    keys: tenantsTable,
    adapters: createAdapters(config.providers, secretsCredentials(env), env),
    adminAuth: { mode: 'iam' },
    limitCounters: env.USAGE_TABLE
      ? new DynamoLimitCounters({ tableName: env.USAGE_TABLE, client: doc })
      : undefined,
  });
}
