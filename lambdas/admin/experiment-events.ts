import { isExperimentEvaluationEvent } from '../core/adapters/aws/experiment-delegate';
import type { ExperimentService } from '../core/experiments/service';
import type { Log } from '../core/ports';

/** Whether a Lambda event is the admin function's periodic rollout sweep (EventBridge schedule). */
export function isScheduledSweep(event: unknown): boolean {
  const e = event as Record<string, unknown> | null;
  return (
    !!e && e.source === 'aws.events' && e['detail-type'] === 'Scheduled Event'
  );
}

/** What an experiment event did. */
export interface ExperimentEventResult {
  readonly evaluated: readonly string[];
  readonly actions: Readonly<Record<string, string>>;
}

/**
 * The experiment controller's events in the admin function: a router's
 * evaluation request (re-judged here from the shared counters, never taken
 * on trust) or the scheduled sweep over every live experiment (the backstop
 * when no router asks, e.g. when traffic stopped). Undefined when the event
 * is neither (an HTTP call).
 */
export async function handleExperimentEvent(
  event: unknown,
  experiments: ExperimentService | undefined,
  log: Log
): Promise<ExperimentEventResult | undefined> {
  let ids: string[];
  if (isExperimentEvaluationEvent(event)) ids = [event.detail.experimentId];
  else if (isScheduledSweep(event))
    ids = (await (experiments?.live() ?? Promise.resolve([]))).map((e) => e.id);
  else return undefined;
  const actions: Record<string, string> = {};
  if (!experiments) return { evaluated: [], actions };
  for (const id of ids) {
    try {
      const step = await experiments.evaluate(id);
      actions[id] = step.action;
    } catch (err) {
      // evaluate logged it; the next request or sweep tries again.
      actions[id] = 'error';
      log.warn('experiment evaluation failed', {
        experiment: id,
        error: (err as Error).message,
      });
    }
  }
  return { evaluated: ids, actions };
}
