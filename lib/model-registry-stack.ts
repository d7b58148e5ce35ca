import { Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { GatewayKey } from './constructs/gateway-key';
import { GatewayTable } from './constructs/gateway-table';
import { RoutingParameters } from './constructs/routing-parameters';
import type { GatewayStackProps } from './gateway-stack-props';

/** The gateway's tables. */
export interface GatewayTables {
  /** Models: pk `provider#model`, sk version. */
  readonly registry: dynamodb.ITableV2;
  /** Tenants and API keys: `TENANT#<id>` and `KEY#<sha256>` items. */
  readonly tenants: dynamodb.ITableV2;
  /** Budget/usage ledger (TTL `expiresAt`). */
  readonly usage: dynamodb.ITableV2;
  /** Response cache (TTL `expiresAt`). */
  readonly cache: dynamodb.ITableV2;
  /** Routing decisions and bandit state (TTL `expiresAt`). */
  readonly decisions: dynamodb.ITableV2;
  /** Admin and rollback audit trail (kept; no TTL). */
  readonly audit: dynamodb.ITableV2;
  /** Powertools idempotency records (pk `id`, TTL `expiration`). */
  readonly idempotency: dynamodb.ITableV2;
}

/**
 * The gateway's state: seven DynamoDB tables under one customer-managed key,
 * and the operator parameters (route set, kill switches) in SSM.
 */
export class ModelRegistryStack extends Stack {
  /** Key that encrypts every table. */
  public readonly key: kms.IKey;
  /** The tables. */
  public readonly tables: GatewayTables;
  /** Route set and kill switches. */
  public readonly parameters: RoutingParameters;

  constructor(scope: Construct, id: string, props: GatewayStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const key = new GatewayKey(this, 'Key', {
      alias: `ai-gateway/${props.gatewayEnv}/data`,
      description: 'Encrypts the gateway tables',
      removalPolicy: settings.removalPolicy,
      pendingWindow: settings.keyPendingWindow,
    });

    const common = {
      key: key.key,
      removalPolicy: settings.removalPolicy,
      deletionProtection: settings.deletionProtection,
    };
    const pkSk = { ...common, partitionKey: 'pk', sortKey: 'sk' };
    this.tables = {
      registry: new GatewayTable(this, 'RegistryTable', pkSk).table,
      tenants: new GatewayTable(this, 'TenantsTable', pkSk).table,
      usage: new GatewayTable(this, 'UsageTable', {
        ...pkSk,
        timeToLiveAttribute: 'expiresAt',
      }).table,
      cache: new GatewayTable(this, 'CacheTable', {
        ...common,
        partitionKey: 'pk',
        timeToLiveAttribute: 'expiresAt',
      }).table,
      decisions: new GatewayTable(this, 'DecisionsTable', {
        ...pkSk,
        timeToLiveAttribute: 'expiresAt',
      }).table,
      audit: new GatewayTable(this, 'AuditTable', pkSk).table,
      // Powertools DynamoDBPersistenceLayer defaults: key `id`, TTL `expiration`.
      idempotency: new GatewayTable(this, 'IdempotencyTable', {
        ...common,
        partitionKey: 'id',
        timeToLiveAttribute: 'expiration',
      }).table,
    };

    this.parameters = new RoutingParameters(this, 'RoutingParameters', {
      env: props.gatewayEnv,
    });

    // Table names for operators' tooling (`npm run ops -- --env <env>`), so
    // the CLI finds the tables without CloudFormation access.
    const discovery = new Construct(this, 'TableNames');
    for (const [name, table] of Object.entries(this.tables)) {
      new ssm.StringParameter(discovery, name, {
        parameterName: `/ai/gateway/${props.gatewayEnv}/tables/${name}`,
        stringValue: table.tableName,
        description: `Name of the gateway's ${name} table (ops CLI discovery)`,
      });
    }
    this.key = key.key;
  }
}
