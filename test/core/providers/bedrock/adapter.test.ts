import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  ThrottlingException,
} from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createBedrockAdapter } from '../../../../lambdas/core/providers/bedrock/adapter';
import {
  ProviderThrottledError,
  ProviderUnavailableError,
} from '../../../../lambdas/core/providers/errors';
import type { CallOptions } from '../../../../lambdas/core/providers/types';
import {
  estimatePromptTokens,
  estimateTextTokens,
} from '../../../../lambdas/core/tokens';
import type { StreamEvent } from '../../../../lambdas/core/types';
import {
  bedrockModel,
  chatRequest,
  loadConverseOutput,
  loadStreamEvents,
} from './fixtures';

const PROVIDER = 'bedrock-eu';

function call(signal: AbortSignal = new AbortController().signal): CallOptions {
  return { signal, requestId: 'req-1' };
}

async function* events(list: readonly ConverseStreamOutput[]) {
  for (const e of list) yield e;
}

async function drain(
  iterable: AsyncIterable<StreamEvent>
): Promise<{ out: StreamEvent[]; error: unknown }> {
  const out: StreamEvent[] = [];
  try {
    for await (const e of iterable) out.push(e);
  } catch (error) {
    return { out, error };
  }
  return { out, error: undefined };
}

describe('Function: createBedrockAdapter', () => {
  const client = new BedrockRuntimeClient({
    region: 'eu-central-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  const bedrock = mockClient(client);
  const adapter = createBedrockAdapter({
    id: PROVIDER,
    region: 'eu-central-1',
    client,
  });

  /** The options the adapter passed to `client.send` on its first call. */
  function sendOptions(stream: boolean): { abortSignal: AbortSignal } {
    const first = stream
      ? bedrock.commandCalls(ConverseStreamCommand)[0]!
      : bedrock.commandCalls(ConverseCommand)[0]!;
    return (first.args as unknown[])[1] as { abortSignal: AbortSignal };
  }

  beforeEach(() => {
    bedrock.reset();
  });

  it('identifies itself as a bedrock provider instance', () => {
    // Assess
    expect(adapter.id).toBe(PROVIDER);
    expect(adapter.type).toBe('bedrock');
  });

  describe('Method: chat', () => {
    it('sends the transformed request with the caller signal', async () => {
      // Prepare
      bedrock.on(ConverseCommand).resolves(loadConverseOutput('converse-text'));
      const controller = new AbortController();

      // Act
      const result = await adapter.chat(
        chatRequest({ messages: [{ role: 'user', content: 'GDPR?' }] }),
        bedrockModel(),
        call(controller.signal)
      );

      // Assess
      expect(result.usage.totalTokens).toBe(73);
      expect(bedrock).toHaveReceivedCommandWith(ConverseCommand, {
        modelId: bedrockModel().providerModelId,
        messages: [{ role: 'user', content: [{ text: 'GDPR?' }] }],
      });
      expect(sendOptions(false)).toEqual({
        abortSignal: controller.signal,
      });
    });

    it('estimates usage when Bedrock reports none', async () => {
      // Prepare
      const output = loadConverseOutput('converse-text');
      output.usage = undefined;
      bedrock.on(ConverseCommand).resolves(output);
      const req = chatRequest();

      // Act
      const result = await adapter.chat(req, bedrockModel(), call());

      // Assess
      expect(result.usage.promptTokens).toBe(
        estimatePromptTokens(req, 'bedrock')
      );
      expect(result.usage.completionTokens).toBeGreaterThan(10);
      expect(result.usage.totalTokens).toBe(
        result.usage.promptTokens + result.usage.completionTokens
      );
    });

    it('maps SDK exceptions to provider errors', async () => {
      // Prepare
      bedrock.on(ConverseCommand).rejects(
        new ThrottlingException({
          message: 'Too many requests',
          $metadata: { httpStatusCode: 429 },
        })
      );

      // Act
      const error = await adapter
        .chat(chatRequest(), bedrockModel(), call())
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ProviderThrottledError);
      expect(error).toMatchObject({ provider: PROVIDER, status: 429 });
    });

    it('re-throws the abort error unchanged when the caller aborted', async () => {
      // Prepare
      const controller = new AbortController();
      const abort = new Error('Request aborted');
      abort.name = 'AbortError';
      bedrock.on(ConverseCommand).callsFake(async () => {
        controller.abort();
        throw abort;
      });

      // Act
      const error = await adapter
        .chat(chatRequest(), bedrockModel(), call(controller.signal))
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBe(abort);
    });

    it('reports an error racing the caller abort as an abort, not a provider fault', async () => {
      // Prepare
      const controller = new AbortController();
      bedrock.on(ConverseCommand).callsFake(async () => {
        controller.abort();
        throw Object.assign(new Error('read ECONNRESET'), {
          code: 'ECONNRESET',
        });
      });

      // Act
      const error = await adapter
        .chat(chatRequest(), bedrockModel(), call(controller.signal))
        .catch((e: unknown) => e);

      // Assess
      expect((error as Error).name).toBe('AbortError');
      expect((error as Error).cause).toMatchObject({ code: 'ECONNRESET' });
    });
  });

  describe('Method: chatStream', () => {
    it('yields the mapped events of a recorded stream', async () => {
      // Prepare
      bedrock.on(ConverseStreamCommand).resolves({
        stream: events(loadStreamEvents('converse-stream-text-tool-use')),
      });

      // Act
      const { out, error } = await drain(
        adapter.chatStream(
          chatRequest({ stream: true }),
          bedrockModel(),
          call()
        )
      );

      // Assess
      expect(error).toBeUndefined();
      expect(out.filter((e) => e.type === 'usage')).toEqual([
        {
          type: 'usage',
          usage: { promptTokens: 388, completionTokens: 97, totalTokens: 485 },
        },
      ]);
      expect(out.filter((e) => e.type === 'tool_call' && e.id)).toHaveLength(2);
    });

    it('estimates usage at the end when no metadata event came', async () => {
      // Prepare
      bedrock.on(ConverseStreamCommand).resolves({
        stream: events([
          { messageStart: { role: 'assistant' } },
          {
            contentBlockDelta: {
              contentBlockIndex: 0,
              delta: { text: 'Hello there' },
            },
          },
          { contentBlockStop: { contentBlockIndex: 0 } },
          { messageStop: { stopReason: 'end_turn' } },
        ]),
      });

      // Act
      const { out } = await drain(
        adapter.chatStream(
          chatRequest({ stream: true }),
          bedrockModel(),
          call()
        )
      );

      // Assess
      const last = out[out.length - 1]!;
      expect(out[out.length - 2]).toEqual({
        type: 'finish',
        finishReason: 'stop',
      });
      expect(last.type).toBe('usage');
      expect(last.type === 'usage' && last.usage.completionTokens).toBe(
        estimateTextTokens('Hello there', 'bedrock')
      );
    });

    it('treats a stream that ends before messageStop as a cut, not a finish', async () => {
      // Prepare
      bedrock.on(ConverseStreamCommand).resolves({
        stream: events([
          { messageStart: { role: 'assistant' } },
          {
            contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'Hal' } },
          },
        ]),
      });

      // Act
      const { out, error } = await drain(
        adapter.chatStream(
          chatRequest({ stream: true }),
          bedrockModel(),
          call()
        )
      );

      // Assess
      expect(out).toEqual([{ type: 'text', text: 'Hal' }]);
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error).toMatchObject({ provider: PROVIDER });
    });

    it('throws for an exception member the SDK yields as an event', async () => {
      // Prepare
      bedrock.on(ConverseStreamCommand).resolves({
        stream: events([
          { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'a' } } },
          {
            throttlingException: {
              name: 'ThrottlingException',
              message: 'slow down',
            },
          } as unknown as ConverseStreamOutput,
        ]),
      });

      // Act
      const { out, error } = await drain(
        adapter.chatStream(
          chatRequest({ stream: true }),
          bedrockModel(),
          call()
        )
      );

      // Assess
      expect(out).toEqual([{ type: 'text', text: 'a' }]);
      expect(error).toBeInstanceOf(ProviderThrottledError);
    });

    it('passes a signal that aborts when the consumer stops early', async () => {
      // Prepare
      bedrock.on(ConverseStreamCommand).resolves({
        stream: events(loadStreamEvents('converse-stream-text-tool-use')),
      });

      // Act
      for await (const _ of adapter.chatStream(
        chatRequest({ stream: true }),
        bedrockModel(),
        call()
      )) {
        break;
      }

      // Assess
      expect(sendOptions(true).abortSignal.aborted).toBe(true);
    });

    it('does not abort the request signal after a complete stream', async () => {
      // Prepare
      bedrock.on(ConverseStreamCommand).resolves({
        stream: events(loadStreamEvents('converse-stream-text-tool-use')),
      });

      // Act
      await drain(
        adapter.chatStream(
          chatRequest({ stream: true }),
          bedrockModel(),
          call()
        )
      );

      // Assess
      expect(sendOptions(true).abortSignal.aborted).toBe(false);
    });
  });
});
