import {
  EvaluateFeatureCommand,
  EvidentlyClient,
  PutProjectEventsCommand,
} from '@aws-sdk/client-evidently';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  EvidentlyEventStore,
  EvidentlyVariantAssigner,
} from '../../../lambdas/core/adapters/aws/evidently-experiments';
import { MemoryExperimentStore } from '../../../lambdas/core/adapters/local/memory-experiment-store';
import { resolveExperiment } from '../../../lambdas/core/experiments/types';
import { MemoryLog } from '../../helpers/gateway';

const evidently = mockClient(EvidentlyClient);
const ab = resolveExperiment(
  {
    id: 'routing-policy',
    kind: 'ab',
    variants: [
      { name: 'policy', weight: 50 },
      { name: 'bandit', weight: 50, policy: { bandit: 1 } },
    ],
  },
  'test'
);

describe('Legacy Evidently adapters (behind the Experiments port)', () => {
  beforeEach(() => evidently.reset());

  it('assigns variants with EvaluateFeature, keyed by tenant and user', async () => {
    // Prepare
    evidently.on(EvaluateFeatureCommand).resolves({ variation: 'bandit' });
    const assigner = new EvidentlyVariantAssigner({
      project: 'ai-gateway-prod',
      client: new EvidentlyClient({ region: 'eu-central-1' }),
    });
    // Act
    const v = await assigner.variant(ab, 'acme', 'user-1');
    // Assess
    expect(v).toBe('bandit');
    expect(evidently).toHaveReceivedCommandWith(EvaluateFeatureCommand, {
      project: 'ai-gateway-prod',
      feature: 'routing-policy',
      entityId: 'acme:user-1',
    });
  });

  it('falls back (undefined) when Evidently is gone', async () => {
    evidently
      .on(EvaluateFeatureCommand)
      .rejects(
        Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' })
      );
    const log = new MemoryLog();
    const assigner = new EvidentlyVariantAssigner({
      project: 'p',
      client: new EvidentlyClient({ region: 'eu-central-1' }),
      log,
    });
    expect(await assigner.variant(ab, 'acme', 'u')).toBeUndefined();
    expect(log.text()).toContain('ResourceNotFoundException');
  });

  it('counts natively and mirrors each observation as a custom event', async () => {
    // Prepare
    evidently.on(PutProjectEventsCommand).resolves({ failedEventCount: 0 });
    const inner = new MemoryExperimentStore();
    const store = new EvidentlyEventStore(inner, {
      project: 'p',
      client: new EvidentlyClient({ region: 'eu-central-1' }),
      now: () => Date.parse('2026-12-03T08:00:00Z'),
    });
    // Act
    await store.record('routing-policy', 'bandit', {
      ok: true,
      latencyMs: 120,
      costUsd: 0.001,
    });
    // Assess
    expect((await store.counts('routing-policy')).bandit?.n).toBe(1);
    const input = evidently.commandCalls(PutProjectEventsCommand)[0]!.args[0]
      .input;
    expect(input.project).toBe('p');
    expect(JSON.parse(String(input.events?.[0]?.data))).toEqual({
      details: { success: 1, latencyMs: 120, costUsd: 0.001 },
      userDetails: { entityId: 'routing-policy:bandit' },
    });
  });
});
