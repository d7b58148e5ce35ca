import { createGeminiAdapter } from '../../../../lambdas/core/providers/gemini/adapter';
import { toGeminiRequest } from '../../../../lambdas/core/providers/gemini/request';
import { fromGeminiResponse } from '../../../../lambdas/core/providers/gemini/response';
import type { GeminiResponse } from '../../../../lambdas/core/providers/gemini/wire';
import { staticCredential } from '../../../../lambdas/core/providers/types';
import type {
  ResponseFormat,
  StreamEvent,
} from '../../../../lambdas/core/types';
import { jsonResponder } from '../../../helpers/fakes/common';
import {
  type FakeGeminiServer,
  startFakeGemini,
} from '../../../helpers/fakes/gemini-fake';
import { chatRequest, geminiModel, loadFixture } from './helpers';

jest.mock('eventsource-parser', () =>
  require('./helpers').nativeRequire('eventsource-parser')
);

// A schema responseSchema's OpenAPI subset cannot carry ($defs, $ref,
// anyOf with null, additionalProperties): responseJsonSchema takes it as is.
const treeSchema = {
  $defs: {
    node: {
      type: 'object',
      properties: {
        label: { type: 'string' },
        parent: { anyOf: [{ $ref: '#/$defs/node' }, { type: 'null' }] },
      },
      required: ['label', 'parent'],
      additionalProperties: false,
    },
  },
  $ref: '#/$defs/node',
};

const format: ResponseFormat = {
  type: 'json_schema',
  jsonSchema: { name: 'tree', schema: treeSchema, strict: true },
};

const reasoningModel = geminiModel({
  capabilities: ['tools', 'streaming', 'structured_output', 'reasoning'],
});

describe('Gemini structured outputs and reasoning', () => {
  describe('Function: toGeminiRequest', () => {
    it('sends json_schema as responseJsonSchema, untouched, with the JSON mime type', () => {
      // Act
      const body = toGeminiRequest(
        chatRequest({ responseFormat: format }),
        reasoningModel
      );

      // Assess
      expect(body.generationConfig?.responseMimeType).toBe('application/json');
      expect(body.generationConfig?.responseJsonSchema).toEqual(treeSchema);
      expect(body.generationConfig).not.toHaveProperty('responseSchema');
    });

    it('sends json_object as the mime type alone', () => {
      // Act
      const body = toGeminiRequest(
        chatRequest({ responseFormat: { type: 'json_object' } }),
        reasoningModel
      );

      // Assess
      expect(body.generationConfig?.responseMimeType).toBe('application/json');
      expect(body.generationConfig?.responseJsonSchema).toBeUndefined();
    });

    it.each([
      ['gemini-2.5-flash', 'low', { thinkingBudget: 1024 }],
      ['gemini-2.5-flash', 'high', { thinkingBudget: 16384 }],
      ['gemini-2.5-flash', 'max', { thinkingBudget: 24576 }],
      ['gemini-2.5-pro', 'max', { thinkingBudget: 32768 }],
      ['gemini-2.5-flash', 'none', { thinkingBudget: 0 }],
      ['gemini-2.5-pro', 'none', undefined],
      ['gemini-3-pro-preview', 'low', { thinkingLevel: 'low' }],
      ['gemini-3-pro-preview', 'medium', { thinkingLevel: 'high' }],
    ] as const)(
      'maps %s with effort %s to thinkingConfig %j',
      (id, effort, expected) => {
        // Act
        const body = toGeminiRequest(
          chatRequest({ reasoningEffort: effort }),
          geminiModel({ providerModelId: id, capabilities: ['reasoning'] })
        );

        // Assess
        expect(body.generationConfig?.thinkingConfig).toEqual(expected);
      }
    );

    it('sends no thinkingConfig to a model without the reasoning capability', () => {
      // Act
      const body = toGeminiRequest(
        chatRequest({ reasoningEffort: 'high' }),
        geminiModel()
      );

      // Assess
      expect(body.generationConfig?.thinkingConfig).toBeUndefined();
    });
  });

  describe('Function: fromGeminiResponse', () => {
    it('maps a recorded JSON answer of a thinking model with its thought tokens', () => {
      // Act
      const result = fromGeminiResponse(
        loadFixture<GeminiResponse>('structured-json-thinking'),
        { provider: 'gemini', request: chatRequest() }
      );

      // Assess
      expect(JSON.parse(result.content!)).toEqual({
        name: 'standup',
        date: '2026-12-04',
        participants: ['Ana', 'Ben'],
      });
      expect(result.usage).toEqual({
        promptTokens: 57,
        completionTokens: 24 + 1024,
        totalTokens: 1105,
        reasoningTokens: 1024,
      });
    });
  });

  describe('Contract: adapter against the Gemini fake', () => {
    let fake: FakeGeminiServer;
    const value = { label: 'root', parent: null };

    beforeAll(async () => {
      fake = await startFakeGemini({ apiKey: 'k' });
    });
    afterAll(() => fake.close());
    beforeEach(() => fake.reset());

    const adapter = () =>
      createGeminiAdapter({
        id: 'gemini',
        mode: 'api',
        baseUrl: fake.url,
        credential: staticCredential('k'),
      });
    const opts = () => ({
      signal: new AbortController().signal,
      requestId: 'r',
    });

    it('is accepted by the fake and answers JSON with reasoning tokens', async () => {
      // Prepare
      fake.setBehavior({
        responder: jsonResponder(value, { reasoning: 'x'.repeat(400) }),
      });

      // Act
      const result = await adapter().chat(
        chatRequest({ responseFormat: format, reasoningEffort: 'medium' }),
        reasoningModel,
        opts()
      );

      // Assess
      expect(JSON.parse(result.content!)).toEqual(value);
      expect(result.usage.reasoningTokens).toBe(100);
      const generation = (
        fake.requests[0]!.body as {
          generationConfig: Record<string, unknown>;
        }
      ).generationConfig;
      expect(generation.responseJsonSchema).toEqual(treeSchema);
      expect(generation.thinkingConfig).toEqual({ thinkingBudget: 4096 });
    });

    it('streams JSON and reports reasoning tokens in the usage event', async () => {
      // Prepare
      fake.setBehavior({
        responder: jsonResponder(value, { reasoning: 'y'.repeat(80) }),
        chunkSize: 6,
      });

      // Act
      const events: StreamEvent[] = [];
      for await (const e of adapter().chatStream(
        chatRequest({
          responseFormat: format,
          reasoningEffort: 'low',
          stream: true,
        }),
        reasoningModel,
        opts()
      ))
        events.push(e);

      // Assess
      const text = events
        .map((e) => (e.type === 'text' ? e.text : ''))
        .join('');
      expect(JSON.parse(text)).toEqual(value);
      const usage = events.find((e) => e.type === 'usage');
      expect(usage?.type === 'usage' && usage.usage.reasoningTokens).toBe(20);
    });
  });
});
