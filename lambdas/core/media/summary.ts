import type {
  ChatRequest,
  DocumentFormat,
  ImageFormat,
  ProviderType,
} from '../types';

/**
 * What routing, limits and token estimates need to know about a request's
 * media, without the bytes: one item per image or document, named by the
 * part it came from.
 */
export interface MediaItem {
  /** The part as the client named it: `messages[2].content[1]`. */
  readonly param: string;
  readonly kind: 'image' | 'document';
  /** Undefined for a remote image not fetched yet. */
  readonly format?: ImageFormat | DocumentFormat;
  readonly bytes: number;
  readonly width?: number;
  readonly height?: number;
  readonly pages?: number;
  readonly detail?: 'auto' | 'low' | 'high';
}

const NONE: readonly MediaItem[] = [];

/** The media items of a request, in order (empty for text-only requests). */
export function mediaItems(request: ChatRequest): readonly MediaItem[] {
  let out: MediaItem[] | undefined;
  request.messages.forEach((m, i) => {
    if (m.role !== 'user' || !m.parts) return;
    m.parts.forEach((p, j) => {
      if (p.type === 'text') return;
      const param = `messages[${i}].content[${j}]`;
      out ??= [];
      if (p.type === 'remote_image') {
        out.push({ param, kind: 'image', bytes: 0, detail: p.detail });
      } else if (p.type === 'image') {
        out.push({
          param,
          kind: 'image',
          format: p.format,
          bytes: p.bytes,
          width: p.width,
          height: p.height,
          detail: p.detail,
        });
      } else {
        out.push({
          param,
          kind: 'document',
          format: p.format,
          bytes: p.bytes,
          pages: p.pages,
        });
      }
    });
  });
  return out ?? NONE;
}

/** Tokens of one image, by each family's published formula (see README). */
function imageTokens(item: MediaItem, family: ProviderType): number {
  const { width: w, height: h } = item;
  switch (family) {
    case 'bedrock':
      // Anthropic: tokens = w*h/750; images over ~1.15 MP are scaled down,
      // so one image costs at most ~1,600 tokens.
      return w && h ? Math.min(Math.ceil((w * h) / 750), 1600) : 1600;
    case 'gemini':
      // Gemini 2.x: 258 tokens when both sides <= 384 px, else 258 per
      // 768x768 tile.
      if (!w || !h) return 258 * 4;
      if (w <= 384 && h <= 384) return 258;
      return 258 * Math.ceil(w / 768) * Math.ceil(h / 768);
    default: {
      // OpenAI: low detail 85; else fit in 2048x2048, shortest side to 768,
      // then 85 + 170 per 512 px tile.
      if (item.detail === 'low') return 85;
      if (!w || !h) return 85 + 170 * 8;
      let sw = w;
      let sh = h;
      const fit = Math.min(1, 2048 / Math.max(sw, sh));
      sw *= fit;
      sh *= fit;
      const shrink = Math.min(1, 768 / Math.min(sw, sh));
      sw *= shrink;
      sh *= shrink;
      return 85 + 170 * Math.ceil(sw / 512) * Math.ceil(sh / 512);
    }
  }
}

/** Tokens per PDF page: Claude and OpenAI send each page as text and an image. */
const PDF_PAGE_TOKENS: Record<ProviderType, number> = {
  bedrock: 3000,
  gemini: 258,
  'openai-compatible': 3000,
  echo: 258,
};

/** Text documents: one token per 3 bytes, pessimistic for every family. */
const TEXT_DOC_BYTES_PER_TOKEN = 3;

/** Estimated prompt tokens of the media items for one provider family. */
export function mediaTokens(
  items: readonly MediaItem[],
  family: ProviderType
): number {
  let n = 0;
  for (const item of items) {
    if (item.kind === 'image') n += imageTokens(item, family);
    else if (item.format === 'pdf')
      n += (item.pages ?? 1) * PDF_PAGE_TOKENS[family];
    else n += Math.ceil(item.bytes / TEXT_DOC_BYTES_PER_TOKEN);
  }
  return n;
}
