/** Spend of one (tenant, model) pair as this process saw it. */
export interface CostCell {
  readonly cost_usd: number;
  readonly requests: number;
}

/**
 * Cost per tenant and model served by this process, for `/v1/stats`
 * (cluster-wide: the `CostUsd` metric per Tenant and Model, and
 * `ops budget report`). Costs are the same figures the ledger settles.
 */
export class CostStats {
  private readonly cells = new Map<
    string,
    Map<string, { usd: number; n: number }>
  >();

  /** Adds one request's cost. */
  public record(tenant: string, model: string, usd: number): void {
    let byModel = this.cells.get(tenant);
    if (!byModel) {
      byModel = new Map();
      this.cells.set(tenant, byModel);
    }
    const cell = byModel.get(model) ?? { usd: 0, n: 0 };
    cell.usd += usd;
    cell.n++;
    byModel.set(model, cell);
  }

  /** tenant → model → cost; one tenant only when `tenant` is given (clients never see others). */
  public snapshot(tenant?: string): Record<string, Record<string, CostCell>> {
    const out: Record<string, Record<string, CostCell>> = {};
    for (const [t, byModel] of this.cells) {
      if (tenant !== undefined && t !== tenant) continue;
      out[t] = {};
      for (const [m, c] of byModel)
        out[t][m] = {
          cost_usd: Math.round(c.usd * 1e9) / 1e9,
          requests: c.n,
        };
    }
    return out;
  }
}
