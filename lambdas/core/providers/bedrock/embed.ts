import {
  type BedrockRuntimeClient,
  InvokeModelCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { estimateTextTokens } from '../../tokens';
import type { ModelConfig } from '../../types';
import {
  batches,
  type EmbedRequest,
  type EmbedResult,
  mapLimited,
} from '../embeddings';
import {
  isAbortError,
  ProviderBadRequestError,
  ProviderUnavailableError,
} from '../errors';
import type { CallOptions } from '../types';
import { toProviderError } from './errors';

/** Titan takes one text per InvokeModel: this many calls run at once per request. */
export const TITAN_CONCURRENCY = 4;
/** Cohere Embed accepts at most this many texts per call. */
export const COHERE_BATCH = 96;
/** Output lengths Titan Text Embeddings v2 offers. */
export const TITAN_V2_DIMENSIONS: readonly number[] = [256, 512, 1024];
/** Cohere Embed v3 has one fixed length. */
export const COHERE_V3_DIMENSIONS = 1024;

/** Titan Text Embeddings v2 response body. */
interface TitanResponse {
  readonly embedding?: number[];
  readonly inputTextTokenCount?: number;
}

/** Cohere Embed response body (`embeddings` is keyed by type when `embedding_types` is sent). */
interface CohereResponse {
  readonly embeddings?: number[][] | { readonly float?: number[][] };
}

/** Which Bedrock embedding body a model id speaks. */
export function bedrockEmbeddingFamily(
  providerModelId: string
): 'titan' | 'cohere' | undefined {
  if (/(^|[.:/])cohere\.embed/.test(providerModelId)) return 'cohere';
  if (/(^|[.:/])amazon\.titan-embed/.test(providerModelId)) return 'titan';
  return undefined;
}

/**
 * Embeds through InvokeModel: Titan one text per call (a few in parallel),
 * Cohere in batches of 96 texts. SDK failures map like Converse's; a body
 * without vectors is a provider fault (retryable elsewhere).
 */
export async function bedrockEmbed(
  id: string,
  client: BedrockRuntimeClient,
  request: EmbedRequest,
  model: ModelConfig,
  options: CallOptions
): Promise<EmbedResult> {
  const family = bedrockEmbeddingFamily(model.providerModelId);
  if (!family)
    throw new ProviderBadRequestError(
      id,
      `${model.id} is not a Bedrock embedding model this gateway speaks (Titan Text Embeddings v2, Cohere Embed)`
    );
  const invoke = async (body: object): Promise<unknown> => {
    try {
      const out = await client.send(
        new InvokeModelCommand({
          modelId: model.providerModelId,
          contentType: 'application/json',
          accept: 'application/json',
          body: JSON.stringify(body),
        }),
        { abortSignal: options.signal }
      );
      return JSON.parse(new TextDecoder().decode(out.body));
    } catch (err) {
      if (options.signal.aborted || isAbortError(err)) throw err;
      if (err instanceof SyntaxError)
        throw new ProviderUnavailableError(
          id,
          'bedrock sent an embedding body that is not JSON'
        );
      throw toProviderError(id, err);
    }
  };
  if (family === 'titan') {
    const dims = request.dimensions;
    if (dims !== undefined && !TITAN_V2_DIMENSIONS.includes(dims))
      throw new ProviderBadRequestError(
        id,
        `${model.id} offers dimensions ${TITAN_V2_DIMENSIONS.join(', ')}, not ${dims}`
      );
    const answers = await mapLimited(
      request.inputs,
      TITAN_CONCURRENCY,
      async (text) =>
        (await invoke({
          inputText: text,
          ...(dims !== undefined ? { dimensions: dims } : {}),
          normalize: true,
        })) as TitanResponse
    );
    let tokens = 0;
    const vectors = answers.map((a, i) => {
      if (!Array.isArray(a.embedding))
        throw new ProviderUnavailableError(id, 'titan answered no embedding');
      tokens +=
        a.inputTextTokenCount ??
        estimateTextTokens(request.inputs[i]!, 'bedrock');
      return a.embedding;
    });
    return { vectors, promptTokens: tokens };
  }
  if (
    request.dimensions !== undefined &&
    request.dimensions !== COHERE_V3_DIMENSIONS
  )
    throw new ProviderBadRequestError(
      id,
      `${model.id} produces ${COHERE_V3_DIMENSIONS} dimensions only, not ${request.dimensions}`
    );
  const vectors: number[][] = [];
  for (const batch of batches(request.inputs, COHERE_BATCH)) {
    const answer = (await invoke({
      texts: batch,
      input_type: 'search_document',
      embedding_types: ['float'],
    })) as CohereResponse;
    const e = answer.embeddings;
    const got = Array.isArray(e) ? e : e?.float;
    if (!Array.isArray(got) || got.length !== batch.length)
      throw new ProviderUnavailableError(
        id,
        `cohere answered ${Array.isArray(got) ? got.length : 'no'} embeddings for ${batch.length} texts`
      );
    vectors.push(...got);
  }
  // Cohere's InvokeModel body carries no token count: estimate it.
  let tokens = 0;
  for (const t of request.inputs) tokens += estimateTextTokens(t, 'bedrock');
  return { vectors, promptTokens: tokens };
}
