import {
  isSecretFieldName,
  REDACTED,
  redactSecrets,
} from '../../../lambdas/core/audit/redact';

const OPENAI_KEY = 'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z';
const GOOGLE_KEY = 'AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q';
const AWS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const JWT =
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MX0.c2lnbmF0dXJlLXZhbHVl';
const HEX = 'a3f1c9e07b5d4f2a8c6e1b3d5f7a9c0e2b4d6f8a';
const BASE64 = 'Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbA';

describe('Function: isSecretFieldName', () => {
  it.each([
    'apiKey',
    'apiKeys',
    'api_key',
    'x-api-key',
    'APIKey',
    'key',
    'keys',
    'secret',
    'clientSecret',
    'token',
    'sessionToken',
    'accessToken',
    'password',
    'dbPassword',
    'authorization',
    'Authorization',
    'privateKey',
    'accessKey',
    'secretAccessKey',
    'credentials',
    'cookie',
  ])('flags %s', (name) => {
    // Act & Assess
    expect(isSecretFieldName(name)).toBe(true);
  });

  it.each([
    'apiKeyEnv',
    'apiKeyHashes',
    'secretArn',
    'secretName',
    'tokenLimit',
    'tokensPerDay',
    'maxTokens',
    'contextKey',
    'cacheKey',
    'reason',
    'model',
    'keynote',
    'monkey',
    'state',
  ])('leaves %s alone', (name) => {
    // Act & Assess
    expect(isSecretFieldName(name)).toBe(false);
  });
});

describe('Function: redactSecrets', () => {
  it('masks secret-named fields at any depth, whole', () => {
    // Prepare
    const value = {
      tenant: {
        id: 'acme',
        apiKeys: ['k-one', 'k-two'],
        limits: { tokensPerDay: 1_000_000 },
        nested: { credentials: { user: 'u', pass: 'p' }, password: 'hunter2' },
      },
      headers: { Authorization: 'Bearer abc.def', 'x-api-key': 'plain' },
      apiKeyEnv: 'GEMINI_API_KEY',
      tokenLimit: 4000,
    };

    // Act
    const out = redactSecrets(value);

    // Assess
    expect(out).toEqual({
      tenant: {
        id: 'acme',
        apiKeys: REDACTED,
        limits: { tokensPerDay: 1_000_000 },
        nested: { credentials: REDACTED, password: REDACTED },
      },
      headers: { Authorization: REDACTED, 'x-api-key': REDACTED },
      apiKeyEnv: 'GEMINI_API_KEY',
      tokenLimit: 4000,
    });
  });

  it('keeps numbers, booleans and null under secret names', () => {
    // Act & Assess
    expect(redactSecrets({ token: 12, secret: false, key: null })).toEqual({
      token: 12,
      secret: false,
      key: null,
    });
  });

  it.each([
    ['an OpenAI-style key', OPENAI_KEY],
    ['a Google API key', GOOGLE_KEY],
    ['an AWS access key id', AWS_KEY_ID],
    ['a JWT', JWT],
    ['long hex', HEX],
    ['long mixed base64', BASE64],
  ])('masks %s inside free text', (_label, secret) => {
    // Prepare
    const reason = `rotated ${secret} after the leak`;

    // Act
    const out = redactSecrets({ reason, list: [secret] }) as {
      reason: string;
      list: string[];
    };

    // Assess
    expect(out.reason).toBe(`rotated ${REDACTED} after the leak`);
    expect(out.list).toEqual([REDACTED]);
    expect(JSON.stringify(out)).not.toContain(secret);
  });

  it('keeps the scheme of a bearer credential', () => {
    // Act
    const out = redactSecrets('header was Bearer abcdefgh12345678');

    // Assess
    expect(out).toBe(`header was Bearer ${REDACTED}`);
  });

  it.each([
    'eu.anthropic.claude-sonnet-4-20250514-v1:0',
    'arn:aws:sts::123456789012:assumed-role/GatewayAdmin/alice',
    '3f2b8c1e-9d4a-4b6f-8e2d-1a3c5e7f9b0d',
    '/ai/kill-switches/prod/provider/openai-compatible',
    'kill switch model/claude-sonnet is on: gemini 5xx storm',
    'abcdefghijklmnopqrstuvwxyzabcdefghijklmnop',
  ])('leaves ordinary text alone: %s', (text) => {
    // Act & Assess
    expect(redactSecrets(text)).toBe(text);
  });

  it('returns JSON-safe data: dates, maps, sets, undefined, NaN, cycles', () => {
    // Prepare
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const shared = { n: 1 };
    const value = {
      at: new Date('2026-11-23T10:00:00.000Z'),
      map: new Map([['provider/gemini', { state: 'on' }]]),
      set: new Set(['a']),
      gone: undefined,
      nan: Number.NaN,
      big: 10n,
      list: [undefined, 1],
      cyclic,
      twice: [shared, shared],
    };

    // Act
    const out = redactSecrets(value);

    // Assess
    expect(out).toEqual({
      at: '2026-11-23T10:00:00.000Z',
      map: { 'provider/gemini': { state: 'on' } },
      set: ['a'],
      nan: null,
      big: '10',
      list: [null, 1],
      cyclic: { name: 'loop', self: '[circular]' },
      twice: [{ n: 1 }, { n: 1 }],
    });
  });

  it('does not modify its input', () => {
    // Prepare
    const value = { apiKey: OPENAI_KEY };

    // Act
    redactSecrets(value);

    // Assess
    expect(value.apiKey).toBe(OPENAI_KEY);
  });
});
