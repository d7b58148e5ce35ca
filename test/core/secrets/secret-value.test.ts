import { RotationConfigError } from '../../../lambdas/core/secrets/errors';
import {
  normaliseStagedValue,
  parseApiKeyValue,
  parseServiceAccountKey,
} from '../../../lambdas/core/secrets/secret-value';

describe('Function: parseApiKeyValue', () => {
  it('reads the JSON shape and keeps the other fields', () => {
    // Act
    const value = parseApiKeyValue(
      '{"apiKey":"k1","baseUrl":"https://api.example/v1","org":"o"}',
      'v'
    );

    // Assess
    expect(value).toEqual({
      apiKey: 'k1',
      baseUrl: 'https://api.example/v1',
      org: 'o',
    });
  });

  it('reads a bare key, trimmed', () => {
    // Act & Assess
    expect(parseApiKeyValue('  sk-bare \n', 'v')).toEqual({
      apiKey: 'sk-bare',
    });
  });

  it('refuses JSON without a key, a non-string baseUrl and broken JSON, without echoing the value', () => {
    // Act & Assess
    for (const raw of [
      '{"key":"sk-secret-1"}',
      '{"apiKey":"sk-secret-1","baseUrl":7}',
      '{"apiKey":"sk-secret-1"',
      '   ',
    ]) {
      let caught: unknown;
      try {
        parseApiKeyValue(raw, 'staged value');
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(RotationConfigError);
      expect((caught as Error).message).toMatch(/^staged value: /);
      expect((caught as Error).message).not.toContain('sk-secret-1');
    }
  });
});

describe('Function: normaliseStagedValue', () => {
  it('stores a bare key as {"apiKey"} and keeps a JSON value', () => {
    // Act & Assess
    expect(normaliseStagedValue('sk-new')).toBe('{"apiKey":"sk-new"}');
    expect(
      normaliseStagedValue('{"apiKey":"sk-new","baseUrl":"http://h/v1"}')
    ).toBe('{"apiKey":"sk-new","baseUrl":"http://h/v1"}');
  });
});

describe('Function: parseServiceAccountKey', () => {
  it('recognises a key file and nothing else', () => {
    // Prepare
    const file = {
      type: 'service_account',
      private_key_id: 'abc',
      private_key: '-----BEGIN PRIVATE KEY-----\n...',
      client_email: 'sa@p.iam.gserviceaccount.com',
    };

    // Act & Assess
    expect(parseServiceAccountKey(JSON.stringify(file))).toEqual(file);
    expect(
      parseServiceAccountKey(
        JSON.stringify({ ...file, type: 'authorized_user' })
      )
    ).toBeUndefined();
    expect(
      parseServiceAccountKey(JSON.stringify({ ...file, private_key_id: '' }))
    ).toBeUndefined();
    expect(parseServiceAccountKey('{"apiKey":"k"}')).toBeUndefined();
    expect(parseServiceAccountKey('AIza-bare')).toBeUndefined();
  });
});
