import type { GatewayConfigFile } from '../../lambdas/core/config/schema';
import { call, echoConfig, startTestGateway } from '../helpers/gateway';

/*
 * The learning settings reach the request path: per-domain reward weights in
 * the chat service's reward, exploration in the decision's propensity.
 */
function config(): GatewayConfigFile {
  const base = echoConfig();
  return {
    ...base,
    models: [
      {
        id: 'echo',
        provider: 'echo',
        providerModelId: 'echo',
        capabilities: ['tools', 'streaming'],
        pricing: { inputPer1M: 1, outputPer1M: 1 },
      },
      {
        id: 'echo-b',
        provider: 'echo',
        providerModelId: 'echo',
        capabilities: ['tools', 'streaming'],
        pricing: { inputPer1M: 1, outputPer1M: 1 },
      },
    ],
    learning: {
      reward: {
        default: { latency: 0, cost: 1, errors: 0 },
        domains: { legal: { cost: 0 } },
      },
      exploration: { rate: 0.2 },
    },
  };
}

describe('Router: learning settings in the request path', () => {
  it('weighs rewards per domain and logs the exploration-mixed propensity', async () => {
    // Prepare
    const gw = await startTestGateway(config());
    try {
      // Act
      for (const domain of ['legal', 'general']) {
        const res = await call(gw, '/v1/chat/completions', {
          body: {
            model: 'auto',
            messages: [{ role: 'user', content: `hello ${domain}` }],
            routing: { domain },
          },
        });
        expect(res.status).toBe(200);
        await res.text();
      }

      // Assess
      const [general, legal] = gw.deps.decisions.recent(2);
      expect(legal.context.domain).toBe('legal');
      expect(legal.reward).toBe(1);
      expect(general.reward).toBeGreaterThan(0);
      expect(general.reward).toBeLessThan(1);
      // Two explorable arms at rate 0.2: every choice has at least 0.1.
      for (const d of [legal, general]) {
        expect(d.propensity).toBeGreaterThanOrEqual(0.1);
        expect(d.propensity).toBeLessThanOrEqual(1);
      }
      expect(gw.deps.exploration).toEqual({ rate: 0.2 });
    } finally {
      await gw.close();
    }
  });
});
