import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoModelRegistry } from '../../lambdas/core/adapters/aws/dynamo-registry';
import {
  DynamoTenantDirectory,
  type TenantItem,
} from '../../lambdas/core/adapters/aws/dynamo-tenants';
import type { GatewayConfigFile } from '../../lambdas/core/config/schema';
import { resolveModelEntry } from '../../lambdas/core/registry/model-entry';

type ModelFile = NonNullable<GatewayConfigFile['models']>[number];

/** The OpenAI-compatible chat model the AWS-composition tests and the cost bench route to. */
export const LLAMA_MAVERICK: ModelFile = {
  id: 'llama-maverick',
  provider: 'llama',
  providerModelId: 'Llama-4-Maverick',
  capabilities: ['streaming'],
  pricing: { inputPer1M: 0.2, outputPer1M: 0.6 },
};

/**
 * Seeds the registry and tenants tables the router's AWS composition reads:
 * each model (on an OpenAI-compatible provider) as its first registry
 * version, and one tenant with its settings and client key.
 */
export async function seedRouterTables(
  doc: DynamoDBDocumentClient,
  tables: { readonly registry: string; readonly tenants: string },
  seed: {
    readonly models: readonly ModelFile[];
    readonly tenant: TenantItem & { readonly id: string };
    readonly clientKey: string;
    readonly createdBy: string;
  }
): Promise<void> {
  const registry = new DynamoModelRegistry({
    tableName: tables.registry,
    client: doc,
  });
  for (const model of seed.models)
    await registry.putVersion(
      {
        modelId: model.id,
        config: resolveModelEntry(model, { type: 'openai-compatible' }),
        createdBy: seed.createdBy,
        createdAt: new Date().toISOString(),
      },
      0
    );
  const directory = new DynamoTenantDirectory({
    tableName: tables.tenants,
    client: doc,
  });
  const { id, ...settings } = seed.tenant;
  await directory.putTenant(id, settings);
  await directory.addKey(id, seed.clientKey);
}
