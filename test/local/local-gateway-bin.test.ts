import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

describe('bin/local-gateway.ts (npm start)', () => {
  it('exits 1 naming every bad field of an invalid GATEWAY_CONFIG, before listening', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
    const path = join(dir, 'gateway.json');
    writeFileSync(
      path,
      JSON.stringify({
        providers: { gemini: { apiKeyEnv: 'not valid' } },
        models: [
          {
            id: 'm',
            provider: 'gemini',
            providerModelId: 'x',
            pricing: { inputPer1M: -1, outputPer1M: 0 },
          },
        ],
      })
    );
    // Act
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'bin/local-gateway.ts')],
      {
        cwd: ROOT,
        env: { ...process.env, GATEWAY_CONFIG: path, PORT: '0' },
        encoding: 'utf8',
        timeout: 30_000,
      }
    );
    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`invalid gateway config (${path})`);
    expect(run.stderr).toContain('models[0].pricing.inputPer1M');
    expect(run.stdout).not.toContain('gateway listening');
  });
});
