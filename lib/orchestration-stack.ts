import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { bedrockInvokeResources } from './config/bedrock-arns';
import { bedrockEmbeddingResources } from './config/bedrock-embedding-arns';
import { grantProviderAccounts } from './config/provider-account-grants';
import { AdminFunction } from './constructs/admin-function';
import { BUDGET_ALERT_SOURCE } from './constructs/budget-alert-rule';
import { ExperimentController } from './constructs/experiment-controller';
import { GatewayExperiments } from './constructs/gateway-experiments';
import {
  GatewayFunction,
  type GatewayFunctionNetwork,
} from './constructs/gateway-function';
import { GatewayKey } from './constructs/gateway-key';
import { ROUTER_SERVICE_NAME } from './constructs/gateway-metrics';
import { RouterApi } from './constructs/router-api';
import type { WarmPoolSettings } from './constructs/warm-pool';
import { GatewayWebSocketApi } from './constructs/websocket-api';
import { type GatewayStackProps, namePrefix } from './gateway-stack-props';
import type { GatewayTables } from './model-registry-stack';
import { entryPath } from './paths';

/**
 * The router's memory size, MB. Lambda bills a streamed request for its whole
 * generation, so this is the main cost of a request beside the model: 512 MB
 * holds the measured peak RSS (157 MiB) three times over, and CPU, which
 * Lambda gives in proportion to memory, stretches the ~9 ms of work before
 * the first byte to about 31 ms (README "Cost per request").
 */
export const ROUTER_MEMORY_MB = 512;

/** Props of {@link OrchestrationStack}. */
export interface OrchestrationStackProps extends GatewayStackProps {
  /** The gateway's tables. */
  readonly tables: GatewayTables;
  /** `/ai/routing/{env}/active-models`. */
  readonly routeSetParameterName: string;
  /** `/ai/kill-switches/{env}`. */
  readonly killSwitchPrefix: string;
  /** `/ai/guardrails/{env}`. */
  readonly guardrailParameterPrefix: string;
  /** ARNs of the Bedrock guardrails (ApplyGuardrail). */
  readonly guardrailArns: readonly string[];
  /** Key the guardrails are encrypted with. */
  readonly guardrailKey: kms.IKey;
  /** Google credential. */
  readonly googleSecret: secretsmanager.ISecret;
  /** Meta Llama API key. */
  readonly llamaSecret: secretsmanager.ISecret;
  /** Extra OpenAI-compatible provider secrets, by id. @default - none */
  readonly openaiCompatibleSecrets?: Readonly<
    Record<string, secretsmanager.ISecret>
  >;
  /** EU-only Bedrock regions and profiles. */
  readonly euOnly: boolean;
  /** Exact Bedrock ARNs replacing the default patterns. @default - patterns */
  readonly bedrockModelArns?: readonly string[];
  /** Add the legacy Evidently project. @default false */
  readonly evidently?: boolean;
  /** VPC placement of the router. @default - not in a VPC */
  readonly network?: GatewayFunctionNetwork;
  /** Router memory, MB (CPU scales with it). @default ROUTER_MEMORY_MB */
  readonly routerMemorySize?: number;
  /** Router reserved concurrency. @default - unreserved */
  readonly routerReservedConcurrency?: number;
  /**
   * Source map + `--enable-source-maps` for the router. Off by default: Node
   * parses the 3.8 MB map at every cold start (about +25 ms measured).
   * @default false
   */
  readonly routerSourceMaps?: boolean;
  /**
   * Provisioned concurrency on the router's `live` alias, which the REST API
   * then invokes (README "Warm pool"). @default - none: the API invokes $LATEST
   */
  readonly routerWarmPool?: WarmPoolSettings;
  /** The same for the WebSocket function. @default - none */
  readonly webSocketWarmPool?: WarmPoolSettings;
  /**
   * The router's config (providers, routing, resilience) as minified JSON,
   * passed as GATEWAY_CONFIG_JSON.
   * @default - `{}`: built-in defaults, every provider family with a secret
   */
  readonly routerConfigJson?: string;
}

/**
 * The request path: the router function, its least-privilege role, the
 * streaming REST API in front of it, and the experiment flags it reads.
 */
export class OrchestrationStack extends Stack {
  /** The router function. */
  public readonly router: GatewayFunction;
  /** The admin function behind `/v1/admin/*` (holds the admin write access). */
  public readonly admin: GatewayFunction;
  /** The REST API. */
  public readonly api: RouterApi;
  /** The WebSocket API (same router app; README "WebSocket streaming"). */
  public readonly webSocket: GatewayWebSocketApi;
  /** AppConfig (and legacy Evidently) experiments. */
  public readonly experiments: GatewayExperiments;

  constructor(scope: Construct, id: string, props: OrchestrationStackProps) {
    super(scope, id, props);
    const { settings, gatewayEnv, tables } = props;
    const prefix = namePrefix(gatewayEnv);

    const key = new GatewayKey(this, 'Key', {
      alias: `ai-gateway/${gatewayEnv}/orchestration`,
      description: 'Encrypts the router and API access logs',
      removalPolicy: settings.removalPolicy,
      pendingWindow: settings.keyPendingWindow,
    });

    this.router = new GatewayFunction(this, 'Router', {
      entry: entryPath('router'),
      serviceName: ROUTER_SERVICE_NAME,
      description: 'OpenAI-compatible router (response streaming)',
      logKey: key,
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.removalPolicy,
      memorySize: props.routerMemorySize ?? ROUTER_MEMORY_MB,
      // Streams of long completions outlast the usual 30 s.
      timeout: Duration.minutes(5),
      reservedConcurrentExecutions: props.routerReservedConcurrency,
      network: props.network,
      sourceMaps: props.routerSourceMaps ?? false,
      environment: {
        GATEWAY_ENV: gatewayEnv,
        GATEWAY_EU_ONLY: String(props.euOnly),
        GATEWAY_CONFIG_JSON: props.routerConfigJson ?? '{}',
      },
    });

    if (props.routerWarmPool) this.router.addWarmPool(props.routerWarmPool);

    // Least privilege: the router only reads the registry, route sets and
    // kill switches and never sees the audit table; the admin function holds
    // those writes.
    this.router
      .bindTable({
        table: tables.registry,
        accessMode: 'R',
        envVarName: 'MODEL_REGISTRY_TABLE',
      })
      .bindTable({
        table: tables.tenants,
        // Read only: client keys are created and revoked by the admin function.
        accessMode: 'R',
        envVarName: 'TENANTS_TABLE',
      })
      .bindTable({
        table: tables.usage,
        accessMode: 'RW',
        envVarName: 'USAGE_TABLE',
      })
      .bindTable({
        table: tables.cache,
        accessMode: 'RW',
        envVarName: 'CACHE_TABLE',
      })
      .bindTable({
        table: tables.decisions,
        accessMode: 'RW',
        envVarName: 'DECISIONS_TABLE',
      })
      .bindParameter({
        parameterName: props.routeSetParameterName,
        accessMode: 'R',
        envVarName: 'ROUTE_SET_PARAM',
      })
      .bindParameterPath({
        path: props.killSwitchPrefix,
        accessMode: 'R',
        envVarName: 'KILL_SWITCH_PREFIX',
      })
      .bindParameterPath({
        path: props.guardrailParameterPrefix,
        accessMode: 'R',
        envVarName: 'GUARDRAIL_PARAM_PREFIX',
      })
      .bindSecret({
        secret: props.googleSecret,
        envVarName: 'GOOGLE_SECRET_ARN',
      })
      .bindSecret({
        secret: props.llamaSecret,
        envVarName: 'LLAMA_SECRET_ARN',
      });
    for (const [providerId, secret] of Object.entries(
      props.openaiCompatibleSecrets ?? {}
    )) {
      this.router.bindSecret({
        secret,
        envVarName: `PROVIDER_SECRET_ARN_${providerId.toUpperCase().replace(/-/g, '_')}`,
      });
    }

    this.router.addToPolicy({
      sid: 'InvokeBedrockModels',
      actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
      resources: bedrockInvokeResources({
        partition: this.partition,
        region: this.region,
        account: this.account,
        euOnly: props.euOnly,
        overrides: props.bedrockModelArns,
      }),
      wildcardReason: props.euOnly
        ? 'Foundation models in EU regions and eu.* cross-region inference profiles only; the model list lives in the runtime registry, and IAM checks the destination-region model of each profile call'
        : 'Foundation models of the deployment geography and inference profiles of the deployment region only; the model list lives in the runtime registry, and IAM checks the destination-region model of each profile call',
    });
    // Embeddings (`/v1/embeddings`): InvokeModel, no streaming, on the embedding models only.
    this.router.addToPolicy({
      sid: 'InvokeEmbeddingModels',
      actions: ['bedrock:InvokeModel'],
      resources: bedrockEmbeddingResources(this),
    });
    // Cross-account Bedrock: sts:AssumeRole on exactly the configured roles.
    grantProviderAccounts(this.router, props.routerConfigJson);
    // Budget alerts: EventBridge on the default bus; the monitoring stack's rule forwards them.
    this.router.addToPolicy({
      sid: 'PublishBudgetAlerts',
      actions: ['events:PutEvents'],
      resources: [
        `arn:${this.partition}:events:${this.region}:${this.account}:event-bus/default`,
      ],
      // Only its own source: a router can't impersonate another publisher.
      conditions: { StringEquals: { 'events:source': BUDGET_ALERT_SOURCE } },
    });
    this.router.addToPolicy({
      sid: 'ApplyGuardrails',
      actions: ['bedrock:ApplyGuardrail'],
      resources: props.guardrailArns,
    });
    this.router.addToPolicy({
      sid: 'DecryptGuardrails',
      actions: ['kms:Decrypt'],
      resources: [props.guardrailKey.keyArn],
    });

    this.experiments = new GatewayExperiments(this, 'Experiments', {
      namePrefix: prefix,
      environmentName: gatewayEnv,
      evidently: props.evidently,
    });
    this.router
      .addEnvironment(
        'APPCONFIG_APPLICATION_ID',
        this.experiments.application.applicationId
      )
      .addEnvironment(
        'APPCONFIG_ENVIRONMENT_ID',
        this.experiments.environment.environmentId
      )
      .addEnvironment(
        'APPCONFIG_PROFILE_ID',
        this.experiments.flags.configurationProfileId
      )
      .addToPolicy({
        sid: 'ReadFeatureFlags',
        actions: [
          'appconfig:StartConfigurationSession',
          'appconfig:GetLatestConfiguration',
        ],
        resources: [this.experiments.configurationArn],
      });
    const feature = this.experiments.evidentlyFeature;
    if (feature) {
      this.router.addEnvironment('EVIDENTLY_PROJECT', prefix).addToPolicy({
        sid: 'EvaluateLegacyEvidentlyFeature',
        actions: ['evidently:EvaluateFeature'],
        resources: [feature.attrArn],
      });
    }

    this.admin = new AdminFunction(this, 'Admin', {
      gatewayEnv,
      logKey: key,
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.removalPolicy,
      network: props.network,
      configJson: props.routerConfigJson ?? '{}',
      tables,
      routeSetParameterName: props.routeSetParameterName,
      killSwitchPrefix: props.killSwitchPrefix,
    }).handler;

    new ExperimentController(this, 'ExperimentController', {
      router: this.router,
      admin: this.admin,
    });

    this.api = new RouterApi(this, 'Api', {
      apiName: prefix,
      stageName: gatewayEnv,
      handler: this.router.invokeTarget,
      adminHandler: this.admin.function,
      logKey: key,
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.removalPolicy,
      throttle: settings.apiThrottle,
    });

    this.webSocket = new GatewayWebSocketApi(this, 'WebSocket', {
      router: this.router,
      table: tables.usage,
      apiName: `${prefix}-ws`,
      stageName: gatewayEnv,
      logKey: key,
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.removalPolicy,
      throttle: settings.apiThrottle,
      network: props.network,
      warmPool: props.webSocketWarmPool,
    });
    new CfnOutput(this, 'WebSocketUrl', {
      description:
        'WebSocket URL of the gateway (README "WebSocket streaming")',
      value: this.webSocket.url,
    });

    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the gateway (append v1/chat/completions)',
      value: this.api.url,
    });
  }
}
