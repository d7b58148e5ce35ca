import { GoogleGenAI, Type } from '@google/genai';
import type { FakeProviderServer } from '../../../helpers/fakes/common';
import { startFakeGemini } from '../../../helpers/fakes/gemini-fake';

describe('Function: startFakeGemini (fidelity with @google/genai)', () => {
  let fake: FakeProviderServer;
  let ai: GoogleGenAI;

  beforeAll(async () => {
    fake = await startFakeGemini({ apiKey: 'test-key' });
    ai = new GoogleGenAI({
      apiKey: 'test-key',
      // The SDK defaults to v1 (the fake serves it too); v1beta is what the adapter uses.
      apiVersion: 'v1beta',
      // The SDK's default undici dispatcher is not reachable from jest's sandbox.
      httpOptions: { baseUrl: fake.url, fetch: globalThis.fetch },
    });
  });

  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it('answers generateContent as the SDK expects', async () => {
    // Act
    const response = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Hello there',
      config: { systemInstruction: 'Be brief', maxOutputTokens: 100 },
    });

    // Assess
    expect(response.text).toBe('echo: Hello there');
    expect(response.candidates?.[0]?.finishReason).toBe('STOP');
    expect(response.usageMetadata?.totalTokenCount).toBeGreaterThan(0);
    expect(fake.requests[0]?.path).toBe(
      '/v1beta/models/gemini-2.5-flash:generateContent'
    );
    expect(fake.requests[0]?.headers['x-goog-api-key']).toBe('[redacted]');
  });

  it('streams generateContentStream chunks the SDK parses', async () => {
    // Prepare
    fake.setBehavior({ chunkSize: 4 });

    // Act
    const stream = await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'streaming please',
    });
    const texts: string[] = [];
    let finish: string | undefined;
    for await (const chunk of stream) {
      texts.push(chunk.text ?? '');
      finish = chunk.candidates?.[0]?.finishReason ?? finish;
    }

    // Assess
    expect(texts.join('')).toBe('echo: streaming please');
    expect(texts.length).toBeGreaterThan(3);
    expect(finish).toBe('STOP');
    expect(fake.requests[0]?.path).toBe(
      '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse'
    );
  });

  it('returns function calls for SDK tool declarations', async () => {
    // Act
    const response = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'weather in Paris',
      config: {
        tools: [
          {
            functionDeclarations: [
              {
                name: 'get_weather',
                description: 'Weather for a city',
                parameters: {
                  type: Type.OBJECT,
                  properties: { city: { type: Type.STRING } },
                  required: ['city'],
                },
              },
            ],
          },
        ],
      },
    });

    // Assess
    expect(response.functionCalls).toEqual([
      { name: 'get_weather', args: { query: 'weather in Paris' } },
    ]);
  });

  it('reads the functionResponse parts the SDK sends back', async () => {
    // Act
    const response = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: [
        { role: 'user', parts: [{ text: 'weather in Paris' }] },
        {
          role: 'model',
          parts: [
            { functionCall: { name: 'get_weather', args: { city: 'Paris' } } },
          ],
        },
        {
          role: 'user',
          parts: [
            {
              functionResponse: {
                name: 'get_weather',
                response: { content: 'sunny' },
              },
            },
          ],
        },
      ],
      config: {
        tools: [{ functionDeclarations: [{ name: 'get_weather' }] }],
      },
    });

    // Assess
    expect(response.text).toBe('tool said: sunny');
  });

  it('answers a stream request without alt=sse as one JSON array', async () => {
    // Act
    const response = await fetch(
      `${fake.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-goog-api-key': 'test-key',
        },
        body: JSON.stringify({
          contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
        }),
      }
    );
    const chunks = (await response.json()) as { candidates: unknown[] }[];

    // Assess
    expect(Array.isArray(chunks)).toBe(true);
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.at(-1)).toMatchObject({
      candidates: [{ finishReason: 'STOP' }],
    });
  });

  it('rejects a bad key with the error the SDK reports as 400', async () => {
    // Prepare
    const bad = new GoogleGenAI({
      apiKey: 'wrong',
      // The SDK's default undici dispatcher is not reachable from jest's sandbox.
      httpOptions: { baseUrl: fake.url, fetch: globalThis.fetch },
    });

    // Act
    const call = bad.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'hi',
    });

    // Assess
    await expect(call).rejects.toMatchObject({
      name: 'ApiError',
      status: 400,
      message: expect.stringContaining('API_KEY_INVALID'),
    });
  });

  it('surfaces an in-stream error to the SDK', async () => {
    // Prepare
    fake.setBehavior({ chunkSize: 2, streamErrorAfterChunks: 2 });

    // Act
    const stream = await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'a longer prompt',
    });
    const consume = async (): Promise<number> => {
      let n = 0;
      for await (const _ of stream) n += 1;
      return n;
    };

    // Assess
    await expect(consume()).rejects.toMatchObject({ status: 500 });
  });
});
