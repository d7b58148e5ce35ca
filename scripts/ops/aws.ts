import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditLog } from '../../lambdas/core/adapters/aws/dynamo-audit-log';
import { DynamoBudgetLedger } from '../../lambdas/core/adapters/aws/dynamo-budget-ledger';
import { DynamoDecisionLog } from '../../lambdas/core/adapters/aws/dynamo-decision-log';
import { DynamoLearningStore } from '../../lambdas/core/adapters/aws/dynamo-learning-store';
import { DynamoModelRegistry } from '../../lambdas/core/adapters/aws/dynamo-registry';
import { DynamoTenantDirectory } from '../../lambdas/core/adapters/aws/dynamo-tenants';
import { SsmKillSwitchStore } from '../../lambdas/core/adapters/aws/ssm-kill-switches';
import { SsmRouteSetStore } from '../../lambdas/core/adapters/aws/ssm-route-sets';
import { MemoryBanditStore } from '../../lambdas/core/adapters/local/memory-bandit-store';
import type { BudgetLedger } from '../../lambdas/core/budget/types';
import { ControlPlane } from '../../lambdas/core/control/control-plane';
import { validateScope } from '../../lambdas/core/kill-switches/value';
import { OpsError } from './backend';

/** Clients and names the AWS mode acts on. */
export interface AwsOpsContext {
  readonly plane: ControlPlane;
  readonly tenants: DynamoTenantDirectory;
  /** The decisions table (discovered on first use: only `decisions export` needs it). */
  readonly decisions: () => Promise<DynamoDecisionLog>;
  /** Budget ledger levels, read lazily from the usage table. */
  readonly budgets: Pick<BudgetLedger, 'list'>;
  readonly who: string;
  readonly describe: string;
}

const ENVS = new Set(['dev', 'staging', 'prod']);

async function tableName(
  ssm: SSMClient,
  env: string,
  name: string
): Promise<string> {
  const fromEnv = process.env[`GATEWAY_${name.toUpperCase()}_TABLE`];
  if (fromEnv) return fromEnv;
  const param = `/ai/gateway/${env}/tables/${name}`;
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: param }));
    if (out.Parameter?.Value) return out.Parameter.Value;
  } catch (err) {
    throw new OpsError(
      `cannot read ${param} (is the gateway deployed to ${env} in this region, and are your credentials valid?): ${(err as Error).name}`
    );
  }
  throw new OpsError(`${param} is empty`);
}

/**
 * Builds the control plane straight on AWS (SSM + DynamoDB) with the caller's
 * credentials. Table names are discovered from `/ai/gateway/{env}/tables/*`
 * (published by the ModelRegistryStack) or GATEWAY_<NAME>_TABLE env vars.
 */
export async function awsOpsContext(
  env: string,
  region?: string
): Promise<AwsOpsContext> {
  if (!ENVS.has(env))
    throw new OpsError(`--env must be dev, staging or prod, got ${env}`);
  const ssm = new SSMClient(region ? { region } : {});
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient(region ? { region } : {}),
    {
      marshallOptions: { removeUndefinedValues: true },
    }
  );
  const [registryTable, auditTable, tenantsTable] = await Promise.all([
    tableName(ssm, env, 'registry'),
    tableName(ssm, env, 'audit'),
    tableName(ssm, env, 'tenants'),
  ]);
  const log = new Logger({ serviceName: 'ai-gateway-ops', logLevel: 'WARN' });
  // The fleet-shared bandit lives in the decisions table: a reset from here
  // acts on what every router reads (README "Learning").
  const decisionsTable = await tableName(ssm, env, 'decisions').catch(
    () => undefined
  );
  const learning = decisionsTable
    ? new DynamoLearningStore({ tableName: decisionsTable, client: doc, log })
    : undefined;
  await learning?.refresh();
  const tenants = new DynamoTenantDirectory({
    tableName: tenantsTable,
    client: doc,
  });
  const who =
    process.env.GATEWAY_OPS_USER ?? `${process.env.USER ?? 'operator'}@ops-cli`;
  const plane = new ControlPlane({
    registry: new DynamoModelRegistry({
      tableName: registryTable,
      client: doc,
    }),
    routeSets: new SsmRouteSetStore({
      env,
      tableName: registryTable,
      client: doc,
      awsSdkV3Client: ssm,
      log,
    }),
    killSwitches: new SsmKillSwitchStore({
      env,
      awsSdkV3Client: ssm,
      log,
      maxAgeMs: 0,
    }),
    audit: new DynamoAuditLog({ tableName: auditTable, client: doc }),
    bandit: learning?.bandit ?? new MemoryBanditStore(),
    parseModelEntry: () => {
      throw new OpsError(
        'use `npm run registry -- seed` to write model versions'
      );
    },
    validateScope,
    log,
    keys: tenants,
  });
  return {
    plane,
    tenants,
    decisions: async () =>
      new DynamoDecisionLog({
        tableName: await tableName(ssm, env, 'decisions'),
        client: doc,
      }),
    // The usage table is looked up only when a budget command runs.
    budgets: {
      list: async (tenant) =>
        new DynamoBudgetLedger({
          tableName: await tableName(ssm, env, 'usage'),
          client: doc,
        }).list(tenant),
    },
    who,
    describe: `AWS ${env}${region ? ` (${region})` : ''}`,
  };
}
