import type { WsServerFrame } from '../../../lambdas/core/gateway/ws-frames';
import {
  type WsChatRunner,
  WsSession,
} from '../../../lambdas/core/gateway/ws-session';

function session(run: WsChatRunner): {
  s: WsSession;
  frames: WsServerFrame[];
} {
  const frames: WsServerFrame[] = [];
  const s = new WsSession({
    run,
    send: (f) => {
      frames.push(f);
      return undefined;
    },
  });
  return { s, frames };
}

const create = (id: string) =>
  JSON.stringify({ type: 'chat.create', id, request: { model: 'm' } });

describe('Class: WsSession', () => {
  describe('Method: receive', () => {
    it('forces stream: true on the request it runs', async () => {
      let body = '';
      const { s } = session(async (b, sink) => {
        body = b;
        sink.send(200, {}, '{"error":{"message":"x","type":"server_error"}}');
      });
      await s.receive(
        JSON.stringify({
          type: 'chat.create',
          id: 'a',
          request: { model: 'm', stream: false },
        })
      );
      expect(JSON.parse(body)).toEqual({ model: 'm', stream: true });
    });

    it('maps an in-band SSE error event to chat.error with the status of its type, and drops what follows', async () => {
      const { s, frames } = session(async (_b, sink) => {
        sink.start(200, {});
        await sink.write('data: {"choices":[]}\n\n: keep-alive\n\n');
        await sink.write(
          'data: {"error":{"message":"late","type":"timeout_error","code":"upstream_timeout","param":null}}\n\n'
        );
        await sink.write('data: [DONE]\n\n');
        sink.end();
      });
      await s.receive(create('a'));
      expect(frames).toEqual([
        { type: 'chat.chunk', id: 'a', chunk: { choices: [] } },
        {
          type: 'chat.error',
          id: 'a',
          error: expect.objectContaining({
            status: 504,
            code: 'upstream_timeout',
          }),
        },
      ]);
    });

    it('reassembles events split across writes', async () => {
      const { s, frames } = session(async (_b, sink) => {
        sink.start(200, {});
        await sink.write('data: {"cho');
        await sink.write('ices":[1]}\n');
        await sink.write('\ndata: [DO');
        await sink.write('NE]\n\n');
        sink.end();
      });
      await s.receive(create('a'));
      expect(frames).toEqual([
        { type: 'chat.chunk', id: 'a', chunk: { choices: [1] } },
        { type: 'chat.done', id: 'a' },
      ]);
    });

    it('turns a stream that ends without [DONE] into chat.error (never silence)', async () => {
      const { s, frames } = session(async (_b, sink) => {
        sink.start(200, {});
        await sink.write('data: {"choices":[]}\n\n');
        sink.end();
      });
      await s.receive(create('a'));
      expect(frames.at(-1)).toEqual({
        type: 'chat.error',
        id: 'a',
        error: expect.objectContaining({
          status: 502,
          code: 'stream_interrupted',
        }),
      });
    });

    it('answers 500 when the runner throws or returns without answering', async () => {
      const { s, frames } = session(async () => {
        throw new Error('boom');
      });
      await s.receive(create('a'));
      const quiet = session(async () => undefined);
      await quiet.s.receive(create('b'));
      expect(frames).toEqual([
        expect.objectContaining({
          error: expect.objectContaining({
            status: 500,
            code: 'internal_error',
          }),
        }),
      ]);
      expect(quiet.frames).toEqual([
        expect.objectContaining({
          id: 'b',
          error: expect.objectContaining({ status: 502 }),
        }),
      ]);
    });

    it('turns a complete JSON answer (e.g. a cache hit) into one chunk and chat.done', async () => {
      const { s, frames } = session(async (_b, sink) => {
        sink.send(
          200,
          { 'content-type': 'application/json' },
          JSON.stringify({
            id: 'c',
            object: 'chat.completion',
            created: 1,
            model: 'm',
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: 'hi' },
                finish_reason: 'stop',
              },
            ],
          })
        );
      });
      await s.receive(create('a'));
      expect(frames).toEqual([
        {
          type: 'chat.chunk',
          id: 'a',
          chunk: expect.objectContaining({
            object: 'chat.completion.chunk',
            choices: [
              {
                index: 0,
                delta: { role: 'assistant', content: 'hi' },
                logprobs: null,
                finish_reason: 'stop',
              },
            ],
          }),
        },
        { type: 'chat.done', id: 'a' },
      ]);
    });

    it('keeps the status and Retry-After of a refusal', async () => {
      const { s, frames } = session(async (_b, sink) => {
        sink.send(
          429,
          { 'Retry-After': '7' },
          '{"error":{"message":"slow down","type":"rate_limit_error","code":"rate_limited","param":null}}'
        );
      });
      await s.receive(create('a'));
      expect(frames).toEqual([
        {
          type: 'chat.error',
          id: 'a',
          error: {
            message: 'slow down',
            type: 'rate_limit_error',
            code: 'rate_limited',
            param: null,
            status: 429,
            retry_after: 7,
          },
        },
      ]);
    });
  });

  describe('Method: close', () => {
    it('aborts every generation silently', async () => {
      const signals: AbortSignal[] = [];
      const { s, frames } = session(
        (_b, sink) =>
          new Promise<void>((resolve) => {
            signals.push(sink.signal);
            sink.signal.addEventListener('abort', () => resolve());
          })
      );
      const a = s.receive(create('a'));
      const b = s.receive(create('b'));
      expect(s.inFlight).toBe(2);
      s.close();
      await Promise.all([a, b]);
      expect(signals.every((sig) => sig.aborted)).toBe(true);
      expect(frames).toEqual([]);
      expect(s.inFlight).toBe(0);
    });
  });
});
