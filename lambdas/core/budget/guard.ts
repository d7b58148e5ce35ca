import { randomUUID } from 'node:crypto';
import { GatewayError } from '../api/errors';
import type { ResolvedTenant } from '../config/load';
import type { GatewayMetrics, Log } from '../ports';
import { costUsd, estimateCharsTokens, estimatePromptTokens } from '../tokens';
import type { ChatRequest, ModelConfig, Usage } from '../types';
import type { BudgetSettings } from './config';
import { budgetLevels } from './levels';
import {
  type BudgetAlertSink,
  type BudgetLedger,
  type BudgetLevel,
  type BudgetRefusal,
  type LevelBalance,
  type Reservation,
  toNanos,
  toUsd,
} from './types';

/**
 * Output reserved beyond the `max_tokens` sent to the provider. Streams are
 * metered from text with a deliberately pessimistic chars-per-token estimate;
 * the margin keeps a provider that honours `max_tokens` from being cut just
 * before its natural end while the reservation still bounds the spend.
 */
export const OUTPUT_RESERVE_MARGIN = 1.25;

/** Header with the smallest remaining budget (USD) across the request's capped levels. */
export const BUDGET_REMAINING_HEADER = 'x-gateway-budget-remaining-usd';

/** Dependencies of a BudgetGuard. */
export interface BudgetGuardDeps {
  readonly ledger: BudgetLedger;
  readonly settings: BudgetSettings;
  readonly alerts: BudgetAlertSink;
  readonly metrics: GatewayMetrics;
  readonly log: Log;
  readonly now?: () => number;
}

/** How often one container sweeps a tenant's expired reservations, at most. */
const SWEEP_EVERY_MS = 60_000;
/** ... and after a refusal (expired holds may be what's in the way), at most. */
const REFUSAL_SWEEP_EVERY_MS = 5_000;

/**
 * Money control of the request path. `begin` resolves the request's capped
 * levels (user, team, tenant × day, month); the returned RequestBudget
 * reserves the worst case of each candidate before its provider call, and
 * settles or releases afterwards. Returns values, never throws at the
 * caller for a refusal: the chat service decides to fall back or refuse.
 */
export class BudgetGuard {
  private readonly now: () => number;
  private readonly lastSweep = new Map<string, number>();
  /** Thresholds this container already saw published (saves a write per request). */
  private readonly fired = new Set<string>();

  public constructor(private readonly deps: BudgetGuardDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The ledger (admin reports). */
  public get ledger(): BudgetLedger {
    return this.deps.ledger;
  }

  /** Starts the budget of one request. */
  public begin(tenant: ResolvedTenant, request: ChatRequest): RequestBudget {
    return new RequestBudget(
      this,
      this.deps,
      tenant,
      request,
      budgetLevels(tenant, request.user, this.now()),
      this.now
    );
  }

  /**
   * Sweeps a tenant's expired reservations unless this container did so
   * recently (sooner after a refusal: at the edge every refusal would sweep).
   */
  public async sweep(tenant: string, afterRefusal = false): Promise<number> {
    const now = this.now();
    const last = this.lastSweep.get(tenant) ?? 0;
    const every = afterRefusal ? REFUSAL_SWEEP_EVERY_MS : SWEEP_EVERY_MS;
    if (now - last < every) return 0;
    this.lastSweep.set(tenant, now);
    try {
      const n = await this.deps.ledger.sweep(tenant, now);
      if (n > 0) {
        this.deps.log.warn('budget: released expired reservations', {
          tenant,
          count: n,
        });
        this.deps.metrics.event('BudgetReservationsExpired', n, {
          Tenant: tenant,
        });
      }
      return n;
    } catch (err) {
      this.deps.log.error('budget sweep failed', {
        tenant,
        error: err instanceof Error ? err.name : String(err),
      });
      return 0;
    }
  }

  /** Publishes the level's usage metric and any threshold it crossed. */
  public async observe(
    tenant: string,
    balances: readonly LevelBalance[]
  ): Promise<void> {
    let tenantPct: number | undefined;
    for (const b of balances) {
      const cap = b.level.capNanos;
      if (cap <= 0) continue;
      const pct = (100 * b.spentNanos) / cap;
      if (b.level.scope === 'tenant') tenantPct = Math.max(tenantPct ?? 0, pct);
      for (const t of this.deps.settings.alertThresholdsPct) {
        if (pct < t) break;
        const key = `${b.level.pk}|${b.level.sk}|${t}`;
        if (this.fired.has(key)) continue;
        this.fired.add(key);
        const published = await this.deps.alerts
          .publish({
            tenant,
            scope: b.level.scope,
            scopeId: b.level.scopeId,
            period: b.level.period,
            periodKey: b.level.periodKey,
            thresholdPct: t,
            usedPct: Math.round(pct * 100) / 100,
            spentUsd: toUsd(b.spentNanos),
            capUsd: toUsd(cap),
            resetsAt: new Date(b.level.resetsAt).toISOString(),
          })
          .catch((err: unknown) => {
            // Not fired after all: let a later request try again.
            this.fired.delete(key);
            this.deps.log.error('budget alert failed', {
              tenant,
              error: err instanceof Error ? err.name : String(err),
            });
            return false;
          });
        if (!published) continue;
        this.deps.log.warn('budget alert', {
          tenant,
          scope: b.level.scope,
          scopeId: b.level.scopeId,
          period: b.level.period,
          periodKey: b.level.periodKey,
          thresholdPct: t,
          usedPct: Math.round(pct * 100) / 100,
        });
        this.deps.metrics.event('BudgetAlert', 1, {
          Tenant: tenant,
          Scope: b.level.scope,
          Threshold: String(t),
        });
      }
    }
    if (tenantPct !== undefined) {
      const m = this.deps.metrics;
      // [service, Tenant], Maximum: the dashboard's "Budget used (%) per tenant".
      if (m.gauge) m.gauge('BudgetUsedPct', tenantPct, { Tenant: tenant });
      else m.event('BudgetUsedPct', tenantPct, { Tenant: tenant });
    }
  }
}

/** What one candidate's reservation holds. */
interface Held {
  readonly model: ModelConfig;
  readonly reservation?: Reservation;
  readonly amountNanos: number;
  readonly promptTokens: number;
  /** Output tokens sent to the provider as `max_tokens`. */
  readonly maxOutputTokens: number;
  /** Smallest remaining across levels right after reserving, when known. */
  remainingNanos?: number;
}

/**
 * The budget of one request across its attempts: at most one open
 * reservation at a time (a failover releases before the next reserves).
 */
export class RequestBudget {
  private held?: Held;
  private refusal?: BudgetRefusal;
  private refusedAmount = 0;
  /** Largest worst case known to fit (from a refusal), so hopeless candidates cost no write. */
  private room = Number.POSITIVE_INFINITY;
  private swept = false;
  /** Smallest remaining after the settle, when known. */
  private settledRemaining?: number;
  /** Set when the ledger could not be asked: the request is refused (fail closed). */
  private ledgerError?: GatewayError;

  public constructor(
    private readonly guard: BudgetGuard,
    private readonly deps: BudgetGuardDeps,
    private readonly tenant: ResolvedTenant,
    private readonly request: ChatRequest,
    /** The request's capped levels (empty: unlimited). */
    public readonly levels: readonly BudgetLevel[],
    private readonly now: () => number
  ) {}

  /**
   * Whether the attempt loop may try the next candidate after a refusal:
   * the `cheaperFallback` policy, and never after a ledger failure.
   */
  public get cheaperFallback(): boolean {
    return this.deps.settings.cheaperFallback && !this.ledgerError;
  }

  /** True once a candidate was refused for budget (or the ledger failed). */
  public get refused(): boolean {
    return this.refusal !== undefined || this.ledgerError !== undefined;
  }

  /** The worst-case cost of `model` for this request, nano-USD. */
  public worstCase(model: ModelConfig): {
    amountNanos: number;
    promptTokens: number;
    maxOutputTokens: number;
  } {
    const promptTokens = estimatePromptTokens(this.request, model.providerType);
    const modelMax =
      model.maxOutputTokens > 0
        ? model.maxOutputTokens
        : Number.MAX_SAFE_INTEGER;
    const maxOutputTokens = Math.min(
      this.request.maxTokens ?? modelMax,
      modelMax
    );
    const amountNanos = toNanos(
      costUsd(
        {
          promptTokens,
          completionTokens: Math.ceil(maxOutputTokens * OUTPUT_RESERVE_MARGIN),
        },
        model.pricing
      )
    );
    return { amountNanos, promptTokens, maxOutputTokens };
  }

  /**
   * Reserves `model`'s worst case at every capped level. False when it
   * doesn't fit (the refusal is kept for the 429).
   */
  public async reserve(model: ModelConfig): Promise<boolean> {
    const wc = this.worstCase(model);
    if (this.levels.length === 0) {
      this.held = { model, ...wc };
      return true;
    }
    if (wc.amountNanos > this.room) {
      this.refusedAmount = wc.amountNanos;
      return false;
    }
    for (;;) {
      const now = this.now();
      let r: Awaited<ReturnType<BudgetLedger['reserve']>>;
      try {
        r = await this.deps.ledger.reserve({
          id: randomUUID(),
          tenant: this.tenant.id,
          levels: this.levels,
          amountNanos: wc.amountNanos,
          shutdownPct: this.deps.settings.shutdownThresholdPct,
          releaseAt: now + this.deps.settings.reservationTtlSeconds * 1000,
        });
      } catch (err) {
        // Money fails closed: without the ledger nobody can tell what fits.
        this.deps.log.error('budget reserve failed', {
          tenant: this.tenant.id,
          error: err instanceof Error ? err.name : String(err),
        });
        this.deps.metrics.event('BudgetLedgerErrors', 1, {
          Tenant: this.tenant.id,
        });
        this.ledgerError = new GatewayError(
          503,
          'service_unavailable',
          'budget_unavailable',
          'the budget ledger could not be reached, so no spend can be authorised; retry shortly',
          { headers: { 'retry-after': '1' } }
        );
        return false;
      }
      if (r.ok) {
        this.held = {
          model,
          reservation: r.reservation,
          ...wc,
          remainingNanos: r.balances ? minRemaining(r.balances) : undefined,
        };
        if (!r.balances) void this.readRemaining(this.held);
        return true;
      }
      // Crashed calls' reservations may be what's in the way: sweep once, retry once.
      if (!this.swept) {
        this.swept = true;
        if ((await this.guard.sweep(this.tenant.id, true)) > 0) continue;
      }
      this.refusal = r.refusal;
      this.refusedAmount = wc.amountNanos;
      if (r.refusal.roomNanos !== undefined)
        this.room = Math.min(this.room, r.refusal.roomNanos);
      this.deps.metrics.event('BudgetRefusals', 1, {
        Tenant: this.tenant.id,
        Scope: r.refusal.level.scope,
      });
      return false;
    }
  }

  /** The request as sent to the reserved model: `max_tokens` bounded by the reservation. */
  public requestFor(model: ModelConfig): ChatRequest {
    const held = this.held;
    if (!held || held.model !== model || this.levels.length === 0)
      return this.request;
    return { ...this.request, maxTokens: held.maxOutputTokens };
  }

  /** A meter cutting a stream whose estimated cost would pass its reservation. */
  public streamLimit(model: ModelConfig): StreamLimit | undefined {
    const held = this.held;
    if (!held || held.model !== model || this.levels.length === 0)
      return undefined;
    return new StreamLimit(held);
  }

  /** Settles the open reservation with the real cost, then publishes usage and alerts. */
  public async settle(cost: number): Promise<void> {
    const held = this.held;
    this.held = undefined;
    if (!held?.reservation) return;
    const costNanos = toNanos(cost);
    try {
      await this.deps.ledger.settle(held.reservation, costNanos);
      const balances = await this.deps.ledger.balances(this.levels);
      await this.guard.observe(this.tenant.id, balances);
      await this.guard.sweep(this.tenant.id);
    } catch (err) {
      // The reservation expires and is swept; the spend is lost from the ledger: say so loudly.
      this.deps.log.error('budget settle failed', {
        tenant: this.tenant.id,
        costUsd: cost,
        error: err instanceof Error ? err.name : String(err),
      });
      this.deps.metrics.event('BudgetSettleErrors', 1, {
        Tenant: this.tenant.id,
      });
    }
    // Remaining after settle: the unused part of the worst case came back.
    if (held.remainingNanos !== undefined)
      this.settledRemaining =
        held.remainingNanos + held.amountNanos - costNanos;
  }

  /** Frees the open reservation (failure, failover, client gone). */
  public async release(): Promise<void> {
    const held = this.held;
    this.held = undefined;
    if (!held?.reservation) return;
    try {
      await this.deps.ledger.release(held.reservation);
    } catch (err) {
      // The sweep frees it after reservationTtlSeconds.
      this.deps.log.error('budget release failed', {
        tenant: this.tenant.id,
        error: err instanceof Error ? err.name : String(err),
      });
    }
  }

  /** `x-gateway-budget-remaining-usd` (and the cost when known) for an answer. */
  public headers(cost?: number): Record<string, string> {
    const out: Record<string, string> = {};
    if (cost !== undefined) out['x-gateway-cost-usd'] = cost.toFixed(8);
    if (this.levels.length === 0) {
      out[BUDGET_REMAINING_HEADER] = 'unlimited';
      return out;
    }
    let remaining: number | undefined;
    if (this.settledRemaining !== undefined) remaining = this.settledRemaining;
    else if (this.held?.remainingNanos !== undefined)
      remaining =
        this.held.remainingNanos +
        (cost === undefined ? 0 : this.held.amountNanos - toNanos(cost));
    else if (this.refusal?.roomNanos !== undefined)
      remaining = this.refusal.roomNanos;
    if (remaining !== undefined)
      out[BUDGET_REMAINING_HEADER] = toUsd(Math.max(0, remaining)).toFixed(8);
    return out;
  }

  /** The 429 `budget_exceeded` naming the scope and the period's reset (503 when the ledger failed). */
  public refusalError(): GatewayError {
    if (this.ledgerError) return this.ledgerError;
    const r = this.refusal;
    if (!r) {
      return new GatewayError(
        429,
        'insufficient_quota',
        'budget_exceeded',
        `no candidate fits the remaining budget (cheapest worst case ${toUsd(this.refusedAmount).toFixed(6)} USD)`,
        { headers: { ...this.headers(0) } }
      );
    }
    const l = r.level;
    const resets = new Date(l.resetsAt).toISOString();
    const retryAfter = Math.max(1, Math.ceil((l.resetsAt - this.now()) / 1000));
    const what = `the ${l.scope} ${l.period === 'day' ? 'daily' : 'monthly'} budget${l.scope === 'tenant' ? '' : ` of ${JSON.stringify(l.scopeId)}`} (${toUsd(l.capNanos)} USD)`;
    const why =
      r.reason === 'shutdown'
        ? `has reached its shutdown threshold of ${this.deps.settings.shutdownThresholdPct}%`
        : `cannot cover this request's worst case of ${toUsd(this.refusedAmount).toFixed(6)} USD`;
    return new GatewayError(
      429,
      'insufficient_quota',
      'budget_exceeded',
      `budget exceeded: ${what} ${why}; it resets at ${resets}`,
      {
        headers: {
          ...this.headers(0),
          'retry-after': String(retryAfter),
          'x-gateway-budget-scope': l.scope,
          'x-gateway-budget-period': l.period,
          'x-gateway-budget-reset': resets,
        },
      }
    );
  }

  private async readRemaining(held: Held): Promise<void> {
    try {
      const b = await this.deps.ledger.balances(this.levels);
      held.remainingNanos = minRemaining(b);
    } catch {
      // Header left out: the answer matters more than the figure.
    }
  }
}

/**
 * Meters a stream against its reservation: the running cost is estimated
 * from the streamed text; once it would pass the reservation the stream is
 * cut (`finish_reason: "length"` and a `budget_exceeded` error event).
 */
export class StreamLimit {
  private outChars = 0;

  public constructor(private readonly held: Held) {}

  /** Counts streamed output; false once the reservation would be passed. */
  public add(text: string): boolean {
    this.outChars += text.length;
    return (
      toNanos(costUsd(this.usage(), this.held.model.pricing)) <=
      this.held.amountNanos
    );
  }

  /** Estimated usage so far (prompt estimate + streamed output). */
  public usage(): Usage {
    const out = estimateCharsTokens(
      this.outChars,
      this.held.model.providerType
    );
    return {
      promptTokens: this.held.promptTokens,
      completionTokens: out,
      totalTokens: this.held.promptTokens + out,
    };
  }

  /** The in-band error event explaining the cut. */
  public error(): GatewayError {
    return new GatewayError(
      429,
      'insufficient_quota',
      'budget_exceeded',
      `the response was cut: its running cost would pass this request's budget reservation of ${toUsd(this.held.amountNanos).toFixed(6)} USD (finish_reason "length")`
    );
  }
}

function minRemaining(balances: readonly LevelBalance[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (const b of balances)
    min = Math.min(min, b.level.capNanos - b.spentNanos - b.reservedNanos);
  return min;
}
