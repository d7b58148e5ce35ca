import { ProviderBadRequestError } from '../../lambdas/core/providers/errors';
import type { ProviderAdapter } from '../../lambdas/core/providers/types';
import type {
  ChatRequest,
  ChatResult,
  FinishReason,
  StreamEvent,
} from '../../lambdas/core/types';

/** What the scripted provider does on one call. */
export type ScriptStep =
  | {
      readonly kind: 'answer';
      readonly text: string;
      readonly finish?: FinishReason;
    }
  | { readonly kind: 'fail' }
  /** Streams one token, then fails (a truncated stream). */
  | { readonly kind: 'break-mid-stream'; readonly text: string };

/**
 * A provider adapter that counts its calls and answers from a script (the
 * last step repeats), for cache tests: the count proves whether a provider
 * was called or the cache answered.
 */
export class ScriptedAdapter implements ProviderAdapter {
  public readonly type = 'echo' as const;
  public calls = 0;
  public script: ScriptStep[] = [];

  public constructor(public readonly id: string) {}

  private next(request: ChatRequest): ScriptStep {
    this.calls++;
    const step = this.script.shift();
    if (step) return step;
    const last = request.messages[request.messages.length - 1];
    return { kind: 'answer', text: `answer to: ${last?.content ?? ''}` };
  }

  public async chat(request: ChatRequest): Promise<ChatResult> {
    const step = this.next(request);
    if (step.kind !== 'answer')
      throw new ProviderBadRequestError(this.id, 'scripted failure', {
        status: 400,
      });
    return {
      content: step.text,
      toolCalls: [],
      finishReason: step.finish ?? 'stop',
      usage: { promptTokens: 7, completionTokens: 5, totalTokens: 12 },
    };
  }

  public async *chatStream(request: ChatRequest): AsyncIterable<StreamEvent> {
    const step = this.next(request);
    if (step.kind === 'fail')
      throw new ProviderBadRequestError(this.id, 'scripted failure', {
        status: 400,
      });
    const words = step.text.split(/(?<= )/);
    yield { type: 'text', text: words[0] ?? '' };
    if (step.kind === 'break-mid-stream')
      throw new ProviderBadRequestError(
        this.id,
        'scripted mid-stream failure',
        {
          status: 400,
        }
      );
    for (const w of words.slice(1)) yield { type: 'text', text: w };
    yield { type: 'finish', finishReason: step.finish ?? 'stop' };
    yield {
      type: 'usage',
      usage: { promptTokens: 7, completionTokens: 5, totalTokens: 12 },
    };
  }
}
