/**
 * Errors of the secret rotation. Messages name the secret, the version and
 * the step, never a secret value: they end up in Lambda logs and in the
 * rotation-failure alerts.
 */

/** Base of every rotation error. */
export class RotationError extends Error {
  public override readonly name: string = 'RotationError';
}

/** The rotation event is malformed (missing field, unknown step). */
export class RotationEventError extends RotationError {
  public override readonly name = 'RotationEventError';
}

/**
 * The secret is not in a state this step can act on: rotation disabled,
 * unknown token, token not staged AWSPENDING, no current value.
 */
export class RotationStateError extends RotationError {
  public override readonly name = 'RotationStateError';
}

/** The secret's tag or value doesn't say how to rotate it. */
export class RotationConfigError extends RotationError {
  public override readonly name = 'RotationConfigError';
}

/** An API-key secret has no operator-staged value to promote. */
export class NothingStagedError extends RotationError {
  public override readonly name = 'NothingStagedError';
}

/**
 * The pending credential failed its test call. Thrown from testSecret, so
 * Secrets Manager leaves AWSCURRENT where it is.
 */
export class RotationTestError extends RotationError {
  public override readonly name = 'RotationTestError';
}

/** A call to a provider (Google OAuth, IAM, a model list) failed. */
export class ProviderCallError extends RotationError {
  public override readonly name = 'ProviderCallError';
  public constructor(
    message: string,
    /** HTTP status, undefined when no response arrived. */
    public readonly status?: number,
    options?: ErrorOptions
  ) {
    super(message, options);
  }
}
