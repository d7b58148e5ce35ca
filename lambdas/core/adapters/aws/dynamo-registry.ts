import {
  DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type ActivationRecord,
  checkModelVersion,
  checkRouteSet,
} from '../../registry/rules';
import { toRouteSetDocument, validateRouteSet } from '../../registry/schema';
import {
  type ModelRegistryStore,
  type ModelVersion,
  RegistryConflictError,
  RegistryError,
  RegistryNotFoundError,
  RegistryUnavailableError,
  RegistryValidationError,
  type RouteSetDocument,
} from '../../registry/types';
import type { Capability, ModelConfig, ProviderType } from '../../types';

/**
 * The model registry table (string keys `pk`, `sk`; the
 * `MODEL_REGISTRY_TABLE` env var):
 *
 * | item | pk | sk |
 * |---|---|---|
 * | model version | `<provider>#<model id>` | `v000001` |
 * | latest pointer of a model | `model-latest` | `<model id>` |
 * | route set version | `routeset#<name>` | `v000001` |
 * | route set state (latest, active) | `routeset#<name>` | `state` |
 * | route set activation | `routeset#<name>` | `activation#000001` |
 *
 * Every write is a transaction whose condition checks the pointer still
 * holds the version the writer read (optimistic concurrency), so two writers
 * racing for version N+1 can't both win. The pointers of all models share one
 * partition: `listLatest` is one Query that reads only pointers (each holds a
 * copy of its latest version), however long the history grows, instead of a
 * Scan over every version; `history` finds a model's partitions from its
 * pointer (a model that moved provider keeps one version sequence).
 */

/** Partition of the per-model latest-version pointers. */
export const MODEL_LATEST_PK = 'model-latest';

/** Sort key of version `n`: `v000001` (zero-padded so versions sort). */
export function versionSortKey(n: number): string {
  return `v${String(n).padStart(6, '0')}`;
}

/** Partition of a model's versions: `provider#model`. */
export function modelPartitionKey(provider: string, modelId: string): string {
  return `${provider}#${modelId}`;
}

/** Partition of a route set's versions, state and activation log. */
export function routeSetPartitionKey(name: string): string {
  return `routeset#${name}`;
}

let sharedClient: DynamoDBDocumentClient | undefined;

/** The container's document client (created on first use, habit 10). */
export function defaultDocumentClient(): DynamoDBDocumentClient {
  sharedClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}));
  return sharedClient;
}

type Item = Record<string, unknown>;

/** Turns an SDK failure of a conditional transaction into a registry error. */
function transactionError(err: unknown, conflict: string): Error {
  if (err instanceof TransactionCanceledException) {
    const codes = (err.CancellationReasons ?? []).map((r) => r.Code);
    if (
      codes.includes('ConditionalCheckFailed') ||
      codes.includes('TransactionConflict')
    )
      return new RegistryConflictError(conflict, { cause: err });
  }
  return unavailable(err);
}

function unavailable(err: unknown): Error {
  if (err instanceof RegistryError) return err;
  const e = err as Error;
  return new RegistryUnavailableError(
    `registry table: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`,
    { cause: err }
  );
}

function modelItem(v: ModelVersion): Item {
  const c = v.config;
  const item: Item = {
    kind: 'model-version',
    modelId: v.modelId,
    version: v.version,
    provider: c.provider,
    providerType: c.providerType,
    providerModelId: c.providerModelId,
    status: c.status,
    region: c.region,
    capabilities: [...c.capabilities],
    contextWindow: c.contextWindow,
    maxOutputTokens: c.maxOutputTokens,
    pricing: {
      inputPer1M: c.pricing.inputPer1M,
      outputPer1M: c.pricing.outputPer1M,
    },
    domains: [...c.domains],
    quality: c.quality,
    ...(c.expectedLatencyMs === undefined
      ? {}
      : { expectedLatencyMs: c.expectedLatencyMs }),
    aliases: [...c.aliases],
    createdBy: v.createdBy,
    createdAt: v.createdAt,
  };
  // Absent optional fields stay absent: DynamoDB has no `undefined`.
  if (c.autoRoute !== undefined) item.autoRoute = c.autoRoute;
  if (c.structuredOutput !== undefined)
    item.structuredOutput = c.structuredOutput;
  if (v.guardrailProfile !== undefined)
    item.guardrailProfile = v.guardrailProfile;
  if (v.tokenLimit !== undefined) item.tokenLimit = v.tokenLimit;
  return item;
}

/** Reads a stored version back; a malformed item is a validation error, never a half model. */
function modelFromItem(item: Item, where: string): ModelVersion {
  const pricing = (item.pricing ?? {}) as Record<string, unknown>;
  const config: ModelConfig = {
    id: item.modelId as string,
    provider: item.provider as string,
    providerType: item.providerType as ProviderType,
    providerModelId: item.providerModelId as string,
    aliases: (item.aliases ?? []) as string[],
    region: item.region as string,
    capabilities: (item.capabilities ?? []) as Capability[],
    contextWindow: item.contextWindow as number,
    maxOutputTokens: item.maxOutputTokens as number,
    pricing: {
      inputPer1M: pricing.inputPer1M as number,
      outputPer1M: pricing.outputPer1M as number,
    },
    domains: (item.domains ?? []) as string[],
    quality: item.quality as number,
    ...(item.expectedLatencyMs === undefined
      ? {}
      : { expectedLatencyMs: item.expectedLatencyMs as number }),
    status: item.status as ModelConfig['status'],
    ...(item.autoRoute === undefined
      ? {}
      : { autoRoute: item.autoRoute as boolean }),
    ...(item.structuredOutput === undefined
      ? {}
      : {
          structuredOutput:
            item.structuredOutput as ModelConfig['structuredOutput'],
        }),
  };
  const input = {
    modelId: item.modelId as string,
    config,
    ...(item.guardrailProfile === undefined
      ? {}
      : { guardrailProfile: item.guardrailProfile as string }),
    ...(item.tokenLimit === undefined
      ? {}
      : { tokenLimit: item.tokenLimit as number }),
    createdBy: item.createdBy as string,
    createdAt: item.createdAt as string,
  };
  const version = item.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    throw new RegistryValidationError([
      `${where}: version: not a positive integer`,
    ]);
  try {
    return checkModelVersion(input, version);
  } catch (err) {
    if (err instanceof RegistryValidationError)
      throw new RegistryValidationError(
        err.problems.map((p) => `${where}: ${p}`)
      );
    throw err;
  }
}

function routeSetItem(doc: RouteSetDocument): Item {
  const item: Item = {
    kind: 'route-set-version',
    name: doc.name,
    version: doc.version,
    models: doc.models.map((m) =>
      m.version === undefined ? { id: m.id } : { id: m.id, version: m.version }
    ),
  };
  if (doc.updatedBy !== undefined) item.updatedBy = doc.updatedBy;
  if (doc.updatedAt !== undefined) item.updatedAt = doc.updatedAt;
  if (doc.description !== undefined) item.description = doc.description;
  return item;
}

function routeSetFromItem(item: Item, where: string): RouteSetDocument {
  const { pk: _pk, sk: _sk, kind: _kind, ...doc } = item;
  const result = validateRouteSet(doc, { requireVersion: true });
  if (!result.ok)
    throw new RegistryValidationError(
      result.problems.map((p) => `${where}: ${p}`)
    );
  return toRouteSetDocument(result.value, result.value.version!);
}

/** Shared DynamoDB plumbing: paginated queries, consistent gets. */
class RegistryTable {
  public constructor(
    public readonly tableName: string,
    public readonly client: DynamoDBDocumentClient,
    private readonly pageSize?: number
  ) {}

  public async get(pk: string, sk: string): Promise<Item | undefined> {
    try {
      const out = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk, sk },
          ConsistentRead: true,
        })
      );
      return out.Item;
    } catch (err) {
      throw unavailable(err);
    }
  }

  /** Pages of one partition's items whose sk starts with `prefix`. */
  public async *pages(
    pk: string,
    prefix: string | undefined,
    newestFirst: boolean
  ): AsyncGenerator<Item[]> {
    let start: Record<string, unknown> | undefined;
    do {
      const input: QueryCommandInput = {
        TableName: this.tableName,
        KeyConditionExpression:
          prefix === undefined
            ? '#pk = :pk'
            : '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames:
          prefix === undefined ? { '#pk': 'pk' } : { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues:
          prefix === undefined
            ? { ':pk': pk }
            : { ':pk': pk, ':prefix': prefix },
        ScanIndexForward: !newestFirst,
        ConsistentRead: true,
        ...(this.pageSize ? { Limit: this.pageSize } : {}),
        ...(start ? { ExclusiveStartKey: start } : {}),
      };
      let out: QueryCommandOutput;
      try {
        out = await this.client.send(new QueryCommand(input));
      } catch (err) {
        throw unavailable(err);
      }
      yield out.Items ?? [];
      start = out.LastEvaluatedKey;
    } while (start);
  }

  public async all(
    pk: string,
    prefix: string | undefined,
    newestFirst: boolean
  ): Promise<Item[]> {
    const items: Item[] = [];
    for await (const page of this.pages(pk, prefix, newestFirst))
      items.push(...page);
    return items;
  }

  public async transact(
    items: NonNullable<
      ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
    >,
    conflict: string
  ): Promise<void> {
    try {
      await this.client.send(
        new TransactWriteCommand({ TransactItems: items })
      );
    } catch (err) {
      throw transactionError(err, conflict);
    }
  }
}

/** Props of {@link DynamoModelRegistry} and {@link DynamoRouteSetHistory}. */
export interface DynamoRegistryProps {
  /** Registry table (string keys `pk`, `sk`; the `MODEL_REGISTRY_TABLE` env var). */
  readonly tableName: string;
  /** Document client (tests point one at DynamoDB Local). @default - the shared client */
  readonly client?: DynamoDBDocumentClient;
  /** Items per Query page. @default - DynamoDB's 1 MB pages */
  readonly pageSize?: number;
}

/** ModelRegistryStore on DynamoDB (see the table layout above). */
export class DynamoModelRegistry implements ModelRegistryStore {
  private readonly table: RegistryTable;

  public constructor(props: DynamoRegistryProps) {
    this.table = new RegistryTable(
      props.tableName,
      props.client ?? defaultDocumentClient(),
      props.pageSize
    );
  }

  /** Latest version of every model (one paginated Query of the pointers), by model id. */
  public async listLatest(): Promise<readonly ModelVersion[]> {
    const pointers = await this.table.all(MODEL_LATEST_PK, undefined, false);
    return pointers.map((p) =>
      modelFromItem(p.item as Item, `${MODEL_LATEST_PK}/${String(p.sk)}`)
    );
  }

  /** Every version of one model, newest first ([] for an unknown model). */
  public async history(modelId: string): Promise<readonly ModelVersion[]> {
    const pointer = await this.table.get(MODEL_LATEST_PK, modelId);
    if (!pointer) return [];
    const partitions = [...((pointer.partitions as Set<string>) ?? [])];
    const versions: ModelVersion[] = [];
    for (const pk of partitions) {
      for (const item of await this.table.all(pk, 'v', true)) {
        if (item.modelId === modelId)
          versions.push(modelFromItem(item, `${pk}/${String(item.sk)}`));
      }
    }
    return versions.sort((a, b) => b.version - a.version);
  }

  /**
   * Writes version `expectedLatest + 1` and moves the pointer to it in one
   * transaction, conditional on the pointer still being at `expectedLatest`
   * (absent for 0); RegistryConflictError when another writer got there first.
   */
  public async putVersion(
    input: Omit<ModelVersion, 'version'>,
    expectedLatest: number
  ): Promise<ModelVersion> {
    const version = checkModelVersion(input, expectedLatest + 1);
    const pk = modelPartitionKey(version.config.provider, version.modelId);
    const item = modelItem(version);
    await this.table.transact(
      [
        {
          Put: {
            TableName: this.table.tableName,
            Item: { pk, sk: versionSortKey(version.version), ...item },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Update: {
            TableName: this.table.tableName,
            Key: { pk: MODEL_LATEST_PK, sk: version.modelId },
            UpdateExpression:
              'SET #version = :next, #item = :item, #kind = :kind ADD #partitions :partition',
            ConditionExpression:
              expectedLatest === 0
                ? 'attribute_not_exists(#version)'
                : '#version = :expected',
            ExpressionAttributeNames: {
              '#version': 'version',
              '#item': 'item',
              '#kind': 'kind',
              '#partitions': 'partitions',
            },
            ExpressionAttributeValues: {
              ':next': version.version,
              ':item': item,
              ':kind': 'model-latest',
              ':partition': new Set([pk]),
              ...(expectedLatest === 0 ? {} : { ':expected': expectedLatest }),
            },
          },
        },
      ],
      `model ${version.modelId}: latest version is no longer ${expectedLatest}`
    );
    return version;
  }
}

/** A route set's bookkeeping: latest stored version, active version, activation count. */
export interface RouteSetState {
  readonly latestVersion: number;
  readonly activeVersion?: number;
  readonly activations: number;
}

/**
 * Route set versions and activation log in the registry table (the active
 * document itself lives elsewhere: SSM on AWS). Used by SsmRouteSetStore.
 */
export class DynamoRouteSetHistory {
  private readonly table: RegistryTable;

  public constructor(props: DynamoRegistryProps) {
    this.table = new RegistryTable(
      props.tableName,
      props.client ?? defaultDocumentClient(),
      props.pageSize
    );
  }

  /** Stored versions, newest first ([] for an unknown route set). */
  public async versions(name: string): Promise<readonly RouteSetDocument[]> {
    const pk = routeSetPartitionKey(name);
    const items = await this.table.all(pk, 'v', true);
    return items.map((i) => routeSetFromItem(i, `${pk}/${String(i.sk)}`));
  }

  /** One stored version, undefined when absent. */
  public async get(
    name: string,
    version: number
  ): Promise<RouteSetDocument | undefined> {
    const pk = routeSetPartitionKey(name);
    const sk = versionSortKey(version);
    const item = await this.table.get(pk, sk);
    return item ? routeSetFromItem(item, `${pk}/${sk}`) : undefined;
  }

  /** Latest, active and activation count (zeros for an unknown route set). */
  public async state(name: string): Promise<RouteSetState> {
    const item = await this.table.get(routeSetPartitionKey(name), 'state');
    return {
      latestVersion: (item?.latestVersion as number | undefined) ?? 0,
      ...(item?.activeVersion === undefined
        ? {}
        : { activeVersion: item.activeVersion as number }),
      activations: (item?.activations as number | undefined) ?? 0,
    };
  }

  /** Stores `expectedLatest + 1` (validated), conditional on the latest version. */
  public async put(
    doc: Omit<RouteSetDocument, 'version'>,
    expectedLatest: number,
    now: Date
  ): Promise<RouteSetDocument> {
    const stored = checkRouteSet(doc, expectedLatest + 1, now);
    const pk = routeSetPartitionKey(stored.name);
    await this.table.transact(
      [
        {
          Put: {
            TableName: this.table.tableName,
            Item: {
              pk,
              sk: versionSortKey(stored.version),
              ...routeSetItem(stored),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Update: {
            TableName: this.table.tableName,
            Key: { pk, sk: 'state' },
            UpdateExpression: 'SET #latest = :next',
            ConditionExpression:
              expectedLatest === 0
                ? 'attribute_not_exists(#latest)'
                : '#latest = :expected',
            ExpressionAttributeNames: { '#latest': 'latestVersion' },
            ExpressionAttributeValues: {
              ':next': stored.version,
              ...(expectedLatest === 0 ? {} : { ':expected': expectedLatest }),
            },
          },
        },
      ],
      `route set ${stored.name}: latest version is no longer ${expectedLatest}`
    );
    return stored;
  }

  /**
   * Records that `version` became active: moves the state's active version
   * and appends activation number `seen + 1`, conditional on no other
   * activation having been recorded since the caller read `seen`.
   */
  public async recordActivation(
    name: string,
    version: number,
    by: string,
    at: Date,
    seen: number,
    action: ActivationRecord['action']
  ): Promise<void> {
    const pk = routeSetPartitionKey(name);
    const next = seen + 1;
    await this.table.transact(
      [
        {
          Update: {
            TableName: this.table.tableName,
            Key: { pk, sk: 'state' },
            UpdateExpression: 'SET #active = :version, #count = :next',
            ConditionExpression:
              seen === 0 ? 'attribute_not_exists(#count)' : '#count = :seen',
            ExpressionAttributeNames: {
              '#active': 'activeVersion',
              '#count': 'activations',
            },
            ExpressionAttributeValues: {
              ':version': version,
              ':next': next,
              ...(seen === 0 ? {} : { ':seen': seen }),
            },
          },
        },
        {
          Put: {
            TableName: this.table.tableName,
            Item: {
              pk,
              sk: `activation#${String(next).padStart(6, '0')}`,
              kind: 'route-set-activation',
              version,
              action,
              by,
              at: at.toISOString(),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
      `route set ${name}: another activation was recorded concurrently`
    );
  }

  /** Activation log, oldest first. */
  public async activations(name: string): Promise<ActivationRecord[]> {
    const items = await this.table.all(
      routeSetPartitionKey(name),
      'activation#',
      false
    );
    return items.map((i) => ({
      version: i.version as number,
      action: i.action === 'rollback' ? 'rollback' : 'activate',
      by: i.by as string,
      at: i.at as string,
    }));
  }

  /** RegistryNotFoundError unless the route set has a stored version `version`. */
  public async require(
    name: string,
    version: number
  ): Promise<RouteSetDocument> {
    const doc = await this.get(name, version);
    if (!doc)
      throw new RegistryNotFoundError(
        `route set ${name} has no version ${version}`
      );
    return doc;
  }
}
