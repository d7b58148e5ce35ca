import { type RemovalPolicy, Tags } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** Tag that tells the rotation function which provider a secret belongs to. */
export const PROVIDER_TAG = 'ai-gateway:provider';

/** Props of {@link ProviderSecrets}. */
export interface ProviderSecretsProps {
  /** Name prefix, e.g. `ai-gateway/prod`. */
  readonly namePrefix: string;
  /** Key that encrypts every secret. */
  readonly key: kms.IKey;
  /** What happens to the secrets on stack delete. */
  readonly removalPolicy: RemovalPolicy;
  /** Ids of extra OpenAI-compatible providers. @default - none */
  readonly openaiCompatibleProviders?: readonly string[];
}

/**
 * Provider credentials in Secrets Manager, one KMS-encrypted secret each.
 * They are created with a random placeholder value; operators put the real
 * key with `aws secretsmanager put-secret-value` (see docs/deploy.md).
 */
export class ProviderSecrets extends Construct {
  /** Google credential: a Gemini API key or a service-account JSON. */
  public readonly google: secretsmanager.Secret;
  /** Meta Llama API key. */
  public readonly llama: secretsmanager.Secret;
  /** One secret per extra OpenAI-compatible provider, by id. */
  public readonly openaiCompatible: Readonly<
    Record<string, secretsmanager.Secret>
  >;
  /** Every secret above. */
  public readonly all: readonly secretsmanager.Secret[];

  constructor(scope: Construct, id: string, props: ProviderSecretsProps) {
    super(scope, id);
    const make = (
      parent: Construct,
      secretId: string,
      provider: string,
      description: string
    ): secretsmanager.Secret => {
      const secret = new secretsmanager.Secret(parent, secretId, {
        secretName: `${props.namePrefix}/${provider}`,
        description,
        encryptionKey: props.key,
        removalPolicy: props.removalPolicy,
      });
      Tags.of(secret).add(PROVIDER_TAG, provider);
      return secret;
    };

    this.google = make(
      this,
      'Google',
      'google',
      'Google credential: Gemini API key, or Vertex AI service-account JSON'
    );
    this.llama = make(this, 'Llama', 'llama', 'Meta Llama API key');

    const extra: Record<string, secretsmanager.Secret> = {};
    const ids = props.openaiCompatibleProviders ?? [];
    if (ids.length > 0) {
      const ns = new Construct(this, 'OpenAiCompatible');
      for (const providerId of ids) {
        extra[providerId] = make(
          ns,
          providerId,
          `openai-compatible/${providerId}`,
          `API key of the OpenAI-compatible provider ${providerId}`
        );
      }
    }
    this.openaiCompatible = extra;
    this.all = [this.google, this.llama, ...Object.values(extra)];
  }
}
