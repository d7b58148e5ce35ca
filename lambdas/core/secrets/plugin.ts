import type { Log } from '../ports';
import type {
  SecretMetadata,
  SecretsManagerStore,
  SecretVersion,
} from './secret-store';

/** What a plugin gets at every step. */
export interface RotationContext {
  /** The SecretId of the event (ARN or name). */
  readonly secretId: string;
  readonly metadata: SecretMetadata;
  /** The ClientRequestToken: the id of the version being built. */
  readonly token: string;
  readonly store: SecretsManagerStore;
  readonly log: Log;
}

/**
 * How one kind of credential is rotated: the provider-specific halves of
 * the four Secrets Manager steps. The rotator does the protocol (labels,
 * idempotency on the token); a plugin only makes, tests and cleans up
 * credentials. Every method must be safe to run again after a failure.
 */
export interface RotationPlugin {
  /** Plugin name for logs (`google-service-account`, `api-key/openai`). */
  readonly name: string;
  /**
   * createSecret: produces the pending value from the current one. Throw
   * when there is nothing to rotate to (the step fails, nothing is stored).
   */
  createPending(current: SecretVersion, ctx: RotationContext): Promise<string>;
  /**
   * Undoes the side effects of createPending when the pending value could
   * not be stored (e.g. deletes a key created at the provider).
   */
  discardPending?(
    pending: string,
    current: SecretVersion,
    ctx: RotationContext
  ): Promise<void>;
  /** setSecret: makes the provider accept the pending value (no-op when the provider issued it). */
  setPending(pending: string, ctx: RotationContext): Promise<void>;
  /** testSecret: one cheap authenticated call with the pending value; throws when refused. */
  testPending(pending: string, ctx: RotationContext): Promise<void>;
  /**
   * After finishSecret moved AWSCURRENT: retires what the previous version
   * held. Also called when a finishSecret is replayed, so it must tolerate
   * finding the work already done.
   */
  afterFinish(
    current: SecretVersion,
    previous: SecretVersion | undefined,
    ctx: RotationContext
  ): Promise<void>;
}
