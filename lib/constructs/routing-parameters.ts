import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

/** Providers with a kill switch of their own from day one. */
export const KILL_SWITCH_PROVIDERS = [
  'bedrock',
  'gemini',
  'openai-compatible',
] as const;

/**
 * Initial route set: an empty `models` list means "every active model of the
 * registry" (schema owned by the runtime's registry module).
 */
export const INITIAL_ROUTE_SET = {
  name: 'active-models',
  version: 1,
  models: [] as string[],
};

/** Props of {@link RoutingParameters}. */
export interface RoutingParametersProps {
  /** Deployment environment (part of every name). */
  readonly env: string;
}

/**
 * Operator controls in SSM Parameter Store: the active route set and the
 * kill switches (`off` = traffic flows, `on` = stopped). Only the switches
 * that exist on day one are created here; per-model and per-route switches
 * are written at run time under the same prefix.
 */
export class RoutingParameters extends Construct {
  /** The route-set parameter. */
  public readonly routeSetParameter: ssm.StringParameter;
  /** `/ai/routing/{env}/active-models` (a literal, not a token). */
  public readonly routeSetParameterName: string;
  /** `/ai/kill-switches/{env}`. */
  public readonly killSwitchPrefix: string;
  /** `/ai/kill-switches/{env}/global`. */
  public readonly globalKillSwitch: ssm.StringParameter;
  /** `/ai/kill-switches/{env}/provider/<id>`, by provider id. */
  public readonly providerKillSwitches: Readonly<
    Record<string, ssm.StringParameter>
  >;

  constructor(scope: Construct, id: string, props: RoutingParametersProps) {
    super(scope, id);
    this.routeSetParameterName = `/ai/routing/${props.env}/active-models`;
    this.routeSetParameter = new ssm.StringParameter(this, 'RouteSet', {
      parameterName: this.routeSetParameterName,
      description: 'Active route set (JSON); empty models = all active models',
      stringValue: JSON.stringify(INITIAL_ROUTE_SET),
    });

    this.killSwitchPrefix = `/ai/kill-switches/${props.env}`;
    this.globalKillSwitch = new ssm.StringParameter(this, 'GlobalKillSwitch', {
      parameterName: `${this.killSwitchPrefix}/global`,
      description: 'Global kill switch: on stops all traffic',
      stringValue: 'off',
    });
    const providers = new Construct(this, 'ProviderKillSwitches');
    const switches: Record<string, ssm.StringParameter> = {};
    for (const provider of KILL_SWITCH_PROVIDERS) {
      switches[provider] = new ssm.StringParameter(providers, provider, {
        parameterName: `${this.killSwitchPrefix}/provider/${provider}`,
        description: `Kill switch of provider ${provider}: on stops its traffic`,
        stringValue: 'off',
      });
    }
    this.providerKillSwitches = switches;
  }
}
