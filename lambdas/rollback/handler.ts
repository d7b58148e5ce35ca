/**
 * Rollback entry: EventBridge delivers the CloudWatch "Alarm State Change"
 * event of a gateway SLO alarm. Thin: planning, actions, audit, notification
 * and replay protection are in core/rollback. A failure throws, so the event
 * is retried and finally lands in the dead-letter queue.
 */
import type { Context } from 'aws-lambda';
import type { RollbackResult } from '../core/rollback/rollback';
import { composeRollback, type RollbackApp } from './aws-deps';

let app: RollbackApp | undefined;

/** The rollback handler the runtime invokes. */
export const handler = async (
  event: unknown,
  context?: Context
): Promise<RollbackResult> => {
  app ??= composeRollback(process.env);
  try {
    return await app.rollback.handle(event, {
      ...(context?.awsRequestId ? { requestId: context.awsRequestId } : {}),
      lambdaContext: context,
    });
  } catch (err) {
    const e = err as Error;
    app.log.error('rollback failed', {
      error: { name: e.name, message: e.message },
    });
    throw err;
  }
};
