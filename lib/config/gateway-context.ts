import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import type { WarmPoolSettings } from '../constructs/warm-pool';

/** Deployment environments the app knows; `-c env=` must be one of them. */
export const GATEWAY_ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;

/** One deployment environment. */
export type GatewayEnvironment = (typeof GATEWAY_ENVIRONMENTS)[number];

/** Region used when neither `-c region=` nor CDK_DEFAULT_REGION is set. */
export const FALLBACK_REGION = 'eu-central-1';

/**
 * Everything the app reads from CDK context (`-c key=value` or cdk.json),
 * parsed and checked. Built once by {@link readGatewayContext} and handed to
 * the stacks as props, so no stack reads context itself.
 */
export interface GatewayContext {
  /** Deployment environment. */
  readonly env: GatewayEnvironment;
  /** Target account; undefined keeps the stacks account-agnostic (offline synth). */
  readonly account?: string;
  /** Target region. */
  readonly region: string;
  /** Only EU Bedrock regions/profiles and EU Vertex AI endpoints. */
  readonly euOnly: boolean;
  /** Deploy the VPC, Network Firewall and endpoints, and put Lambdas in it. */
  readonly vpc: boolean;
  /** Add the legacy CloudWatch Evidently project (AWS shut the service down). */
  readonly evidently: boolean;
  /** Extra FQDNs (OpenAI-compatible endpoints) the egress firewall allows. */
  readonly providerHosts: readonly string[];
  /** Exact Bedrock model/inference-profile ARNs; replaces the default patterns. */
  readonly bedrockModelArns?: readonly string[];
  /** Ids of extra OpenAI-compatible providers that get their own secret. */
  readonly openaiCompatibleProviders: readonly string[];
  /** Model ids that get their own SLO alarms (rollback acts on them). */
  readonly sloModels: readonly string[];
  /** The rollback function only plans and reports, changing nothing. */
  readonly rollbackDryRun: boolean;
  /** Ship the router with a source map and `--enable-source-maps` (costs cold start). */
  readonly routerSourceMaps: boolean;
  /**
   * Provisioned concurrency on the router's `live` alias
   * (`-c routerProvisionedConcurrency=N`, optional `routerProvisionedMax`,
   * `routerProvisionedUtilization`); undefined = off, the APIs invoke $LATEST.
   */
  readonly routerWarmPool?: WarmPoolSettings;
  /** Router memory in MB (`-c routerMemorySize=`); undefined = the stack default. */
  readonly routerMemorySize?: number;
  /**
   * The same for the WebSocket function (`-c webSocketProvisionedConcurrency=N`,
   * `webSocketProvisionedMax`; shares `routerProvisionedUtilization`).
   */
  readonly webSocketWarmPool?: WarmPoolSettings;
}

/** Per-environment defaults that follow from `env`. */
export interface EnvironmentSettings {
  /** What happens to stateful resources (tables, keys, logs, secrets) on stack delete. */
  readonly removalPolicy: RemovalPolicy;
  /** DynamoDB and Network Firewall deletion protection. */
  readonly deletionProtection: boolean;
  /** CloudWatch log retention for every log group. */
  readonly logRetention: RetentionDays;
  /** Waiting period before a removed KMS key is deleted. */
  readonly keyPendingWindow: Duration;
  /** API Gateway stage throttling (steady requests per second and burst). */
  readonly apiThrottle: {
    readonly rateLimit: number;
    readonly burstLimit: number;
  };
}

const SETTINGS: Record<GatewayEnvironment, EnvironmentSettings> = {
  dev: {
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    logRetention: RetentionDays.ONE_WEEK,
    keyPendingWindow: Duration.days(7),
    apiThrottle: { rateLimit: 10, burstLimit: 20 },
  },
  staging: {
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
    logRetention: RetentionDays.ONE_MONTH,
    keyPendingWindow: Duration.days(7),
    apiThrottle: { rateLimit: 50, burstLimit: 100 },
  },
  prod: {
    removalPolicy: RemovalPolicy.RETAIN,
    deletionProtection: true,
    logRetention: RetentionDays.ONE_YEAR,
    keyPendingWindow: Duration.days(30),
    apiThrottle: { rateLimit: 200, burstLimit: 400 },
  },
};

/** The per-environment defaults of `env`. */
export function settingsFor(env: GatewayEnvironment): EnvironmentSettings {
  return SETTINGS[env];
}

/** A context value that cannot be used; lists every problem at once. */
export class GatewayContextError extends Error {
  /** One line per problem. */
  public readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid context: ${problems.join('; ')}`);
    this.name = 'GatewayContextError';
    this.problems = problems;
  }
}

const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const ACCOUNT_PATTERN = /^\d{12}$/;
// A leading dot is Network Firewall's "this domain and all its subdomains".
const HOST_PATTERN = /^\.?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const PROVIDER_ID_PATTERN = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/;
const BEDROCK_ARN_PATTERN =
  /^arn:aws[a-z-]*:bedrock:([a-z0-9-]+):(\d{12})?:(foundation-model|inference-profile|application-inference-profile)\/[A-Za-z0-9._:-]+$/;

/**
 * Reads and validates the app's context. Throws one
 * {@link GatewayContextError} naming every bad value, so a typo in a deploy
 * command fails before anything is synthesized.
 */
export function readGatewayContext(
  node: Node,
  processEnv: NodeJS.ProcessEnv = process.env
): GatewayContext {
  const problems: string[] = [];

  const rawEnv = node.tryGetContext('env') ?? 'dev';
  const env = GATEWAY_ENVIRONMENTS.find((e) => e === rawEnv);
  if (!env) {
    problems.push(
      `env must be one of ${GATEWAY_ENVIRONMENTS.join(', ')}, got ${JSON.stringify(rawEnv)}`
    );
  }

  const region = String(
    node.tryGetContext('region') ??
      processEnv.CDK_DEFAULT_REGION ??
      FALLBACK_REGION
  );
  if (!REGION_PATTERN.test(region)) {
    problems.push(`region must look like eu-central-1, got "${region}"`);
  }

  const rawAccount =
    node.tryGetContext('account') ?? processEnv.CDK_DEFAULT_ACCOUNT;
  const account = rawAccount === undefined ? undefined : String(rawAccount);
  if (account !== undefined && !ACCOUNT_PATTERN.test(account)) {
    problems.push(`account must be 12 digits, got "${account}"`);
  }

  const euOnly = readBoolean(node, 'euOnly', false, problems);
  if (euOnly && REGION_PATTERN.test(region) && !region.startsWith('eu-')) {
    problems.push(`euOnly needs an eu-* region, got "${region}"`);
  }
  const vpc = readBoolean(
    node,
    'vpc',
    env !== undefined && env !== 'dev',
    problems
  );
  const evidently = readBoolean(node, 'evidently', false, problems);

  const providerHosts = readList(node, 'providerHosts').map((h) =>
    h.toLowerCase()
  );
  const badHosts = providerHosts.filter((h) => !HOST_PATTERN.test(h));
  if (badHosts.length > 0) {
    problems.push(
      `providerHosts must be FQDNs (a leading dot allows subdomains), got ${badHosts.map((h) => `"${h}"`).join(', ')}`
    );
  }

  const arnList = readList(node, 'bedrockModelArns');
  const bedrockModelArns = arnList.length > 0 ? arnList : undefined;
  for (const arn of arnList) {
    const match = BEDROCK_ARN_PATTERN.exec(arn);
    if (!match) {
      problems.push(
        `bedrockModelArns must be foundation-model or inference-profile ARNs, got "${arn}"`
      );
    } else if (euOnly && !match[1].startsWith('eu-')) {
      problems.push(
        `bedrockModelArns must be in eu-* regions when euOnly, got "${arn}"`
      );
    }
  }

  const openaiCompatibleProviders = readList(node, 'openaiCompatibleProviders');
  const badIds = openaiCompatibleProviders.filter(
    (id) => !PROVIDER_ID_PATTERN.test(id)
  );
  if (badIds.length > 0) {
    problems.push(
      `openaiCompatibleProviders ids must match ${PROVIDER_ID_PATTERN.source}, got ${badIds.map((i) => `"${i}"`).join(', ')}`
    );
  }
  const reserved = openaiCompatibleProviders.filter((id) =>
    ['google', 'llama'].includes(id)
  );
  if (reserved.length > 0) {
    problems.push(
      `openaiCompatibleProviders must not reuse the built-in ids google or llama, got ${reserved.join(', ')}`
    );
  }

  const sloModels = readList(node, 'sloModels');
  const badModels = sloModels.filter((m) => !MODEL_ID_PATTERN.test(m));
  if (badModels.length > 0) {
    problems.push(
      `sloModels must be model ids, got ${badModels.map((m) => `"${m}"`).join(', ')}`
    );
  }

  const utilization = readNumber(
    node,
    'routerProvisionedUtilization',
    problems
  );
  const routerMemorySize = readNumber(node, 'routerMemorySize', problems);
  if (
    routerMemorySize !== undefined &&
    (!Number.isInteger(routerMemorySize) ||
      routerMemorySize < 128 ||
      routerMemorySize > 10240)
  ) {
    problems.push(
      `routerMemorySize must be an integer between 128 and 10240, got ${routerMemorySize}`
    );
  }
  const routerWarmPool = readWarmPool(node, 'router', utilization, problems);
  const webSocketWarmPool = readWarmPool(
    node,
    'webSocket',
    utilization,
    problems
  );

  if (problems.length > 0 || env === undefined) {
    throw new GatewayContextError(problems);
  }

  return {
    env,
    account,
    region,
    euOnly,
    vpc,
    evidently,
    providerHosts: unique(providerHosts),
    bedrockModelArns,
    openaiCompatibleProviders: unique(openaiCompatibleProviders),
    sloModels: unique(sloModels),
    rollbackDryRun: readBoolean(node, 'rollbackDryRun', false, problems),
    routerSourceMaps: readBoolean(node, 'routerSourceMaps', false, problems),
    routerWarmPool,
    webSocketWarmPool,
    routerMemorySize,
  };
}

// `-c <prefix>ProvisionedConcurrency=N` switches a pool on; 0 or absent is
// off. Bounds are checked here so a bad value fails before synth starts.
function readWarmPool(
  node: Node,
  prefix: 'router' | 'webSocket',
  targetUtilization: number | undefined,
  problems: string[]
): WarmPoolSettings | undefined {
  const floorKey = `${prefix}ProvisionedConcurrency`;
  const maxKey = `${prefix}ProvisionedMax`;
  const floor = readNumber(node, floorKey, problems);
  const max = readNumber(node, maxKey, problems);
  if (floor === undefined || floor === 0) {
    if (max !== undefined) {
      problems.push(`${maxKey} needs ${floorKey} of at least 1, got ${max}`);
    }
    return undefined;
  }
  const before = problems.length;
  if (!Number.isInteger(floor) || floor < 1 || floor > 1000) {
    problems.push(
      `${floorKey} must be an integer between 0 and 1000, got ${floor}`
    );
  }
  if (max !== undefined && (!Number.isInteger(max) || max < floor)) {
    problems.push(
      `${maxKey} must be an integer of at least ${floorKey} (${floor}), got ${max}`
    );
  }
  if (
    targetUtilization !== undefined &&
    !(targetUtilization >= 0.1 && targetUtilization <= 0.9)
  ) {
    problems.push(
      `routerProvisionedUtilization must be between 0.1 and 0.9, got ${targetUtilization}`
    );
  }
  if (problems.length > before) return undefined;
  return {
    provisionedConcurrency: floor,
    maxProvisionedConcurrency: max,
    targetUtilization,
  };
}

// The CLI passes numbers as strings; cdk.json and tests as numbers.
function readNumber(
  node: Node,
  key: string,
  problems: string[]
): number | undefined {
  const raw = node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '') return undefined;
  const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isFinite(n)) {
    problems.push(`${key} must be a number, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  return n;
}

// The CLI passes `-c vpc=false` as the string "false"; cdk.json and tests
// pass real booleans. Anything else is a typo worth failing on.
function readBoolean(
  node: Node,
  key: string,
  fallback: boolean,
  problems: string[]
): boolean {
  const raw = node.tryGetContext(key);
  if (raw === undefined) return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  problems.push(`${key} must be true or false, got ${JSON.stringify(raw)}`);
  return fallback;
}

function readList(node: Node, key: string): string[] {
  const raw = node.tryGetContext(key);
  if (raw === undefined || raw === null) return [];
  const items = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
  return items.map((s) => s.trim()).filter((s) => s.length > 0);
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}
