/**
 * The gateway's rarely taken paths, reached only through `import()` of this
 * module: one lazy chunk of the Lambda bundle. Routing every lazy path
 * through one module keeps esbuild's code splitting from cutting the cold
 * code into a shared chunk per path (each extra chunk a cold start loads is
 * one more module to resolve, read and link): a separate `import()` per path
 * took the router's cold start from 12 to 29 files.
 *
 * What is here: the Gemini, OpenAI-compatible and echo adapters (loaded by
 * their first call), the embeddings route and Bedrock's embedding call, the
 * feedback route, the SSRF-guarded remote-image fetch, the leasing budget
 * ledger and its DynamoDB slice store, the Bedrock ApplyGuardrail adapter
 * and the Google service-account token exchange.
 */
export { BedrockGuardrail } from './adapters/aws/bedrock-guardrail';
export { DynamoSliceStore } from './adapters/aws/dynamo-slice-store';
export { LeasingBudgetLedger } from './budget/leasing';
export { serveEmbeddings } from './gateway/embeddings-service';
export { recordFeedback } from './gateway/feedback';
export { fetchRemoteImage } from './media/fetch';
export { bedrockEmbed } from './providers/bedrock/embed';
export { createEchoAdapter } from './providers/echo/adapter';
export { createGeminiAdapter } from './providers/gemini/adapter';
export { createOpenAICompatibleAdapter } from './providers/openai-compatible/adapter';
export { fetchServiceAccountToken } from './secrets/google-auth';
