import type { STSClient } from '@aws-sdk/client-sts';
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
} from '@aws-sdk/types';
import { ProviderAuthError } from '../errors';

/** Options of {@link assumeRoleCredentials}. */
export interface AssumeRoleOptions {
  /** Provider instance id, named in errors. */
  readonly providerId: string;
  /** The role in the account that owns the Bedrock models. */
  readonly roleArn: string;
  /** `sts:ExternalId` the role's trust policy requires. @default - none */
  readonly externalId?: string;
  /** Session name shown in the target account's CloudTrail. @default `ai-gateway-<providerId>` */
  readonly sessionName?: string;
  /** Session length, seconds (the role's MaxSessionDuration bounds it). @default 3600 */
  readonly durationSeconds?: number;
  /** Refresh this long before the credentials expire, ms. @default 300000 (5 min) */
  readonly refreshBeforeMs?: number;
  /** STS client (tests, tracing). @default - one client in `region` */
  readonly sts?: STSClient;
  /** Region of the STS endpoint (regional endpoints; the router's region). */
  readonly region?: string;
  readonly now?: () => number;
}

/** Session names allow `[\w+=,.@-]`, 2-64 characters. */
function sessionNameFor(providerId: string): string {
  return `ai-gateway-${providerId}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/**
 * Credentials of a role in another AWS account, for the Bedrock client of a
 * provider whose models live there. One AssumeRole call serves every request
 * until five minutes before the session expires; concurrent callers during
 * a refresh share one STS call (single flight). When a refresh fails while
 * the old session is still valid, the old credentials keep serving and the
 * next call tries again; once they are expired the failure surfaces as a
 * ProviderAuthError so the router fails over instead of retrying blindly.
 */
export function assumeRoleCredentials(
  options: AssumeRoleOptions
): AwsCredentialIdentityProvider {
  const now = options.now ?? Date.now;
  const refreshBeforeMs = options.refreshBeforeMs ?? 300_000;
  // STS is loaded on the first refresh: only cross-account providers need
  // it, so the router's cold start does not pay for its client (a lazy
  // chunk of the Lambda bundle, lib/bundling.ts).
  let sts: Promise<STSClient> | undefined;
  const stsClient = () => {
    sts ??= options.sts
      ? Promise.resolve(options.sts)
      : import('@aws-sdk/client-sts').then(
          ({ STSClient }) =>
            new STSClient({
              ...(options.region ? { region: options.region } : {}),
            })
        );
    return sts;
  };
  let current: AwsCredentialIdentity | undefined;
  let inflight: Promise<AwsCredentialIdentity> | undefined;

  const fresh = (c: AwsCredentialIdentity | undefined, margin: number) =>
    c?.expiration !== undefined && c.expiration.getTime() - now() > margin;

  const refresh = async (): Promise<AwsCredentialIdentity> => {
    try {
      const [client, { AssumeRoleCommand }] = await Promise.all([
        stsClient(),
        import('@aws-sdk/client-sts'),
      ]);
      const out = await client.send(
        new AssumeRoleCommand({
          RoleArn: options.roleArn,
          RoleSessionName:
            options.sessionName ?? sessionNameFor(options.providerId),
          ExternalId: options.externalId,
          DurationSeconds: options.durationSeconds ?? 3600,
        })
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.Expiration) {
        throw new Error('AssumeRole returned no credentials');
      }
      current = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      };
      return current;
    } catch (err) {
      if (fresh(current, 0)) return current!;
      throw new ProviderAuthError(
        options.providerId,
        `cannot assume ${options.roleArn}: ${err instanceof Error ? err.name : 'error'}`,
        { cause: err }
      );
    }
  };

  return async () => {
    if (fresh(current, refreshBeforeMs)) return current!;
    if (!inflight) {
      inflight = refresh().finally(() => {
        inflight = undefined;
      });
    }
    return inflight;
  };
}
