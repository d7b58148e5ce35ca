import { contextKey } from '../../../lambdas/core/routing/context-key';

describe('Function: contextKey', () => {
  it('joins domain, budget tier and tools with pipes', () => {
    // Act
    const key = contextKey('legal', 'premium', true);

    // Assess
    expect(key).toBe('legal|premium|true');
    expect(contextKey('general', 'low', false)).toBe('general|low|false');
  });

  it('keeps the key parseable when the domain contains a pipe', () => {
    // Act
    const key = contextKey('a|b', 'standard', false);

    // Assess
    expect(key).toBe('a_b|standard|false');
    expect(key.split('|')).toHaveLength(3);
  });
});
