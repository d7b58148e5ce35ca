import { appendFile } from 'node:fs';
import type { DecisionLog, DecisionRecord } from '../../ports';

/**
 * Decision log kept in a bounded in-memory ring, optionally appended to a
 * JSONL file (the export format `npm run replay` reads). File writes are
 * asynchronous and batched per tick so the hot path never waits on disk.
 */
export class MemoryDecisionLog implements DecisionLog {
  private readonly ring: DecisionRecord[] = [];
  /** Next slot to overwrite once the ring is full. */
  private head = 0;
  private pending: string[] = [];
  private flushScheduled = false;

  public constructor(
    private readonly capacity = 10_000,
    private readonly jsonlPath?: string
  ) {}

  public record(record: DecisionRecord): void {
    if (this.ring.length < this.capacity) this.ring.push(record);
    else {
      this.ring[this.head] = record;
      this.head = (this.head + 1) % this.capacity;
    }
    if (this.jsonlPath) {
      this.pending.push(`${JSON.stringify(record)}\n`);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.writeOut());
      }
    }
  }

  public recent(limit = 100): readonly DecisionRecord[] {
    const ordered = this.ring
      .slice(this.head)
      .concat(this.ring.slice(0, this.head));
    return ordered.slice(-limit).reverse();
  }

  private writeOut(): void {
    this.flushScheduled = false;
    const lines = this.pending.join('');
    this.pending = [];
    appendFile(this.jsonlPath!, lines, () => undefined);
  }
}
