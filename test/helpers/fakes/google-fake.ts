import {
  generateKeyPair,
  type KeyObject,
  randomBytes,
  verify,
} from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type { RecordedRequest } from './common';

/**
 * Loopback fake of the Google endpoints the key rotation talks to:
 *
 * - OAuth token endpoint `POST /token` (JWT bearer grant): verifies the
 *   RS256 assertion's signature with the public half of the key named by
 *   its `kid`, and its `iss`, `aud`, `iat`/`exp` and `scope`, then issues an
 *   opaque access token bound to that service account;
 * - IAM `…/v1/projects/{p}/serviceAccounts/{email}/keys[/{keyId}]`: create
 *   (real RSA 2048 keys from node:crypto, returned as a base64 key file in
 *   `privateKeyData`), get, list and delete, allowed only to a token of the
 *   same account (the account manages its own keys);
 * - Generative Language `GET /v1beta/models` with `x-goog-api-key`.
 *
 * Errors use Google's shapes (`{"error": "invalid_grant", ...}` for OAuth,
 * `{"error": {"code", "message", "status"}}` for the APIs).
 */

const generateKeyPairAsync = promisify(generateKeyPair);

/** A service-account key file as IAM hands it out. */
export interface FakeKeyFile {
  readonly type: 'service_account';
  readonly project_id: string;
  readonly private_key_id: string;
  readonly private_key: string;
  readonly client_email: string;
  readonly client_id: string;
  readonly auth_uri: string;
  readonly token_uri: string;
  readonly universe_domain: string;
  readonly [field: string]: unknown;
}

/** Options of {@link startFakeGoogle}. */
export interface FakeGoogleOptions {
  /** Project id of the service accounts. @default 'fake-project' */
  readonly projectId?: string;
  /** Gemini API keys `GET /v1beta/models` accepts. @default [] */
  readonly geminiApiKeys?: readonly string[];
  /** Keys one account may hold (IAM allows 10). @default 10 */
  readonly maxKeysPerAccount?: number;
}

/** Fault switches. */
export interface FakeGoogleBehavior {
  /**
   * Token exchanges refused (`invalid_grant`) for each newly created key
   * before it is accepted, as Google does while a new key propagates.
   */
  newKeyWarmup: number;
  /** Answer key creation with this status. */
  createStatus?: number;
  /** Answer key deletion with this status. */
  deleteStatus?: number;
}

interface KeyState {
  readonly email: string;
  readonly publicKey: KeyObject;
  warmupLeft: number;
}

interface TokenState {
  readonly email: string;
  readonly keyId: string;
  readonly expiresAt: number;
}

/** Control surface of the fake. */
export interface FakeGoogleServer {
  /** Origin, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** OAuth token endpoint (what issued key files carry as token_uri). */
  readonly tokenUrl: string;
  /** IAM API root (GOOGLE_IAM_BASE_URL). */
  readonly iamBaseUrl: string;
  /** Generative Language API root (GOOGLE_GEMINI_BASE_URL). */
  readonly geminiBaseUrl: string;
  /** Requests in order; credentials, assertions and key material redacted. */
  readonly requests: RecordedRequest[];
  /** Creates a key for an account (the account springs into existence) and returns its key file. */
  issueKey(email: string): Promise<FakeKeyFile>;
  /** Ids of the keys an account holds now. */
  keyIds(email: string): string[];
  /** Access tokens issued on assertions signed by this key (each one verified). */
  tokensIssuedWith(keyId: string): number;
  /** Accepts or stops accepting a Gemini API key. */
  setGeminiKeys(keys: readonly string[]): void;
  setBehavior(patch: Partial<FakeGoogleBehavior>): void;
  /** Default behaviour, recorded requests cleared (keys and tokens stay). */
  reset(): void;
  close(): Promise<void>;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=UTF-8' };
const KEYS_PATH =
  /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/]+)\/keys(?:\/([^/]+))?$/;
const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, JSON_HEADERS);
  res.end(JSON.stringify(body));
}

function apiError(
  res: ServerResponse,
  status: number,
  message: string,
  statusName: string = STATUS_NAMES[status] ?? 'UNKNOWN'
): void {
  send(res, status, { error: { code: status, message, status: statusName } });
}

function oauthError(
  res: ServerResponse,
  error: string,
  description: string
): void {
  send(res, 400, { error, error_description: description });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      data += chunk;
    });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function b64urlJson(part: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(
      Buffer.from(part, 'base64url').toString('utf8')
    );
    return parsed && typeof parsed === 'object'
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function redactHeaders(
  headers: IncomingMessage['headers']
): Record<string, string | string[] | undefined> {
  const out = { ...headers };
  if (out.authorization !== undefined) out.authorization = 'Bearer [redacted]';
  if (out['x-goog-api-key'] !== undefined) out['x-goog-api-key'] = '[redacted]';
  return out;
}

/** Starts the fake on an ephemeral loopback port. */
export async function startFakeGoogle(
  options: FakeGoogleOptions = {}
): Promise<FakeGoogleServer> {
  const projectId = options.projectId ?? 'fake-project';
  const maxKeys = options.maxKeysPerAccount ?? 10;
  const requests: RecordedRequest[] = [];
  const keys = new Map<string, KeyState>();
  const tokens = new Map<string, TokenState>();
  // Survives the key's deletion, so tests can still ask after finishSecret.
  const issued = new Map<string, number>();
  let geminiKeys = new Set(options.geminiApiKeys ?? []);
  const defaults = (): FakeGoogleBehavior => ({ newKeyWarmup: 0 });
  let behavior = defaults();
  let origin = '';

  async function makeKey(email: string, warmup: number): Promise<FakeKeyFile> {
    const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
      modulusLength: 2048,
    });
    const keyId = randomBytes(20).toString('hex');
    keys.set(keyId, {
      email,
      publicKey,
      warmupLeft: warmup,
    });
    return {
      type: 'service_account',
      project_id: projectId,
      private_key_id: keyId,
      private_key: privateKey
        .export({ type: 'pkcs8', format: 'pem' })
        .toString(),
      client_email: email,
      client_id: String(BigInt(`0x${randomBytes(8).toString('hex')}`)),
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: `${origin}/token`,
      universe_domain: 'googleapis.com',
    };
  }

  function keysOf(email: string): string[] {
    return [...keys.entries()]
      .filter(([, k]) => k.email === email)
      .map(([id]) => id);
  }

  function token(req: IncomingMessage): TokenState | undefined {
    const auth = req.headers.authorization;
    const presented = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const state = presented ? tokens.get(presented) : undefined;
    return state && state.expiresAt > Date.now() ? state : undefined;
  }

  function exchange(res: ServerResponse, form: URLSearchParams) {
    if (
      form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer'
    )
      return oauthError(res, 'unsupported_grant_type', 'Invalid grant_type.');
    const parts = (form.get('assertion') ?? '').split('.');
    const header = parts.length === 3 ? b64urlJson(parts[0]!) : undefined;
    const claims = parts.length === 3 ? b64urlJson(parts[1]!) : undefined;
    if (!header || !claims)
      return oauthError(
        res,
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.'
      );
    const key =
      typeof header.kid === 'string' ? keys.get(header.kid) : undefined;
    if (header.alg !== 'RS256' || !key)
      return oauthError(res, 'invalid_grant', 'Invalid JWT Signature.');
    const signed = verify(
      'RSA-SHA256',
      Buffer.from(`${parts[0]}.${parts[1]}`),
      key.publicKey,
      Buffer.from(parts[2]!, 'base64url')
    );
    if (!signed)
      return oauthError(res, 'invalid_grant', 'Invalid JWT Signature.');
    const now = Math.floor(Date.now() / 1000);
    const iat = claims.iat;
    const exp = claims.exp;
    if (
      typeof iat !== 'number' ||
      typeof exp !== 'number' ||
      iat > now + 300 ||
      exp <= now ||
      exp - iat > 3600
    )
      return oauthError(
        res,
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.'
      );
    if (claims.aud !== `${origin}/token`)
      return oauthError(
        res,
        'invalid_grant',
        'Invalid JWT: Failed audience check.'
      );
    if (claims.iss !== key.email)
      return oauthError(
        res,
        'invalid_grant',
        'Invalid JWT: issuer does not own the signing key.'
      );
    if (typeof claims.scope !== 'string' || claims.scope.length === 0)
      return oauthError(
        res,
        'invalid_scope',
        'Invalid OAuth scope or ID token audience provided.'
      );
    if (key.warmupLeft > 0) {
      key.warmupLeft -= 1;
      return oauthError(res, 'invalid_grant', 'Invalid JWT Signature.');
    }
    issued.set(
      header.kid as string,
      (issued.get(header.kid as string) ?? 0) + 1
    );
    const accessToken = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    tokens.set(accessToken, {
      email: key.email,
      keyId: header.kid as string,
      expiresAt: Date.now() + 3600_000,
    });
    send(res, 200, {
      access_token: accessToken,
      expires_in: 3599,
      token_type: 'Bearer',
    });
  }

  async function iam(
    req: IncomingMessage,
    res: ServerResponse,
    match: RegExpExecArray
  ): Promise<void> {
    const email = decodeURIComponent(match[2]!);
    const keyId =
      match[3] === undefined ? undefined : decodeURIComponent(match[3]);
    const caller = token(req);
    if (!caller)
      return apiError(
        res,
        401,
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'
      );
    if (caller.email !== email)
      return apiError(
        res,
        403,
        `Permission 'iam.serviceAccountKeys.${req.method === 'POST' ? 'create' : req.method === 'DELETE' ? 'delete' : 'get'}' denied on resource (or it may not exist).`
      );
    const name = (id: string): string =>
      `projects/${projectId}/serviceAccounts/${email}/keys/${id}`;
    const meta = (id: string) => ({
      name: name(id),
      validAfterTime: '2026-01-01T00:00:00Z',
      validBeforeTime: '9999-12-31T23:59:59Z',
      keyAlgorithm: 'KEY_ALG_RSA_2048',
      keyOrigin: 'GOOGLE_PROVIDED',
      keyType: 'USER_MANAGED',
    });
    if (req.method === 'POST' && keyId === undefined) {
      if (behavior.createStatus !== undefined)
        return apiError(res, behavior.createStatus, 'Injected failure.');
      if (keysOf(email).length >= maxKeys)
        return apiError(
          res,
          400,
          'Precondition check failed.',
          'FAILED_PRECONDITION'
        );
      const file = await makeKey(email, behavior.newKeyWarmup);
      return send(res, 200, {
        ...meta(file.private_key_id),
        privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE',
        privateKeyData: Buffer.from(JSON.stringify(file)).toString('base64'),
      });
    }
    if (req.method === 'GET' && keyId === undefined)
      return send(res, 200, { keys: keysOf(email).map(meta) });
    if (keyId === undefined || keys.get(keyId)?.email !== email)
      return apiError(
        res,
        404,
        `Service account key ${name(keyId ?? '')} does not exist.`
      );
    if (req.method === 'GET') return send(res, 200, meta(keyId));
    if (req.method === 'DELETE') {
      if (behavior.deleteStatus !== undefined)
        return apiError(res, behavior.deleteStatus, 'Injected failure.');
      keys.delete(keyId);
      for (const [t, s] of tokens) if (s.keyId === keyId) tokens.delete(t);
      return send(res, 200, {});
    }
    return apiError(res, 404, 'Method not found.');
  }

  function models(req: IncomingMessage, res: ServerResponse) {
    const key = req.headers['x-goog-api-key'];
    if (typeof key !== 'string' || !geminiKeys.has(key))
      return send(res, 400, {
        error: {
          code: 400,
          message: 'API key not valid. Please pass a valid API key.',
          status: 'INVALID_ARGUMENT',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'API_KEY_INVALID',
              domain: 'googleapis.com',
            },
          ],
        },
      });
    send(res, 200, {
      models: [
        { name: 'models/gemini-2.5-flash', displayName: 'Gemini 2.5 Flash' },
      ],
    });
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    const isToken = req.method === 'POST' && url.pathname === '/token';
    let body: unknown;
    if (isToken) {
      const form = new URLSearchParams(raw);
      body = { grant_type: form.get('grant_type'), assertion: '[redacted]' };
    } else {
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
    }
    requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      headers: redactHeaders(req.headers),
      body,
    });
    if (isToken) return exchange(res, new URLSearchParams(raw));
    const keysMatch = KEYS_PATH.exec(url.pathname);
    if (keysMatch) return iam(req, res, keysMatch);
    if (req.method === 'GET' && url.pathname === '/v1beta/models')
      return models(req, res);
    apiError(
      res,
      404,
      `The requested URL ${url.pathname} was not found on this server.`
    );
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) apiError(res, 500, 'Internal error encountered.');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;

  return {
    url: origin,
    tokenUrl: `${origin}/token`,
    iamBaseUrl: origin,
    geminiBaseUrl: origin,
    requests,
    issueKey: (email) => makeKey(email, 0),
    keyIds: keysOf,
    tokensIssuedWith: (keyId) => issued.get(keyId) ?? 0,
    setGeminiKeys(list) {
      geminiKeys = new Set(list);
    },
    setBehavior(patch) {
      behavior = { ...behavior, ...patch };
    },
    reset() {
      behavior = defaults();
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
