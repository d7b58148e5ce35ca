import type { DecisionRecord } from '../../lambdas/core/ports';
import type { RouterDeps } from '../../lambdas/router/app';

/** Cache counters, once a cache reports them. */
export interface CacheCounts {
  readonly hits: number;
  readonly misses: number;
}

/** Data sources beyond the router deps (wired as the modules land). */
export interface DashboardSources {
  /** Response cache counters. @default - panel shows "no data" */
  readonly cache?: () => CacheCounts | undefined;
  /**
   * Experiments with their per-variant estimates and intervals.
   * @default - panel shows "no data"
   */
  readonly experiments?: () =>
    | readonly DashboardExperiment[]
    | Promise<readonly DashboardExperiment[]>;
}

/** One experiment variant as the dashboard shows it. */
export interface DashboardExperiment {
  readonly id: string;
  readonly status: string;
  readonly variants: readonly {
    readonly name: string;
    readonly n: number;
    readonly rate: number;
    readonly ci95: readonly [number, number];
  }[];
}

/** How many recent decisions the dashboard aggregates and lists. */
export const DASHBOARD_WINDOW = 2000;
const LISTED = 50;

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function servedModel(r: DecisionRecord): string {
  return r.served_by ?? r.chosen;
}

/**
 * The JSON behind `/dashboard`: recent routing decisions (never prompt
 * text: the decision log holds none), cost per tenant and model, latency
 * percentiles per model, cache hit rate, circuits, provider limits, kill
 * switches and experiments. Each source that has nothing yet is `null` or
 * empty, and the page labels its panel as such.
 */
export async function dashboardData(
  deps: RouterDeps,
  sources: DashboardSources = {}
): Promise<Record<string, unknown>> {
  const recent = deps.decisions.recent(DASHBOARD_WINDOW);
  const cost: Record<string, Record<string, number>> = {};
  const requests: Record<string, number> = {};
  const latencies: Record<string, number[]> = {};
  const outcomes: Record<string, number> = {};
  for (const r of recent) {
    const model = servedModel(r);
    const byModel = cost[r.tenant] ?? {};
    cost[r.tenant] = byModel;
    byModel[model] = (byModel[model] ?? 0) + r.cost_usd;
    requests[model] = (requests[model] ?? 0) + 1;
    outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    if (r.outcome === 'ok') {
      const list = latencies[model] ?? [];
      latencies[model] = list;
      list.push(r.latency_ms);
    }
  }
  const latency = Object.entries(latencies)
    .map(([model, values]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return {
        model,
        n: sorted.length,
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
        p99: percentile(sorted, 99),
      };
    })
    .sort((a, b) => a.model.localeCompare(b.model));
  const cache = sources.cache?.();
  const switches = await deps.killSwitches.snapshot();
  return {
    object: 'dashboard',
    generated_at: new Date().toISOString(),
    window: recent.length,
    decisions: recent.slice(0, LISTED).map((r) => ({
      decision_id: r.decision_id,
      ts: r.ts,
      tenant: r.tenant,
      context: `${r.context.domain}|${r.context.budget_tier}|${r.context.tools}`,
      chosen: r.chosen,
      served_by: servedModel(r),
      propensity: r.propensity,
      latency_ms: r.latency_ms,
      cost_usd: r.cost_usd,
      outcome: r.outcome,
      reward: r.reward,
      feedback: r.feedback?.score ?? null,
    })),
    requests_by_model: requests,
    outcomes,
    cost_usd: cost,
    latency_ms: latency,
    cache:
      cache && cache.hits + cache.misses > 0
        ? {
            ...cache,
            hit_rate: cache.hits / (cache.hits + cache.misses),
          }
        : null,
    circuits: deps.gate.breakers.snapshot(),
    provider_limits: deps.gate.limits.snapshot(),
    kill_switches: {
      known: switches.known,
      switches: Object.fromEntries(switches.switches),
    },
    experiments: (await sources.experiments?.()) ?? [],
  };
}
