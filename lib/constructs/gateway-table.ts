import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Props of {@link GatewayTable}. */
export interface GatewayTableProps {
  /** Partition key attribute name (string). */
  readonly partitionKey: string;
  /** Sort key attribute name (string). @default - no sort key */
  readonly sortKey?: string;
  /** Epoch-seconds attribute DynamoDB expires items by. @default - no TTL */
  readonly timeToLiveAttribute?: string;
  /** Customer-managed key. */
  readonly key: kms.IKey;
  /** What happens to the table on stack delete. */
  readonly removalPolicy: RemovalPolicy;
  /** Block DeleteTable (prod). */
  readonly deletionProtection: boolean;
}

/**
 * A DynamoDB table with the gateway's defaults: on-demand billing, a
 * customer-managed key, point-in-time recovery always on, and string keys.
 * The physical name is generated; consumers get it through env vars.
 */
export class GatewayTable extends Construct {
  /** The table. */
  public readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: GatewayTableProps) {
    super(scope, id);
    if (props.sortKey !== undefined && props.sortKey === props.partitionKey) {
      throw new Error(
        `sortKey must differ from partitionKey, got "${props.sortKey}" for both`
      );
    }
    this.table = new dynamodb.TableV2(this, 'Resource', {
      partitionKey: {
        name: props.partitionKey,
        type: dynamodb.AttributeType.STRING,
      },
      sortKey: props.sortKey
        ? { name: props.sortKey, type: dynamodb.AttributeType.STRING }
        : undefined,
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(props.key),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: props.timeToLiveAttribute,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    });
  }
}
