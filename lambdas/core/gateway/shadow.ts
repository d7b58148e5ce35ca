import type { ShadowTarget } from '../experiments/service';
import type { Observation } from '../experiments/types';
import type { GatewayMetrics, Log } from '../ports';
import type { ProviderAdapter } from '../providers/types';
import { costUsd } from '../tokens';
import type { ModelConfig } from '../types';
import type { ChatCall } from './chat-service';

/**
 * What the chat service tells experiments about a call: `started` before
 * the first attempt, `finished` once with the outcome of the chosen model.
 * Neither may throw, block or slow the request.
 */
export interface ExperimentCallHooks {
  started(call: ChatCall): void;
  finished(call: ChatCall, outcome: Observation): void;
  /**
   * Resolves when the background work started so far is done; the Lambda
   * handler awaits it after the response ended (a frozen container would
   * otherwise suspend shadow calls mid-flight).
   */
  drain?(): Promise<void>;
}

/** Spending of shadow calls against the tenant's budget. */
export interface ShadowBudget {
  /**
   * Reserves the worst case of one shadow call against the request's
   * budget levels (user, team, tenant), exactly as a live attempt does;
   * undefined when it doesn't fit (the copy is then dropped).
   */
  reserve(call: ChatCall, model: ModelConfig): Promise<ShadowSpend | undefined>;
}

/** A shadow call's reservation: settled with its cost, or released. */
export interface ShadowSpend {
  settle(costUsd: number): Promise<void>;
  release(): Promise<void>;
}

/** The experiment operations the hooks use. */
export interface ShadowExperiments {
  shadowTargets(
    tenantId: string,
    servingModel: string
  ): Promise<readonly ShadowTarget[]>;
  observe(experimentId: string, bucket: string, o: Observation): Promise<void>;
  /** False when no request can be shadowed now (sampling is then skipped). */
  mayShadow?(): boolean;
}

/** Dependencies of {@link ExperimentHooks}. */
export interface ExperimentHooksDeps {
  readonly experiments: ShadowExperiments;
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  readonly metrics: GatewayMetrics;
  readonly log: Log;
  /** Shadow calls in flight at most (beyond: the sample is dropped). @default 4 */
  readonly maxInFlight?: number;
  /** Timeout of one shadow call, ms. @default 30000 */
  readonly timeoutMs?: number;
  /** @default - shadow spend is only metered (ShadowCostUsd metric) */
  readonly budget?: ShadowBudget;
  readonly now?: () => number;
}

/**
 * Runs shadow copies and counts experiment outcomes. A sampled request's
 * copy goes, non-streamed, to the shadow model, detached from the request:
 * it starts on a later tick, is never awaited by the request, has its own
 * timeout, and its answer is dropped (only ok / latency / cost are kept, as
 * `shadow:candidate`). The real answer of the same request is counted as
 * `shadow:control`, so the gate compares like with like. Shadow spend is
 * metered and charged to the tenant's budget when one is wired.
 */
export class ExperimentHooks implements ExperimentCallHooks {
  private inFlight = 0;
  private readonly pending = new Set<Promise<unknown>>();
  /** Experiments whose shadow copy a call started (resolved once known). */
  private readonly shadowed = new WeakMap<ChatCall, Promise<string[]>>();
  private readonly now: () => number;

  public constructor(private readonly deps: ExperimentHooksDeps) {
    this.now = deps.now ?? Date.now;
  }

  public started(call: ChatCall): void {
    // Most of the time nothing is in its shadow stage: no tick, no promises.
    if (this.deps.experiments.mayShadow?.() === false) return;
    // setImmediate: the request's own attempt is issued first.
    const started = new Promise<string[]>((resolve) => {
      setImmediate(() => {
        this.startShadows(call).then(resolve, (err: unknown) => {
          this.deps.log.warn('shadow sampling failed', {
            error: (err as Error).message,
          });
          resolve([]);
        });
      });
    });
    this.shadowed.set(call, started);
    this.track(started);
  }

  public finished(call: ChatCall, outcome: Observation): void {
    const a = call.plan.experiment;
    if (a)
      this.track(
        this.deps.experiments.observe(a.experimentId, a.bucket, outcome)
      );
    const shadowed = this.shadowed.get(call);
    if (shadowed) {
      this.track(
        shadowed.then((ids) =>
          Promise.all(
            ids.map((id) =>
              this.deps.experiments.observe(id, 'shadow:control', outcome)
            )
          )
        )
      );
    }
  }

  /** Resolves when every shadow call and observation started so far is done. */
  public async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private track(p: Promise<unknown>): void {
    const guarded = p.catch(() => undefined);
    this.pending.add(guarded);
    void guarded.finally(() => this.pending.delete(guarded));
  }

  private async startShadows(call: ChatCall): Promise<string[]> {
    const chosen = call.plan.decision.chosen;
    if (!chosen) return [];
    const targets = await this.deps.experiments.shadowTargets(
      call.tenant.id,
      chosen.model.id
    );
    const ids: string[] = [];
    const max = this.deps.maxInFlight ?? 4;
    for (const t of targets) {
      const needsTools = (call.request.tools?.length ?? 0) > 0;
      if (needsTools && !t.model.capabilities.includes('tools')) continue;
      const adapter = this.deps.adapters.get(t.model.provider);
      if (!adapter) continue;
      if (this.inFlight >= max) {
        this.deps.metrics.event('ShadowDropped', 1, { Model: t.model.id });
        continue;
      }
      ids.push(t.experimentId);
      this.track(this.shadowCall(call, t, adapter));
    }
    return ids;
  }

  private async shadowCall(
    call: ChatCall,
    t: ShadowTarget,
    adapter: ProviderAdapter
  ): Promise<void> {
    this.inFlight++;
    // Shadow spend is real spend: reserved and settled like a live attempt.
    let spend: ShadowSpend | undefined;
    if (this.deps.budget) {
      spend = await this.deps.budget
        .reserve(call, t.model)
        .catch(() => undefined);
      if (!spend) {
        this.inFlight--;
        this.deps.metrics.event('ShadowDropped', 1, { Model: t.model.id });
        return;
      }
    }
    const started = this.now();
    let o: Observation;
    try {
      const result = await adapter.chat(
        { ...call.request, stream: false, includeUsage: false },
        t.model,
        {
          signal: AbortSignal.timeout(this.deps.timeoutMs ?? 30_000),
          requestId: `${call.requestId}-shadow`,
        }
      );
      o = {
        ok: true,
        latencyMs: this.now() - started,
        costUsd: costUsd(result.usage, t.model.pricing),
      };
    } catch (err) {
      o = { ok: false, latencyMs: this.now() - started, costUsd: 0 };
      this.deps.log.warn('shadow call failed', {
        experiment: t.experimentId,
        model: t.model.id,
        error: (err as Error).name,
      });
    } finally {
      this.inFlight--;
    }
    await (o.ok ? spend?.settle(o.costUsd) : spend?.release());
    this.deps.metrics.event('ShadowCall', 1, {
      Model: t.model.id,
      Outcome: o.ok ? 'ok' : 'error',
    });
    if (o.costUsd > 0) {
      this.deps.metrics.event('ShadowCostUsd', o.costUsd, {
        Model: t.model.id,
      });
    }
    this.deps.log.info('shadow call', {
      experiment: t.experimentId,
      model: t.model.id,
      ok: o.ok,
      latencyMs: o.latencyMs,
      costUsd: o.costUsd,
      requestId: call.requestId,
    });
    await this.deps.experiments.observe(t.experimentId, 'shadow:candidate', o);
  }
}
