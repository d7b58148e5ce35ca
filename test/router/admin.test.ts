import {
  call,
  echoConfig,
  json,
  startTestGateway,
  TEST_KEY,
} from '../helpers/gateway';

const ADMIN_KEY = 'admin-key-for-tests-0123456789';

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;

function admin(
  gw: Gateway,
  path: string,
  init: { method?: string; body?: unknown; key?: string | null } = {}
) {
  return call(gw, `/v1/admin/${path}`, {
    ...init,
    key: init.key === undefined ? ADMIN_KEY : init.key,
  });
}

const chat = (
  gw: Gateway,
  model = 'auto',
  extra: Record<string, unknown> = {}
) =>
  call(gw, '/v1/chat/completions', {
    body: { model, messages: [{ role: 'user', content: 'hi' }], ...extra },
  });

describe('Admin API (local, admin key)', () => {
  let gw: Gateway;

  beforeEach(async () => {
    gw = await startTestGateway(
      echoConfig({
        providers: { echo2: { type: 'echo' } },
        models: [
          {
            id: 'echo-b',
            provider: 'echo2',
            providerModelId: 'echo',
            aliases: ['group'],
            capabilities: ['tools', 'streaming'],
          },
        ],
      }),
      { env: { GATEWAY_ADMIN_KEY: ADMIN_KEY } }
    );
  });
  afterEach(() => gw.close());

  describe('auth', () => {
    it('answers 401 without a key and for a wrong key', async () => {
      expect((await admin(gw, 'kill-switches', { key: null })).status).toBe(
        401
      );
      expect(
        (await admin(gw, 'kill-switches', { key: 'wrong-admin-key-000000' }))
          .status
      ).toBe(401);
    });

    it('answers 403 to a client key, never treating it as an admin', async () => {
      const res = await admin(gw, 'kill-switches', { key: TEST_KEY });
      expect(res.status).toBe(403);
      expect((await json(res)).error.code).toBe('admin_only');
    });

    it('answers 403 when no admin key is configured', async () => {
      const off = await startTestGateway(echoConfig());
      try {
        const res = await admin(off, 'kill-switches');
        expect(res.status).toBe(403);
        expect((await json(res)).error.code).toBe('admin_disabled');
      } finally {
        await off.close();
      }
    });
  });

  describe('bad bodies', () => {
    it.each<[string, string, string, unknown, string | null]>([
      [
        'kill switch without reason',
        'PUT',
        'kill-switches/global',
        { state: 'on' },
        'reason',
      ],
      [
        'kill switch with a bad state',
        'PUT',
        'kill-switches/global',
        { state: 'maybe', reason: 'x' },
        'state',
      ],
      [
        'kill switch with percent 150',
        'PUT',
        'kill-switches/provider/echo',
        { state: 'on', reason: 'x', percent: 150 },
        'percent',
      ],
      [
        'kill switch with a bad until',
        'PUT',
        'kill-switches/provider/echo',
        { state: 'on', reason: 'x', until: 'tomorrow' },
        'until',
      ],
      [
        'kill switch with an unknown field',
        'PUT',
        'kill-switches/global',
        { state: 'on', reason: 'x', percentage: 5 },
        'percentage',
      ],
      [
        'kill switch on a bad scope',
        'PUT',
        'kill-switches/planet/mars',
        { state: 'on', reason: 'x' },
        'scope',
      ],
      [
        'status without reason',
        'PUT',
        'models/echo/status',
        { status: 'deprecated' },
        'reason',
      ],
      [
        'an unknown status',
        'PUT',
        'models/echo/status',
        { status: 'retired', reason: 'x' },
        'status',
      ],
      [
        'a model entry with a negative price',
        'POST',
        'models',
        {
          reason: 'x',
          model: {
            id: 'm',
            provider: 'echo',
            providerModelId: 'e',
            pricing: { inputPer1M: -1, outputPer1M: 0 },
          },
        },
        'model.pricing.inputPer1M',
      ],
      [
        'route-set activate without version',
        'POST',
        'route-sets/active-models/activate',
        { reason: 'x' },
        'version',
      ],
    ])('answers 400 for %s', async (_name, method, path, body, param) => {
      // Act
      const res = await admin(gw, path, { method, body });
      // Assess
      expect(res.status).toBe(400);
      const err = (await json(res)).error;
      expect(err.type).toBe('invalid_request_error');
      expect(err.param).toBe(param);
    });

    it('answers 400 for malformed JSON and 404 for unknown routes', async () => {
      const bad = await call(gw, '/v1/admin/kill-switches/global', {
        method: 'PUT',
        key: ADMIN_KEY,
        rawBody: '{nope',
        headers: { 'content-type': 'application/json' },
      });
      expect(bad.status).toBe(400);
      expect((await admin(gw, 'nothing-here')).status).toBe(404);
      expect((await admin(gw, 'models/ghost')).status).toBe(404);
    });

    it('refuses nothing silently: a failed change writes no audit record', async () => {
      await admin(gw, 'kill-switches/global', {
        method: 'PUT',
        body: { state: 'on' },
      });
      const audit = await json(await admin(gw, 'audit'));
      expect(audit.data).toEqual([]);
    });
  });

  describe('kill switches', () => {
    it('a global switch answers 503 naming the switch, and is audited', async () => {
      // Act
      const set = await admin(gw, 'kill-switches/global', {
        method: 'PUT',
        body: { state: 'on', reason: 'incident 42' },
      });
      const res = await chat(gw);
      // Assess
      expect(set.status).toBe(200);
      expect(res.status).toBe(503);
      const err = (await json(res)).error;
      expect(err.code).toBe('kill_switch_engaged');
      expect(err.message).toContain('global');
      expect(err.message).toContain('incident 42');
      const audit = (await json(await admin(gw, 'audit'))).data;
      expect(audit[0]).toEqual(
        expect.objectContaining({
          who: 'admin-key',
          what: 'kill-switch.set',
          target: 'kill-switch/global',
          before: null,
          reason: 'incident 42',
          after: expect.objectContaining({ state: 'on', by: 'admin-key' }),
        })
      );
    });

    it('a provider switch removes its models: the request fails over and /v1/route names the switch', async () => {
      // Act
      await admin(gw, 'kill-switches/provider/echo', {
        method: 'PUT',
        body: { state: 'on', reason: 'flaky' },
      });
      const res = await chat(gw, 'group');
      const route = await json(
        await call(gw, '/v1/route', {
          body: { model: 'auto', messages: [{ role: 'user', content: 'x' }] },
        })
      );
      // Assess
      expect(res.status).toBe(200);
      expect(res.headers.get('x-gateway-provider')).toBe('echo2');
      expect(route.excluded).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            model: 'echo',
            code: 'kill_switch',
            reason: expect.stringContaining('provider/echo'),
          }),
        ])
      );
    });

    it('a model switch with every candidate removed answers 503 no_available_model', async () => {
      await admin(gw, 'kill-switches/model/echo', {
        method: 'PUT',
        body: { state: 'on', reason: 'bad outputs' },
      });
      const res = await chat(gw, 'echo');
      expect(res.status).toBe(503);
      expect((await json(res)).error.code).toBe('no_available_model');
    });

    it('releasing a switch restores traffic; GET shows the value', async () => {
      await admin(gw, 'kill-switches/global', {
        method: 'PUT',
        body: { state: 'on', reason: 'drill' },
      });
      await admin(gw, 'kill-switches/global', {
        method: 'PUT',
        body: { state: 'off', reason: 'drill over' },
      });
      expect((await chat(gw)).status).toBe(200);
      const got = await json(await admin(gw, 'kill-switches/global'));
      expect(got).toEqual(
        expect.objectContaining({
          scope: 'global',
          state: 'off',
          reason: 'drill over',
        })
      );
    });

    it('an expired `until` releases the switch by itself', async () => {
      await admin(gw, 'kill-switches/global', {
        method: 'PUT',
        body: {
          state: 'on',
          reason: 'short',
          until: new Date(Date.now() - 1000).toISOString(),
        },
      });
      expect((await chat(gw)).status).toBe(200);
    });
  });

  describe('models and route sets', () => {
    it('puts a new model version, deprecates it, and audits both', async () => {
      // Act
      const put = await admin(gw, 'models', {
        method: 'POST',
        body: {
          reason: 'onboard',
          model: {
            id: 'echo-c',
            provider: 'echo',
            providerModelId: 'echo',
            capabilities: ['streaming'],
          },
        },
      });
      const routed = await chat(gw, 'echo-c');
      const dep = await admin(gw, 'models/echo-c/status', {
        method: 'PUT',
        body: { status: 'deprecated', reason: 'sunset' },
      });
      const after = await chat(gw, 'echo-c');
      // Assess
      expect(put.status).toBe(201);
      expect((await json(put)).version).toBe(1);
      expect(routed.status).toBe(200);
      expect(dep.status).toBe(200);
      expect((await json(dep)).version).toBe(2);
      expect(after.status).toBe(404);
      const audit = (await json(await admin(gw, 'audit'))).data.map(
        (r: { what: string }) => r.what
      );
      expect(audit).toEqual(['model.status', 'model.put']);
    });

    it('answers 409 on a stale expected_version (no lost update)', async () => {
      const res = await admin(gw, 'models', {
        method: 'POST',
        body: {
          reason: 'race',
          expected_version: 0,
          model: { id: 'echo', provider: 'echo', providerModelId: 'echo' },
        },
      });
      expect(res.status).toBe(409);
      expect((await json(res)).error.code).toBe('version_conflict');
    });

    it('activates a narrower route set and rolls it back', async () => {
      // Act: v2 serves only echo-b
      const put = await admin(gw, 'route-sets/active-models', {
        method: 'PUT',
        body: { models: ['echo-b'], reason: 'canary only', activate: true },
      });
      const narrowed = await json(
        await call(gw, '/v1/route', {
          body: { model: 'auto', messages: [{ role: 'user', content: 'x' }] },
        })
      );
      const rb = await admin(gw, 'route-sets/active-models/rollback', {
        method: 'POST',
        body: { reason: 'revert' },
      });
      const restored = await json(
        await call(gw, '/v1/route', {
          body: { model: 'auto', messages: [{ role: 'user', content: 'x' }] },
        })
      );
      const state = await json(await admin(gw, 'route-sets/active-models'));
      // Assess
      expect(put.status).toBe(201);
      expect(
        narrowed.candidates.map((c: { model: string }) => c.model)
      ).toEqual(['echo-b']);
      expect(rb.status).toBe(200);
      expect((await json(rb)).version).toBe(1);
      expect(
        restored.candidates.map((c: { model: string }) => c.model).sort()
      ).toEqual(['echo', 'echo-b']);
      expect(state.active.version).toBe(1);
      expect(state.versions.map((v: { version: number }) => v.version)).toEqual(
        [2, 1]
      );
    });

    it('resets the bandit and audits it', async () => {
      await chat(gw);
      const res = await admin(gw, 'bandit/reset', {
        method: 'POST',
        body: { reason: 'new models' },
      });
      expect(res.status).toBe(200);
      expect(gw.deps.bandit.snapshot()).toEqual({});
      const audit = (await json(await admin(gw, 'audit?target=bandit'))).data;
      expect(audit).toHaveLength(1);
      expect(audit[0].what).toBe('bandit.reset');
    });
  });
});
