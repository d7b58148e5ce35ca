import { RollbackEventError } from './errors';

/** Metric dimension naming the model of a per-model SLO alarm. */
export const MODEL_DIMENSION = 'Model';
/** Alarm tag naming the implicated model (alarms whose metrics carry no Model). */
export const MODEL_TAG = 'ai-gateway:model';
/** Alarm tag naming the route set to roll back. */
export const ROUTE_SET_TAG = 'ai-gateway:route-set';

/** The parts of a CloudWatch "Alarm State Change" event the rollback uses. */
export interface AlarmStateChange {
  readonly alarmName: string;
  /** `resources[0]` of the event. */
  readonly alarmArn: string;
  /** `ALARM`, `OK` or `INSUFFICIENT_DATA`. */
  readonly state: string;
  readonly previousState?: string;
  /** When the alarm entered `state` (ISO, normalised); with the ARN, the idempotency key. */
  readonly stateTimestamp: string;
  readonly stateReason?: string;
  /** Values of the `Model` dimension over all the alarm's metrics, deduplicated. */
  readonly models: readonly string[];
  /** Set by an operator invoking the function by hand: `{"dryRun": true, ...event}`. */
  readonly dryRun: boolean;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * CloudWatch writes `2026-03-01T10:00:00.000+0000`; JavaScript wants
 * `+00:00`. Returns the instant as `toISOString()` so it sorts as text.
 */
export function normaliseTimestamp(raw: string): string | undefined {
  const ms = Date.parse(raw.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The `Model` dimension values of every metric of the alarm (metric math included). */
function modelsOf(detail: Json): string[] {
  const configuration = isObject(detail.configuration)
    ? detail.configuration
    : {};
  const metrics = Array.isArray(configuration.metrics)
    ? configuration.metrics
    : [];
  const models = new Set<string>();
  for (const m of metrics) {
    const stat =
      isObject(m) && isObject(m.metricStat) ? m.metricStat : undefined;
    const metric = stat && isObject(stat.metric) ? stat.metric : undefined;
    const dims =
      metric && isObject(metric.dimensions) ? metric.dimensions : undefined;
    const model = dims?.[MODEL_DIMENSION];
    if (typeof model === 'string' && model.length > 0) models.add(model);
  }
  return [...models];
}

/**
 * Reads an EventBridge "CloudWatch Alarm State Change" event. Throws
 * RollbackEventError naming every missing field (the invocation then fails
 * and the event ends in the dead-letter queue, where someone will look).
 */
export function parseAlarmEvent(raw: unknown): AlarmStateChange {
  const problems: string[] = [];
  const event = isObject(raw) ? raw : {};
  if (!isObject(raw)) problems.push('event must be an object');
  if (
    event['detail-type'] !== undefined &&
    event['detail-type'] !== 'CloudWatch Alarm State Change'
  )
    problems.push(
      `detail-type must be "CloudWatch Alarm State Change", got ${JSON.stringify(event['detail-type'])}`
    );
  const detail = isObject(event.detail) ? event.detail : {};
  const state = isObject(detail.state) ? detail.state : {};
  const previous = isObject(detail.previousState) ? detail.previousState : {};
  const alarmName = detail.alarmName;
  if (typeof alarmName !== 'string' || alarmName.length === 0)
    problems.push('detail.alarmName must be a non-empty string');
  const alarmArn = Array.isArray(event.resources)
    ? event.resources[0]
    : undefined;
  if (typeof alarmArn !== 'string' || !alarmArn.startsWith('arn:'))
    problems.push('resources[0] must be the alarm ARN');
  if (typeof state.value !== 'string' || state.value.length === 0)
    problems.push('detail.state.value must be a non-empty string');
  const stateTimestamp =
    typeof state.timestamp === 'string'
      ? normaliseTimestamp(state.timestamp)
      : undefined;
  if (stateTimestamp === undefined)
    problems.push('detail.state.timestamp must be a timestamp');
  if (event.dryRun !== undefined && typeof event.dryRun !== 'boolean')
    problems.push('dryRun must be a boolean');
  if (problems.length > 0)
    throw new RollbackEventError(`invalid alarm event: ${problems.join('; ')}`);
  return {
    alarmName: alarmName as string,
    alarmArn: alarmArn as string,
    state: state.value as string,
    ...(typeof previous.value === 'string'
      ? { previousState: previous.value }
      : {}),
    stateTimestamp: stateTimestamp!,
    ...(typeof state.reason === 'string' ? { stateReason: state.reason } : {}),
    models: modelsOf(detail),
    dryRun: event.dryRun === true,
  };
}
