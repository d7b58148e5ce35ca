import { randomUUID } from 'node:crypto';
import { AuditLogError } from './errors';
import { redactSecrets } from './redact';
import type { AuditRecord } from './types';

/** What callers hand to `AuditLog.write`: a record without id, `at` optional. */
export type AuditInput = Omit<AuditRecord, 'id' | 'at'> & { at?: string };

/** Clock and id source of an audit log (injected in tests). */
export interface AuditRecordDeps {
  /** ms since epoch. @default Date.now */
  readonly clock?: () => number;
  /** Record id. @default crypto.randomUUID */
  readonly newId?: () => string;
}

/** Default number of records `list` returns. */
export const DEFAULT_AUDIT_LIST_LIMIT = 100;

/** Largest `limit` `list` honours. */
export const MAX_AUDIT_LIST_LIMIT = 1000;

/**
 * Completes and sanitises a record before any backend stores it: checks
 * the required fields, stamps `id` and `at` (a given `at` is normalised to
 * `toISOString()` so text order is time order), and redacts secrets from
 * `before`, `after` and `reason` (see redactSecrets). Every AuditLog calls
 * it, so no backend can store an unredacted record.
 */
export function buildAuditRecord(
  input: AuditInput,
  deps: AuditRecordDeps = {}
): AuditRecord {
  const problems: string[] = [];
  for (const field of ['who', 'what', 'target'] as const) {
    if (typeof input[field] !== 'string' || input[field].length === 0) {
      problems.push(`${field} must be a non-empty string`);
    }
  }
  let at: string;
  if (input.at === undefined) {
    at = new Date((deps.clock ?? Date.now)()).toISOString();
  } else {
    const ms = Date.parse(input.at);
    if (Number.isNaN(ms)) {
      problems.push(`at must be an ISO time, got ${JSON.stringify(input.at)}`);
    }
    at = Number.isNaN(ms) ? input.at : new Date(ms).toISOString();
  }
  if (problems.length > 0) {
    throw new AuditLogError(`invalid audit record: ${problems.join('; ')}`);
  }
  const reason =
    input.reason === undefined
      ? undefined
      : (redactSecrets(input.reason) as string);
  return {
    id: (deps.newId ?? randomUUID)(),
    at,
    who: input.who,
    what: input.what,
    target: input.target,
    before: redactSecrets(input.before),
    after: redactSecrets(input.after),
    ...(reason !== undefined && { reason }),
    ...(input.requestId !== undefined && { requestId: input.requestId }),
  };
}

/** Clamps a requested list size to [1, MAX_AUDIT_LIST_LIMIT]. */
export function resolveListLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit))
    return DEFAULT_AUDIT_LIST_LIMIT;
  return Math.min(MAX_AUDIT_LIST_LIMIT, Math.max(1, Math.floor(limit)));
}

/**
 * Orders records newest first by `at`. Records with equal `at` keep the
 * order they were given in, so callers pass them latest-written first.
 */
export function newestFirst(latestWrittenFirst: AuditRecord[]): AuditRecord[] {
  return latestWrittenFirst.sort((a, b) =>
    a.at < b.at ? 1 : a.at > b.at ? -1 : 0
  );
}

/** Whether a record matches `list`'s target prefix filter. */
export function matchesTarget(
  record: AuditRecord,
  targetPrefix: string | undefined
): boolean {
  return targetPrefix === undefined || record.target.startsWith(targetPrefix);
}
