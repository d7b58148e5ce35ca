/**
 * `npm run bench`: gateway overhead measured against a direct call, in one
 * run, on the same loopback fake upstream. Prints a table and writes
 * bench/results/latest.json (+ a dated copy). Figures, not assertions.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { benchBanditSimulation } from './bandit-sim';
import { benchBudgetLatency } from './budget-latency';
import { simulateBudget } from './budget-sim';
import { benchCacheHit } from './cache-bench';
import { canaryFigures } from './canary-sim';
import { benchColdStart } from './cold-start';
import { benchEmbeddings } from './embeddings-bench';
import { benchInProcess } from './inprocess-bench';
import { benchInProcessBundled } from './inprocess-bundled';
import { benchLambdaMemory } from './lambda-cost';
import {
  benchFailoverLatency,
  benchKillSwitchPropagation,
} from './resilience-bench';
import { benchRoutingDecision } from './routing-bench';
import { benchSchemaValidation } from './schema-validation-bench';
import { BENCH_KEY, benchRequestBody, UPSTREAM_KEY } from './workload';

const ROOT = join(__dirname, '..');
const QUICK = process.env.BENCH_QUICK === '1';
/**
 * BENCH_ONLY=wire: only the latency comparisons at c=1 and c=10 and the
 * c=10 throughput against the floor proxy, printed, nothing written (a
 * quick loop for per-request work; `npm run bench` runs everything).
 */
const ONLY = process.env.BENCH_ONLY;

interface Target {
  readonly name: string;
  readonly url: string;
  readonly path: string;
  readonly key: string;
}

function startChild(
  args: string[]
): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'children.ts'), ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, LOG_LEVEL: 'ERROR' },
    }
  );
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, proc });
    });
    proc.once('exit', (code) =>
      reject(new Error(`child ${args[0]} exited with ${code}`))
    );
  });
}

/** One request; resolves with ns to the full body, or to the first content byte (ttft). */
function once(
  agent: Agent,
  t: Target,
  payload: string,
  untilFirstContent: boolean
): Promise<number> {
  const u = new URL(t.url);
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = request(
      {
        agent,
        host: u.hostname,
        port: u.port,
        method: 'POST',
        path: t.path,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          authorization: `Bearer ${t.key}`,
        },
      },
      (res) => {
        let seen = false;
        let text = '';
        res.on('data', (c: Buffer) => {
          if (untilFirstContent && !seen) {
            text += c.toString();
            if (text.includes('"content":"') && /"content":"[^"]/.test(text)) {
              seen = true;
              resolve(Number(process.hrtime.bigint() - start));
            }
          }
        });
        res.on('end', () => {
          if (res.statusCode !== 200)
            reject(new Error(`${t.name}: HTTP ${res.statusCode}`));
          else if (!untilFirstContent)
            resolve(Number(process.hrtime.bigint() - start));
          else if (!seen) reject(new Error(`${t.name}: no content`));
        });
      }
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Closed-loop load: `concurrency` workers issue `n` requests in total. */
async function measure(
  t: Target,
  n: number,
  concurrency: number,
  stream: boolean,
  ttft = false
): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const payload = benchRequestBody(stream);
  const samples: number[] = [];
  let left = n;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) samples.push(await once(agent, t, payload, ttft));
    })
  );
  agent.destroy();
  return samples;
}

function pct(sorted: number[], p: number): number {
  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ]!;
}

interface LatencySummary {
  p50Ms: number;
  p99Ms: number;
}

function summarise(ns: number[]): LatencySummary {
  const s = [...ns].sort((a, b) => a - b);
  return { p50Ms: pct(s, 50) / 1e6, p99Ms: pct(s, 99) / 1e6 };
}

/** One latency comparison: direct vs the floor proxy vs the gateway. */
interface Comparison {
  direct: LatencySummary;
  floor: LatencySummary;
  gateway: LatencySummary;
  /** Gateway minus direct. */
  addedP50Ms: number;
  addedP99Ms: number;
  /** Floor proxy minus direct: the extra hop itself on this machine. */
  floorAddedP50Ms: number;
  floorAddedP99Ms: number;
  /** Gateway minus floor proxy: the gateway's own logic. */
  overFloorP50Ms: number;
  overFloorP99Ms: number;
}

/**
 * Interleaves direct, floor and gateway rounds so drift (GC, thermal, the
 * other processes) hits all three equally.
 */
async function compare(
  direct: Target,
  floor: Target,
  gateway: Target,
  total: number,
  concurrency: number,
  stream: boolean,
  ttft: boolean
): Promise<Comparison> {
  const rounds = 5;
  const per = Math.ceil(total / rounds);
  const d: number[] = [];
  const f: number[] = [];
  const g: number[] = [];
  const warm = Math.min(500, per);
  await measure(direct, warm, concurrency, stream, ttft);
  await measure(floor, warm, concurrency, stream, ttft);
  await measure(gateway, warm, concurrency, stream, ttft);
  for (let r = 0; r < rounds; r++) {
    d.push(...(await measure(direct, per, concurrency, stream, ttft)));
    f.push(...(await measure(floor, per, concurrency, stream, ttft)));
    g.push(...(await measure(gateway, per, concurrency, stream, ttft)));
  }
  const ds = summarise(d);
  const fs = summarise(f);
  const gs = summarise(g);
  return {
    direct: ds,
    floor: fs,
    gateway: gs,
    addedP50Ms: gs.p50Ms - ds.p50Ms,
    addedP99Ms: gs.p99Ms - ds.p99Ms,
    floorAddedP50Ms: fs.p50Ms - ds.p50Ms,
    floorAddedP99Ms: fs.p99Ms - ds.p99Ms,
    overFloorP50Ms: gs.p50Ms - fs.p50Ms,
    overFloorP99Ms: gs.p99Ms - fs.p99Ms,
  };
}

async function throughput(
  t: Target,
  seconds: number,
  connections: number
): Promise<number> {
  const result = await autocannon({
    url: `${t.url}${t.path}`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${t.key}`,
    },
    body: benchRequestBody(false),
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${t.name}: ${result.non2xx} non-2xx, ${result.errors} errors under load`
    );
  }
  return result.requests.average;
}

/** Req/s of the floor proxy and the gateway at `connections`, interleaved twice. */
async function throughputVsFloor(
  floor: Target,
  gateway: Target,
  seconds: number,
  connections: number
): Promise<{
  floor: number;
  gateway: number;
  ratio: number;
  connections: number;
}> {
  let f = 0;
  let g = 0;
  for (let r = 0; r < 2; r++) {
    f += await throughput(floor, seconds / 2, connections);
    g += await throughput(gateway, seconds / 2, connections);
  }
  return {
    floor: Math.round(f / 2),
    gateway: Math.round(g / 2),
    ratio: Number((g / f).toFixed(3)),
    connections,
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const upstream = await startChild(['upstream']);
  const gateway = await startChild(['gateway', upstream.url]);
  const floorProxy = await startChild(['floor', upstream.url]);
  const direct: Target = {
    name: 'direct',
    url: upstream.url.replace(/\/v1$/, ''),
    path: '/v1/chat/completions',
    key: UPSTREAM_KEY,
  };
  const viaGateway: Target = {
    name: 'gateway',
    url: gateway.url,
    path: '/v1/chat/completions',
    key: BENCH_KEY,
  };
  const viaFloor: Target = {
    name: 'floor',
    url: floorProxy.url,
    path: '/v1/chat/completions',
    key: BENCH_KEY,
  };
  try {
    const n = QUICK ? 1000 : 5000;
    const c1 = await compare(direct, viaFloor, viaGateway, n, 1, false, false);
    const c10 = await compare(
      direct,
      viaFloor,
      viaGateway,
      n * 2,
      10,
      false,
      false
    );
    const c10Rps = await throughputVsFloor(
      viaFloor,
      viaGateway,
      QUICK ? 3 : 5,
      10
    );
    if (ONLY === 'wire') {
      const f = (x: number): string => x.toFixed(3);
      process.stdout.write(
        `c=1 p50: floor ${f(c1.floor.p50Ms)} gateway ${f(c1.gateway.p50Ms)} over floor ${f(c1.overFloorP50Ms)} ms\n` +
          `c=10 p50: floor ${f(c10.floor.p50Ms)} gateway ${f(c10.gateway.p50Ms)} over floor ${f(c10.overFloorP50Ms)} ms\n` +
          `c=10 rps: floor ${c10Rps.floor} gateway ${c10Rps.gateway} ratio ${c10Rps.ratio}\n`
      );
      return;
    }
    const ttft = await compare(
      direct,
      viaFloor,
      viaGateway,
      QUICK ? 500 : 2000,
      1,
      true,
      true
    );
    const seconds = QUICK ? 3 : 8;
    const rpsDirect = await throughput(direct, seconds, 50);
    const rpsGateway = await throughput(viaGateway, seconds, 50);
    const failover = await benchFailoverLatency(QUICK ? 100 : 300);
    const propagation = await benchKillSwitchPropagation(5000);
    const inProcess = await benchInProcess(QUICK ? 5_000 : 20_000);
    const inProcessBundled = await benchInProcessBundled(
      QUICK ? 5_000 : 20_000
    );
    const cache = await benchCacheHit(QUICK ? 1_000 : 5_000);
    const schemaCheck = await benchSchemaValidation(QUICK ? 500 : 2_000);
    const embeddings = await benchEmbeddings({ seconds: QUICK ? 2 : 5 });
    const routing = benchRoutingDecision({
      iterations: QUICK ? 20_000 : 100_000,
      candidates: 10,
    });
    const banditSim = await benchBanditSimulation({
      requests: QUICK ? 2_000 : 10_000,
    });
    const canary = await canaryFigures(QUICK ? 10 : 20);
    const budgetSim = await simulateBudget({ seconds: QUICK ? 4 : 10 });
    const budgetLatency = await benchBudgetLatency(QUICK ? 100 : 300);
    const cold = await benchColdStart(QUICK ? 7 : 15);
    const lambdaMemory = await benchLambdaMemory(QUICK ? 200 : 1000);
    const results = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      quick: QUICK,
      note: 'direct = same request straight to the loopback fake upstream; floor = through a bare node:http pass-through proxy (the extra hop alone); gateway = through the local gateway (auth, validation, routing, adapter, SSE) to that fake',
      latency_c1: c1,
      latency_c10: c10,
      ttft_stream_c1: ttft,
      throughput_c10_vs_floor_rps: {
        ...c10Rps,
        note: 'closed loop (autocannon), 10 connections, floor proxy and gateway alternated twice; target: gateway >= 50% of the floor',
      },
      throughput_rps: {
        direct: Math.round(rpsDirect),
        gateway: Math.round(rpsGateway),
        ratio: Number((rpsGateway / rpsDirect).toFixed(3)),
        connections: 50,
        gateway_cores: 1,
      },
      in_process_per_request_us: {
        ...inProcess,
        note: 'one request through the router with the upstream call answered in memory: no sockets, one macrotask per request (as from a socket); the stable figure of the gateway logic. allocKb = JS heap allocated per request, promotedKb = of it moved to the old generation by scavenges (V8 GC profiler); 1 KB = 1000 bytes',
      },
      in_process_bundled_per_request_us: {
        ...inProcessBundled,
        note: 'the same loop on the code as Lambda runs it: built by esbuild with the deployed router options (minified, no keepNames) and run by plain node in a child process; the figure above runs under tsx, whose keepNames adds a __name call per function',
      },
      cache_in_process_us: {
        ...cache,
        note: 'per request in process, upstream answered in memory: hit = lookup + replay (no provider call); miss = lookup + provider + capture + store; bypass = non-deterministic request',
      },
      routing_decision_us: routing,
      bandit_simulation: {
        ...banditSim,
        note: 'cumulative expected regret over requests (two contexts, four arms, quality shifting halfway) vs uniform random and the best fixed arm per context in hindsight; cold outlier = requests until Claude again serves >= 80% of 50 after one 1.5 s first call (README "Learning")',
      },
      canary_rollout: canary,
      budget_reserve_latency: budgetLatency,
      budget_at_scale: {
        ...budgetSim,
        note: 'virtual time, no DynamoDB: write attempts per second on the tenant budget item, per-request reservations vs leased slices; overspend and leak must be 0',
      },
      embeddings_rps: {
        ...embeddings,
        note: 'POST /v1/embeddings (4 texts, 256 dims, base64) through the local gateway with x-gateway-cache: no-cache vs straight to the loopback OpenAI-compatible fake; cached = every request a cache hit',
      },
      strict_schema_validation_us: {
        ...schemaCheck,
        note: 'added latency of response_format strict checking (JSON.parse + cached ajv validator) per KB of answer',
      },
      failover_before_first_token: failover,
      kill_switch_propagation: {
        ...propagation,
        note: 'ms from the kill-switch write to the last request the killed provider served; bound = maxAge (+ one store read)',
      },
      resilience_in_path:
        'circuit breakers, provider limits, retry budget and deadlines are on in every figure above',
      router_bundle: {
        bytes: cold.routerBytes,
        gzip_bytes: cold.routerGzipBytes,
        composition: cold.composition,
        reference_bytes: cold.referenceBytes,
        added_over_reference_bytes: cold.addedBytes,
        lazy_chunk_bytes: cold.routerLazyBytes,
        note: 'reference = a bundle of only the AWS clients the router must hold (Bedrock Runtime, DynamoDB + lib-dynamodb, SSM, Secrets Manager), same esbuild settings',
      },
      cold_load_ms: {
        by_node: cold.loads.map((l) => ({
          node: l.node,
          bare_node: l.bareMs,
          reference_bundle: l.referenceMs,
          router_bundle: l.routerMs,
          added_over_reference: l.addedOverReferenceMs,
          router_warm_compile_cache: l.routerWarmCompileCacheMs,
          cpu_ms: l.cpuMs,
          added_cpu_over_reference: l.addedCpuOverReferenceMs,
        })),
      },
      lambda_memory: {
        ...lambdaMemory,
        note: 'built router bundle, one request at a time in one process (a Lambda environment), streamed completions on DynamoDB Local with budgets and limits on; README "Cost per request" derives the memory size and the price',
      },
      targets: {
        added_p50_ms_c1: 0.3,
        added_p99_ms_c1: 2,
        gateway_rps_one_core: 3500,
        decision_p99_us: 50,
        bundle_added_over_reference_bytes: 120_000,
        cold_load_added_over_reference_ms: 10,
        in_process_cpu_us: 60,
        in_process_alloc_kb: 40,
        over_floor_p50_ms_c1: 0.15,
        c10_rps_ratio_to_floor: 0.5,
      },
      duration_s: Math.round((Date.now() - started) / 1000),
    };
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    const text = `${JSON.stringify(results, null, 2)}\n`;
    writeFileSync(join(ROOT, 'bench/results/latest.json'), text);
    writeFileSync(
      join(ROOT, `bench/results/${results.date.slice(0, 10)}.json`),
      text
    );
    const f = (x: number): string => x.toFixed(3);
    const rows = [
      [
        'added latency p50, c=1 (ms)',
        f(c1.addedP50Ms),
        `direct ${f(c1.direct.p50Ms)} / gateway ${f(c1.gateway.p50Ms)}`,
        '<= 0.3',
      ],
      [
        'added latency p99, c=1 (ms)',
        f(c1.addedP99Ms),
        `direct ${f(c1.direct.p99Ms)} / gateway ${f(c1.gateway.p99Ms)}`,
        '<= 2',
      ],
      [
        '  of which the hop (floor proxy), p50/p99',
        `${f(c1.floorAddedP50Ms)}/${f(c1.floorAddedP99Ms)}`,
        `floor ${f(c1.floor.p50Ms)} / ${f(c1.floor.p99Ms)}`,
        '',
      ],
      [
        '  gateway over the floor, p50/p99',
        `${f(c1.overFloorP50Ms)}/${f(c1.overFloorP99Ms)}`,
        'the gateway logic on the wire',
        '<= 0.15 (p50)',
      ],
      [
        'added latency p50, c=10 (ms)',
        f(c10.addedP50Ms),
        `direct ${f(c10.direct.p50Ms)} / gateway ${f(c10.gateway.p50Ms)}`,
        '',
      ],
      [
        'added latency p99, c=10 (ms)',
        f(c10.addedP99Ms),
        `direct ${f(c10.direct.p99Ms)} / gateway ${f(c10.gateway.p99Ms)}`,
        '',
      ],
      [
        'added TTFT p50, stream (ms)',
        f(ttft.addedP50Ms),
        `direct ${f(ttft.direct.p50Ms)} / gateway ${f(ttft.gateway.p50Ms)}`,
        '',
      ],
      [
        'throughput, 0 ms upstream (req/s)',
        String(Math.round(rpsGateway)),
        `direct ${Math.round(rpsDirect)} (ratio ${results.throughput_rps.ratio})`,
        '>= 3500',
      ],
      [
        'in-process CPU per request (us)',
        inProcess.cpuUs.toFixed(1),
        `wall ${inProcess.wallUs.toFixed(1)}, no sockets`,
        '<= 60',
      ],
      [
        'in-process heap per request (KB)',
        inProcess.allocKb.toFixed(1),
        `promoted ${inProcess.promotedKb.toFixed(2)} KB`,
        '<= 40',
      ],
      [
        'in-process, esbuild-built as deployed (us / KB)',
        inProcessBundled.cpuUs.toFixed(1),
        `${inProcessBundled.allocKb.toFixed(1)} KB, promoted ${inProcessBundled.promotedKb.toFixed(2)} KB`,
        '',
      ],
      [
        'throughput c=10 vs floor proxy (req/s)',
        String(c10Rps.gateway),
        `floor ${c10Rps.floor} (ratio ${c10Rps.ratio})`,
        '>= 50%',
      ],
      [
        'cache hit / miss p50, in process (us)',
        `${cache.hit.p50Us}/${cache.miss.p50Us}`,
        `bypass ${cache.bypass.p50Us}; hit p99 ${cache.hit.p99Us}`,
        '',
      ],
      [
        'embeddings rps (gateway / direct)',
        String(embeddings.gatewayRps),
        `direct ${embeddings.directRps} (ratio ${embeddings.ratio}); cached ${embeddings.gatewayCachedRps}`,
        '',
      ],
      [
        'strict schema check per KB (us)',
        schemaCheck.usPerKb.toFixed(1),
        `64 KB p50 ${schemaCheck.sizes.at(-1)?.p50Us}; compile ${Math.round(schemaCheck.compileUs)}`,
        '',
      ],
      [
        'routing decision p99, 10 cand. (us)',
        routing.p99Us.toFixed(1),
        `p50 ${routing.p50Us.toFixed(1)}`,
        '<= 50',
      ],
      [
        `bandit regret, ${banditSim.requests} req.`,
        String(Math.round(banditSim.regret.bandit)),
        `uniform ${Math.round(banditSim.regret.uniform)}, best fixed ${Math.round(banditSim.regret.bestFixed)}; cold outlier: recovered in <= ${banditSim.coldOutlier.worstRecoveryRequests ?? 'never'} req.`,
        '< uniform',
      ],
      [
        'canary regression detected + rolled back (req)',
        String(canary.regressed.medianRequests),
        `max ${canary.regressed.maxRequests}; ${canary.regressed.withinGoal}/${canary.regressed.runs} <= 500; false ${canary.equal.falseRollbacks}/${canary.equal.runs}`,
        '<= 500',
      ],
      [
        'router bundle over reference (bytes)',
        String(cold.addedBytes),
        `router ${cold.routerBytes} loaded cold (+${cold.routerLazyBytes} in lazy chunks) / reference ${cold.referenceBytes}; ${Object.entries(
          cold.composition
        )
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k} ${Math.round(v / 1000)}K`)
          .join(', ')}`,
        '<= +120000',
      ],
      ...cold.loads.map((l) => [
        `cold load over reference, ${l.node} (ms)`,
        l.addedOverReferenceMs.toFixed(1),
        `bare ${l.bareMs.toFixed(1)} / reference ${l.referenceMs.toFixed(1)} / router ${l.routerMs.toFixed(1)}; CPU +${l.addedCpuOverReferenceMs.toFixed(1)}${l.routerWarmCompileCacheMs === undefined ? '' : ` (warm compile cache ${l.routerWarmCompileCacheMs.toFixed(1)})`}`,
        '<= +10',
      ]),
      [
        'router peak RSS, 1 req at a time (MiB)',
        lambdaMemory.maxRssMiB.toFixed(1),
        `${lambdaMemory.requests} streamed; init ${lambdaMemory.rssAfterInitMiB} / end ${lambdaMemory.rssAtEndMiB}; ${lambdaMemory.cpuMsPerRequest} ms CPU and ${lambdaMemory.logBytesPerRequest} log bytes per request`,
        '< memorySize/2',
      ],
      [
        'failover before first token, added p50 (ms)',
        failover.addedP50Ms.toFixed(3),
        `normal ${failover.normalP50Ms.toFixed(3)} / failover ${failover.failoverP50Ms.toFixed(3)}`,
        '',
      ],
      [
        'budget reserve p50, DynamoDB Local (ms)',
        String(
          budgetLatency.dynamodb_local?.['user+team+tenant (4 levels)']?.reserve
            .p50_ms ?? 'n/a'
        ),
        `1 round trip before first token; memory ${budgetLatency.memory['user+team+tenant (4 levels)']!.reserve.p50_ms} ms`,
        '',
      ],
      [
        'budget: 1,000 concurrent at the edge, overspend',
        `$${budgetLatency.edge_1000_concurrent?.dynamodb_local.overspend_usd ?? 'n/a'}`,
        `DynamoDB Local: served ${budgetLatency.edge_1000_concurrent?.dynamodb_local.served ?? '-'}, spent $${budgetLatency.edge_1000_concurrent?.dynamodb_local.spent_usd ?? '-'} of $1, leaked $${budgetLatency.edge_1000_concurrent?.dynamodb_local.leaked_reserved_usd ?? '-'}`,
        '0',
      ],
      [
        'budget item writes/s (5k rps, 50 containers)',
        String(budgetSim.leasing.hottest_item_writes_per_s_max),
        `per-request ${budgetSim.per_request.hottest_item_writes_per_s_max}; overspend $${budgetSim.leasing.overspend_usd}/$${budgetSim.per_request.overspend_usd}`,
        '<= 1000',
      ],
      [
        'kill switch propagation (ms)',
        String(propagation.propagationMs),
        `maxAge ${propagation.maxAgeMs}`,
        '<= 5000',
      ],
    ];
    const w = [42, 12, 44];
    process.stdout.write(
      `\nGateway benchmark (${results.date}, node ${process.version}, ${cpus().length} cpus${QUICK ? ', QUICK' : ''})\n`
    );
    for (const r of rows) {
      process.stdout.write(
        `${r[0]!.padEnd(w[0]!)} ${r[1]!.padStart(w[1]!)}   ${r[2]!.padEnd(w[2]!)} ${r[3]}\n`
      );
    }
    process.stdout.write('\nwritten to bench/results/latest.json\n');
  } finally {
    upstream.proc.kill();
    gateway.proc.kill();
    floorProxy.proc.kill();
  }
}

void main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
