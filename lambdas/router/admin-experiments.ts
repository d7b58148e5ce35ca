import * as z from 'zod/mini';
import '../core/api/zod-locale';
import { zodToGatewayError } from '../core/api/chat-request';
import { GatewayError } from '../core/api/errors';
import type { Actor } from '../core/control/control-plane';
import type { ExperimentService } from '../core/experiments/service';
import { ExperimentError } from '../core/experiments/types';

const reason = z.string().check(z.minLength(1), z.maxLength(1024));

const putBody = z.strictObject({
  experiment: z.record(z.string(), z.unknown()),
  reason,
  expected_version: z.optional(z.int().check(z.gte(0))),
});
const reasonBody = z.strictObject({ reason });

function parse<T>(schema: z.ZodMiniType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw zodToGatewayError(r.error);
  return r.data;
}

function method(actual: string, ...allowed: string[]): void {
  if (!allowed.includes(actual)) {
    throw new GatewayError(
      405,
      'invalid_request_error',
      'method_not_allowed',
      `method ${actual} not allowed here; use ${allowed.join(' or ')}`
    );
  }
}

/** Maps experiment failures to OpenAI-shaped client errors. */
export function experimentAdminError(err: unknown): unknown {
  if (err instanceof ExperimentError) {
    return new GatewayError(
      err.status,
      err.status === 404 ? 'not_found_error' : 'invalid_request_error',
      err.code,
      err.message
    );
  }
  return err;
}

/**
 * `/v1/admin/experiments[/{id}[/start|stop|promote|rollback|results]]`:
 * list, read with tracker results, create or replace, and the lifecycle
 * actions. Every change needs a reason and is audited. `tail` is the path
 * after `experiments/`; undefined answer = no such route.
 */
export async function handleExperimentsAdmin(
  experiments: ExperimentService,
  httpMethod: string,
  tail: readonly string[],
  body: () => unknown,
  actor: Omit<Actor, 'reason'>
): Promise<{ status: number; body: unknown } | undefined> {
  try {
    if (tail.length === 0) {
      method(httpMethod, 'GET');
      return {
        status: 200,
        body: { object: 'list', data: await experiments.list() },
      };
    }
    const id = decodeURIComponent(tail[0]!);
    if (tail.length === 1) {
      method(httpMethod, 'GET', 'PUT');
      if (httpMethod === 'GET')
        return { status: 200, body: await experiments.results(id) };
      const b = parse(putBody, body());
      const definition = { ...b.experiment, id: b.experiment.id ?? id };
      if (definition.id !== id) {
        throw new GatewayError(
          400,
          'invalid_request_error',
          'id_mismatch',
          `experiment.id ${JSON.stringify(definition.id)} differs from the path id ${JSON.stringify(id)}`,
          { param: 'experiment.id' }
        );
      }
      const stored = await experiments.put(
        definition,
        { ...actor, reason: b.reason },
        b.expected_version
      );
      return { status: 200, body: stored };
    }
    if (tail.length === 2) {
      const action = tail[1];
      if (action === 'results') {
        method(httpMethod, 'GET');
        return { status: 200, body: await experiments.results(id) };
      }
      if (
        action === 'start' ||
        action === 'stop' ||
        action === 'promote' ||
        action === 'rollback'
      ) {
        method(httpMethod, 'POST');
        const who: Actor = {
          ...actor,
          reason: parse(reasonBody, body()).reason,
        };
        const after =
          action === 'start'
            ? await experiments.start(id, who)
            : action === 'stop'
              ? await experiments.stop(id, who)
              : action === 'promote'
                ? await experiments.promote(id, who)
                : await experiments.rollback(id, who);
        return { status: 200, body: after };
      }
    }
    return undefined;
  } catch (err) {
    throw experimentAdminError(err);
  }
}
