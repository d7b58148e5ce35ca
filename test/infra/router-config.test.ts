import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { loadRouterConfig } from '../../lib/config/router-config';
import { buildTestGateway, templateOf } from './helpers';

function file(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'router-config-'));
  const path = join(dir, 'gateway.json');
  writeFileSync(
    path,
    typeof content === 'string' ? content : JSON.stringify(content)
  );
  return path;
}

describe('Function: loadRouterConfig', () => {
  it('passes the repository config to the router as GATEWAY_CONFIG_JSON', () => {
    // WHEN
    const template = templateOf(buildTestGateway({ env: 'dev' }).orchestration);
    // THEN
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          GATEWAY_CONFIG_JSON: Match.stringLikeRegexp(
            '"openai-compatible":\\{"baseUrl":"https://api.llama.com/compat/v1"'
          ),
        }),
      },
    });
  });

  it('gives the streamed routes a 5-minute integration timeout', () => {
    const template = templateOf(buildTestGateway({ env: 'dev' }).orchestration);
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      Integration: Match.objectLike({
        ResponseTransferMode: 'STREAM',
        TimeoutInMillis: 300000,
      }),
    });
  });

  it('fails naming the bad field', () => {
    const path = file({ providers: { gemini: { mode: 'cloud' } } });
    expect(() => loadRouterConfig(path)).toThrow(/providers\.gemini\.mode/);
  });

  it('fails on the local-only echo provider', () => {
    expect(() =>
      loadRouterConfig(file({ providers: { echo: { type: 'echo' } } }))
    ).toThrow(/echo provider is local-only/);
  });

  it('fails when tenants are put in the file', () => {
    expect(() =>
      loadRouterConfig(
        file({ tenants: [{ id: 't', apiKeys: ['sk-0123456789abcdef0'] }] })
      )
    ).toThrow(/tenants live in the tenants table/);
  });

  it('fails when the config would not fit the Lambda environment', () => {
    const models = Array.from({ length: 40 }, (_, i) => ({
      id: `model-${i}`,
      provider: 'bedrock',
      providerModelId: `eu.anthropic.some-long-model-identifier-${i}-v1:0`,
    }));
    expect(() =>
      loadRouterConfig(file({ providers: { bedrock: {} }, models }))
    ).toThrow(/move models to the registry/);
  });

  it('fails on invalid JSON', () => {
    expect(() => loadRouterConfig(file('{nope'))).toThrow(/router config/);
  });
});
