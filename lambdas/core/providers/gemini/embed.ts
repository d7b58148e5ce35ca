import { estimateTextTokens } from '../../tokens';
import type { ModelConfig } from '../../types';
import {
  batches,
  type EmbedRequest,
  type EmbedResult,
  normalize,
} from '../embeddings';
import {
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../errors';
import { type HttpFetch, nodeHttpFetch } from '../http-client';
import type { CallOptions } from '../types';
import type { GeminiAdapterOptions } from './adapter';
import { geminiErrorFromHttp, geminiNetworkError } from './errors';

/** `batchEmbedContents` takes at most this many requests per call. */
export const GEMINI_EMBED_BATCH = 100;

/** One `batchEmbedContents` request item. */
interface EmbedContentRequest {
  readonly model: string;
  readonly content: { readonly parts: readonly { readonly text: string }[] };
  readonly outputDimensionality?: number;
}

/** The `batchEmbedContents` answer. */
interface BatchEmbedResponse {
  readonly embeddings?: readonly { readonly values?: number[] }[];
}

/**
 * Embeds through the Generative Language API's `:batchEmbedContents`
 * (api mode only; Vertex serves embeddings through `:predict`, not wired).
 * Shortened vectors (`outputDimensionality`) come back unnormalised, so
 * they are scaled to unit length as OpenAI's are.
 */
export function geminiEmbedder(
  options: GeminiAdapterOptions
): (
  request: EmbedRequest,
  model: ModelConfig,
  call: CallOptions
) => Promise<EmbedResult> {
  const id = options.id;
  const fetchFn: HttpFetch = options.fetch ?? nodeHttpFetch;
  const base = (
    options.baseUrl ?? 'https://generativelanguage.googleapis.com'
  ).replace(/\/+$/, '');
  return async (request, model, call) => {
    if ((options.mode ?? 'api') !== 'api')
      throw new ProviderBadRequestError(
        id,
        'embeddings are served in gemini api mode only (vertex :predict is not wired)'
      );
    const name = model.providerModelId.replace(/^\/+/, '');
    const path = name.includes('/') ? name : `models/${name}`;
    const url = `${base}/v1beta/${path.split('/').map(encodeURIComponent).join('/')}:batchEmbedContents`;
    const signal = options.timeoutMs
      ? AbortSignal.any([call.signal, AbortSignal.timeout(options.timeoutMs)])
      : call.signal;
    let credential: string | undefined;
    try {
      credential = await options.credential.get();
    } catch (err) {
      throw new ProviderAuthError(id, 'could not read the gemini credential', {
        cause: err,
      });
    }
    if (!credential)
      throw new ProviderAuthError(id, 'no gemini credential is configured');
    const vectors: number[][] = [];
    for (const batch of batches(request.inputs, GEMINI_EMBED_BATCH)) {
      const body: { requests: EmbedContentRequest[] } = {
        requests: batch.map((text) => ({
          model: path,
          content: { parts: [{ text }] },
          ...(request.dimensions !== undefined
            ? { outputDimensionality: request.dimensions }
            : {}),
        })),
      };
      let json: BatchEmbedResponse;
      try {
        const res = await fetchFn(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-goog-api-key': credential,
          },
          body: JSON.stringify(body),
          signal,
        });
        const text = await res.text();
        if (!res.ok)
          throw geminiErrorFromHttp(id, res.status, text, res.headers, [
            credential,
          ]);
        try {
          json = JSON.parse(text) as BatchEmbedResponse;
        } catch {
          throw new ProviderUnavailableError(
            id,
            'gemini sent an embedding response that is not JSON'
          );
        }
      } catch (err) {
        if (err instanceof ProviderError || call.signal.aborted) throw err;
        if (signal.aborted)
          throw new ProviderTimeoutError(
            id,
            `gemini embedding call exceeded ${options.timeoutMs} ms`,
            { cause: err }
          );
        throw geminiNetworkError(id, err);
      }
      const got = json.embeddings ?? [];
      if (got.length !== batch.length)
        throw new ProviderUnavailableError(
          id,
          `gemini answered ${got.length} embeddings for ${batch.length} texts`
        );
      for (const e of got) {
        if (!Array.isArray(e.values))
          throw new ProviderUnavailableError(id, 'gemini answered no values');
        vectors.push(
          request.dimensions !== undefined ? normalize(e.values) : e.values
        );
      }
    }
    // The embed answer carries no usage: estimate as the chat path does.
    let tokens = 0;
    for (const t of request.inputs) tokens += estimateTextTokens(t, 'gemini');
    return { vectors, promptTokens: tokens };
  };
}
