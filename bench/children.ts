/**
 * Child processes of the benchmark, so the upstream fake, the gateway and the
 * load generator each get their own event loop (and core, where there are two).
 *   tsx bench/children.ts upstream          -> prints READY <base url>
 *   tsx bench/children.ts gateway <baseUrl> -> prints READY <gateway url>
 *   tsx bench/children.ts floor <baseUrl>   -> prints READY <proxy url>
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLocalGateway } from '../local/gateway';
import { startFakeOpenAI } from '../test/helpers/fakes/openai-fake';
import { MemoryLog } from '../test/helpers/gateway';
import { benchGatewayConfig, UPSTREAM_KEY, UPSTREAM_KEY_ENV } from './workload';

async function main(): Promise<void> {
  const [role, upstreamUrl] = process.argv.slice(2);
  if (role === 'upstream') {
    const fake = await startFakeOpenAI({
      apiKey: UPSTREAM_KEY,
      record: false,
      models: ['bench-model'],
    });
    process.stdout.write(`READY ${fake.url}\n`);
    return;
  }
  if (role === 'gateway' && upstreamUrl) {
    const config = benchGatewayConfig(upstreamUrl);
    const gw = await startLocalGateway(config, {
      env: { [UPSTREAM_KEY_ENV]: UPSTREAM_KEY },
      log: new MemoryLog(),
    });
    process.stdout.write(`READY ${gw.url}\n`);
    return;
  }
  if (role === 'floor' && upstreamUrl) {
    const url = await startFloorProxy(upstreamUrl);
    process.stdout.write(`READY ${url}\n`);
    return;
  }
  process.stderr.write(
    'usage: children.ts upstream | gateway <upstreamBaseUrl> | floor <upstreamBaseUrl>\n'
  );
  process.exit(2);
}

/**
 * The floor: the least a Node.js gateway can do for one extra HTTP hop. It
 * reads the body, parses and re-serialises the JSON both ways (streams are
 * piped through) and forwards over a keep-alive node:http agent, with no auth, validation, routing,
 * resilience or bookkeeping. What the gateway adds over this is the cost of
 * its own logic; what this adds over a direct call is the cost of the hop
 * on this machine, which no Node gateway avoids.
 */
export function startFloorProxy(upstreamUrl: string): Promise<string> {
  const u = new URL(upstreamUrl);
  const agent = new Agent({ keepAlive: true });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const parsed = JSON.parse(Buffer.concat(chunks).toString()) as {
        stream?: boolean;
      };
      const body = JSON.stringify(parsed);
      const up = request(
        {
          agent,
          host: u.hostname,
          port: u.port,
          method: 'POST',
          path: `${u.pathname}/chat/completions`,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${UPSTREAM_KEY}`,
          },
        },
        (upRes) => {
          if (parsed.stream) {
            res.writeHead(upRes.statusCode ?? 502, {
              'content-type':
                upRes.headers['content-type'] ?? 'text/event-stream',
            });
            upRes.pipe(res);
            return;
          }
          const parts: Buffer[] = [];
          upRes.on('data', (c: Buffer) => parts.push(c));
          upRes.on('end', () => {
            const out = JSON.stringify(
              JSON.parse(Buffer.concat(parts).toString())
            );
            res.writeHead(upRes.statusCode ?? 502, {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(out),
            });
            res.end(out);
          });
        }
      );
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    )
  );
}

// Exit cleanly on signals so `--cpu-prof` profiles get written.
process.once('SIGINT', () => process.exit(0));
process.once('SIGTERM', () => process.exit(0));

if (require.main === module) void main();
