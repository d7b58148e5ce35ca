import { createOpenAI } from '@ai-sdk/openai';
import {
  APICallError,
  embedMany,
  generateObject,
  generateText,
  streamObject,
} from 'ai';
import * as z from 'zod';
import type { GatewayConfigFile } from '../../lambdas/core/config/schema';
import {
  type FakeProviderServer,
  jsonResponder,
} from '../helpers/fakes/common';
import { useProviderFakes } from '../helpers/fakes/provider-fakes';
import { startTestGateway, TEST_KEY } from '../helpers/gateway';
import { png } from '../helpers/media';

/**
 * End to end with a framework people build on: the Vercel AI SDK
 * (`ai` + `@ai-sdk/openai` pointed at the gateway as an OpenAI-compatible
 * base URL) -> local gateway -> real adapters -> loopback fakes.
 * `generateObject`/`streamObject` send `response_format: json_schema` with
 * `strict: true`; `embedMany` calls `/v1/embeddings`; an image part reaches
 * Bedrock as an image block. The SDK is used unchanged.
 */

const Recipe = z.object({
  name: z.string(),
  servings: z.number(),
  steps: z.array(z.string()),
});
const recipe = {
  name: 'pancakes',
  servings: 4,
  steps: ['mix', 'rest', 'fry'],
};
const prompt = 'A recipe for pancakes.';

describe('E2E: the Vercel AI SDK through the gateway', () => {
  const fakes = useProviderFakes();
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let gateway: ReturnType<typeof createOpenAI>;

  beforeAll(async () => {
    const caps = ['tools', 'streaming', 'structured_output'] as const;
    const config: GatewayConfigFile = {
      providers: fakes.providers(),
      models: [
        {
          id: 'claude-tool',
          provider: 'bedrock',
          providerModelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0',
          capabilities: [...caps, 'vision'],
          structuredOutput: 'tool',
          quality: 0.9,
          aliases: ['recipe-group'],
          expectedLatencyMs: 10,
        },
        {
          id: 'gemini-flash',
          provider: 'gemini',
          providerModelId: 'gemini-2.5-flash',
          capabilities: [...caps],
          aliases: ['recipe-group'],
          quality: 0.6,
        },
        {
          id: 'llama-maverick',
          provider: 'openai-compatible',
          providerModelId: 'Llama-4-Maverick',
          capabilities: [...caps],
          aliases: ['recipe-group'],
          quality: 0.3,
        },
        {
          id: 'plain-nova',
          provider: 'bedrock',
          providerModelId: 'eu.amazon.nova-micro-v1:0',
          capabilities: ['tools', 'streaming'],
          quality: 0.99,
        },
        {
          id: 'titan-embed-v2',
          provider: 'bedrock',
          providerModelId: 'amazon.titan-embed-text-v2:0',
          capabilities: ['embeddings'],
          contextWindow: 8192,
          maxOutputTokens: 1,
          aliases: ['embed'],
        },
      ],
      tenants: [{ id: 'test', apiKeys: [TEST_KEY], tier: 'premium' }],
      // Deltas are counted: the output guardrail's window would hold these
      // short answers back whole (guardrails on streams: test/router).
      guardrails: { enabled: false },
      routing: { banditWeight: 0 },
      server: { keepAliveMs: 200 },
    };
    gw = await startTestGateway(config, {
      env: fakes.env,
    });
    gateway = createOpenAI({ apiKey: TEST_KEY, baseURL: `${gw.url}/v1` });
  });

  afterAll(async () => {
    await gw?.close();
  });

  const fakeOf = (model: string): FakeProviderServer =>
    model.startsWith('claude') || model === 'plain-nova'
      ? fakes.bedrock
      : model.startsWith('gemini')
        ? fakes.gemini
        : fakes.llama;

  describe.each(['claude-tool', 'gemini-flash', 'llama-maverick'])(
    'model %s',
    (model) => {
      it('generateObject returns the zod-typed object', async () => {
        // Prepare
        fakeOf(model).setBehavior({ responder: jsonResponder(recipe) });

        // Act
        const { object, finishReason, response } = await generateObject({
          model: gateway.chat(model),
          schema: Recipe,
          prompt,
          maxRetries: 0,
        });

        // Assess
        expect(object).toEqual(recipe);
        expect(finishReason).toBe('stop');
        expect(response.headers?.['x-gateway-model']).toBe(model);
        expect(fakeOf(model).requests).toHaveLength(1);
      });

      it('streamObject streams partial objects that end in the object', async () => {
        // Prepare
        fakeOf(model).setBehavior({
          responder: jsonResponder(recipe),
          chunkSize: 6,
        });

        // Act
        const result = streamObject({
          model: gateway.chat(model),
          schema: Recipe,
          prompt,
          maxRetries: 0,
        });
        const partials: unknown[] = [];
        for await (const partial of result.partialObjectStream)
          partials.push(partial);

        // Assess
        expect(await result.object).toEqual(recipe);
        expect(partials.length).toBeGreaterThan(2);
        expect(partials.at(-1)).toEqual(recipe);
      });
    }
  );

  it('sends the schema strictly, as the SDK asks for it', async () => {
    // Prepare
    fakes.llama.setBehavior({ responder: jsonResponder(recipe) });

    // Act
    await generateObject({
      model: gateway.chat('llama-maverick'),
      schema: Recipe,
      schemaName: 'recipe',
      prompt,
      maxRetries: 0,
    });

    // Assess: the gateway passed the SDK's json_schema through to the endpoint
    const body = fakes.llama.requests[0]!.body as Record<string, unknown>;
    expect(body.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: {
        name: 'recipe',
        strict: true,
        schema: { required: ['name', 'servings', 'steps'] },
      },
    });
  });

  it('fails over when an answer breaks the strict schema, so the SDK gets a valid object', async () => {
    // Prepare: the group's first choice answers JSON of the wrong shape
    const res = await fetch(`${gw.url}/v1/route`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TEST_KEY}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'recipe-group',
        messages: [{ role: 'user', content: prompt }],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'recipe', strict: true, schema: {} },
        },
      }),
    });
    const first = ((await res.json()) as { chosen: { model: string } }).chosen
      .model;
    for (const f of [fakes.bedrock, fakes.gemini, fakes.llama])
      f.setBehavior({ responder: jsonResponder(recipe) });
    fakeOf(first).setBehavior({ responder: jsonResponder({ name: 7 }) });

    // Act
    const { object, response } = await generateObject({
      model: gateway.chat('recipe-group'),
      schema: Recipe,
      prompt,
      maxRetries: 0,
    });

    // Assess
    expect(object).toEqual(recipe);
    expect(fakeOf(first).requests).toHaveLength(1);
    expect(response.headers?.['x-gateway-model']).not.toBe(first);
    expect(response.headers?.['x-gateway-attempts']).toBe('2');
  });

  it('surfaces a model without structured outputs as a 400 APICallError naming the reason', async () => {
    // Act
    const error = await generateObject({
      model: gateway.chat('plain-nova'),
      schema: Recipe,
      prompt,
      maxRetries: 0,
    }).catch((e: unknown) => e);

    // Assess
    expect(APICallError.isInstance(error)).toBe(true);
    const apiError = error as APICallError;
    expect(apiError.statusCode).toBe(400);
    expect(apiError.responseBody).toContain('structured_output');
    expect(fakes.bedrock.requests).toHaveLength(0);
  });

  it('sends an image part to Bedrock as an image block with the same bytes', async () => {
    // Prepare
    const image = png(64, 48);

    // Act
    const { text } = await generateText({
      model: gateway.chat('claude-tool'),
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image', image, mediaType: 'image/png' },
          ],
        },
      ],
      maxRetries: 0,
    });

    // Assess
    expect(text.length).toBeGreaterThan(0);
    const body = fakes.bedrock.requests[0]!.body as {
      messages: {
        content: { image?: { format: string; source: { bytes: string } } }[];
      }[];
    };
    const block = body.messages[0]!.content.find((c) => c.image)!.image!;
    expect(block.format).toBe('png');
    expect(Buffer.from(block.source.bytes, 'base64').equals(image)).toBe(true);
  });

  it('embedMany embeds a batch through /v1/embeddings in input order', async () => {
    // Act
    const values = ['first text', 'second text', 'third text'];
    const { embeddings, usage } = await embedMany({
      model: gateway.embedding('embed'),
      values,
      maxRetries: 0,
    });

    // Assess: Titan is called once per text; vectors differ by text
    expect(embeddings).toHaveLength(3);
    for (const e of embeddings) expect(e.length).toBeGreaterThan(0);
    expect(embeddings[0]).not.toEqual(embeddings[1]);
    expect(fakes.bedrock.requests).toHaveLength(3);
    const sent = fakes.bedrock.requests.map(
      (r) => (r.body as { inputText: string }).inputText
    );
    expect(sent).toEqual(values);
    expect(usage.tokens).toBeGreaterThan(0);
  });
});
