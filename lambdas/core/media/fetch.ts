import { lookup as dnsLookup } from 'node:dns/promises';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { badRequest, type GatewayError } from '../api/errors';
import { isPublicAddress } from './address-guard';
import type { MediaSettings } from './config';

/** One resolved address of a host. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to every address (injectable for tests). */
export type HostResolver = (host: string) => Promise<ResolvedAddress[]>;

/** The system resolver: every A and AAAA answer. */
export const systemResolver: HostResolver = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** Options of the guarded fetcher. */
export interface RemoteFetchOptions {
  /** @default systemResolver */
  readonly resolve?: HostResolver;
  /**
   * Which resolved addresses may be connected to. @default isPublicAddress.
   * Production never sets it; tests that must reach a 127.0.0.1 server do.
   */
  readonly allowAddress?: (address: string) => boolean;
}

/** A fetched body and its declared type. */
export interface FetchedMedia {
  readonly bytes: Uint8Array;
  readonly contentType: string;
}

function refused(
  param: string,
  why: string,
  code = 'media_url_refused'
): GatewayError {
  return badRequest(`${param}: ${why}`, param, code);
}

/** Whether a host is on the allowlist (`host` or `*.suffix`). */
export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return allowed.some((a) =>
    a.startsWith('*.')
      ? h.endsWith(a.slice(1)) && h.length > a.length - 1
      : h === a
  );
}

/**
 * Fetches an image URL under the SSRF policy: http(s) only, host on the
 * allowlist, every resolved address public, the connection pinned to the
 * checked address (no second DNS lookup a rebinding server could answer
 * differently), each redirect re-checked, size and time limited. Every
 * refusal is a 400 naming `param`.
 */
export async function fetchRemoteImage(
  url: string,
  param: string,
  settings: MediaSettings,
  options: RemoteFetchOptions = {}
): Promise<FetchedMedia> {
  const resolve = options.resolve ?? systemResolver;
  const allowAddress = options.allowAddress ?? isPublicAddress;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), settings.fetchTimeoutMs);
  try {
    let current = url;
    for (let hop = 0; ; hop++) {
      const target = await checkedTarget(
        current,
        param,
        settings,
        resolve,
        allowAddress
      );
      const res = await get(target, controller.signal, param, settings);
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (hop >= settings.maxRedirects)
          throw refused(param, `more than ${settings.maxRedirects} redirects`);
        current = new URL(res.headers.location, current).toString();
        continue;
      }
      if (status !== 200) {
        res.resume();
        throw refused(
          param,
          `fetching the image answered HTTP ${status}`,
          'media_fetch_failed'
        );
      }
      const bytes = await readBody(res, settings.maxRemoteBytes, param);
      return {
        bytes,
        contentType: String(res.headers['content-type'] ?? '')
          .split(';')[0]!
          .trim(),
      };
    }
  } catch (err) {
    if (controller.signal.aborted) {
      throw refused(
        param,
        `fetching the image took longer than ${settings.fetchTimeoutMs} ms`,
        'media_fetch_timeout'
      );
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

interface Target {
  readonly url: URL;
  readonly address: ResolvedAddress;
}

async function checkedTarget(
  raw: string,
  param: string,
  settings: MediaSettings,
  resolve: HostResolver,
  allowAddress: (a: string) => boolean
): Promise<Target> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refused(param, 'not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw refused(param, `scheme ${url.protocol} is not fetched`);
  if (url.username || url.password)
    throw refused(param, 'URLs with credentials are not fetched');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!hostAllowed(host, settings.allowedHosts))
    throw refused(
      param,
      `host ${host.slice(0, 100)} is not on the media allowlist`
    );
  let addresses: ResolvedAddress[];
  if (isIP(host))
    addresses = [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      throw refused(
        param,
        `host ${host.slice(0, 100)} does not resolve`,
        'media_fetch_failed'
      );
    }
  }
  if (addresses.length === 0)
    throw refused(
      param,
      `host ${host.slice(0, 100)} does not resolve`,
      'media_fetch_failed'
    );
  // Every answer must be public: a host answering one public and one
  // private address could otherwise be steered to the private one.
  for (const a of addresses) {
    if (!allowAddress(a.address))
      throw refused(
        param,
        `host ${host.slice(0, 100)} resolves to a private or reserved address`
      );
  }
  return { url, address: addresses[0]! };
}

function get(
  target: Target,
  signal: AbortSignal,
  param: string,
  settings: MediaSettings
): Promise<IncomingMessage> {
  const { url, address } = target;
  const options: RequestOptions = {
    method: 'GET',
    signal,
    headers: { accept: 'image/*', 'user-agent': 'ai-gateway-media/1' },
    // Pin the connection to the checked address: Node calls this instead of
    // DNS; TLS still verifies the certificate against the host name.
    lookup: (_host, opts, cb) => {
      if ((opts as { all?: boolean }).all)
        cb(null, [address] as never, address.family);
      else
        (cb as (e: null, a: string, f: number) => void)(
          null,
          address.address,
          address.family
        );
    },
  };
  const make = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolvePromise, reject) => {
    const req = make(url, options, (res) => {
      const length = Number(res.headers['content-length'] ?? 0);
      if (length > settings.maxRemoteBytes) {
        res.destroy();
        reject(tooLarge(param, settings.maxRemoteBytes));
        return;
      }
      resolvePromise(res);
    });
    req.on('error', (err) =>
      reject(
        signal.aborted
          ? err
          : refused(param, 'fetching the image failed', 'media_fetch_failed')
      )
    );
    req.end();
  });
}

function tooLarge(param: string, max: number): GatewayError {
  return refused(
    param,
    `the image is larger than ${max} bytes`,
    'media_too_large'
  );
}

async function readBody(
  res: IncomingMessage,
  max: number,
  param: string
): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      res.destroy();
      throw tooLarge(param, max);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
