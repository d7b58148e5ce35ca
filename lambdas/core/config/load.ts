import { createHash } from 'node:crypto';
import type * as z from 'zod/mini';
import { type BudgetSettings, resolveBudgetSettings } from '../budget/config';
import { type CacheSettings, resolveCacheSettings } from '../cache/config';
import {
  type ExperimentsSettings,
  resolveExperimentsSettings,
} from '../experiments/config';
import {
  type GuardrailSettings,
  resolveGuardrailSettings,
} from '../guardrails/config';
import {
  type LearningSettings,
  resolveLearningSettings,
} from '../learning/config';
import { type LimitSettings, resolveLimitSettings } from '../limits/config';
import { type MediaSettings, resolveMediaSettings } from '../media/config';
import { resolveModelEntry } from '../registry/model-entry';
import { formatIssues } from '../registry/schema';
import {
  DEFAULT_ROUTING_SETTINGS,
  DEFAULT_TIER_SLA_MS,
} from '../routing/defaults';
import type { RoutingSettings } from '../routing/types';
import type { BudgetTier, ModelConfig, ProviderType } from '../types';
import {
  type BedrockProviderConfig,
  bedrockProviderSchema,
  type EchoProviderConfig,
  echoProviderSchema,
  type GatewayConfigFile,
  type GeminiProviderConfig,
  gatewayConfigSchema,
  geminiProviderSchema,
  type OpenAICompatibleProviderConfig,
  openAICompatibleProviderSchema,
} from './schema';

/** A configuration problem: every bad field, each with its path. */
export class ConfigError extends Error {
  public override readonly name = 'ConfigError';
  public constructor(
    public readonly source: string,
    public readonly problems: readonly string[]
  ) {
    super(
      `invalid gateway config (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`
    );
  }
}

/** A provider instance after validation. */
export type ResolvedProvider =
  | ResolvedProviderOf<'bedrock', BedrockProviderConfig>
  | ResolvedProviderOf<'gemini', GeminiProviderConfig>
  | ResolvedProviderOf<'openai-compatible', OpenAICompatibleProviderConfig>
  | ResolvedProviderOf<'echo', EchoProviderConfig>;

interface ResolvedProviderOf<T extends ProviderType, S> {
  readonly id: string;
  readonly type: T;
  readonly settings: S;
  /** Env var holding the credential, when the family needs one. */
  readonly credentialEnv?: string;
  /** False when the provider can't be called (disabled or no credential). */
  readonly live: boolean;
  /** Why it isn't live. */
  readonly reason?: string;
}

/** Spending caps of one scope, USD per period. */
export interface BudgetCaps {
  readonly dailyUsd?: number;
  readonly monthlyUsd?: number;
}

/** Rate and token caps of one scope. */
export interface LimitCaps {
  readonly requestsPerMinute?: number;
  readonly tokensPerDay?: number;
  readonly maxTokensPerRequest?: number;
}

/** Caps of a team or user under a tenant. */
export interface ScopeCaps {
  readonly budgets: BudgetCaps;
  readonly limits: LimitCaps;
}

/** A user under a tenant, optionally in a team. */
export interface TenantUser extends ScopeCaps {
  readonly team?: string;
}

/** A tenant after validation; keys only as SHA-256 hex. */
export interface ResolvedTenant {
  readonly id: string;
  readonly keyHashes: readonly string[];
  readonly tier?: BudgetTier;
  /** Model ids (aliases resolved); undefined = all. */
  readonly allowedModels?: readonly string[];
  /** Provider instance ids or families; undefined = all. */
  readonly allowedProviders?: readonly string[];
  /** Residency floor (`eu` forces EU models); undefined = the request decides. */
  readonly region?: 'eu' | 'any';
  /** Domain of requests that name none. */
  readonly defaultDomain?: string;
  readonly budgets: BudgetCaps;
  readonly limits: LimitCaps;
  /** Teams by id (empty when none are configured). */
  readonly teams?: Readonly<Record<string, ScopeCaps>>;
  /** Known users by id (the request's `user` field). */
  readonly users?: Readonly<Record<string, TenantUser>>;
  /** Caps of any user not listed in `users`. */
  readonly userDefaults?: ScopeCaps;
}

/** Routing defaults after resolution. */
export interface ResolvedRouting {
  readonly defaultTier: BudgetTier;
  readonly defaultDomain: string;
  readonly slaMs: Readonly<Record<BudgetTier, number>>;
  readonly settings: RoutingSettings;
  readonly latencyEwmaAlpha: number;
}

/** Resilience settings after resolution (breaker options as CircuitBreakerRegistry takes them). */
export interface ResolvedResilience {
  readonly breaker: {
    readonly failureRateThreshold?: number;
    readonly windowMs?: number;
    readonly minimumRequests?: number;
    readonly cooldownMs?: number;
    readonly halfOpenMaxProbes?: number;
  };
  readonly maxRetriesPerCandidate: number;
  readonly retryBudgetRatio: number;
  readonly hardTimeoutMs: number;
  readonly streamIdleTimeoutMs: number;
  /** Provider instance id -> rate/concurrency limits. */
  readonly providerLimits: Readonly<Record<string, ProviderLimits>>;
}

/** Rate/concurrency limits of one provider instance. */
export interface ProviderLimits {
  readonly requestsPerSecond?: number;
  readonly burst?: number;
  readonly maxConcurrency?: number;
}

/** The validated configuration the gateway runs with. */
export interface GatewayConfig {
  readonly providers: readonly ResolvedProvider[];
  readonly models: readonly ModelConfig[];
  readonly tenants: readonly ResolvedTenant[];
  readonly routing: ResolvedRouting;
  readonly resilience: ResolvedResilience;
  /** Local kill-switch seed (scope -> value). */
  readonly killSwitches: NonNullable<GatewayConfigFile['killSwitches']>;
  readonly server: {
    readonly maxBodyBytes: number;
    readonly keepAliveMs: number;
  };
  readonly budgets: BudgetSettings;
  readonly limits: LimitSettings;
  readonly guardrails: GuardrailSettings;
  readonly cache: CacheSettings;
  readonly learning: LearningSettings;
  readonly experiments: ExperimentsSettings;
  /** Remote image fetching (lambdas/core/media/config.ts); absent: defaults. */
  readonly media?: MediaSettings;
}

/** Default credential env vars per family. */
export const DEFAULT_CREDENTIAL_ENV: Readonly<Record<string, string>> = {
  gemini: 'GEMINI_API_KEY',
  'openai-compatible': 'LLAMA_API_KEY',
};

/** Key of the default local tenant when no config file is given. */
export const DEFAULT_LOCAL_API_KEY = 'sk-local-dev-key-0000';

const FAMILIES = new Set<ProviderType>([
  'bedrock',
  'gemini',
  'openai-compatible',
  'echo',
]);

const FAMILY_SCHEMAS: Record<ProviderType, z.ZodMiniType> = {
  bedrock: bedrockProviderSchema,
  gemini: geminiProviderSchema,
  'openai-compatible': openAICompatibleProviderSchema,
  echo: echoProviderSchema,
};

// Recent keys' hashes: a client sends the same key on every request, and a
// SHA-256 (hasher object, digest, hex string) is the dearest step of
// authentication. Bounded; a flood of distinct keys only clears it. It holds
// nothing the process did not just receive in an Authorization header.
const recentKeyHashes = new Map<string, string>();
const MAX_RECENT_KEY_HASHES = 256;

/** SHA-256 hex of an API key (how keys are stored and compared). */
export function hashApiKey(key: string): string {
  let hash = recentKeyHashes.get(key);
  if (hash === undefined) {
    hash = createHash('sha256').update(key).digest('hex');
    if (recentKeyHashes.size >= MAX_RECENT_KEY_HASHES) recentKeyHashes.clear();
    recentKeyHashes.set(key, hash);
  }
  return hash;
}

function providerFamily(
  id: string,
  raw: Record<string, unknown>
): ProviderType | undefined {
  const t = raw.type;
  if (typeof t === 'string')
    return FAMILIES.has(t as ProviderType) ? (t as ProviderType) : undefined;
  return FAMILIES.has(id as ProviderType) ? (id as ProviderType) : undefined;
}

/**
 * Whether a provider's credential is available. Locally: its env var is set.
 * On AWS the router passes a check for the provider's Secrets Manager secret.
 */
export type CredentialCheck = (
  providerId: string,
  credentialEnv: string | undefined,
  env: NodeJS.ProcessEnv
) => boolean;

const envCredentialCheck: CredentialCheck = (_id, name, env) =>
  name === undefined || Boolean(env[name]);

function resolveProvider(
  id: string,
  type: ProviderType,
  settings: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  hasCredential: CredentialCheck
): ResolvedProvider {
  const disabled = settings.enabled === false;
  // Bedrock uses the AWS credential chain and echo needs none; the HTTP
  // families name the env var (locally) holding their key. An explicit
  // OpenAI-compatible entry without apiKeyEnv is an endpoint without auth
  // (Ollama, vLLM).
  const credentialEnv =
    type === 'gemini'
      ? ((settings as GeminiProviderConfig).apiKeyEnv ??
        DEFAULT_CREDENTIAL_ENV.gemini!)
      : type === 'openai-compatible'
        ? (settings as OpenAICompatibleProviderConfig).apiKeyEnv
        : undefined;
  const needsKey = type === 'gemini' || type === 'openai-compatible';
  const hasKey = !needsKey || hasCredential(id, credentialEnv, env);
  return {
    id,
    type,
    settings,
    ...(needsKey ? { credentialEnv } : {}),
    live: !disabled && hasKey,
    reason: disabled
      ? 'disabled in config'
      : hasKey
        ? undefined
        : `credential env ${credentialEnv} is not set`,
  } as ResolvedProvider;
}

/**
 * Validates a configuration document and resolves defaults. Collects every
 * problem (with its path) before throwing one ConfigError.
 */
export function resolveConfig(
  raw: unknown,
  env: NodeJS.ProcessEnv = process.env,
  source = 'config',
  hasCredential: CredentialCheck = envCredentialCheck
): GatewayConfig {
  const parsed = gatewayConfigSchema.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError(source, formatIssues(parsed.error.issues));
  const file: GatewayConfigFile = parsed.data;
  const problems: string[] = [];

  const providers = new Map<string, ResolvedProvider>();
  for (const [id, settings] of Object.entries(file.providers ?? {})) {
    const family = providerFamily(id, settings);
    if (!family) {
      problems.push(
        `providers.${id}.type: must be one of bedrock, gemini, openai-compatible, echo (or use one of those as the key)`
      );
      continue;
    }
    const check = FAMILY_SCHEMAS[family].safeParse(settings);
    if (!check.success) {
      problems.push(...formatIssues(check.error.issues, ['providers', id]));
      continue;
    }
    providers.set(
      id,
      resolveProvider(id, family, settings, env, hasCredential)
    );
  }

  const models: ModelConfig[] = [];
  const seenIds = new Set<string>();
  (file.models ?? []).forEach((m, i) => {
    const provider = providers.get(m.provider);
    if (!provider) {
      // Don't report twice when the provider entry itself was invalid.
      if (!problems.some((p) => p.startsWith(`providers.${m.provider}.`))) {
        problems.push(
          `models[${i}].provider: unknown provider ${JSON.stringify(m.provider)} (known: ${[...providers.keys()].join(', ') || 'none'})`
        );
      }
      return;
    }
    if (seenIds.has(m.id)) {
      problems.push(
        `models[${i}].id: duplicate model id ${JSON.stringify(m.id)}`
      );
    }
    seenIds.add(m.id);
    models.push(
      resolveModelEntry(m, {
        type: provider.type,
        region:
          provider.type === 'bedrock' ? provider.settings.region : undefined,
      })
    );
  });
  // Aliases may be shared (a model group) but must not shadow another model's id.
  const ids = new Set(models.map((m) => m.id));
  (file.models ?? []).forEach((m, i) => {
    (m.aliases ?? []).forEach((a, j) => {
      if (ids.has(a) && a !== m.id) {
        problems.push(
          `models[${i}].aliases[${j}]: alias ${JSON.stringify(a)} is another model's id`
        );
      }
    });
  });

  const tenants: ResolvedTenant[] = [];
  const tenantIds = new Set<string>();
  const keyOwners = new Map<string, string>();
  (file.tenants ?? []).forEach((t, i) => {
    if (tenantIds.has(t.id))
      problems.push(
        `tenants[${i}].id: duplicate tenant id ${JSON.stringify(t.id)}`
      );
    tenantIds.add(t.id);
    const keyHashes = [
      ...(t.apiKeys ?? []).map(hashApiKey),
      ...(t.apiKeyHashes ?? []),
    ];
    for (const h of keyHashes) {
      const owner = keyOwners.get(h);
      if (owner && owner !== t.id)
        problems.push(
          `tenants[${i}].apiKeys: a key is also used by tenant ${owner}`
        );
      keyOwners.set(h, t.id);
    }
    let allowedModels: string[] | undefined;
    if (t.allowedModels) {
      allowedModels = [];
      t.allowedModels.forEach((name, j) => {
        const matched = models.filter(
          (m) => m.id === name || m.aliases.includes(name)
        );
        if (matched.length === 0)
          problems.push(
            `tenants[${i}].allowedModels[${j}]: unknown model ${JSON.stringify(name)}`
          );
        for (const m of matched) allowedModels!.push(m.id);
      });
    }
    (t.allowedProviders ?? []).forEach((name, j) => {
      if (!providers.has(name) && !FAMILIES.has(name as ProviderType))
        problems.push(
          `tenants[${i}].allowedProviders[${j}]: unknown provider ${JSON.stringify(name)} (known: ${[...providers.keys()].join(', ') || 'none'})`
        );
    });
    const teams: Record<string, ScopeCaps> = {};
    for (const [id, caps] of Object.entries(t.teams ?? {}))
      teams[id] = { budgets: caps.budgets ?? {}, limits: caps.limits ?? {} };
    const users: Record<string, TenantUser> = {};
    for (const [id, u] of Object.entries(t.users ?? {})) {
      if (u.team !== undefined && !teams[u.team])
        problems.push(
          `tenants[${i}].users.${id}.team: unknown team ${JSON.stringify(u.team)} (known: ${Object.keys(teams).join(', ') || 'none'})`
        );
      users[id] = {
        team: u.team,
        budgets: u.budgets ?? {},
        limits: u.limits ?? {},
      };
    }
    tenants.push({
      id: t.id,
      keyHashes,
      tier: t.tier,
      allowedModels,
      ...(t.allowedProviders ? { allowedProviders: t.allowedProviders } : {}),
      ...(t.region ? { region: t.region } : {}),
      ...(t.defaultDomain ? { defaultDomain: t.defaultDomain } : {}),
      budgets: t.budgets ?? {},
      limits: t.limits ?? {},
      teams,
      users,
      ...(t.userDefaults
        ? {
            userDefaults: {
              budgets: t.userDefaults.budgets ?? {},
              limits: t.userDefaults.limits ?? {},
            },
          }
        : {}),
    });
  });

  if (problems.length > 0) throw new ConfigError(source, problems);

  const r = file.routing ?? {};
  const res = file.resilience ?? {};
  const providerLimits: Record<string, ProviderLimits> = {};
  for (const p of providers.values()) {
    const limits = (p.settings as { limits?: ProviderLimits }).limits;
    if (limits) providerLimits[p.id] = limits;
  }
  const weights = {
    low: r.weights?.low ?? DEFAULT_ROUTING_SETTINGS.weights.low,
    standard: r.weights?.standard ?? DEFAULT_ROUTING_SETTINGS.weights.standard,
    premium: r.weights?.premium ?? DEFAULT_ROUTING_SETTINGS.weights.premium,
  };
  return {
    providers: [...providers.values()],
    models,
    tenants,
    routing: {
      defaultTier: r.defaultTier ?? 'standard',
      defaultDomain: r.defaultDomain ?? 'general',
      slaMs: {
        low: r.slaMs?.low ?? DEFAULT_TIER_SLA_MS.low,
        standard: r.slaMs?.standard ?? DEFAULT_TIER_SLA_MS.standard,
        premium: r.slaMs?.premium ?? DEFAULT_TIER_SLA_MS.premium,
      },
      settings: {
        ...DEFAULT_ROUTING_SETTINGS,
        weights,
        banditWeight: r.banditWeight ?? DEFAULT_ROUTING_SETTINGS.banditWeight,
        maxFallbacks: r.maxFallbacks ?? DEFAULT_ROUTING_SETTINGS.maxFallbacks,
      },
      latencyEwmaAlpha: r.latencyEwmaAlpha ?? 0.2,
    },
    resilience: {
      breaker: res.breaker ?? {},
      maxRetriesPerCandidate: res.maxRetriesPerCandidate ?? 1,
      retryBudgetRatio: res.retryBudgetRatio ?? 0.1,
      hardTimeoutMs: res.hardTimeoutMs ?? 300_000,
      streamIdleTimeoutMs: res.streamIdleTimeoutMs ?? 60_000,
      providerLimits,
    },
    killSwitches: file.killSwitches ?? {},
    server: {
      maxBodyBytes: file.server?.maxBodyBytes ?? 1_048_576,
      keepAliveMs: file.server?.keepAliveMs ?? 15_000,
    },
    budgets: resolveBudgetSettings(file.budgets),
    limits: resolveLimitSettings(file.limits),
    guardrails: resolveGuardrailSettings(file.guardrails),
    cache: resolveCacheSettings(file.cache),
    learning: resolveLearningSettings(file.learning),
    experiments: resolveExperimentsSettings(file.experiments),
    media: resolveMediaSettings(file.media),
  };
}

/**
 * The configuration used when no file is given: every provider family whose
 * credentials are present in the environment, with well-known models, plus
 * the local `echo` model (never part of an AWS deployment) and one local
 * tenant whose key is `GATEWAY_API_KEY` or the documented dev key.
 */
export function defaultConfigFile(
  env: NodeJS.ProcessEnv = process.env
): GatewayConfigFile {
  const providers: NonNullable<GatewayConfigFile['providers']> = {};
  const models: NonNullable<GatewayConfigFile['models']> = [];
  const hasAws = Boolean(
    env.AWS_ACCESS_KEY_ID ||
      env.AWS_PROFILE ||
      env.AWS_CONTAINER_CREDENTIALS_FULL_URI ||
      env.AWS_WEB_IDENTITY_TOKEN_FILE
  );
  if (hasAws) {
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
    const geo = region.startsWith('eu-')
      ? 'eu'
      : region.startsWith('ap-')
        ? 'apac'
        : 'us';
    providers.bedrock = { region };
    models.push(
      {
        id: 'claude-sonnet',
        provider: 'bedrock',
        providerModelId: `${geo}.anthropic.claude-sonnet-4-20250514-v1:0`,
        capabilities: [
          'tools',
          'streaming',
          'vision',
          'documents',
          'structured_output',
          'reasoning',
        ],
        contextWindow: 200_000,
        maxOutputTokens: 8192,
        pricing: { inputPer1M: 3, outputPer1M: 15 },
        domains: ['legal', 'medical', 'code'],
        quality: 0.9,
        expectedLatencyMs: 1500,
      },
      {
        id: 'nova-lite',
        provider: 'bedrock',
        providerModelId: `${geo}.amazon.nova-lite-v1:0`,
        capabilities: [
          'tools',
          'streaming',
          'vision',
          'documents',
          'structured_output',
        ],
        contextWindow: 300_000,
        maxOutputTokens: 5000,
        pricing: { inputPer1M: 0.06, outputPer1M: 0.24 },
        quality: 0.6,
        expectedLatencyMs: 700,
      }
    );
  }
  if (env.GEMINI_API_KEY) {
    providers.gemini = { apiKeyEnv: 'GEMINI_API_KEY' };
    models.push({
      id: 'gemini-flash',
      provider: 'gemini',
      providerModelId: 'gemini-2.5-flash',
      capabilities: [
        'tools',
        'streaming',
        'vision',
        'documents',
        'json_mode',
        'structured_output',
        'reasoning',
      ],
      contextWindow: 1_048_576,
      maxOutputTokens: 8192,
      pricing: { inputPer1M: 0.3, outputPer1M: 2.5 },
      domains: ['code'],
      quality: 0.75,
      expectedLatencyMs: 800,
    });
  }
  if (env.LLAMA_API_KEY) {
    providers['openai-compatible'] = {
      baseUrl: 'https://api.llama.com/compat/v1',
      apiKeyEnv: 'LLAMA_API_KEY',
    };
    models.push({
      id: 'llama-maverick',
      provider: 'openai-compatible',
      providerModelId: 'Llama-4-Maverick-17B-128E-Instruct-FP8',
      // Llama 4 reads images; the Llama API takes no file parts.
      capabilities: ['tools', 'streaming', 'vision', 'structured_output'],
      contextWindow: 128_000,
      maxOutputTokens: 4096,
      pricing: { inputPer1M: 0.2, outputPer1M: 0.6 },
      quality: 0.7,
      expectedLatencyMs: 900,
    });
  }
  const onlyEcho = models.length === 0;
  providers.echo = { type: 'echo' };
  models.push({
    id: 'echo',
    provider: 'echo',
    providerModelId: 'echo',
    aliases: ['local-echo'],
    // Echo ignores media but accepts it, so attachments can be smoke-tested.
    capabilities: ['tools', 'streaming', 'json_mode', 'vision', 'documents'],
    contextWindow: 1_000_000,
    maxOutputTokens: 100_000,
    pricing: { inputPer1M: 0, outputPer1M: 0 },
    quality: 0.01,
    expectedLatencyMs: 1,
    // Smoke-test model: picked by `auto` only when no real provider is live.
    autoRoute: onlyEcho,
  });
  return {
    providers,
    models,
    tenants: [
      {
        id: 'local',
        apiKeys: [env.GATEWAY_API_KEY || DEFAULT_LOCAL_API_KEY],
        tier: 'standard',
      },
    ],
  };
}
