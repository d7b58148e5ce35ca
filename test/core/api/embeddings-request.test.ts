import {
  MAX_EMBEDDING_INPUTS,
  parseEmbeddingsRequest,
} from '../../../lambdas/core/api/embeddings-request';
import { GatewayError } from '../../../lambdas/core/api/errors';
import { encodeBase64Vector } from '../../../lambdas/core/gateway/embeddings-service';

function refusal(body: unknown): GatewayError {
  try {
    parseEmbeddingsRequest(body);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('Function: parseEmbeddingsRequest', () => {
  it('normalises a string input and defaults to float', () => {
    expect(parseEmbeddingsRequest({ model: 'auto', input: 'hi' })).toEqual({
      model: 'auto',
      inputs: ['hi'],
      encodingFormat: 'float',
    });
  });

  it('keeps dimensions, base64 and user', () => {
    expect(
      parseEmbeddingsRequest({
        model: 'm',
        input: ['a', 'b'],
        dimensions: 256,
        encoding_format: 'base64',
        user: 'u',
      })
    ).toEqual({
      model: 'm',
      inputs: ['a', 'b'],
      dimensions: 256,
      encodingFormat: 'base64',
      user: 'u',
    });
  });

  it('refuses token arrays with a message saying why', () => {
    const err = refusal({ model: 'm', input: [[1, 2, 3]] });
    expect(err.status).toBe(400);
    expect(err.param).toBe('input');
    expect(err.message).toMatch(/token arrays is not supported/);
  });

  it('refuses more inputs than the cap', () => {
    const err = refusal({
      model: 'm',
      input: Array.from({ length: MAX_EMBEDDING_INPUTS + 1 }, () => 'a'),
    });
    expect(err.message).toMatch(/at most 2048/);
  });

  it('refuses a body that is not an object', () => {
    expect(refusal([1]).status).toBe(400);
  });
});

describe('Function: encodeBase64Vector', () => {
  it('writes little-endian float32 bytes', () => {
    const b64 = encodeBase64Vector([1, -0.5]);
    const buf = Buffer.from(b64, 'base64');
    expect(buf).toHaveLength(8);
    expect(buf.readFloatLE(0)).toBe(1);
    expect(buf.readFloatLE(4)).toBe(-0.5);
    // 1.0f little-endian is 00 00 80 3f.
    expect([...buf.subarray(0, 4)]).toEqual([0, 0, 0x80, 0x3f]);
  });
});
