import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { GatewayConfigFile } from '../../lambdas/core/config/schema';
import { percentile } from '../../local/dashboard/data';
import {
  type FakeOpenAIServer,
  startFakeOpenAI,
} from '../helpers/fakes/openai-fake';
import {
  call,
  echoConfig,
  json,
  startTestGateway,
  TEST_KEY,
} from '../helpers/gateway';

/**
 * The local dashboard in a real browser: Debian's chromium driven by
 * playwright-core, against a local gateway that served real requests
 * through a loopback OpenAI-compatible fake. Saves a screenshot to
 * test/artifacts/dashboard.png.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const OTHER_KEY = 'sk-dashboard-other-tenant-0002';
const ARTIFACTS = join(__dirname, '..', 'artifacts');

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;

/** GET with an arbitrary Host header (fetch does not allow setting it). */
function getWithHost(
  url: string,
  host: string
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const EXP_KEY = 'sk-dashboard-experiment-0003';

/** An A/B experiment on one tenant only, so the other tenants' traffic is untouched. */
function withExperiment(config: GatewayConfigFile): GatewayConfigFile {
  return {
    ...config,
    experiments: {
      definitions: [
        {
          id: 'dash-ab',
          kind: 'ab',
          tenants: ['exp-tenant'],
          variants: [
            { name: 'echo', weight: 50, model: 'echo' },
            { name: 'llama', weight: 50, model: 'llama-maverick' },
          ],
        },
      ],
    },
  };
}

describe('Local dashboard', () => {
  let fake: FakeOpenAIServer;
  let gw: Gateway;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: 'llama-key' });
    gw = await startTestGateway(
      withExperiment(
        echoConfig({
          providers: {
            llama: {
              type: 'openai-compatible',
              baseUrl: fake.url,
              apiKeyEnv: 'LLAMA_API_KEY',
            },
          },
          models: [
            {
              id: 'llama-maverick',
              provider: 'llama',
              providerModelId: 'fake-model',
              capabilities: ['tools', 'streaming'],
              pricing: { inputPer1M: 20, outputPer1M: 60 },
            },
          ],
          tenants: [
            { id: 'test', apiKeys: [TEST_KEY], tier: 'standard' },
            { id: 'acme-dash', apiKeys: [OTHER_KEY], tier: 'premium' },
            { id: 'exp-tenant', apiKeys: [EXP_KEY] },
          ],
        })
      ),
      { env: { LLAMA_API_KEY: 'llama-key' } }
    );
  });
  afterAll(async () => {
    await gw.close();
    await fake.close();
  });

  const serve = async (key: string, model: string): Promise<string> => {
    const res = await call(gw, '/v1/chat/completions', {
      key,
      body: {
        model,
        messages: [{ role: 'user', content: 'private dashboard prompt' }],
      },
    });
    expect(res.status).toBe(200);
    await res.text();
    return res.headers.get('x-gateway-decision-id')!;
  };

  it('labels every traffic panel as empty before any traffic', async () => {
    // Act
    const data = await json(await fetch(`${gw.url}/dashboard/data`));

    // Assess
    expect(data).toEqual(
      expect.objectContaining({
        decisions: [],
        cost_usd: {},
        latency_ms: [],
        cache: null,
        // Defined but without samples yet: listed with no variant estimates.
        experiments: [{ id: 'dash-ab', status: 'running', variants: [] }],
      })
    );
    const page = await (await fetch(`${gw.url}/dashboard`)).text();
    for (const label of [
      'No data yet: no request served since start.',
      'No data yet: the response cache reports no lookups.',
      'No data yet: no experiment is running.',
    ]) {
      expect(page).toContain(label);
    }
  });

  it('serves chart.js from node_modules and refuses non-loopback host names', async () => {
    // Act
    const lib = await fetch(`${gw.url}/dashboard/chart.js`);
    const rebinding = await getWithHost(
      `${gw.url}/dashboard/data`,
      'evil.example:8787'
    );

    // Assess
    expect(lib.status).toBe(200);
    expect(await lib.text()).toContain('Chart');
    expect(rebinding.status).toBe(403);
    expect(JSON.parse(rebinding.body).error.code).toBe('dashboard_local_only');
  });

  it('shows live data from real gateway traffic in chromium (screenshot saved)', async () => {
    // Arrange: chromium is a test dependency (README "Dashboard").
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`
      );
    }
    for (let i = 0; i < 4; i++) await serve(TEST_KEY, 'llama-maverick');
    const rated = await serve(OTHER_KEY, 'llama-maverick');
    await serve(OTHER_KEY, 'echo');
    await call(gw, '/v1/feedback', {
      key: OTHER_KEY,
      body: { decision_id: rated, thumbs: 'up' },
    });
    // Experiment traffic (several users, so both variants get samples) and
    // one cache miss then hit (temperature 0).
    for (let i = 0; i < 8; i++) {
      const res = await call(gw, '/v1/chat/completions', {
        key: EXP_KEY,
        body: {
          model: 'auto',
          user: `user-${i}`,
          messages: [{ role: 'user', content: 'hello' }],
        },
      });
      expect(res.status).toBe(200);
      await res.text();
    }
    for (let i = 0; i < 2; i++) {
      const res = await call(gw, '/v1/chat/completions', {
        body: {
          model: 'echo',
          temperature: 0,
          messages: [{ role: 'user', content: 'cache me' }],
        },
      });
      expect(res.headers.get('x-gateway-cache')).toBe(i ? 'hit' : 'miss');
      await res.text();
    }
    const profile = mkdtempSync(join(tmpdir(), 'gw-chromium-'));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 1100 },
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));

      // Act
      await page.goto(`${gw.url}/dashboard`);
      await page.waitForFunction(
        'Number(document.body.dataset.updates || 0) >= 1',
        undefined,
        { timeout: 15_000 }
      );

      // Assess: the traffic's tenants and models are on the page.
      const decisions = await page.locator('#decisions').textContent();
      expect(decisions).toContain('acme-dash');
      expect(decisions).toContain('test');
      expect(decisions).toContain('llama-maverick');
      expect(decisions).toContain('echo');
      expect(decisions).not.toContain('private dashboard prompt');
      expect(await page.locator('#decisions-empty').isVisible()).toBe(false);
      expect(await page.locator('#cache-empty').isVisible()).toBe(false);
      const experiments = await page.locator('#experiments').textContent();
      expect(experiments).toContain('dash-ab');
      expect(await page.locator('#experiments-empty').isVisible()).toBe(false);
      // chart.js drew the charts: datasets from the traffic, pixels on the canvas.
      // (A string: this file is type-checked without the DOM library.)
      const drawn = (await page.evaluate(`(() => {
        const painted = (id) => {
          const canvas = document.getElementById(id);
          const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          let n = 0;
          for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
          return n;
        };
        const cost = Chart.getChart('chart-cost');
        return {
          costTenants: cost.data.labels,
          costTotal: cost.data.datasets.flatMap((d) => d.data).reduce((a, b) => a + b, 0),
          latencyModels: Chart.getChart('chart-latency').data.labels,
          paintedCost: painted('chart-cost'),
          paintedRequests: painted('chart-requests'),
        };
      })()`)) as {
        costTenants: string[];
        costTotal: number;
        latencyModels: string[];
        paintedCost: number;
        paintedRequests: number;
      };
      expect(drawn.costTenants).toEqual(['acme-dash', 'exp-tenant', 'test']);
      expect(drawn.costTotal).toBeGreaterThan(0);
      expect(drawn.latencyModels).toEqual(['echo', 'llama-maverick']);
      expect(drawn.paintedCost).toBeGreaterThan(500);
      expect(drawn.paintedRequests).toBeGreaterThan(500);
      expect(errors).toEqual([]);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({
        path: join(ARTIFACTS, 'dashboard.png'),
        fullPage: true,
      });
      expect(existsSync(join(ARTIFACTS, 'dashboard.png'))).toBe(true);
    } finally {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('Function: percentile', () => {
  it('takes the nearest rank and is 0 without values', () => {
    const values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 90)).toBe(90);
    expect(percentile(values, 99)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });
});
