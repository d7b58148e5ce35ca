import {
  DYNAMODB_LOCAL_ENV,
  type DynamoDbLocal,
  startDynamoDbLocal,
} from './helpers/dynamodb-local';

/** Where global setup leaves the instance for global teardown (same process). */
export const DYNAMODB_LOCAL_GLOBAL = '__GATEWAY_DYNAMODB_LOCAL__';

/**
 * jest global setup: one DynamoDB Local for the whole run. Its endpoint goes
 * to the workers through the environment (they are forked after this runs).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env[DYNAMODB_LOCAL_ENV]) return; // Someone else runs one.
  const server: DynamoDbLocal = await startDynamoDbLocal();
  process.env[DYNAMODB_LOCAL_ENV] = server.endpoint;
  (globalThis as Record<string, unknown>)[DYNAMODB_LOCAL_GLOBAL] = server;
}
