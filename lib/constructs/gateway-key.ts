import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Props of {@link GatewayKey}. */
export interface GatewayKeyProps {
  /** Alias without the `alias/` prefix, e.g. `ai-gateway/dev/secrets`. */
  readonly alias: string;
  /** What the key protects. */
  readonly description: string;
  /** What happens to the key when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * Waiting period before a removed key is deleted.
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;
}

/**
 * A customer-managed KMS key with yearly rotation, one per stack. Keeping
 * keys stack-local means no key policy ever names a principal of another
 * stack (which would create a reference cycle); other stacks get access
 * through their own IAM policies, which the default key policy delegates to.
 */
export class GatewayKey extends Construct {
  /** The key. */
  public readonly key: kms.Key;

  private logsAllowed = false;
  private readonly publishers = new Set<string>();

  constructor(scope: Construct, id: string, props: GatewayKeyProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Resource', {
      alias: `alias/${props.alias}`,
      description: props.description,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
      pendingWindow: props.pendingWindow ?? Duration.days(30),
    });
  }

  /**
   * Lets CloudWatch Logs encrypt log groups of this account and region with
   * the key (log groups are encrypted by the Logs service principal, which
   * IAM delegation does not cover). Idempotent.
   */
  public allowCloudWatchLogs(): this {
    if (this.logsAllowed) return this;
    this.logsAllowed = true;
    const stack = Stack.of(this);
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogs',
        principals: [
          new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`),
        ],
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
          'kms:GenerateDataKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:DescribeKey',
        ],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
          },
        },
      })
    );
    return this;
  }

  /**
   * Lets an AWS service publish to an SNS topic encrypted with this key
   * (CloudWatch alarms, EventBridge rules). Idempotent per service.
   */
  public allowServiceToPublish(servicePrincipal: string): this {
    if (this.publishers.has(servicePrincipal)) return this;
    this.publishers.add(servicePrincipal);
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(servicePrincipal)],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      })
    );
    return this;
  }
}
