/**
 * Secrets Manager rotation entry: one step of the four-step protocol per
 * invocation. Thin: the protocol and the provider plugins are in
 * core/secrets. A failed step throws, which is how Secrets Manager learns
 * the rotation failed (AWSCURRENT then stays where it is).
 */
import {
  parseRotationEvent,
  type RotationOutcome,
} from '../core/secrets/rotation';
import { composeRotation, type RotationApp } from './aws-deps';

let app: RotationApp | undefined;

/** The rotation handler the runtime invokes. */
export const handler = async (event: unknown): Promise<RotationOutcome> => {
  app ??= composeRotation(process.env);
  try {
    return await app.rotator.rotate(parseRotationEvent(event));
  } catch (err) {
    const e = err as Error;
    // Messages are value-free by construction; the stack adds nothing secret either.
    app.log.error('rotation step failed', {
      step: (event as { Step?: unknown } | null)?.Step,
      secret: (event as { SecretId?: unknown } | null)?.SecretId,
      error: { name: e.name, message: e.message },
    });
    throw err;
  }
};
