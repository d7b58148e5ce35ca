/** Base of the rollback errors. */
export class RollbackError extends Error {
  public override readonly name: string = 'RollbackError';
}

/** The event is not a CloudWatch alarm state change the rollback understands. */
export class RollbackEventError extends RollbackError {
  public override readonly name = 'RollbackEventError';
}

/**
 * Some actions failed (the others were applied, audited and notified).
 * Thrown so the invocation fails and is retried; the retry skips what is
 * already done.
 */
export class RollbackIncompleteError extends RollbackError {
  public override readonly name = 'RollbackIncompleteError';
}
