import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseChatRequest } from '../../../lambdas/core/api/chat-request';
import { GatewayError } from '../../../lambdas/core/api/errors';
import { isPublicAddress } from '../../../lambdas/core/media/address-guard';
import {
  type MediaSettings,
  resolveMediaSettings,
} from '../../../lambdas/core/media/config';
import {
  fetchRemoteImage,
  type HostResolver,
} from '../../../lambdas/core/media/fetch';
import { createMediaResolver } from '../../../lambdas/core/media/resolve';
import { png } from '../../helpers/media';

/**
 * The SSRF guard of remote images, against a 127.0.0.1 server only. Host
 * names resolve through an injected resolver; the address policy stays the
 * production one except where a test must reach the loopback server, which
 * it says by injecting `allowAddress`.
 */

describe('Function: isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.8.8.8',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '0.0.0.0',
    '100.64.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:169.254.169.254',
    '::ffff:10.0.0.1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fe80::1%eth0',
    'ff02::1',
    '64:ff9b::a9fe:a9fe',
    '2002:7f00:1::',
    'not-an-ip',
  ])('refuses %s', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });

  it.each([
    '8.8.8.8',
    '93.184.216.34',
    '172.32.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
  ])('allows the public address %s', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });
});

describe('Function: fetchRemoteImage', () => {
  let server: Server;
  let port: number;
  let hits: string[];
  let handler: (path: string, res: import('node:http').ServerResponse) => void;
  const image = png(4, 3);
  const loopback: HostResolver = async () => [
    { address: '127.0.0.1', family: 4 },
  ];
  const testOnlyLoopback = (a: string) => a === '127.0.0.1';
  const settings = (patch: Partial<MediaSettings> = {}): MediaSettings => ({
    ...resolveMediaSettings({ allowedHosts: ['images.test', '*.cdn.test'] }),
    ...patch,
  });
  const param = 'messages[0].content[0].image_url.url';

  async function refusal(p: Promise<unknown>): Promise<GatewayError> {
    try {
      await p;
    } catch (err) {
      if (err instanceof GatewayError) return err;
      throw err;
    }
    throw new Error('expected a refusal');
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      handler(req.url ?? '', res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    hits = [];
    handler = (_path, res) => {
      res.writeHead(200, {
        'content-type': 'image/png',
        'content-length': image.length,
      });
      res.end(image);
    };
  });

  it('fetches an allowlisted host, pinned to the address it checked', async () => {
    // Prepare
    let lookups = 0;
    const resolve: HostResolver = async (host) => {
      lookups++;
      expect(host).toBe('a.cdn.test');
      return [{ address: '127.0.0.1', family: 4 }];
    };
    // Act
    const got = await fetchRemoteImage(
      `http://a.cdn.test:${port}/x.png`,
      param,
      settings(),
      {
        resolve,
        allowAddress: testOnlyLoopback,
      }
    );
    // Assess
    expect(Buffer.from(got.bytes).equals(image)).toBe(true);
    expect(got.contentType).toBe('image/png');
    expect(lookups).toBe(1);
  });

  it('refuses a host that is not on the allowlist without any traffic', async () => {
    // Act
    const e = await refusal(
      fetchRemoteImage(`http://127.0.0.1:${port}/x.png`, param, settings(), {
        resolve: loopback,
        allowAddress: testOnlyLoopback,
      })
    );
    // Assess
    expect(e.status).toBe(400);
    expect(e.param).toBe(param);
    expect(e.code).toBe('media_url_refused');
    expect(e.message).toContain('allowlist');
    expect(hits).toEqual([]);
  });

  it('refuses an allowlisted host that resolves to 127.0.0.1 under the production guard', async () => {
    // Act
    const e = await refusal(
      fetchRemoteImage(`http://images.test:${port}/x.png`, param, settings(), {
        resolve: loopback,
      })
    );
    // Assess
    expect(e.status).toBe(400);
    expect(e.message).toContain('private or reserved address');
    expect(hits).toEqual([]);
  });

  it('refuses a host when any of its addresses is private', async () => {
    // Act
    const e = await refusal(
      fetchRemoteImage(`http://images.test:${port}/x.png`, param, settings(), {
        resolve: async () => [
          { address: '8.8.8.8', family: 4 },
          { address: '::ffff:169.254.169.254', family: 6 },
        ],
      })
    );
    // Assess
    expect(e.code).toBe('media_url_refused');
    expect(hits).toEqual([]);
  });

  it.each([
    ['ftp://images.test/x.png', 'scheme'],
    ['http://user:pw@images.test/x.png', 'credentials'],
  ])('refuses %s', async (url, why) => {
    // Act
    const e = await refusal(
      fetchRemoteImage(url, param, settings(), { resolve: loopback })
    );
    // Assess
    expect(e.message).toContain(why);
  });

  it('refuses a redirect to a host off the allowlist', async () => {
    // Prepare
    handler = (_p, res) => {
      res.writeHead(302, { location: `http://evil.test:${port}/y.png` });
      res.end();
    };
    // Act
    const e = await refusal(
      fetchRemoteImage(`http://images.test:${port}/x.png`, param, settings(), {
        resolve: loopback,
        allowAddress: testOnlyLoopback,
      })
    );
    // Assess
    expect(e.message).toContain('evil.test is not on the media allowlist');
    expect(hits).toEqual(['/x.png']);
  });

  it('follows an allowed redirect and re-checks its address', async () => {
    // Prepare
    handler = (path, res) => {
      if (path === '/x.png') {
        res.writeHead(301, { location: '/y.png' });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(image);
    };
    // Act
    const got = await fetchRemoteImage(
      `http://images.test:${port}/x.png`,
      param,
      settings(),
      {
        resolve: loopback,
        allowAddress: testOnlyLoopback,
      }
    );
    // Assess
    expect(got.bytes.length).toBe(image.length);
    expect(hits).toEqual(['/x.png', '/y.png']);
  });

  it('refuses a body over the size limit, declared or streamed', async () => {
    // Prepare
    const big = Buffer.alloc(5000, 1);
    handler = (path, res) => {
      if (path === '/declared')
        res.writeHead(200, { 'content-length': big.length });
      else res.writeHead(200, { 'transfer-encoding': 'chunked' });
      res.end(big);
    };
    const opts = { resolve: loopback, allowAddress: testOnlyLoopback };
    // Act
    const declared = await refusal(
      fetchRemoteImage(
        `http://images.test:${port}/declared`,
        param,
        settings({ maxRemoteBytes: 1000 }),
        opts
      )
    );
    const streamed = await refusal(
      fetchRemoteImage(
        `http://images.test:${port}/streamed`,
        param,
        settings({ maxRemoteBytes: 1000 }),
        opts
      )
    );
    // Assess
    expect(declared.code).toBe('media_too_large');
    expect(streamed.code).toBe('media_too_large');
  });

  it('gives up after the time limit', async () => {
    // Prepare
    handler = (_p, res) => {
      setTimeout(() => {
        if (!res.destroyed) res.end(image);
      }, 2000).unref();
    };
    const started = Date.now();
    // Act
    const e = await refusal(
      fetchRemoteImage(
        `http://images.test:${port}/slow`,
        param,
        settings({ fetchTimeoutMs: 150 }),
        {
          resolve: loopback,
          allowAddress: testOnlyLoopback,
        }
      )
    );
    // Assess
    expect(e.code).toBe('media_fetch_timeout');
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('Function: createMediaResolver', () => {
  it('refuses remote URLs when the allowlist is empty (the default)', async () => {
    // Prepare
    const resolver = createMediaResolver(resolveMediaSettings(undefined), {
      resolve: async () => {
        throw new Error('must not resolve');
      },
    });
    const request = parseChatRequest({
      model: 'auto',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'https://x.test/a.png' } },
          ],
        },
      ],
    });
    // Act
    let error: unknown;
    try {
      await resolver.resolve(request);
    } catch (err) {
      error = err;
    }
    // Assess
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).param).toBe(
      'messages[0].content[0].image_url.url'
    );
    expect((error as GatewayError).message).toContain('not enabled');
  });
});
