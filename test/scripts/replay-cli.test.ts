import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../scripts/replay';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: (l: string) => out.push(l),
      stderr: (l: string) => err.push(l),
    },
  };
}

describe('CLI: npm run replay', () => {
  let dir: string;
  let logPath: string;
  let policyPath: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'replay-cli-'));
    logPath = join(dir, 'decisions.jsonl');
    policyPath = join(dir, 'policy.json');
    // Half the traffic to each model; model a always succeeds, b never.
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) {
      const chosen = i % 2 === 0 ? 'a' : 'b';
      lines.push(
        JSON.stringify({
          decision_id: `d${i}`,
          ts: '2026-12-03T00:00:00Z',
          tenant: 'acme',
          context: { domain: 'legal', budget_tier: 'premium', tools: true },
          candidates: ['a', 'b'],
          chosen,
          propensity: 0.5,
          latency_ms: 100,
          cost_usd: 0.001,
          outcome: chosen === 'a' ? 'ok' : 'error',
          reward: chosen === 'a' ? 1 : 0,
        })
      );
    }
    lines.push('garbage');
    writeFileSync(logPath, `${lines.join('\n')}\n`);
    writeFileSync(
      policyPath,
      JSON.stringify({ contexts: { 'legal|premium|true': { a: 0.9, b: 0.1 } } })
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the contract JSON with --json', async () => {
    // Act
    const c = capture();
    const code = await main(
      ['--log', logPath, '--policy', policyPath, '--json'],
      c.io
    );
    // Assess
    expect(code).toBe(0);
    const result = JSON.parse(c.out.join(''));
    expect(Object.keys(result).sort()).toEqual([
      'dr',
      'ess',
      'ips',
      'n',
      'warnings',
    ]);
    expect(result.n).toBe(400);
    expect(result.ips.value).toBeCloseTo(0.9, 10);
    expect(result.dr.value).toBeCloseTo(0.9, 10);
    expect(result.ips.ci95[0]).toBeLessThan(0.9);
    expect(result.ips.ci95[1]).toBeGreaterThan(0.9);
    expect(result.warnings).toEqual(['1 malformed line(s) skipped']);
  });

  it('prints a readable report without --json', async () => {
    const c = capture();
    const code = await main(['--log', logPath, '--policy', policyPath], c.io);
    expect(code).toBe(0);
    expect(c.out[0]).toBe('records  400');
    expect(c.out[1]).toMatch(/^IPS {6}0\.9000 {2}95% CI \[/);
    expect(c.out).toContain('warning: 1 malformed line(s) skipped');
  });

  it('exits 2 on a usage mistake and 1 on a bad policy file', async () => {
    // Act
    const usage = capture();
    const codeUsage = await main(['--log', logPath], usage.io);
    writeFileSync(policyPath, JSON.stringify({ contexts: { x: { a: -1 } } }));
    const bad = capture();
    const codeBad = await main(
      ['--log', logPath, '--policy', policyPath],
      bad.io
    );
    const missing = capture();
    const codeMissing = await main(
      ['--log', join(dir, 'nope.jsonl'), '--policy', policyPath],
      missing.io
    );
    // Assess
    expect(codeUsage).toBe(2);
    expect(usage.err[0]).toBe('error: --log and --policy are required');
    expect(codeBad).toBe(1);
    expect(bad.err[0]).toMatch(/^error: policy .*contexts\.x\.a/);
    expect(codeMissing).toBe(1);
  });
});
