import { Metrics } from '@aws-lambda-powertools/metrics';
import { EmfMetrics } from '../../../../lambdas/core/adapters/aws/emf-metrics';

describe('Class: EmfMetrics', () => {
  describe('Method: gauge', () => {
    it('publishes BudgetUsedPct as a Percent under [service, Tenant] (the dashboard’s per-tenant graph)', () => {
      // Prepare
      const lines: string[] = [];
      const spy = jest
        .spyOn(process.stdout, 'write')
        .mockImplementation((chunk: string | Uint8Array) => {
          lines.push(String(chunk));
          return true;
        });
      process.env.POWERTOOLS_METRICS_DISABLED = 'false';
      const metrics = new EmfMetrics(
        new Metrics({
          namespace: 'AiGateway',
          serviceName: 'ai-gateway-router',
        })
      );
      try {
        // Act
        metrics.gauge('BudgetUsedPct', 91.5, { Tenant: 'acme' });
      } finally {
        spy.mockRestore();
        delete process.env.POWERTOOLS_METRICS_DISABLED;
      }
      // Assess
      const emf = lines
        .flatMap((l) => l.split('\n'))
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
        .find((o) => o._aws);
      expect(emf.BudgetUsedPct).toBe(91.5);
      expect(emf.Tenant).toBe('acme');
      const def = emf._aws.CloudWatchMetrics[0];
      expect(def.Namespace).toBe('AiGateway');
      expect(def.Metrics).toEqual([{ Name: 'BudgetUsedPct', Unit: 'Percent' }]);
      expect(def.Dimensions).toContainEqual(['service', 'Tenant']);
    });
  });
});
