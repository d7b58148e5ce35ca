import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { DecisionQuery } from '../../lambdas/core/ports';
import { type OpsBackend, OpsError } from './backend';

/** Records per admin API / DynamoDB page while exporting. */
export const EXPORT_PAGE = 500;

/** Filters of `ops decisions export`. */
export type ExportFilter = Omit<DecisionQuery, 'limit' | 'cursor'>;

function checkIso(value: string | undefined, flag: string): void {
  if (value !== undefined && Number.isNaN(Date.parse(value)))
    throw new OpsError(`--${flag} must be an ISO date-time, got ${value}`);
}

/**
 * Pages through the decision log and hands each record to `write` as one
 * JSONL line (the ARCHITECTURE.md record with feedback and reward, the
 * format `npm run replay` reads). Returns how many were written.
 */
export async function exportDecisions(
  backend: OpsBackend,
  filter: ExportFilter,
  write: (line: string) => void | Promise<void>
): Promise<number> {
  checkIso(filter.since, 'since');
  checkIso(filter.until, 'until');
  let cursor: string | undefined;
  let n = 0;
  do {
    const page = await backend.decisions({
      ...filter,
      limit: EXPORT_PAGE,
      cursor,
    });
    for (const r of page.records) {
      await write(JSON.stringify(r));
      n++;
    }
    cursor = page.cursor;
  } while (cursor);
  return n;
}

/** A JSONL file writer that honours back-pressure. */
export function jsonlFile(path: string): {
  write(line: string): Promise<void>;
  close(): Promise<void>;
} {
  const stream = createWriteStream(path, { flags: 'w' });
  const failed = once(stream, 'error').then(([err]) => {
    throw new OpsError(`cannot write ${path}: ${(err as Error).message}`);
  });
  failed.catch(() => undefined);
  return {
    async write(line) {
      if (!stream.write(`${line}\n`))
        await Promise.race([once(stream, 'drain'), failed]);
    },
    async close() {
      stream.end();
      await Promise.race([once(stream, 'finish'), failed]);
    },
  };
}
