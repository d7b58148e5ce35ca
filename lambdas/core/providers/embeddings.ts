/**
 * Provider-neutral embedding call shapes (`ProviderAdapter.embed`). The
 * gateway speaks OpenAI's `/v1/embeddings` to clients; each family maps
 * these to its own wire format (bedrock/embed.ts, gemini/embed.ts,
 * openai-compatible/embed.ts).
 */

/** One embedding call: texts in, one vector per text out, in order. */
export interface EmbedRequest {
  /** The texts to embed (at least one). */
  readonly inputs: readonly string[];
  /** Requested vector length; undefined: the model's default. */
  readonly dimensions?: number;
  /** End-user id, forwarded where the protocol has a field for it. */
  readonly user?: string;
}

/** The vectors (same order as the inputs) and the tokens billed. */
export interface EmbedResult {
  readonly vectors: readonly (readonly number[])[];
  /** Input tokens as the provider counted them (estimated where it says nothing). */
  readonly promptTokens: number;
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, keeping the
 * order of the results. Used where a provider takes one input per call.
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker)
  );
  return out;
}

/** Splits `items` into batches of at most `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(items.slice(i, i + size));
  return out;
}

/** Scales a vector to unit length (shortened Matryoshka vectors are not). */
export function normalize(vector: readonly number[]): number[] {
  let sum = 0;
  for (const x of vector) sum += x * x;
  const norm = Math.sqrt(sum);
  return norm > 0 ? vector.map((x) => x / norm) : [...vector];
}
