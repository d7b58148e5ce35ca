import { AuditLogError } from '../../../lambdas/core/audit/errors';
import {
  buildAuditRecord,
  resolveListLimit,
} from '../../../lambdas/core/audit/record';
import { REDACTED } from '../../../lambdas/core/audit/redact';

describe('Function: buildAuditRecord', () => {
  it('stamps id and at from the injected clock and id source', () => {
    // Act
    const record = buildAuditRecord(
      {
        who: 'admin-key',
        what: 'kill-switch.set',
        target: 'provider/gemini',
        before: { state: 'off' },
        after: { state: 'on' },
        reason: 'outage',
        requestId: 'req-1',
      },
      { clock: () => Date.parse('2026-11-23T10:00:00Z'), newId: () => 'id-1' }
    );

    // Assess
    expect(record).toEqual({
      id: 'id-1',
      at: '2026-11-23T10:00:00.000Z',
      who: 'admin-key',
      what: 'kill-switch.set',
      target: 'provider/gemini',
      before: { state: 'off' },
      after: { state: 'on' },
      reason: 'outage',
      requestId: 'req-1',
    });
  });

  it('normalises a given at to toISOString and makes a uuid id', () => {
    // Act
    const record = buildAuditRecord({
      at: '2026-11-23T12:00:00+02:00',
      who: 'cli',
      what: 'bandit.reset',
      target: 'bandit',
      before: undefined,
      after: undefined,
    });

    // Assess
    expect(record.at).toBe('2026-11-23T10:00:00.000Z');
    expect(record.id).toMatch(/^[0-9a-f-]{36}$/);
    expect('reason' in record).toBe(false);
  });

  it('redacts before, after and reason', () => {
    // Act
    const record = buildAuditRecord({
      who: 'admin-key',
      what: 'tenant.put',
      target: 'tenant/acme',
      before: { apiKeys: ['old-key'] },
      after: { apiKeys: ['new-key'], tier: 'premium' },
      reason: 'key sk-abcdefghijklmnop1234 leaked',
    });

    // Assess
    expect(record.before).toEqual({ apiKeys: REDACTED });
    expect(record.after).toEqual({ apiKeys: REDACTED, tier: 'premium' });
    expect(record.reason).toBe(`key ${REDACTED} leaked`);
  });

  it('rejects missing fields and a bad at, naming all of them', () => {
    // Act & Assess
    expect(() =>
      buildAuditRecord({
        who: '',
        what: 'x',
        target: '',
        before: null,
        after: null,
        at: 'yesterday',
      })
    ).toThrow(
      new AuditLogError(
        'invalid audit record: who must be a non-empty string; target must be a non-empty string; at must be an ISO time, got "yesterday"'
      )
    );
  });
});

describe('Function: resolveListLimit', () => {
  it('defaults, floors and clamps', () => {
    // Act & Assess
    expect(resolveListLimit(undefined)).toBe(100);
    expect(resolveListLimit(0)).toBe(1);
    expect(resolveListLimit(7.9)).toBe(7);
    expect(resolveListLimit(1e9)).toBe(1000);
    expect(resolveListLimit(Number.NaN)).toBe(100);
  });
});
