import { resolveConfig } from '../../lambdas/core/config/load';

/** A Bedrock provider whose models live in another AWS account. */
export interface BedrockProviderAccount {
  /** Provider instance id (config key). */
  readonly providerId: string;
  /** Role the router assumes in that account. */
  readonly roleArn: string;
  /** `sts:ExternalId` the role's trust policy must require. */
  readonly externalId?: string;
}

/**
 * The cross-account Bedrock providers of a router config (minified
 * GATEWAY_CONFIG_JSON): the roles the router may assume, nothing else.
 */
export function bedrockProviderAccounts(
  routerConfigJson: string | undefined
): BedrockProviderAccount[] {
  if (!routerConfigJson) return [];
  const config = resolveConfig(
    JSON.parse(routerConfigJson),
    {},
    'routerConfig',
    () => true
  );
  const out: BedrockProviderAccount[] = [];
  for (const p of config.providers) {
    if (p.type !== 'bedrock' || !p.settings.roleArn) continue;
    out.push({
      providerId: p.id,
      roleArn: p.settings.roleArn,
      ...(p.settings.externalId ? { externalId: p.settings.externalId } : {}),
    });
  }
  return out;
}

/**
 * Trust policy of a provider account's role: only the router's role may
 * assume it, and only with the configured external id.
 */
export function providerAccountTrustPolicy(
  routerRoleArn: string,
  account: BedrockProviderAccount
): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: routerRoleArn },
        Action: 'sts:AssumeRole',
        ...(account.externalId
          ? {
              Condition: {
                StringEquals: { 'sts:ExternalId': account.externalId },
              },
            }
          : {}),
      },
    ],
  };
}

/**
 * Permission policy of a provider account's role: Converse and
 * ConverseStream (InvokeModel actions) on that account's foundation models
 * and inference profiles. Narrow `Resource` to the models you route to.
 */
export function providerAccountPermissionPolicy(): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'InvokeBedrockModels',
        Effect: 'Allow',
        Action: [
          'bedrock:InvokeModel',
          'bedrock:InvokeModelWithResponseStream',
        ],
        Resource: [
          'arn:aws:bedrock:*::foundation-model/*',
          'arn:aws:bedrock:*:<target-account-id>:inference-profile/*',
        ],
      },
    ],
  };
}
