import { HttpOpsBackend, type OpsBackend } from '../../scripts/ops/backend';
import { type OpsIo, runOps } from '../../scripts/ops/cli';
import { echoConfig, startTestGateway } from '../helpers/gateway';

const ADMIN_KEY = 'admin-key-for-ops-tests-000';

function io(
  answer?: boolean
): OpsIo & { outText: string[]; errText: string[] } {
  const outText: string[] = [];
  const errText: string[] = [];
  return {
    outText,
    errText,
    out: (t) => outText.push(t),
    err: (t) => errText.push(t),
    ...(answer === undefined ? {} : { confirm: async () => answer }),
  };
}

describe('Function: runOps (against a gateway admin API)', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let backend: () => Promise<OpsBackend>;

  beforeEach(async () => {
    gw = await startTestGateway(echoConfig(), {
      env: { GATEWAY_ADMIN_KEY: ADMIN_KEY },
    });
    backend = async () => new HttpOpsBackend(gw.url, ADMIN_KEY);
  });
  afterEach(() => gw.close());

  it('prints status for humans and JSON for machines', async () => {
    // Act
    const human = io();
    const codeH = await runOps(['status'], human, backend);
    const machine = io();
    const codeM = await runOps(['status', '--json'], machine, backend);
    // Assess
    expect(codeH).toBe(0);
    expect(human.outText.join('\n')).toContain('kill switches: none engaged');
    expect(human.outText.join('\n')).toMatch(/echo\s+v1\s+active/);
    expect(codeM).toBe(0);
    const parsed = JSON.parse(machine.outText.join(''));
    expect(parsed.models[0]).toEqual(
      expect.objectContaining({ id: 'echo', status: 'active' })
    );
    expect(parsed.circuits).toEqual({});
  });

  it('engages a provider switch with a reason and it takes effect', async () => {
    const out = io();
    const code = await runOps(
      [
        'kill-switch',
        'set',
        'provider/echo',
        'on',
        '--reason',
        'vendor outage',
      ],
      out,
      backend
    );
    expect(code).toBe(0);
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-tenant-key-0001' },
      body: JSON.stringify({
        model: 'echo',
        messages: [{ role: 'user', content: 'x' }],
      }),
    });
    expect(res.status).toBe(503);
  });

  it('refuses a change without --reason (exit 1, clear message)', async () => {
    const out = io();
    expect(
      await runOps(['kill-switch', 'set', 'provider/echo', 'on'], out, backend)
    ).toBe(1);
    expect(out.errText.join('')).toContain('--reason');
  });

  it('asks before engaging the global switch; refuses without a terminal unless --yes', async () => {
    const noTty = io();
    expect(
      await runOps(
        ['kill-switch', 'set', 'global', 'on', '--reason', 'r'],
        noTty,
        backend
      )
    ).toBe(1);
    expect(noTty.errText.join('')).toContain('--yes');
    const declined = io(false);
    expect(
      await runOps(
        ['kill-switch', 'set', 'global', 'on', '--reason', 'r'],
        declined,
        backend
      )
    ).toBe(1);
    const accepted = io(true);
    expect(
      await runOps(
        ['kill-switch', 'set', 'global', 'on', '--reason', 'r'],
        accepted,
        backend
      )
    ).toBe(0);
    const yes = io();
    expect(
      await runOps(
        ['kill-switch', 'set', 'global', 'off', '--reason', 'r', '--yes'],
        yes,
        backend
      )
    ).toBe(0);
  });

  it('deprecates and promotes a model, rolls back a route set, resets the bandit, lists the audit', async () => {
    expect(
      await runOps(
        ['models', 'deprecate', 'echo', '--reason', 'sunset'],
        io(),
        backend
      )
    ).toBe(0);
    expect(
      await runOps(
        ['models', 'promote', 'echo', '--reason', 'back'],
        io(),
        backend
      )
    ).toBe(0);
    await fetch(`${gw.url}/v1/admin/route-sets/active-models`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ models: ['echo'], reason: 'pin', activate: true }),
    });
    const rb = io();
    expect(
      await runOps(
        ['route-set', 'rollback', 'active-models', '--reason', 'revert'],
        rb,
        backend
      )
    ).toBe(0);
    expect(rb.outText.join('')).toContain('v1 is active');
    expect(
      await runOps(
        ['route-set', 'activate', 'active-models', '2', '--reason', 'again'],
        io(),
        backend
      )
    ).toBe(0);
    expect(
      await runOps(
        ['bandit', 'reset', '--reason', 'fresh start'],
        io(),
        backend
      )
    ).toBe(0);
    const audit = io();
    expect(await runOps(['audit', '--json'], audit, backend)).toBe(0);
    const whats = (
      JSON.parse(audit.outText.join('')) as { what: string }[]
    ).map((r) => r.what);
    expect(whats).toEqual([
      'bandit.reset',
      'route-set.activate',
      'route-set.rollback',
      'route-set.activate',
      'route-set.put',
      'model.status',
      'model.status',
    ]);
  });

  it('exits non-zero with the server message on a failed call, and 2 on usage errors', async () => {
    const bad = io();
    expect(
      await runOps(
        ['route-set', 'activate', 'active-models', '99', '--reason', 'x'],
        bad,
        backend
      )
    ).toBe(1);
    expect(bad.errText.join('')).toMatch(/HTTP 404/);
    const wrongKey = io();
    expect(
      await runOps(
        ['status'],
        wrongKey,
        async () => new HttpOpsBackend(gw.url, 'wrong-key-000000000000')
      )
    ).toBe(1);
    expect(wrongKey.errText.join('')).toContain('HTTP 401');
    expect(await runOps(['frobnicate'], io(), backend)).toBe(2);
    expect(await runOps([], io(), backend)).toBe(2);
  });
});
