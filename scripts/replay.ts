/**
 * `npm run replay -- --log <decisions.jsonl> --policy <policy.json> [--json]`:
 * offline evaluation of a routing policy on the decision log (IPS and doubly
 * robust estimates with 95% intervals, effective sample size, warnings).
 * The policy file format and the JSON output are public contracts
 * (shared/ARCHITECTURE.md "Offline replay").
 *
 * Options: --min-propensity <p> (warning threshold, default 0.01).
 * Exit codes: 0 ok, 1 unreadable input or no usable record, 2 usage.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import {
  parseDecisionLines,
  type ReplayResult,
  replay,
  replayPolicySchema,
} from '../lambdas/core/experiments/replay';

const USAGE = `usage: npm run replay -- --log <decisions.jsonl> --policy <policy.json> [--json]
  --log <file>             decision log export (JSONL, one decision per line)
  --policy <file>          {"contexts": {"domain|tier|tools": {"model": p}}, "default": {...}}
  --min-propensity <p>     warn below this logged propensity (default 0.01)
  --json                   machine-readable output`;

/** Where the CLI writes (tests capture it). */
export interface ReplayIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
}

async function readLines(path: string): Promise<string[]> {
  // Streamed: a decision export can be far larger than one string may be.
  const lines: string[] = [];
  const rl = createInterface({
    input: createReadStream(path, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of rl) lines.push(line);
  return lines;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : String(x);
}

/** Human-readable report. */
export function formatReplay(result: ReplayResult): string[] {
  return [
    `records  ${result.n}`,
    `IPS      ${fmt(result.ips.value)}  95% CI [${fmt(result.ips.ci95[0])}, ${fmt(result.ips.ci95[1])}]`,
    `DR       ${fmt(result.dr.value)}  95% CI [${fmt(result.dr.ci95[0])}, ${fmt(result.dr.ci95[1])}]`,
    `ESS      ${result.ess.toFixed(1)}`,
    ...result.warnings.map((w) => `warning: ${w}`),
  ];
}

/** Runs the CLI; resolves to the exit code. */
export async function main(
  argv: readonly string[],
  io: Partial<ReplayIo> = {}
): Promise<number> {
  const out: ReplayIo = {
    stdout: io.stdout ?? ((l) => process.stdout.write(`${l}\n`)),
    stderr: io.stderr ?? ((l) => process.stderr.write(`${l}\n`)),
  };
  let args: ReturnType<typeof parseCli>;
  try {
    args = parseCli(argv);
  } catch (err) {
    out.stderr(`error: ${(err as Error).message}`);
    out.stderr(USAGE);
    return 2;
  }
  const { log, policy, json, help } = args.values;
  if (help) {
    out.stdout(USAGE);
    return 0;
  }
  const minPropensity =
    args.values['min-propensity'] === undefined
      ? undefined
      : Number(args.values['min-propensity']);
  if (
    !log ||
    !policy ||
    (minPropensity !== undefined && !(minPropensity > 0 && minPropensity <= 1))
  ) {
    out.stderr(
      !log || !policy
        ? 'error: --log and --policy are required'
        : 'error: --min-propensity must be in (0, 1]'
    );
    out.stderr(USAGE);
    return 2;
  }
  try {
    let policyJson: unknown;
    try {
      policyJson = JSON.parse(await readFile(policy, 'utf8'));
    } catch (err) {
      out.stderr(`error: policy ${policy}: ${(err as Error).message}`);
      return 1;
    }
    const parsed = replayPolicySchema.safeParse(policyJson);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      out.stderr(
        `error: policy ${policy}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`
      );
      return 1;
    }
    const { records, malformed } = parseDecisionLines(await readLines(log));
    const result = replay(records, parsed.data, {
      ...(minPropensity === undefined ? {} : { minPropensity }),
    });
    const final: ReplayResult =
      malformed > 0
        ? {
            ...result,
            warnings: [
              `${malformed} malformed line(s) skipped`,
              ...result.warnings,
            ],
          }
        : result;
    if (json) out.stdout(JSON.stringify(final));
    else for (const l of formatReplay(final)) out.stdout(l);
    return 0;
  } catch (err) {
    out.stderr(`error: ${(err as Error).message}`);
    return 1;
  }
}

function parseCli(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: false,
    strict: true,
    options: {
      log: { type: 'string' },
      policy: { type: 'string' },
      'min-propensity': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
