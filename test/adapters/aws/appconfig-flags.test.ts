import {
  AppConfigDataClient,
  GetLatestConfigurationCommand,
  StartConfigurationSessionCommand,
} from '@aws-sdk/client-appconfigdata';
import { mockClient } from 'aws-sdk-client-mock';
import { AppConfigExperimentFlags } from '../../../lambdas/core/adapters/aws/appconfig-flags';
import { MemoryLog } from '../../helpers/gateway';

const appconfig = mockClient(AppConfigDataClient);

function flags(doc: unknown) {
  appconfig.on(StartConfigurationSessionCommand).resolves({
    InitialConfigurationToken: 'token-1',
  });
  appconfig.on(GetLatestConfigurationCommand).resolves({
    Configuration: new TextEncoder().encode(JSON.stringify(doc)) as never,
    NextPollConfigurationToken: 'token-2',
  });
}

describe('Class: AppConfigExperimentFlags', () => {
  beforeEach(() => appconfig.reset());

  it('reads experiment flags from the feature-flag profile', async () => {
    // Prepare
    flags({
      'bandit-routing': { enabled: true },
      'experiment-next': { enabled: false },
    });
    const f = new AppConfigExperimentFlags({
      application: 'app',
      environment: 'prod',
      profile: 'feature-flags',
      awsSdkV3Client: new AppConfigDataClient({ region: 'eu-central-1' }),
    });
    // Act + Assess
    expect(await f.enabled('next')).toBe(false);
    expect(await f.enabled('other')).toBe(true);
    expect(
      appconfig.commandCalls(StartConfigurationSessionCommand)[0]?.args[0].input
    ).toMatchObject({
      ApplicationIdentifier: 'app',
      EnvironmentIdentifier: 'prod',
      ConfigurationProfileIdentifier: 'feature-flags',
    });
    // Cached within maxAge: one fetch for both questions.
    expect(appconfig.commandCalls(GetLatestConfigurationCommand)).toHaveLength(
      1
    );
  });

  it('the global flag turns every experiment off', async () => {
    flags({ experiments: { enabled: false } });
    const f = new AppConfigExperimentFlags({
      application: 'app',
      environment: 'prod',
      profile: 'feature-flags',
      awsSdkV3Client: new AppConfigDataClient({ region: 'eu-central-1' }),
    });
    expect(await f.enabled('next')).toBe(false);
  });

  it('fails open (on) when AppConfig cannot be read, and says so', async () => {
    appconfig.on(StartConfigurationSessionCommand).rejects(new Error('boom'));
    const log = new MemoryLog();
    const f = new AppConfigExperimentFlags({
      application: 'app',
      environment: 'prod',
      profile: 'feature-flags',
      awsSdkV3Client: new AppConfigDataClient({ region: 'eu-central-1' }),
      log,
    });
    expect(await f.enabled('next')).toBe(true);
    expect(log.lines[0]?.message).toBe(
      'feature flags could not be read from AppConfig'
    );
  });
});
