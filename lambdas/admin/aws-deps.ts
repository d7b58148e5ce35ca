import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditLog } from '../core/adapters/aws/dynamo-audit-log';
import { DynamoBudgetLedger } from '../core/adapters/aws/dynamo-budget-ledger';
import { DynamoDecisionLog } from '../core/adapters/aws/dynamo-decision-log';
import { DynamoLearningStore } from '../core/adapters/aws/dynamo-learning-store';
import { DynamoTenantDirectory } from '../core/adapters/aws/dynamo-tenants';
import { EmfMetrics } from '../core/adapters/aws/emf-metrics';
import { awsExperimentParts } from '../core/adapters/aws/experiment-parts';
import { SsmKillSwitchStore } from '../core/adapters/aws/ssm-kill-switches';
import { MemoryBanditStore } from '../core/adapters/local/memory-bandit-store';
import { MemoryLatencyTracker } from '../core/adapters/local/memory-latency-tracker';
import { ConfigError } from '../core/config/load';
import type { ExperimentService } from '../core/experiments/service';
import { createExperimentService } from '../core/experiments/wiring';
import type { BanditStore, LatencyTracker } from '../core/ports';
import { StaticTenantDirectory } from '../core/tenants/directory';
import { awsRegistryParts, loadAwsConfig } from '../router/aws-config';
import { type AdminRoutes, createAdminRoutes, createControlPlane } from './app';
import { sharedStatsJson } from './stats';

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new ConfigError('environment', [`${name} is not set`]);
  return v;
}

/** The learning state every router container shares (bandit, latency). */
export interface SharedLearningState {
  readonly bandit: BanditStore;
  readonly latency: LatencyTracker;
}

/**
 * Builds the admin routes for the admin Lambda (once per container): the
 * registry, route sets (SSM), kill switches (SSM), audit and decision log
 * with write access the router no longer has; callers authenticated by
 * API Gateway's AWS_IAM. `shared` is the bandit/latency state the routers
 * share; by default the DynamoDB-backed stores on the decisions table (the
 * same items every router reads). Memory only when `learning.shared` is off:
 * then the stats and bandit reset
 * only see this container's memory.
 */
export function composeAdminAws(
  env: NodeJS.ProcessEnv = process.env,
  shared?: SharedLearningState
): {
  routes: AdminRoutes;
  log: Logger;
  experiments?: ExperimentService;
} {
  const config = loadAwsConfig(env);
  const log = new Logger();
  const metrics = new EmfMetrics();
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const ssm = new SSMClient({});
  const { registry, routeSets, catalog } = awsRegistryParts(
    env,
    config,
    doc,
    ssm,
    log
  );
  // The routers' fleet-shared learning state (decisions table): stats read
  // it and a bandit reset acts on it, not on this container's memory.
  const learning =
    !shared && config.learning.shared.enabled
      ? new DynamoLearningStore({
          tableName: required(env, 'DECISIONS_TABLE'),
          client: doc,
          settings: config.learning,
          log,
        })
      : undefined;
  const state = shared ??
    learning ?? {
      bandit: new MemoryBanditStore(),
      latency: new MemoryLatencyTracker(),
    };
  const killSwitches = new SsmKillSwitchStore({
    prefix: required(env, 'KILL_SWITCH_PREFIX'),
    awsSdkV3Client: ssm,
    log,
  });
  const audit = new DynamoAuditLog({
    tableName: required(env, 'AUDIT_TABLE'),
    client: doc,
  });
  const keys = env.TENANTS_TABLE
    ? new DynamoTenantDirectory({ tableName: env.TENANTS_TABLE, client: doc })
    : undefined;
  const control = createControlPlane({
    keys,
    config,
    registry,
    routeSets,
    killSwitches,
    audit,
    bandit: state.bandit,
    log,
    metrics,
  });
  // The experiment controller acts here (the router only asks): this
  // function holds the registry, kill-switch and route-set writes.
  const parts = awsExperimentParts(env, config.experiments, doc, log);
  const experiments = parts
    ? createExperimentService({
        parts: { ...parts, registry, routeSets, control },
        settings: config.experiments,
        metrics,
        log,
      })
    : undefined;
  const routes = createAdminRoutes({
    config,
    registry,
    routeSets,
    killSwitches,
    audit,
    control,
    experiments,
    // Budget levels for `ops budget report` (read-only use of the usage table).
    budgets: env.USAGE_TABLE
      ? new DynamoBudgetLedger({ tableName: env.USAGE_TABLE, client: doc })
      : undefined,
    bandit: state.bandit,
    decisions: new DynamoDecisionLog({
      tableName: required(env, 'DECISIONS_TABLE'),
      client: doc,
      log,
    }),
    // IAM mode never consults tenants: API Gateway authenticated the caller.
    tenants: new StaticTenantDirectory([]),
    auth: { mode: 'iam' },
    log,
    metrics,
    stats: async () => {
      await Promise.all([catalog.refresh(), learning?.refresh()]);
      return sharedStatsJson(catalog.list(), state.latency, state.bandit);
    },
  });
  return { routes, log, experiments };
}
