/** Invalid options given to a resilience primitive (breaker, budget, limiter). */
export class ResilienceConfigError extends Error {
  public override readonly name = 'ResilienceConfigError';

  /** @param problems every invalid option, reported together in one throw. */
  public constructor(public readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}

/**
 * Collects option problems so a caller sees all of them at once.
 * Returns the list to throw, or nothing.
 * @internal
 */
export class OptionChecker {
  public readonly problems: string[] = [];

  /** Requires a finite number >= min (and <= max when given). */
  public range(name: string, value: number, min: number, max?: number): this {
    if (
      !Number.isFinite(value) ||
      value < min ||
      (max !== undefined && value > max)
    ) {
      const bound =
        max === undefined ? `>= ${min}` : `between ${min} and ${max}`;
      this.problems.push(`${name} must be ${bound}, got ${value}`);
    }
    return this;
  }

  /** Requires an integer >= min. */
  public integer(name: string, value: number, min: number): this {
    if (!Number.isSafeInteger(value) || value < min) {
      this.problems.push(`${name} must be an integer >= ${min}, got ${value}`);
    }
    return this;
  }

  /** Throws one ResilienceConfigError listing every problem found. */
  public done(): void {
    if (this.problems.length > 0)
      throw new ResilienceConfigError(this.problems);
  }
}
