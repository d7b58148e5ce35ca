import {
  offeredProtocols,
  wsCredentials,
} from '../../../lambdas/core/gateway/ws-auth';
import {
  parseClientFrame,
  splitChunkFrame,
  type WsServerFrame,
} from '../../../lambdas/core/gateway/ws-frames';

function chunkFrame(
  delta: Record<string, unknown>,
  finish: string | null = null
): WsServerFrame {
  return {
    type: 'chat.chunk',
    id: 'req-1',
    chunk: {
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'm',
      system_fingerprint: null,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON
const choice = (f: WsServerFrame): any => (f as any).chunk.choices[0];

describe('Function: parseClientFrame', () => {
  it('accepts chat.create and chat.cancel', () => {
    expect(
      parseClientFrame(
        '{"type":"chat.create","id":"a","request":{"model":"x"}}'
      )
    ).toEqual({
      frame: { type: 'chat.create', id: 'a', request: { model: 'x' } },
    });
    expect(parseClientFrame('{"type":"chat.cancel","id":"a"}')).toEqual({
      frame: { type: 'chat.cancel', id: 'a' },
    });
  });

  it('names the problem and keeps a readable id', () => {
    expect(parseClientFrame('[1]')).toEqual({
      problem: expect.objectContaining({ id: null }),
    });
    expect(parseClientFrame('{"type":"chat.create","id":"a"}')).toEqual({
      problem: expect.objectContaining({ id: 'a', param: 'request' }),
    });
    expect(parseClientFrame('{"type":"chat.cancel","id":""}')).toEqual({
      problem: expect.objectContaining({ id: null, param: 'id' }),
    });
    expect(
      parseClientFrame(`{"type":"chat.cancel","id":"${'x'.repeat(129)}"}`)
    ).toEqual({ problem: expect.objectContaining({ id: null }) });
  });
});

describe('Function: splitChunkFrame', () => {
  it('leaves frames under the limit alone', () => {
    const f = chunkFrame({ content: 'short' });
    expect(splitChunkFrame(f, 1024)).toEqual([f]);
    expect(splitChunkFrame({ type: 'chat.done', id: 'x' }, 10)).toHaveLength(1);
  });

  it('splits content on code points; role first, finish reason last; every piece under the limit', () => {
    // Prepare: multi-byte, astral (surrogate pairs) and JSON-escaped characters
    const text = 'aé😀"\\\n'.repeat(2000);
    const f = chunkFrame({ role: 'assistant', content: text }, 'stop');
    // Act
    const pieces = splitChunkFrame(f, 1000);
    // Assess
    expect(pieces.length).toBeGreaterThan(10);
    for (const p of pieces) {
      expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThanOrEqual(1000);
      expect(p.id).toBe('req-1');
      // No lone surrogate: each piece round-trips through UTF-8.
      const c = choice(p).delta.content as string;
      expect(Buffer.from(c, 'utf8').toString('utf8')).toBe(c);
    }
    expect(pieces.map((p) => choice(p).delta.content).join('')).toBe(text);
    expect(choice(pieces[0]!).delta.role).toBe('assistant');
    expect(
      pieces.slice(1).every((p) => choice(p).delta.role === undefined)
    ).toBe(true);
    expect(
      pieces.slice(0, -1).every((p) => choice(p).finish_reason === null)
    ).toBe(true);
    expect(choice(pieces.at(-1)!).finish_reason).toBe('stop');
  });

  it('splits the arguments of one tool-call delta; id and name stay on the first piece', () => {
    const args = JSON.stringify({ q: 'x'.repeat(5000) });
    const f = chunkFrame({
      tool_calls: [
        {
          index: 0,
          id: 'call_1',
          type: 'function',
          function: { name: 'search', arguments: args },
        },
      ],
    });
    const pieces = splitChunkFrame(f, 800);
    expect(pieces.length).toBeGreaterThan(5);
    for (const p of pieces)
      expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThanOrEqual(800);
    const calls = pieces.map((p) => choice(p).delta.tool_calls[0]);
    expect(calls[0]).toMatchObject({
      id: 'call_1',
      function: { name: 'search' },
    });
    expect(calls[1]).toEqual({
      index: 0,
      function: { arguments: expect.any(String) },
    });
    expect(calls.map((c) => c.function.arguments).join('')).toBe(args);
  });
});

describe('Function: wsCredentials', () => {
  it('reads the header first, then the bearer subprotocol; echoes gateway.v1 only when offered', () => {
    expect(wsCredentials({ authorization: 'Bearer k1' })).toEqual({
      key: 'k1',
      protocol: undefined,
    });
    expect(
      wsCredentials({ 'sec-websocket-protocol': 'gateway.v1, bearer.k2' })
    ).toEqual({ key: 'k2', protocol: 'gateway.v1' });
    expect(wsCredentials({ 'sec-websocket-protocol': 'bearer.' })).toEqual({
      key: undefined,
      protocol: undefined,
    });
    expect(offeredProtocols(' a ,b,, ')).toEqual(['a', 'b']);
  });
});
