import { filterCandidates } from '../../../lambdas/core/routing/candidates';
import { makeContext, makeModel } from './fixtures';

describe('Function: filterCandidates (embeddings)', () => {
  const chat = makeModel('chat');
  const embed = makeModel('embed', { capabilities: ['embeddings'] });
  const models = [chat, embed];

  it('never offers an embedding model to a chat request', () => {
    // Act
    const set = filterCandidates(models, makeContext());

    // Assess
    expect(set.eligible.map((m) => m.id)).toEqual(['chat']);
    expect(set.excluded).toEqual([
      {
        modelId: 'embed',
        code: 'capability_embeddings',
        reason: 'embedding model: serves /v1/embeddings only',
      },
    ]);
  });

  it('offers only embedding models to an embeddings request', () => {
    // Act
    const set = filterCandidates(
      models,
      makeContext({ endpoint: 'embeddings', needsStreaming: false })
    );

    // Assess
    expect(set.eligible.map((m) => m.id)).toEqual(['embed']);
    expect(set.excluded).toEqual([
      {
        modelId: 'chat',
        code: 'capability_embeddings',
        reason: 'not an embedding model (has: tools, streaming)',
      },
    ]);
  });
});
