import { PrometheusMetrics } from '../../../../lambdas/core/adapters/local/prometheus-metrics';

const served = {
  route: 'chat',
  status: 200,
  tenant: 'acme',
  provider: 'llama',
  model: 'm1',
  stream: false,
  latencyMs: 20,
  costUsd: 0.5,
  promptTokens: 30,
  completionTokens: 12,
  fallbacks: 0,
};

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : Number.NaN;
}

describe('Class: PrometheusMetrics', () => {
  describe('Method: request', () => {
    it('keeps counting across scrapes (sums handed over when read)', async () => {
      // Prepare
      const metrics = new PrometheusMetrics();
      // Act
      metrics.request(served);
      metrics.request(served);
      metrics.attempt({
        provider: 'llama',
        model: 'm1',
        outcome: 'ok',
        latencyMs: 10,
      });
      const first = (await metrics.render()).body;
      metrics.request(served);
      metrics.request({ ...served, status: 502, model: undefined });
      const second = (await metrics.render()).body;
      // Assess
      const requests =
        'gateway_requests_total{route="chat",status="200",provider="llama",model="m1",tenant="acme",stream="false"}';
      expect(value(first, requests)).toBe(2);
      expect(value(second, requests)).toBe(3);
      expect(
        value(
          second,
          'gateway_requests_total{route="chat",status="502",provider="llama",model="none",tenant="acme",stream="false"}'
        )
      ).toBe(1);
      expect(
        value(
          second,
          'gateway_tokens_total{tenant="acme",model="m1",kind="prompt"}'
        )
      ).toBe(90);
      expect(
        value(second, 'gateway_cost_usd_total{tenant="acme",model="m1"}')
      ).toBe(1.5);
      expect(
        value(
          second,
          'gateway_provider_attempts_total{provider="llama",model="m1",outcome="ok"}'
        )
      ).toBe(1);
    });

    it('still refuses a value that is not a finite count', () => {
      // Prepare
      const metrics = new PrometheusMetrics();
      // Act / Assess
      expect(() =>
        metrics.request({ ...served, costUsd: Number.POSITIVE_INFINITY })
      ).toThrow(TypeError);
    });
  });
});
