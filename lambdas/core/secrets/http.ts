import { ProviderCallError } from './errors';

/** Default timeout of one provider call made by the rotation, ms. */
export const ROTATION_CALL_TIMEOUT_MS = 10_000;

/** A provider's answer: status and the parsed JSON body (undefined when not JSON). */
export interface ProviderResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly json: unknown;
}

/** One HTTP call of the rotation. */
export interface ProviderRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** What the call is for, used in error messages (`create service-account key`). */
  readonly what: string;
  /** @default ROTATION_CALL_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

/** The URL without query string (keys never travel in one, but be safe in messages). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

/**
 * Calls a provider with the global fetch (the rotation runs once a month:
 * plain fetch, no keep-alive tuning). Network failures and timeouts become
 * ProviderCallError; HTTP statuses are returned for the caller to judge.
 * Bodies are never put into errors here: some carry private keys.
 */
export async function callProvider(
  req: ProviderRequest
): Promise<ProviderResponse> {
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.timeout(req.timeoutMs ?? ROTATION_CALL_TIMEOUT_MS),
    });
  } catch (err) {
    const e = err as Error;
    throw new ProviderCallError(
      `${req.what}: ${req.method} ${describeUrl(req.url)} failed: ${e.name}: ${e.message}`,
      undefined,
      { cause: err }
    );
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, ok: res.ok, json };
}

/**
 * A short, value-free explanation of a provider error body: Google's
 * `{"error": {"status", "message"}}` or OAuth's `{"error", "error_description"}`,
 * OpenAI's `{"error": {"code", "message"}}`. Messages are cut at 200
 * characters; `messages: false` keeps only the codes (a 401 message may
 * echo part of the refused key).
 */
export function errorSummary(
  json: unknown,
  options: { readonly messages?: boolean } = {}
): string {
  const withMessages = options.messages ?? true;
  if (json === null || typeof json !== 'object') return 'no error details';
  const body = json as Record<string, unknown>;
  const err = body.error;
  const cut = (s: string): string =>
    s.length > 200 ? `${s.slice(0, 200)}…` : s;
  if (typeof err === 'string') {
    const desc =
      withMessages && typeof body.error_description === 'string'
        ? `: ${cut(body.error_description)}`
        : '';
    return `${err}${desc}`;
  }
  if (err !== null && typeof err === 'object') {
    const e = err as Record<string, unknown>;
    const code = [e.status, e.code].find(
      (c) => typeof c === 'string' || typeof c === 'number'
    );
    const message =
      withMessages && typeof e.message === 'string' ? cut(e.message) : '';
    return [code, message]
      .filter((p) => p !== undefined && p !== '')
      .join(': ');
  }
  return 'no error details';
}
