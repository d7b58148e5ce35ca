import type { ChatMessage, UserContentPart } from '../types';

/**
 * A user message with its text replaced (guardrail anonymization) and its
 * media kept: the text parts collapse into one at the first text position,
 * so no original text survives in `parts` for an adapter to send.
 */
export function withUserText(
  m: Extract<ChatMessage, { role: 'user' }>,
  content: string
): ChatMessage {
  if (!m.parts) return { ...m, content };
  const parts: UserContentPart[] = [];
  let placed = false;
  for (const p of m.parts) {
    if (p.type !== 'text') parts.push(p);
    else if (!placed) {
      parts.push({ type: 'text', text: content });
      placed = true;
    }
  }
  if (!placed) parts.unshift({ type: 'text', text: content });
  return { ...m, content, parts };
}

/**
 * Messages for the cache key: media bytes replaced by their SHA-256, so the
 * key depends on the exact bytes without hashing megabytes of base64 twice.
 */
export function cacheKeyMessages(
  messages: readonly ChatMessage[]
): readonly unknown[] {
  if (!messages.some((m) => m.role === 'user' && m.parts)) return messages;
  return messages.map((m) =>
    m.role === 'user' && m.parts
      ? {
          ...m,
          parts: m.parts.map((p) =>
            p.type === 'image' || p.type === 'document'
              ? { ...p, data: undefined }
              : p
          ),
        }
      : m
  );
}
