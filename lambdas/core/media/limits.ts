import type { ProviderType } from '../types';
import type { MediaItem } from './summary';

/** What one provider family accepts, checked before any call (README table). */
export interface MediaLimits {
  readonly imageFormats: readonly string[];
  readonly maxImageBytes: number;
  /** Longest side in pixels (0: no limit). */
  readonly maxImageSide: number;
  readonly maxImages: number;
  readonly documentFormats: readonly string[];
  readonly maxDocumentBytes: number;
  readonly maxDocuments: number;
  /** All media bytes of one request (0: no limit). */
  readonly maxTotalBytes: number;
}

const MB = 1024 * 1024;

/** Published limits per provider family (Bedrock Converse, Gemini inline data, OpenAI). */
export const MEDIA_LIMITS: Readonly<Record<ProviderType, MediaLimits>> = {
  bedrock: {
    imageFormats: ['png', 'jpeg', 'gif', 'webp'],
    maxImageBytes: 3.75 * MB,
    maxImageSide: 8000,
    maxImages: 20,
    documentFormats: ['pdf', 'txt', 'md', 'csv', 'html'],
    maxDocumentBytes: 4.5 * MB,
    maxDocuments: 5,
    maxTotalBytes: 0,
  },
  gemini: {
    // Gemini takes png, jpeg, webp, heic, heif: no gif.
    imageFormats: ['png', 'jpeg', 'webp'],
    maxImageBytes: 20 * MB,
    maxImageSide: 0,
    maxImages: 3000,
    documentFormats: ['pdf', 'txt', 'md', 'csv', 'html'],
    maxDocumentBytes: 20 * MB,
    maxDocuments: 1000,
    // Inline data: the whole request must stay under 20 MB.
    maxTotalBytes: 20 * MB,
  },
  'openai-compatible': {
    imageFormats: ['png', 'jpeg', 'gif', 'webp'],
    maxImageBytes: 20 * MB,
    maxImageSide: 0,
    maxImages: 500,
    // Chat Completions `file` parts take PDFs only.
    documentFormats: ['pdf'],
    maxDocumentBytes: 20 * MB,
    maxDocuments: 100,
    maxTotalBytes: 50 * MB,
  },
  echo: {
    imageFormats: ['png', 'jpeg', 'gif', 'webp'],
    maxImageBytes: 20 * MB,
    maxImageSide: 0,
    maxImages: 500,
    documentFormats: ['pdf', 'txt', 'md', 'csv', 'html'],
    maxDocumentBytes: 20 * MB,
    maxDocuments: 100,
    maxTotalBytes: 0,
  },
};

/** A limit a request's media breaks for one family: the part and why. */
export interface MediaViolation {
  readonly param: string;
  readonly message: string;
}

/** The first media limit of `family` the items break, or undefined. */
export function mediaViolation(
  items: readonly MediaItem[],
  family: ProviderType
): MediaViolation | undefined {
  if (items.length === 0) return undefined;
  const l = MEDIA_LIMITS[family];
  let images = 0;
  let documents = 0;
  let total = 0;
  for (const item of items) {
    total += item.bytes;
    const at = item.param;
    if (item.kind === 'image') {
      images++;
      if (images > l.maxImages)
        return { param: at, message: `more than ${l.maxImages} images` };
      if (item.format && !l.imageFormats.includes(item.format))
        return {
          param: at,
          message: `${item.format} images are not accepted (${l.imageFormats.join(', ')})`,
        };
      if (item.bytes > l.maxImageBytes)
        return {
          param: at,
          message: `image of ${item.bytes} bytes exceeds ${l.maxImageBytes}`,
        };
      const side = Math.max(item.width ?? 0, item.height ?? 0);
      if (l.maxImageSide > 0 && side > l.maxImageSide)
        return {
          param: at,
          message: `image side of ${side} px exceeds ${l.maxImageSide} px`,
        };
    } else {
      documents++;
      if (documents > l.maxDocuments)
        return { param: at, message: `more than ${l.maxDocuments} documents` };
      if (item.format && !l.documentFormats.includes(item.format))
        return {
          param: at,
          message: `${item.format} documents are not accepted (${l.documentFormats.join(', ')})`,
        };
      if (item.bytes > l.maxDocumentBytes)
        return {
          param: at,
          message: `document of ${item.bytes} bytes exceeds ${l.maxDocumentBytes}`,
        };
    }
    if (l.maxTotalBytes > 0 && total > l.maxTotalBytes)
      return {
        param: at,
        message: `media total of ${total} bytes exceeds ${l.maxTotalBytes}`,
      };
  }
  return undefined;
}
