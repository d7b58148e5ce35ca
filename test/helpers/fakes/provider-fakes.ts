import type { GatewayConfigFile } from '../../../lambdas/core/config/schema';
import { type FakeBedrockServer, startFakeBedrock } from './bedrock-fake';
import type { FakeProviderServer } from './common';
import { startFakeGemini } from './gemini-fake';
import { type FakeOpenAIServer, startFakeOpenAI } from './openai-fake';

/** Provider families the fakes stand in for. */
export type FakeFamily = 'bedrock' | 'gemini' | 'openai-compatible';

/** One loopback fake per provider family, shared by a test file's tests. */
export interface ProviderFakes {
  readonly bedrock: FakeBedrockServer;
  readonly gemini: FakeProviderServer;
  readonly llama: FakeOpenAIServer;
  /** The `providers` section pointing the gateway at the fakes. */
  providers(): NonNullable<GatewayConfigFile['providers']>;
  /** Environment the gateway needs to reach them (the API keys). */
  readonly env: NodeJS.ProcessEnv;
  /** The fake serving a family. */
  of(family: FakeFamily): FakeProviderServer;
}

const GEMINI_KEY = 'gemini-test-key';
const LLAMA_KEY = 'llama-test-key';

/**
 * Starts a Bedrock, a Gemini and an OpenAI-compatible fake before the file's
 * tests (register it before the hook that starts the gateway), resets their
 * behaviour and recordings before each test, and closes them after. The
 * Bedrock SDK signs requests, so dummy AWS credentials are set for the
 * file's duration and the environment restored after.
 */
export function useProviderFakes(): ProviderFakes {
  let bedrock: FakeBedrockServer | undefined;
  let gemini: FakeProviderServer | undefined;
  let llama: FakeOpenAIServer | undefined;
  const saved = { ...process.env };
  const started = <T>(f: T | undefined): T => {
    if (!f) throw new Error('provider fakes are used before beforeAll ran');
    return f;
  };

  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDTEST';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    [bedrock, gemini, llama] = await Promise.all([
      startFakeBedrock(),
      startFakeGemini({ apiKey: GEMINI_KEY }),
      startFakeOpenAI({ apiKey: LLAMA_KEY }),
    ]);
  });
  afterAll(async () => {
    process.env = saved;
    await Promise.all([bedrock?.close(), gemini?.close(), llama?.close()]);
  });
  beforeEach(() => {
    for (const f of [bedrock, gemini, llama]) f?.reset();
  });

  const fakes: ProviderFakes = {
    get bedrock() {
      return started(bedrock);
    },
    get gemini() {
      return started(gemini);
    },
    get llama() {
      return started(llama);
    },
    providers: () => ({
      bedrock: { region: 'eu-central-1', endpoint: started(bedrock).url },
      gemini: { baseUrl: started(gemini).url, apiKeyEnv: 'GEMINI_API_KEY' },
      'openai-compatible': {
        baseUrl: started(llama).url,
        apiKeyEnv: 'LLAMA_API_KEY',
      },
    }),
    env: { GEMINI_API_KEY: GEMINI_KEY, LLAMA_API_KEY: LLAMA_KEY },
    of: (family) =>
      family === 'bedrock'
        ? fakes.bedrock
        : family === 'gemini'
          ? fakes.gemini
          : fakes.llama,
  };
  return fakes;
}
