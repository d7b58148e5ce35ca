import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BedrockGuardrailProps } from '../core/adapters/aws/bedrock-guardrail';
import { AwsBudgetAlerts } from '../core/adapters/aws/budget-alerts';
import { DynamoBudgetLedger } from '../core/adapters/aws/dynamo-budget-ledger';
import { DynamoDecisionLog } from '../core/adapters/aws/dynamo-decision-log';
import { DynamoEmbeddingCacheStore } from '../core/adapters/aws/dynamo-embedding-cache';
import { DynamoLearningStore } from '../core/adapters/aws/dynamo-learning-store';
import { DynamoLimitCounters } from '../core/adapters/aws/dynamo-limit-counters';
import { DynamoResponseCacheStore } from '../core/adapters/aws/dynamo-response-cache';
import { DynamoTenantDirectory } from '../core/adapters/aws/dynamo-tenants';
import { EmfMetrics } from '../core/adapters/aws/emf-metrics';
import {
  eventBridgeExperimentDelegate,
  READ_ONLY_ROLLOUT_CONTROL,
} from '../core/adapters/aws/experiment-delegate';
import { awsExperimentParts } from '../core/adapters/aws/experiment-parts';
import { lazyPutEvents } from '../core/adapters/aws/lazy-eventbridge';
import { secretsCredentials } from '../core/adapters/aws/secrets-credentials';
import { SsmKillSwitchStore } from '../core/adapters/aws/ssm-kill-switches';
import { MemoryDecisionLog } from '../core/adapters/local/decision-log';
import { loadJsonSchemaEngine } from '../core/api/json-schema';
import type { BudgetLedger } from '../core/budget/types';
import type { GatewayConfig } from '../core/config/load';
import type { Guardrail } from '../core/guardrails/types';
import { lazyLoad } from '../core/lazy';
import type { LazyProviderAdapter } from '../core/providers/lazy-adapter';
import { createAdapters } from '../core/providers/registry';
import type { ProviderAdapter } from '../core/providers/types';
import {
  StaticTenantDirectory,
  type TenantDirectory,
} from '../core/tenants/directory';
import type { RouterApp, RouterDeps } from './app';
import { awsRegistryParts, loadAwsConfig, requiredEnv } from './aws-config';
import { composeRouter } from './compose';

export { awsRegistryParts, loadAwsConfig } from './aws-config';

/**
 * The DynamoDB budget ledger: one conditional transaction per reservation,
 * or, with `budgets.lease.enabled`, slices leased per container (at scale).
 * The leasing ledger is a lazy chunk, loaded by the first budget call of a
 * container that leases; others never load it.
 */
export function budgetLedgerFor(
  tableName: string,
  client: DynamoDBDocumentClient,
  config: GatewayConfig
): BudgetLedger {
  const ledger = new DynamoBudgetLedger({ tableName, client });
  if (!config.budgets.lease.enabled) return ledger;
  const settings = config.budgets.lease;
  const holder = randomUUID();
  const leasing = lazyLoad(async () => {
    const { LeasingBudgetLedger, DynamoSliceStore } = await import(
      '../core/lazy-parts.js'
    );
    return new LeasingBudgetLedger({
      store: new DynamoSliceStore({ tableName, client }),
      settings,
      holder,
      reports: ledger,
    });
  });
  return {
    reserve: async (request) => (await leasing()).reserve(request),
    settle: async (r, costNanos) => (await leasing()).settle(r, costNanos),
    release: async (r) => (await leasing()).release(r),
    sweep: async (tenant, now) => (await leasing()).sweep(tenant, now),
    balances: async (levels) => (await leasing()).balances(levels),
    list: async (tenant) => (await leasing()).list(tenant),
  };
}

/**
 * Bedrock ApplyGuardrail behind the Guardrail port, as a lazy chunk: its
 * code (and its clients) load with the first request a profile sends to
 * Bedrock Guardrails. A failed load is a thrown error, which the guardrail
 * service turns into `unavailable` like any other failure of the remote.
 */
export function lazyBedrockGuardrail(props: BedrockGuardrailProps): Guardrail {
  const guardrail = lazyLoad(async () => {
    const { BedrockGuardrail } = await import('../core/lazy-parts.js');
    return new BedrockGuardrail(props);
  });
  return {
    name: 'bedrock',
    check: async (request) => (await guardrail()).check(request),
  };
}

/**
 * Loads the router's lazy chunks: the JSON Schema engine (ajv), the gateway's
 * rarely taken paths (lambdas/core/lazy-parts.ts) and, through them, the
 * adapters that load on first call. For a container that inits ahead of its
 * traffic (provisioned concurrency), where init time is free and a
 * request's is not. Never rejects: resolves with what failed to load (that
 * path then loads on its first use, as without a preload).
 */
export function preloadLazyChunks(
  adapters: ReadonlyMap<string, ProviderAdapter>
): Promise<string[]> {
  const parts: [string, () => Promise<unknown>][] = [
    ['json-schema', loadJsonSchemaEngine],
    ['lazy-parts', () => import('../core/lazy-parts.js')],
  ];
  for (const [id, adapter] of adapters) {
    const { load } = adapter as Partial<LazyProviderAdapter>;
    if (load) parts.push([`adapter:${id}`, load]);
  }
  return Promise.all(
    parts.map(([name, load]) =>
      load().then(
        () => undefined,
        () => name
      )
    )
  ).then((failed) => failed.filter((n): n is string => n !== undefined));
}

/**
 * Builds the router for the Lambda (once per container): models from the
 * DynamoDB registry + the SSM route set, kill switches from SSM (≤ 5 s
 * staleness), tenants from DynamoDB (hashed keys), credentials from Secrets
 * Manager, decisions in DynamoDB, metrics as EMF. No admin routes: the
 * admin Lambda (lambdas/admin) serves `/v1/admin/*` with the write access.
 * Bandit posteriors and latency estimates are shared by the fleet through
 * the decisions table (`learning`: the handler syncs it after each response).
 */
export function composeAws(
  env: NodeJS.ProcessEnv = process.env,
  /** Wraps the tenant directory (the WebSocket handler authenticates by key hash). */
  options: { wrapTenants?: (tenants: TenantDirectory) => TenantDirectory } = {}
): {
  app: RouterApp;
  deps: RouterDeps;
  learning?: DynamoLearningStore;
  /** {@link preloadLazyChunks} for this composition. */
  preload: () => Promise<string[]>;
} {
  const config = loadAwsConfig(env);
  const log = new Logger();
  const metrics = new EmfMetrics();
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const ssm = new SSMClient({});
  const {
    registry,
    routeSets,
    routeSetName: name,
    catalog,
  } = awsRegistryParts(env, config, doc, ssm, log, (kind) =>
    metrics.event('RegistryError', 1, { Kind: kind })
  );
  const tenantsTable = env.TENANTS_TABLE
    ? new DynamoTenantDirectory({ tableName: env.TENANTS_TABLE, client: doc })
    : undefined;
  const killSwitches = new SsmKillSwitchStore({
    prefix: requiredEnv(env, 'KILL_SWITCH_PREFIX'),
    awsSdkV3Client: ssm,
    log,
    onError: () => metrics.event('KillSwitchReadError'),
  });
  const learning =
    env.DECISIONS_TABLE && config.learning.shared.enabled
      ? new DynamoLearningStore({
          tableName: env.DECISIONS_TABLE,
          client: doc,
          settings: config.learning,
          log,
        })
      : undefined;
  // One EventBridge client: budget alerts and experiment evaluation requests.
  const events = lazyPutEvents();
  const experimentParts = awsExperimentParts(env, config.experiments, doc, log);
  const router = composeRouter({
    config,
    log,
    metrics,
    bandit: learning?.bandit,
    latency: learning?.latency,
    catalog,
    routeSetName: name,
    killSwitches,
    killSwitchFailOpen: env.KILL_SWITCH_FAIL_OPEN === 'true',
    decisions: env.DECISIONS_TABLE
      ? new DynamoDecisionLog({
          tableName: env.DECISIONS_TABLE,
          client: doc,
          log,
        })
      : new MemoryDecisionLog(1000),
    tenants: (options.wrapTenants ?? ((t) => t))(
      tenantsTable ?? new StaticTenantDirectory(config.tenants)
    ),
    adapters: createAdapters(config.providers, secretsCredentials(env), env),
    cacheStore: env.CACHE_TABLE
      ? new DynamoResponseCacheStore({
          tableName: env.CACHE_TABLE,
          client: doc,
        })
      : undefined,
    embeddingCacheStore: env.CACHE_TABLE
      ? new DynamoEmbeddingCacheStore({
          tableName: env.CACHE_TABLE,
          client: doc,
        })
      : undefined,
    guardrail: env.GUARDRAIL_PARAM_PREFIX
      ? lazyBedrockGuardrail({
          parameterPrefix: env.GUARDRAIL_PARAM_PREFIX,
          settings: config.guardrails,
          awsSdkV3Client: ssm,
        })
      : undefined,
    experiments: experimentParts
      ? {
          ...experimentParts,
          registry,
          routeSets,
          // No admin writes here: verdicts go to the admin function.
          control: READ_ONLY_ROLLOUT_CONTROL,
          delegate: eventBridgeExperimentDelegate({ client: events, log }),
        }
      : undefined,
    // Budgets shared by every container (memory per container without the table).
    ...(env.USAGE_TABLE
      ? {
          budgetLedger: budgetLedgerFor(env.USAGE_TABLE, doc, config),
          budgetAlerts: new AwsBudgetAlerts({
            tableName: env.USAGE_TABLE,
            client: doc,
            eventBusName: env.BUDGET_EVENT_BUS,
            events,
          }),
        }
      : {}),
    limitCounters: env.USAGE_TABLE
      ? new DynamoLimitCounters({ tableName: env.USAGE_TABLE, client: doc })
      : undefined,
  });
  return {
    ...router,
    learning,
    preload: () => preloadLazyChunks(router.deps.adapters),
  };
}
