import {
  ConditionalCheckFailedException,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type Experiment,
  ExperimentError,
  type ExperimentStore,
  type Observation,
  type VariantCounts,
} from '../../experiments/types';

/** Props of {@link DynamoExperimentStore}. */
export interface DynamoExperimentStoreProps {
  /** Where definitions live: the registry table (`MODEL_REGISTRY_TABLE`; keys `pk`, `sk`). */
  readonly definitionsTable: string;
  /** Where counters live: the decisions table (`DECISIONS_TABLE`; keys `pk`, `sk`). */
  readonly countersTable: string;
  readonly client?: DynamoDBDocumentClient;
}

/** Partition of the experiment definitions (one Query lists them all). */
export const EXPERIMENTS_PK = 'experiment';

/** Partition of an experiment's tracker counters. */
export function countersPartition(id: string): string {
  return `experiment#${id}`;
}

/**
 * Experiments in DynamoDB. Definitions and state: one item per experiment
 * (`pk = experiment`, `sk = <id>`) on the registry table, written with a
 * condition on the version read (optimistic concurrency: of two routers
 * reaching the same verdict, one wins, the other gets 409). Counters: one
 * item per tracker bucket (`pk = experiment#<id>`, `sk = bucket#<name>`) on
 * the decisions table, updated with `ADD` so every container adds to the
 * same sums without reading first.
 */
export class DynamoExperimentStore implements ExperimentStore {
  private readonly client: DynamoDBDocumentClient;

  public constructor(private readonly props: DynamoExperimentStoreProps) {
    this.client =
      props.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}));
  }

  public async list(): Promise<readonly Experiment[]> {
    const out: Experiment[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.props.definitionsTable,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': EXPERIMENTS_PK },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        })
      );
      for (const item of page.Items ?? []) out.push(toExperiment(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  public async get(id: string): Promise<Experiment | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.props.definitionsTable,
        Key: { pk: EXPERIMENTS_PK, sk: id },
        ConsistentRead: true,
      })
    );
    return out.Item ? toExperiment(out.Item) : undefined;
  }

  public async put(
    experiment: Experiment,
    expectedVersion: number
  ): Promise<Experiment> {
    const stored = { ...experiment, version: expectedVersion + 1 };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.props.definitionsTable,
          Item: { pk: EXPERIMENTS_PK, sk: experiment.id, ...stored },
          ...(expectedVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'version = :v',
                ExpressionAttributeValues: { ':v': expectedVersion },
              }),
        })
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        throw new ExperimentError(
          409,
          'version_conflict',
          `experiment ${experiment.id} changed since version ${expectedVersion} was read`
        );
      }
      throw err;
    }
    return stored;
  }

  public async record(
    id: string,
    bucket: string,
    o: Observation
  ): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.props.countersTable,
        Key: { pk: countersPartition(id), sk: `bucket#${bucket}` },
        UpdateExpression:
          'ADD n :one, successes :s, latencySum :l, latencySumSq :l2, costSum :c, costSumSq :c2',
        ExpressionAttributeValues: {
          ':one': 1,
          ':s': o.ok ? 1 : 0,
          ':l': o.latencyMs,
          ':l2': o.latencyMs * o.latencyMs,
          ':c': o.costUsd,
          ':c2': o.costUsd * o.costUsd,
        },
      })
    );
  }

  public async counts(
    id: string
  ): Promise<Readonly<Record<string, VariantCounts>>> {
    const out: Record<string, VariantCounts> = {};
    let start: Record<string, unknown> | undefined;
    do {
      const page: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.props.countersTable,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :b)',
          ExpressionAttributeValues: {
            ':pk': countersPartition(id),
            ':b': 'bucket#',
          },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        })
      );
      for (const item of page.Items ?? []) {
        out[String(item.sk).slice('bucket#'.length)] = {
          n: Number(item.n ?? 0),
          successes: Number(item.successes ?? 0),
          latencySum: Number(item.latencySum ?? 0),
          latencySumSq: Number(item.latencySumSq ?? 0),
          costSum: Number(item.costSum ?? 0),
          costSumSq: Number(item.costSumSq ?? 0),
        };
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}

function toExperiment(item: Record<string, unknown>): Experiment {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as Experiment;
}
