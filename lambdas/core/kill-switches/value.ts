import * as z from 'zod/mini';
import '../api/zod-locale';
import { KillSwitchValidationError } from './errors';
import type { KillSwitchScope, KillSwitchValue } from './types';

/**
 * Kill switch values and scopes (pure). A stored value is either the plain
 * word `on` / `off` or a JSON object
 * `{"state":"on","reason":"…","by":"…","until":"ISO","percent":30}`.
 */

/** Reason given to a value that could not be parsed (it reads as engaged). */
export const UNPARSEABLE_REASON = 'unparseable value';

/** Characters allowed in the `<id>` / `<name>` part of a scope. */
export const SCOPE_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;

/** Scope kinds that carry an id: `provider/<id>`, `model/<id>`, `route/<name>`. */
export const SCOPE_KINDS = ['provider', 'model', 'route'] as const;

const shape = {
  state: z.enum(['on', 'off']),
  reason: z.optional(z.string()),
  by: z.optional(z.string()),
  until: z.optional(z.iso.datetime({ offset: true })),
  percent: z.optional(z.number().check(z.gte(0), z.lte(100))),
  updatedAt: z.optional(z.iso.datetime({ offset: true })),
};

// Stored values ignore unknown keys: a newer writer may add fields, and an
// older router must not read `{"state":"off","note":"…"}` as unparseable
// (which would engage the switch).
const storedValueSchema = z.object(shape);

// Admin input is strict: a typo such as `percentage` must be a 400, not a
// silent full stop of the traffic the operator meant to brown out.
const inputValueSchema = z.strictObject(shape);

/** Outcome of checking a value: the normalised value or what is wrong with it. */
export type KillSwitchValueCheck =
  | { readonly ok: true; readonly value: KillSwitchValue }
  | { readonly ok: false; readonly problems: readonly string[] };

function normaliseState(input: unknown): unknown {
  if (
    input === null ||
    typeof input !== 'object' ||
    Array.isArray(input) ||
    typeof (input as { state?: unknown }).state !== 'string'
  ) {
    return input;
  }
  const record = input as Record<string, unknown>;
  return {
    ...record,
    state: (record.state as string).trim().toLowerCase(),
  };
}

function describeIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[]
): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

/** Drops undefined fields so serialised values and equality checks are stable. */
function compact(value: KillSwitchValue): KillSwitchValue {
  return {
    state: value.state,
    ...(value.reason !== undefined && { reason: value.reason }),
    ...(value.by !== undefined && { by: value.by }),
    ...(value.until !== undefined && { until: value.until }),
    ...(value.percent !== undefined && { percent: value.percent }),
    ...(value.updatedAt !== undefined && { updatedAt: value.updatedAt }),
  };
}

function check(
  schema: typeof storedValueSchema | typeof inputValueSchema,
  input: unknown
): KillSwitchValueCheck {
  const result = schema.safeParse(normaliseState(input));
  if (!result.success) {
    return { ok: false, problems: describeIssues(result.error.issues) };
  }
  return { ok: true, value: compact(result.data) };
}

/**
 * Checks a value given as an object (admin API body, `set()` argument).
 * Unknown keys are rejected; `state` is case-insensitive.
 */
export function validateKillSwitchValue(input: unknown): KillSwitchValueCheck {
  return check(inputValueSchema, input);
}

/**
 * Parses a stored value, reporting why it can't be read. Accepts `on`/`off`
 * (trimmed, any case) or the JSON object form; unknown JSON keys are ignored.
 */
export function tryParseKillSwitchValue(raw: string): KillSwitchValueCheck {
  const text = raw.trim();
  const word = text.toLowerCase();
  if (word === 'on' || word === 'off')
    return { ok: true, value: { state: word } };
  if (!text.startsWith('{')) {
    return { ok: false, problems: ['expected on, off or a JSON object'] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`bad JSON: ${(error as Error).message}`] };
  }
  return check(storedValueSchema, json);
}

/**
 * Parses a stored value. An unparseable value reads as ENGAGED (fail safe)
 * with reason {@link UNPARSEABLE_REASON}: values are mostly hand-edited
 * during an incident, and the likeliest corruption is a mistyped engagement
 * (`{"state":"on", …` with a JSON typo). Reading that as off would silently
 * ignore an emergency stop; reading it as on is loud instead (the 503 or the
 * /v1/route exclusion names the switch and says "unparseable value").
 */
export function parseKillSwitchValue(raw: string): KillSwitchValue {
  const parsed = tryParseKillSwitchValue(raw);
  return parsed.ok ? parsed.value : { state: 'on', reason: UNPARSEABLE_REASON };
}

/**
 * Serialises a value for storage: the plain word `on` / `off` when it has
 * no other field (what CDK writes and humans type), JSON otherwise.
 */
export function serializeKillSwitchValue(value: KillSwitchValue): string {
  const compacted = compact(value);
  if (Object.keys(compacted).length === 1) return compacted.state;
  return JSON.stringify(compacted);
}

/**
 * Checks a scope: `global`, `provider/<id>`, `model/<id>` or `route/<name>`,
 * the id matching {@link SCOPE_ID_PATTERN} (model ids contain `:` and `.`).
 * Returns what is wrong, or undefined when the scope is valid.
 */
export function validateScope(scope: KillSwitchScope): string | undefined {
  if (scope === 'global') return undefined;
  const slash = scope.indexOf('/');
  const kind = slash < 0 ? scope : scope.slice(0, slash);
  if (slash < 0 || !(SCOPE_KINDS as readonly string[]).includes(kind)) {
    return `scope must be global, provider/<id>, model/<id> or route/<name>, got ${JSON.stringify(scope)}`;
  }
  const id = scope.slice(slash + 1);
  if (!SCOPE_ID_PATTERN.test(id)) {
    return `${kind} id must be 1-128 characters of A-Z a-z 0-9 . _ : @ -, got ${JSON.stringify(id)}`;
  }
  return undefined;
}

/**
 * Validates a write (scope and value together) and returns the normalised
 * value; throws {@link KillSwitchValidationError} naming every problem.
 */
export function checkKillSwitchWrite(
  scope: KillSwitchScope,
  value: unknown
): KillSwitchValue {
  const problems: string[] = [];
  const scopeProblem = validateScope(scope);
  if (scopeProblem) problems.push(scopeProblem);
  const checked = validateKillSwitchValue(value);
  if (!checked.ok) problems.push(...checked.problems);
  if (problems.length > 0 || !checked.ok) {
    throw new KillSwitchValidationError(problems);
  }
  return checked.value;
}
