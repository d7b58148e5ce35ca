import { GatewayError } from '../api/errors';
import type { GuardrailProfile } from './config';

/** Seconds a client waits before retrying a request refused by a failed guardrail. */
export const GUARDRAIL_RETRY_AFTER_S = 5;

/** Header naming the guardrail category of a refusal. */
export const CATEGORY_HEADER = 'x-gateway-guardrail-category';

/**
 * The 400 `content_filter` of an input the guardrail blocked (ARCHITECTURE.md
 * "Refusals"), naming the category and the rule type, never the text.
 */
export function contentFilterError(
  profile: GuardrailProfile,
  category: string | undefined,
  reason: string | undefined,
  param: string | null
): GatewayError {
  const cat = category ?? 'policy';
  return new GatewayError(
    400,
    'invalid_request_error',
    'content_filter',
    `the request was blocked by the ${profile.name} guardrail profile: category ${cat}${reason ? ` (${reason})` : ''}`,
    { param, headers: { [CATEGORY_HEADER]: cat } }
  );
}

/** The 503 of a profile that fails closed while its guardrail service is down. */
export function guardrailUnavailableError(
  profile: GuardrailProfile
): GatewayError {
  return new GatewayError(
    503,
    'service_unavailable',
    'guardrail_unavailable',
    `the ${profile.name} guardrail did not answer and this profile fails closed; retry after ${GUARDRAIL_RETRY_AFTER_S}s`,
    { headers: { 'retry-after': String(GUARDRAIL_RETRY_AFTER_S) } }
  );
}
