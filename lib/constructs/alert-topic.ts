import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { GatewayKey } from './gateway-key';

/** Services that publish to an {@link AlertTopic}. */
export type AlertPublisher = 'cloudwatch' | 'events';

/** Props of {@link AlertTopic}. */
export interface AlertTopicProps {
  /** Display name (shown in e-mail notifications). */
  readonly displayName: string;
  /** Key that encrypts the topic. */
  readonly key: GatewayKey;
  /** Services allowed to use the key to publish. */
  readonly publishers: readonly AlertPublisher[];
}

/**
 * An SNS topic for operator alerts: KMS-encrypted, TLS-only, and with the
 * key policy letting CloudWatch alarms and/or EventBridge publish to it.
 * Subscriptions (e-mail, chat, paging) are added per deployment.
 */
export class AlertTopic extends Construct {
  /** The topic. */
  public readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertTopicProps) {
    super(scope, id);
    for (const publisher of props.publishers) {
      props.key.allowServiceToPublish(`${publisher}.amazonaws.com`);
    }
    this.topic = new sns.Topic(this, 'Resource', {
      displayName: props.displayName,
      masterKey: props.key.key,
      enforceSSL: true,
    });
  }
}
