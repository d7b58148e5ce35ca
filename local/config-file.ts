import { readFileSync } from 'node:fs';
import {
  ConfigError,
  defaultConfigFile,
  type GatewayConfig,
  resolveConfig,
} from '../lambdas/core/config/load';

/**
 * Loads the gateway config: the JSON file at `path` when given, otherwise the
 * credentials-only default (with the local echo model). Throws ConfigError
 * with every bad field listed.
 */
export function loadGatewayConfig(
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env
): { config: GatewayConfig; source: string } {
  if (!path) {
    return {
      config: resolveConfig(defaultConfigFile(env), env, 'built-in default'),
      source: 'built-in default (no GATEWAY_CONFIG)',
    };
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [
      `cannot read file: ${(err as Error).message}`,
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(path, [`not valid JSON: ${(err as Error).message}`]);
  }
  return { config: resolveConfig(raw, env, path), source: path };
}
