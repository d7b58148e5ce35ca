import { createHash } from 'node:crypto';
import { badRequest } from '../api/errors';
import type {
  DocumentFormat,
  DocumentPart,
  ImageFormat,
  ImagePart,
  RemoteImagePart,
} from '../types';
import { imageSize } from './image-size';

/**
 * Decoding and checking of `image_url` and `file` parts. Everything here is
 * refused with a 400 naming the part (`messages[2].content[1]`) so a client
 * knows which attachment was wrong; the bytes themselves never appear in an
 * error or a log.
 */

/** Largest decoded part any provider accepts (OpenAI's 20 MB per image). */
export const MAX_PART_BYTES = 20 * 1024 * 1024;

/** Image MIME types -> format. */
export const IMAGE_MIME: Readonly<Record<string, ImageFormat>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/** Document MIME types -> format. */
export const DOCUMENT_MIME: Readonly<Record<string, DocumentFormat>> = {
  'application/pdf': 'pdf',
  'text/plain': 'txt',
  'text/markdown': 'md',
  'text/csv': 'csv',
  'text/html': 'html',
};

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Splits a `data:<mime>;base64,<data>` URL; 400 when it is not one. */
export function parseDataUrl(
  url: string,
  param: string
): { mimeType: string; data: string } {
  const comma = url.indexOf(',');
  const header = comma > 0 ? url.slice(5, comma).toLowerCase() : '';
  if (!url.startsWith('data:') || comma < 0 || !header.endsWith(';base64')) {
    throw badRequest(
      `${param}: expected a data URL of the form data:<mime type>;base64,<data>`,
      param,
      'invalid_value'
    );
  }
  const data = url.slice(comma + 1);
  if (data.length === 0 || data.length % 4 !== 0 || !BASE64_RE.test(data)) {
    throw badRequest(
      `${param}: the data is not valid base64`,
      param,
      'invalid_value'
    );
  }
  return {
    mimeType: header.slice(0, -';base64'.length).split(';')[0]!.trim(),
    data,
  };
}

function tooLarge(param: string, bytes: number, max: number): never {
  throw badRequest(
    `${param}: ${bytes} bytes exceeds the limit of ${max} bytes`,
    param,
    'media_too_large'
  );
}

function startsWith(bytes: Uint8Array, ...sig: number[]): boolean {
  return sig.every((b, i) => bytes[i] === b);
}

/** Whether the bytes really are the declared image format (magic numbers). */
function looksLike(bytes: Uint8Array, format: ImageFormat): boolean {
  switch (format) {
    case 'png':
      return startsWith(bytes, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
    case 'jpeg':
      return startsWith(bytes, 0xff, 0xd8, 0xff);
    case 'gif':
      return startsWith(bytes, 0x47, 0x49, 0x46, 0x38);
    case 'webp':
      return (
        startsWith(bytes, 0x52, 0x49, 0x46, 0x46) &&
        bytes[8] === 0x57 &&
        bytes[9] === 0x45 &&
        bytes[10] === 0x42 &&
        bytes[11] === 0x50
      );
  }
}

const sha256 = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

/** Builds a checked image part from bytes and their declared MIME type. */
export function imageFromBytes(
  bytes: Uint8Array,
  mimeType: string,
  param: string,
  detail?: 'auto' | 'low' | 'high',
  data: string = Buffer.from(bytes).toString('base64')
): ImagePart {
  const format = IMAGE_MIME[mimeType.toLowerCase()];
  if (!format) {
    throw badRequest(
      `${param}: unsupported image type ${JSON.stringify(mimeType.slice(0, 60))}; send image/png, image/jpeg, image/gif or image/webp`,
      param,
      'unsupported_media_type'
    );
  }
  if (bytes.length > MAX_PART_BYTES)
    tooLarge(param, bytes.length, MAX_PART_BYTES);
  if (!looksLike(bytes, format)) {
    throw badRequest(
      `${param}: the data is not a ${format} image (its bytes do not match ${mimeType})`,
      param,
      'unsupported_media_type'
    );
  }
  const size = imageSize(bytes, format);
  return {
    type: 'image',
    format,
    mimeType: `image/${format}`,
    data,
    bytes: bytes.length,
    sha256: sha256(bytes),
    ...(size && size.width > 0 && size.height > 0 ? size : {}),
    ...(detail ? { detail } : {}),
  };
}

/** An `image_url` part: a data URL is decoded now, an http(s) URL is fetched later. */
export function parseImageUrl(
  url: string,
  detail: 'auto' | 'low' | 'high' | undefined,
  param: string
): ImagePart | RemoteImagePart {
  const urlParam = `${param}.image_url.url`;
  if (/^https?:\/\//i.test(url)) {
    return { type: 'remote_image', url, ...(detail ? { detail } : {}) };
  }
  if (!url.startsWith('data:')) {
    throw badRequest(
      `${urlParam}: expected a data URL or an http(s) URL`,
      urlParam,
      'invalid_value'
    );
  }
  const { mimeType, data } = parseDataUrl(url, urlParam);
  if (!IMAGE_MIME[mimeType]) {
    throw badRequest(
      `${urlParam}: unsupported image type ${JSON.stringify(mimeType.slice(0, 60))}; send image/png, image/jpeg, image/gif or image/webp`,
      urlParam,
      'unsupported_media_type'
    );
  }
  // Refuse before decoding: base64 is 4/3 of the bytes.
  if ((data.length / 4) * 3 > MAX_PART_BYTES + 2)
    tooLarge(urlParam, Math.floor((data.length / 4) * 3), MAX_PART_BYTES);
  return imageFromBytes(
    Buffer.from(data, 'base64'),
    mimeType,
    urlParam,
    detail,
    data
  );
}

/** PDF page count estimate: page objects, or the largest `/Count` of a page tree. */
export function pdfPages(bytes: Uint8Array): number {
  const text = Buffer.from(
    bytes.buffer,
    bytes.byteOffset,
    bytes.byteLength
  ).toString('latin1');
  const objects = text.match(/\/Type\s*\/Page(?![A-Za-z])/g)?.length ?? 0;
  let count = 0;
  for (const m of text.matchAll(/\/Count\s+(\d{1,6})/g))
    count = Math.max(count, Number(m[1]));
  return Math.max(objects, count, 1);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A `file` part: `file_data` must be a data URL of a PDF or a text document. */
export function parseFile(
  file: { file_data?: string; file_id?: string; filename?: string },
  param: string
): DocumentPart {
  if (file.file_data === undefined) {
    const p = `${param}.file.${file.file_id !== undefined ? 'file_id' : 'file_data'}`;
    throw badRequest(
      `${p}: uploaded file ids are not supported; send the document inline as file_data (a base64 data URL)`,
      p,
      file.file_id !== undefined
        ? 'unsupported_parameter'
        : 'missing_required_parameter'
    );
  }
  const dataParam = `${param}.file.file_data`;
  const { mimeType, data } = parseDataUrl(file.file_data, dataParam);
  const format = DOCUMENT_MIME[mimeType];
  if (!format) {
    throw badRequest(
      `${dataParam}: unsupported document type ${JSON.stringify(mimeType.slice(0, 60))}; send application/pdf, text/plain, text/markdown, text/csv or text/html`,
      dataParam,
      'unsupported_media_type'
    );
  }
  if ((data.length / 4) * 3 > MAX_PART_BYTES + 2)
    tooLarge(dataParam, Math.floor((data.length / 4) * 3), MAX_PART_BYTES);
  const bytes = Buffer.from(data, 'base64');
  if (format === 'pdf') {
    if (!startsWith(bytes, 0x25, 0x50, 0x44, 0x46, 0x2d)) {
      throw badRequest(
        `${dataParam}: the data is not a PDF (no %PDF- header)`,
        dataParam,
        'unsupported_media_type'
      );
    }
  } else {
    try {
      utf8.decode(bytes);
    } catch {
      throw badRequest(
        `${dataParam}: a ${mimeType} document must be UTF-8 text`,
        dataParam,
        'unsupported_media_type'
      );
    }
  }
  return {
    type: 'document',
    format,
    mimeType,
    data,
    bytes: bytes.length,
    sha256: sha256(bytes),
    ...(file.filename ? { filename: file.filename } : {}),
    ...(format === 'pdf' ? { pages: pdfPages(bytes) } : {}),
  };
}
