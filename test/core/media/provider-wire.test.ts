import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseChatRequest } from '../../../lambdas/core/api/chat-request';
import { toConverseInput } from '../../../lambdas/core/providers/bedrock/request';
import { toGeminiRequest } from '../../../lambdas/core/providers/gemini/request';
import { buildChatCompletionBody } from '../../../lambdas/core/providers/openai-compatible/request';
import { validateConverseRequest } from '../../helpers/fakes/bedrock-fake';
import { dataUrl, pdf, png } from '../../helpers/media';
import { makeModel } from '../routing/fixtures';

/**
 * Contract: one request with an image, a PDF and a text document, mapped by
 * each provider family, must equal the recorded wire body under
 * test/fixtures/providers/<family>/request-media.json (Bedrock's bytes as
 * the SDK serialises them: base64).
 */

const request = parseChatRequest({
  model: 'auto',
  messages: [
    { role: 'system', content: 'Answer briefly.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Compare these.' },
        {
          type: 'image_url',
          image_url: { url: dataUrl('image/png', png(2, 2)), detail: 'high' },
        },
        {
          type: 'file',
          file: {
            file_data: dataUrl('application/pdf', pdf(1)),
            filename: 'spec v2.pdf',
          },
        },
        {
          type: 'file',
          file: {
            file_data: dataUrl('text/plain', Buffer.from('hello')),
            filename: 'notes.txt',
          },
        },
      ],
    },
  ],
});

function fixture(family: string): unknown {
  const path = join(
    __dirname,
    '../../fixtures/providers',
    family,
    'request-media.json'
  );
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** JSON as the AWS SDK writes it: blobs as base64. */
function asWire(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v) =>
      v instanceof Uint8Array ||
      (v && v.type === 'Buffer' && Array.isArray(v.data))
        ? Buffer.from(v instanceof Uint8Array ? v : v.data).toString('base64')
        : v
    )
  );
}

describe('Contract: media blocks per provider family', () => {
  it('Bedrock Converse: image and document blocks with valid names', () => {
    // Act
    const input = asWire(
      toConverseInput(
        request,
        makeModel('claude', {
          providerModelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0',
        })
      )
    );
    // Assess
    expect(input).toEqual(fixture('bedrock'));
    expect(validateConverseRequest(input)).toBeUndefined();
  });

  it('Gemini: inlineData parts in order', () => {
    // Act
    const body = toGeminiRequest(
      request,
      makeModel('gemini', {
        providerType: 'gemini',
        providerModelId: 'gemini-2.5-flash',
      })
    );
    // Assess
    expect(asWire(body)).toEqual(fixture('gemini'));
  });

  it('OpenAI-compatible: parts passed through as data URLs', () => {
    // Act
    const body = buildChatCompletionBody(
      request,
      makeModel('llama', {
        providerType: 'openai-compatible',
        providerModelId: 'Llama-4-Maverick',
      }),
      false
    );
    // Assess
    expect(asWire(body)).toEqual(fixture('openai-compatible'));
  });
});
