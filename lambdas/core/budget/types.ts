/**
 * The budget ledger port: reserve the worst case before a provider call,
 * then settle the real cost or release the reservation. Amounts are integer
 * nano-USD (1e-9 USD) so that both ledgers compare and sum exactly (DynamoDB
 * numbers are decimal, JS numbers binary; integers agree in both).
 */

/** Who a budget belongs to. */
export type BudgetScope = 'tenant' | 'team' | 'user';

/** A budget's accounting period (UTC). */
export type BudgetPeriod = 'day' | 'month';

/** One capped (scope, period) level a request is charged against. */
export interface BudgetLevel {
  /** Ledger item key: `budget#<tenant>#<scope>#<scope id>` (ids URI-encoded). */
  readonly pk: string;
  /** `day#YYYY-MM-DD` or `month#YYYY-MM`. */
  readonly sk: string;
  readonly tenant: string;
  readonly scope: BudgetScope;
  /** Tenant id, team id or user id. */
  readonly scopeId: string;
  readonly period: BudgetPeriod;
  /** `YYYY-MM-DD` or `YYYY-MM`. */
  readonly periodKey: string;
  readonly capNanos: number;
  /** Start of the next period, epoch ms. */
  readonly resetsAt: number;
}

/** State of one level in the ledger. */
export interface LevelBalance {
  readonly level: BudgetLevel;
  /** Settled cost. */
  readonly spentNanos: number;
  /** Held by open reservations (and leases). */
  readonly reservedNanos: number;
}

/** What a reservation asks for. */
export interface ReserveRequest {
  /** Unique id (idempotency of settle/release). */
  readonly id: string;
  readonly tenant: string;
  /** Every capped level of the request; empty = nothing to check. */
  readonly levels: readonly BudgetLevel[];
  /** Worst-case cost, nano-USD. */
  readonly amountNanos: number;
  /** Refuse once spent + reserved reaches this share of a cap, percent. */
  readonly shutdownPct: number;
  /** When an unsettled reservation is considered crashed and released, epoch ms. */
  readonly releaseAt: number;
}

/** An open reservation (returned by reserve; passed back to settle or release). */
export interface Reservation {
  readonly id: string;
  readonly tenant: string;
  readonly levels: readonly BudgetLevel[];
  readonly amountNanos: number;
  readonly releaseAt: number;
  /** Where the ledger keeps the record (opaque to callers). */
  readonly recordKey?: { readonly pk: string; readonly sk: string };
}

/** Why a reservation did not fit. */
export interface BudgetRefusal {
  /** The first level that refused. */
  readonly level: BudgetLevel;
  /** `cap`: it would pass the cap; `shutdown`: the level is at its shutdown threshold. */
  readonly reason: 'cap' | 'shutdown';
  /**
   * The largest amount that would still fit at that level, when the ledger
   * knows it (lets the caller pick a cheaper candidate without another try).
   */
  readonly roomNanos?: number;
}

/** Outcome of reserve. */
export type ReserveResult =
  | {
      readonly ok: true;
      readonly reservation: Reservation;
      /** Balances right after the reservation, when known without another read. */
      readonly balances?: readonly LevelBalance[];
    }
  | { readonly ok: false; readonly refusal: BudgetRefusal };

/** Reserve → settle/release ledger (memory locally, DynamoDB on AWS). */
export interface BudgetLedger {
  /**
   * Holds `amountNanos` at every level in one atomic step, only if at each
   * level `spent + reserved + amount ≤ cap` and `spent + reserved` is below
   * the shutdown threshold. Nothing is held when any level refuses.
   */
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  /** Adds the real cost to spent and frees the reservation. Idempotent. */
  settle(reservation: Reservation, costNanos: number): Promise<void>;
  /** Frees the reservation without spending. Idempotent. */
  release(reservation: Reservation): Promise<void>;
  /** Releases a tenant's reservations whose releaseAt passed; returns how many. */
  sweep(tenant: string, now: number): Promise<number>;
  /** Current balances of the given levels (zero for untouched ones). */
  balances(levels: readonly BudgetLevel[]): Promise<LevelBalance[]>;
  /** Every level the ledger holds for a tenant (or all tenants), for reports. */
  list(tenant?: string): Promise<LevelBalance[]>;
}

/** One alert to publish (a threshold crossed at a level). */
export interface BudgetAlert {
  readonly tenant: string;
  readonly scope: BudgetScope;
  readonly scopeId: string;
  readonly period: BudgetPeriod;
  readonly periodKey: string;
  readonly thresholdPct: number;
  readonly usedPct: number;
  readonly spentUsd: number;
  readonly capUsd: number;
  readonly resetsAt: string;
}

/** Where alerts go (log + metric locally; EventBridge + SNS on AWS). */
export interface BudgetAlertSink {
  /**
   * Claims (scope, period, threshold) and publishes once: resolves true when
   * this call published, false when another call already had.
   */
  publish(alert: BudgetAlert): Promise<boolean>;
}

/** Nano-USD per USD. */
export const NANOS_PER_USD = 1_000_000_000;

/** USD → nano-USD, rounded up (reservations and costs never round down). */
export function toNanos(usd: number): number {
  return Math.ceil(usd * NANOS_PER_USD - 1e-6);
}

/** nano-USD → USD. */
export function toUsd(nanos: number): number {
  return nanos / NANOS_PER_USD;
}
