import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  JsonlAuditLog,
  MemoryAuditLog,
} from '../../../lambdas/core/adapters/local/jsonl-audit-log';
import { AuditLogError } from '../../../lambdas/core/audit/errors';
import { REDACTED } from '../../../lambdas/core/audit/redact';
import type { AuditLog } from '../../../lambdas/core/audit/types';

const API_KEY = 'sk-live-9fQ2xW7bN4mK8pL3vR6tY1zA5cD0eH';

function change(target: string, extra: Record<string, unknown> = {}) {
  return {
    who: 'admin-key',
    what: 'kill-switch.set',
    target,
    before: { state: 'off' },
    after: { state: 'on' },
    ...extra,
  };
}

/** A clock that ticks one second per read, so records get distinct times. */
function tickingClock(start = Date.parse('2026-11-23T10:00:00Z')) {
  let now = start;
  return () => {
    now += 1000;
    return now;
  };
}

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Class: JsonlAuditLog', () => {
  describe('Method: list', () => {
    it('returns nothing before the file exists', async () => {
      // Prepare
      const log = new JsonlAuditLog({ path: join(dir, 'none', 'audit.jsonl') });

      // Act
      const records = await log.list();

      // Assess
      expect(records).toEqual([]);
    });

    it('wraps read errors other than a missing file', async () => {
      // Prepare: a directory where the file should be.
      const log = new JsonlAuditLog({ path: dir });

      // Act & Assess
      await expect(log.list()).rejects.toBeInstanceOf(AuditLogError);
    });
  });

  describe('Method: write', () => {
    it('round-trips records, one JSON object per line, newest first', async () => {
      // Prepare
      const path = join(dir, 'nested', 'audit.jsonl');
      const log = new JsonlAuditLog({ path, clock: tickingClock() });

      // Act
      const first = await log.write(
        change('provider/gemini', { reason: 'storm' })
      );
      const second = await log.write(change('model/llama-4'));
      const third = await log.write(change('provider/bedrock'));
      const listed = await log.list();

      // Assess
      const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
      expect(lines.map((line) => JSON.parse(line))).toEqual([
        first,
        second,
        third,
      ]);
      expect(listed).toEqual([third, second, first]);
      expect(first).toMatchObject({
        at: '2026-11-23T10:00:01.000Z',
        reason: 'storm',
        before: { state: 'off' },
      });
    });

    it("reads a second instance's records (the file is the source of truth)", async () => {
      // Prepare
      const path = join(dir, 'audit.jsonl');
      const record = await new JsonlAuditLog({ path }).write(change('global'));

      // Act
      const listed = await new JsonlAuditLog({ path }).list();

      // Assess
      expect(listed).toEqual([record]);
    });

    it('orders by at, and by write order on equal times', async () => {
      // Prepare
      const log = new JsonlAuditLog({ path: join(dir, 'audit.jsonl') });
      const late = await log.write(change('a', { at: '2026-11-23T12:00:00Z' }));
      const early = await log.write(
        change('b', { at: '2026-11-23T08:00:00Z' })
      );
      const tie1 = await log.write(change('c', { at: '2026-11-23T10:00:00Z' }));
      const tie2 = await log.write(change('d', { at: '2026-11-23T10:00:00Z' }));

      // Act
      const listed = await log.list();

      // Assess
      expect(listed.map((r) => r.id)).toEqual([
        late.id,
        tie2.id,
        tie1.id,
        early.id,
      ]);
    });

    it('filters by target prefix and limits', async () => {
      // Prepare
      const log = new JsonlAuditLog({
        path: join(dir, 'audit.jsonl'),
        clock: tickingClock(),
      });
      for (const target of ['model/a', 'provider/x', 'model/b', 'model/c']) {
        await log.write(change(target));
      }

      // Act
      const models = await log.list({ targetPrefix: 'model/', limit: 2 });

      // Assess
      expect(models.map((r) => r.target)).toEqual(['model/c', 'model/b']);
    });

    it('does not interleave concurrent writes', async () => {
      // Prepare: Node writes a file in 512 KB chunks, so records larger
      // than that are several write() calls that would interleave unqueued.
      const path = join(dir, 'audit.jsonl');
      const log = new JsonlAuditLog({ path });
      const bulky = 'x'.repeat(600 * 1024);

      // Act
      const written = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          log.write(
            change(`model/m${i}`, { after: { state: 'on', note: bulky } })
          )
        )
      );

      // Assess
      const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
      expect(lines).toHaveLength(20);
      const parsed = lines.map((line) => JSON.parse(line));
      expect(new Set(parsed.map((r) => r.id))).toEqual(
        new Set(written.map((r) => r.id))
      );
      expect(parsed.map((r) => r.target)).toEqual(written.map((r) => r.target));
    });

    it('never puts an API key on disk', async () => {
      // Prepare
      const path = join(dir, 'audit.jsonl');
      const log = new JsonlAuditLog({ path });

      // Act
      const record = await log.write({
        who: 'admin-key',
        what: 'tenant.put',
        target: 'tenant/acme',
        before: { id: 'acme', apiKeys: [API_KEY] },
        after: {
          id: 'acme',
          config: { apiKey: API_KEY, note: `old ${API_KEY}` },
        },
        reason: `rotated ${API_KEY}`,
      });

      // Assess
      const text = await readFile(path, 'utf8');
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain('9fQ2xW7bN4mK8pL3vR6tY1zA5cD0eH');
      expect(record.after).toEqual({
        id: 'acme',
        config: { apiKey: REDACTED, note: `old ${REDACTED}` },
      });
    });

    it('skips a torn last line and keeps the rest', async () => {
      // Prepare
      const path = join(dir, 'audit.jsonl');
      const log = new JsonlAuditLog({ path });
      const kept = await log.write(change('global'));
      await appendFile(path, '{"id":"torn","at":"2026-');

      // Act
      const listed = await log.list();

      // Assess
      expect(listed).toEqual([kept]);
    });

    it('ignores lines that are JSON but not records', async () => {
      // Prepare
      const path = join(dir, 'audit.jsonl');
      await writeFile(path, '{"hello":"world"}\n\n42\n');

      // Act & Assess
      expect(await new JsonlAuditLog({ path }).list()).toEqual([]);
    });

    it('rejects an invalid record without touching the file', async () => {
      // Prepare
      const path = join(dir, 'audit.jsonl');
      const log = new JsonlAuditLog({ path });

      // Act & Assess
      await expect(log.write(change(''))).rejects.toThrow(/target must be/);
      expect(await log.list()).toEqual([]);
    });

    it('wraps a failed append and keeps serving later writes', async () => {
      // Prepare: the parent "folder" is a file, so mkdir fails.
      const blocker = join(dir, 'blocker');
      await writeFile(blocker, '');
      const broken = new JsonlAuditLog({ path: join(blocker, 'audit.jsonl') });

      // Act & Assess
      await expect(broken.write(change('global'))).rejects.toBeInstanceOf(
        AuditLogError
      );
      await expect(broken.write(change('global'))).rejects.toBeInstanceOf(
        AuditLogError
      );
    });
  });
});

describe('Class: MemoryAuditLog', () => {
  it('behaves like the JSONL log: redacted, newest first, filtered', async () => {
    // Prepare
    const log: AuditLog = new MemoryAuditLog({ clock: tickingClock() });
    await log.write(change('model/a'));
    await log.write(change('provider/b', { after: { token: 'abc' } }));
    await log.write(change('model/c'));

    // Act
    const all = await log.list();
    const models = await log.list({ targetPrefix: 'model/' });

    // Assess
    expect(all.map((r) => r.target)).toEqual([
      'model/c',
      'provider/b',
      'model/a',
    ]);
    expect(all[1]!.after).toEqual({ token: REDACTED });
    expect(models.map((r) => r.target)).toEqual(['model/c', 'model/a']);
  });
});
