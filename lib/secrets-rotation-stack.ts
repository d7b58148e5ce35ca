import { Duration, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { AlertTopic } from './constructs/alert-topic';
import {
  GatewayFunction,
  type GatewayFunctionNetwork,
} from './constructs/gateway-function';
import { GatewayKey } from './constructs/gateway-key';
import { ProviderSecrets } from './constructs/provider-secrets';
import { RotationFailureAlerts } from './constructs/rotation-failure-alerts';
import { SecretRotation } from './constructs/secret-rotation';
import { type GatewayStackProps, namePrefix } from './gateway-stack-props';
import { entryPath } from './paths';

/** Props of {@link SecretsRotationStack}. */
export interface SecretsRotationStackProps extends GatewayStackProps {
  /** Ids of extra OpenAI-compatible providers. @default - none */
  readonly openaiCompatibleProviders?: readonly string[];
  /** VPC placement of the rotation function. @default - not in a VPC */
  readonly network?: GatewayFunctionNetwork;
  /** @default Duration.days(30) */
  readonly rotationInterval?: Duration;
}

/**
 * Provider credentials: one KMS key for this stack, a secret per provider,
 * the rotation function with a schedule per secret, and alerts when a
 * rotation fails. Consumers receive the secrets (and through them the key)
 * as props and grant themselves read access.
 */
export class SecretsRotationStack extends Stack {
  /** Key that encrypts the secrets, the rotation logs and the alert topic. */
  public readonly key: kms.IKey;
  /** Google credential. */
  public readonly googleSecret: secretsmanager.ISecret;
  /** Meta Llama API key. */
  public readonly llamaSecret: secretsmanager.ISecret;
  /** Extra OpenAI-compatible provider secrets, by provider id. */
  public readonly openaiCompatibleSecrets: Readonly<
    Record<string, secretsmanager.ISecret>
  >;
  /** The rotation function. */
  public readonly rotationFunction: GatewayFunction;
  /** Rotation alerts. */
  public readonly alertTopic: AlertTopic;

  constructor(scope: Construct, id: string, props: SecretsRotationStackProps) {
    super(scope, id, props);
    const { settings, gatewayEnv } = props;
    const prefix = namePrefix(gatewayEnv);

    const key = new GatewayKey(this, 'Key', {
      alias: `ai-gateway/${gatewayEnv}/secrets`,
      description: 'Encrypts provider secrets, rotation logs and alerts',
      removalPolicy: settings.removalPolicy,
      pendingWindow: settings.keyPendingWindow,
    });

    const secrets = new ProviderSecrets(this, 'ProviderSecrets', {
      namePrefix: `ai-gateway/${gatewayEnv}`,
      key: key.key,
      removalPolicy: settings.removalPolicy,
      openaiCompatibleProviders: props.openaiCompatibleProviders,
    });

    this.rotationFunction = new GatewayFunction(this, 'RotationFunction', {
      entry: entryPath('rotation'),
      serviceName: 'ai-gateway-rotation',
      description: 'Rotates provider API keys in Secrets Manager',
      logKey: key,
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.removalPolicy,
      memorySize: 256,
      timeout: Duration.minutes(1),
      network: props.network,
      environment: { GATEWAY_ENV: gatewayEnv },
    });

    new SecretRotation(this, 'Rotation', {
      rotationFunction: this.rotationFunction,
      secrets: [
        { id: 'Google', secret: secrets.google },
        { id: 'Llama', secret: secrets.llama },
        ...Object.entries(secrets.openaiCompatible).map(([providerId, s]) => ({
          id: providerId,
          secret: s,
        })),
      ],
      automaticallyAfter: props.rotationInterval,
    });

    this.alertTopic = new AlertTopic(this, 'AlertTopic', {
      displayName: `${prefix} secret rotation`,
      key,
      // The EventBridge SnsTopic target adds its own key-policy statement.
      publishers: ['cloudwatch'],
    });
    new RotationFailureAlerts(this, 'RotationAlerts', {
      namePrefix: prefix,
      rotationFunction: this.rotationFunction.function,
      topic: this.alertTopic.topic,
    });

    this.key = key.key;
    this.googleSecret = secrets.google;
    this.llamaSecret = secrets.llama;
    this.openaiCompatibleSecrets = secrets.openaiCompatible;
  }
}
