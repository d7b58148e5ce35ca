/**
 * The experiment controller's EventBridge contract (no SDK import: the CDK
 * app reads these too). A router puts an evaluation request on the default
 * bus; the admin function, subscribed by a rule, re-judges and acts.
 */

/** EventBridge `source` of a rollout evaluation request. */
export const EXPERIMENT_EVENT_SOURCE = 'ai-gateway.experiments';
/** EventBridge `detail-type` of a rollout evaluation request. */
export const EXPERIMENT_EVALUATE_DETAIL_TYPE = 'ExperimentEvaluationRequested';
