/**
 * The router's memory under a Lambda-like load: the built bundle
 * (dist/router/index.mjs, the esbuild settings of the deployed function) runs
 * in a child process that, like one Lambda execution environment, serves one
 * request at a time: N streamed chat completions through the real handler
 * with its AWS composition, against DynamoDB Local (every table bound, a
 * tenant with budgets and limits), a loopback SSM / Secrets Manager /
 * EventBridge fake, and the loopback OpenAI fake. Reports the peak RSS
 * (`process.resourceUsage().maxRSS` and sampled `memoryUsage().rss`) and the
 * log bytes the function writes per request (what CloudWatch Logs ingests).
 * README "Cost per request" turns these into the memory size and a price.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { buildRouterBundle } from '../scripts/build-router';
import {
  createGatewayTable,
  type DynamoDbLocal,
  LOCAL_AWS,
  startDynamoDbLocal,
} from '../test/helpers/dynamodb-local';
import { startFakeOpenAI } from '../test/helpers/fakes/openai-fake';
import {
  LLAMA_MAVERICK,
  seedRouterTables,
} from '../test/helpers/router-tables';

const CLIENT_KEY = 'sk-gw-lambda-cost-bench-key-0001';
const UPSTREAM_KEY = 'lambda-cost-upstream-key';

/** What {@link benchLambdaMemory} reports. */
export interface LambdaMemoryFigures {
  readonly node: string;
  readonly requests: number;
  /** Requests that ended in 200 with `[DONE]`. */
  readonly ok: number;
  /** RSS after the module loaded (the Lambda init phase), MiB. */
  readonly rssAfterInitMiB: number;
  /** Highest sampled `memoryUsage().rss`, MiB. */
  readonly peakRssMiB: number;
  /** `process.resourceUsage().maxRSS` at the end (kernel high-water mark), MiB. */
  readonly maxRssMiB: number;
  /** RSS after the last request, MiB (growth over init = retained caches). */
  readonly rssAtEndMiB: number;
  /** Heap used at the end, MiB. */
  readonly heapUsedAtEndMiB: number;
  /** Bytes the function wrote to stdout+stderr per warm request (EMF + logs). */
  readonly logBytesPerRequest: number;
  /** Lines per warm request. */
  readonly logLinesPerRequest: number;
  /** Mean wall time per request, ms (loopback; not a latency figure). */
  readonly meanRequestMs: number;
  /**
   * CPU time (user + system) per warm request, ms, on this machine's core:
   * the work that Lambda's memory-proportional CPU share stretches.
   */
  readonly cpuMsPerRequest: number;
  /** The part of it spent before the first byte reached the response stream, ms. */
  readonly cpuBeforeFirstByteMs: number;
}

// One execution environment: sequential invocations, rss sampled around
// each one and every 5 ms while it runs (a stream's buffers live mid-request).
const DRIVER = `
import { Writable } from 'node:stream';
const mib = (b) => Math.round((b / 1048576) * 10) / 10;
const { handler } = await import(process.env.LAMBDA_COST_BUNDLE);
let peak = process.memoryUsage().rss;
const afterInit = peak;
const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
let ttfbCpuUs = 0;
class Sink extends Writable {
  text = '';
  cpu0 = process.cpuUsage();
  setContentType() {}
  _write(c, _e, cb) {
    if (this.text === '') {
      const d = process.cpuUsage(this.cpu0);
      ttfbCpuUs += d.user + d.system;
    }
    this.text += c.toString();
    cb();
  }
}
const n = Number(process.env.LAMBDA_COST_REQUESTS);
const prompt = 'Summarise the cost of a streamed request. '.repeat(40);
let ok = 0;
const started = performance.now();
let cpuStart = process.cpuUsage();
for (let i = 0; i < n; i++) {
  if (i === 1) {
    process.stdout.write('\\nLAMBDA_COST_WARM\\n');
    cpuStart = process.cpuUsage();
    ttfbCpuUs = 0;
  }
  const sink = new Sink();
  await handler({
    resource: '/v1/chat/completions', path: '/v1/chat/completions', httpMethod: 'POST',
    headers: { Authorization: 'Bearer ${CLIENT_KEY}', 'Content-Type': 'application/json' },
    multiValueHeaders: {}, queryStringParameters: null, multiValueQueryStringParameters: null,
    pathParameters: null, stageVariables: null, isBase64Encoded: false,
    requestContext: { requestId: 'req-' + i, identity: { sourceIp: '127.0.0.1' } },
    body: JSON.stringify({ model: 'llama-maverick', stream: true, user: 'u' + (i % 50),
      messages: [{ role: 'user', content: prompt + i }] }),
  }, sink, {});
  if (sink.text.endsWith('data: [DONE]\\n\\n')) ok++;
  peak = Math.max(peak, process.memoryUsage().rss);
}
const elapsed = performance.now() - started;
const cpu = process.cpuUsage(cpuStart);
clearInterval(timer);
process.stdout.write('\\nLAMBDA_COST_END\\n');
const m = process.memoryUsage();
process.stderr.write('LAMBDA_COST_RESULT ' + JSON.stringify({
  node: process.version, requests: n, ok,
  rssAfterInitMiB: mib(afterInit), peakRssMiB: mib(peak),
  maxRssMiB: mib(process.resourceUsage().maxRSS * 1024),
  rssAtEndMiB: mib(m.rss), heapUsedAtEndMiB: mib(m.heapUsed),
  meanRequestMs: Math.round((elapsed / n) * 100) / 100,
  cpuBeforeFirstByteMs: Math.round((ttfbCpuUs / 1000 / Math.max(1, n - 1)) * 100) / 100,
  cpuMsPerRequest: Math.round(((cpu.user + cpu.system) / 1000 / Math.max(1, n - 1)) * 100) / 100,
}) + '\\n');
process.exit(0);
`;

/** SSM, Secrets Manager and EventBridge on loopback (AWS JSON 1.1 protocol). */
function startAwsControlFake(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    req.resume();
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.1',
        });
        res.end(JSON.stringify(body));
      };
      if (target.endsWith('GetParametersByPath'))
        return send(200, { Parameters: [] });
      if (target.endsWith('GetParameter'))
        return send(400, { __type: 'ParameterNotFound', message: 'none' });
      if (target.endsWith('GetSecretValue'))
        return send(200, {
          ARN: 'arn:aws:secretsmanager:eu-central-1:111122223333:secret:llama',
          Name: 'llama',
          SecretString: JSON.stringify({ apiKey: UPSTREAM_KEY }),
        });
      if (target.endsWith('PutEvents'))
        return send(200, { Entries: [], FailedEntryCount: 0 });
      send(400, { __type: 'UnknownOperationException', message: target });
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({ url: `http://127.0.0.1:${port}`, server });
    })
  );
}

/**
 * Runs `requests` streamed completions one at a time through the built
 * router bundle in a fresh Node process and reports its memory and log
 * volume. `node` picks the binary (e.g. Node 22, the Lambda runtime).
 */
export async function benchLambdaMemory(
  requests = 1000,
  node: string = process.execPath
): Promise<LambdaMemoryFigures> {
  const bundle = await buildRouterBundle();
  const driver = join(bundle.outfile, '..', 'lambda-cost-driver.mjs');
  writeFileSync(driver, DRIVER);
  let ddb: DynamoDbLocal | undefined;
  const fake = await startFakeOpenAI({ apiKey: UPSTREAM_KEY, record: false });
  fake.setBehavior({ chunkSize: 24 });
  const control = await startAwsControlFake();
  try {
    ddb = await startDynamoDbLocal();
    const endpoint = ddb.endpoint;
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
    const raw = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
    const stamp = Date.now();
    const [registry, tenants, usage, cache, decisions] = await Promise.all(
      ['registry', 'tenants', 'usage', 'cache', 'decisions'].map((t) =>
        createGatewayTable(raw, `cost-${t}-${stamp}`, { cache: t === 'cache' })
      )
    );
    const doc = DynamoDBDocumentClient.from(raw);
    await seedRouterTables(
      doc,
      { registry: registry!, tenants: tenants! },
      {
        models: [LLAMA_MAVERICK],
        tenant: {
          id: 'acme',
          tier: 'standard',
          budgets: { dailyUsd: 1000, monthlyUsd: 10_000 },
          limits: { requestsPerMinute: 100_000, tokensPerDay: 100_000_000 },
        },
        clientKey: CLIENT_KEY,
        createdBy: 'bench',
      }
    );
    raw.destroy();

    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_ENDPOINT_URL_SSM: control.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: control.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: control.url,
      AWS_EC2_METADATA_DISABLED: 'true',
      // What the deployed function gets (lib/orchestration-stack.ts).
      GATEWAY_ENV: 'dev',
      GATEWAY_EU_ONLY: 'false',
      GATEWAY_CONFIG_JSON: JSON.stringify({
        providers: { llama: { type: 'openai-compatible', baseUrl: fake.url } },
      }),
      MODEL_REGISTRY_TABLE: registry,
      TENANTS_TABLE: tenants,
      USAGE_TABLE: usage,
      CACHE_TABLE: cache,
      DECISIONS_TABLE: decisions,
      ROUTE_SET_PARAM: '/ai/routing/dev/active-models',
      KILL_SWITCH_PREFIX: '/ai/kill-switches/dev',
      PROVIDER_SECRET_ARN_LLAMA:
        'arn:aws:secretsmanager:eu-central-1:111122223333:secret:llama',
      POWERTOOLS_SERVICE_NAME: 'ai-gateway-router',
      POWERTOOLS_METRICS_NAMESPACE: 'AiGateway',
      LOG_LEVEL: 'INFO',
      LAMBDA_COST_BUNDLE: bundle.outfile,
      LAMBDA_COST_REQUESTS: String(requests),
    };
    return await new Promise<LambdaMemoryFigures>((resolve, reject) => {
      const child = spawn(node, ['--import', bundle.shimPath, driver], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.once('error', reject);
      child.once('exit', (code) => {
        const line = /LAMBDA_COST_RESULT (.+)/.exec(stderr)?.[1];
        if (code !== 0 || !line) {
          reject(
            new Error(
              `lambda-cost driver exited ${code}: ${stderr.slice(-2000)}`
            )
          );
          return;
        }
        const result = JSON.parse(line);
        // Logs of the warm requests: between the markers, stdout and the
        // stderr lines that are not the result.
        const warm =
          stdout
            .split('\nLAMBDA_COST_WARM\n')[1]
            ?.split('\nLAMBDA_COST_END\n')[0] ?? '';
        // Minus the one-off SDK notice about Node 20 (not a request's log).
        const errLogs = stderr
          .replace(/LAMBDA_COST_RESULT .+\n?/, '')
          .replace(
            /\(node:\d+\) Warning: NodeVersionSupportWarning[\s\S]*?trace-warnings[^\n]*\n/,
            ''
          );
        const text = warm + errLogs;
        const lines = text.split('\n').filter((l) => l.trim() !== '').length;
        const warmRequests = Math.max(1, requests - 1);
        resolve({
          ...result,
          logBytesPerRequest: Math.round(
            Buffer.byteLength(text) / warmRequests
          ),
          logLinesPerRequest: Math.round((lines / warmRequests) * 100) / 100,
        });
      });
    });
  } finally {
    await ddb?.stop();
    await fake.close();
    await new Promise((r) => control.server.close(r));
  }
}

if (require.main === module) {
  void benchLambdaMemory(Number(process.env.REQUESTS ?? 1000)).then((f) =>
    process.stdout.write(`${JSON.stringify(f, null, 2)}\n`)
  );
}
