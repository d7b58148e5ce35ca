import { parseChatRequest } from '../../../lambdas/core/api/chat-request';
import { cacheKey } from '../../../lambdas/core/cache/key';
import { fenceMarkedContext } from '../../../lambdas/core/gateway/input-guard';
import { mediaErrorParam } from '../../../lambdas/core/media/routing';
import {
  type MediaItem,
  mediaTokens,
} from '../../../lambdas/core/media/summary';
import { withUserText } from '../../../lambdas/core/media/text';
import { filterCandidates } from '../../../lambdas/core/routing/candidates';
import { estimatePromptTokens } from '../../../lambdas/core/tokens';
import type { ChatMessage } from '../../../lambdas/core/types';
import { dataUrl, pdf, png } from '../../helpers/media';
import { makeContext, makeModel } from '../routing/fixtures';

/** Media in routing, token estimates, the cache key and anonymization. */

const image = (
  w: number,
  h: number,
  param = 'messages[0].content[0]'
): MediaItem => ({
  param,
  kind: 'image',
  format: 'png',
  bytes: 1000,
  width: w,
  height: h,
});

describe('Function: filterCandidates with media', () => {
  const text = makeModel('text');
  const seer = makeModel('seer', { capabilities: ['vision'] });
  const reader = makeModel('reader', { capabilities: ['vision', 'documents'] });
  const gem = makeModel('gem', {
    capabilities: ['vision', 'documents'],
    providerType: 'gemini',
  });

  it('keeps images to vision models, naming the part in the reason', () => {
    // Act
    const set = filterCandidates(
      [text, seer],
      makeContext({ media: [image(10, 10)] })
    );
    // Assess
    expect(set.eligible.map((m) => m.id)).toEqual(['seer']);
    expect(set.excluded).toEqual([
      {
        modelId: 'text',
        code: 'capability_vision',
        reason:
          'messages[0].content[0] is an image: needs the vision capability',
      },
    ]);
  });

  it('keeps documents to documents models', () => {
    // Act
    const set = filterCandidates(
      [seer, reader],
      makeContext({
        media: [
          {
            param: 'messages[1].content[2]',
            kind: 'document',
            format: 'pdf',
            bytes: 10,
            pages: 1,
          },
        ],
      })
    );
    // Assess
    expect(set.eligible.map((m) => m.id)).toEqual(['reader']);
    expect(set.excluded[0]!.code).toBe('capability_documents');
  });

  it('applies each family limit: gif is fine on Bedrock, not on Gemini', () => {
    // Act
    const set = filterCandidates(
      [reader, gem],
      makeContext({ media: [{ ...image(10, 10), format: 'gif' }] })
    );
    // Assess
    expect(set.eligible.map((m) => m.id)).toEqual(['reader']);
    expect(set.excluded[0]).toMatchObject({
      modelId: 'gem',
      code: 'media_limits',
    });
    expect(mediaErrorParam(set.excluded)).toBe('messages[0].content[0]');
  });

  it('refuses an image side over Bedrock 8000 px', () => {
    // Act
    const set = filterCandidates(
      [reader],
      makeContext({ media: [image(9000, 10)] })
    );
    // Assess
    expect(set.excluded[0]!.reason).toContain('9000 px exceeds 8000 px');
  });

  it('counts media tokens against the context window', () => {
    // Act
    const set = filterCandidates(
      [makeModel('small', { capabilities: ['vision'], contextWindow: 1000 })],
      makeContext({ media: [image(1000, 1000)] })
    );
    // Assess
    expect(set.excluded[0]!.code).toBe('context_window');
  });
});

describe('Function: mediaTokens', () => {
  it('uses w*h/750 capped at 1600 for Bedrock (Anthropic formula)', () => {
    expect(mediaTokens([image(750, 100)], 'bedrock')).toBe(100);
    expect(mediaTokens([image(4000, 4000)], 'bedrock')).toBe(1600);
  });

  it('uses 258 per image or per 768 px tile for Gemini', () => {
    expect(mediaTokens([image(300, 300)], 'gemini')).toBe(258);
    expect(mediaTokens([image(1536, 800)], 'gemini')).toBe(258 * 4);
  });

  it('uses 85 + 170 per 512 px tile for OpenAI (low detail 85)', () => {
    // 1024x1024 -> shortest side 768 -> 768x768 -> 4 tiles.
    expect(mediaTokens([image(1024, 1024)], 'openai-compatible')).toBe(
      85 + 170 * 4
    );
    expect(
      mediaTokens(
        [{ ...image(1024, 1024), detail: 'low' }],
        'openai-compatible'
      )
    ).toBe(85);
  });

  it('counts PDFs per page and text documents per 3 bytes', () => {
    const doc: MediaItem = {
      param: 'p',
      kind: 'document',
      format: 'pdf',
      bytes: 10,
      pages: 3,
    };
    const txt: MediaItem = {
      param: 'p',
      kind: 'document',
      format: 'txt',
      bytes: 300,
    };
    expect(mediaTokens([doc], 'bedrock')).toBe(9000);
    expect(mediaTokens([doc], 'gemini')).toBe(774);
    expect(mediaTokens([txt], 'bedrock')).toBe(100);
  });

  it('makes the budget estimate of a request grow by the media tokens', () => {
    // Prepare
    const plain = parseChatRequest({
      model: 'auto',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const withImage = parseChatRequest({
      model: 'auto',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hi' },
            {
              type: 'image_url',
              image_url: { url: dataUrl('image/png', png(750, 200)) },
            },
          ],
        },
      ],
    });
    // Act + Assess
    expect(
      estimatePromptTokens(withImage, 'bedrock') -
        estimatePromptTokens(plain, 'bedrock')
    ).toBe(200);
  });
});

describe('Function: cacheKey with media', () => {
  const req = (bytes: Buffer) =>
    parseChatRequest({
      model: 'auto',
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'file',
              file: { file_data: dataUrl('application/pdf', bytes) },
            },
          ],
        },
      ],
    });

  it('is equal for the same bytes and differs when one byte differs', () => {
    // Prepare
    const a = pdf(1);
    const b = Buffer.from(a);
    b[b.length - 2] = 0x21;
    const ctx = makeContext();
    // Act + Assess
    expect(cacheKey('t', ctx, req(a))).toBe(
      cacheKey('t', ctx, req(Buffer.from(a)))
    );
    expect(cacheKey('t', ctx, req(a))).not.toBe(cacheKey('t', ctx, req(b)));
  });
});

describe('Function: withUserText', () => {
  it('replaces every text part (anonymized) and keeps the media', () => {
    // Prepare
    const m = parseChatRequest({
      model: 'auto',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Ana Lopez' },
            {
              type: 'image_url',
              image_url: { url: dataUrl('image/png', png()) },
            },
            { type: 'text', text: ' lives at 1 Main St' },
          ],
        },
      ],
    }).messages[0] as Extract<ChatMessage, { role: 'user' }>;
    // Act
    const out = withUserText(m, '[NAME] lives at [ADDRESS]') as typeof m;
    // Assess
    expect(out.content).toBe('[NAME] lives at [ADDRESS]');
    expect(out.parts!.map((p) => p.type)).toEqual(['text', 'image']);
    expect(JSON.stringify(out.parts)).not.toContain('Ana');
  });
});

describe('Function: fenceMarkedContext with media', () => {
  it('fences the text of a context message and keeps its images', () => {
    // Prepare
    const { messages } = parseChatRequest({
      model: 'auto',
      messages: [
        {
          role: 'user',
          name: 'context',
          content: [
            { type: 'text', text: 'retrieved page' },
            {
              type: 'image_url',
              image_url: { url: dataUrl('image/png', png()) },
            },
          ],
        },
      ],
    });
    // Act
    const out = fenceMarkedContext(messages);
    // Assess
    const m = out[1] as Extract<ChatMessage, { role: 'user' }>;
    expect(m.name).toBeUndefined();
    expect(m.parts!.map((p) => p.type)).toEqual(['text', 'image']);
    expect(m.parts![0]).toEqual({ type: 'text', text: m.content });
    expect(m.content).toContain('retrieved page');
    expect(m.content).not.toBe('retrieved page');
  });
});
