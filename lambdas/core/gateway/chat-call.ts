import type { ResolvedTenant } from '../config/load';
import type { ChatRequest, ModelConfig, Usage } from '../types';
import type { RoutePlan } from './plan';
import type { ResponseSink } from './sink';

/** Per-request identity passed down from the handler. */
export interface ChatCall {
  readonly request: ChatRequest;
  readonly tenant: ResolvedTenant;
  readonly requestId: string;
  readonly sink: ResponseSink;
  readonly plan: RoutePlan;
  /** Told the real usage once an answer is complete (limit and budget settlement). */
  readonly onServed?: (usage: Usage, model: ModelConfig) => void;
}

/** What a successful attempt produced. */
export interface Served {
  readonly model: ModelConfig;
  readonly usage: Usage;
  /** Cost of `usage` at the model's pricing, USD. */
  readonly costUsd: number;
  readonly latencyMs: number;
  readonly ttftMs?: number;
}

/**
 * Response headers of an answer by `model` on attempt `attempt`; `costUsd`
 * is set once the cost is known (non-streamed answers).
 */
export type AnswerHeaders = (
  model: ModelConfig,
  attempt: number,
  costUsd?: number
) => Record<string, string>;
