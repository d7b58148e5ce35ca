import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditLog } from '../core/adapters/aws/dynamo-audit-log';
import { DynamoExperimentStore } from '../core/adapters/aws/dynamo-experiments';
import { DynamoModelRegistry } from '../core/adapters/aws/dynamo-registry';
import { SsmKillSwitchStore } from '../core/adapters/aws/ssm-kill-switches';
import { SsmRouteSetStore } from '../core/adapters/aws/ssm-route-sets';
import { MemoryBanditStore } from '../core/adapters/local/memory-bandit-store';
import { StaticExperimentFlags } from '../core/adapters/local/memory-experiment-store';
import { ControlPlane } from '../core/control/control-plane';
import { ExperimentService } from '../core/experiments/service';
import { validateScope } from '../core/kill-switches/value';
import { DEFAULT_ROUTE_SET } from '../core/registry/schema';
import {
  cloudWatchAlarmTags,
  DynamoRouteSetInspector,
  dynamoIdempotency,
  SnsRollbackNotifier,
} from '../core/rollback/aws';
import { RollbackError } from '../core/rollback/errors';
import { AlarmRollback } from '../core/rollback/rollback';

/** Env var of the SNS topic rollback summaries go to (optional). */
export const ROLLBACK_TOPIC_ENV = 'ROLLBACK_TOPIC_ARN';

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new RollbackError(`environment: ${name} is not set`);
  return v;
}

/** `ROLLBACK_DRY_RUN`: `true`/`1` on, `false`/`0`/unset off; anything else is a mistake. */
export function parseDryRun(raw: string | undefined): boolean {
  const v = (raw ?? '').trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === '' || v === 'false' || v === '0') return false;
  throw new RollbackError(
    `environment: ROLLBACK_DRY_RUN must be true or false, got ${JSON.stringify(raw)}`
  );
}

/** What the rollback handler runs on. */
export interface RollbackApp {
  readonly rollback: AlarmRollback;
  readonly log: Logger;
}

/**
 * Builds the rollback once per container from the environment the
 * Monitoring stack sets (docs/deploy.md): IDEMPOTENCY_TABLE,
 * MODEL_REGISTRY_TABLE, AUDIT_TABLE, KILL_SWITCH_PREFIX, ROUTE_SET_PARAM,
 * ROLLBACK_DRY_RUN, GATEWAY_ENV, and ROLLBACK_TOPIC_ARN when summaries
 * should go to SNS. The ControlPlane gets an in-memory bandit store and a
 * model-entry parser that refuses: the rollback never resets the bandit
 * nor writes model entries.
 */
export function composeRollback(env: NodeJS.ProcessEnv): RollbackApp {
  const log = new Logger({
    serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'ai-gateway-rollback',
  });
  const dryRun = parseDryRun(env.ROLLBACK_DRY_RUN);
  const raw = new DynamoDBClient({});
  const doc = DynamoDBDocumentClient.from(raw, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const ssm = new SSMClient({});
  const registryTable = required(env, 'MODEL_REGISTRY_TABLE');
  const param = required(env, 'ROUTE_SET_PARAM');
  const at = param.lastIndexOf('/');
  const prefix = param.slice(0, at);
  const defaultRouteSet = param.slice(at + 1) || DEFAULT_ROUTE_SET;
  const control = new ControlPlane({
    registry: new DynamoModelRegistry({
      tableName: registryTable,
      client: doc,
    }),
    routeSets: new SsmRouteSetStore({
      prefix,
      tableName: registryTable,
      client: doc,
      awsSdkV3Client: ssm,
      log,
    }),
    killSwitches: new SsmKillSwitchStore({
      prefix: required(env, 'KILL_SWITCH_PREFIX'),
      awsSdkV3Client: ssm,
      log,
    }),
    audit: new DynamoAuditLog({
      tableName: required(env, 'AUDIT_TABLE'),
      client: doc,
    }),
    bandit: new MemoryBanditStore(),
    parseModelEntry: () => {
      throw new RollbackError('the rollback does not write model entries');
    },
    validateScope,
    log,
  });
  const topic = env[ROLLBACK_TOPIC_ENV];
  const rollback = new AlarmRollback({
    control,
    routeSets: new DynamoRouteSetInspector({
      tableName: registryTable,
      client: doc,
    }),
    alarmTags: cloudWatchAlarmTags(log, new CloudWatchClient({})),
    // Experiments live on the registry table: stopping one is a state write.
    experiments: new ExperimentService({
      store: new DynamoExperimentStore({
        definitionsTable: registryTable,
        countersTable: registryTable,
        client: doc,
      }),
      flags: new StaticExperimentFlags(),
      control,
      log,
    }),
    ...(topic
      ? { notifier: new SnsRollbackNotifier(topic, new SNSClient({})) }
      : {}),
    idempotency: dynamoIdempotency({
      tableName: required(env, 'IDEMPOTENCY_TABLE'),
      client: raw,
    }),
    defaultRouteSet,
    dryRun,
    ...(env.GATEWAY_ENV ? { environment: env.GATEWAY_ENV } : {}),
    log,
  });
  return { rollback, log };
}
