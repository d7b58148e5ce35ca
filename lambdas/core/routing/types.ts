import type { TierWeights } from '../config/schema';
import type { MediaItem } from '../media/summary';
import type { BudgetTier, ModelConfig } from '../types';

/** A random source in [0, 1). Injected so decisions are reproducible in tests. */
export type Rng = () => number;

/** What the client asked for in `model`. */
export type ModelRequest =
  | { readonly kind: 'auto' }
  /** An alias or id resolving to one or more models (a model group). */
  | {
      readonly kind: 'named';
      readonly name: string;
      readonly modelIds: readonly string[];
    };

/** Everything the routing core needs to know about one request. */
export interface RoutingContext {
  readonly model: ModelRequest;
  /** Request domain (`general` when the client gave none). */
  readonly domain: string;
  readonly budgetTier: BudgetTier;
  readonly needsTools: boolean;
  readonly needsStreaming: boolean;
  /** `response_format` json_schema or json_object (see candidates.ts). */
  readonly responseFormat?: 'json_schema' | 'json_object';
  /** `reasoning_effort` other than `none` was asked for. */
  readonly needsReasoning?: boolean;
  /** `embeddings`: only embedding models are candidates (else they are excluded). */
  readonly endpoint?: 'embeddings';
  readonly region: 'eu' | 'any';
  /** Provider instance ids the client restricted routing to. */
  readonly providers?: readonly string[];
  /** The client's latency SLA (or the tier default), ms. */
  readonly maxLatencyMs: number;
  /** Prompt size in characters; tokens are estimated per provider family. */
  readonly promptChars: number;
  readonly messageCount: number;
  /** Images and documents of the request (media/summary.ts); absent when none. */
  readonly media?: readonly MediaItem[];
  /** Requested completion size (max_tokens) or undefined. */
  readonly maxOutputTokens?: number;
  /** Tenant allowlist of model ids; undefined = all. */
  readonly allowedModels?: readonly string[];
  /** Tenant allowlist of provider instance ids or families; undefined = all. */
  readonly allowedProviders?: readonly string[];
}

/** Why a model can't serve a request. */
export type ExclusionCode =
  | 'not_requested'
  | 'status'
  | 'tenant_not_allowed'
  | 'tenant_provider_not_allowed'
  | 'provider_not_requested'
  | 'provider_unavailable'
  | 'region'
  | 'capability_tools'
  | 'capability_streaming'
  | 'capability_structured_output'
  | 'capability_reasoning'
  /** A chat request met an embedding model, or an embeddings request a chat model. */
  | 'capability_embeddings'
  | 'capability_vision'
  | 'capability_documents'
  /** A provider limit on images/documents (format, bytes, pixels, count). */
  | 'media_limits'
  | 'context_window'
  | 'kill_switch'
  | 'circuit_open'
  /** An experiment's variant keeps the model out (lambdas/core/experiments). */
  | 'experiment';

/** An excluded model and the reason, as shown by /v1/route. */
export interface Exclusion {
  readonly modelId: string;
  readonly code: ExclusionCode;
  readonly reason: string;
}

/** Extra exclusions computed outside the pure core (kill switches, circuits). */
export interface ExternalExclusion {
  readonly code:
    | 'kill_switch'
    | 'circuit_open'
    | 'provider_unavailable'
    | 'experiment';
  readonly reason: string;
}

/** Policy score components, each in [0, 1] (1 = best). */
export interface ScoreComponents {
  readonly latency: number;
  readonly cost: number;
  readonly quality: number;
  readonly domain: number;
}

/** One eligible candidate with its scores. */
export interface ScoredCandidate {
  readonly model: ModelConfig;
  readonly components: ScoreComponents;
  /** Estimated request cost, USD. */
  readonly estimatedCostUsd: number;
  /** Latency estimate used (prior shrunk toward observations), ms. */
  readonly estimatedLatencyMs: number;
  /** Whether the latency estimate exceeds the SLA. */
  readonly overSla: boolean;
  /** Weighted policy score in [0, 1]. */
  readonly policyScore: number;
  /** Bandit posterior mean for this context. */
  readonly banditMean: number;
  /** The Thompson draw used for this decision. */
  readonly banditSample: number;
  /** Final score = (1 - w) * policy + w * sample (minus SLA penalty). */
  readonly finalScore: number;
  /** Probability this candidate is chosen under the sampling policy. */
  readonly probability: number;
}

/** Tunables of the policy and the bandit (resolved with defaults). */
export interface RoutingSettings {
  readonly weights: Readonly<Record<BudgetTier, TierWeights>>;
  readonly banditWeight: number;
  readonly maxFallbacks: number;
  /** Monte Carlo draws used to estimate choice probabilities. */
  readonly propensitySamples: number;
}

/** The outcome of routing one request. */
export interface RoutingDecision {
  readonly contextKey: string;
  /** Undefined when nothing is eligible (see `excluded`). */
  readonly chosen?: ScoredCandidate;
  /** Probability the logging policy gave `chosen`, in (0, 1]. */
  readonly propensity: number;
  /** Whether exploration (not the Thompson argmax) picked `chosen`. */
  readonly explored?: boolean;
  /** Ordered fallbacks (best first), excluding `chosen`. */
  readonly fallbacks: readonly ScoredCandidate[];
  /** All eligible candidates, best expected score first. */
  readonly candidates: readonly ScoredCandidate[];
  readonly excluded: readonly Exclusion[];
}
