import type { ContentBlock } from '@aws-sdk/client-bedrock-runtime';
import type { DocumentPart, UserContentPart } from '../types';

/**
 * Media parts in each provider family's wire shape. Remote images are
 * fetched before routing (resolve.ts), so a `remote_image` reaching an
 * adapter is a wiring bug and throws rather than being dropped silently.
 */

function unresolved(): never {
  throw new Error('remote image reached a provider adapter unfetched');
}

/** Bedrock document names: letters, digits, single spaces, -, (), []. */
function bedrockDocName(
  part: DocumentPart,
  n: number,
  used: Set<string>
): string {
  const base = (part.filename ?? '').replace(/\.[A-Za-z0-9]{1,5}$/, '');
  let name =
    base
      .replace(/[^A-Za-z0-9\s\-()[\]]/g, '-')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 200) || `document-${n}`;
  // Names must be unique within a request.
  if (used.has(name)) name = `${name} (${n})`;
  used.add(name);
  return name;
}

/** A user message's parts as Bedrock Converse content blocks. */
export function bedrockBlocks(
  parts: readonly UserContentPart[]
): ContentBlock[] {
  const used = new Set<string>();
  const out: ContentBlock[] = [];
  let docs = 0;
  for (const p of parts) {
    switch (p.type) {
      case 'text':
        // Bedrock rejects blank text blocks.
        if (p.text.trim().length > 0) out.push({ text: p.text });
        break;
      case 'image':
        out.push({
          image: {
            format: p.format,
            source: { bytes: Buffer.from(p.data, 'base64') },
          },
        });
        break;
      case 'document':
        docs++;
        out.push({
          document: {
            format: p.format,
            name: bedrockDocName(p, docs, used),
            source: { bytes: Buffer.from(p.data, 'base64') },
          },
        });
        break;
      case 'remote_image':
        unresolved();
    }
  }
  return out;
}

/** A Gemini part carrying text or inline media. */
export type GeminiMediaPart =
  | { text: string }
  | { inlineData: { mimeType: string; data: string } };

/** A user message's parts as Gemini parts (`inlineData`). */
export function geminiParts(
  parts: readonly UserContentPart[]
): GeminiMediaPart[] {
  return parts.flatMap((p): GeminiMediaPart[] => {
    switch (p.type) {
      case 'text':
        return p.text ? [{ text: p.text }] : [];
      case 'image':
      case 'document':
        return [{ inlineData: { mimeType: p.mimeType, data: p.data } }];
      default:
        return unresolved();
    }
  });
}

/** OpenAI content parts, as the client sent them (data URLs). */
export type OpenAIUserPart =
  | { type: 'text'; text: string }
  | {
      type: 'image_url';
      image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
    }
  | { type: 'file'; file: { file_data: string; filename?: string } };

/** A user message's parts back in OpenAI's shape, for OpenAI-compatible servers. */
export function openAIParts(
  parts: readonly UserContentPart[]
): OpenAIUserPart[] {
  return parts.map((p): OpenAIUserPart => {
    switch (p.type) {
      case 'text':
        return { type: 'text', text: p.text };
      case 'image':
        return {
          type: 'image_url',
          image_url: {
            url: `data:${p.mimeType};base64,${p.data}`,
            ...(p.detail ? { detail: p.detail } : {}),
          },
        };
      case 'document':
        return {
          type: 'file',
          file: {
            file_data: `data:${p.mimeType};base64,${p.data}`,
            ...(p.filename ? { filename: p.filename } : {}),
          },
        };
      default:
        return unresolved();
    }
  });
}
