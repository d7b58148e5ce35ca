import * as z from 'zod/mini';
import '../api/zod-locale';
import { zodToGatewayError } from '../api/chat-request';
import { badRequest, GatewayError } from '../api/errors';
import type {
  BanditStore,
  DecisionFeedback,
  DecisionLog,
  DecisionRecord,
  GatewayMetrics,
  Log,
} from '../ports';
import { contextKey } from '../routing/context-key';
import type { BudgetTier } from '../types';

/** What `POST /v1/feedback` needs from the router's deps. */
export interface FeedbackDeps {
  readonly decisions: DecisionLog;
  readonly bandit: BanditStore;
  readonly metrics: GatewayMetrics;
  readonly log: Log;
  readonly now?: () => number;
  /**
   * Delays (ms) of the re-reads of an unknown decision before answering 404.
   * On AWS the decision is written after its response ended, so feedback
   * sent at once may reach another container first.
   * @default [150, 500]
   */
  readonly feedbackRetryDelaysMs?: readonly number[];
}

const feedbackBody = z.strictObject({
  decision_id: z.string().check(z.minLength(1), z.maxLength(128)),
  score: z.optional(z.number().check(z.gte(0), z.lte(1))),
  thumbs: z.optional(z.enum(['up', 'down'])),
  comment: z.optional(z.string().check(z.maxLength(4000))),
});

/** A validated feedback request. */
export interface FeedbackRequest {
  readonly decisionId: string;
  readonly feedback: Omit<DecisionFeedback, 'at'>;
}

/**
 * Validates a feedback body: `decision_id` and exactly one of `score` (0..1)
 * or `thumbs` (`up` = 1, `down` = 0), optional `comment`. 400 otherwise.
 */
export function parseFeedback(body: unknown): FeedbackRequest {
  const r = feedbackBody.safeParse(body);
  if (!r.success) throw zodToGatewayError(r.error);
  const { decision_id, score, thumbs, comment } = r.data;
  if (score === undefined && thumbs === undefined) {
    throw badRequest(
      'send either score (0..1) or thumbs (up | down)',
      'score',
      'missing_required_parameter'
    );
  }
  if (score !== undefined && thumbs !== undefined) {
    throw badRequest(
      'send either score or thumbs, not both',
      'thumbs',
      'invalid_value'
    );
  }
  return {
    decisionId: decision_id,
    feedback: {
      score: score ?? (thumbs === 'up' ? 1 : 0),
      ...(thumbs ? { thumbs } : {}),
      ...(comment !== undefined ? { comment } : {}),
    },
  };
}

/** The model whose answer the client rated, if one answered. */
export function ratedModel(record: DecisionRecord): string | undefined {
  if (record.served_by) return record.served_by;
  return record.outcome === 'ok' ? record.chosen : undefined;
}

/**
 * The decision's reward once feedback is known. The logged reward belongs to
 * the logging policy's action (`chosen`), so explicit feedback replaces it
 * only when `chosen` answered; after a failover the chosen model failed and
 * its reward stays what it was.
 */
export function feedbackReward(
  record: DecisionRecord,
  score: number
): number | null {
  return ratedModel(record) === record.chosen && record.outcome === 'ok'
    ? score
    : record.reward;
}

/** The answer to a recorded feedback: identical on every replay. */
export function feedbackJson(record: DecisionRecord): Record<string, unknown> {
  const f = record.feedback!;
  return {
    object: 'feedback',
    decision_id: record.decision_id,
    score: f.score,
    thumbs: f.thumbs ?? null,
    reward: record.reward,
    recorded_at: f.at,
  };
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `POST /v1/feedback`: attaches the client's feedback to one of its own
 * decisions (conditional write, so it is recorded once), sets the
 * decision's reward and updates the bandit arm of the model that answered.
 * A replay of the same feedback gets the same answer and changes nothing;
 * different feedback for a rated decision is 409; an unknown decision or
 * one of another tenant is 404 (never saying which).
 */
export async function recordFeedback(
  deps: FeedbackDeps,
  tenant: string,
  body: unknown
): Promise<Record<string, unknown>> {
  const { decisionId, feedback } = parseFeedback(body);
  const now = deps.now ?? Date.now;
  const delays = deps.feedbackRetryDelaysMs ?? [150, 500];
  for (let attempt = 0; ; attempt++) {
    const record = await deps.decisions.get(decisionId);
    if (record && record.tenant === tenant) {
      const stamped: DecisionFeedback = {
        ...feedback,
        at: new Date(now()).toISOString(),
      };
      const write = await deps.decisions.attachFeedback(
        decisionId,
        tenant,
        stamped,
        feedbackReward(record, feedback.score)
      );
      if (write.status === 'not_found') break;
      if (write.status === 'conflict') {
        throw new GatewayError(
          409,
          'invalid_request_error',
          'feedback_conflict',
          'feedback for this decision was already recorded with a different value',
          { param: 'decision_id' }
        );
      }
      if (write.status === 'recorded') learn(deps, write.record, tenant);
      return feedbackJson(write.record);
    }
    // Another tenant's decision is as unknown as a missing one: no waiting.
    if (record || attempt >= delays.length) break;
    await sleep(delays[attempt]!);
  }
  throw new GatewayError(
    404,
    'not_found_error',
    'decision_not_found',
    'no decision with this id for your API key',
    { param: 'decision_id' }
  );
}

function learn(deps: FeedbackDeps, record: DecisionRecord, tenant: string) {
  const f = record.feedback!;
  const model = ratedModel(record);
  if (model) {
    const { domain, budget_tier, tools } = record.context;
    deps.bandit.update(
      contextKey(domain, budget_tier as BudgetTier, tools),
      model,
      f.score
    );
  }
  deps.metrics.event('Feedback', 1, model ? { Model: model } : undefined);
  // Never the comment: it is free text from the client.
  deps.log.info('feedback recorded', {
    decisionId: record.decision_id,
    tenant,
    model,
    score: f.score,
    thumbs: f.thumbs,
    hasComment: f.comment !== undefined,
  });
}
