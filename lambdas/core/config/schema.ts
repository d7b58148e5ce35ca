import * as z from 'zod/mini';
import '../api/zod-locale';
import { budgetSettingsSchema } from '../budget/config';
import { cacheSettingsSchema } from '../cache/config';
import { experimentsSettingsSchema } from '../experiments/config';
import { guardrailSettingsSchema } from '../guardrails/config';
import { learningSettingsSchema } from '../learning/config';
import { limitSettingsSchema } from '../limits/config';
import { mediaSettingsSchema } from '../media/config';

/**
 * The gateway configuration file (`GATEWAY_CONFIG`). A public contract:
 * operators' scripts write it, so fields are only ever added, never renamed.
 * Every field is documented in README.md ("Configuration").
 */

const httpUrl = z.url({
  protocol: /^https?$/,
  error: 'must be an http(s) URL',
});

const envVarName = z
  .string()
  .check(
    z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
  );

const posInt = z.int().check(z.gt(0));
const nonNeg = z.number().check(z.gte(0));
const nonEmpty = z.string().check(z.minLength(1));

/** Per-provider-instance limits so one provider's quota isn't blown. */
export const providerLimitsSchema = z.strictObject({
  /** Sustained requests per second (token bucket). */
  requestsPerSecond: z.optional(z.number().check(z.gt(0))),
  /** Requests allowed at once above the rate. */
  burst: z.optional(posInt),
  /** Calls in flight at once. */
  maxConcurrency: z.optional(posInt),
});

/** Bedrock Runtime provider instance. */
export const bedrockProviderSchema = z.strictObject({
  type: z.optional(z.literal('bedrock')),
  /** AWS region of the Bedrock Runtime endpoint. */
  region: z.optional(nonEmpty),
  /** Endpoint override (fakes, VPC endpoints). Also `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`. */
  endpoint: z.optional(httpUrl),
  /** Per-attempt timeout in ms. */
  timeoutMs: z.optional(posInt),
  enabled: z.optional(z.boolean()),
  limits: z.optional(providerLimitsSchema),
  /** Role in the account that owns the models, assumed through STS (cross-account Bedrock). */
  roleArn: z.optional(
    z
      .string()
      .check(
        z.regex(
          /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
          'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)'
        )
      )
  ),
  /** `sts:ExternalId` the role's trust policy requires. */
  externalId: z.optional(
    z
      .string()
      .check(
        z.regex(
          /^[\w+=,.@:/-]{2,1224}$/,
          'must be 2-1224 characters of \\w+=,.@:/-'
        )
      )
  ),
  /** STS session name (the target account's CloudTrail shows it). */
  sessionName: z.optional(
    z
      .string()
      .check(
        z.regex(/^[\w+=,.@-]{2,64}$/, 'must be 2-64 characters of \\w+=,.@-')
      )
  ),
});

/** Google Gemini provider instance (Generative Language API or Vertex AI). */
export const geminiProviderSchema = z.strictObject({
  type: z.optional(z.literal('gemini')),
  /** `api` = generativelanguage.googleapis.com with an API key; `vertex` = Vertex AI with an OAuth token. */
  mode: z.optional(z.enum(['api', 'vertex'])),
  baseUrl: z.optional(httpUrl),
  /** Env var holding the API key (api mode) or access token (vertex mode). */
  apiKeyEnv: z.optional(envVarName),
  /** Vertex AI project and location (vertex mode). */
  project: z.optional(nonEmpty),
  location: z.optional(nonEmpty),
  timeoutMs: z.optional(posInt),
  enabled: z.optional(z.boolean()),
  limits: z.optional(providerLimitsSchema),
});

/** Any OpenAI Chat Completions endpoint (Meta Llama API, vLLM, Ollama...). */
export const openAICompatibleProviderSchema = z.strictObject({
  type: z.optional(z.literal('openai-compatible')),
  baseUrl: z.optional(httpUrl),
  apiKeyEnv: z.optional(envVarName),
  /** Extra headers sent upstream (never secrets: use apiKeyEnv for those). */
  headers: z.optional(z.record(z.string(), z.string())),
  timeoutMs: z.optional(posInt),
  enabled: z.optional(z.boolean()),
  limits: z.optional(providerLimitsSchema),
});

/** The local-only echo provider used for smoke tests. */
export const echoProviderSchema = z.strictObject({
  type: z.literal('echo'),
  /** Artificial latency per reply, ms. */
  latencyMs: z.optional(z.int().check(z.gte(0))),
  enabled: z.optional(z.boolean()),
  limits: z.optional(providerLimitsSchema),
});

/**
 * Provider instances are keyed by id. The protocol family is the explicit
 * `type`, or the key itself when it names a family (`bedrock`, `gemini`,
 * `openai-compatible`). Each entry is checked against its family's schema
 * in load.ts, so the error path names the right fields.
 */
const providerSchema = z.record(z.string(), z.unknown());

export const capabilitySchema = z.enum([
  'tools',
  'streaming',
  'vision',
  /** Accepts `file` parts: PDF and text documents. */
  'documents',
  'json_mode',
  /** `response_format` json_schema / json_object served natively or by a forced tool call. */
  'structured_output',
  /** Honours `reasoning_effort` (extended thinking / thinking budget). */
  'reasoning',
  /** An embedding model: only `/v1/embeddings` routes to it, and it never serves chat. */
  'embeddings',
]);

export const budgetTierSchema = z.enum(['low', 'standard', 'premium']);

const modelIdSchema = z.string().check(
  z.minLength(1),
  z.maxLength(128),
  z.regex(
    /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/,
    'may contain letters, digits and . _ : / @ -'
  ),
  z.refine((v) => v !== 'auto', '"auto" is reserved')
);

/** One model entry. */
export const modelSchema = z.strictObject({
  id: modelIdSchema,
  provider: nonEmpty,
  providerModelId: nonEmpty,
  aliases: z.optional(z.array(modelIdSchema)),
  region: z.optional(nonEmpty),
  capabilities: z.optional(z.array(capabilitySchema)),
  contextWindow: z.optional(posInt),
  maxOutputTokens: z.optional(posInt),
  pricing: z.optional(
    z.strictObject({ inputPer1M: nonNeg, outputPer1M: nonNeg })
  ),
  domains: z.optional(z.array(nonEmpty)),
  quality: z.optional(z.number().check(z.gte(0), z.lte(1))),
  expectedLatencyMs: z.optional(z.number().check(z.gt(0))),
  status: z.optional(z.enum(['active', 'canary', 'shadow', 'deprecated'])),
  /** false: only reachable by id/alias, never chosen for `model: "auto"`. */
  autoRoute: z.optional(z.boolean()),
  /** Bedrock only: `native` (outputConfig.textFormat) or `tool` (forced tool call; default). */
  structuredOutput: z.optional(z.enum(['native', 'tool'])),
});

/** Spending caps of one scope (tenant, team or user), USD per period. */
export const budgetCapsSchema = z.strictObject({
  dailyUsd: z.optional(nonNeg),
  monthlyUsd: z.optional(nonNeg),
});

/** Rate and token caps of one scope (tenant, team or user). */
export const limitCapsSchema = z.strictObject({
  requestsPerMinute: z.optional(posInt),
  tokensPerDay: z.optional(posInt),
  maxTokensPerRequest: z.optional(posInt),
});

/** Caps of a team or a user under a tenant. */
export const scopeCapsSchema = z.strictObject({
  budgets: z.optional(budgetCapsSchema),
  limits: z.optional(limitCapsSchema),
});

/** A user under a tenant (the OpenAI `user` field), optionally in a team. */
export const tenantUserSchema = z.strictObject({
  /** Team id (a key of the tenant's `teams`). */
  team: z.optional(nonEmpty),
  budgets: z.optional(budgetCapsSchema),
  limits: z.optional(limitCapsSchema),
});

const scopeIdSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(128),
    z.regex(/^[A-Za-z0-9._:@-]+$/, 'may contain letters, digits and . _ : @ -')
  );

/** One tenant (client application or team). */
export const tenantSchema = z
  .strictObject({
    id: z.string().check(z.minLength(1), z.maxLength(128)),
    /** Keys in clear (local files only); hashed with SHA-256 on load. */
    apiKeys: z.optional(
      z.array(
        z.string().check(z.minLength(16, 'must be at least 16 characters'))
      )
    ),
    /** Hex SHA-256 of keys. */
    apiKeyHashes: z.optional(
      z.array(
        z.string().check(z.regex(/^[a-f0-9]{64}$/, 'must be a hex SHA-256'))
      )
    ),
    tier: z.optional(budgetTierSchema),
    /** Model ids (or aliases) this tenant may use; absent = all. */
    allowedModels: z.optional(z.array(nonEmpty)),
    /** Provider instance ids or families this tenant may use; absent = all. */
    allowedProviders: z.optional(z.array(nonEmpty)),
    /** Residency floor: `eu` keeps every request on EU models whatever the request says. */
    region: z.optional(z.enum(['eu', 'any'])),
    /** Domain of requests that name none (before routing.defaultDomain). */
    defaultDomain: z.optional(nonEmpty),
    budgets: z.optional(budgetCapsSchema),
    limits: z.optional(limitCapsSchema),
    /** Teams under the tenant, each with its own caps. */
    teams: z.optional(z.record(scopeIdSchema, scopeCapsSchema)),
    /** Known users (the request's `user` field), each with its own caps and team. */
    users: z.optional(z.record(scopeIdSchema, tenantUserSchema)),
    /** Caps of any user not listed in `users` (absent: users are capped only by team and tenant). */
    userDefaults: z.optional(scopeCapsSchema),
  })
  .check(
    z.refine(
      (t) => (t.apiKeys?.length ?? 0) + (t.apiKeyHashes?.length ?? 0) > 0,
      { message: 'needs apiKeys or apiKeyHashes', path: ['apiKeys'] }
    )
  );

/** Policy weights of one budget tier; normalised at load. */
export const tierWeightsSchema = z.strictObject({
  latency: nonNeg,
  cost: nonNeg,
  quality: nonNeg,
  domain: nonNeg,
});

/** Routing defaults and policy tuning. */
export const routingSchema = z.strictObject({
  defaultTier: z.optional(budgetTierSchema),
  defaultDomain: z.optional(nonEmpty),
  /** Policy weights per tier (low: cost-heavy; premium: quality/latency-heavy). */
  weights: z.optional(
    z.strictObject({
      low: z.optional(tierWeightsSchema),
      standard: z.optional(tierWeightsSchema),
      premium: z.optional(tierWeightsSchema),
    })
  ),
  /** Default latency SLA per tier, ms (used when the request gives no max_latency_ms). */
  slaMs: z.optional(
    z.strictObject({
      low: z.optional(z.number().check(z.gt(0))),
      standard: z.optional(z.number().check(z.gt(0))),
      premium: z.optional(z.number().check(z.gt(0))),
    })
  ),
  /** Weight of the bandit sample vs the policy score, 0 = policy only. */
  banditWeight: z.optional(z.number().check(z.gte(0), z.lte(1))),
  /** How many fallbacks a decision carries. */
  maxFallbacks: z.optional(z.int().check(z.gte(0), z.lte(10))),
  /** EWMA smoothing for observed latency, 0 < alpha <= 1. */
  latencyEwmaAlpha: z.optional(z.number().check(z.gt(0), z.lte(1))),
});

/** Local server settings. */
export const serverSchema = z.strictObject({
  /** Largest accepted request body, bytes (413 beyond). */
  maxBodyBytes: z.optional(posInt),
  /** SSE keep-alive comment interval during upstream silence, ms. */
  keepAliveMs: z.optional(posInt),
});

/** Circuit breakers, retries and deadlines. */
export const resilienceSchema = z.strictObject({
  breaker: z.optional(
    z.strictObject({
      /** Failure share in the window that opens the circuit, (0, 1]. */
      failureRateThreshold: z.optional(z.number().check(z.gt(0), z.lte(1))),
      /** Sliding window, ms. */
      windowMs: z.optional(posInt),
      /** Calls in the window before the rate is judged. */
      minimumRequests: z.optional(posInt),
      /** Open -> half-open after this long, ms. */
      cooldownMs: z.optional(posInt),
      /** Probes admitted at once while half-open. */
      halfOpenMaxProbes: z.optional(posInt),
    })
  ),
  /** Same-candidate retries allowed per request (only when no other candidate is left). */
  maxRetriesPerCandidate: z.optional(z.int().check(z.gte(0), z.lte(5))),
  /** Retry budget: retries allowed as a share of first attempts, [0, 1]. */
  retryBudgetRatio: z.optional(z.number().check(z.gte(0), z.lte(1))),
  /** Hard deadline of a request, ms (504 beyond). */
  hardTimeoutMs: z.optional(posInt),
  /** Longest silence tolerated mid-stream, ms. */
  streamIdleTimeoutMs: z.optional(posInt),
});

/** Local kill-switch seed: scope -> `on` | `off` | {state, reason, percent, until}. */
export const killSwitchSeedSchema = z.record(
  z.string(),
  z.union([
    z.enum(['on', 'off']),
    z.strictObject({
      state: z.enum(['on', 'off']),
      reason: z.optional(z.string()),
      percent: z.optional(z.number().check(z.gte(0), z.lte(100))),
      until: z.optional(z.iso.datetime({ offset: true })),
    }),
  ])
);

/** The whole configuration file. */
export const gatewayConfigSchema = z.strictObject({
  $schema: z.optional(z.string()),
  providers: z.optional(z.record(nonEmpty, providerSchema)),
  models: z.optional(z.array(modelSchema)),
  tenants: z.optional(z.array(tenantSchema)),
  routing: z.optional(routingSchema),
  resilience: z.optional(resilienceSchema),
  killSwitches: z.optional(killSwitchSeedSchema),
  server: z.optional(serverSchema),
  budgets: z.optional(budgetSettingsSchema),
  limits: z.optional(limitSettingsSchema),
  guardrails: z.optional(guardrailSettingsSchema),
  cache: z.optional(cacheSettingsSchema),
  learning: z.optional(learningSettingsSchema),
  experiments: z.optional(experimentsSettingsSchema),
  media: z.optional(mediaSettingsSchema),
});

/** The configuration file as written (before defaults). */
export type GatewayConfigFile = z.infer<typeof gatewayConfigSchema>;
/** Bedrock provider settings. */
export type BedrockProviderConfig = z.infer<typeof bedrockProviderSchema>;
/** Gemini provider settings. */
export type GeminiProviderConfig = z.infer<typeof geminiProviderSchema>;
/** OpenAI-compatible provider settings. */
export type OpenAICompatibleProviderConfig = z.infer<
  typeof openAICompatibleProviderSchema
>;
/** Echo provider settings. */
export type EchoProviderConfig = z.infer<typeof echoProviderSchema>;
/** Model entry as written. */
export type ModelConfigFile = z.infer<typeof modelSchema>;
/** Tenant entry as written. */
export type TenantConfigFile = z.infer<typeof tenantSchema>;
/** Tier weights. */
export type TierWeights = z.infer<typeof tierWeightsSchema>;
