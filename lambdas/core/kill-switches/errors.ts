/** Base class of kill-switch errors (bad input or an unreachable store). */
export class KillSwitchError extends Error {
  public override readonly name: string = 'KillSwitchError';
}

/**
 * A scope or value failed validation; `problems` say which part and why.
 * Admin APIs map it to 400.
 */
export class KillSwitchValidationError extends KillSwitchError {
  public override readonly name = 'KillSwitchValidationError';

  public constructor(public readonly problems: readonly string[]) {
    super(`invalid kill switch: ${problems.join('; ')}`);
  }
}

/** The backing store (SSM) could not be read or written. */
export class KillSwitchStoreError extends KillSwitchError {
  public override readonly name = 'KillSwitchStoreError';
}
