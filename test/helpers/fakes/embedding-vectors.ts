import { createHash } from 'node:crypto';

/** Default vector length of the fakes when the request names none. */
export const FAKE_EMBEDDING_DIMENSIONS = 8;

/**
 * A deterministic unit vector for `text`: the same text always gives the
 * same numbers (so tests can compare the gateway's answer with the fake's),
 * different texts give different ones. Values are float32-exact so a
 * float32/base64 round trip returns them unchanged.
 */
export function fakeEmbedding(
  text: string,
  dimensions = FAKE_EMBEDDING_DIMENSIONS
): number[] {
  const out: number[] = [];
  let block = Buffer.alloc(0);
  for (let i = 0; out.length < dimensions; i++) {
    if (block.length < 2)
      block = createHash('sha256').update(`${i}:${text}`).digest();
    const v = block.readUInt16LE(0);
    block = block.subarray(2);
    // Multiples of 1/1024 in [-1, 1): exact in float32.
    out.push((v % 2048) / 1024 - 1);
  }
  return out;
}
