import { z } from 'zod';

/**
 * The gateway configuration file (`GATEWAY_CONFIG`). A public contract:
 * operators' scripts write it, so fields are only ever added, never renamed.
 * Every field is documented in README.md ("Configuration").
 */

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL');

const envVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

/** Bedrock Runtime provider instance. */
export const bedrockProviderSchema = z.strictObject({
  type: z.literal('bedrock').optional(),
  /** AWS region of the Bedrock Runtime endpoint. */
  region: z.string().min(1).optional(),
  /** Endpoint override (fakes, VPC endpoints). Also `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`. */
  endpoint: httpUrl.optional(),
  /** Per-attempt timeout in ms. */
  timeoutMs: z.number().int().positive().optional(),
  enabled: z.boolean().optional(),
});

/** Google Gemini provider instance (Generative Language API or Vertex AI). */
export const geminiProviderSchema = z.strictObject({
  type: z.literal('gemini').optional(),
  /** `api` = generativelanguage.googleapis.com with an API key; `vertex` = Vertex AI with an OAuth token. */
  mode: z.enum(['api', 'vertex']).optional(),
  baseUrl: httpUrl.optional(),
  /** Env var holding the API key (api mode) or access token (vertex mode). */
  apiKeyEnv: envVarName.optional(),
  /** Vertex AI project and location (vertex mode). */
  project: z.string().min(1).optional(),
  location: z.string().min(1).optional(),
  timeoutMs: z.number().int().positive().optional(),
  enabled: z.boolean().optional(),
});

/** Any OpenAI Chat Completions endpoint (Meta Llama API, vLLM, Ollama...). */
export const openAICompatibleProviderSchema = z.strictObject({
  type: z.literal('openai-compatible').optional(),
  baseUrl: httpUrl.optional(),
  apiKeyEnv: envVarName.optional(),
  /** Extra headers sent upstream (never secrets: use apiKeyEnv for those). */
  headers: z.record(z.string(), z.string()).optional(),
  timeoutMs: z.number().int().positive().optional(),
  enabled: z.boolean().optional(),
});

/** The local-only echo provider used for smoke tests. */
export const echoProviderSchema = z.strictObject({
  type: z.literal('echo'),
  /** Artificial latency per reply, ms. */
  latencyMs: z.number().int().nonnegative().optional(),
  enabled: z.boolean().optional(),
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
  'json_mode',
]);

export const budgetTierSchema = z.enum(['low', 'standard', 'premium']);

const modelIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/,
    'may contain letters, digits and . _ : / @ -'
  )
  .refine((v) => v !== 'auto', '"auto" is reserved');

/** One model entry. */
export const modelSchema = z.strictObject({
  id: modelIdSchema,
  provider: z.string().min(1),
  providerModelId: z.string().min(1),
  aliases: z.array(modelIdSchema).optional(),
  region: z.string().min(1).optional(),
  capabilities: z.array(capabilitySchema).optional(),
  contextWindow: z.number().int().positive().optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  pricing: z
    .strictObject({
      inputPer1M: z.number().nonnegative(),
      outputPer1M: z.number().nonnegative(),
    })
    .optional(),
  domains: z.array(z.string().min(1)).optional(),
  quality: z.number().min(0).max(1).optional(),
  expectedLatencyMs: z.number().positive().optional(),
  status: z.enum(['active', 'canary', 'shadow', 'deprecated']).optional(),
  /** false: only reachable by id/alias, never chosen for `model: "auto"`. */
  autoRoute: z.boolean().optional(),
});

/** One tenant (client application or team). */
export const tenantSchema = z
  .strictObject({
    id: z.string().min(1).max(128),
    /** Keys in clear (local files only); hashed with SHA-256 on load. */
    apiKeys: z.array(z.string().min(16, 'must be at least 16 characters')).optional(),
    /** Hex SHA-256 of keys. */
    apiKeyHashes: z
      .array(z.string().regex(/^[a-f0-9]{64}$/, 'must be a hex SHA-256'))
      .optional(),
    tier: budgetTierSchema.optional(),
    /** Model ids (or aliases) this tenant may use; absent = all. */
    allowedModels: z.array(z.string().min(1)).optional(),
    budgets: z
      .strictObject({
        dailyUsd: z.number().nonnegative().optional(),
        monthlyUsd: z.number().nonnegative().optional(),
      })
      .optional(),
    limits: z
      .strictObject({
        requestsPerMinute: z.number().int().positive().optional(),
        tokensPerDay: z.number().int().positive().optional(),
        maxTokensPerRequest: z.number().int().positive().optional(),
      })
      .optional(),
  })
  .refine(
    (t) => (t.apiKeys?.length ?? 0) + (t.apiKeyHashes?.length ?? 0) > 0,
    { message: 'needs apiKeys or apiKeyHashes', path: ['apiKeys'] }
  );

/** Policy weights of one budget tier; normalised at load. */
export const tierWeightsSchema = z.strictObject({
  latency: z.number().nonnegative(),
  cost: z.number().nonnegative(),
  quality: z.number().nonnegative(),
  domain: z.number().nonnegative(),
});

/** Routing defaults and policy tuning. */
export const routingSchema = z.strictObject({
  defaultTier: budgetTierSchema.optional(),
  defaultDomain: z.string().min(1).optional(),
  /** Policy weights per tier (low: cost-heavy; premium: quality/latency-heavy). */
  weights: z
    .strictObject({
      low: tierWeightsSchema.optional(),
      standard: tierWeightsSchema.optional(),
      premium: tierWeightsSchema.optional(),
    })
    .optional(),
  /** Default latency SLA per tier, ms (used when the request gives no max_latency_ms). */
  slaMs: z
    .strictObject({
      low: z.number().positive().optional(),
      standard: z.number().positive().optional(),
      premium: z.number().positive().optional(),
    })
    .optional(),
  /** Weight of the bandit sample vs the policy score, 0 = policy only. */
  banditWeight: z.number().min(0).max(1).optional(),
  /** How many fallbacks a decision carries. */
  maxFallbacks: z.number().int().nonnegative().max(10).optional(),
  /** EWMA smoothing for observed latency, 0 < alpha <= 1. */
  latencyEwmaAlpha: z.number().gt(0).max(1).optional(),
});

/** Local server settings. */
export const serverSchema = z.strictObject({
  /** Largest accepted request body, bytes (413 beyond). */
  maxBodyBytes: z.number().int().positive().optional(),
  /** SSE keep-alive comment interval during upstream silence, ms. */
  keepAliveMs: z.number().int().positive().optional(),
});

/** The whole configuration file. */
export const gatewayConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  providers: z.record(z.string().min(1), providerSchema).optional(),
  models: z.array(modelSchema).optional(),
  tenants: z.array(tenantSchema).optional(),
  routing: routingSchema.optional(),
  server: serverSchema.optional(),
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
