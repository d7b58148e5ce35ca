import type { EvidentlyClient } from '@aws-sdk/client-evidently';
import type { VariantAssigner } from '../../experiments/service';
import type {
  Experiment,
  ExperimentStore,
  Observation,
  VariantCounts,
} from '../../experiments/types';
import type { Log } from '../../ports';

/*
 * LEGACY. AWS shut CloudWatch Evidently down for new use (support ended
 * 2025-10-16; @aws-sdk/client-evidently is frozen at 3.901.0). This adapter
 * exists only for deployments that still have an Evidently project; it is
 * off by default (`experiments.backend: "evidently"` turns it on) and the
 * native backend (hash bucketing + DynamoDB tracker, AppConfig flags) is the
 * supported path. Both halves sit behind the Experiments port: assignment
 * (VariantAssigner) and observations (ExperimentStore).
 */

/**
 * The Evidently SDK, loaded on first use: the backend is off by default, so
 * the router's cold start does not pay for its client (a lazy chunk of the
 * Lambda bundle, lib/bundling.ts).
 */
const sdk = () => import('@aws-sdk/client-evidently');

/** The given client, or one made on first use. */
function lazyClient(
  client: EvidentlyClient | undefined
): () => Promise<EvidentlyClient> {
  let made: Promise<EvidentlyClient> | undefined;
  return () => {
    made ??= client
      ? Promise.resolve(client)
      : sdk().then(({ EvidentlyClient }) => new EvidentlyClient({}));
    return made;
  };
}

/** Props of the Evidently adapters. */
export interface EvidentlyProps {
  /** Evidently project name or ARN (`EVIDENTLY_PROJECT`). */
  readonly project: string;
  readonly client?: EvidentlyClient;
  readonly log?: Log;
}

/**
 * Variant assignment by Evidently's EvaluateFeature: the feature is named
 * after the experiment id, its variations after the variants. Undefined
 * (native bucketing takes over) when the call fails or names no variant.
 */
export class EvidentlyVariantAssigner implements VariantAssigner {
  private readonly client: () => Promise<EvidentlyClient>;

  public constructor(private readonly props: EvidentlyProps) {
    this.client = lazyClient(props.client);
  }

  public async variant(
    e: Experiment,
    tenantId: string,
    unit: string
  ): Promise<string | undefined> {
    try {
      const [client, { EvaluateFeatureCommand }] = await Promise.all([
        this.client(),
        sdk(),
      ]);
      const out = await client.send(
        new EvaluateFeatureCommand({
          project: this.props.project,
          feature: e.id,
          entityId: `${tenantId}:${unit}`,
        })
      );
      return out.variation ?? undefined;
    } catch (err) {
      this.props.log?.warn('evidently EvaluateFeature failed', {
        experiment: e.id,
        error: (err as Error).name,
      });
      return undefined;
    }
  }
}

/**
 * An ExperimentStore that keeps the native store as the source of truth
 * (definitions, counters, gates) and also sends each observation to
 * Evidently as a custom event (PutProjectEvents), so an old Evidently
 * dashboard keeps receiving data. A failed send is logged, never thrown.
 */
export class EvidentlyEventStore implements ExperimentStore {
  private readonly client: () => Promise<EvidentlyClient>;

  public constructor(
    private readonly inner: ExperimentStore,
    private readonly props: EvidentlyProps & { readonly now?: () => number }
  ) {
    this.client = lazyClient(props.client);
  }

  public list(): Promise<readonly Experiment[]> {
    return this.inner.list();
  }

  public get(id: string): Promise<Experiment | undefined> {
    return this.inner.get(id);
  }

  public put(e: Experiment, expectedVersion: number): Promise<Experiment> {
    return this.inner.put(e, expectedVersion);
  }

  public counts(id: string): Promise<Readonly<Record<string, VariantCounts>>> {
    return this.inner.counts(id);
  }

  public async record(
    id: string,
    bucket: string,
    o: Observation
  ): Promise<void> {
    await this.inner.record(id, bucket, o);
    try {
      const [client, { PutProjectEventsCommand }] = await Promise.all([
        this.client(),
        sdk(),
      ]);
      await client.send(
        new PutProjectEventsCommand({
          project: this.props.project,
          events: [
            {
              timestamp: new Date((this.props.now ?? Date.now)()),
              type: 'aws.evidently.custom',
              data: JSON.stringify({
                details: {
                  success: o.ok ? 1 : 0,
                  latencyMs: o.latencyMs,
                  costUsd: o.costUsd,
                },
                userDetails: { entityId: `${id}:${bucket}` },
              }),
            },
          ],
        })
      );
    } catch (err) {
      this.props.log?.warn('evidently PutProjectEvents failed', {
        experiment: id,
        error: (err as Error).name,
      });
    }
  }
}
