import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AuditLogError } from '../../audit/errors';
import {
  type AuditInput,
  type AuditRecordDeps,
  buildAuditRecord,
  matchesTarget,
  newestFirst,
  resolveListLimit,
} from '../../audit/record';
import type { AuditLog, AuditRecord } from '../../audit/types';

/** Options of `AuditLog.list`. */
type ListOptions = Parameters<AuditLog['list']>[0];

function selectRecords(
  latestWrittenFirst: AuditRecord[],
  options: ListOptions = {}
): AuditRecord[] {
  return newestFirst(
    latestWrittenFirst.filter((r) => matchesTarget(r, options.targetPrefix))
  ).slice(0, resolveListLimit(options.limit));
}

function isAuditRecord(value: unknown): value is AuditRecord {
  if (value === null || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.id === 'string' &&
    typeof record.at === 'string' &&
    typeof record.who === 'string' &&
    typeof record.what === 'string' &&
    typeof record.target === 'string'
  );
}

/** Audit records in memory, for tests and throwaway local runs. */
export class MemoryAuditLog implements AuditLog {
  private readonly records: AuditRecord[] = [];

  public constructor(private readonly deps: AuditRecordDeps = {}) {}

  /** Redacts, stamps and keeps a record. */
  public async write(input: AuditInput): Promise<AuditRecord> {
    const record = buildAuditRecord(input, this.deps);
    this.records.push(record);
    return record;
  }

  /** Newest first, optionally filtered by target prefix. */
  public async list(options?: ListOptions): Promise<readonly AuditRecord[]> {
    return selectRecords([...this.records].reverse(), options);
  }
}

/** Props of {@link JsonlAuditLog}. */
export interface JsonlAuditLogProps extends AuditRecordDeps {
  /** File the records are appended to (created with its folder on first write). */
  readonly path: string;
}

/**
 * Audit records appended to a JSONL file, one JSON object per line. Writes
 * from this instance go out one at a time, each as a single append of a
 * whole line, so concurrent writes never interleave. `list` reads the whole
 * file (fine for a local trail) and skips lines it can't parse, such as a
 * line torn by a crash.
 */
export class JsonlAuditLog implements AuditLog {
  /** The JSONL file. */
  public readonly path: string;
  private readonly deps: AuditRecordDeps;
  /** The last queued write; the next one starts when it settles. */
  private tail: Promise<void> = Promise.resolve();
  private folderReady = false;

  public constructor(props: JsonlAuditLogProps) {
    this.path = props.path;
    this.deps = { clock: props.clock, newId: props.newId };
  }

  /** Redacts, stamps and appends a record; resolves once it is on disk. */
  public async write(input: AuditInput): Promise<AuditRecord> {
    const record = buildAuditRecord(input, this.deps);
    const line = `${JSON.stringify(record)}\n`;
    const run = this.tail.then(() => this.append(line));
    this.tail = run.catch(() => undefined);
    await run;
    return record;
  }

  /** Newest first, optionally filtered by target prefix; [] before the first write. */
  public async list(options?: ListOptions): Promise<readonly AuditRecord[]> {
    // Read-your-writes: writes queued before this call are on disk first.
    await this.tail;
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new AuditLogError(`could not read audit log ${this.path}`, {
        cause: error,
      });
    }
    const records: AuditRecord[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const parsed: unknown = JSON.parse(line);
        if (isAuditRecord(parsed)) records.push(parsed);
      } catch {
        // A torn or hand-edited line: the rest of the trail still reads.
      }
    }
    return selectRecords(records.reverse(), options);
  }

  private async append(line: string): Promise<void> {
    try {
      if (!this.folderReady) {
        await mkdir(dirname(this.path), { recursive: true });
        this.folderReady = true;
      }
      await appendFile(this.path, line, 'utf8');
    } catch (error) {
      throw new AuditLogError(`could not append to audit log ${this.path}`, {
        cause: error,
      });
    }
  }
}
