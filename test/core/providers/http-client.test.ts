import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nodeHttpFetch } from '../../../lambdas/core/providers/http-client';

describe('nodeHttpFetch', () => {
  let server: Server;
  let base: string;
  let connections = 0;
  let slowBody: ServerResponse | undefined;
  let lastHead: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      lastHead = req.rawHeaders;
      req.resume();
      req.on('end', () => {
        if (req.url === '/cut') {
          res.writeHead(200, { 'content-length': '100' });
          res.write('only part');
          setTimeout(() => res.socket?.destroy(), 5);
          return;
        }
        if (req.url === '/slow') {
          // Headers and half a body, then silence.
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('partial');
          slowBody = res;
          return;
        }
        res.writeHead(200, {
          'content-type': 'application/json',
          'X-Upstream-Id': 'up-1',
        });
        res.end('{"ok":true}');
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    slowBody?.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('returns status, headers (any case) and the body', async () => {
    // WHEN
    const res = await nodeHttpFetch(`${base}/ok`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });

    // THEN
    expect(res.ok).toBe(true);
    expect(res.status).toBe(200);
    expect(res.headers.get('X-UPSTREAM-ID')).toBe('up-1');
    expect(res.headers.get('missing')).toBeNull();
    expect(await res.text()).toBe('{"ok":true}');
  });

  it('writes the head node:http would write from a header object', async () => {
    // WHEN lower-case names (the raw header list path)
    await (
      await nodeHttpFetch(`${base}/ok`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': '9' },
        body: '{"a":"é"}',
      })
    ).text();

    // THEN the body's own length, Host last, keep-alive
    const port = new URL(base).port;
    expect(lastHead).toEqual([
      'content-type',
      'application/json',
      'content-length',
      '10',
      'Host',
      `127.0.0.1:${port}`,
      'Connection',
      'keep-alive',
    ]);

    // WHEN names of mixed case (the header object path merges them)
    await (
      await nodeHttpFetch(`${base}/ok`, {
        method: 'GET',
        headers: { Accept: 'text/plain', host: 'example.test' },
      })
    ).text();

    // THEN
    expect(lastHead).toEqual([
      'Accept',
      'text/plain',
      'host',
      'example.test',
      'Connection',
      'keep-alive',
    ]);
  });

  it('keeps the connection alive when the signal aborts after the body was read', async () => {
    // GIVEN: one warm connection
    const warm = await nodeHttpFetch(`${base}/ok`, {
      method: 'POST',
      headers: {},
      body: '{}',
    });
    await warm.text();
    const before = connections;

    // WHEN: an attempt reads its body, then is disposed (aborted), three times
    for (let i = 0; i < 3; i++) {
      const controller = new AbortController();
      const res = await nodeHttpFetch(`${base}/ok`, {
        method: 'POST',
        headers: {},
        body: '{}',
        signal: controller.signal,
      });
      expect(await res.text()).toBe('{"ok":true}');
      controller.abort(new Error('attempt finished'));
    }

    // THEN: no socket was destroyed, so no new connection was needed
    expect(connections).toBe(before);
  });

  it('rejects with the signal reason when aborted before the response', async () => {
    // GIVEN
    const controller = new AbortController();
    const reason = new Error('client went away');
    controller.abort(reason);

    // THEN
    await expect(
      nodeHttpFetch(`${base}/ok`, {
        method: 'POST',
        headers: {},
        body: '{}',
        signal: controller.signal,
      })
    ).rejects.toBe(reason);
  });

  it('fails the body read with the signal reason when aborted mid-body', async () => {
    // GIVEN
    const controller = new AbortController();
    const res = await nodeHttpFetch(`${base}/slow`, {
      method: 'POST',
      headers: {},
      body: '{}',
      signal: controller.signal,
    });
    const text = res.text();

    // WHEN
    const reason = new Error('deadline passed');
    controller.abort(reason);

    // THEN
    await expect(text).rejects.toBe(reason);
  });

  it('fails the body read with ECONNRESET when the peer cuts the body short', async () => {
    // GIVEN
    const res = await nodeHttpFetch(`${base}/cut`, {
      method: 'POST',
      headers: {},
      body: '{}',
      signal: new AbortController().signal,
    });

    // THEN
    await expect(res.text()).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});
