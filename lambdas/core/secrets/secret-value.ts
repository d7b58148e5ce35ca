import { RotationConfigError } from './errors';

/** Secrets Manager's label of the version in force. */
export const CURRENT_STAGE = 'AWSCURRENT';
/** Label of the version a rotation is building. */
export const PENDING_STAGE = 'AWSPENDING';
/** Label Secrets Manager moves to the version replaced by a rotation. */
export const PREVIOUS_STAGE = 'AWSPREVIOUS';
/**
 * Label of a value an operator staged for the next rotation of an API-key
 * secret (`ops secrets stage`). The rotation promotes it, then removes it.
 */
export const STAGED_STAGE = 'AWSSTAGED';

/** Tag naming the provider a secret belongs to (set by the CDK ProviderSecrets construct). */
export const PROVIDER_TAG = 'ai-gateway:provider';

/**
 * Value of an API-key secret (Meta Llama, OpenAI-compatible providers, a
 * Gemini API key): `{"apiKey": "...", "baseUrl"?: "..."}`. The router reads
 * `apiKey` (a bare string is read as the key too); `baseUrl` is where the
 * rotation makes its test call and should be the router's base URL for the
 * provider (the rotation function doesn't see the router's config). Other
 * fields are kept as they are across rotations.
 */
export interface ApiKeySecretValue {
  readonly apiKey: string;
  readonly baseUrl?: string;
  readonly [field: string]: unknown;
}

/**
 * A Google service-account key file (what IAM returns as `privateKeyData`),
 * the value of the Google secret in service-account mode.
 */
export interface ServiceAccountKey {
  readonly type: 'service_account';
  readonly project_id?: string;
  readonly private_key_id: string;
  readonly private_key: string;
  readonly client_email: string;
  readonly client_id?: string;
  readonly token_uri?: string;
  readonly [field: string]: unknown;
}

function parseObject(raw: string): Record<string, unknown> | undefined {
  const text = raw.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null &&
      typeof parsed === 'object' &&
      !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The service-account key in a secret value, undefined when it is something else. */
export function parseServiceAccountKey(
  raw: string
): ServiceAccountKey | undefined {
  const o = parseObject(raw);
  if (
    o?.type === 'service_account' &&
    typeof o.private_key === 'string' &&
    typeof o.private_key_id === 'string' &&
    o.private_key_id.length > 0 &&
    typeof o.client_email === 'string' &&
    o.client_email.length > 0
  )
    return o as ServiceAccountKey;
  return undefined;
}

/**
 * Reads an API-key secret value: the JSON shape above, or a bare key (what
 * operators put by hand, and the random placeholder CDK creates). Throws a
 * RotationConfigError naming `what` (never the value) when there is no key.
 */
export function parseApiKeyValue(raw: string, what: string): ApiKeySecretValue {
  const o = parseObject(raw);
  if (o) {
    if (typeof o.apiKey !== 'string' || o.apiKey.trim().length === 0)
      throw new RotationConfigError(
        `${what}: a JSON value needs a non-empty string field "apiKey"`
      );
    if (o.baseUrl !== undefined && typeof o.baseUrl !== 'string')
      throw new RotationConfigError(`${what}: "baseUrl" must be a string`);
    return o as ApiKeySecretValue;
  }
  const key = raw.trim();
  // A value that opens like JSON but isn't is a broken edit, not a key.
  if (key.length === 0 || key.startsWith('{'))
    throw new RotationConfigError(
      `${what}: expected {"apiKey": "..."} or a bare key`
    );
  return { apiKey: key };
}

/**
 * Normalises what an operator stages: a bare key becomes `{"apiKey": key}`;
 * a JSON object must carry `apiKey`. Returns the JSON text to store.
 */
export function normaliseStagedValue(raw: string): string {
  return JSON.stringify(parseApiKeyValue(raw, 'staged value'));
}
