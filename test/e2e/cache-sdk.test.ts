import type OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { echoConfig, sdkClient, startTestGateway } from '../helpers/gateway';
import { ScriptedAdapter } from '../helpers/scripted-adapter';

/**
 * End to end: the official `openai` SDK reads a cache hit replayed as SSE
 * exactly like a live stream (same chunks, same text, usage, clean end).
 */
describe('E2E: openai SDK reads cached answers', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let client: OpenAI;
  const provider = new ScriptedAdapter('echo');

  beforeAll(async () => {
    gw = await startTestGateway(echoConfig(), {
      adapters: new Map([['echo', provider]]),
    });
    client = sdkClient(gw);
  });
  afterAll(() => gw.close());

  async function streamOnce(): Promise<{
    chunks: ChatCompletionChunk[];
    cache: string | null;
  }> {
    const { data, response } = await client.chat.completions
      .create({
        model: 'echo',
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
        messages: [
          {
            role: 'user',
            content:
              'a longer question, so the answer is streamed in several deltas ✓',
          },
        ],
      })
      .withResponse();
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of data) chunks.push(chunk);
    return { chunks, cache: response.headers.get('x-gateway-cache') };
  }

  it('streams a hit the SDK parses like the live answer', async () => {
    // Act
    const live = await streamOnce();
    const hit = await streamOnce();

    // Assess
    expect(live.cache).toBe('miss');
    expect(hit.cache).toBe('hit');
    expect(provider.calls).toBe(1);
    const text = (cs: ChatCompletionChunk[]) =>
      cs.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text(hit.chunks)).toBe(text(live.chunks));
    expect(text(hit.chunks)).toContain('✓');
    expect(hit.chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const finish = hit.chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish?.choices[0]?.finish_reason).toBe('stop');
    expect(hit.chunks[hit.chunks.length - 1]!.usage).toEqual(
      live.chunks[live.chunks.length - 1]!.usage
    );
  });

  it('answers a non-streamed repeat from the cache via the SDK', async () => {
    // Act
    const ask = () =>
      client.chat.completions
        .create({
          model: 'echo',
          temperature: 0,
          messages: [{ role: 'user', content: 'json please' }],
        })
        .withResponse();
    const first = await ask();
    const second = await ask();

    // Assess
    expect(first.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(second.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(second.data.choices[0]!.message.content).toBe(
      first.data.choices[0]!.message.content
    );
    expect(second.data.id).not.toBe(first.data.id);
  });
});
