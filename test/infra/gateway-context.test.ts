import { App, RemovalPolicy } from 'aws-cdk-lib';
import {
  FALLBACK_REGION,
  GatewayContextError,
  readGatewayContext,
  settingsFor,
} from '../../lib/config/gateway-context';

const read = (context: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
  readGatewayContext(new App({ context }).node, env);

describe('Function: readGatewayContext', () => {
  it('defaults to dev without a VPC in the fallback region', () => {
    // GIVEN / WHEN
    const ctx = read({});

    // THEN
    expect(ctx).toMatchObject({
      env: 'dev',
      vpc: false,
      euOnly: false,
      evidently: false,
      region: FALLBACK_REGION,
      account: undefined,
      providerHosts: [],
      openaiCompatibleProviders: [],
      sloModels: [],
    });
    expect(ctx.bedrockModelArns).toBeUndefined();
  });

  it('turns the VPC on by default for staging and prod', () => {
    // GIVEN / WHEN
    const staging = read({ env: 'staging' });
    const prod = read({ env: 'prod' });

    // THEN
    expect([staging.vpc, prod.vpc]).toEqual([true, true]);
  });

  it('reads booleans the CLI passes as strings', () => {
    // GIVEN / WHEN
    const ctx = read({
      env: 'prod',
      vpc: 'false',
      euOnly: 'true',
      evidently: 'true',
    });

    // THEN
    expect([ctx.vpc, ctx.euOnly, ctx.evidently]).toEqual([false, true, true]);
  });

  it('splits comma-separated lists, trimming blanks and duplicates', () => {
    // GIVEN / WHEN
    const ctx = read({
      providerHosts:
        ' Api.Example.com, ,.vllm.internal.example.org,api.example.com',
      openaiCompatibleProviders: 'vllm,ollama',
      sloModels: ['claude-sonnet', 'gemini-flash'],
    });

    // THEN
    expect(ctx.providerHosts).toEqual([
      'api.example.com',
      '.vllm.internal.example.org',
    ]);
    expect(ctx.openaiCompatibleProviders).toEqual(['vllm', 'ollama']);
    expect(ctx.sloModels).toEqual(['claude-sonnet', 'gemini-flash']);
  });

  it('prefers the region context over CDK_DEFAULT_REGION', () => {
    // GIVEN / WHEN
    const fromContext = read(
      { region: 'eu-west-1' },
      { CDK_DEFAULT_REGION: 'us-east-1' }
    );
    const fromEnv = read(
      {},
      { CDK_DEFAULT_REGION: 'us-east-1', CDK_DEFAULT_ACCOUNT: '123456789012' }
    );

    // THEN
    expect(fromContext.region).toBe('eu-west-1');
    expect(fromEnv).toMatchObject({
      region: 'us-east-1',
      account: '123456789012',
    });
  });

  it('fails on an unknown env and lists the allowed values', () => {
    // GIVEN / WHEN / THEN
    expect(() => read({ env: 'qa' })).toThrow(
      /env must be one of dev, staging, prod, got "qa"/
    );
  });

  it('fails on a flag that is neither true nor false', () => {
    // GIVEN / WHEN / THEN
    expect(() => read({ vpc: 'yes' })).toThrow(
      /vpc must be true or false, got "yes"/
    );
  });

  it('fails on euOnly outside an EU region', () => {
    // GIVEN / WHEN / THEN
    expect(() => read({ euOnly: true, region: 'us-east-1' })).toThrow(
      /euOnly needs an eu-\* region, got "us-east-1"/
    );
  });

  it('fails on a provider host that is not an FQDN', () => {
    // GIVEN / WHEN / THEN
    expect(() => read({ providerHosts: 'https://api.example.com/v1' })).toThrow(
      /providerHosts must be FQDNs/
    );
  });

  it('fails on a Bedrock ARN that is neither a model nor an inference profile', () => {
    // GIVEN
    const arn = 'arn:aws:bedrock:eu-central-1:123456789012:guardrail/abc';

    // WHEN / THEN
    expect(() => read({ bedrockModelArns: arn })).toThrow(
      /bedrockModelArns must be foundation-model or inference-profile ARNs/
    );
  });

  it('fails on a non-EU Bedrock ARN when euOnly', () => {
    // GIVEN
    const arn =
      'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0';

    // WHEN / THEN
    expect(() => read({ euOnly: true, bedrockModelArns: arn })).toThrow(
      /must be in eu-\* regions when euOnly/
    );
  });

  it('fails on a provider id that would clash with a built-in secret', () => {
    // GIVEN / WHEN / THEN
    expect(() => read({ openaiCompatibleProviders: 'llama' })).toThrow(
      /must not reuse the built-in ids google or llama/
    );
  });

  it('reports every problem in one error', () => {
    // GIVEN / WHEN
    let error: unknown;
    try {
      read({ env: 'qa', vpc: 'maybe', region: 'mars' });
    } catch (e) {
      error = e;
    }

    // THEN
    expect(error).toBeInstanceOf(GatewayContextError);
    expect((error as GatewayContextError).problems).toHaveLength(3);
  });
});

describe('Function: settingsFor', () => {
  it('retains and protects data in prod only', () => {
    // GIVEN / WHEN
    const dev = settingsFor('dev');
    const prod = settingsFor('prod');

    // THEN
    expect([dev.removalPolicy, dev.deletionProtection]).toEqual([
      RemovalPolicy.DESTROY,
      false,
    ]);
    expect([prod.removalPolicy, prod.deletionProtection]).toEqual([
      RemovalPolicy.RETAIN,
      true,
    ]);
    expect(prod.logRetention).toBeGreaterThan(dev.logRetention);
  });
});
