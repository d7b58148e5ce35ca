import {
  IdempotencyConfig,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import {
  CloudWatchClient,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  type DynamoRegistryProps,
  DynamoRouteSetHistory,
} from '../adapters/aws/dynamo-registry';
import type { Log } from '../ports';
import { rollbackTarget } from '../registry/rules';
import type { RouteSetView } from './plan';
import type {
  IdempotencyGuard,
  RollbackIdempotencyKey,
  RollbackNotifier,
  RollbackResult,
  RouteSetInspector,
} from './rollback';

/**
 * The AWS side of the rollback: route-set history from the registry table,
 * alarm tags from CloudWatch, the summary to SNS, replay protection with
 * Powertools idempotency on DynamoDB.
 */

/**
 * Route-set view from the registry table (the same activation log
 * SsmRouteSetStore.rollback reads, so the plan names the version the
 * rollback will really activate).
 */
export class DynamoRouteSetInspector implements RouteSetInspector {
  private readonly history: DynamoRouteSetHistory;

  public constructor(props: DynamoRegistryProps) {
    this.history = new DynamoRouteSetHistory(props);
  }

  /** Active version, rollback target and last activation of a route set. */
  public async inspect(name: string): Promise<RouteSetView> {
    const [state, activations] = await Promise.all([
      this.history.state(name),
      this.history.activations(name),
    ]);
    const targetVersion = rollbackTarget(activations);
    const [active, target] = await Promise.all([
      state.activeVersion === undefined
        ? undefined
        : this.history.get(name, state.activeVersion),
      targetVersion === undefined
        ? undefined
        : this.history.get(name, targetVersion),
    ]);
    const lastActivation = activations.at(-1);
    return {
      name,
      ...(active ? { active } : {}),
      ...(target ? { target } : {}),
      ...(lastActivation ? { lastActivation } : {}),
    };
  }
}

/**
 * Reads an alarm's tags (cloudwatch:ListTagsForResource). A failure is
 * logged and read as no tags: the Model dimension still drives the rollback.
 */
export function cloudWatchAlarmTags(
  log: Log,
  client: CloudWatchClient = new CloudWatchClient({})
): (alarmArn: string) => Promise<Record<string, string>> {
  return async (alarmArn) => {
    try {
      const out = await client.send(
        new ListTagsForResourceCommand({ ResourceARN: alarmArn })
      );
      return Object.fromEntries(
        (out.Tags ?? [])
          .filter((t) => t.Key !== undefined)
          .map((t) => [t.Key!, t.Value ?? ''])
      );
    } catch (err) {
      log.warn('could not read the alarm tags; using its dimensions only', {
        alarmArn,
        error:
          err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      });
      return {};
    }
  };
}

/** Publishes rollback summaries to an SNS topic. */
export class SnsRollbackNotifier implements RollbackNotifier {
  public constructor(
    private readonly topicArn: string,
    private readonly client: SNSClient = new SNSClient({})
  ) {}

  /** One Publish per summary. */
  public async publish(subject: string, message: string): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subject,
        Message: message,
      })
    );
  }
}

/** Props of {@link dynamoIdempotency}. */
export interface DynamoIdempotencyProps {
  /** Table with string key `id` and TTL attribute `expiration` (IDEMPOTENCY_TABLE). */
  readonly tableName: string;
  /** @default - a new DynamoDBClient */
  readonly client?: DynamoDBClient;
  /**
   * How long a finished rollback is remembered. EventBridge and Lambda give
   * up on an event after an hour; a day leaves room for manual replays.
   * @default 86400
   */
  readonly expiresAfterSeconds?: number;
}

/**
 * Replay protection with Powertools idempotency on DynamoDB: the key hashes
 * the alarm ARN, the state timestamp and the dry-run flag, so a retried or
 * replayed event returns the first run's result instead of acting again,
 * while a live run after a dry run of the same transition still acts. A run
 * that throws leaves no record, so its retry acts (and skips what is done).
 */
export function dynamoIdempotency(
  props: DynamoIdempotencyProps
): IdempotencyGuard {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: props.tableName,
    ...(props.client ? { awsSdkV3Client: props.client } : {}),
  });
  const config = new IdempotencyConfig({
    expiresAfterSeconds: props.expiresAfterSeconds ?? 86_400,
  });
  const guarded = makeIdempotent(
    async (
      _key: RollbackIdempotencyKey,
      run: () => Promise<RollbackResult>
    ): Promise<RollbackResult> => run(),
    { persistenceStore, config, keyPrefix: 'ai-gateway-rollback' }
  );
  return async (key, run, lambdaContext) => {
    if (
      lambdaContext !== null &&
      typeof lambdaContext === 'object' &&
      'getRemainingTimeInMillis' in lambdaContext
    )
      config.registerLambdaContext(
        lambdaContext as Parameters<
          IdempotencyConfig['registerLambdaContext']
        >[0]
      );
    return guarded(key, run);
  };
}
