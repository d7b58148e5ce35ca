/**
 * Secret redaction for audit records (pure). Audit trails are read by many
 * and kept for long, so every AuditLog runs what it stores through
 * {@link redactSecrets}: secret-looking fields are masked by name, and
 * key-looking strings are masked wherever they appear (free-text reasons too).
 */

/** What a masked value or substring is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Words that make a field name secret wherever they appear in it. Not
 * `tokens`: plural it nearly always counts them (`maxTokens`, `tokensPerDay`).
 */
const SECRET_WORDS = new Set([
  'password',
  'passwords',
  'passwd',
  'passphrase',
  'pwd',
  'secret',
  'secrets',
  'token',
  'authorization',
  'auth',
  'credential',
  'credentials',
  'cookie',
  'cookies',
  'apikey',
  'apikeys',
  'privatekey',
  'accesskey',
  'signature',
]);

/** Spelled-together names the word split can't see into (`xapikey`). */
const SECRET_SUBSTRINGS = [
  'password',
  'secret',
  'apikey',
  'privatekey',
  'accesskey',
  'authorization',
  'credential',
];

/** A final word that names something about a secret, not the secret. */
const BENIGN_LAST_WORDS = new Set([
  'arn',
  'id',
  'ids',
  'env',
  'name',
  'names',
  'hash',
  'hashes',
  'limit',
  'limits',
  'count',
  'version',
  'rotation',
  'expiry',
  'ttl',
]);

/** Names ending in `key` that are lookup keys, not credentials. */
const NOT_SECRET_NAMES = new Set([
  'contextkey',
  'cachekey',
  'partitionkey',
  'sortkey',
  'routekey',
  'idempotencykey',
]);

function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
}

/**
 * Whether a field name looks like it holds a secret: `apiKey`, `apiKeys`,
 * `api_key`, `x-api-key`, `secret`, `clientSecret`, `token`,
 * `sessionToken`, `password`, `authorization`, `key`, `privateKey`…, but
 * not `apiKeyEnv`, `secretArn`, `tokenLimit`, `maxTokens` or `contextKey`.
 */
export function isSecretFieldName(name: string): boolean {
  const words = nameWords(name);
  if (words.length === 0) return false;
  const joined = words.join('');
  if (NOT_SECRET_NAMES.has(joined)) return false;
  const last = words[words.length - 1]!;
  if (BENIGN_LAST_WORDS.has(last)) return false;
  if (last === 'key' || last === 'keys') return true;
  if (words.some((word) => SECRET_WORDS.has(word))) return true;
  return SECRET_SUBSTRINGS.some((part) => joined.includes(part));
}

/** Key formats masked inside any string. Order matters: specific first. */
const SECRET_PATTERNS: readonly RegExp[] = [
  // HTTP credentials: keep the scheme so the record still says what it was.
  /\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  // OpenAI / Anthropic style (`sk-…`, `sk-proj-…`, `sk-ant-…`).
  /\bsk-[A-Za-z0-9_-]{16,}/g,
  // Google API keys.
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  // AWS access key ids.
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  // JWTs.
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
  // Long hex (32+): raw keys, HMACs.
  /\b[0-9a-fA-F]{32,}\b/g,
];

/** Long base64-ish runs mixing upper case, lower case and digits. */
const BASE64_RUN = /[A-Za-z0-9+/_]{32,}={0,2}/g;

function scrubString(text: string): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (match) => {
      const scheme = /^(Bearer|Basic)\s+/i.exec(match);
      return scheme ? `${scheme[1]} ${REDACTED}` : REDACTED;
    });
  }
  // Paths and ids rarely mix all three classes in 32 unbroken characters;
  // random key material almost always does.
  return out.replace(BASE64_RUN, (match) =>
    /[A-Z]/.test(match) && /[a-z]/.test(match) && /[0-9]/.test(match)
      ? REDACTED
      : match
  );
}

const MAX_DEPTH = 32;

function walk(
  value: unknown,
  name: string | undefined,
  depth: number,
  seen: WeakSet<object>
): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
      return name !== undefined && isSecretFieldName(name)
        ? REDACTED
        : scrubString(value);
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  // A secret-named object or array is masked whole: a list of keys or a
  // credentials object must not survive field by field.
  if (name !== undefined && isSecretFieldName(name)) return REDACTED;
  const object = value as object;
  if (seen.has(object)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[truncated]';
  seen.add(object);
  try {
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      return walk(toJSON.call(object), name, depth + 1, seen);
    }
    if (object instanceof Map) {
      return walk(Object.fromEntries(object), name, depth + 1, seen);
    }
    if (object instanceof Set) {
      return walk([...object], name, depth + 1, seen);
    }
    if (Array.isArray(object)) {
      // JSON turns holes and undefined into null: keep positions stable.
      return object.map(
        (item) => walk(item, undefined, depth + 1, seen) ?? null
      );
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(object)) {
      const cleaned = walk(item, key, depth + 1, seen);
      if (cleaned !== undefined) out[key] = cleaned;
    }
    return out;
  } finally {
    seen.delete(object);
  }
}

/**
 * Returns a JSON-safe deep copy of `value` with secrets masked as
 * {@link REDACTED}: string-bearing fields whose names look secret (see
 * {@link isSecretFieldName}; numbers and booleans such as `tokenLimit` are
 * kept), and key-looking substrings in any string (`sk-…`, `AIza…`,
 * `AKIA…`, JWTs, `Bearer …`, long hex or mixed base64). Undefined fields are
 * dropped and non-finite numbers become null, as JSON would.
 */
export function redactSecrets(value: unknown): unknown {
  return walk(value, undefined, 0, new WeakSet());
}
