import { DynamoDBClient, CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoLimitCounters } from './lambdas/core/adapters/aws/dynamo-limit-counters';
import { LimitStage } from './lambdas/core/gateway/limit-stage';
import { startDynamoDbLocal, LOCAL_AWS } from './test/helpers/dynamodb-local';
const req = { model: 'auto', messages: [{ role: 'user' as const, content: 'hello '.repeat(50) }], stream: false, includeUsage: false, routing: {} };
const tenant = { id: 'acme', keyHashes: [], budgets: {}, limits: { requestsPerMinute: 1e9, tokensPerDay: 1e12 } };
const log = { debug() {}, info() {}, warn(m: string, a: any) { console.log(m, a); }, error() {} };
const metrics = { request() {}, attempt() {}, event() {} };
async function run(name: string, store: any, n: number) {
  const s = new LimitStage({ store, settings: { maxTokensPerRequest: {}, failOpen: false }, defaultTier: 'standard', log, metrics });
  const t: number[] = []; const r: number[] = [];
  for (let i = 0; i < n; i++) { const a = process.hrtime.bigint(); const ad = await s.admit(req, tenant); ad.served({ promptTokens: 10, completionTokens: 5, totalTokens: 15 }); const b = process.hrtime.bigint(); await ad.settle(); t.push(Number(b - a) / 1e3); }
  t.sort((x, y) => x - y);
  console.log(name, 'admit p50', t[Math.floor(n / 2)]!.toFixed(1), 'us p99', t[Math.floor(n * 0.99)]!.toFixed(1), 'us');
}
(async () => {
  const ddb = await startDynamoDbLocal();
  const raw = new DynamoDBClient({ ...LOCAL_AWS, endpoint: ddb.endpoint });
  await raw.send(new CreateTableCommand({ TableName: 'u', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }] }));
  const store = new DynamoLimitCounters({ tableName: 'u', client: DynamoDBDocumentClient.from(raw) });
  await run('dynamodb-local warmup', store, 300);
  await run('dynamodb-local', store, 1000);
  raw.destroy(); await ddb.stop();
})().catch((e) => console.log('ERR', e));
