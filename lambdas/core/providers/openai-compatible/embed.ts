import { estimateTextTokens } from '../../tokens';
import type { ModelConfig } from '../../types';
import type { EmbedRequest, EmbedResult } from '../embeddings';
import {
  ProviderAuthError,
  ProviderError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../errors';
import { nodeHttpFetch } from '../http-client';
import type { CallOptions } from '../types';
import type { OpenAICompatibleAdapterOptions } from './adapter';
import { errorFromNetwork, errorFromResponse } from './errors';

/** The upstream `/embeddings` answer (float encoding). */
interface WireEmbeddingList {
  readonly data?: readonly {
    readonly index?: number;
    readonly embedding?: number[] | string;
  }[];
  readonly usage?: { readonly prompt_tokens?: number };
}

/**
 * `POST {baseUrl}/embeddings` passthrough. Upstream is always asked for
 * floats (the gateway encodes base64 itself when the client wants it), so
 * one parser serves every client and the cache holds one form.
 */
export function openAICompatibleEmbedder(
  options: OpenAICompatibleAdapterOptions
): (
  request: EmbedRequest,
  model: ModelConfig,
  call: CallOptions
) => Promise<EmbedResult> {
  const { id, credential, timeoutMs } = options;
  const url = `${options.baseUrl.replace(/\/+$/, '')}/embeddings`;
  const doFetch = options.fetch ?? nodeHttpFetch;
  return async (request, model, call) => {
    const signal = timeoutMs
      ? AbortSignal.any([call.signal, AbortSignal.timeout(timeoutMs)])
      : call.signal;
    const body = JSON.stringify({
      model: model.providerModelId,
      input: request.inputs,
      encoding_format: 'float',
      ...(request.dimensions !== undefined
        ? { dimensions: request.dimensions }
        : {}),
      ...(request.user !== undefined ? { user: request.user } : {}),
    });
    let key: string | undefined;
    try {
      key = await credential.get();
    } catch (err) {
      throw new ProviderAuthError(id, 'credential source failed', {
        cause: err,
      });
    }
    let json: WireEmbeddingList;
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: {
          ...options.headers,
          'content-type': 'application/json',
          accept: 'application/json',
          'x-request-id': call.requestId,
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        body,
        signal,
      });
      if (!res.ok) throw await errorFromResponse(id, res, key);
      try {
        json = JSON.parse(await res.text()) as WireEmbeddingList;
      } catch (err) {
        if (err instanceof SyntaxError)
          throw new ProviderUnavailableError(
            id,
            'upstream sent an embedding response that is not JSON'
          );
        throw err;
      }
    } catch (err) {
      if (err instanceof ProviderError || call.signal.aborted) throw err;
      if (signal.aborted)
        throw new ProviderTimeoutError(
          id,
          `upstream did not answer within ${timeoutMs} ms`,
          { cause: err }
        );
      throw errorFromNetwork(id, err, 'connect');
    }
    const data = json.data ?? [];
    const vectors = new Array<number[]>(request.inputs.length);
    for (const [i, d] of data.entries()) {
      const at = d.index ?? i;
      if (!Array.isArray(d.embedding) || at < 0 || at >= vectors.length)
        throw new ProviderUnavailableError(
          id,
          'upstream answered an embedding that is not a float array'
        );
      vectors[at] = d.embedding;
    }
    if (data.length !== request.inputs.length || vectors.includes(undefined!))
      throw new ProviderUnavailableError(
        id,
        `upstream answered ${data.length} embeddings for ${request.inputs.length} texts`
      );
    let tokens = json.usage?.prompt_tokens;
    if (tokens === undefined) {
      tokens = 0;
      for (const t of request.inputs) tokens += estimateTextTokens(t);
    }
    return { vectors, promptTokens: tokens };
  };
}
