import { createOpenAICompatibleAdapter } from '../../../../lambdas/core/providers/openai-compatible/adapter';
import { buildChatCompletionBody } from '../../../../lambdas/core/providers/openai-compatible/request';
import { fromChatCompletion } from '../../../../lambdas/core/providers/openai-compatible/response';
import type { WireChatCompletion } from '../../../../lambdas/core/providers/openai-compatible/wire';
import { staticCredential } from '../../../../lambdas/core/providers/types';
import type { ResponseFormat } from '../../../../lambdas/core/types';
import { jsonResponder } from '../../../helpers/fakes/common';
import {
  type FakeOpenAIServer,
  startFakeOpenAI,
} from '../../../helpers/fakes/openai-fake';
import { collect, loadJsonFixture, makeModel, makeRequest } from './helpers';

jest.mock('eventsource-parser', () =>
  require('./helpers').nativeRequire('eventsource-parser')
);

const schema = {
  type: 'object',
  properties: { answer: { type: 'integer' } },
  required: ['answer'],
  additionalProperties: false,
};
const format: ResponseFormat = {
  type: 'json_schema',
  jsonSchema: { name: 'math', description: 'An answer', schema, strict: true },
};
const reasoningModel = makeModel({
  capabilities: ['tools', 'streaming', 'structured_output', 'reasoning'],
});

describe('OpenAI-compatible structured outputs and reasoning', () => {
  it('passes response_format json_schema through in OpenAI shape', () => {
    // Act
    const body = buildChatCompletionBody(
      makeRequest({ responseFormat: format }),
      reasoningModel,
      false
    );

    // Assess
    expect(body.response_format).toEqual({
      type: 'json_schema',
      json_schema: {
        name: 'math',
        description: 'An answer',
        schema,
        strict: true,
      },
    });
  });

  it('passes reasoning_effort through unchanged', () => {
    // Act
    const body = buildChatCompletionBody(
      makeRequest({ reasoningEffort: 'minimal' }),
      reasoningModel,
      false
    );

    // Assess
    expect(body.reasoning_effort).toBe('minimal');
  });

  it('maps recorded reasoning tokens from completion_tokens_details', () => {
    // Act
    const result = fromChatCompletion(
      'llama',
      loadJsonFixture<WireChatCompletion>('chat-reasoning-json.json'),
      makeRequest()
    );

    // Assess
    expect(result.usage).toEqual({
      promptTokens: 88,
      completionTokens: 347,
      totalTokens: 435,
      reasoningTokens: 320,
    });
  });

  describe('Contract: adapter against the OpenAI fake', () => {
    let fake: FakeOpenAIServer;
    beforeAll(async () => {
      fake = await startFakeOpenAI({ apiKey: 'k' });
    });
    afterAll(() => fake.close());
    beforeEach(() => fake.reset());

    const adapter = () =>
      createOpenAICompatibleAdapter({
        id: 'llama',
        baseUrl: fake.url,
        credential: staticCredential('k'),
      });
    const opts = () => ({
      signal: new AbortController().signal,
      requestId: 'r',
    });

    it('streams a json_schema answer with reasoning tokens in the usage', async () => {
      // Prepare
      fake.setBehavior({
        responder: jsonResponder({ answer: 42 }, { reasoning: 'z'.repeat(40) }),
      });

      // Act
      const { events, error } = await collect(
        adapter().chatStream(
          makeRequest({
            responseFormat: format,
            reasoningEffort: 'high',
            stream: true,
          }),
          reasoningModel,
          opts()
        )
      );

      // Assess
      expect(error).toBeUndefined();
      const text = events
        .map((e) => (e.type === 'text' ? e.text : ''))
        .join('');
      expect(JSON.parse(text)).toEqual({ answer: 42 });
      const usage = events.find((e) => e.type === 'usage');
      expect(usage?.type === 'usage' && usage.usage.reasoningTokens).toBe(10);
      const sent = fake.requests[0]!.body as Record<string, unknown>;
      expect(sent.reasoning_effort).toBe('high');
      expect(sent.response_format).toMatchObject({ type: 'json_schema' });
    });
  });
});
