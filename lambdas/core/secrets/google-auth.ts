import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { ProviderCallError } from './errors';
import { callProvider, errorSummary } from './http';
import type { ServiceAccountKey } from './secret-value';

/** Google's OAuth token endpoint (the `token_uri` of every key file). */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** Google IAM API root. */
export const GOOGLE_IAM_BASE_URL = 'https://iam.googleapis.com';
/** Generative Language API root (Gemini API keys). */
export const GOOGLE_GEMINI_BASE_URL =
  'https://generativelanguage.googleapis.com';
/** Scope of the access tokens the rotation asks for. */
export const CLOUD_PLATFORM_SCOPE =
  'https://www.googleapis.com/auth/cloud-platform';

/**
 * Where the rotation talks to Google. Every URL can be overridden by env,
 * so tests (and private endpoints) can point it elsewhere:
 * `GOOGLE_OAUTH_TOKEN_URL`, `GOOGLE_IAM_BASE_URL`, `GOOGLE_ROTATION_TEST_URL`,
 * `GOOGLE_GEMINI_BASE_URL`.
 */
export interface GoogleEndpoints {
  /** Replaces the key file's `token_uri` (and the JWT audience) when set. */
  readonly tokenUrl?: string;
  readonly iamBaseUrl: string;
  /**
   * The cheap authenticated GET that proves a new key works.
   * @default - GET the new key's own metadata from IAM
   */
  readonly testUrl?: string;
  readonly geminiBaseUrl: string;
}

const trimSlash = (url: string): string => url.replace(/\/+$/, '');

/** Google endpoints from the environment (see {@link GoogleEndpoints}). */
export function googleEndpoints(env: NodeJS.ProcessEnv): GoogleEndpoints {
  return {
    ...(env.GOOGLE_OAUTH_TOKEN_URL
      ? { tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL }
      : {}),
    iamBaseUrl: trimSlash(env.GOOGLE_IAM_BASE_URL || GOOGLE_IAM_BASE_URL),
    ...(env.GOOGLE_ROTATION_TEST_URL
      ? { testUrl: env.GOOGLE_ROTATION_TEST_URL }
      : {}),
    geminiBaseUrl: trimSlash(
      env.GOOGLE_GEMINI_BASE_URL || GOOGLE_GEMINI_BASE_URL
    ),
  };
}

/** An OAuth access token. */
export interface GoogleAccessToken {
  readonly accessToken: string;
  /** Seconds it stays valid. */
  readonly expiresIn: number;
}

/** Options of {@link fetchServiceAccountToken}. */
export interface TokenOptions {
  /** Overrides the key file's token_uri. @default - key.token_uri, else GOOGLE_TOKEN_URL */
  readonly tokenUrl?: string;
  /** @default CLOUD_PLATFORM_SCOPE */
  readonly scope?: string;
  /** Clock, ms since epoch. @default Date.now */
  readonly now?: () => number;
}

/**
 * A compact JWS (RFC 7515) signed with RS256: base64url(header) "."
 * base64url(claims) "." base64url(RSASSA-PKCS1-v1_5 SHA-256 signature).
 * node:crypto does the cryptography; a JOSE library (jose: 16 KB of the
 * router bundle) would only add the three-part encoding for this one token.
 */
function signRs256Jwt(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  key: KeyObject
): string {
  const input = `${b64urlJson(header)}.${b64urlJson(claims)}`;
  const signature = sign('RSA-SHA256', Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

function b64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * Exchanges a service-account key for an access token (OAuth 2.0 JWT bearer
 * grant, RFC 7523): an RS256 assertion signed with the key, `kid` = its key
 * id, `aud` = the token endpoint, valid one hour. Errors carry Google's
 * error code (`invalid_grant` for an unknown or not yet usable key), never
 * the key or the token.
 */
export async function fetchServiceAccountToken(
  key: ServiceAccountKey,
  options: TokenOptions = {}
): Promise<GoogleAccessToken> {
  const tokenUrl = options.tokenUrl ?? key.token_uri ?? GOOGLE_TOKEN_URL;
  const nowS = Math.floor((options.now ?? Date.now)() / 1000);
  let signingKey: KeyObject;
  try {
    signingKey = createPrivateKey(key.private_key);
    if (signingKey.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
  } catch (err) {
    throw new ProviderCallError(
      `service-account key ${key.private_key_id} of ${key.client_email}: private_key is not a PKCS#8 RSA key`,
      undefined,
      { cause: err }
    );
  }
  const assertion = signRs256Jwt(
    { alg: 'RS256', typ: 'JWT', kid: key.private_key_id },
    {
      iss: key.client_email,
      scope: options.scope ?? CLOUD_PLATFORM_SCOPE,
      aud: tokenUrl,
      iat: nowS,
      exp: nowS + 3600,
    },
    signingKey
  );
  const res = await callProvider({
    method: 'POST',
    url: tokenUrl,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion,
    }).toString(),
    what: `token for key ${key.private_key_id}`,
  });
  const body = res.json as { access_token?: unknown; expires_in?: unknown };
  if (!res.ok || typeof body?.access_token !== 'string')
    throw new ProviderCallError(
      `token for key ${key.private_key_id} of ${key.client_email}: HTTP ${res.status} (${errorSummary(res.json)})`,
      res.status
    );
  return {
    accessToken: body.access_token,
    expiresIn: typeof body.expires_in === 'number' ? body.expires_in : 3600,
  };
}

/** A key as IAM describes it (never with private data). */
export interface IamKeyRef {
  readonly email: string;
  readonly keyId: string;
}

function keysUrl(iamBaseUrl: string, email: string): string {
  // `@` is legal in a path segment; Google's own clients send it raw.
  const account = encodeURIComponent(email).replace(/%40/g, '@');
  return `${iamBaseUrl}/v1/projects/-/serviceAccounts/${account}/keys`;
}

/** URL of one key of a service account in the IAM API. */
export function iamKeyUrl(iamBaseUrl: string, ref: IamKeyRef): string {
  return `${keysUrl(iamBaseUrl, ref.email)}/${encodeURIComponent(ref.keyId)}`;
}

/**
 * Creates a new key for a service account (IAM `serviceAccounts.keys.create`,
 * Google-managed RSA 2048) with an access token allowed to do so, and
 * returns the new key file decoded from `privateKeyData`.
 */
export async function createServiceAccountKey(
  iamBaseUrl: string,
  email: string,
  accessToken: string
): Promise<ServiceAccountKey> {
  const res = await callProvider({
    method: 'POST',
    url: keysUrl(iamBaseUrl, email),
    headers: {
      authorization: `Bearer ${accessToken}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE',
      keyAlgorithm: 'KEY_ALG_RSA_2048',
    }),
    what: `create key for ${email}`,
  });
  if (!res.ok)
    throw new ProviderCallError(
      `create key for ${email}: HTTP ${res.status} (${errorSummary(res.json)})`,
      res.status
    );
  const data = (res.json as { privateKeyData?: unknown })?.privateKeyData;
  let file: Record<string, unknown> | undefined;
  try {
    file =
      typeof data === 'string'
        ? (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as Record<
            string,
            unknown
          >)
        : undefined;
  } catch {
    file = undefined;
  }
  if (
    file?.type !== 'service_account' ||
    typeof file.private_key !== 'string' ||
    typeof file.private_key_id !== 'string' ||
    file.client_email !== email
  )
    throw new ProviderCallError(
      `create key for ${email}: the answer holds no service-account key file for that account`,
      res.status
    );
  return file as ServiceAccountKey;
}

/**
 * Deletes a key; `deleted`, or `absent` when IAM no longer has it (a
 * replayed cleanup is not an error).
 */
export async function deleteServiceAccountKey(
  iamBaseUrl: string,
  ref: IamKeyRef,
  accessToken: string
): Promise<'deleted' | 'absent'> {
  const res = await callProvider({
    method: 'DELETE',
    url: iamKeyUrl(iamBaseUrl, ref),
    headers: { authorization: `Bearer ${accessToken}` },
    what: `delete key ${ref.keyId}`,
  });
  if (res.status === 404) return 'absent';
  if (!res.ok)
    throw new ProviderCallError(
      `delete key ${ref.keyId} of ${ref.email}: HTTP ${res.status} (${errorSummary(res.json)})`,
      res.status
    );
  return 'deleted';
}
