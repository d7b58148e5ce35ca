import { fromProviderError } from '../../../lambdas/core/api/errors';
import { isMetaModel } from '../../../lambdas/core/guardrails/prelude';
import { toConverseInput } from '../../../lambdas/core/providers/bedrock/request';
import { ProviderContentFilteredError } from '../../../lambdas/core/providers/errors';
import { toGeminiRequest } from '../../../lambdas/core/providers/gemini/request';
import { buildChatCompletionBody } from '../../../lambdas/core/providers/openai-compatible/request';
import type {
  ChatRequest,
  ModelConfig,
  ProviderType,
} from '../../../lambdas/core/types';

function model(
  providerType: ProviderType,
  providerModelId: string
): ModelConfig {
  return {
    id: 'm',
    provider: providerType,
    providerType,
    providerModelId,
    aliases: [],
    region: 'eu',
    capabilities: [],
    contextWindow: 1000,
    maxOutputTokens: 100,
    pricing: { inputPer1M: 1, outputPer1M: 1 },
    domains: [],
    quality: 0.5,
    expectedLatencyMs: 100,
    status: 'active',
  };
}

const request: ChatRequest = {
  model: 'auto',
  messages: [
    { role: 'system', content: 'client system' },
    { role: 'user', content: 'hi' },
  ],
  stream: false,
  includeUsage: false,
  routing: {},
  guardrail: {
    domain: 'medical',
    safetySettings: { HARM_CATEGORY_DANGEROUS_CONTENT: 'BLOCK_LOW_AND_ABOVE' },
    systemPrelude: 'PRELUDE',
  },
};

describe('Guardrail settings in provider requests', () => {
  it('passes the profile safetySettings to Gemini', () => {
    const body = toGeminiRequest(request, model('gemini', 'gemini-2.5-flash'));
    expect(body.safetySettings).toEqual([
      {
        category: 'HARM_CATEGORY_DANGEROUS_CONTENT',
        threshold: 'BLOCK_LOW_AND_ABOVE',
      },
    ]);
    // Gemini has its own safety: no prelude.
    expect(body.systemInstruction).toEqual({
      parts: [{ text: 'client system' }],
    });
  });

  it('sends no safetySettings without a profile', () => {
    const { guardrail: _, ...bare } = request;
    expect(
      toGeminiRequest(bare, model('gemini', 'gemini-2.5-flash')).safetySettings
    ).toBeUndefined();
  });

  it('puts the system prelude first for Llama behind an OpenAI-compatible endpoint', () => {
    const body = buildChatCompletionBody(
      request,
      model('openai-compatible', 'Llama-4-Maverick'),
      false
    );
    expect(body.messages.slice(0, 2)).toEqual([
      { role: 'system', content: 'PRELUDE' },
      { role: 'system', content: 'client system' },
    ]);
  });

  it('puts the system prelude first for Bedrock meta.* models only', () => {
    const meta = toConverseInput(
      request,
      model('bedrock', 'eu.meta.llama3-2-3b-instruct-v1:0')
    );
    const claude = toConverseInput(
      request,
      model('bedrock', 'eu.anthropic.claude-sonnet-4-v1:0')
    );
    expect(meta.system).toEqual([
      { text: 'PRELUDE' },
      { text: 'client system' },
    ]);
    expect(claude.system).toEqual([{ text: 'client system' }]);
  });

  it.each([
    ['openai-compatible', 'qwen-7b', true],
    ['bedrock', 'meta.llama3-70b-instruct-v1:0', true],
    ['bedrock', 'us.meta.llama4-scout-17b-instruct-v1:0', true],
    ['bedrock', 'amazon.nova-pro-v1:0', false],
    ['gemini', 'gemini-2.5-pro', false],
  ] as const)('isMetaModel(%s, %s) = %s', (type, id, expected) => {
    expect(isMetaModel(model(type, id))).toBe(expected);
  });
});

describe('Provider-side safety blocks', () => {
  it('answer like a guardrail refusal: 400 content_filter with the category header', () => {
    const gw = fromProviderError(
      new ProviderContentFilteredError(
        'gemini',
        'gemini blocked the prompt: PROHIBITED_CONTENT'
      )
    );
    expect(gw.status).toBe(400);
    expect(gw.code).toBe('content_filter');
    expect(gw.headers['x-gateway-guardrail-category']).toBe('provider_safety');
  });
});
