import type { ResolvedRouting } from '../config/load';
import {
  contentFilterError,
  guardrailUnavailableError,
} from '../guardrails/errors';
import {
  CONTEXT_NOTICE,
  fenceContext,
  isContextName,
} from '../guardrails/injection';
import type { GuardrailService } from '../guardrails/service';
import type { GuardText } from '../guardrails/types';
import { withUserText } from '../media/text';
import type { ChatMessage, ChatRequest, RequestGuardrail } from '../types';

/** Dependencies of the input guardrail stage. */
export interface InputGuardDeps {
  /** Absent: no guardrail runs (context is still fenced). */
  readonly guardrails?: GuardrailService;
  readonly routing: Pick<ResolvedRouting, 'defaultDomain'>;
}

/**
 * The input guardrail stage, run before routing. Checks the user messages
 * and tool results of the request against its domain profile: a block
 * throws 400 `content_filter` naming the category, a failed guardrail of a
 * fail-closed profile throws 503 `guardrail_unavailable` (Retry-After), an
 * anonymization replaces the texts. Then it fences messages marked as
 * retrieved context (`role: "user", name: "context"`) as data, and attaches
 * the profile's provider-side settings (Gemini safetySettings, Llama
 * prelude) to the request.
 */
export async function guardInput(
  request: ChatRequest,
  deps: InputGuardDeps,
  client?: { readonly signal: AbortSignal }
): Promise<ChatRequest> {
  const domain = request.routing.domain ?? deps.routing.defaultDomain;
  const service = deps.guardrails?.enabled ? deps.guardrails : undefined;
  let messages = request.messages;
  if (service) {
    const profile = service.profile(domain);
    if (profile.input.enabled) {
      const at: number[] = [];
      const texts: GuardText[] = [];
      messages.forEach((m, i) => {
        if (m.role === 'user' || m.role === 'tool') {
          at.push(i);
          texts.push({
            text: m.content,
            kind:
              m.role === 'tool' || (m.role === 'user' && isContextName(m.name))
                ? 'context'
                : 'prompt',
          });
        }
      });
      if (texts.length > 0) {
        const outcome = await service.check({
          stage: 'input',
          domain,
          texts,
          // Only a remote guardrail call reads it: the local rules alone
          // build no AbortSignal for the client.
          signal: service.callsRemote ? client?.signal : undefined,
        });
        if (outcome.verdict === 'block') {
          const i =
            outcome.textIndex === undefined ? undefined : at[outcome.textIndex];
          throw contentFilterError(
            profile,
            outcome.category,
            outcome.reason,
            i === undefined ? 'messages' : `messages[${i}].content`
          );
        }
        if (outcome.verdict === 'unavailable')
          throw guardrailUnavailableError(profile);
        if (outcome.verdict === 'anonymize' && outcome.texts) {
          const next = [...messages];
          at.forEach((mi, ti) => {
            next[mi] = withContent(next[mi]!, outcome.texts![ti]!);
          });
          messages = next;
        }
      }
    }
  }
  messages = fenceMarkedContext(messages);
  const profile = service?.profile(domain);
  const guardrail: Mutable<RequestGuardrail> = { domain };
  if (profile && Object.keys(profile.safetySettings).length > 0)
    guardrail.safetySettings = profile.safetySettings;
  if (profile?.systemPrelude) guardrail.systemPrelude = profile.systemPrelude;
  // Object.assign, not a spread: a spread that adds a key (guardrail) takes
  // V8's slow path (~1 µs).
  return Object.assign({}, request, { messages, guardrail });
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function withContent(m: ChatMessage, content: string): ChatMessage {
  if (m.role === 'user') return withUserText(m, content);
  return m.role === 'assistant' ? m : { ...m, content };
}

/**
 * Wraps each message marked as retrieved context in fences (dropping the
 * marker name, which providers would otherwise pass on as a speaker) and
 * puts the notice that explains the fences first.
 */
export function fenceMarkedContext(
  messages: readonly ChatMessage[]
): readonly ChatMessage[] {
  if (!messages.some((m) => m.role === 'user' && isContextName(m.name)))
    return messages;
  const out: ChatMessage[] = [{ role: 'system', content: CONTEXT_NOTICE }];
  for (const m of messages) {
    out.push(
      m.role === 'user' && isContextName(m.name)
        ? withUserText(
            m.parts
              ? { role: 'user', content: m.content, parts: m.parts }
              : { role: 'user', content: m.content },
            fenceContext(m.content)
          )
        : m
    );
  }
  return out;
}
