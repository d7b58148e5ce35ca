import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** Name of the alias the APIs invoke when a warm pool is on. */
export const WARM_POOL_ALIAS = 'live';

/** Default target of `LambdaProvisionedConcurrencyUtilization`. */
export const DEFAULT_WARM_POOL_UTILIZATION = 0.7;

/** Size and scaling of a provisioned-concurrency pool. */
export interface WarmPoolSettings {
  /** Provisioned environments kept warm at all times (the scaling floor). */
  readonly provisionedConcurrency: number;
  /**
   * Ceiling auto scaling may raise the pool to.
   * @default - twice `provisionedConcurrency`
   */
  readonly maxProvisionedConcurrency?: number;
  /**
   * Target of `LambdaProvisionedConcurrencyUtilization` (0.1 to 0.9): above
   * it, Application Auto Scaling adds provisioned environments.
   * @default 0.7
   */
  readonly targetUtilization?: number;
}

/** Props of {@link WarmPool}. */
export interface WarmPoolProps extends WarmPoolSettings {
  /** The function to keep warm; a version of its current code is published. */
  readonly function: lambda.Function;
  /**
   * The function's reserved concurrency, if any: the pool ceiling must fit
   * inside it.
   * @default - unreserved
   */
  readonly reservedConcurrency?: number;
}

/**
 * Keeps a function's environments initialised: publishes a version of the
 * current code, points the `live` alias at it with provisioned concurrency,
 * and lets Application Auto Scaling track utilization between the floor and
 * the ceiling. Callers integrate `alias` instead of the function so requests
 * land on the warm environments (an unqualified ARN means $LATEST, which
 * provisioned concurrency never covers).
 */
export class WarmPool extends Construct {
  /** The alias the APIs invoke. */
  public readonly alias: lambda.Alias;
  /** The scalable target of the alias's provisioned concurrency. */
  public readonly scaling: lambda.IScalableFunctionAttribute;
  /** Resolved floor, ceiling and target. */
  public readonly settings: Required<WarmPoolSettings>;

  constructor(scope: Construct, id: string, props: WarmPoolProps) {
    super(scope, id);
    this.settings = checkWarmPool(id, props);
    const { provisionedConcurrency, maxProvisionedConcurrency } = this.settings;

    this.alias = new lambda.Alias(this, 'Alias', {
      aliasName: WARM_POOL_ALIAS,
      // currentVersion hashes the code and configuration, so every deploy
      // that changes either publishes a new version and moves the alias.
      version: props.function.currentVersion,
      provisionedConcurrentExecutions: provisionedConcurrency,
      description: `Warm pool: ${provisionedConcurrency} to ${maxProvisionedConcurrency} provisioned environments`,
    });
    this.scaling = this.alias.addAutoScaling({
      minCapacity: provisionedConcurrency,
      maxCapacity: maxProvisionedConcurrency,
    });
    this.scaling.scaleOnUtilization({
      utilizationTarget: this.settings.targetUtilization,
    });
  }
}

/**
 * Fills the defaults of a warm pool and checks every value at once (synth
 * fails with all of them, STYLE.md habit 4).
 */
export function checkWarmPool(
  id: string,
  props: WarmPoolSettings & { readonly reservedConcurrency?: number }
): Required<WarmPoolSettings> {
  const problems: string[] = [];
  const min = props.provisionedConcurrency;
  const max = props.maxProvisionedConcurrency ?? min * 2;
  const target = props.targetUtilization ?? DEFAULT_WARM_POOL_UTILIZATION;
  if (!Number.isInteger(min) || min < 1) {
    problems.push(
      `provisionedConcurrency must be an integer of at least 1, got ${min}`
    );
  }
  if (!Number.isInteger(max) || max < min) {
    problems.push(
      `maxProvisionedConcurrency must be an integer of at least provisionedConcurrency (${min}), got ${max}`
    );
  }
  if (!(target >= 0.1 && target <= 0.9)) {
    problems.push(
      `targetUtilization must be between 0.1 and 0.9, got ${target}`
    );
  }
  const reserved = props.reservedConcurrency;
  if (reserved !== undefined && max > reserved) {
    problems.push(
      `maxProvisionedConcurrency must not exceed the reserved concurrency ${reserved}, got ${max}`
    );
  }
  if (problems.length > 0) {
    throw new Error(`WarmPool ${id}: ${problems.join('; ')}`);
  }
  return {
    provisionedConcurrency: min,
    maxProvisionedConcurrency: max,
    targetUtilization: target,
  };
}
