import {
  BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandOutput,
  ConverseStreamCommand,
  type ConverseStreamCommandInput,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import {
  estimatePromptTokens,
  estimateTextTokens,
  makeUsage,
} from '../../tokens';
import type { ChatRequest, ModelConfig, StreamEvent, Usage } from '../../types';
import { isAbortError, ProviderUnavailableError } from '../errors';
import type { CallOptions, ProviderAdapter } from '../types';
import { toProviderError } from './errors';
import { toConverseInput } from './request';
import { fromConverseOutput, toUsage } from './response';
import { ConverseStreamMapper } from './stream';
import {
  structuredPlan,
  ToolAnswerStream,
  toolAnswerToContent,
} from './structured';

/** Options of a Bedrock provider instance. */
export interface BedrockAdapterOptions {
  /** Provider instance id (config key), named in errors and metrics. */
  readonly id: string;
  /** AWS region of the Bedrock Runtime endpoint, e.g. `eu-central-1`. */
  readonly region: string;
  /**
   * Endpoint override (a local fake, a VPC endpoint).
   * @default - `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` (read by the SDK), else the regional endpoint
   */
  readonly endpoint?: string;
  /**
   * A ready client (tests, tracing-wrapped clients); `region`, `endpoint`
   * and `timeoutMs` are then ignored.
   * @default - a client created once for this adapter
   */
  readonly client?: BedrockRuntimeClient;
  /**
   * Inactivity timeout of one call, ms: time to the response headers and
   * between event-stream frames. The router's signal still bounds the call.
   * @default - none
   */
  readonly timeoutMs?: number;
  /**
   * Credentials of the client (cross-account: `assumeRoleCredentials`).
   * @default - the default credential chain (the router's own role)
   */
  readonly credentials?: AwsCredentialIdentityProvider;
}

/**
 * Creates the Bedrock Runtime client an adapter uses. Exported so callers can
 * wrap it (e.g. `tracer.captureAWSv3Client`) and hand it back via `client`.
 */
export function createBedrockClient(
  options: Pick<
    BedrockAdapterOptions,
    'region' | 'endpoint' | 'timeoutMs' | 'credentials'
  >
): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: options.region,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    // Without an explicit endpoint the SDK itself honours
    // AWS_ENDPOINT_URL_BEDROCK_RUNTIME (then AWS_ENDPOINT_URL), so the
    // adapter must not default `endpoint` to anything.
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    // The router owns retries and failover (with deadlines and circuit
    // breakers); SDK retries underneath would multiply attempts and hold a
    // failing candidate past its deadline.
    maxAttempts: 1,
    ...(options.timeoutMs
      ? {
          // Same handler options the SDK defaults to for this client, plus
          // the timeout (setting any option replaces the defaults).
          requestHandler: {
            requestTimeout: options.timeoutMs,
            disableConcurrentStreams: true,
          },
        }
      : {}),
  });
}

/**
 * A ProviderAdapter over Bedrock Converse / ConverseStream, for any model id,
 * inference profile id or ARN the registry names in `providerModelId`.
 */
export function createBedrockAdapter(
  options: BedrockAdapterOptions
): ProviderAdapter {
  const { id } = options;
  // Created once per adapter (adapters live at module scope in the router),
  // so connections and credentials are reused across invocations.
  const client = options.client ?? createBedrockClient(options);

  return {
    id,
    type: 'bedrock',

    async chat(request, model, callOptions) {
      const input = toConverseInput(request, model, {
        requestId: callOptions.requestId,
      });
      let output: ConverseCommandOutput;
      try {
        output = await client.send(new ConverseCommand(input), {
          abortSignal: callOptions.signal,
        });
      } catch (err) {
        throw failure(id, err, callOptions.signal);
      }
      const plan = structuredPlan(request, model);
      const raw = fromConverseOutput(output);
      const result =
        plan.kind === 'tool' ? toolAnswerToContent(raw, plan.tool.name) : raw;
      if (toUsage(output.usage)) return result;
      const generated =
        (result.content ?? '') +
        result.toolCalls.map((c) => c.function.arguments).join('');
      return { ...result, usage: estimateUsage(request, generated) };
    },

    chatStream(request, model, callOptions) {
      return streamChat(id, client, request, model, callOptions);
    },

    // Embeddings are a lazy chunk: chat-only containers never load them.
    async embed(request, model, callOptions) {
      const { bedrockEmbed } = await import('../../lazy-parts.js');
      return bedrockEmbed(id, client, request, model, callOptions);
    },
  };
}

async function* streamChat(
  id: string,
  client: BedrockRuntimeClient,
  request: ChatRequest,
  model: ModelConfig,
  callOptions: CallOptions
): AsyncGenerator<StreamEvent> {
  const input: ConverseStreamCommandInput = toConverseInput(request, model, {
    requestId: callOptions.requestId,
  });
  // Aborted when the consumer stops early: the SDK then closes the HTTP/2
  // stream and destroys its session, so nothing keeps reading upstream.
  const release = new AbortController();
  const signal = AbortSignal.any([callOptions.signal, release.signal]);
  let done = false;
  try {
    let stream: AsyncIterable<ConverseStreamOutput>;
    try {
      const response = await client.send(new ConverseStreamCommand(input), {
        abortSignal: signal,
      });
      stream = response.stream ?? emptyStream();
    } catch (err) {
      throw failure(id, err, callOptions.signal);
    }

    const mapper = new ConverseStreamMapper(id);
    const plan = structuredPlan(request, model);
    const answer =
      plan.kind === 'tool' ? new ToolAnswerStream(plan.tool.name) : undefined;
    try {
      for await (const event of stream) {
        for (const out of mapper.map(event)) {
          if (!answer) yield out;
          else for (const ev of answer.map(out)) yield ev;
        }
      }
    } catch (err) {
      throw failure(id, err, callOptions.signal);
    }
    if (callOptions.signal.aborted)
      throw failure(id, abortedByCaller(), callOptions.signal);
    if (!mapper.finished) {
      // A clean end of the HTTP/2 stream before messageStop is still a cut
      // answer: say so instead of finishing silently.
      throw new ProviderUnavailableError(
        id,
        'Bedrock stream ended before messageStop'
      );
    }
    if (!mapper.usage) {
      yield {
        type: 'usage',
        usage: estimateUsage(request, mapper.output.join('')),
      };
    }
    done = true;
  } finally {
    if (!done) release.abort();
  }
}

async function* emptyStream(): AsyncGenerator<never> {}

function estimateUsage(request: ChatRequest, generated: string): Usage {
  return makeUsage(
    estimatePromptTokens(request, 'bedrock'),
    estimateTextTokens(generated, 'bedrock')
  );
}

function abortedByCaller(): Error {
  const err = new Error('Bedrock call aborted by the caller');
  err.name = 'AbortError';
  return err;
}

/**
 * What to throw for a failed call. When the caller's signal aborted, the
 * router already knows why: an abort error goes back unchanged (any other
 * error racing the abort becomes one), never a provider fault that would
 * count against Bedrock's circuit.
 */
function failure(id: string, err: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) {
    if (isAbortError(err)) return err;
    const aborted = abortedByCaller();
    aborted.cause = err;
    return aborted;
  }
  return toProviderError(id, err);
}
