/**
 * The cold-start floor of the router: only the AWS clients the router must
 * hold (Bedrock Runtime, DynamoDB with the document client, SSM, Secrets
 * Manager), each constructed at module load as the router does. Built with
 * the router's esbuild settings (bench/cold-start.ts), it is what any router
 * built on these clients costs to load; the router is judged against it.
 */
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const clients = [
  new BedrockRuntimeClient({}),
  DynamoDBDocumentClient.from(new DynamoDBClient({})),
  new SSMClient({}),
  new SecretsManagerClient({}),
];

/** A handler of the Lambda's shape, so the module is a loadable entry. */
export const handler = async (): Promise<number> => clients.length;
