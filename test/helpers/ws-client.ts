import WebSocket from 'ws';
import type { Json } from './gateway';

/** A test WebSocket client that records every frame it receives. */
export class WsTestClient {
  public readonly frames: Json[] = [];
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];

  private constructor(public readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()));
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred()) return true;
        w.resolve();
        return false;
      });
    });
  }

  /** Opens a connection; rejects with the HTTP status when the upgrade is refused. */
  public static open(
    url: string,
    options: { protocols?: string[]; headers?: Record<string, string> } = {}
  ): Promise<WsTestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options.protocols ?? [], {
        headers: options.headers,
      });
      const client = new WsTestClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () =>
          reject(
            Object.assign(new Error(`upgrade refused: ${res.statusCode}`), {
              status: res.statusCode,
              body,
            })
          )
        );
      });
      ws.once('error', reject);
    });
  }

  /** Sends a frame (an object is JSON-encoded). */
  public send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends chat.create with the request. */
  public create(id: string, request: Record<string, unknown>): void {
    this.send({ type: 'chat.create', id, request });
  }

  /** Frames of one id, in order. */
  public of(id: string | null): Json[] {
    return this.frames.filter((f) => f.id === id);
  }

  /** The terminal frames of one id. */
  public terminals(id: string): Json[] {
    return this.of(id).filter((f) => f.type !== 'chat.chunk');
  }

  /** Text the chunks of one id carry. */
  public text(id: string): string {
    return this.of(id)
      .filter((f) => f.type === 'chat.chunk')
      .map((f) => f.chunk.choices[0]?.delta?.content ?? '')
      .join('');
  }

  /** Resolves when the predicate holds (checked on every frame). */
  public until(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `timed out waiting; frames: ${JSON.stringify(this.frames).slice(0, 2000)}`
            )
          ),
        timeoutMs
      );
      this.waiters.push({
        pred,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Resolves when `id` got its terminal frame. */
  public ended(id: string, timeoutMs?: number): Promise<void> {
    return this.until(() => this.terminals(id).length > 0, timeoutMs);
  }

  /** Closes and waits for the close handshake. */
  public close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

/** Polls until the predicate holds. */
export async function eventually(
  pred: () => boolean,
  timeoutMs = 5000
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
