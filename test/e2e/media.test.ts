import type OpenAI from 'openai';
import { BadRequestError } from 'openai';
import type { GatewayConfigFile } from '../../lambdas/core/config/schema';
import { useProviderFakes } from '../helpers/fakes/provider-fakes';
import {
  call,
  json,
  sdkClient,
  startTestGateway,
  TEST_KEY,
} from '../helpers/gateway';
import { dataUrl, pdf, png } from '../helpers/media';

/**
 * End to end: images (`image_url` data URLs) and documents (`file` parts)
 * with the official `openai` SDK -> local gateway -> real adapters ->
 * loopback fakes that validate and record each provider's media blocks.
 * Bad media and SSRF attempts get a 400 naming the part, and the gateway
 * keeps serving.
 */

const image = png(800, 600);
const imageUrl = dataUrl('image/png', image);
const doc = pdf(2);
const docUrl = dataUrl('application/pdf', doc);

type Part = OpenAI.Chat.Completions.ChatCompletionContentPart;
interface WireBlock {
  text?: string;
  image?: { format: string; source: { bytes: string } };
  document?: { format: string; name: string; source: { bytes: string } };
}

const fakes = useProviderFakes();

describe('E2E: images and documents through the gateway', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let client: OpenAI;

  beforeAll(async () => {
    const config: GatewayConfigFile = {
      providers: fakes.providers(),
      models: [
        {
          id: 'claude',
          provider: 'bedrock',
          providerModelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0',
          capabilities: ['tools', 'streaming', 'vision', 'documents'],
          quality: 0.9,
        },
        {
          id: 'gemini-flash',
          provider: 'gemini',
          providerModelId: 'gemini-2.5-flash',
          capabilities: ['tools', 'streaming', 'vision', 'documents'],
          quality: 0.6,
        },
        {
          id: 'llama-maverick',
          provider: 'openai-compatible',
          providerModelId: 'Llama-4-Maverick',
          capabilities: ['tools', 'streaming', 'vision'],
          quality: 0.3,
        },
        {
          id: 'text-only',
          provider: 'bedrock',
          providerModelId: 'eu.amazon.nova-micro-v1:0',
          capabilities: ['tools', 'streaming'],
          quality: 0.99,
        },
      ],
      tenants: [{ id: 'test', apiKeys: [TEST_KEY], tier: 'premium' }],
      guardrails: { enabled: false },
      routing: { banditWeight: 0 },
      server: { keepAliveMs: 200, maxBodyBytes: 40 * 1024 * 1024 },
      // localhost is allowlisted on purpose: it resolves to loopback, which
      // the address guard must refuse.
      media: { allowedHosts: ['localhost'] },
    };
    gw = await startTestGateway(config, {
      env: fakes.env,
    });
    client = sdkClient(gw);
  });

  afterAll(async () => {
    await gw?.close();
  });

  const ask = (model: string, content: Part[]) =>
    client.chat.completions.create({
      model,
      messages: [{ role: 'user', content }],
    });

  async function refusal(p: Promise<unknown>): Promise<BadRequestError> {
    try {
      await p;
    } catch (err) {
      if (err instanceof BadRequestError) return err;
      throw err;
    }
    throw new Error('expected a 400');
  }

  it('sends an image as a Bedrock image block with the exact bytes', async () => {
    // Act
    const res = await ask('claude', [
      { type: 'text', text: 'describe' },
      { type: 'image_url', image_url: { url: imageUrl } },
    ]);
    // Assess
    expect(res.choices[0]!.message.content).toContain('describe');
    const body = fakes.bedrock.requests[0]!.body as {
      messages: { content: WireBlock[] }[];
    };
    const blocks = body.messages[0]!.content;
    expect(blocks[0]).toEqual({ text: 'describe' });
    expect(blocks[1]!.image!.format).toBe('png');
    expect(
      Buffer.from(blocks[1]!.image!.source.bytes, 'base64').equals(image)
    ).toBe(true);
  });

  it('sends a PDF as a Bedrock document block with a valid name', async () => {
    // Act
    await ask('claude', [
      {
        type: 'file',
        file: { file_data: docUrl, filename: 'Q3 report_final.pdf' },
      },
      { type: 'text', text: 'summarise' },
    ]);
    // Assess
    const body = fakes.bedrock.requests[0]!.body as {
      messages: { content: WireBlock[] }[];
    };
    const block = body.messages[0]!.content[0]!.document!;
    expect(block).toMatchObject({ format: 'pdf', name: 'Q3 report-final' });
    expect(Buffer.from(block.source.bytes, 'base64').equals(doc)).toBe(true);
  });

  it('sends images and documents to Gemini as inlineData', async () => {
    // Act
    await ask('gemini-flash', [
      { type: 'image_url', image_url: { url: imageUrl } },
      { type: 'file', file: { file_data: docUrl, filename: 'a.pdf' } },
      { type: 'text', text: 'compare' },
    ]);
    // Assess
    const body = fakes.gemini.requests[0]!.body as {
      contents: { parts: unknown[] }[];
    };
    expect(body.contents[0]!.parts).toEqual([
      { inlineData: { mimeType: 'image/png', data: image.toString('base64') } },
      {
        inlineData: {
          mimeType: 'application/pdf',
          data: doc.toString('base64'),
        },
      },
      { text: 'compare' },
    ]);
  });

  it('passes images through to OpenAI-compatible servers as data URLs', async () => {
    // Act
    await ask('llama-maverick', [
      { type: 'text', text: 'what is it' },
      { type: 'image_url', image_url: { url: imageUrl, detail: 'low' } },
    ]);
    // Assess
    const body = fakes.llama.requests[0]!.body as {
      messages: { content: unknown }[];
    };
    expect(body.messages[0]!.content).toEqual([
      { type: 'text', text: 'what is it' },
      { type: 'image_url', image_url: { url: imageUrl, detail: 'low' } },
    ]);
  });

  it('routes auto past models without vision, with the reason in /v1/route', async () => {
    // Act
    const res = await call(gw, '/v1/route', {
      method: 'POST',
      body: {
        model: 'auto',
        messages: [
          {
            role: 'user',
            content: [{ type: 'image_url', image_url: { url: imageUrl } }],
          },
        ],
      },
    });
    const decision = await json(res);
    // Assess
    expect(res.status).toBe(200);
    expect(JSON.stringify(decision)).toContain('capability_vision');
    expect(JSON.stringify(decision)).toContain(
      'messages[0].content[0] is an image'
    );
  });

  it('refuses a document for a model without the documents capability, naming the part', async () => {
    // Act
    const e = await refusal(
      ask('llama-maverick', [
        { type: 'text', text: 'read' },
        { type: 'file', file: { file_data: docUrl } },
      ])
    );
    // Assess
    expect(e.status).toBe(400);
    expect(e.param).toBe('messages[0].content[1]');
    expect(fakes.llama.requests).toHaveLength(0);
  });

  it('refuses more images than Bedrock takes, naming the first one over', async () => {
    // Act
    const parts: Part[] = Array.from({ length: 21 }, () => ({
      type: 'image_url' as const,
      image_url: { url: imageUrl },
    }));
    const e = await refusal(ask('claude', parts));
    // Assess
    expect(e.param).toBe('messages[0].content[20]');
    expect(e.message).toContain('more than 20 images');
    expect(fakes.bedrock.requests).toHaveLength(0);
  });

  it('refuses an image over Bedrock 3.75 MB limit before calling it', async () => {
    // Prepare: a real PNG header padded with an ancillary-free tail is
    // enough; the limit is checked on the decoded size.
    const big = Buffer.concat([png(), Buffer.alloc(4 * 1024 * 1024)]);
    // Act
    const e = await refusal(
      ask('claude', [
        { type: 'image_url', image_url: { url: dataUrl('image/png', big) } },
      ])
    );
    // Assess
    expect(e.param).toBe('messages[0].content[0]');
    expect(e.message).toContain('exceeds');
    expect(fakes.bedrock.requests).toHaveLength(0);
  });

  it.each([
    ['not base64', 'data:image/png;base64,%%%%', 'invalid_value'],
    [
      'a wrong mime type',
      dataUrl('image/jpeg', image),
      'unsupported_media_type',
    ],
    [
      'a remote URL resolving to loopback',
      'http://localhost:9/x.png',
      'media_url_refused',
    ],
    [
      'a remote URL off the allowlist',
      'http://169.254.169.254/latest/meta-data',
      'media_url_refused',
    ],
    [
      'a remote URL with an IPv6 loopback',
      'http://[::1]:9/x.png',
      'media_url_refused',
    ],
  ])(
    'refuses %s with a clear 400 and keeps serving',
    async (_name, url, code) => {
      // Act
      const e = await refusal(
        ask('claude', [{ type: 'image_url', image_url: { url } }])
      );
      const after = await ask('claude', [
        { type: 'text', text: 'still there?' },
      ]);
      // Assess
      expect(e.status).toBe(400);
      expect(e.code).toBe(code);
      expect(e.param).toBe('messages[0].content[0].image_url.url');
      expect(after.choices[0]!.message.content).toContain('still there?');
      expect(fakes.bedrock.requests).toHaveLength(1);
    }
  );

  it('caches by the media bytes: the same image hits, another image misses', async () => {
    // Prepare
    const ask2 = (url: string) =>
      client.chat.completions
        .create({
          model: 'gemini-flash',
          // Only deterministic requests are cached.
          temperature: 0,
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'cache me' },
                { type: 'image_url', image_url: { url } },
              ],
            },
          ],
        })
        .withResponse();
    // Act
    const first = await ask2(imageUrl);
    const again = await ask2(imageUrl);
    const other = await ask2(dataUrl('image/png', png(801, 600)));
    // Assess
    expect(first.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(again.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(other.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(fakes.gemini.requests).toHaveLength(2);
  });

  it('streams an answer about an image', async () => {
    // Act
    const stream = await client.chat.completions.create({
      model: 'claude',
      stream: true,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: imageUrl } },
            { type: 'text', text: 'stream it' },
          ],
        },
      ],
    });
    let text = '';
    for await (const chunk of stream)
      text += chunk.choices[0]?.delta.content ?? '';
    // Assess
    expect(text).toContain('stream it');
    const body = fakes.bedrock.requests[0]!.body as {
      messages: { content: WireBlock[] }[];
    };
    expect(body.messages[0]!.content[0]!.image!.format).toBe('png');
  });
});

describe('E2E: media stays opaque to guardrails, logs, metrics and decisions', () => {
  it('anonymizes the text around media, sends the bytes unchanged and never logs them', async () => {
    // Prepare: guardrails on (default profile), debug logging
    const gw = await startTestGateway(
      {
        providers: { bedrock: fakes.providers().bedrock },
        models: [
          {
            id: 'claude',
            provider: 'bedrock',
            providerModelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0',
            capabilities: ['streaming', 'vision', 'documents'],
          },
        ],
        tenants: [{ id: 'test', apiKeys: [TEST_KEY], tier: 'premium' }],
        server: { maxBodyBytes: 40 * 1024 * 1024 },
      },
      { env: { LOG_LEVEL: 'DEBUG' } }
    );
    const email = 'jane.roe@example.org';
    const filename = 'jane-roe-contract.pdf';
    const client = sdkClient(gw);
    try {
      // Act
      await client.chat.completions.create({
        model: 'claude',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: `Summarise for ${email}` },
              { type: 'image_url', image_url: { url: imageUrl } },
              { type: 'file', file: { file_data: docUrl, filename } },
            ],
          },
        ],
      });
      const metrics = await (await call(gw, '/metrics')).text();

      // Assess: the provider got the anonymized text and the exact bytes
      const blocks = (
        fakes.bedrock.requests[0]!.body as {
          messages: { content: WireBlock[] }[];
        }
      ).messages[0]!.content;
      const text = blocks.map((b) => b.text ?? '').join('');
      expect(text).not.toContain(email);
      expect(
        Buffer.from(
          blocks.find((b) => b.image)!.image!.source.bytes,
          'base64'
        ).equals(image)
      ).toBe(true);
      expect(
        Buffer.from(
          blocks.find((b) => b.document)!.document!.source.bytes,
          'base64'
        ).equals(doc)
      ).toBe(true);
      // ...and no log line, metric or decision holds the media or the PII
      const recorded = [
        gw.log.text(),
        metrics,
        JSON.stringify(gw.deps.decisions.recent()),
      ];
      const imageB64 = image.toString('base64');
      const docB64 = doc.toString('base64');
      expect(imageB64.length).toBeGreaterThan(160);
      expect(docB64.length).toBeGreaterThan(100);
      for (const r of recorded) {
        expect(r).not.toContain(imageB64.slice(100, 160));
        expect(r).not.toContain(docB64.slice(40, 100));
        expect(r).not.toContain(email);
        expect(r).not.toContain('jane-roe-contract');
      }
    } finally {
      await gw.close();
    }
  });
});
