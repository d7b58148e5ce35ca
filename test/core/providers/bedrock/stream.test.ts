import type { ConverseStreamOutput } from '@aws-sdk/client-bedrock-runtime';
import { ConverseStreamMapper } from '../../../../lambdas/core/providers/bedrock/stream';
import {
  ProviderBadRequestError,
  ProviderThrottledError,
  ProviderUnavailableError,
} from '../../../../lambdas/core/providers/errors';
import type { StreamEvent } from '../../../../lambdas/core/types';
import { loadStreamEvents } from './fixtures';

function mapAll(
  mapper: ConverseStreamMapper,
  events: readonly ConverseStreamOutput[]
): StreamEvent[] {
  return events.flatMap((e) => mapper.map(e));
}

describe('Class: ConverseStreamMapper', () => {
  describe('Method: map', () => {
    it('maps a recorded text + two tool calls + metadata sequence', () => {
      // Prepare
      const mapper = new ConverseStreamMapper('bedrock-eu');

      // Act
      const out = mapAll(
        mapper,
        loadStreamEvents('converse-stream-text-tool-use')
      );

      // Assess
      expect(out).toEqual([
        { type: 'text', text: 'Let me' },
        { type: 'text', text: ' check both' },
        { type: 'text', text: ' cities.' },
        {
          type: 'tool_call',
          index: 0,
          id: 'tooluse_Yb3PzQ1xTk2wE9rV0nLc4A',
          name: 'get_weather',
        },
        { type: 'tool_call', index: 0, argumentsDelta: '{"city": "Be' },
        { type: 'tool_call', index: 0, argumentsDelta: 'rlin", "unit"' },
        { type: 'tool_call', index: 0, argumentsDelta: ': "celsius"}' },
        {
          type: 'tool_call',
          index: 1,
          id: 'tooluse_Qm8sJd0aRf6uHy2Kx5Wn1B',
          name: 'get_time',
        },
        { type: 'tool_call', index: 1, argumentsDelta: '{"tz":' },
        { type: 'tool_call', index: 1, argumentsDelta: ' "Europe/Paris"}' },
        { type: 'finish', finishReason: 'tool_calls' },
        {
          type: 'usage',
          usage: { promptTokens: 388, completionTokens: 97, totalTokens: 485 },
        },
      ]);
      expect(mapper.finished).toBe(true);
      expect(mapper.usage?.totalTokens).toBe(485);
    });

    it('numbers tool calls from 0 and their deltas concatenate to valid JSON', () => {
      // Prepare
      const mapper = new ConverseStreamMapper('bedrock-eu');

      // Act
      const out = mapAll(
        mapper,
        loadStreamEvents('converse-stream-text-tool-use')
      );

      // Assess
      const args = new Map<number, string>();
      for (const e of out) {
        if (e.type === 'tool_call' && e.argumentsDelta !== undefined)
          args.set(e.index, (args.get(e.index) ?? '') + e.argumentsDelta);
      }
      expect([...args.keys()]).toEqual([0, 1]);
      expect(JSON.parse(args.get(0)!)).toEqual({
        city: 'Berlin',
        unit: 'celsius',
      });
      expect(JSON.parse(args.get(1)!)).toEqual({ tz: 'Europe/Paris' });
    });

    it('sends {} for a tool call that streamed no input', () => {
      // Prepare
      const mapper = new ConverseStreamMapper('bedrock-eu');
      const events: ConverseStreamOutput[] = [
        {
          contentBlockStart: {
            contentBlockIndex: 0,
            start: { toolUse: { toolUseId: 'tooluse_x', name: 'now' } },
          },
        },
        { contentBlockStop: { contentBlockIndex: 0 } },
        { messageStop: { stopReason: 'tool_use' } },
      ];

      // Act
      const out = mapAll(mapper, events);

      // Assess
      expect(out).toEqual([
        { type: 'tool_call', index: 0, id: 'tooluse_x', name: 'now' },
        { type: 'tool_call', index: 0, argumentsDelta: '{}' },
        { type: 'finish', finishReason: 'tool_calls' },
      ]);
    });

    it('ignores reasoning deltas, keeps them out of the output estimate', () => {
      // Prepare
      const mapper = new ConverseStreamMapper('bedrock-eu');
      const events: ConverseStreamOutput[] = [
        {
          contentBlockDelta: {
            contentBlockIndex: 0,
            delta: { reasoningContent: { text: 'thinking...' } },
          },
        },
        { contentBlockDelta: { contentBlockIndex: 1, delta: { text: 'Hi' } } },
        { messageStop: { stopReason: 'max_tokens' } },
      ];

      // Act
      const out = mapAll(mapper, events);

      // Assess
      expect(out).toEqual([
        { type: 'text', text: 'Hi' },
        { type: 'finish', finishReason: 'length' },
      ]);
      expect(mapper.output.join('')).toBe('Hi');
      expect(mapper.usage).toBeUndefined();
    });

    it('is not finished until messageStop arrives', () => {
      // Prepare
      const mapper = new ConverseStreamMapper('bedrock-eu');

      // Act
      mapper.map({ messageStart: { role: 'assistant' } });
      mapper.map({
        contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'a' } },
      });

      // Assess
      expect(mapper.finished).toBe(false);
    });

    it.each([
      ['throttlingException', ProviderThrottledError, 'throttled'],
      ['serviceUnavailableException', ProviderUnavailableError, 'unavailable'],
      ['internalServerException', ProviderUnavailableError, 'unavailable'],
      ['modelStreamErrorException', ProviderUnavailableError, 'unavailable'],
      ['validationException', ProviderBadRequestError, 'bad_request'],
    ])(
      'throws the right error for an in-stream %s',
      (member, errorClass, kind) => {
        // Prepare
        const mapper = new ConverseStreamMapper('bedrock-eu');
        const event = {
          [member]: { name: 'x', message: 'user secret prompt text' },
        } as unknown as ConverseStreamOutput;

        // Act
        let thrown: unknown;
        try {
          mapper.map(event);
        } catch (err) {
          thrown = err;
        }

        // Assess
        expect(thrown).toBeInstanceOf(errorClass);
        expect(thrown).toMatchObject({ provider: 'bedrock-eu', kind });
        expect((thrown as Error).message).not.toContain('secret');
      }
    );
  });
});
