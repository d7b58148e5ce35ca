import { benchEmbeddings } from '../../bench/embeddings-bench';

describe('Bench: embeddings requests per second', () => {
  it('serves every request through the gateway and direct, and cache hits outrun upstream calls', async () => {
    // Act
    const r = await benchEmbeddings({ seconds: 0.5, concurrency: 4 });

    // Assess
    expect(r.errors).toBe(0);
    expect(r.directRps).toBeGreaterThan(0);
    expect(r.gatewayRps).toBeGreaterThan(0);
    expect(r.gatewayCachedRps).toBeGreaterThan(r.gatewayRps);
    expect(r.ratio).toBeGreaterThan(0);
  }, 30_000);
});
