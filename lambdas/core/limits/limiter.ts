import type { LimitCaps, ResolvedTenant } from '../config/load';
import type { CounterAdd, LimitCounterStore } from './types';

/** What a limit counts. */
export type LimitMetric = 'requests' | 'tokens';

/** Who a limit applies to. */
export type LimitScopeKind = 'tenant' | 'team' | 'user';

/** One capped scope of a request. */
export interface LimitScope {
  readonly kind: LimitScopeKind;
  readonly id: string;
  readonly caps: LimitCaps;
}

/** One counter a request adds to. */
export interface PlannedCounter extends CounterAdd {
  readonly scope: LimitScope;
  readonly metric: LimitMetric;
  /** When the window ends, epoch ms. */
  readonly resetAtMs: number;
}

/** The state of one counter after a check, for the response headers. */
export interface CounterState {
  readonly counter: PlannedCounter;
  /** Counter value after the add (or the current value when refused). */
  readonly value: number;
  readonly ok: boolean;
}

/** Outcome of a limit check (a value, never thrown: the stage decides). */
export type LimitVerdict =
  | {
      readonly ok: true;
      readonly states: readonly CounterState[];
      /** Token reservations to correct after the call. */
      readonly reserved: readonly PlannedCounter[];
    }
  | {
      readonly ok: false;
      readonly states: readonly CounterState[];
      /** The refused counters (at least one). */
      readonly refused: readonly CounterState[];
    };

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * The scopes a request is capped by: the tenant always; its team and the
 * user when the request names a `user` that is listed (or the tenant has
 * `userDefaults`). Scopes without caps add no counters.
 */
export function limitScopes(
  tenant: ResolvedTenant,
  user: string | undefined
): LimitScope[] {
  const scopes: LimitScope[] = [
    { kind: 'tenant', id: tenant.id, caps: tenant.limits },
  ];
  if (user === undefined) return scopes;
  const known = tenant.users?.[user];
  if (known?.team) {
    const team = tenant.teams?.[known.team];
    if (team) scopes.push({ kind: 'team', id: known.team, caps: team.limits });
  }
  const caps = known ?? tenant.userDefaults;
  if (caps) scopes.push({ kind: 'user', id: user, caps: caps.limits });
  return scopes;
}

function scopeKey(tenantId: string, s: LimitScope): string {
  const t = encodeURIComponent(tenantId);
  return s.kind === 'tenant' ? t : `${t}#${s.kind}:${encodeURIComponent(s.id)}`;
}

/**
 * The counters of a request: requests per minute (+1) and tokens per day
 * (+the estimate) for every scope with such a cap. Windows are fixed: the
 * UTC minute and the UTC day. Items expire a while after their window ends.
 */
export function planCounters(
  tenant: ResolvedTenant,
  scopes: readonly LimitScope[],
  estimatedTokens: number,
  now: number
): PlannedCounter[] {
  const out: PlannedCounter[] = [];
  const minute = Math.floor(now / MINUTE_MS);
  const day = Math.floor(now / DAY_MS);
  const dayLabel = new Date(day * DAY_MS).toISOString().slice(0, 10);
  for (const scope of scopes) {
    const base = scopeKey(tenant.id, scope);
    const rpm = scope.caps.requestsPerMinute;
    if (rpm !== undefined) {
      const resetAtMs = (minute + 1) * MINUTE_MS;
      out.push({
        scope,
        metric: 'requests',
        key: `${base}#rpm#${minute}`,
        amount: 1,
        limit: rpm,
        resetAtMs,
        expiresAt: Math.ceil(resetAtMs / 1000) + 60,
      });
    }
    const tpd = scope.caps.tokensPerDay;
    if (tpd !== undefined) {
      const resetAtMs = (day + 1) * DAY_MS;
      out.push({
        scope,
        metric: 'tokens',
        key: `${base}#tpd#${dayLabel}`,
        amount: Math.max(0, Math.ceil(estimatedTokens)),
        limit: tpd,
        resetAtMs,
        expiresAt: Math.ceil(resetAtMs / 1000) + 3600,
      });
    }
  }
  return out;
}

/**
 * Check-and-increment of every counter of a request, in parallel (one
 * round trip, one conditional write each). All or nothing: when one counter
 * refuses, the adds that went through are given back, so a refused request
 * consumes nothing. The give-back can make a concurrent request see a
 * counter briefly too high (a spurious 429 at the edge), never too low: the
 * limit is never exceeded.
 */
export async function checkCounters(
  store: LimitCounterStore,
  counters: readonly PlannedCounter[]
): Promise<LimitVerdict> {
  if (counters.length === 0) return { ok: true, states: [], reserved: [] };
  const settled = await Promise.allSettled(
    counters.map((c) => store.tryAdd(c))
  );
  const states: CounterState[] = [];
  let failure: unknown;
  settled.forEach((r, i) => {
    if (r.status === 'fulfilled')
      states.push({ counter: counters[i]!, ...r.value });
    else failure ??= r.reason;
  });
  const refused = states.filter((s) => !s.ok);
  if (failure !== undefined || refused.length > 0) {
    await Promise.allSettled(
      states
        .filter((s) => s.ok && s.counter.amount !== 0)
        .map((s) =>
          store.add(s.counter.key, -s.counter.amount, s.counter.expiresAt)
        )
    );
    if (failure !== undefined) throw failure;
    return { ok: false, states, refused };
  }
  return {
    ok: true,
    states,
    reserved: counters.filter((c) => c.metric === 'tokens'),
  };
}

/** Per metric, the counter closest to its limit (what the headers report). */
export function tightest(
  states: readonly CounterState[],
  metric: LimitMetric
): CounterState | undefined {
  let best: CounterState | undefined;
  for (const s of states) {
    if (s.counter.metric !== metric) continue;
    if (!best || remaining(s) < remaining(best)) best = s;
  }
  return best;
}

/** What is left in a counter's window. */
export function remaining(s: CounterState): number {
  return Math.max(0, s.counter.limit - s.value);
}

/**
 * A duration in OpenAI's `x-ratelimit-reset-*` format (Go style: `1s`,
 * `6m0s`, `1h2m3s`; `250ms` under a second).
 */
export function formatReset(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** The `x-ratelimit-*` headers of a check (only for the metrics that are capped). */
export function rateLimitHeaders(
  states: readonly CounterState[],
  now: number
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const metric of ['requests', 'tokens'] as const) {
    const s = tightest(states, metric);
    if (!s) continue;
    out[`x-ratelimit-limit-${metric}`] = String(s.counter.limit);
    out[`x-ratelimit-remaining-${metric}`] = String(remaining(s));
    out[`x-ratelimit-reset-${metric}`] = formatReset(s.counter.resetAtMs - now);
  }
  return out;
}

/**
 * The `max_tokens` a request may ask for: the smallest of the tier default,
 * the tenant's, the team's and the user's `maxTokensPerRequest`; undefined
 * when none is set.
 */
export function maxTokensCap(
  scopes: readonly LimitScope[],
  tierCap: number | undefined
): number | undefined {
  let cap = tierCap;
  for (const s of scopes) {
    const c = s.caps.maxTokensPerRequest;
    if (c !== undefined && (cap === undefined || c < cap)) cap = c;
  }
  return cap;
}
