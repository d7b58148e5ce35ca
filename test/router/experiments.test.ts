import type { GatewayConfigFile } from '../../lambdas/core/config/schema';
import type { ExperimentHooks } from '../../lambdas/core/gateway/shadow';
import {
  call,
  echoConfig,
  json,
  startTestGateway,
  TEST_KEY,
} from '../helpers/gateway';

const ADMIN_KEY = 'admin-key-for-experiments-0001';

function config(stage: 'shadow' | 'canary'): GatewayConfigFile {
  const base = echoConfig({
    models: [
      {
        id: 'echo-next',
        provider: 'echo',
        providerModelId: 'echo-next',
        capabilities: ['tools', 'streaming'],
        status: stage,
      },
    ],
  });
  return {
    ...base,
    experiments: {
      definitions: [
        {
          id: 'next',
          kind: 'rollout',
          rollout: {
            model: 'echo-next',
            stage,
            canaryShare: 0.5,
            shadowSampleRate: 1,
          },
          minSamples: 1000,
        },
      ],
    },
  };
}

const chat = (user: string) => ({
  model: 'auto',
  user,
  messages: [{ role: 'user', content: 'hello' }],
});

describe('Experiments through the local gateway', () => {
  it('splits canary traffic stickily per user and reports tracker results', async () => {
    // Prepare
    const gw = await startTestGateway(config('canary'), {
      env: { GATEWAY_ADMIN_KEY: ADMIN_KEY },
    });
    try {
      // Act
      const served = new Map<string, string>();
      for (let u = 0; u < 40; u++) {
        const res = await call(gw, '/v1/chat/completions', {
          body: chat(`user-${u}`),
        });
        expect(res.status).toBe(200);
        served.set(`user-${u}`, res.headers.get('x-gateway-model')!);
        await res.text();
      }
      const again = await call(gw, '/v1/chat/completions', {
        body: chat('user-7'),
      });
      await again.text();
      const results = await json(
        await call(gw, '/v1/admin/experiments/next', { key: ADMIN_KEY })
      );
      const byClient = await call(gw, '/v1/admin/experiments', {
        key: TEST_KEY,
      });
      // Assess
      const models = [...served.values()];
      expect(models).toContain('echo');
      expect(models).toContain('echo-next');
      expect(again.headers.get('x-gateway-model')).toBe(served.get('user-7'));
      await (gw.deps.experimentHooks as ExperimentHooks).drain();
      const after = await json(
        await call(gw, '/v1/admin/experiments/next/results', { key: ADMIN_KEY })
      );
      const n =
        after.variants['canary:control'].n +
        after.variants['canary:candidate'].n;
      expect(n).toBe(41);
      expect(after.variants['canary:candidate'].success.ci95).toHaveLength(2);
      expect(after.gate.verdict).toBe('wait');
      expect(results.experiment.status).toBe('running');
      expect(byClient.status).toBe(403);
    } finally {
      await gw.close();
    }
  });

  it('sends shadow copies in the background without touching the answer', async () => {
    // Prepare
    const gw = await startTestGateway(config('shadow'), {
      env: { GATEWAY_ADMIN_KEY: ADMIN_KEY },
    });
    try {
      // Act
      for (let u = 0; u < 5; u++) {
        const res = await call(gw, '/v1/chat/completions', {
          body: chat(`user-${u}`),
        });
        // The shadow model never answers: it is not routable.
        expect(res.headers.get('x-gateway-model')).toBe('echo');
        await res.text();
      }
      await (gw.deps.experimentHooks as ExperimentHooks).drain();
      const r = await json(
        await call(gw, '/v1/admin/experiments/next', { key: ADMIN_KEY })
      );
      // Assess
      expect(r.variants['shadow:candidate'].n).toBe(5);
      expect(r.variants['shadow:control'].n).toBe(5);
      expect(r.variants['shadow:candidate'].success.value).toBe(1);
    } finally {
      await gw.close();
    }
  });

  it('manages experiments over the admin API, audited, with a reason', async () => {
    // Prepare
    const gw = await startTestGateway(config('shadow'), {
      env: { GATEWAY_ADMIN_KEY: ADMIN_KEY },
    });
    const admin = (path: string, body?: unknown, method?: string) =>
      call(gw, `/v1/admin/experiments${path}`, {
        key: ADMIN_KEY,
        ...(body === undefined ? {} : { body }),
        ...(method ? { method } : {}),
      });
    try {
      // Act
      const put = await admin(
        '/ab-policy',
        {
          reason: 'compare cost-heavy routing',
          experiment: {
            kind: 'ab',
            variants: [
              { name: 'control', weight: 50 },
              { name: 'cheap', weight: 50, policy: { cost: 5 } },
            ],
          },
        },
        'PUT'
      );
      const noReason = await admin('/ab-policy/start', {}, 'POST');
      const started = await admin('/ab-policy/start', { reason: 'go' }, 'POST');
      const list = await json(await admin(''));
      const promoted = await json(
        await admin('/next/promote', { reason: 'shadow looked fine' }, 'POST')
      );
      const rolled = await json(
        await admin('/next/rollback', { reason: 'drill' }, 'POST')
      );
      const ks = await json(
        await call(gw, '/v1/admin/kill-switches/model/echo-next', {
          key: ADMIN_KEY,
        })
      );
      const audit = await json(
        await call(gw, '/v1/admin/audit?target=experiment/', {
          key: ADMIN_KEY,
        })
      );
      const missing = await admin('/nope');
      // Assess
      expect(put.status).toBe(200);
      expect((await json(put)).status).toBe('draft');
      expect(noReason.status).toBe(400);
      expect((await json(started)).status).toBe('running');
      expect(list.data.map((e: { id: string }) => e.id)).toEqual([
        'ab-policy',
        'next',
      ]);
      expect(promoted.stage).toBe('canary');
      expect(rolled.status).toBe('rolled_back');
      expect(ks.state).toBe('on');
      expect(audit.data.map((a: { what: string }) => a.what).sort()).toEqual([
        'experiment.promote',
        'experiment.put',
        'experiment.rollback',
        'experiment.start',
      ]);
      expect(missing.status).toBe(404);
      expect((await json(missing)).error.type).toBe('not_found_error');
    } finally {
      await gw.close();
    }
  });
});
