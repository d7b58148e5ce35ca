import { aws_evidently as evidently, Stack } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';

/**
 * Initial feature flags (AWS.AppConfig.FeatureFlags schema). The runtime's
 * experiments module owns their meaning; operators change them in AppConfig.
 */
export const INITIAL_FEATURE_FLAGS = {
  version: '1',
  flags: {
    'bandit-routing': {
      name: 'bandit-routing',
      description: 'Thompson-sampling choice among policy candidates',
    },
    'response-cache': {
      name: 'response-cache',
      description: 'Serve repeated requests from the response cache',
    },
  },
  values: {
    'bandit-routing': { enabled: true },
    'response-cache': { enabled: true },
  },
};

/** Props of {@link GatewayExperiments}. */
export interface GatewayExperimentsProps {
  /** Name prefix, e.g. `ai-gateway-prod`. */
  readonly namePrefix: string;
  /** AppConfig environment name (the deployment environment). */
  readonly environmentName: string;
  /** Also create the legacy Evidently project and feature. @default false */
  readonly evidently?: boolean;
}

/**
 * Experiment configuration. The supported path is AppConfig: an
 * application, an environment and a hosted feature-flag profile deployed
 * all at once. CloudWatch Evidently was shut down by AWS; it is only created
 * when explicitly asked for, to keep old deployments synthesizing.
 */
export class GatewayExperiments extends Construct {
  /** AppConfig application. */
  public readonly application: appconfig.Application;
  /** AppConfig environment. */
  public readonly environment: appconfig.Environment;
  /** Feature-flag configuration profile. */
  public readonly flags: appconfig.HostedConfiguration;
  /** Legacy Evidently project. @default - undefined unless `evidently` */
  public readonly evidentlyProject?: evidently.CfnProject;
  /** Legacy Evidently feature. @default - undefined unless `evidently` */
  public readonly evidentlyFeature?: evidently.CfnFeature;

  constructor(scope: Construct, id: string, props: GatewayExperimentsProps) {
    super(scope, id);
    this.application = new appconfig.Application(this, 'Application', {
      applicationName: props.namePrefix,
      description: 'AI gateway feature flags',
    });
    this.environment = new appconfig.Environment(this, 'Environment', {
      application: this.application,
      environmentName: props.environmentName,
    });
    this.flags = new appconfig.HostedConfiguration(this, 'FeatureFlags', {
      application: this.application,
      name: 'feature-flags',
      type: appconfig.ConfigurationType.FEATURE_FLAGS,
      content: appconfig.ConfigurationContent.fromInlineJson(
        JSON.stringify(INITIAL_FEATURE_FLAGS)
      ),
      deploymentStrategy: appconfig.DeploymentStrategy.fromDeploymentStrategyId(
        this,
        'AllAtOnce',
        appconfig.DeploymentStrategyId.ALL_AT_ONCE
      ),
      deployTo: [this.environment],
    });

    if (props.evidently) {
      this.evidentlyProject = new evidently.CfnProject(
        this,
        'EvidentlyProject',
        {
          name: props.namePrefix,
          description: 'Legacy: CloudWatch Evidently was shut down by AWS',
        }
      );
      this.evidentlyFeature = new evidently.CfnFeature(
        this,
        'EvidentlyFeature',
        {
          project: this.evidentlyProject.attrArn,
          name: 'routing-policy',
          description: 'Legacy: policy vs bandit routing',
          variations: [
            { variationName: 'policy', stringValue: 'policy' },
            { variationName: 'bandit', stringValue: 'bandit' },
          ],
          defaultVariation: 'policy',
        }
      );
      for (const resource of [this.evidentlyProject, this.evidentlyFeature]) {
        acknowledge(
          resource,
          'CloudFormation-Validate::E3710',
          'Created only with -c evidently=true, for deployments that still reference Evidently; AppConfig feature flags are the supported path'
        );
      }
    }
  }

  /** ARN the router needs appconfig:StartConfigurationSession/GetLatestConfiguration on. */
  public get configurationArn(): string {
    return Stack.of(this).formatArn({
      service: 'appconfig',
      resource: 'application',
      resourceName: `${this.application.applicationId}/environment/${this.environment.environmentId}/configuration/${this.flags.configurationProfileId}`,
    });
  }
}
