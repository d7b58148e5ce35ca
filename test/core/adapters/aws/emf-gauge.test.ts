import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  EmfMetrics,
  emfWarnings,
} from '../../../../lambdas/core/adapters/aws/emf-metrics';

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

describe('Class: EmfMetrics (request blob)', () => {
  it('publishes [service], [service, Model] and [service, Provider, Model] without a warning per request', () => {
    // Prepare
    const lines: string[] = [];
    const out = jest
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
    const warnings: unknown[] = [];
    // Powertools writes its warnings through its own Console (stderr).
    const err = jest
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk: string | Uint8Array) => {
        warnings.push(String(chunk));
        return true;
      });
    const warn = jest
      .spyOn(console, 'warn')
      .mockImplementation((...args: unknown[]) => {
        warnings.push(args[0]);
      });
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    process.env.POWERTOOLS_SERVICE_NAME = 'ai-gateway-router';
    try {
      // Act
      new EmfMetrics().request({
        route: 'chat',
        status: 200,
        tenant: 'acme',
        provider: 'llama',
        model: 'bench-model',
        stream: false,
        latencyMs: 12,
        fallbacks: 0,
      });
    } finally {
      out.mockRestore();
      err.mockRestore();
      warn.mockRestore();
      delete process.env.POWERTOOLS_METRICS_DISABLED;
      delete process.env.POWERTOOLS_SERVICE_NAME;
    }
    // Assess
    const emf = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .find((o) => o._aws && o.Requests === 1);
    expect(emf._aws.CloudWatchMetrics[0].Dimensions).toEqual([
      ['service'],
      ['service', 'Model'],
      ['service', 'Provider', 'Model'],
    ]);
    expect(emf.Model).toBe('bench-model');
    expect(emf.Provider).toBe('llama');
    expect(warnings).toEqual([]);
  });

  it('still forwards other Powertools warnings', () => {
    // Prepare
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      // Act
      emfWarnings.warn('Namespace should be defined, default used');
      // Assess
      expect(warn).toHaveBeenCalledWith(
        'Namespace should be defined, default used'
      );
    } finally {
      warn.mockRestore();
    }
  });
});
