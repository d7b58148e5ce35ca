import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * The subset of the fetch API the HTTP-speaking adapters (Gemini,
 * OpenAI-compatible) use. The global `fetch` satisfies it, so tests may pass
 * it; production uses `nodeHttpFetch`, which speaks node:http(s) directly.
 *
 * Why not fetch: on Node 20/22 undici's fetch (WHATWG streams, Request and
 * Response objects, per-call AbortSignal plumbing) cost about 345 µs of CPU
 * per small request in our measurement, node:http with a keep-alive agent
 * about 70 µs. On a gateway whose overhead budget is 0.3 ms, that is the
 * whole budget.
 */
export interface HttpResponseLike {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  readonly body: HttpBodyLike | null;
}

/** A readable body as a reader of byte chunks (WHATWG reader subset). */
export interface HttpBodyLike {
  getReader(): {
    read(): Promise<{ done: boolean; value?: Uint8Array }>;
    cancel(): Promise<void>;
  };
}

/** Request options of HttpFetch. */
export interface HttpRequestInit {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

/** A fetch-shaped function. */
export type HttpFetch = (
  url: string,
  init: HttpRequestInit
) => Promise<HttpResponseLike>;

const httpAgent = new HttpAgent({ keepAlive: true, scheduling: 'lifo' });
const httpsAgent = new HttpsAgent({ keepAlive: true, scheduling: 'lifo' });

interface Target {
  readonly https: boolean;
  readonly hostname: string;
  readonly port: string;
  readonly path: string;
  /** The Host header node:http would write: bracketed IPv6, port only when not the default. */
  readonly host: string;
}

// Adapters call a handful of URLs over and over: parse each once.
const targets = new Map<string, Target>();

function target(url: string): Target {
  let t = targets.get(url);
  if (!t) {
    const u = new URL(url);
    // The URL parser drops a default port and keeps IPv6 brackets in
    // `hostname`: `host` is what node:http itself would write.
    t = {
      https: u.protocol === 'https:',
      hostname: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port,
      path: `${u.pathname}${u.search}`,
      host: u.port ? `${u.hostname}:${u.port}` : u.hostname,
    };
    if (targets.size > 1000) targets.clear();
    targets.set(url, t);
  }
  return t;
}

/**
 * Header lookup over an IncomingMessage's (lower-cased) headers. Node builds
 * `res.headers` from the raw lines on first access: adapters read headers
 * only on errors (Retry-After), so a success never pays for it.
 */
class NodeHeaders {
  public constructor(private readonly res: IncomingMessage) {}

  public get(name: string): string | null {
    const v = this.res.headers[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  }
}

/** The body as a reader of chunks; cancel destroys the response. */
class NodeBody implements HttpBodyLike {
  public constructor(private readonly res: IncomingMessage) {}

  public getReader(): ReturnType<HttpBodyLike['getReader']> {
    const res = this.res;
    const it = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    return {
      read: async () => {
        const r = await it.next();
        return r.done ? { done: true } : { done: false, value: r.value };
      },
      cancel: async () => {
        // Destroying frees the socket; the agent won't reuse it.
        res.destroy();
      },
    };
  }
}

class NodeResponse implements HttpResponseLike {
  public readonly ok: boolean;
  public readonly status: number;
  public readonly headers: NodeHeaders;
  public readonly body: NodeBody;

  /**
   * @param settled called once the body has been read to its end: the
   *   caller's abort no longer concerns this response.
   */
  public constructor(
    private readonly res: IncomingMessage,
    private readonly settled: () => void
  ) {
    this.status = res.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status < 300;
    this.headers = new NodeHeaders(res);
    this.body = new NodeBody(res);
  }

  public text(): Promise<string> {
    const res = this.res;
    const settled = this.settled;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => {
        settled();
        resolve(
          chunks.length === 1
            ? chunks[0]!.toString('utf8')
            : Buffer.concat(chunks).toString('utf8')
        );
      });
      res.once('error', reject);
      // Our own abort destroys the response with the signal's reason
      // (`errored`); without one, the peer cut the body short.
      res.once('aborted', () =>
        reject(
          res.errored ??
            Object.assign(new Error('aborted'), { code: 'ECONNRESET' })
        )
      );
    });
  }
}

const noop = (): void => {};

/** Upper-case ASCII: such a header name could collide with another case-insensitively. */
const UPPER = /[A-Z]/;

/**
 * The request head as node:http's raw [name, value, ...] list, or undefined
 * when a name is not lower-case (the header object path then merges names
 * case-insensitively, as before). node:http validates a raw list as it does
 * setHeader, but writes it in one pass instead of a setHeader per name, and
 * adds no Host itself: it is appended last, where node:http puts it.
 */
function rawHead(
  headers: Record<string, string>,
  body: string | undefined,
  host: string
): string[] | undefined {
  const raw: string[] = [];
  let hasHost = false;
  for (const k in headers) {
    if (UPPER.test(k)) return undefined;
    if (k === 'content-length' && body !== undefined) continue;
    if (k === 'host') hasHost = true;
    raw.push(k, headers[k]!);
  }
  if (body !== undefined)
    raw.push('content-length', String(Buffer.byteLength(body)));
  if (!hasHost) raw.push('Host', host);
  return raw;
}

/** The header object node:http merges by setHeader (names of any case). */
function headObject(
  headers: Record<string, string>,
  body: string | undefined
): Record<string, string | number> {
  // Object.assign, not a spread: adding a key to a spread copy takes V8's
  // slow path (~1 µs).
  const head: Record<string, string | number> = Object.assign({}, headers);
  if (body !== undefined) head['content-length'] = Buffer.byteLength(body);
  return head;
}

/**
 * HttpFetch over node:http(s) with shared keep-alive agents. Like fetch, an
 * aborted signal rejects with `signal.reason` itself, before and during the
 * body, so callers can tell their own abort from a network failure.
 */
export const nodeHttpFetch: HttpFetch = (url, init) => {
  const t = target(url);
  const signal = init.signal;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const headers =
    rawHead(init.headers, init.body, t.host) ??
    headObject(init.headers, init.body);
  return new Promise((resolve, reject) => {
    let res: IncomingMessage | undefined;
    const onAbort = (): void => {
      if (res) res.destroy(signal!.reason);
      else {
        req.destroy();
        reject(signal!.reason);
      }
    };
    const req = (t.https ? httpsRequest : httpRequest)(
      {
        agent: t.https ? httpsAgent : httpAgent,
        hostname: t.hostname,
        port: t.port || undefined,
        path: t.path,
        method: init.method,
        headers,
      },
      (response) => {
        res = response;
        if (!signal) {
          resolve(new NodeResponse(response, noop));
          return;
        }
        // Detached as soon as the body is complete (not only on 'close',
        // a tick later): an abort after that (the attempt's disposal) must
        // not destroy a finished response or cost an event dispatch.
        let attached = true;
        const detach = (): void => {
          if (!attached) return;
          attached = false;
          signal.removeEventListener('abort', onAbort);
        };
        response.once('close', detach);
        resolve(new NodeResponse(response, detach));
      }
    );
    req.once('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    req.end(init.body);
  });
};
