/** Inputs of {@link bedrockInvokeResources}. */
export interface BedrockInvokeScope {
  /** ARN partition (`aws`, or a token). */
  readonly partition: string;
  /** Deployment region (a literal: its geography picks the patterns). */
  readonly region: string;
  /** Account id (or a token). */
  readonly account: string;
  /** Only EU regions and `eu.` cross-region inference profiles. */
  readonly euOnly: boolean;
  /** Exact ARNs that replace the default patterns. */
  readonly overrides?: readonly string[];
}

/**
 * Resources for bedrock:InvokeModel(WithResponseStream): foundation models
 * and inference profiles only, never `*`.
 *
 * A cross-region inference profile forwards the call to a foundation model
 * in another region of its geography, and IAM checks both ARNs; so the
 * foundation-model pattern spans the geography (`eu-*` for euOnly, else the
 * deployment region's prefix) while profiles stay in the deployment region.
 */
export function bedrockInvokeResources(scope: BedrockInvokeScope): string[] {
  if (scope.overrides && scope.overrides.length > 0) {
    return [...scope.overrides];
  }
  const geography = scope.euOnly ? 'eu' : scope.region.split('-')[0];
  const profiles = scope.euOnly ? 'eu.*' : '*';
  return [
    `arn:${scope.partition}:bedrock:${geography}-*::foundation-model/*`,
    `arn:${scope.partition}:bedrock:${scope.region}:${scope.account}:inference-profile/${profiles}`,
  ];
}
