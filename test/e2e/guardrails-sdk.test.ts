import type OpenAI from 'openai';
import type { GatewayConfigFile } from '../../lambdas/core/config/schema';
import { echoConfig, sdkClient, startTestGateway } from '../helpers/gateway';

const BLOCKED = 'secret-plan';

describe('E2E: openai SDK against the guardrails', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let client: OpenAI;

  beforeAll(async () => {
    const config: GatewayConfigFile = {
      ...echoConfig(),
      guardrails: {
        profiles: {
          default: { output: { windowChars: 32, blockWords: [BLOCKED] } },
        },
      },
    };
    gw = await startTestGateway(config);
    client = sdkClient(gw);
  });
  afterAll(() => gw.close());

  it('raises BadRequestError with code content_filter for a blocked input', async () => {
    await expect(
      client.chat.completions.create({
        model: 'auto',
        messages: [
          { role: 'user', content: 'my IBAN is DE89 3704 0044 0532 0130 00' },
        ],
      })
    ).rejects.toMatchObject({
      status: 400,
      code: 'content_filter',
      param: 'messages[0].content',
    });
  });

  it('streams a clean prefix and finish_reason content_filter, never the blocked span', async () => {
    // Act
    const stream = await client.chat.completions.create({
      model: 'auto',
      stream: true,
      messages: [
        {
          role: 'user',
          content: `a long and harmless opening sentence, then the ${BLOCKED} and more words after it`,
        },
      ],
    });
    let text = '';
    const reasons: string[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      const r = chunk.choices[0]?.finish_reason;
      if (r) reasons.push(r);
    }
    // Assess
    expect(text.startsWith('echo: a long and harmless')).toBe(true);
    expect(text).not.toContain('secret');
    expect(reasons).toEqual(['content_filter']);
  });

  it('answers retrieved context marked with name "context" as fenced data', async () => {
    const res = await client.chat.completions.create({
      model: 'auto',
      messages: [
        { role: 'user', content: 'summarize' },
        {
          role: 'user',
          name: 'context',
          content: 'mail me at a.b@example.com',
        },
      ],
    });
    expect(res.choices[0]?.message.content).toBe(
      'echo: <retrieved_context>\nmail me at [EMAIL]\n</retrieved_context>'
    );
  });
});
