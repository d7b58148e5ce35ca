import {
  toRouteSetDocument,
  validateModelDefinition,
  validateRouteSet,
} from './schema';
import {
  type ModelVersion,
  RegistryValidationError,
  type RouteSetDocument,
} from './types';

/**
 * Write rules every ModelRegistryStore / RouteSetStore implementation shares,
 * so the memory and AWS stores can't drift apart in what they accept.
 */

/** One entry of a route set's activation log. */
export interface ActivationRecord {
  readonly version: number;
  /** `rollback` when written by `rollback` (it undoes the entry before). */
  readonly action: 'activate' | 'rollback';
  readonly by: string;
  readonly at: string;
}

/**
 * Validates a model version about to be written as `next` and returns it
 * complete. Throws RegistryValidationError naming every bad field.
 */
export function checkModelVersion(
  input: Omit<ModelVersion, 'version'>,
  next: number
): ModelVersion {
  const problems = validateModelDefinition(input);
  if (input.config.id !== input.modelId)
    problems.push(
      `config.id: ${JSON.stringify(input.config.id)} differs from modelId ${JSON.stringify(input.modelId)}`
    );
  if (!input.createdBy) problems.push('createdBy: required');
  if (Number.isNaN(Date.parse(input.createdAt)))
    problems.push('createdAt: must be an ISO date-time');
  if (problems.length > 0) throw new RegistryValidationError(problems);
  return {
    modelId: input.modelId,
    version: next,
    config: input.config,
    ...(input.guardrailProfile === undefined
      ? {}
      : { guardrailProfile: input.guardrailProfile }),
    ...(input.tokenLimit === undefined ? {} : { tokenLimit: input.tokenLimit }),
    createdBy: input.createdBy,
    createdAt: input.createdAt,
  };
}

/**
 * Validates a route set about to be stored as version `next`; `updatedAt`
 * defaults to `now`. Throws RegistryValidationError naming every bad field.
 */
export function checkRouteSet(
  input: Omit<RouteSetDocument, 'version'>,
  next: number,
  now: Date
): RouteSetDocument {
  const result = validateRouteSet({ ...input, version: next });
  if (!result.ok) throw new RegistryValidationError(result.problems);
  return toRouteSetDocument(
    { ...result.value, updatedAt: result.value.updatedAt ?? now.toISOString() },
    next
  );
}

/**
 * The version a rollback re-activates. The log is replayed as an undo stack:
 * an activation pushes its version (re-activating the version on top is a
 * no-op, so a retried `activate` doesn't count twice), a rollback pops. The
 * target is the version under the top, so repeated rollbacks walk further
 * back (v3 -> v2 -> v1) and never bounce back to the version just undone.
 */
export function rollbackTarget(
  activationsOldestFirst: readonly Pick<
    ActivationRecord,
    'version' | 'action'
  >[]
): number | undefined {
  const stack: number[] = [];
  for (const a of activationsOldestFirst) {
    if (a.action === 'rollback') stack.pop();
    if (stack.at(-1) !== a.version) stack.push(a.version);
  }
  return stack.at(-2);
}
