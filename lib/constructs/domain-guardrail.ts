import { createHash } from 'node:crypto';
import { aws_bedrock as bedrock, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import {
  type GuardrailDomain,
  type GuardrailProfile,
  guardrailPolicies,
} from './guardrail-profiles';

/** Props of {@link DomainGuardrail}. */
export interface DomainGuardrailProps {
  /** Name prefix, e.g. `ai-gateway-prod`. */
  readonly namePrefix: string;
  /** The domain profile. */
  readonly domain: GuardrailDomain;
  /** Its policy. */
  readonly profile: GuardrailProfile;
  /** Key that encrypts the guardrail. */
  readonly key: kms.IKey;
  /** SSM path the id/version JSON is published under, e.g. `/ai/guardrails/prod`. */
  readonly parameterPrefix: string;
}

/**
 * One Bedrock guardrail for one domain, a numbered version of it, and an SSM
 * parameter `<prefix>/<domain>` holding `{"id": ..., "version": ...}` for the
 * router. The version's description carries a hash of the policy, so a policy
 * change publishes a new version instead of leaving the router on the old one.
 */
export class DomainGuardrail extends Construct {
  /** The guardrail (working draft). */
  public readonly guardrail: bedrock.CfnGuardrail;
  /** The published version the router uses. */
  public readonly version: bedrock.CfnGuardrailVersion;
  /** The SSM parameter the router reads. */
  public readonly parameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: DomainGuardrailProps) {
    super(scope, id);
    const policies = guardrailPolicies(props.profile);
    const label = `${props.domain} request`;

    this.guardrail = new bedrock.CfnGuardrail(this, 'Resource', {
      name: `${props.namePrefix}-${props.domain}`,
      description: props.profile.description,
      kmsKeyArn: props.key.keyArn,
      blockedInputMessaging: `This ${label} was blocked by the gateway's ${props.domain} guardrail.`,
      blockedOutputsMessaging: `The answer to this ${label} was blocked by the gateway's ${props.domain} guardrail.`,
      ...policies,
    });

    const digest = createHash('sha256')
      .update(JSON.stringify(policies))
      .digest('hex')
      .slice(0, 16);
    this.version = new bedrock.CfnGuardrailVersion(this, 'Version', {
      guardrailIdentifier: this.guardrail.attrGuardrailId,
      description: `${props.domain} policy ${digest}`,
    });

    this.parameter = new ssm.StringParameter(this, 'Parameter', {
      parameterName: `${props.parameterPrefix}/${props.domain}`,
      description: `Bedrock guardrail id and version for the ${props.domain} domain`,
      stringValue: Stack.of(this).toJsonString({
        id: this.guardrail.attrGuardrailId,
        version: this.version.attrVersion,
      }),
    });
  }

  /** The guardrail ARN (IAM resource of bedrock:ApplyGuardrail). */
  public get guardrailArn(): string {
    return this.guardrail.attrGuardrailArn;
  }
}
