import {
  ProviderCallError,
  RotationConfigError,
  RotationTestError,
} from './errors';
import {
  createServiceAccountKey,
  deleteServiceAccountKey,
  fetchServiceAccountToken,
  type GoogleEndpoints,
  iamKeyUrl,
} from './google-auth';
import { callProvider, describeUrl, errorSummary } from './http';
import type { RotationContext, RotationPlugin } from './plugin';
import type { SecretVersion } from './secret-store';
import { parseServiceAccountKey, type ServiceAccountKey } from './secret-value';

/** Options of {@link GoogleServiceAccountPlugin}. */
export interface GoogleServiceAccountPluginOptions {
  readonly endpoints: GoogleEndpoints;
  /**
   * Token exchanges tried with a new key before testSecret gives up. Google
   * may refuse a key for a short while after creating it.
   * @default 6
   */
  readonly testAttempts?: number;
  /** Pause between those attempts, ms. @default 5000 */
  readonly testRetryDelayMs?: number;
  /** Clock for JWT times, ms since epoch. @default Date.now */
  readonly now?: () => number;
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Service-account rotation: the service account rotates its own key.
 * createSecret signs in with the current key and has IAM create a new one
 * (the new key file is the pending value); testSecret exchanges the new key
 * for a token and makes one authenticated GET; after finish the old key is
 * deleted with the new credential, so the old one stays valid until the new
 * one is in force. The account needs `iam.serviceAccountKeys.create/get/delete`
 * on itself (roles/iam.serviceAccountKeyAdmin).
 */
export class GoogleServiceAccountPlugin implements RotationPlugin {
  /** Plugin name for logs. */
  public readonly name = 'google-service-account';
  private readonly attempts: number;
  private readonly delayMs: number;

  public constructor(
    private readonly options: GoogleServiceAccountPluginOptions
  ) {
    this.attempts = Math.max(1, options.testAttempts ?? 6);
    this.delayMs = Math.max(0, options.testRetryDelayMs ?? 5000);
  }

  /** Creates a new key with the current one. */
  public async createPending(
    current: SecretVersion,
    ctx: RotationContext
  ): Promise<string> {
    const key = this.key(current.value, ctx, 'current');
    const token = await this.token(key);
    const created = await createServiceAccountKey(
      this.options.endpoints.iamBaseUrl,
      key.client_email,
      token
    );
    ctx.log.info('created service-account key', {
      secret: ctx.metadata.name,
      account: key.client_email,
      keyId: created.private_key_id,
    });
    return JSON.stringify(created);
  }

  /** Deletes the key createPending made (its value never reached Secrets Manager). */
  public async discardPending(
    pending: string,
    current: SecretVersion,
    ctx: RotationContext
  ): Promise<void> {
    const created = this.key(pending, ctx, 'pending');
    const key = this.key(current.value, ctx, 'current');
    await deleteServiceAccountKey(
      this.options.endpoints.iamBaseUrl,
      { email: created.client_email, keyId: created.private_key_id },
      await this.token(key)
    );
  }

  /** Nothing to do: IAM issued the key. */
  public async setPending(): Promise<void> {}

  /** Signs in with the new key and GETs the key's own metadata (or GOOGLE_ROTATION_TEST_URL). */
  public async testPending(
    pending: string,
    ctx: RotationContext
  ): Promise<void> {
    const key = this.key(pending, ctx, 'pending');
    let token: string | undefined;
    let lastError: unknown;
    for (
      let attempt = 1;
      attempt <= this.attempts && token === undefined;
      attempt++
    ) {
      try {
        token = await this.token(key);
      } catch (err) {
        lastError = err;
        const retryable =
          err instanceof ProviderCallError &&
          (err.status === undefined ||
            err.status === 400 ||
            err.status === 401 ||
            err.status >= 500);
        if (!retryable || attempt === this.attempts) break;
        ctx.log.info('new key not accepted yet; retrying', {
          secret: ctx.metadata.name,
          keyId: key.private_key_id,
          attempt,
        });
        await sleep(this.delayMs);
      }
    }
    if (token === undefined)
      throw new RotationTestError(
        `secret ${ctx.metadata.name}: the pending key ${key.private_key_id} could not sign in: ${(lastError as Error).message}; AWSCURRENT is unchanged`,
        { cause: lastError }
      );
    const { endpoints } = this.options;
    const ref = { email: key.client_email, keyId: key.private_key_id };
    const url = endpoints.testUrl ?? iamKeyUrl(endpoints.iamBaseUrl, ref);
    const res = await callProvider({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${token}` },
      what: `test of the pending key of ${ctx.metadata.name}`,
    });
    if (!res.ok)
      throw new RotationTestError(
        `secret ${ctx.metadata.name}: GET ${describeUrl(url)} with the pending key ${key.private_key_id}: HTTP ${res.status} (${errorSummary(res.json)}); AWSCURRENT is unchanged`
      );
  }

  /** Deletes the previous key with the new credential (a key already gone is fine). */
  public async afterFinish(
    current: SecretVersion,
    previous: SecretVersion | undefined,
    ctx: RotationContext
  ): Promise<void> {
    const old = previous ? parseServiceAccountKey(previous.value) : undefined;
    const now = this.key(current.value, ctx, 'current');
    if (
      !old ||
      old.client_email !== now.client_email ||
      old.private_key_id === now.private_key_id
    ) {
      ctx.log.info('no previous key of this account to delete', {
        secret: ctx.metadata.name,
      });
      return;
    }
    const ref = { email: old.client_email, keyId: old.private_key_id };
    const outcome = await deleteServiceAccountKey(
      this.options.endpoints.iamBaseUrl,
      ref,
      await this.token(now)
    );
    ctx.log.info('deleted previous service-account key', {
      secret: ctx.metadata.name,
      account: old.client_email,
      keyId: old.private_key_id,
      outcome,
    });
  }

  private token(key: ServiceAccountKey): Promise<string> {
    return fetchServiceAccountToken(key, {
      tokenUrl: this.options.endpoints.tokenUrl,
      now: this.options.now,
    }).then((t) => t.accessToken);
  }

  private key(
    value: string,
    ctx: RotationContext,
    which: 'current' | 'pending'
  ): ServiceAccountKey {
    const key = parseServiceAccountKey(value);
    if (!key)
      throw new RotationConfigError(
        `secret ${ctx.metadata.name}: the ${which} value is not a service-account key file`
      );
    return key;
  }
}
