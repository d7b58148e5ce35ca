import {
  type ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { splitChunkFrame, type WsServerFrame } from '../../gateway/ws-frames';
import type { Log } from '../../ports';

/** API Gateway WebSocket frame limit (bytes); larger chunks are split. */
export const API_GATEWAY_WS_FRAME_BYTES = 32 * 1024;

/** Options of {@link PostToConnectionSender}. */
export interface PostToConnectionSenderOptions {
  readonly client: ApiGatewayManagementApiClient;
  readonly connectionId: string;
  /** Largest message posted, bytes. @default 32768 */
  readonly maxFrameBytes?: number;
  /** Frames queued beyond this make `send` return a promise (backpressure). @default 8 */
  readonly highWater?: number;
  /** Called once when the connection is gone (GoneException) or posts keep failing. */
  readonly onGone?: () => void;
  readonly log?: Log;
}

const RETRIES = 2;

/**
 * Sends frames to one API Gateway WebSocket connection with
 * PostToConnection, strictly in order (one post at a time: concurrent posts
 * may arrive out of order). A `chat.chunk` above the frame limit is split
 * into several chunks of the same id. A gone connection stops the queue and
 * tells the session, which aborts the generations (and their upstream calls).
 */
export class PostToConnectionSender {
  private readonly queue: string[] = [];
  private running?: Promise<void>;
  private waiters: (() => void)[] = [];
  private gone = false;
  /** Messages posted (tests and metrics). */
  public posted = 0;

  public constructor(private readonly options: PostToConnectionSenderOptions) {}

  /** Queues a frame; returns a promise while the queue is above the high-water mark. */
  public send = (frame: WsServerFrame): undefined | Promise<void> => {
    if (this.gone) return undefined;
    for (const f of splitChunkFrame(
      frame,
      this.options.maxFrameBytes ?? API_GATEWAY_WS_FRAME_BYTES
    )) {
      this.queue.push(JSON.stringify(f));
    }
    this.running ??= this.pump();
    if (this.queue.length <= (this.options.highWater ?? 8)) return undefined;
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  };

  /** Resolves when every queued frame was posted (or the connection is gone). */
  public async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.gone) {
        const data = this.queue.shift()!;
        await this.post(data);
        if (this.queue.length <= (this.options.highWater ?? 8)) this.release();
      }
    } finally {
      this.running = undefined;
      this.release();
    }
  }

  private release(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  private async post(data: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.options.client.send(
          new PostToConnectionCommand({
            ConnectionId: this.options.connectionId,
            Data: Buffer.from(data),
          })
        );
        this.posted++;
        return;
      } catch (err) {
        const name = (err as { name?: string })?.name;
        if (name !== 'GoneException' && attempt < RETRIES) {
          await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
          continue;
        }
        if (name !== 'GoneException') {
          this.options.log?.warn('websocket post failed', { error: name });
        }
        this.markGone();
        return;
      }
    }
  }

  private markGone(): void {
    if (this.gone) return;
    this.gone = true;
    this.queue.length = 0;
    this.options.onGone?.();
  }
}
