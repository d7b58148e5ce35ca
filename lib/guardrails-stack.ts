import { Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { DomainGuardrail } from './constructs/domain-guardrail';
import { GatewayKey } from './constructs/gateway-key';
import {
  GUARDRAIL_DOMAINS,
  GUARDRAIL_PROFILES,
  type GuardrailDomain,
} from './constructs/guardrail-profiles';
import { type GatewayStackProps, namePrefix } from './gateway-stack-props';

/** SSM path of the guardrail parameters of an environment. */
export function guardrailParameterPrefix(env: string): string {
  return `/ai/guardrails/${env}`;
}

/**
 * A Bedrock guardrail per domain profile (general, legal, medical), each
 * versioned and published to SSM under `/ai/guardrails/{env}/{domain}`.
 */
export class GuardrailsStack extends Stack {
  /** Key that encrypts the guardrails (the router needs kms:Decrypt on it). */
  public readonly key: kms.IKey;
  /** Guardrails by domain. */
  public readonly guardrails: Readonly<
    Record<GuardrailDomain, DomainGuardrail>
  >;
  /** `/ai/guardrails/{env}`. */
  public readonly parameterPrefix: string;

  constructor(scope: Construct, id: string, props: GatewayStackProps) {
    super(scope, id, props);
    const key = new GatewayKey(this, 'Key', {
      alias: `ai-gateway/${props.gatewayEnv}/guardrails`,
      description: 'Encrypts the Bedrock guardrails',
      removalPolicy: props.settings.removalPolicy,
      pendingWindow: props.settings.keyPendingWindow,
    });
    this.parameterPrefix = guardrailParameterPrefix(props.gatewayEnv);

    const guardrails = {} as Record<GuardrailDomain, DomainGuardrail>;
    for (const domain of GUARDRAIL_DOMAINS) {
      guardrails[domain] = new DomainGuardrail(this, pascal(domain), {
        namePrefix: namePrefix(props.gatewayEnv),
        domain,
        profile: GUARDRAIL_PROFILES[domain],
        key: key.key,
        parameterPrefix: this.parameterPrefix,
      });
    }
    this.guardrails = guardrails;
    this.key = key.key;
  }

  /** ARNs of every guardrail. */
  public get guardrailArns(): string[] {
    return Object.values(this.guardrails).map((g) => g.guardrailArn);
  }
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
