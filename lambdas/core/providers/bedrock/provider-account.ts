import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { BedrockProviderConfig } from '../../config/schema';
import { assumeRoleCredentials } from './assume-role';

/**
 * The credentials of a Bedrock provider instance: its `roleArn` assumed
 * through STS (in the router's own region) when set, else undefined (the
 * default chain: the router's role). `AWS_ENDPOINT_URL_STS` redirects STS
 * like the SDK does for any service (fakes, VPC endpoints).
 */
export function bedrockCredentials(
  providerId: string,
  settings: BedrockProviderConfig,
  env: NodeJS.ProcessEnv = process.env
): AwsCredentialIdentityProvider | undefined {
  if (!settings.roleArn) return undefined;
  return assumeRoleCredentials({
    providerId,
    roleArn: settings.roleArn,
    externalId: settings.externalId,
    sessionName: settings.sessionName,
    region:
      env.AWS_REGION ??
      env.AWS_DEFAULT_REGION ??
      settings.region ??
      'us-east-1',
  });
}
