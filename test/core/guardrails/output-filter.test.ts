import { resolveGuardrailSettings } from '../../../lambdas/core/guardrails/config';
import { OutputGuard } from '../../../lambdas/core/guardrails/output-filter';
import { GuardrailService } from '../../../lambdas/core/guardrails/service';
import type { Guardrail } from '../../../lambdas/core/guardrails/types';
import type { GatewayMetrics } from '../../../lambdas/core/ports';
import { seededRng } from '../../../lambdas/core/routing/bandit';
import type {
  ChatRequest,
  ModelConfig,
  StreamEvent,
} from '../../../lambdas/core/types';
import { MemoryLog } from '../../helpers/gateway';

const WINDOW = 32;
const BLOCKED = 'forbidden phrase';

function metrics(): GatewayMetrics & { events: [string, number][] } {
  const events: [string, number][] = [];
  return {
    events,
    request: () => {},
    attempt: () => {},
    event: (name, value = 1) => {
      events.push([name, value]);
    },
  };
}

const model: ModelConfig = {
  id: 'm',
  provider: 'bedrock',
  providerType: 'bedrock',
  providerModelId: 'eu.anthropic.claude',
  aliases: [],
  region: 'eu',
  capabilities: ['streaming'],
  contextWindow: 1000,
  maxOutputTokens: 100,
  pricing: { inputPer1M: 1, outputPer1M: 1 },
  domains: [],
  quality: 0.5,
  expectedLatencyMs: 100,
  status: 'active',
};

function request(domain = 'general'): ChatRequest {
  return {
    model: 'auto',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
    includeUsage: false,
    routing: {},
    guardrail: { domain },
  };
}

function guard(remote?: Guardrail, failMode?: 'open' | 'closed') {
  const m = metrics();
  const service = new GuardrailService({
    settings: resolveGuardrailSettings({
      profiles: {
        default: {
          output: { windowChars: WINDOW, blockWords: [BLOCKED] },
          ...(failMode ? { failMode } : {}),
        },
      },
    }),
    remote,
    metrics: m,
    log: new MemoryLog(),
  });
  return { out: new OutputGuard(service), metrics: m };
}

/** A provider stream of `text` in the given chunk sizes; records how much was pulled. */
function source(text: string, sizes: number[], tail: StreamEvent[] = []) {
  const state = { pulled: 0, returned: false };
  async function* gen(): AsyncGenerator<StreamEvent> {
    try {
      let at = 0;
      let i = 0;
      while (at < text.length) {
        const n = sizes[i++ % sizes.length]!;
        const chunk = text.slice(at, at + n);
        at += chunk.length;
        state.pulled = at;
        yield { type: 'text', text: chunk };
      }
      for (const ev of tail) yield ev;
      yield { type: 'finish', finishReason: 'stop' };
      yield {
        type: 'usage',
        usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
      };
    } finally {
      state.returned = true;
    }
  }
  return { events: gen(), state };
}

async function drain(
  it: AsyncIterable<StreamEvent>,
  state: { pulled: number },
  onText?: (released: number, pulled: number) => void
): Promise<{ text: string; events: StreamEvent[] }> {
  let text = '';
  const events: StreamEvent[] = [];
  for await (const ev of it) {
    events.push(ev);
    if (ev.type === 'text') {
      text += ev.text;
      onText?.(text.length, state.pulled);
    }
  }
  return { text, events };
}

describe('Class: OutputGuard', () => {
  describe('Method: stream', () => {
    it('never releases any part of a blocked span, whatever the chunking, and holds back at most one window', async () => {
      const rng = seededRng(7);
      for (let run = 0; run < 200; run++) {
        // Prepare: clean text, the blocked phrase at a random place, more text
        const before = 'lorem ipsum dolor sit amet '.repeat(
          1 + Math.floor(rng() * 6)
        );
        const cut = Math.floor(rng() * before.length);
        const text = `${before.slice(0, cut)} ${BLOCKED} ${before}`;
        const sizes = [1 + Math.floor(rng() * 9), 1 + Math.floor(rng() * 20)];
        const { out } = guard();
        const src = source(text, sizes);
        let maxHeld = 0;
        // Act
        const { text: got, events } = await drain(
          out.stream(src.events, request(), model),
          src.state,
          (released, pulled) => {
            maxHeld = Math.max(maxHeld, pulled - released);
          }
        );
        // Assess: a clean prefix that stops before the span, then content_filter
        const spanAt = text.indexOf(BLOCKED);
        expect(text.startsWith(got)).toBe(true);
        expect(got.length).toBeLessThanOrEqual(spanAt);
        expect(maxHeld).toBeLessThanOrEqual(WINDOW + Math.max(...sizes));
        expect(events.at(-2)).toEqual({
          type: 'finish',
          finishReason: 'content_filter',
        });
        expect(events.at(-1)?.type).toBe('usage');
        expect(src.state.returned).toBe(true);
      }
    });

    it('releases clean text in full with the provider finish', async () => {
      const { out } = guard();
      const text =
        'a clean answer that is longer than one window of text, twice over';
      const src = source(text, [3]);
      const { text: got, events } = await drain(
        out.stream(src.events, request(), model),
        src.state
      );
      expect(got).toBe(text);
      expect(events.filter((e) => e.type === 'finish')).toEqual([
        { type: 'finish', finishReason: 'stop' },
      ]);
    });

    it('anonymizes an e-mail split across chunks and window cuts', async () => {
      const { out } = guard();
      const text = `${'x'.repeat(20)} mail jane.doe@example.org then ${'y'.repeat(40)}`;
      for (const size of [1, 2, 5, 7]) {
        const src = source(text, [size]);
        const { text: got } = await drain(
          out.stream(src.events, request(), model),
          src.state
        );
        expect(got).toBe(text.replace('jane.doe@example.org', '[EMAIL]'));
      }
    });

    it('flushes held text before a tool call, keeping the order', async () => {
      const { out } = guard();
      const src = source(
        'short text',
        [4],
        [{ type: 'tool_call', index: 0, id: 'c1', name: 'f' }]
      );
      const { events } = await drain(
        out.stream(src.events, request(), model),
        src.state
      );
      expect(events.map((e) => e.type)).toEqual([
        'text',
        'tool_call',
        'finish',
        'usage',
      ]);
    });

    it('ends with content_filter when the managed guardrail fails and the profile fails closed', async () => {
      const down: Guardrail = {
        name: 'down',
        check: async () => ({ verdict: 'unavailable', reason: 'timeout' }),
      };
      const { out, metrics: m } = guard(down, 'closed');
      const src = source('x'.repeat(100), [10]);
      const { text, events } = await drain(
        out.stream(src.events, request(), model),
        src.state
      );
      expect(text).toBe('');
      expect(events[0]).toEqual({
        type: 'finish',
        finishReason: 'content_filter',
      });
      expect(m.events.map(([n]) => n)).toContain('GuardrailError');
    });

    it('passes text on (local rules only) when the guardrail fails and the profile fails open', async () => {
      const down: Guardrail = {
        name: 'down',
        check: async () => {
          throw new Error('boom');
        },
      };
      const { out, metrics: m } = guard(down, 'open');
      const src = source('x'.repeat(100), [10]);
      const { text } = await drain(
        out.stream(src.events, request(), model),
        src.state
      );
      expect(text).toBe('x'.repeat(100));
      expect(
        m.events.filter(([n]) => n === 'GuardrailError').length
      ).toBeGreaterThan(0);
    });

    it('leaves a request without a guardrail context untouched', () => {
      const { out } = guard();
      const src = source('x', [1]);
      const { guardrail: _, ...bare } = request();
      expect(out.stream(src.events, bare, model)).toBe(src.events);
    });
  });

  describe('Method: complete', () => {
    const result = (content: string) => ({
      content,
      toolCalls: [],
      finishReason: 'stop' as const,
      usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
    });

    it('replaces a blocked answer by an empty content_filter answer', async () => {
      const { out, metrics: m } = guard();
      const r = await out.complete(
        result(`so the ${BLOCKED} is`),
        request(),
        model
      );
      expect(r.content).toBe('');
      expect(r.finishReason).toBe('content_filter');
      expect(m.events).toContainEqual(['GuardrailBlocks', 1]);
    });

    it('anonymizes PII in an answer', async () => {
      const { out } = guard();
      const r = await out.complete(
        result('call +49 151 2345 6789'),
        request(),
        model
      );
      expect(r.content).toBe('call [PHONE]');
      expect(r.finishReason).toBe('stop');
    });

    it('answers 503 guardrail_unavailable when a fail-closed guardrail is down', async () => {
      const down: Guardrail = {
        name: 'down',
        check: async () => ({ verdict: 'unavailable' }),
      };
      const { out } = guard(down, 'closed');
      await expect(
        out.complete(result('fine'), request('legal'), model)
      ).rejects.toMatchObject({
        status: 503,
        code: 'guardrail_unavailable',
        headers: { 'retry-after': '5' },
      });
    });
  });
});
