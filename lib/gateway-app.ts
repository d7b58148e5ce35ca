import { type App, Tags } from 'aws-cdk-lib';
import {
  type GatewayContext,
  readGatewayContext,
  settingsFor,
} from './config/gateway-context';
import { loadRouterConfig } from './config/router-config';
import { namePrefix } from './gateway-stack-props';
import { GuardrailsStack, guardrailParameterPrefix } from './guardrails-stack';
import { ModelRegistryStack } from './model-registry-stack';
import { MonitoringStack } from './monitoring-stack';
import { NetworkFirewallStack } from './network-firewall-stack';
import { OrchestrationStack } from './orchestration-stack';
import { SecretsRotationStack } from './secrets-rotation-stack';

/** Tag key/values every resource and stack carries. */
export function gatewayTags(context: GatewayContext): Record<string, string> {
  return {
    Project: 'ai-gateway',
    Environment: context.env,
    ManagedBy: 'cdk',
  };
}

/** The stacks of one deployment. */
export interface GatewayStacks {
  /** The parsed context the stacks were built from. */
  readonly context: GatewayContext;
  /** VPC, firewall and endpoints; only when `vpc` is on. */
  readonly network?: NetworkFirewallStack;
  /** Provider secrets and rotation. */
  readonly secrets: SecretsRotationStack;
  /** Bedrock guardrails. */
  readonly guardrails: GuardrailsStack;
  /** Tables and operator parameters. */
  readonly registry: ModelRegistryStack;
  /** Dashboard, alarms, rollback. */
  readonly monitoring: MonitoringStack;
  /** Router and API. */
  readonly orchestration: OrchestrationStack;
}

/** Options of {@link buildGatewayApp}. */
export interface BuildGatewayAppOptions {
  /**
   * Where CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION are read from.
   * @default process.env
   */
  readonly processEnv?: NodeJS.ProcessEnv;
}

/**
 * Builds the gateway's stacks into `app` from its context and wires them
 * with props (no stack looks another up by name). Throws GatewayContextError
 * on bad context before creating anything.
 */
export function buildGatewayApp(
  app: App,
  options: BuildGatewayAppOptions = {}
): GatewayStacks {
  const context = readGatewayContext(app.node, options.processEnv);
  const settings = settingsFor(context.env);
  const tags = gatewayTags(context);
  const prefix = namePrefix(context.env);
  const common = {
    env: { account: context.account, region: context.region },
    gatewayEnv: context.env,
    settings,
    tags,
    terminationProtection: context.env === 'prod',
  };
  const stackName = (suffix: string) => `${prefix}-${suffix}`;

  const network = context.vpc
    ? new NetworkFirewallStack(app, 'NetworkFirewall', {
        ...common,
        stackName: stackName('network-firewall'),
        description: 'AI gateway: VPC, egress firewall allowlist, endpoints',
        euOnly: context.euOnly,
        providerHosts: context.providerHosts,
      })
    : undefined;
  const functionNetwork = network?.functionNetwork;

  const secrets = new SecretsRotationStack(app, 'SecretsRotation', {
    ...common,
    stackName: stackName('secrets-rotation'),
    description: 'AI gateway: provider secrets and their rotation',
    openaiCompatibleProviders: context.openaiCompatibleProviders,
    network: functionNetwork,
  });

  const guardrails = new GuardrailsStack(app, 'Guardrails', {
    ...common,
    stackName: stackName('guardrails'),
    description: 'AI gateway: Bedrock guardrails per domain',
  });

  const registry = new ModelRegistryStack(app, 'ModelRegistry', {
    ...common,
    stackName: stackName('model-registry'),
    description: 'AI gateway: tables, route sets and kill switches',
  });
  const { tables, parameters } = registry;

  const monitoring = new MonitoringStack(app, 'Monitoring', {
    ...common,
    stackName: stackName('monitoring'),
    description: 'AI gateway: dashboard, SLO alarms and automatic rollback',
    sloModels: context.sloModels,
    rollbackDryRun: context.rollbackDryRun,
    idempotencyTable: tables.idempotency,
    registryTable: tables.registry,
    auditTable: tables.audit,
    killSwitchPrefix: parameters.killSwitchPrefix,
    routeSetParameterName: parameters.routeSetParameterName,
    network: functionNetwork,
  });

  const orchestration = new OrchestrationStack(app, 'Orchestration', {
    ...common,
    stackName: stackName('orchestration'),
    description: 'AI gateway: router function and streaming REST API',
    tables,
    routeSetParameterName: parameters.routeSetParameterName,
    killSwitchPrefix: parameters.killSwitchPrefix,
    guardrailParameterPrefix: guardrailParameterPrefix(context.env),
    guardrailArns: guardrails.guardrailArns,
    guardrailKey: guardrails.key,
    googleSecret: secrets.googleSecret,
    llamaSecret: secrets.llamaSecret,
    openaiCompatibleSecrets: secrets.openaiCompatibleSecrets,
    euOnly: context.euOnly,
    bedrockModelArns: context.bedrockModelArns,
    evidently: context.evidently,
    network: functionNetwork,
    routerSourceMaps: context.routerSourceMaps,
    routerWarmPool: context.routerWarmPool,
    routerMemorySize: context.routerMemorySize,
    webSocketWarmPool: context.webSocketWarmPool,
    routerConfigJson: loadRouterConfig(
      app.node.tryGetContext('routerConfig') ?? undefined
    ),
  });
  // The names are literals (not tokens), so these orderings are explicit:
  // the router must not start before its parameters and guardrails exist.
  orchestration.addStackDependency(registry);
  orchestration.addStackDependency(guardrails);
  monitoring.addStackDependency(registry);

  // Stack tags come from the `tags` prop (@aws-cdk/core:explicitStackTags);
  // this puts them on every taggable resource in the templates as well.
  for (const [key, value] of Object.entries(tags)) {
    Tags.of(app).add(key, value);
  }

  return {
    context,
    network,
    secrets,
    guardrails,
    registry,
    monitoring,
    orchestration,
  };
}
