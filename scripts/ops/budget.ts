import { readFileSync } from 'node:fs';
import { type LevelBalance, toUsd } from '../../lambdas/core/budget/types';
import { type OpsBackend, OpsError } from './backend';

/** One line of `ops budget report`. */
export interface BudgetReportRow {
  readonly tenant: string;
  readonly scope: string;
  readonly scope_id: string;
  readonly period: string;
  readonly period_key: string;
  readonly spent_usd: number;
  readonly reserved_usd: number;
  readonly cap_usd: number;
  /** (spent + reserved) / cap, percent. */
  readonly used_pct: number;
  readonly resets_at: string;
}

/** Report rows, newest period first, then tenant, scope, id. */
export function budgetReport(
  balances: readonly LevelBalance[]
): BudgetReportRow[] {
  const order = { tenant: 0, team: 1, user: 2 } as const;
  return balances
    .map((b) => {
      const l = b.level;
      return {
        tenant: l.tenant,
        scope: l.scope,
        scope_id: l.scopeId,
        period: l.period,
        period_key: l.periodKey,
        spent_usd: round(toUsd(b.spentNanos)),
        reserved_usd: round(toUsd(b.reservedNanos)),
        cap_usd: round(toUsd(l.capNanos)),
        used_pct:
          l.capNanos > 0
            ? Math.round(
                (10_000 * (b.spentNanos + b.reservedNanos)) / l.capNanos
              ) / 100
            : 0,
        resets_at: new Date(l.resetsAt).toISOString(),
      };
    })
    .sort(
      (a, b) =>
        b.period_key.localeCompare(a.period_key) ||
        a.tenant.localeCompare(b.tenant) ||
        order[a.scope as keyof typeof order] -
          order[b.scope as keyof typeof order] ||
        a.scope_id.localeCompare(b.scope_id)
    );
}

/** The report as a table. */
export function formatBudgetReport(rows: readonly BudgetReportRow[]): string {
  if (rows.length === 0)
    return 'no budget levels (no capped scope has spent yet)';
  const head = `${'tenant'.padEnd(16)} ${'scope'.padEnd(22)} ${'period'.padEnd(18)} ${'spent'.padStart(12)} ${'reserved'.padStart(12)} ${'cap'.padStart(10)} ${'used'.padStart(8)}`;
  return [
    head,
    ...rows.map(
      (r) =>
        `${r.tenant.padEnd(16)} ${(r.scope === 'tenant' ? 'tenant' : `${r.scope} ${r.scope_id}`).padEnd(22)} ${`${r.period} ${r.period_key}`.padEnd(18)} ${r.spent_usd.toFixed(6).padStart(12)} ${r.reserved_usd.toFixed(6).padStart(12)} ${String(r.cap_usd).padStart(10)} ${`${r.used_pct}%`.padStart(8)}`
    ),
  ].join('\n');
}

/** The decision-log fields reconcile reads (ARCHITECTURE.md contract). */
export interface DecisionCost {
  readonly tenant: string;
  readonly ts: string;
  readonly cost_usd: number;
}

/** Reads a JSONL decision log export; names the line of a bad record. */
export function readDecisionsJsonl(path: string): DecisionCost[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new OpsError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const out: DecisionCost[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let r: Partial<DecisionCost>;
    try {
      r = JSON.parse(line) as Partial<DecisionCost>;
    } catch {
      throw new OpsError(`${path}:${i + 1}: not JSON`);
    }
    if (
      typeof r.tenant !== 'string' ||
      typeof r.ts !== 'string' ||
      typeof r.cost_usd !== 'number'
    )
      throw new OpsError(`${path}:${i + 1}: needs tenant, ts and cost_usd`);
    out.push({ tenant: r.tenant, ts: r.ts, cost_usd: r.cost_usd });
  });
  return out;
}

/** One (tenant, day) of `ops budget reconcile`. */
export interface ReconcileRow {
  readonly tenant: string;
  readonly day: string;
  /** Spent on the tenant's daily level; null when the tenant has no daily cap (no level). */
  readonly ledger_usd: number | null;
  readonly decisions_usd: number;
  readonly requests: number;
  readonly diff_usd: number | null;
  readonly ok: boolean;
}

/**
 * Ledger spend against decision-log cost per tenant and UTC day. The ledger
 * rounds each settle up to a nano-USD, so a difference within one nano per
 * request (and at least 1e-6 USD) is not a difference.
 */
export function reconcileBudgets(
  balances: readonly LevelBalance[],
  decisions: readonly DecisionCost[]
): { rows: ReconcileRow[]; differences: ReconcileRow[] } {
  const logged = new Map<string, { usd: number; n: number }>();
  for (const d of decisions) {
    const k = `${d.tenant}|${d.ts.slice(0, 10)}`;
    const e = logged.get(k) ?? { usd: 0, n: 0 };
    e.usd += d.cost_usd;
    e.n++;
    logged.set(k, e);
  }
  const ledger = new Map<string, number>();
  for (const b of balances) {
    if (b.level.scope !== 'tenant' || b.level.period !== 'day') continue;
    ledger.set(`${b.level.tenant}|${b.level.periodKey}`, toUsd(b.spentNanos));
  }
  const rows: ReconcileRow[] = [];
  for (const k of new Set([...logged.keys(), ...ledger.keys()])) {
    const [tenant, day] = k.split('|') as [string, string];
    const log = logged.get(k) ?? { usd: 0, n: 0 };
    const led = ledger.get(k);
    const diff = led === undefined ? null : round(led - log.usd);
    const tolerance = Math.max(1e-6, 1e-9 * (log.n + 1));
    rows.push({
      tenant,
      day,
      ledger_usd: led === undefined ? null : round(led),
      decisions_usd: round(log.usd),
      requests: log.n,
      diff_usd: diff,
      ok: diff === null || Math.abs(diff) <= tolerance,
    });
  }
  rows.sort(
    (a, b) => b.day.localeCompare(a.day) || a.tenant.localeCompare(b.tenant)
  );
  return { rows, differences: rows.filter((r) => !r.ok) };
}

/** Reconcile as text: differences first, then a summary line. */
export function formatReconcile(r: {
  rows: readonly ReconcileRow[];
  differences: readonly ReconcileRow[];
}): string {
  const line = (x: ReconcileRow): string =>
    `${x.day}  ${x.tenant.padEnd(16)} ledger ${x.ledger_usd === null ? 'n/a (no daily cap)' : x.ledger_usd.toFixed(6)}  decisions ${x.decisions_usd.toFixed(6)} (${x.requests} requests)${x.diff_usd === null ? '' : `  diff ${x.diff_usd >= 0 ? '+' : ''}${x.diff_usd.toFixed(6)}`}`;
  const out = [
    r.differences.length === 0
      ? `ledger and decision log agree (${r.rows.length} tenant-days)`
      : `${r.differences.length} difference(s):`,
    ...r.differences.map(line),
  ];
  if (r.differences.length > 0 || r.rows.length <= 20)
    out.push('all tenant-days:', ...r.rows.map(line));
  return out.join('\n');
}

function round(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

/** `ops budget report | reconcile`; returns the exit code (1 when reconcile finds differences). */
export async function runBudgetCommand(
  sub: string,
  backend: OpsBackend,
  print: (human: string, machine: unknown) => void,
  options: { tenant?: string; decisions?: string }
): Promise<number> {
  if (!backend.budgetBalances)
    throw new OpsError('this backend has no budget ledger');
  if (sub === 'reconcile' && !options.decisions)
    throw new OpsError(
      '--decisions <export.jsonl> is required (a decision log export, e.g. GATEWAY_DECISION_LOG)'
    );
  const balances = await backend.budgetBalances(options.tenant);
  if (sub === 'report') {
    const rows = budgetReport(balances);
    print(formatBudgetReport(rows), rows);
    return 0;
  }
  const decisions = readDecisionsJsonl(options.decisions!).filter(
    (d) => options.tenant === undefined || d.tenant === options.tenant
  );
  const result = reconcileBudgets(balances, decisions);
  print(formatReconcile(result), result);
  return result.differences.length === 0 ? 0 : 1;
}
