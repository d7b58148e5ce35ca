import { request as httpRequest } from 'node:http';
import OpenAI from 'openai';
import {
  echoConfig,
  sdkClient,
  startTestGateway,
  TEST_KEY,
} from '../helpers/gateway';

/**
 * Edge cases found by trying the gateway as a new user would, driven with the
 * official `openai` SDK (fetch-based) against the local host.
 */
describe('E2E: input edge cases with the openai SDK', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let client: OpenAI;

  beforeAll(async () => {
    gw = await startTestGateway(echoConfig());
    client = sdkClient(gw);
  });

  afterAll(async () => {
    await gw.close();
  });

  it('lets the SDK read the 413 for a 12 MB body instead of a connection error', async () => {
    // Prepare: 12 MB of prompt, well over the default 1 MiB limit
    const big = 'x'.repeat(12 * 1024 * 1024);

    // Act
    const err = await client.chat.completions
      .create({ model: 'echo', messages: [{ role: 'user', content: big }] })
      .then(
        () => undefined,
        (e: unknown) => e
      );

    // Assess
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).not.toBeInstanceOf(OpenAI.APIConnectionError);
    const apiErr = err as InstanceType<typeof OpenAI.APIError>;
    expect(apiErr.status).toBe(413);
    expect((apiErr.error as { code?: string }).code).toBe('request_too_large');
  }, 30_000);

  it.each([
    ['with content-length', true],
    ['chunked', false],
  ])(
    'keeps reading a refused body (%s) so a client still sending gets the 413, not a reset',
    async (_name, declared) => {
      // Prepare: a client on a slower link, still sending 12 MB when the 413 comes
      const total = 12 * 1024 * 1024;
      const outcome = await new Promise<{
        status?: number;
        body: string;
        error?: string;
      }>((resolve) => {
        const got: { status?: number; body: string; error?: string } = {
          body: '',
        };
        const req = httpRequest(
          `${gw.url}/v1/chat/completions`,
          {
            method: 'POST',
            headers: {
              authorization: `Bearer ${TEST_KEY}`,
              'content-type': 'application/json',
              ...(declared ? { 'content-length': String(total) } : {}),
            },
          },
          (res) => {
            got.status = res.statusCode;
            res.on('data', (c: Buffer) => {
              got.body += c.toString();
            });
          }
        );
        req.on('error', (e) => {
          got.error = (e as NodeJS.ErrnoException).code ?? e.message;
        });
        req.on('close', () => setTimeout(() => resolve(got), 50));
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let sent = 0;
        // Act: 64 KB a millisecond, until everything is sent or the socket closes
        const tick = (): void => {
          if (req.destroyed) return;
          if (sent >= total) {
            req.end();
            return;
          }
          sent += chunk.length;
          if (req.write(chunk)) setTimeout(tick, 1);
          else req.once('drain', tick);
        };
        tick();
      });

      // Assess: the whole 413 arrived and the upload was never reset (EPIPE/ECONNRESET)
      expect(outcome.error).toBeUndefined();
      expect(outcome.status).toBe(413);
      expect(JSON.parse(outcome.body).error.code).toBe('request_too_large');
    },
    30_000
  );

  it('refuses a tool message with no preceding assistant tool_calls, naming messages[0]', async () => {
    // Act
    const err = await client.chat.completions
      .create({
        model: 'echo',
        messages: [{ role: 'tool', content: 'x', tool_call_id: 'call_1' }],
      })
      .then(
        () => undefined,
        (e: unknown) => e
      );

    // Assess
    const apiErr = err as InstanceType<typeof OpenAI.APIError>;
    expect(apiErr).toBeInstanceOf(OpenAI.BadRequestError);
    expect(apiErr.status).toBe(400);
    expect((apiErr.error as { param?: string }).param).toBe('messages[0]');
  });
});
