import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  LocalResponseStream,
  localAwsLambda,
} from '../../local/awslambda-emulator';

/** Serves one handler that writes to a LocalResponseStream, returns the URL. */
async function serve(
  write: (s: LocalResponseStream) => void
): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) =>
    write(new LocalResponseStream(res))
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
  };
}

describe('Class: LocalResponseStream', () => {
  let server: Server | undefined;
  afterEach(
    () => new Promise<void>((r) => (server ? server.close(() => r()) : r()))
  );

  it('decodes the HttpResponseStream prelude into status and headers', async () => {
    // Prepare
    const s = await serve((stream) => {
      const out = localAwsLambda.HttpResponseStream.from(stream, {
        statusCode: 418,
        headers: { 'content-type': 'text/plain', 'x-test': 'yes' },
      });
      out.write('hello ');
      out.end('world');
    });
    server = s.server;
    // Act
    const res = await fetch(s.url);
    // Assess
    expect(res.status).toBe(418);
    expect(res.headers.get('x-test')).toBe('yes');
    expect(await res.text()).toBe('hello world');
  });

  it('sends cookies as set-cookie lines beside the headers, leaving the metadata as it was', async () => {
    // Prepare
    const headers = { 'content-type': 'text/plain', 'x-test': 'yes' };
    const s = await serve((stream) => {
      localAwsLambda.HttpResponseStream.from(stream, {
        statusCode: 200,
        headers,
        cookies: ['a=1', 'b=2'],
      }).end('ok');
    });
    server = s.server;
    // Act
    const res = await fetch(s.url);
    // Assess
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(res.headers.get('x-test')).toBe('yes');
    expect(await res.text()).toBe('ok');
    expect(headers).toEqual({ 'content-type': 'text/plain', 'x-test': 'yes' });
  });

  it('finds the delimiter when the runtime writes prelude and body in odd pieces', async () => {
    // Prepare: a raw writer that emulates the runtime splitting bytes across writes
    const s = await serve((stream) => {
      stream.setContentType(
        'application/vnd.awslambda.http-integration-response'
      );
      const prelude = Buffer.from(
        JSON.stringify({ statusCode: 201, headers: { a: 'b' } })
      );
      const all = Buffer.concat([
        prelude,
        Buffer.alloc(8),
        Buffer.from('body!'),
      ]);
      for (const piece of [
        all.subarray(0, 5),
        all.subarray(5, prelude.length + 3),
        all.subarray(prelude.length + 3),
      ]) {
        stream.write(piece);
      }
      stream.end();
    });
    server = s.server;
    // Act
    const res = await fetch(s.url);
    // Assess
    expect(res.status).toBe(201);
    expect(res.headers.get('a')).toBe('b');
    expect(await res.text()).toBe('body!');
  });

  it('answers 200 with the declared content type when no prelude is used', async () => {
    const s = await serve((stream) => {
      stream.setContentType('text/plain');
      stream.end('plain');
    });
    server = s.server;
    const res = await fetch(s.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('plain');
  });
});
