import { createBedrockAdapter } from '../../../../lambdas/core/providers/bedrock/adapter';
import { toConverseInput } from '../../../../lambdas/core/providers/bedrock/request';
import { fromConverseOutput } from '../../../../lambdas/core/providers/bedrock/response';
import { ConverseStreamMapper } from '../../../../lambdas/core/providers/bedrock/stream';
import {
  ToolAnswerStream,
  toolAnswerToContent,
} from '../../../../lambdas/core/providers/bedrock/structured';
import type {
  ChatRequest,
  ResponseFormat,
  StreamEvent,
  ToolDefinition,
} from '../../../../lambdas/core/types';
import {
  type FakeBedrockServer,
  startFakeBedrock,
  validateConverseRequest,
} from '../../../helpers/fakes/bedrock-fake';
import { jsonResponder } from '../../../helpers/fakes/common';
import {
  bedrockModel,
  chatRequest,
  loadConverseOutput,
  loadStreamEvents,
} from './fixtures';

const eventSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    date: { type: 'string' },
    participants: { type: 'array', items: { type: 'string' } },
  },
  required: ['name', 'date', 'participants'],
  additionalProperties: false,
};

const jsonSchemaFormat: ResponseFormat = {
  type: 'json_schema',
  jsonSchema: {
    name: 'calendar_event',
    description: 'A calendar event',
    schema: eventSchema,
    strict: true,
  },
};

const searchTool: ToolDefinition = {
  type: 'function',
  function: {
    name: 'search',
    parameters: { type: 'object', properties: { q: { type: 'string' } } },
  },
};

const toolModel = bedrockModel({
  capabilities: ['tools', 'streaming', 'structured_output', 'reasoning'],
  structuredOutput: 'tool',
});
const nativeModel = bedrockModel({
  providerModelId: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
  capabilities: ['tools', 'streaming', 'structured_output', 'reasoning'],
  structuredOutput: 'native',
});

describe('Bedrock structured outputs and reasoning', () => {
  describe('Function: toConverseInput', () => {
    it('sends a native json_schema as outputConfig.textFormat with the schema as a JSON string', () => {
      // Act
      const input = toConverseInput(
        chatRequest({ responseFormat: jsonSchemaFormat }),
        nativeModel
      );

      // Assess
      expect(input.outputConfig).toEqual({
        textFormat: {
          type: 'json_schema',
          structure: {
            jsonSchema: {
              schema: JSON.stringify(eventSchema),
              name: 'calendar_event',
              description: 'A calendar event',
            },
          },
        },
      });
      expect(input.toolConfig).toBeUndefined();
      expect(validateConverseRequest(input)).toBeUndefined();
    });

    it('forces a tool whose input schema is the client schema on tool-mode models', () => {
      // Act
      const input = toConverseInput(
        chatRequest({ responseFormat: jsonSchemaFormat }),
        toolModel
      );

      // Assess
      expect(input.outputConfig).toBeUndefined();
      expect(input.toolConfig).toEqual({
        tools: [
          {
            toolSpec: {
              name: 'calendar_event',
              description: 'A calendar event',
              inputSchema: { json: eventSchema },
            },
          },
        ],
        toolChoice: { tool: { name: 'calendar_event' } },
      });
      expect(validateConverseRequest(input)).toBeUndefined();
    });

    it('keeps client tools callable with toolChoice any, renaming the answer tool on a clash', () => {
      // Prepare
      const clash: ToolDefinition = {
        type: 'function',
        function: { name: 'calendar_event' },
      };

      // Act
      const input = toConverseInput(
        chatRequest({
          responseFormat: jsonSchemaFormat,
          tools: [searchTool, clash],
        }),
        toolModel
      );

      // Assess
      const names = input.toolConfig?.tools?.map((t) => t.toolSpec?.name);
      expect(names).toEqual([
        'search',
        'calendar_event',
        'calendar_event_resp1',
      ]);
      expect(input.toolConfig?.toolChoice).toEqual({ any: {} });
    });

    it('serves json_object through the tool path with an open object schema, even on native models', () => {
      // Act
      const input = toConverseInput(
        chatRequest({ responseFormat: { type: 'json_object' } }),
        nativeModel
      );

      // Assess
      expect(input.outputConfig).toBeUndefined();
      expect(input.toolConfig?.tools?.[0]?.toolSpec?.inputSchema).toEqual({
        json: { type: 'object', additionalProperties: true },
      });
      expect(input.toolConfig?.toolChoice).toEqual({
        tool: { name: 'json_object' },
      });
    });

    it.each([
      ['low', 1024],
      ['medium', 4096],
      // 16384 does not fit the 8192-token model: carved out of max_tokens.
      ['high', 8192 - 1024],
    ] as const)(
      'maps reasoning_effort %s to a thinking budget of %i',
      (effort, budget) => {
        // Act
        const input = toConverseInput(
          chatRequest({ reasoningEffort: effort, temperature: 0.2, topP: 0.5 }),
          toolModel
        );

        // Assess
        expect(input.additionalModelRequestFields).toEqual({
          thinking: { type: 'enabled', budget_tokens: budget },
        });
        // max_tokens above the budget; Claude refuses sampling changes.
        expect(input.inferenceConfig).toEqual({ maxTokens: 8192 });
        expect(validateConverseRequest(input)).toBeUndefined();
      }
    );

    it.each<[string, Partial<ChatRequest>]>([
      ['max_tokens leaves no room for the minimum budget', { maxTokens: 1500 }],
      [
        'the forced-tool structured path is used',
        { responseFormat: jsonSchemaFormat },
      ],
      [
        'the client forces a tool',
        { tools: [searchTool], toolChoice: 'required' },
      ],
      ['effort is none', { reasoningEffort: 'none' }],
    ])('sends no thinking when %s', (_why, overrides) => {
      // Act
      const input = toConverseInput(
        chatRequest({ reasoningEffort: 'low', ...overrides }),
        toolModel
      );

      // Assess
      expect(input.additionalModelRequestFields).toBeUndefined();
      expect(validateConverseRequest(input)).toBeUndefined();
    });

    it('sends no thinking to a model without the reasoning capability', () => {
      // Act
      const input = toConverseInput(
        chatRequest({ reasoningEffort: 'high' }),
        bedrockModel()
      );

      // Assess
      expect(input.additionalModelRequestFields).toBeUndefined();
    });

    it('combines native structured output with thinking', () => {
      // Act
      const input = toConverseInput(
        chatRequest({
          responseFormat: jsonSchemaFormat,
          reasoningEffort: 'low',
        }),
        nativeModel
      );

      // Assess
      expect(input.outputConfig?.textFormat?.type).toBe('json_schema');
      expect(input.additionalModelRequestFields).toEqual({
        thinking: { type: 'enabled', budget_tokens: 1024 },
      });
      expect(validateConverseRequest(input)).toBeUndefined();
    });

    it('maps reasoning_effort to reasoningConfig on Nova 2', () => {
      // Act
      const input = toConverseInput(
        chatRequest({ reasoningEffort: 'medium' }),
        bedrockModel({
          providerModelId: 'eu.amazon.nova-2-lite-v1:0',
          capabilities: ['reasoning'],
        })
      );

      // Assess
      expect(input.additionalModelRequestFields).toEqual({
        reasoningConfig: { type: 'enabled', maxReasoningEffort: 'medium' },
      });
    });
  });

  describe('Function: toolAnswerToContent', () => {
    it('turns the recorded forced-tool answer into content, hides thinking and estimates reasoning tokens', () => {
      // Prepare
      const raw = fromConverseOutput(
        loadConverseOutput('converse-thinking-tool-answer')
      );

      // Act
      const result = toolAnswerToContent(raw, 'calendar_event');

      // Assess
      expect(JSON.parse(result.content!)).toEqual({
        name: 'standup',
        date: '2026-12-04',
        participants: ['Ana', 'Ben'],
      });
      expect(result.content).not.toContain('The user wants');
      expect(result.toolCalls).toEqual([]);
      expect(result.finishReason).toBe('stop');
      expect(result.usage.completionTokens).toBe(96);
      // 99 characters of thinking at 4 characters a token.
      expect(result.usage.reasoningTokens).toBe(25);
    });
  });

  describe('Class: ToolAnswerStream', () => {
    it('streams the recorded tool input as content deltas and finishes with stop', () => {
      // Prepare
      const mapper = new ConverseStreamMapper('bedrock-eu');
      const answer = new ToolAnswerStream('calendar_event');

      // Act
      const events: StreamEvent[] = [];
      for (const e of loadStreamEvents('converse-stream-tool-answer'))
        for (const m of mapper.map(e)) events.push(...answer.map(m));

      // Assess
      const text = events
        .filter((e) => e.type === 'text')
        .map((e) => (e.type === 'text' ? e.text : ''))
        .join('');
      expect(JSON.parse(text)).toEqual({
        name: 'standup',
        date: '2026-12-04',
        participants: ['Ana', 'Ben'],
      });
      expect(events.some((e) => e.type === 'tool_call')).toBe(false);
      expect(events).toContainEqual({ type: 'finish', finishReason: 'stop' });
    });

    it('renumbers client tool calls around the answer tool', () => {
      // Prepare
      const answer = new ToolAnswerStream('calendar_event');

      // Act
      const out = [
        ...answer.map({
          type: 'tool_call',
          index: 0,
          id: 'a',
          name: 'calendar_event',
        }),
        ...answer.map({ type: 'tool_call', index: 1, id: 'b', name: 'search' }),
        ...answer.map({ type: 'tool_call', index: 1, argumentsDelta: '{}' }),
        ...answer.map({ type: 'finish', finishReason: 'tool_calls' }),
      ];

      // Assess
      expect(out).toEqual([
        { type: 'tool_call', index: 0, id: 'b', name: 'search' },
        { type: 'tool_call', index: 0, argumentsDelta: '{}' },
        { type: 'finish', finishReason: 'tool_calls' },
      ]);
    });
  });

  describe('Class: ConverseStreamMapper (thinking)', () => {
    it('never forwards reasoning text and reports its tokens in usage', () => {
      // Prepare
      const mapper = new ConverseStreamMapper('bedrock-eu');

      // Act
      const events = loadStreamEvents('converse-stream-thinking').flatMap((e) =>
        mapper.map(e)
      );

      // Assess
      expect(events).toEqual([
        { type: 'text', text: 'Yes, 17 is prime.' },
        { type: 'finish', finishReason: 'stop' },
        {
          type: 'usage',
          usage: {
            promptTokens: 20,
            completionTokens: 31,
            totalTokens: 51,
            reasoningTokens: 16,
          },
        },
      ]);
    });
  });

  describe('Contract: adapter against the Bedrock fake', () => {
    let fake: FakeBedrockServer;
    const savedEnv = { ...process.env };
    const call = () => ({
      signal: new AbortController().signal,
      requestId: 'req-structured',
    });

    beforeAll(async () => {
      process.env.AWS_ACCESS_KEY_ID = 'AKIDTEST';
      process.env.AWS_SECRET_ACCESS_KEY = 'secret';
      fake = await startFakeBedrock();
    });
    afterAll(async () => {
      process.env = savedEnv;
      await fake.close();
    });
    beforeEach(() => fake.reset());

    const adapter = () =>
      createBedrockAdapter({
        id: 'bedrock-eu',
        region: 'eu-central-1',
        endpoint: fake.url,
      });
    const value = {
      name: 'standup',
      date: '2026-12-04',
      participants: ['Ana'],
    };

    it('answers a tool-mode request with the forced tool input as content', async () => {
      // Prepare
      fake.setBehavior({ responder: jsonResponder(value) });

      // Act
      const result = await adapter().chat(
        chatRequest({ responseFormat: jsonSchemaFormat }),
        toolModel,
        call()
      );

      // Assess
      expect(JSON.parse(result.content!)).toEqual(value);
      expect(result.finishReason).toBe('stop');
      expect(result.toolCalls).toEqual([]);
      const body = fake.requests[0]!.body as {
        toolConfig: { toolChoice: unknown };
      };
      expect(body.toolConfig.toolChoice).toEqual({
        tool: { name: 'calendar_event' },
      });
    });

    it('streams a tool-mode answer as content deltas', async () => {
      // Prepare
      fake.setBehavior({ responder: jsonResponder(value), chunkSize: 5 });

      // Act
      const events: StreamEvent[] = [];
      for await (const e of adapter().chatStream(
        chatRequest({ responseFormat: jsonSchemaFormat, stream: true }),
        toolModel,
        call()
      ))
        events.push(e);

      // Assess
      const texts = events.filter((e) => e.type === 'text');
      expect(texts.length).toBeGreaterThan(3);
      expect(
        JSON.parse(texts.map((e) => (e.type === 'text' ? e.text : '')).join(''))
      ).toEqual(value);
      expect(events).toContainEqual({ type: 'finish', finishReason: 'stop' });
    });

    it('sends outputConfig to a native model and returns its text', async () => {
      // Prepare
      fake.setBehavior({ responder: jsonResponder(value) });

      // Act
      const result = await adapter().chat(
        chatRequest({ responseFormat: jsonSchemaFormat }),
        nativeModel,
        call()
      );

      // Assess
      expect(JSON.parse(result.content!)).toEqual(value);
      const body = fake.requests[0]!.body as {
        outputConfig: {
          textFormat: { structure: { jsonSchema: { schema: string } } };
        };
      };
      expect(
        JSON.parse(body.outputConfig.textFormat.structure.jsonSchema.schema)
      ).toEqual(eventSchema);
    });

    it('thinks with a budget the fake accepts and hides the thinking', async () => {
      // Prepare
      fake.setBehavior({
        responder: () => ({
          reasoning: 'Let me think about prime numbers for a while.',
          text: 'Yes.',
        }),
      });

      // Act
      const result = await adapter().chat(
        chatRequest({ reasoningEffort: 'medium' }),
        toolModel,
        call()
      );

      // Assess
      expect(result.content).toBe('Yes.');
      expect(result.usage.reasoningTokens).toBeGreaterThan(0);
      expect(result.usage.reasoningTokens).toBeLessThan(
        result.usage.completionTokens
      );
      const body = fake.requests[0]!.body as {
        additionalModelRequestFields: unknown;
      };
      expect(body.additionalModelRequestFields).toEqual({
        thinking: { type: 'enabled', budget_tokens: 4096 },
      });
    });
  });
});
