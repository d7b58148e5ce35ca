import { appendFile } from 'node:fs';
import { matchesQuery, sameFeedback } from '../../decisions/query';
import type {
  DecisionFeedback,
  DecisionLog,
  DecisionQuery,
  DecisionRecord,
  FeedbackWrite,
} from '../../ports';

/**
 * Decision log kept in a bounded in-memory ring, optionally appended to a
 * JSONL file (the export format `npm run replay` reads). File writes are
 * asynchronous and batched per tick so the hot path never waits on disk.
 * Feedback updates the record in the ring (the file keeps decisions as they
 * were served; `ops decisions export` gives them with their feedback).
 */
export class MemoryDecisionLog implements DecisionLog {
  private readonly ring: DecisionRecord[] = [];
  /** decision id -> ring slot, so feedback finds its record in O(1). */
  private readonly slots = new Map<string, number>();
  /** Next slot to overwrite once the ring is full. */
  private head = 0;
  private pending: string[] = [];
  private flushScheduled = false;

  public constructor(
    private readonly capacity = 10_000,
    private readonly jsonlPath?: string
  ) {}

  public record(record: DecisionRecord): void {
    if (this.ring.length < this.capacity) {
      this.slots.set(record.decision_id, this.ring.length);
      this.ring.push(record);
    } else {
      const evicted = this.ring[this.head]!;
      this.slots.delete(evicted.decision_id);
      this.ring[this.head] = record;
      this.slots.set(record.decision_id, this.head);
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
    return this.ordered().slice(-limit).reverse();
  }

  public async get(decisionId: string): Promise<DecisionRecord | undefined> {
    const slot = this.slots.get(decisionId);
    return slot === undefined ? undefined : this.ring[slot];
  }

  public async attachFeedback(
    decisionId: string,
    tenant: string,
    feedback: DecisionFeedback,
    reward: number | null
  ): Promise<FeedbackWrite> {
    const slot = this.slots.get(decisionId);
    const record = slot === undefined ? undefined : this.ring[slot];
    if (slot === undefined || !record || record.tenant !== tenant)
      return { status: 'not_found' };
    if (record.feedback) {
      return {
        status: sameFeedback(record.feedback, feedback) ? 'replay' : 'conflict',
        record,
      };
    }
    const updated: DecisionRecord = { ...record, feedback, reward };
    this.ring[slot] = updated;
    return { status: 'recorded', record: updated };
  }

  public async list(
    query: DecisionQuery
  ): Promise<{ records: readonly DecisionRecord[]; cursor?: string }> {
    // The cursor is an offset into the filtered, oldest-first view: good
    // enough for a local export, which reads the ring in one go.
    const all = this.ordered().filter((r) => matchesQuery(r, query));
    const start = query.cursor ? Number(query.cursor) || 0 : 0;
    const records = all.slice(start, start + query.limit);
    const next = start + records.length;
    return next < all.length ? { records, cursor: String(next) } : { records };
  }

  /** Oldest first. */
  private ordered(): DecisionRecord[] {
    return this.ring.slice(this.head).concat(this.ring.slice(0, this.head));
  }

  private writeOut(): void {
    this.flushScheduled = false;
    const lines = this.pending.join('');
    this.pending = [];
    appendFile(this.jsonlPath!, lines, () => undefined);
  }
}
