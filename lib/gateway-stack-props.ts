import type { StackProps } from 'aws-cdk-lib';
import type {
  EnvironmentSettings,
  GatewayEnvironment,
} from './config/gateway-context';

/** Props every gateway stack takes. */
export interface GatewayStackProps extends StackProps {
  /** Deployment environment (names, parameter paths). */
  readonly gatewayEnv: GatewayEnvironment;
  /** Per-environment retention, protection and throttling defaults. */
  readonly settings: EnvironmentSettings;
}

/** Prefix of every physical name the app sets, e.g. `ai-gateway-prod`. */
export function namePrefix(env: GatewayEnvironment): string {
  return `ai-gateway-${env}`;
}
