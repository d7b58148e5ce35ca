import { hashApiKey } from '../../lambdas/core/config/load';
import {
  call,
  echoConfig,
  json,
  startTestGateway,
  TEST_KEY,
} from '../helpers/gateway';

const ADMIN_KEY = 'admin-key-for-tests-0123456789';

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;

const admin = (
  gw: Gateway,
  path: string,
  init: { method?: string; body?: unknown } = {}
) => call(gw, `/v1/admin/${path}`, { ...init, key: ADMIN_KEY });

const chat = (gw: Gateway, key: string) =>
  call(gw, '/v1/chat/completions', {
    key,
    body: { model: 'echo', messages: [{ role: 'user', content: 'hi' }] },
  });

describe('Client keys through the admin API (local, memory store)', () => {
  let gw: Gateway;

  beforeEach(async () => {
    gw = await startTestGateway(
      echoConfig({
        tenants: [
          { id: 'test', apiKeys: [TEST_KEY], tier: 'standard' },
          {
            id: 'other',
            apiKeyHashes: [hashApiKey('sk-other-tenant-key-000')],
          },
        ],
      }),
      { env: { GATEWAY_ADMIN_KEY: ADMIN_KEY } }
    );
  });
  afterEach(() => gw.close());

  it('creates a random key, shown once, that works at once', async () => {
    // Act
    const res = await admin(gw, 'tenants/test/keys', {
      method: 'POST',
      body: { reason: 'new service' },
    });

    // Assess
    expect(res.status).toBe(201);
    const created = await json(res);
    expect(created).toMatchObject({
      object: 'api_key',
      tenant: 'test',
      status: 'active',
      created_by: 'admin-key',
      revoked_at: null,
    });
    expect(created.key).toMatch(/^sk-gw-[A-Za-z0-9_-]{43}$/);
    expect(created.id).toMatch(/^key_[0-9a-f]{16}$/);
    expect(created.prefix).toBe(created.key.slice(0, 10));
    expect((await chat(gw, created.key)).status).toBe(200);
  });

  it('lists id, prefix, dates and status, never a key or a hash', async () => {
    // Prepare
    const created = await json(
      await admin(gw, 'tenants/test/keys', {
        method: 'POST',
        body: { reason: 'r' },
      })
    );

    // Act
    const res = await admin(gw, 'tenants/test/keys');

    // Assess
    expect(res.status).toBe(200);
    const text = await res.text();
    const list = JSON.parse(text);
    expect(list.data.map((k: { id: string }) => k.id)).toEqual([
      created.id,
      expect.stringMatching(/^key_cfg[0-9a-f]{9}$/),
    ]);
    expect(list.data[1]).toMatchObject({
      prefix: null,
      status: 'active',
      created_by: 'config',
    });
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(hashApiKey(created.key));
    expect(text).not.toContain(TEST_KEY);
    expect(text).not.toContain(hashApiKey(TEST_KEY));
  });

  it('revokes a key (reason in the body or the query), which then gets 401, and audits it without the key', async () => {
    // Prepare
    const created = await json(
      await admin(gw, 'tenants/test/keys', {
        method: 'POST',
        body: { reason: 'r' },
      })
    );
    const seeded = (await json(await admin(gw, 'tenants/test/keys'))).data[1];

    // Act
    const a = await admin(gw, `tenants/test/keys/${created.id}`, {
      method: 'DELETE',
      body: { reason: 'leaked in a log' },
    });
    const b = await admin(
      gw,
      `tenants/test/keys/${seeded.id}?reason=${encodeURIComponent('rotated')}`,
      { method: 'DELETE' }
    );

    // Assess
    expect(a.status).toBe(200);
    expect(await json(a)).toMatchObject({ id: created.id, status: 'revoked' });
    expect(b.status).toBe(200);
    expect((await chat(gw, created.key)).status).toBe(401);
    expect((await chat(gw, TEST_KEY)).status).toBe(401);
    const audit = await admin(gw, 'audit?target=tenant/test/keys');
    const auditText = await audit.text();
    const records = JSON.parse(auditText).data;
    expect(records.map((r: { what: string }) => r.what)).toEqual([
      'api-key.revoke',
      'api-key.revoke',
      'api-key.create',
    ]);
    expect(records[1].reason).toBe('leaked in a log');
    expect(auditText).not.toContain(created.key);
    expect(auditText).not.toContain(hashApiKey(created.key));
  });

  it('answers 404 for an unknown tenant or key, 400 without a reason', async () => {
    const unknownTenant = await admin(gw, 'tenants/nobody/keys', {
      method: 'POST',
      body: { reason: 'r' },
    });
    expect(unknownTenant.status).toBe(404);
    expect((await json(unknownTenant)).error.message).toContain(
      'tenant nobody'
    );
    expect(
      (
        await admin(gw, 'tenants/test/keys/key_missing', {
          method: 'DELETE',
          body: { reason: 'r' },
        })
      ).status
    ).toBe(404);
    const noReason = await admin(gw, 'tenants/test/keys', {
      method: 'POST',
      body: {},
    });
    expect(noReason.status).toBe(400);
    expect((await json(noReason)).error.param).toBe('reason');
  });

  it('refuses client keys on the key routes', async () => {
    const res = await call(gw, '/v1/admin/tenants/test/keys', {
      key: TEST_KEY,
    });
    expect(res.status).toBe(403);
  });
});
