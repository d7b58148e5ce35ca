/**
 * `npm run ops -- <command>`: operate a gateway.
 *
 *   status
 *   kill-switch get <scope>
 *   kill-switch set <scope> on|off --reason <text> [--percent N] [--until ISO] [--yes]
 *   route-set activate <name> <version> --reason <text>
 *   route-set rollback <name> --reason <text>
 *   models promote|deprecate|canary <model-id> --reason <text>
 *   bandit reset [--context <domain|tier|tools>] --reason <text>
 *   audit [--limit N] [--target prefix]
 *   decisions export [--since ISO] [--until ISO] [--tenant id] [--out file]
 *   tenants put <id> [--tier low|standard|premium] [--allowed m1,m2] [--allowed-providers p1,p2]
 *               [--residency eu|any] [--default-domain d] [--rpm N] [--tpd N] [--max-tokens N]
 *               [--daily-usd N] [--monthly-usd N]   (AWS mode)
 *   tenants add-key <id>      prints a new API key once; only its SHA-256 is stored   (AWS mode)
 *   keys create <tenant> --reason <text>      a new random client key, printed once
 *   keys list <tenant>                        id, prefix, created, status (never the key)
 *   keys revoke <tenant> <key-id> --reason <text>   refused by every router within 5 s
 *   secrets stage <secret-id> reads the new provider key (prompt or stdin), stages it, rotates   (AWS mode)
 *
 * Target: `--url <gateway> --admin-key <key>` (or GATEWAY_URL / GATEWAY_ADMIN_KEY)
 * for a gateway's admin API, or `--env <dev|staging|prod>` to act on AWS
 * (SSM + DynamoDB) with your own credentials. `--json` for machine output.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import type { ModelStatus } from '../../lambdas/core/registry/types';
import { type OpsBackend, OpsError, type OpsStatus } from './backend';
import { runBudgetCommand } from './budget';
import { exportDecisions, jsonlFile } from './decisions';

/** Where output goes (tests capture it). */
export interface OpsIo {
  out(text: string): void;
  err(text: string): void;
  /** Asks a yes/no question; undefined when there is no terminal. */
  confirm?(question: string): Promise<boolean>;
  /** Reads a secret value (a prompt on a terminal, else stdin), never from argv. */
  readSecret?(question: string): Promise<string>;
}

/** Builds the backend from parsed options (injected so tests can point it anywhere). */
export type BackendFactory = (options: {
  url?: string;
  adminKey?: string;
  env?: string;
  region?: string;
}) => Promise<OpsBackend>;

const USAGE = `usage: npm run ops -- <command> [options]
  status
  kill-switch get <scope>
  kill-switch set <scope> on|off --reason <text> [--percent N] [--until ISO] [--yes]
  route-set activate <name> <version> --reason <text>
  route-set rollback <name> --reason <text>
  models promote|deprecate|canary <model-id> --reason <text>
  bandit reset [--context <key>] --reason <text>
  audit [--limit N] [--target <prefix>]
  decisions export [--since ISO] [--until ISO] [--tenant <id>] [--out <file.jsonl>]   (JSONL; stdout without --out)
  tenants put <id> [--tier t] [--allowed m1,m2] [--allowed-providers p1,p2] [--residency eu|any]
              [--default-domain d] [--rpm N] [--tpd N] [--max-tokens N] [--daily-usd N] [--monthly-usd N]   (--env only)
  tenants add-key <id>   (--env only; prints the new key once)
  keys create <tenant> --reason <text>   (prints the new key once)
  keys list <tenant>
  keys revoke <tenant> <key-id> --reason <text>
  secrets stage <secret-id>   (--env only; reads the new key from a prompt or stdin, starts the rotation)
  budget report [--tenant <id>]
  budget reconcile --decisions <export.jsonl> [--tenant <id>]   (ledger vs decision-log cost per tenant and day)
options: --url <gateway url> --admin-key <key> | --env <dev|staging|prod> [--region <r>]
         --route-set <name> (status; default active-models) --json`;

function formatStatus(s: OpsStatus): string {
  const lines: string[] = [];
  const engaged = Object.entries(s.killSwitches).filter(
    ([, v]) => v.state === 'on'
  );
  lines.push(
    `kill switches: ${engaged.length === 0 ? 'none engaged' : `${engaged.length} engaged`}`
  );
  for (const [scope, v] of Object.entries(s.killSwitches)) {
    const extra = [
      v.percent !== undefined ? `${v.percent}%` : '',
      v.until ? `until ${v.until}` : '',
      v.reason ? `"${v.reason}"` : '',
      v.by ? `by ${v.by}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    lines.push(
      `  ${v.state === 'on' ? 'ON ' : 'off'} ${scope}${extra ? `  ${extra}` : ''}`
    );
  }
  if (s.routeSet) {
    const a = s.routeSet.active;
    lines.push(
      `route set ${s.routeSet.name}: ${a ? `v${a.version} active (${a.models.length === 0 ? 'all active models' : a.models.map((m) => m.id).join(', ')})` : 'not found'}${s.routeSet.latestVersion && a && s.routeSet.latestVersion !== a.version ? `, latest stored v${s.routeSet.latestVersion}` : ''}`
    );
  }
  lines.push(`models (${s.models.length}):`);
  for (const m of s.models)
    lines.push(
      `  ${m.id.padEnd(28)} v${String(m.version).padEnd(4)} ${m.status.padEnd(10)} ${m.provider}`
    );
  if (s.circuits) lines.push(`circuits: ${JSON.stringify(s.circuits)}`);
  return lines.join('\n');
}

/** Runs one CLI invocation; returns the exit code. Never throws. */
export async function runOps(
  argv: readonly string[],
  io: OpsIo,
  makeBackend: BackendFactory
): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        'admin-key': { type: 'string' },
        env: { type: 'string' },
        region: { type: 'string' },
        reason: { type: 'string' },
        percent: { type: 'string' },
        until: { type: 'string' },
        context: { type: 'string' },
        limit: { type: 'string' },
        target: { type: 'string' },
        since: { type: 'string' },
        tenant: { type: 'string' },
        out: { type: 'string' },
        'route-set': { type: 'string' },
        tier: { type: 'string' },
        allowed: { type: 'string' },
        'daily-usd': { type: 'string' },
        'monthly-usd': { type: 'string' },
        decisions: { type: 'string' },
        'allowed-providers': { type: 'string' },
        residency: { type: 'string' },
        'default-domain': { type: 'string' },
        rpm: { type: 'string' },
        tpd: { type: 'string' },
        'max-tokens': { type: 'string' },
        yes: { type: 'boolean', short: 'y' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const o = parsed.values as Record<string, string | boolean | undefined>;
  const [cmd, sub, ...rest] = parsed.positionals;
  if (o.help || !cmd) {
    io.out(USAGE);
    return cmd ? 0 : 2;
  }
  const asJson = o.json === true;
  const print = (human: string, machine: unknown): void =>
    io.out(asJson ? JSON.stringify(machine, null, 2) : human);
  const reason = typeof o.reason === 'string' ? o.reason.trim() : '';
  const needReason = (): string => {
    if (!reason)
      throw new OpsError('--reason "<why>" is required for every change');
    return reason;
  };
  try {
    const backend = await makeBackend({
      url: (o.url as string | undefined) ?? process.env.GATEWAY_URL,
      adminKey:
        (o['admin-key'] as string | undefined) ?? process.env.GATEWAY_ADMIN_KEY,
      env: o.env as string | undefined,
      region: o.region as string | undefined,
    });
    switch (`${cmd} ${sub ?? ''}`.trim()) {
      case 'status': {
        const s = await backend.status(
          (o['route-set'] as string | undefined) ?? 'active-models'
        );
        print(`${backend.describe}\n${formatStatus(s)}`, s);
        return 0;
      }
      case 'kill-switch get': {
        const scope = required(rest[0], 'scope');
        const v = await backend.getKillSwitch(scope);
        print(`${scope}: ${v.state}${v.reason ? ` ("${v.reason}")` : ''}`, {
          scope,
          ...v,
        });
        return 0;
      }
      case 'kill-switch set': {
        const scope = required(rest[0], 'scope');
        const state = required(rest[1], 'on|off');
        if (state !== 'on' && state !== 'off')
          throw new OpsError(`state must be on or off, got ${state}`);
        const why = needReason();
        const percent = o.percent === undefined ? undefined : Number(o.percent);
        if (
          percent !== undefined &&
          (!Number.isFinite(percent) || percent < 0 || percent > 100)
        ) {
          throw new OpsError(
            `--percent must be 0-100, got ${String(o.percent)}`
          );
        }
        if (scope === 'global' && state === 'on' && o.yes !== true) {
          const ok = io.confirm
            ? await io.confirm(
                `Engage the GLOBAL kill switch on ${backend.describe}? All traffic stops. [y/N] `
              )
            : undefined;
          if (ok !== true) {
            throw new OpsError(
              ok === undefined
                ? 'engaging the global kill switch needs --yes when there is no terminal'
                : 'aborted'
            );
          }
        }
        const v = await backend.setKillSwitch(scope, {
          state,
          reason: why,
          ...(percent !== undefined ? { percent } : {}),
          ...(typeof o.until === 'string' ? { until: o.until } : {}),
        });
        print(
          `${scope} is now ${v.state}${v.percent !== undefined ? ` (${v.percent}%)` : ''}; routers apply it within 5 s`,
          { scope, ...v }
        );
        return 0;
      }
      case 'route-set activate': {
        const name = required(rest[0], 'name');
        const version = Number(required(rest[1], 'version'));
        if (!Number.isInteger(version) || version < 1)
          throw new OpsError(
            `version must be a positive integer, got ${rest[1]}`
          );
        const doc = await backend.activateRouteSet(name, version, needReason());
        print(`route set ${name}: v${doc.version} is active`, doc);
        return 0;
      }
      case 'route-set rollback': {
        const name = required(rest[0], 'name');
        const doc = await backend.rollbackRouteSet(name, needReason());
        print(`route set ${name}: rolled back, v${doc.version} is active`, doc);
        return 0;
      }
      case 'models promote':
      case 'models deprecate':
      case 'models canary': {
        const id = required(rest[0], 'model-id');
        const status: ModelStatus =
          sub === 'promote'
            ? 'active'
            : sub === 'deprecate'
              ? 'deprecated'
              : 'canary';
        const v = await backend.setModelStatus(id, status, needReason());
        print(`model ${id}: v${v.version} is ${v.config.status}`, v);
        return 0;
      }
      case 'bandit reset': {
        await backend.resetBandit(
          needReason(),
          o.context as string | undefined
        );
        print(
          `bandit state reset (${(o.context as string | undefined) ?? 'all contexts'})`,
          { reset: o.context ?? 'all' }
        );
        return 0;
      }
      case 'audit': {
        const limit = o.limit === undefined ? 20 : Number(o.limit);
        const records = await backend.audit(
          limit,
          o.target as string | undefined
        );
        print(
          records
            .map(
              (r) =>
                `${r.at}  ${r.who}  ${r.what}  ${r.target}${r.reason ? `  "${r.reason}"` : ''}`
            )
            .join('\n') || 'no audit records',
          records
        );
        return 0;
      }
      case 'decisions export': {
        const filter = {
          since: o.since as string | undefined,
          until: o.until as string | undefined,
          tenant: o.tenant as string | undefined,
        };
        const out = o.out as string | undefined;
        if (!out) {
          // stdout carries the JSONL only; the count goes to stderr.
          const n = await exportDecisions(backend, filter, (l) => io.out(l));
          io.err(`exported ${n} decisions from ${backend.describe}`);
          return 0;
        }
        const file = jsonlFile(out);
        let n: number;
        try {
          n = await exportDecisions(backend, filter, (l) => file.write(l));
        } finally {
          await file.close();
        }
        print(`exported ${n} decisions to ${out}`, { exported: n, out });
        return 0;
      }
      case 'tenants put': {
        const id = required(rest[0], 'tenant-id');
        if (!backend.putTenant)
          throw new OpsError('tenants can only be managed in AWS mode (--env)');
        const tier = o.tier as string | undefined;
        if (
          tier !== undefined &&
          !['low', 'standard', 'premium'].includes(tier)
        ) {
          throw new OpsError(
            `--tier must be low, standard or premium, got ${tier}`
          );
        }
        const num = (name: string): number | undefined => {
          const v = o[name];
          if (v === undefined) return undefined;
          const n = Number(v);
          if (!Number.isFinite(n) || n < 0)
            throw new OpsError(
              `--${name} must be a non-negative number, got ${String(v)}`
            );
          return n;
        };
        const residency = o.residency as string | undefined;
        if (
          residency !== undefined &&
          residency !== 'eu' &&
          residency !== 'any'
        )
          throw new OpsError(`--residency must be eu or any, got ${residency}`);
        const int = (name: string): number | undefined => {
          const n = num(name);
          if (n !== undefined && (!Number.isInteger(n) || n < 1))
            throw new OpsError(
              `--${name} must be a positive integer, got ${n}`
            );
          return n;
        };
        const list = (name: string): string[] | undefined =>
          typeof o[name] === 'string'
            ? (o[name] as string)
                .split(',')
                .map((x) => x.trim())
                .filter(Boolean)
            : undefined;
        const allowedProviders = list('allowed-providers');
        const item = {
          ...(tier ? { tier: tier as 'low' | 'standard' | 'premium' } : {}),
          ...(allowedProviders ? { allowedProviders } : {}),
          ...(residency ? { region: residency as 'eu' | 'any' } : {}),
          ...(typeof o['default-domain'] === 'string'
            ? { defaultDomain: o['default-domain'] }
            : {}),
          limits: {
            requestsPerMinute: int('rpm'),
            tokensPerDay: int('tpd'),
            maxTokensPerRequest: int('max-tokens'),
          },
          ...(typeof o.allowed === 'string'
            ? {
                allowedModels: o.allowed
                  .split(',')
                  .map((x) => x.trim())
                  .filter(Boolean),
              }
            : {}),
          budgets: {
            dailyUsd: num('daily-usd'),
            monthlyUsd: num('monthly-usd'),
          },
          status: 'active' as const,
        };
        await backend.putTenant(id, item);
        print(`tenant ${id} written`, { id, ...item });
        return 0;
      }
      case 'tenants add-key': {
        const id = required(rest[0], 'tenant-id');
        if (!backend.addTenantKey)
          throw new OpsError('tenants can only be managed in AWS mode (--env)');
        const key = `sk-gw-${randomBytes(24).toString('base64url')}`;
        const hash = await backend.addTenantKey(id, key);
        print(
          `new API key for ${id} (shown once, store it now):\n${key}\nthe gateway keeps only its SHA-256 (${hash.slice(0, 12)}...)`,
          { tenant: id, apiKey: key, sha256: hash }
        );
        return 0;
      }
      case 'keys create': {
        const tenant = required(rest[0], 'tenant');
        const k = await backend.createKey(tenant, needReason());
        print(
          `new API key ${k.id} for ${tenant} (shown once, store it now):\n${k.key}\nthe gateway keeps only its SHA-256`,
          k
        );
        return 0;
      }
      case 'keys list': {
        const tenant = required(rest[0], 'tenant');
        const keys = await backend.listKeys(tenant);
        print(
          keys
            .map(
              (k) =>
                `${k.id.padEnd(22)} ${(k.prefix ? `${k.prefix}...` : '(config)').padEnd(14)} ${k.status.padEnd(8)} created ${k.created_at ?? '-'}${k.revoked_at ? `  revoked ${k.revoked_at}` : ''}`
            )
            .join('\n') || `no keys for ${tenant}`,
          keys
        );
        return 0;
      }
      case 'keys revoke': {
        const tenant = required(rest[0], 'tenant');
        const keyId = required(rest[1], 'key-id');
        const k = await backend.revokeKey(tenant, keyId, needReason());
        print(
          `key ${k.id} of ${tenant} is ${k.status}; every router refuses it within 5 s`,
          k
        );
        return 0;
      }
      case 'secrets stage': {
        const secretId = required(rest[0], 'secret-id');
        if (!backend.stageSecret)
          throw new OpsError('secrets can only be staged in AWS mode (--env)');
        if (!io.readSecret)
          throw new OpsError(
            'no way to read the key: pipe it on stdin or run on a terminal'
          );
        const value = (await io.readSecret(`new key for ${secretId}: `)).trim();
        if (!value) throw new OpsError('empty key: nothing staged');
        const result = await backend.stageSecret(secretId, value);
        print(
          `staged ${secretId} (version ${result.versionId}); rotation: ${result.rotation}. Check it with: aws secretsmanager describe-secret --secret-id ${secretId}`,
          { secretId, ...result }
        );
        return 0;
      }
      case 'budget report':
      case 'budget reconcile':
        return await runBudgetCommand(sub!, backend, print, {
          tenant: o.tenant as string | undefined,
          decisions: o.decisions as string | undefined,
        });
      default:
        io.err(
          `unknown command: ${[cmd, sub].filter(Boolean).join(' ')}\n${USAGE}`
        );
        return 2;
    }
  } catch (err) {
    if (err instanceof OpsError) {
      io.err(`error: ${err.message}`);
      return 1;
    }
    io.err(`error: ${(err as Error).name}: ${(err as Error).message}`);
    return 1;
  }
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new OpsError(`missing <${name}>`);
  return value;
}

/** Reads a secret: a prompt without echo on a terminal, else all of stdin. */
export function secretReader(): OpsIo['readSecret'] {
  return async (question) => {
    if (!process.stdin.isTTY) {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    }
    process.stderr.write(question);
    process.stdin.setRawMode(true);
    return new Promise((resolve) => {
      let value = '';
      const onData = (d: Buffer): void => {
        for (const ch of d.toString('utf8')) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') {
            process.stdin.setRawMode(false);
            process.stdin.off('data', onData);
            process.stdin.pause();
            process.stderr.write('\n');
            resolve(value);
            return;
          }
          if (ch === '\u0003') process.exit(130);
          value = ch === '\u007f' ? value.slice(0, -1) : value + ch;
        }
      };
      process.stdin.on('data', onData);
      process.stdin.resume();
    });
  };
}

/** A terminal confirmation prompt (undefined without a TTY). */
export function terminalConfirm(): OpsIo['confirm'] {
  if (!process.stdin.isTTY) return undefined;
  return async (question) => {
    const rl = createInterface({
      input: process.stdin,
      output: process.stderr,
    });
    try {
      return /^y(es)?$/i.test((await rl.question(question)).trim());
    } finally {
      rl.close();
    }
  };
}
