import type { AppConfigDataClient } from '@aws-sdk/client-appconfigdata';
import type { ExperimentFlags } from '../../experiments/types';
import type { Log } from '../../ports';

/** Props of {@link AppConfigExperimentFlags}. */
export interface AppConfigExperimentFlagsProps {
  /** AppConfig application id or name (`APPCONFIG_APPLICATION_ID`). */
  readonly application: string;
  /** AppConfig environment id or name (`APPCONFIG_ENVIRONMENT_ID`). */
  readonly environment: string;
  /** Feature-flag configuration profile id or name (`APPCONFIG_PROFILE_ID`). */
  readonly profile: string;
  /** Seconds a fetched flag set is reused. @default 30 */
  readonly maxAgeSeconds?: number;
  readonly awsSdkV3Client?: AppConfigDataClient;
  readonly log?: Log;
}

/** What this class uses of Powertools' AppConfigProvider. */
interface FlagReader {
  get(
    name: string,
    options: { maxAge: number; transform: 'json' }
  ): Promise<unknown>;
}

/** The AWS.AppConfig.FeatureFlags document as GetLatestConfiguration returns it. */
type FlagValues = Record<string, { enabled?: boolean } | undefined>;

/**
 * Experiment flags from the AppConfig feature-flag profile the stack
 * deploys (lib/constructs/gateway-experiments.ts), read through Powertools
 * Parameters with a bounded cache: flag `experiments` gates all experiments,
 * `experiment-<id>` one; an absent flag means on (definitions and their
 * status stay the primary switch). When AppConfig can't be read the last
 * good flags are used (none read yet: on), so a flag outage never stops
 * traffic and never starts what an operator turned off.
 */
export class AppConfigExperimentFlags implements ExperimentFlags {
  private provider: Promise<FlagReader> | undefined;
  private last: FlagValues | undefined;

  public constructor(private readonly props: AppConfigExperimentFlagsProps) {}

  // Loaded on the first flag read (a request with a live experiment), not at
  // init: the AppConfig Data client is a lazy chunk of the Lambda bundle.
  private appConfig(): Promise<FlagReader> {
    const { application, environment, awsSdkV3Client } = this.props;
    this.provider ??= import(
      '@aws-lambda-powertools/parameters/appconfig'
    ).then(
      ({ AppConfigProvider }) =>
        new AppConfigProvider({
          application,
          environment,
          ...(awsSdkV3Client ? { awsSdkV3Client } : {}),
        })
    );
    return this.provider;
  }

  public async enabled(experimentId: string): Promise<boolean> {
    const flags = await this.flags();
    return (
      flags.experiments?.enabled !== false &&
      flags[`experiment-${experimentId}`]?.enabled !== false
    );
  }

  private async flags(): Promise<FlagValues> {
    try {
      const provider = await this.appConfig();
      const value = await provider.get(this.props.profile, {
        maxAge: this.props.maxAgeSeconds ?? 30,
        transform: 'json',
      });
      if (value && typeof value === 'object') this.last = value as FlagValues;
    } catch (err) {
      this.props.log?.warn('feature flags could not be read from AppConfig', {
        error: (err as Error).name,
      });
    }
    return this.last ?? {};
  }
}
