/** One audit record: who changed what, from what, to what, when and why. No secrets. */
export interface AuditRecord {
  readonly id: string;
  /** ISO time. */
  readonly at: string;
  /** Principal: IAM ARN on AWS, `admin-key` or a CLI user locally. */
  readonly who: string;
  /** Action, e.g. `kill-switch.set`, `route-set.activate`, `model.put`, `bandit.reset`. */
  readonly what: string;
  /** The object acted on, e.g. `model/claude-sonnet`, `route-set/active-models`. */
  readonly target: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly reason?: string;
  /** Request id of the admin call (joins with logs). */
  readonly requestId?: string;
}

/** Append-only audit trail (DynamoDB on AWS, JSONL locally). */
export interface AuditLog {
  write(
    record: Omit<AuditRecord, 'id' | 'at'> & { at?: string }
  ): Promise<AuditRecord>;
  /** Newest first, optionally filtered by target prefix. */
  list(options?: {
    limit?: number;
    targetPrefix?: string;
  }): Promise<readonly AuditRecord[]>;
}
