import { ConfigError, resolveConfig } from '../../../lambdas/core/config/load';
import {
  profileFor,
  resolveGuardrailSettings,
} from '../../../lambdas/core/guardrails/config';

const base = {
  providers: { echo: { type: 'echo' } },
  models: [{ id: 'echo', provider: 'echo', providerModelId: 'echo' }],
  tenants: [{ id: 't', apiKeys: ['sk-guard-config-test-01'] }],
};

describe('Module: guardrails/config', () => {
  describe('Function: resolveGuardrailSettings', () => {
    it('gives every domain a profile: its own or default', () => {
      // Act
      const s = resolveGuardrailSettings(undefined);
      // Assess
      expect(s.enabled).toBe(true);
      expect(profileFor(s, 'general').name).toBe('default');
      expect(profileFor(s, 'code').name).toBe('default');
      expect(profileFor(s, 'legal').name).toBe('legal');
      expect(profileFor(s, 'general').failMode).toBe('open');
      expect(profileFor(s, 'legal').failMode).toBe('closed');
      expect(profileFor(s, 'medical').failMode).toBe('closed');
      expect(profileFor(s, 'general').pii).toEqual({
        email: 'anonymize',
        phone: 'anonymize',
        ip: 'anonymize',
        iban: 'block',
        card: 'block',
      });
      expect(profileFor(s, 'legal').bedrockGuardrail).toBe('legal');
      expect(profileFor(s, 'code').bedrockGuardrail).toBe('general');
      expect(
        profileFor(s, 'medical').safetySettings.HARM_CATEGORY_DANGEROUS_CONTENT
      ).toBe('BLOCK_MEDIUM_AND_ABOVE');
    });

    it('layers built-in, file default and file domain profiles field by field', () => {
      // Act
      const s = resolveGuardrailSettings({
        profiles: {
          default: { failMode: 'closed', timeoutMs: 800, blockWords: ['x1'] },
          legal: { pii: { email: 'block' }, output: { windowChars: 64 } },
          code: { failMode: 'open', input: { blockWords: ['rm -rf'] } },
        },
      });
      // Assess
      const legal = profileFor(s, 'legal');
      expect(legal.timeoutMs).toBe(800);
      expect(legal.pii.email).toBe('block');
      expect(legal.pii.phone).toBe('anonymize');
      expect(legal.output.windowChars).toBe(64);
      expect(legal.input.blockWords).toEqual(['x1']);
      expect(profileFor(s, 'general').failMode).toBe('closed');
      const code = profileFor(s, 'code');
      expect(code.failMode).toBe('open');
      expect(code.input.blockWords).toEqual(['x1', 'rm -rf']);
      expect(code.output.blockWords).toEqual(['x1']);
    });

    it('keeps legal and medical closed when the shared default says open', () => {
      const s = resolveGuardrailSettings({
        profiles: { default: { failMode: 'open' } },
      });
      expect(profileFor(s, 'legal').failMode).toBe('closed');
      expect(profileFor(s, 'medical').failMode).toBe('closed');
    });
  });

  describe('Schema: guardrails section', () => {
    it('fails when legal or medical is configured to fail open', () => {
      expect(() =>
        resolveConfig(
          {
            ...base,
            guardrails: { profiles: { medical: { failMode: 'open' } } },
          },
          {},
          'test'
        )
      ).toThrow(/guardrails\.profiles\.medical\.failMode.*fails closed/);
    });

    it('fails on a block pattern that is not a regular expression', () => {
      expect(() =>
        resolveConfig(
          {
            ...base,
            guardrails: { profiles: { default: { blockPatterns: ['(a'] } } },
          },
          {},
          'test'
        )
      ).toThrow(ConfigError);
    });

    it('fails on an unknown Gemini threshold', () => {
      expect(() =>
        resolveConfig(
          {
            ...base,
            guardrails: {
              profiles: {
                default: {
                  safetySettings: { HARM_CATEGORY_HATE_SPEECH: 'BLOCK_ALL' },
                },
              },
            },
          },
          {},
          'test'
        )
      ).toThrow(ConfigError);
    });
  });
});
