import { badRequest } from '../api/errors';
import type { ChatMessage, ChatRequest, UserContentPart } from '../types';
import type { MediaSettings } from './config';
import type { RemoteFetchOptions } from './fetch';
import { imageFromBytes } from './parse';

/** Fetches remote images of a request (the router calls it after parsing). */
export interface MediaResolver {
  /** The request with every `remote_image` replaced by a checked image. */
  resolve(request: ChatRequest): Promise<ChatRequest>;
}

/** Whether a request has an http(s) image still to fetch. */
export function hasRemoteMedia(request: ChatRequest): boolean {
  return request.messages.some(
    (m) => m.role === 'user' && m.parts?.some((p) => p.type === 'remote_image')
  );
}

/**
 * A resolver under the `media` settings. With an empty allowlist (the
 * default) every http(s) image is refused without any network traffic.
 */
export function createMediaResolver(
  settings: MediaSettings,
  options: RemoteFetchOptions = {}
): MediaResolver {
  return {
    async resolve(request) {
      if (!hasRemoteMedia(request)) return request;
      let count = 0;
      const messages = await Promise.all(
        request.messages.map(async (m, i): Promise<ChatMessage> => {
          if (m.role !== 'user' || !m.parts) return m;
          const parts = await Promise.all(
            m.parts.map(async (p, j): Promise<UserContentPart> => {
              if (p.type !== 'remote_image') return p;
              const param = `messages[${i}].content[${j}].image_url.url`;
              if (settings.allowedHosts.length === 0) {
                throw badRequest(
                  `${param}: remote image URLs are not enabled on this gateway; send the image as a data URL`,
                  param,
                  'media_url_refused'
                );
              }
              if (++count > settings.maxRemoteImages) {
                throw badRequest(
                  `${param}: more than ${settings.maxRemoteImages} remote images`,
                  param,
                  'media_url_refused'
                );
              }
              // The SSRF-guarded fetch is a lazy chunk: only allowed remote
              // images load it.
              const { fetchRemoteImage } = await import('../lazy-parts.js');
              const got = await fetchRemoteImage(
                p.url,
                param,
                settings,
                options
              );
              return imageFromBytes(
                got.bytes,
                got.contentType,
                param,
                p.detail
              );
            })
          );
          return { ...m, parts };
        })
      );
      return { ...request, messages };
    },
  };
}

let fallback: MediaResolver | undefined;

/**
 * Fetches the request's remote images with `resolver`, or refuses them when
 * the router has none (the default policy: no remote URLs).
 */
export function resolveMedia(
  resolver: MediaResolver | undefined,
  request: ChatRequest
): Promise<ChatRequest> | ChatRequest {
  if (!hasRemoteMedia(request)) return request;
  fallback ??= createMediaResolver({
    allowedHosts: [],
    maxRemoteBytes: 0,
    fetchTimeoutMs: 1,
    maxRedirects: 0,
    maxRemoteImages: 0,
  });
  return (resolver ?? fallback).resolve(request);
}
