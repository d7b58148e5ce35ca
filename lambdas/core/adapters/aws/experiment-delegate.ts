import {
  EXPERIMENT_EVALUATE_DETAIL_TYPE,
  EXPERIMENT_EVENT_SOURCE,
} from '../../experiments/events';
import type { RolloutStep } from '../../experiments/rollout';
import type { RolloutControl } from '../../experiments/service';
import { ExperimentError } from '../../experiments/types';
import type { Log } from '../../ports';
import { type EventsTarget, lazyPutEvents } from './lazy-eventbridge';

/** The detail of an evaluation request (no prompt, no tenant data). */
export interface ExperimentEvaluationDetail {
  readonly experimentId: string;
  /** What the requesting router's view of the counters said. */
  readonly action: RolloutStep['action'];
  readonly reason: string;
}

/**
 * The router's experiment controller on AWS: the router holds no registry,
 * kill-switch or route-set writes (least privilege), so when its view of the
 * shared counters says "promote" or "roll back" it only asks the admin
 * function to evaluate the experiment, through an EventBridge event the
 * admin function is subscribed to. The admin function re-judges from the
 * same shared counters before it acts, so a router can't force a
 * transition. At most one request per experiment per `minIntervalMs` leaves
 * a container.
 */
export function eventBridgeExperimentDelegate(options: {
  /** A client or a shared lazy PutEvents (./lazy-eventbridge). */
  readonly client: EventsTarget;
  /** @default - the default bus */
  readonly eventBusName?: string;
  readonly log: Log;
  /** @default 10000 */
  readonly minIntervalMs?: number;
  readonly now?: () => number;
}): (experimentId: string, step: RolloutStep) => Promise<void> {
  const last = new Map<string, number>();
  const now = options.now ?? Date.now;
  const minInterval = options.minIntervalMs ?? 10_000;
  const putEvents = lazyPutEvents(options.client);
  return async (experimentId, step) => {
    const t = now();
    if (t - (last.get(experimentId) ?? -Infinity) < minInterval) return;
    last.set(experimentId, t);
    const detail: ExperimentEvaluationDetail = {
      experimentId,
      action: step.action,
      reason: step.reason,
    };
    try {
      const out = await putEvents({
        Entries: [
          {
            Source: EXPERIMENT_EVENT_SOURCE,
            DetailType: EXPERIMENT_EVALUATE_DETAIL_TYPE,
            Detail: JSON.stringify(detail),
            ...(options.eventBusName
              ? { EventBusName: options.eventBusName }
              : {}),
          },
        ],
      });
      if ((out.FailedEntryCount ?? 0) > 0) throw new Error('entry refused');
    } catch (err) {
      // Let the next evaluation ask again.
      last.delete(experimentId);
      options.log.warn('experiment evaluation request failed', {
        experiment: experimentId,
        error: (err as Error).message,
      });
    }
  };
}

/**
 * The control of a process that may not act (the router on AWS): every
 * transition is refused with a clear message. With a delegate set the
 * controller never calls it; admin operations run in the admin function.
 */
export const READ_ONLY_ROLLOUT_CONTROL: RolloutControl = {
  setModelStatus: refuse,
  setKillSwitch: refuse,
  rollbackRouteSet: refuse,
  recordChange: refuse,
};

function refuse(): never {
  throw new ExperimentError(
    409,
    'not_here',
    'experiment transitions run in the admin function on AWS'
  );
}

/** Whether a Lambda event is an evaluation request from a router. */
export function isExperimentEvaluationEvent(event: unknown): event is {
  source: string;
  'detail-type': string;
  detail: ExperimentEvaluationDetail;
} {
  const e = event as Record<string, unknown> | null;
  return (
    !!e &&
    e.source === EXPERIMENT_EVENT_SOURCE &&
    e['detail-type'] === EXPERIMENT_EVALUATE_DETAIL_TYPE &&
    typeof (e.detail as Record<string, unknown> | undefined)?.experimentId ===
      'string'
  );
}
