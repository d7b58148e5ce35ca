import { filterCandidates } from '../../../lambdas/core/routing/candidates';
import { makeContext, makeModel } from './fixtures';

describe('Function: filterCandidates (structured outputs and reasoning)', () => {
  const plain = makeModel('plain');
  const jsonMode = makeModel('json-mode', {
    capabilities: ['tools', 'streaming', 'json_mode'],
  });
  const structured = makeModel('structured', {
    capabilities: ['tools', 'streaming', 'structured_output'],
  });
  const thinker = makeModel('thinker', {
    capabilities: ['tools', 'streaming', 'reasoning'],
  });
  const models = [plain, jsonMode, structured, thinker];

  it('keeps only structured_output models for json_schema, with the reason code', () => {
    // Act
    const set = filterCandidates(
      models,
      makeContext({ responseFormat: 'json_schema' })
    );

    // Assess
    expect(set.eligible.map((m) => m.id)).toEqual(['structured']);
    expect(set.excluded).toContainEqual({
      modelId: 'json-mode',
      code: 'capability_structured_output',
      reason:
        'response_format json_schema needs the structured_output capability (has: tools, streaming, json_mode)',
    });
  });

  it('accepts json_mode or structured_output models for json_object', () => {
    // Act
    const set = filterCandidates(
      models,
      makeContext({ responseFormat: 'json_object' })
    );

    // Assess
    expect(set.eligible.map((m) => m.id)).toEqual(['json-mode', 'structured']);
    expect(set.excluded.map((e) => e.code)).toEqual([
      'capability_structured_output',
      'capability_structured_output',
    ]);
  });

  it('keeps only reasoning models when reasoning is needed', () => {
    // Act
    const set = filterCandidates(models, makeContext({ needsReasoning: true }));

    // Assess
    expect(set.eligible.map((m) => m.id)).toEqual(['thinker']);
    expect(set.excluded[0]).toEqual({
      modelId: 'plain',
      code: 'capability_reasoning',
      reason:
        'reasoning_effort needs the reasoning capability (has: tools, streaming)',
    });
  });

  it('excludes nothing for a request without these needs', () => {
    // Act
    const set = filterCandidates(models, makeContext());

    // Assess
    expect(set.eligible).toHaveLength(4);
  });
});
