import { badRequest } from './errors';

/** Most inputs one request may carry (OpenAI's own cap). */
export const MAX_EMBEDDING_INPUTS = 2048;
/** Longest single input, characters (about 8k tokens, the common model limit). */
export const MAX_EMBEDDING_INPUT_CHARS = 32_768;
/** Longest request in total, characters (about 300k tokens, OpenAI's per-request cap). */
export const MAX_EMBEDDING_TOTAL_CHARS = 1_200_000;
/** Largest `dimensions` accepted (Gemini's full vector is 3072). */
export const MAX_EMBEDDING_DIMENSIONS = 8192;

/** A parsed `POST /v1/embeddings` body. */
export interface EmbeddingsRequest {
  readonly model: string;
  /** Texts to embed, at least one, each non-empty. */
  readonly inputs: readonly string[];
  readonly dimensions?: number;
  /** `float` arrays or base64 of little-endian float32 bytes (the openai SDK's default). */
  readonly encodingFormat: 'float' | 'base64';
  readonly user?: string;
}

const KNOWN = new Set([
  'model',
  'input',
  'dimensions',
  'encoding_format',
  'user',
]);

function isTokenArray(v: unknown): boolean {
  return (
    typeof v === 'number' ||
    (Array.isArray(v) && v.length > 0 && typeof v[0] === 'number')
  );
}

/**
 * Validates an embeddings body in OpenAI's shape. Every refusal is a 400
 * naming the field. Token arrays (number[] / number[][]) are refused: the
 * gateway routes across providers whose tokenizers differ, so only text
 * has one meaning everywhere.
 */
export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('the request body must be a JSON object');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b))
    if (!KNOWN.has(k))
      throw badRequest(
        `unknown field ${JSON.stringify(k)}; /v1/embeddings takes model, input, dimensions, encoding_format and user`,
        k
      );
  if (typeof b.model !== 'string' || b.model.length === 0)
    throw badRequest(
      'model must be a non-empty string (a model id, an alias or "auto")',
      'model'
    );
  const raw = b.input;
  if (raw === undefined) throw badRequest('input is required', 'input');
  const list: unknown[] = typeof raw === 'string' ? [raw] : (raw as unknown[]);
  if (!Array.isArray(list))
    throw badRequest('input must be a string or an array of strings', 'input');
  if (list.length === 0)
    throw badRequest('input must not be an empty array', 'input');
  if (list.length > MAX_EMBEDDING_INPUTS)
    throw badRequest(
      `input has ${list.length} items; at most ${MAX_EMBEDDING_INPUTS} per request`,
      'input'
    );
  let total = 0;
  for (const [i, v] of list.entries()) {
    if (isTokenArray(v) || (i === 0 && isTokenArray(list)))
      throw badRequest(
        'input as token arrays is not supported: this gateway routes across providers with different tokenizers; send text',
        'input'
      );
    if (typeof v !== 'string')
      throw badRequest(`input[${i}] must be a string`, 'input');
    if (v.length === 0)
      throw badRequest(`input[${i}] must not be empty`, 'input');
    if (v.length > MAX_EMBEDDING_INPUT_CHARS)
      throw badRequest(
        `input[${i}] has ${v.length} characters; at most ${MAX_EMBEDDING_INPUT_CHARS} per input`,
        'input'
      );
    total += v.length;
  }
  if (total > MAX_EMBEDDING_TOTAL_CHARS)
    throw badRequest(
      `input has ${total} characters in total; at most ${MAX_EMBEDDING_TOTAL_CHARS} per request`,
      'input'
    );
  const dims = b.dimensions;
  if (
    dims !== undefined &&
    dims !== null &&
    !(
      typeof dims === 'number' &&
      Number.isInteger(dims) &&
      dims >= 1 &&
      dims <= MAX_EMBEDDING_DIMENSIONS
    )
  )
    throw badRequest(
      `dimensions must be an integer from 1 to ${MAX_EMBEDDING_DIMENSIONS}`,
      'dimensions'
    );
  const fmt = b.encoding_format ?? 'float';
  if (fmt !== 'float' && fmt !== 'base64')
    throw badRequest(
      'encoding_format must be "float" or "base64"',
      'encoding_format'
    );
  if (b.user !== undefined && typeof b.user !== 'string')
    throw badRequest('user must be a string', 'user');
  return {
    model: b.model,
    inputs: list as string[],
    ...(typeof dims === 'number' ? { dimensions: dims } : {}),
    encodingFormat: fmt,
    ...(typeof b.user === 'string' ? { user: b.user } : {}),
  };
}
