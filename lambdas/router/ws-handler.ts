/**
 * WebSocket Lambda entry (API Gateway WebSocket API: `$connect`,
 * `$disconnect`, `$default`). Thin: the router composition of the HTTP
 * handler, authenticating frames by the key hash `$connect` stored.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoWsConnectionStore } from '../core/adapters/aws/dynamo-ws-connections';
import { ConfigError } from '../core/config/load';
import type { TenantDirectory } from '../core/tenants/directory';
import { KeyHashTenantDirectory } from '../core/tenants/key-hash-directory';
import { composeAws } from './aws-deps';
import { createWsHandler } from './ws-app';

const env = process.env;
let clearKeys: TenantDirectory | undefined;
const { app, deps } = composeAws(env, {
  wrapTenants: (tenants) => {
    clearKeys = tenants;
    return new KeyHashTenantDirectory(tenants);
  },
});
const table = env.WS_CONNECTIONS_TABLE;
if (!table)
  throw new ConfigError('environment', ['WS_CONNECTIONS_TABLE is not set']);

// One Management API client per endpoint, created once per container.
const clients = new Map<string, ApiGatewayManagementApiClient>();

const positive = (v: string | undefined): number | undefined => {
  const n = Number(v);
  return v && Number.isFinite(n) && n > 0 ? n : undefined;
};

/** The handler the runtime invokes for every WebSocket route. */
export const handler = createWsHandler({
  app,
  tenants: clearKeys!,
  connections: new DynamoWsConnectionStore({
    tableName: table,
    ttlAttribute: env.WS_TTL_ATTRIBUTE || undefined,
  }),
  managementClient: (endpoint) => {
    let c = clients.get(endpoint);
    if (!c) {
      c = new ApiGatewayManagementApiClient({ endpoint });
      clients.set(endpoint, c);
    }
    return c;
  },
  managementEndpoint: env.WS_MANAGEMENT_ENDPOINT || undefined,
  maxInFlight: positive(env.WS_MAX_IN_FLIGHT),
  cancelPollMs: positive(env.WS_CANCEL_POLL_MS),
  afterMessage: () => deps.decisions.flush?.(),
  log: deps.log,
});
