import { DYNAMODB_LOCAL_GLOBAL } from './global-setup';
import {
  DYNAMODB_LOCAL_ENV,
  type DynamoDbLocal,
} from './helpers/dynamodb-local';

/** jest global teardown: stops the run's DynamoDB Local by its PID. */
export default async function globalTeardown(): Promise<void> {
  const slot = globalThis as Record<string, unknown>;
  const server = slot[DYNAMODB_LOCAL_GLOBAL] as DynamoDbLocal | undefined;
  if (!server) return;
  await server.stop();
  delete slot[DYNAMODB_LOCAL_GLOBAL];
  delete process.env[DYNAMODB_LOCAL_ENV];
}
