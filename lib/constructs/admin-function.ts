import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { GatewayTables } from '../model-registry-stack';
import { entryPath } from '../paths';
import {
  GatewayFunction,
  type GatewayFunctionNetwork,
} from './gateway-function';
import type { GatewayKey } from './gateway-key';

/** POWERTOOLS_SERVICE_NAME of the admin function. */
export const ADMIN_SERVICE_NAME = 'ai-gateway-admin';

/** Props of {@link AdminFunction}. */
export interface AdminFunctionProps {
  /** `dev`, `staging`, `prod`. */
  readonly gatewayEnv: string;
  /** Key that encrypts the function's log group. */
  readonly logKey: GatewayKey;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default - RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** VPC placement (same as the router). @default - not in a VPC */
  readonly network?: GatewayFunctionNetwork;
  /** The router's config JSON (provider ids validate new registry entries). */
  readonly configJson: string;
  /** The gateway's tables. */
  readonly tables: GatewayTables;
  /** `/ai/routing/{env}/active-models`. */
  readonly routeSetParameterName: string;
  /** `/ai/kill-switches/{env}`. */
  readonly killSwitchPrefix: string;
}

/**
 * The admin API's function (`/v1/admin/*`, IAM-authorised at API Gateway):
 * the only gateway function that writes the registry, route sets, kill
 * switches and audit trail, so the router keeps read access only. It also
 * resets the shared bandit state (kept in the decisions table) and exports
 * decisions. No provider secrets, no Bedrock access.
 */
export class AdminFunction extends Construct {
  /** The function. */
  public readonly handler: GatewayFunction;

  constructor(scope: Construct, id: string, props: AdminFunctionProps) {
    super(scope, id);
    const { tables } = props;
    this.handler = new GatewayFunction(this, 'Resource', {
      entry: entryPath('admin'),
      serviceName: ADMIN_SERVICE_NAME,
      description: 'Admin API: registry, route sets, kill switches, audit',
      logKey: props.logKey,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      network: props.network,
      environment: {
        GATEWAY_ENV: props.gatewayEnv,
        GATEWAY_CONFIG_JSON: props.configJson,
      },
    })
      .bindTable({
        table: tables.registry,
        accessMode: 'RW',
        envVarName: 'MODEL_REGISTRY_TABLE',
      })
      .bindTable({
        table: tables.audit,
        accessMode: 'RW',
        envVarName: 'AUDIT_TABLE',
      })
      .bindTable({
        table: tables.decisions,
        accessMode: 'RW',
        envVarName: 'DECISIONS_TABLE',
      })
      // Client API keys: create, list, revoke (`/v1/admin/tenants/{id}/keys`).
      .bindTable({
        table: tables.tenants,
        accessMode: 'RW',
        envVarName: 'TENANTS_TABLE',
      })
      // Budget levels for `GET /v1/admin/budgets` (ops budget report).
      .bindTable({
        table: tables.usage,
        accessMode: 'R',
        envVarName: 'USAGE_TABLE',
      })
      .bindParameter({
        parameterName: props.routeSetParameterName,
        accessMode: 'RW',
        envVarName: 'ROUTE_SET_PARAM',
      })
      .bindParameterPath({
        path: props.killSwitchPrefix,
        accessMode: 'RW',
        envVarName: 'KILL_SWITCH_PREFIX',
      });
  }
}
