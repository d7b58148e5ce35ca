import { estimatePromptTokens, estimateTextTokens, makeUsage } from '../tokens';
import type {
  ChatRequest,
  ChatResult,
  ModelConfig,
  StreamEvent,
} from '../types';
import type { GuardrailProfile } from './config';
import { guardrailUnavailableError } from './errors';
import { isMetaModel } from './prelude';
import type { GuardOutcome, GuardrailService } from './service';
import { applyFindings, type GuardFinding } from './types';

/** Checks one text on the output side. */
export type OutputCheck = (text: string) => Promise<GuardOutcome>;

/**
 * Windowed output filter over a provider's stream. Text is held back until
 * `windowChars` characters are pending; then the pending text is checked and
 * all but the last `windowChars / 2` characters are released (anonymized
 * where the profile anonymizes, the cut moved before any span it would
 * split). So at most one window is ever held back, and any blocked span of
 * up to `windowChars / 2` characters is seen whole before a character of it
 * is released. A block (or a fail-closed guardrail error) drops the pending
 * text and ends the stream with `finish_reason: "content_filter"`; the
 * upstream is abandoned (its iterator's `return()` releases the socket).
 * Tool-call events and the finish flush the pending text first, so event
 * order is kept.
 */
export async function* filterStream(
  source: AsyncIterable<StreamEvent>,
  check: OutputCheck,
  windowChars: number,
  onBlocked: (seenChars: number) => StreamEvent | undefined = () => undefined
): AsyncGenerator<StreamEvent> {
  const keep = Math.max(1, Math.floor(windowChars / 2));
  let pending = '';
  let seen = 0;
  const stopped = (o: GuardOutcome): boolean =>
    o.verdict === 'block' ||
    (o.verdict === 'unavailable' && o.profile.failMode === 'closed');
  /** Releases pending text up to `cut` (or all); undefined when blocked. */
  const release = async (all: boolean): Promise<string | undefined> => {
    const outcome = await check(pending);
    if (stopped(outcome)) return undefined;
    const spans: readonly GuardFinding[] =
      outcome.verdict === 'anonymize'
        ? (outcome.findings ?? []).filter((f) => f.textIndex === 0)
        : [];
    let cut = all ? pending.length : pending.length - keep;
    for (const f of spans) if (f.start < cut && f.end > cut) cut = f.start;
    const head = pending.slice(0, cut);
    pending = pending.slice(cut);
    return applyFindings(
      head,
      spans.filter((f) => f.end <= cut)
    );
  };
  const blocked = function* (): Generator<StreamEvent> {
    pending = '';
    const usage = onBlocked(seen);
    yield { type: 'finish', finishReason: 'content_filter' };
    if (usage) yield usage;
  };

  for await (const ev of source) {
    if (ev.type === 'text') {
      pending += ev.text;
      seen += ev.text.length;
      if (pending.length < windowChars) continue;
      const text = await release(false);
      if (text === undefined) {
        yield* blocked();
        return;
      }
      if (text) yield { type: 'text', text };
      continue;
    }
    if ((ev.type === 'tool_call' || ev.type === 'finish') && pending) {
      const text = await release(true);
      if (text === undefined) {
        yield* blocked();
        return;
      }
      if (text) yield { type: 'text', text };
    }
    yield ev;
  }
  if (pending) {
    const text = await release(true);
    if (text === undefined) {
      yield* blocked();
      return;
    }
    if (text) yield { type: 'text', text };
  }
}

/**
 * The output guardrail of a request: the final text of a completion, or a
 * windowed filter over a stream. Runs when the request's profile enables
 * output checks, and always for Meta/Llama models.
 */
export class OutputGuard {
  public constructor(private readonly service: GuardrailService) {}

  /** The profile whose output checks apply, if any. */
  public profileFor(
    request: ChatRequest,
    model: ModelConfig
  ): GuardrailProfile | undefined {
    const domain = request.guardrail?.domain;
    if (!this.service.enabled || domain === undefined) return undefined;
    const profile = this.service.profile(domain);
    return profile.output.enabled || isMetaModel(model) ? profile : undefined;
  }

  /** Checks a complete answer: blocked text never leaves; anonymized text replaces it. */
  public async complete(
    result: ChatResult,
    request: ChatRequest,
    model: ModelConfig
  ): Promise<ChatResult> {
    const profile = this.profileFor(request, model);
    if (!profile || !result.content) return result;
    const outcome = await this.service.check({
      stage: 'output',
      domain: request.guardrail!.domain,
      texts: [{ text: result.content, kind: 'prompt' }],
    });
    switch (outcome.verdict) {
      case 'block':
        return {
          ...result,
          content: '',
          toolCalls: [],
          finishReason: 'content_filter',
        };
      case 'unavailable':
        throw guardrailUnavailableError(profile);
      case 'anonymize':
        return { ...result, content: outcome.texts?.[0] ?? result.content };
      default:
        return result;
    }
  }

  /** Wraps a provider stream in the windowed filter (or returns it as is). */
  public stream(
    source: AsyncIterable<StreamEvent>,
    request: ChatRequest,
    model: ModelConfig
  ): AsyncIterable<StreamEvent> {
    const profile = this.profileFor(request, model);
    if (!profile) return source;
    const domain = request.guardrail!.domain;
    return filterStream(
      source,
      (text) =>
        this.service.check({
          stage: 'output',
          domain,
          texts: [{ text, kind: 'prompt' }],
        }),
      profile.output.windowChars,
      // The upstream is cut before it reports usage: bill an estimate.
      (seen) => ({
        type: 'usage',
        usage: makeUsage(
          estimatePromptTokens(request, model.providerType),
          estimateTextTokens('x'.repeat(seen), model.providerType)
        ),
      })
    );
  }
}
