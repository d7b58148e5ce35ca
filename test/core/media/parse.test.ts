import { parseChatRequest } from '../../../lambdas/core/api/chat-request';
import { GatewayError } from '../../../lambdas/core/api/errors';
import { pdfPages } from '../../../lambdas/core/media/parse';
import { mediaItems } from '../../../lambdas/core/media/summary';
import { dataUrl, jpeg, pdf, png } from '../../helpers/media';

/** Parsing of image_url and file parts into checked media parts. */

function body(content: unknown[]): unknown {
  return {
    model: 'auto',
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content },
    ],
  };
}

function refusal(content: unknown[]): GatewayError {
  try {
    parseChatRequest(body(content));
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a 400');
}

describe('Function: parseChatRequest with media parts', () => {
  it('keeps text-only messages without parts', () => {
    // Act
    const r = parseChatRequest(body([{ type: 'text', text: 'hi' }]));
    // Assess
    expect(r.messages[1]).toEqual({ role: 'user', content: 'hi' });
  });

  it('decodes a PNG data URL with its pixel size and hash, and keeps part order', () => {
    // Act
    const r = parseChatRequest(
      body([
        { type: 'text', text: 'what is this?' },
        {
          type: 'image_url',
          image_url: {
            url: dataUrl('image/png', png(640, 480)),
            detail: 'high',
          },
        },
      ])
    );
    // Assess
    const m = r.messages[1]!;
    expect(m.role).toBe('user');
    if (m.role !== 'user') return;
    expect(m.content).toBe('what is this?');
    expect(m.parts?.[0]).toEqual({ type: 'text', text: 'what is this?' });
    expect(m.parts?.[1]).toMatchObject({
      type: 'image',
      format: 'png',
      mimeType: 'image/png',
      width: 640,
      height: 480,
      detail: 'high',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(mediaItems(r)).toEqual([
      expect.objectContaining({
        param: 'messages[1].content[1]',
        kind: 'image',
        width: 640,
      }),
    ]);
  });

  it('reads JPEG dimensions from the start-of-frame marker', () => {
    // Act
    const r = parseChatRequest(
      body([
        {
          type: 'image_url',
          image_url: { url: dataUrl('image/jpeg', jpeg(1024, 768)) },
        },
      ])
    );
    // Assess
    expect(mediaItems(r)[0]).toMatchObject({
      format: 'jpeg',
      width: 1024,
      height: 768,
    });
  });

  it('decodes a PDF file part with its page count and filename', () => {
    // Act
    const r = parseChatRequest(
      body([
        {
          type: 'file',
          file: {
            file_data: dataUrl('application/pdf', pdf(3)),
            filename: 'report.pdf',
          },
        },
        { type: 'text', text: 'summarise' },
      ])
    );
    // Assess
    const m = r.messages[1]!;
    if (m.role !== 'user') throw new Error('user expected');
    expect(m.parts?.[0]).toMatchObject({
      type: 'document',
      format: 'pdf',
      pages: 3,
      filename: 'report.pdf',
    });
    expect(pdfPages(pdf(7))).toBe(7);
  });

  it('keeps an http(s) image as a remote part to fetch later', () => {
    // Act
    const r = parseChatRequest(
      body([
        {
          type: 'image_url',
          image_url: { url: 'https://img.example.com/a.png' },
        },
      ])
    );
    // Assess
    const m = r.messages[1]!;
    if (m.role !== 'user') throw new Error('user expected');
    expect(m.parts?.[0]).toEqual({
      type: 'remote_image',
      url: 'https://img.example.com/a.png',
    });
  });

  it.each([
    [
      'not base64',
      [{ type: 'image_url', image_url: { url: 'data:image/png;base64,@@@@' } }],
      'messages[1].content[0].image_url.url',
      'invalid_value',
    ],
    [
      'not a data URL at all',
      [{ type: 'image_url', image_url: { url: 'file:///etc/passwd' } }],
      'messages[1].content[0].image_url.url',
      'invalid_value',
    ],
    [
      'an unsupported image type',
      [
        { type: 'text', text: 'x' },
        { type: 'image_url', image_url: { url: dataUrl('image/tiff', png()) } },
      ],
      'messages[1].content[1].image_url.url',
      'unsupported_media_type',
    ],
    [
      'bytes that do not match the declared type',
      [{ type: 'image_url', image_url: { url: dataUrl('image/jpeg', png()) } }],
      'messages[1].content[0].image_url.url',
      'unsupported_media_type',
    ],
    [
      'a PDF without a PDF header',
      [
        {
          type: 'file',
          file: { file_data: dataUrl('application/pdf', Buffer.from('hello')) },
        },
      ],
      'messages[1].content[0].file.file_data',
      'unsupported_media_type',
    ],
    [
      'a binary text document',
      [
        {
          type: 'file',
          file: {
            file_data: dataUrl('text/plain', Buffer.from([0xff, 0xfe, 0xfd])),
          },
        },
      ],
      'messages[1].content[0].file.file_data',
      'unsupported_media_type',
    ],
    [
      'an unsupported document type',
      [
        {
          type: 'file',
          file: { file_data: dataUrl('application/zip', Buffer.from('PK')) },
        },
      ],
      'messages[1].content[0].file.file_data',
      'unsupported_media_type',
    ],
    [
      'a file id',
      [{ type: 'file', file: { file_id: 'file-abc' } }],
      'messages[1].content[0].file.file_id',
      'unsupported_parameter',
    ],
    [
      'an oversized image',
      [
        {
          type: 'image_url',
          image_url: {
            url: `data:image/png;base64,${'A'.repeat(28 * 1024 * 1024)}`,
          },
        },
      ],
      'messages[1].content[0].image_url.url',
      'media_too_large',
    ],
  ])('refuses %s with a 400 naming the part', (_name, content, param, code) => {
    // Act
    const e = refusal(content);
    // Assess
    expect(e.status).toBe(400);
    expect(e.param).toBe(param);
    expect(e.code).toBe(code);
    expect(e.message).toContain(param);
  });
});
