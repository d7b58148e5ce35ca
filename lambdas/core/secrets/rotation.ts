import type { Log } from '../ports';
import { RotationEventError, RotationStateError } from './errors';
import type { RotationContext, RotationPlugin } from './plugin';
import {
  type SecretMetadata,
  type SecretsManagerStore,
  type SecretVersion,
  versionWithStage,
} from './secret-store';
import { CURRENT_STAGE, PENDING_STAGE, PREVIOUS_STAGE } from './secret-value';

/** The four steps Secrets Manager invokes, in order. */
export const ROTATION_STEPS = [
  'createSecret',
  'setSecret',
  'testSecret',
  'finishSecret',
] as const;

/** One rotation step. */
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** The event Secrets Manager sends the rotation function. */
export interface RotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: RotationStep;
}

/** What a step did (logged; no values). */
export interface RotationOutcome {
  readonly secret: string;
  readonly step: RotationStep;
  readonly token: string;
  readonly plugin?: string;
  /** `done`, or `skipped` when a replay found the work already done. */
  readonly result: 'done' | 'skipped';
  readonly detail: string;
}

/** Checks the event's shape; RotationEventError naming what is wrong. */
export function parseRotationEvent(raw: unknown): RotationEvent {
  const e = (raw ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  for (const field of ['SecretId', 'ClientRequestToken'] as const)
    if (typeof e[field] !== 'string' || (e[field] as string).length === 0)
      problems.push(`${field} must be a non-empty string`);
  if (!(ROTATION_STEPS as readonly unknown[]).includes(e.Step))
    problems.push(
      `Step must be one of ${ROTATION_STEPS.join(', ')}, got ${JSON.stringify(e.Step)}`
    );
  if (problems.length > 0)
    throw new RotationEventError(
      `invalid rotation event: ${problems.join('; ')}`
    );
  return e as unknown as RotationEvent;
}

/** Dependencies of {@link SecretRotator}. */
export interface SecretRotatorDeps {
  readonly store: SecretsManagerStore;
  /** Picks the plugin for a secret from its metadata and current value. */
  readonly pluginFor: (
    metadata: SecretMetadata,
    currentValue: string
  ) => RotationPlugin;
  readonly log: Log;
}

/**
 * The Secrets Manager rotation protocol, as in AWS's rotation templates,
 * with the provider work delegated to a plugin:
 *
 * - every step first checks that rotation is enabled and that the token is
 *   a version of the secret staged AWSPENDING; a token already AWSCURRENT
 *   means the rotation finished (replay: nothing to do);
 * - createSecret stores the plugin's pending value as version `token`
 *   (AWSPENDING), unless that version already has a value: a replay never
 *   mints a second credential;
 * - testSecret throws when the plugin's test call fails, so Secrets Manager
 *   stops and AWSCURRENT stays where it is;
 * - finishSecret moves AWSCURRENT to `token` (AWSPREVIOUS follows the old
 *   version), then lets the plugin retire the previous credential.
 */
export class SecretRotator {
  public constructor(private readonly deps: SecretRotatorDeps) {}

  /** Runs one step. */
  public async rotate(event: RotationEvent): Promise<RotationOutcome> {
    const { store, log } = this.deps;
    const secretId = event.SecretId;
    const token = event.ClientRequestToken;
    const metadata = await store.describe(secretId);
    const base = { secret: metadata.name, step: event.Step, token };
    if (!metadata.rotationEnabled)
      throw new RotationStateError(
        `secret ${metadata.name} does not have rotation enabled`
      );
    const stages = metadata.versions[token];
    if (!stages)
      throw new RotationStateError(
        `secret ${metadata.name} has no version ${token}`
      );
    const current = await store.require(
      secretId,
      { stage: CURRENT_STAGE },
      CURRENT_STAGE
    );
    const plugin = this.deps.pluginFor(metadata, current.value);
    const ctx: RotationContext = { secretId, metadata, token, store, log };
    const done = (
      result: RotationOutcome['result'],
      detail: string
    ): RotationOutcome => {
      const outcome = { ...base, plugin: plugin.name, result, detail };
      log.info('rotation step', { ...outcome });
      return outcome;
    };

    if (stages.includes(CURRENT_STAGE)) {
      if (event.Step === 'finishSecret') {
        // A finishSecret replayed after its cleanup failed: retry the cleanup.
        await plugin.afterFinish(
          current,
          await this.previous(secretId, metadata),
          ctx
        );
      }
      return done('skipped', `version ${token} is already ${CURRENT_STAGE}`);
    }
    if (!stages.includes(PENDING_STAGE))
      throw new RotationStateError(
        `version ${token} of secret ${metadata.name} is not staged ${PENDING_STAGE}`
      );

    switch (event.Step) {
      case 'createSecret': {
        const existing = await store.read(secretId, {
          versionId: token,
          stage: PENDING_STAGE,
        });
        if (existing)
          return done(
            'skipped',
            `version ${token} already has a pending value`
          );
        const pending = await plugin.createPending(current, ctx);
        try {
          await store.put(secretId, token, pending, [PENDING_STAGE]);
        } catch (err) {
          await plugin
            .discardPending?.(pending, current, ctx)
            .catch((e: unknown) =>
              log.error('could not discard the unsaved pending credential', {
                secret: metadata.name,
                error: (e as Error).message,
              })
            );
          throw err;
        }
        return done('done', `stored version ${token} as ${PENDING_STAGE}`);
      }
      case 'setSecret': {
        await plugin.setPending(await this.pending(secretId, token), ctx);
        return done('done', 'pending value set at the provider');
      }
      case 'testSecret': {
        await plugin.testPending(await this.pending(secretId, token), ctx);
        return done('done', 'pending value accepted by the provider');
      }
      case 'finishSecret': {
        const currentId = versionWithStage(metadata, CURRENT_STAGE);
        await store.moveStage(secretId, CURRENT_STAGE, token, currentId);
        const now = await store.require(
          secretId,
          { versionId: token },
          `version ${token}`
        );
        await plugin.afterFinish(now, current, ctx);
        return done(
          'done',
          `${CURRENT_STAGE} moved from ${currentId ?? 'none'} to ${token}`
        );
      }
    }
  }

  private pending(secretId: string, token: string): Promise<string> {
    return this.deps.store
      .require(
        secretId,
        { versionId: token, stage: PENDING_STAGE },
        `${PENDING_STAGE} version ${token}`
      )
      .then((v) => v.value);
  }

  private async previous(
    secretId: string,
    metadata: SecretMetadata
  ): Promise<SecretVersion | undefined> {
    const id = versionWithStage(metadata, PREVIOUS_STAGE);
    return id === undefined
      ? undefined
      : this.deps.store.read(secretId, { versionId: id });
  }
}
