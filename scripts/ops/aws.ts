import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditLog } from '../../lambdas/core/adapters/aws/dynamo-audit-log';
import { DynamoModelRegistry } from '../../lambdas/core/adapters/aws/dynamo-registry';
import { DynamoTenantDirectory } from '../../lambdas/core/adapters/aws/dynamo-tenants';
import { SsmKillSwitchStore } from '../../lambdas/core/adapters/aws/ssm-kill-switches';
import { SsmRouteSetStore } from '../../lambdas/core/adapters/aws/ssm-route-sets';
import { MemoryBanditStore } from '../../lambdas/core/adapters/local/memory-bandit-store';
import { ControlPlane } from '../../lambdas/core/control/control-plane';
import { validateScope } from '../../lambdas/core/kill-switches/value';
import { OpsError } from './backend';

/** Clients and names the AWS mode acts on. */
export interface AwsOpsContext {
  readonly plane: ControlPlane;
  readonly tenants: DynamoTenantDirectory;
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
    bandit: new MemoryBanditStore(),
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
    who,
    describe: `AWS ${env}${region ? ` (${region})` : ''}`,
  };
}
