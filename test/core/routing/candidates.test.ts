import {
  estimateContextPromptTokens,
  filterCandidates,
} from '../../../lambdas/core/routing/candidates';
import type { ExternalExclusion } from '../../../lambdas/core/routing/types';
import {
  estimatePromptTokens,
  promptChars,
} from '../../../lambdas/core/tokens';
import type { ChatRequest } from '../../../lambdas/core/types';
import { makeContext, makeModel } from './fixtures';

describe('Function: estimateContextPromptTokens', () => {
  it('matches estimatePromptTokens on a real request for every family', () => {
    // Prepare
    const request: ChatRequest = {
      model: 'auto',
      messages: [
        { role: 'system', content: 'You are a careful legal assistant.' },
        {
          role: 'user',
          content: 'Summarise the attached contract. '.repeat(40),
        },
        { role: 'assistant', content: 'Sure.' },
      ],
      stream: false,
      includeUsage: false,
      routing: {},
    };
    const ctx = { promptChars: promptChars(request), messageCount: 3 };

    // Act & Assess
    for (const type of ['bedrock', 'gemini', 'openai-compatible'] as const) {
      expect(estimateContextPromptTokens(ctx, type)).toBe(
        estimatePromptTokens(request, type)
      );
    }
  });
});

describe('Function: filterCandidates', () => {
  it('keeps every model when nothing rules it out', () => {
    // Prepare
    const models = [makeModel('a'), makeModel('b', { status: 'canary' })];

    // Act
    const result = filterCandidates(models, makeContext());

    // Assess
    expect(result.eligible.map((m) => m.id)).toEqual(['a', 'b']);
    expect(result.excluded).toEqual([]);
  });

  it('excludes models outside the requested model group', () => {
    // Prepare
    const models = [makeModel('a'), makeModel('b')];
    const ctx = makeContext({
      model: { kind: 'named', name: 'fast', modelIds: ['a'] },
    });

    // Act
    const result = filterCandidates(models, ctx);

    // Assess
    expect(result.eligible.map((m) => m.id)).toEqual(['a']);
    expect(result.excluded).toEqual([
      {
        modelId: 'b',
        code: 'not_requested',
        reason: 'not requested: fast resolves to a',
      },
    ]);
  });

  it('excludes deprecated and shadow models but routes canaries', () => {
    // Prepare
    const models = [
      makeModel('old', { status: 'deprecated' }),
      makeModel('shadow', { status: 'shadow' }),
      makeModel('canary', { status: 'canary' }),
    ];

    // Act
    const result = filterCandidates(models, makeContext());

    // Assess
    expect(result.eligible.map((m) => m.id)).toEqual(['canary']);
    expect(result.excluded).toEqual([
      {
        modelId: 'old',
        code: 'status',
        reason: 'status deprecated is not routable',
      },
      {
        modelId: 'shadow',
        code: 'status',
        reason: 'status shadow is not routable',
      },
    ]);
  });

  it('applies the tenant allowlist by id or alias', () => {
    // Prepare
    const models = [
      makeModel('a'),
      makeModel('b', { aliases: ['b-latest'] }),
      makeModel('c'),
    ];
    const ctx = makeContext({ allowedModels: ['a', 'b-latest'] });

    // Act
    const result = filterCandidates(models, ctx);

    // Assess
    expect(result.eligible.map((m) => m.id)).toEqual(['a', 'b']);
    expect(result.excluded).toEqual([
      {
        modelId: 'c',
        code: 'tenant_not_allowed',
        reason: 'model c is not in the tenant allowlist',
      },
    ]);
  });

  it('keeps only the requested providers, by instance id or family', () => {
    // Prepare
    const models = [
      makeModel('a', { provider: 'bedrock-eu', providerType: 'bedrock' }),
      makeModel('b', { provider: 'gemini', providerType: 'gemini' }),
      makeModel('c', {
        provider: 'llama-api',
        providerType: 'openai-compatible',
      }),
    ];
    const ctx = makeContext({ providers: ['bedrock', 'llama-api'] });

    // Act
    const result = filterCandidates(models, ctx);

    // Assess
    expect(result.eligible.map((m) => m.id)).toEqual(['a', 'c']);
    expect(result.excluded).toEqual([
      {
        modelId: 'b',
        code: 'provider_not_requested',
        reason: 'provider gemini not in requested providers bedrock, llama-api',
      },
    ]);
  });

  it('requires an eu model for eu residency and nothing otherwise', () => {
    // Prepare
    const models = [
      makeModel('eu', { region: 'EU' }),
      makeModel('us', { region: 'us' }),
    ];

    // Act
    const eu = filterCandidates(models, makeContext({ region: 'eu' }));
    const any = filterCandidates(models, makeContext({ region: 'any' }));

    // Assess
    expect(eu.eligible.map((m) => m.id)).toEqual(['eu']);
    expect(eu.excluded).toEqual([
      {
        modelId: 'us',
        code: 'region',
        reason: 'region us does not meet eu residency',
      },
    ]);
    expect(any.eligible).toHaveLength(2);
  });

  it('requires the tools capability when the request has tools', () => {
    // Prepare
    const models = [
      makeModel('tools'),
      makeModel('plain', { capabilities: ['streaming'] }),
    ];

    // Act
    const result = filterCandidates(models, makeContext({ needsTools: true }));

    // Assess
    expect(result.eligible.map((m) => m.id)).toEqual(['tools']);
    expect(result.excluded).toEqual([
      {
        modelId: 'plain',
        code: 'capability_tools',
        reason: 'no tools capability (has: streaming)',
      },
    ]);
  });

  it('requires the streaming capability when the request streams', () => {
    // Prepare
    const models = [
      makeModel('stream'),
      makeModel('batch', { capabilities: [] }),
    ];

    // Act
    const result = filterCandidates(
      models,
      makeContext({ needsStreaming: true })
    );

    // Assess
    expect(result.eligible.map((m) => m.id)).toEqual(['stream']);
    expect(result.excluded).toEqual([
      {
        modelId: 'batch',
        code: 'capability_streaming',
        reason: 'no streaming capability (has: none)',
      },
    ]);
  });

  it('excludes models whose window cannot hold the estimated prompt', () => {
    // Prepare: 33,222 chars at 3.5 chars/token (Bedrock) = 9,492 + 2 * 4 framing
    const ctx = makeContext({ promptChars: 33_222, messageCount: 2 });
    const models = [
      makeModel('small', { contextWindow: 8192 }),
      makeModel('large', { contextWindow: 32_768 }),
    ];

    // Act
    const result = filterCandidates(models, ctx);

    // Assess
    expect(result.eligible.map((m) => m.id)).toEqual(['large']);
    expect(result.excluded).toEqual([
      {
        modelId: 'small',
        code: 'context_window',
        reason: 'context window 8192 < estimated 9500 tokens',
      },
    ]);
  });

  it('estimates tokens per provider family', () => {
    // Prepare: 9,500 tokens for Bedrock (3.5 chars/token), 8,314 for Gemini (4)
    const ctx = makeContext({ promptChars: 33_222, messageCount: 2 });
    const models = [
      makeModel('bedrock', { contextWindow: 9000 }),
      makeModel('gemini', {
        provider: 'gemini',
        providerType: 'gemini',
        contextWindow: 9000,
      }),
    ];

    // Act
    const result = filterCandidates(models, ctx);

    // Assess
    expect(result.eligible.map((m) => m.id)).toEqual(['gemini']);
    expect(result.excluded.map((e) => e.modelId)).toEqual(['bedrock']);
  });

  it('counts the requested completion in the window, with an exact fit allowed', () => {
    // Prepare: 400 chars / 3.5 -> 115 + 2 * 4 = 123 prompt tokens
    const model = makeModel('m', { contextWindow: 1000 });

    // Act
    const fits = filterCandidates(
      [model],
      makeContext({ maxOutputTokens: 877 })
    );
    const over = filterCandidates(
      [model],
      makeContext({ maxOutputTokens: 878 })
    );

    // Assess
    expect(fits.eligible).toHaveLength(1);
    expect(over.excluded).toEqual([
      {
        modelId: 'm',
        code: 'context_window',
        reason: 'context window 1000 < estimated 1001 tokens',
      },
    ]);
  });

  it('applies external exclusions last, with their code and reason', () => {
    // Prepare
    const models = [
      makeModel('killed'),
      makeModel('open'),
      makeModel('down'),
      makeModel('ok'),
    ];
    const external = new Map<string, ExternalExclusion>([
      [
        'killed',
        { code: 'kill_switch', reason: 'kill switch model/killed is on' },
      ],
      [
        'open',
        { code: 'circuit_open', reason: 'circuit open after 5 failures' },
      ],
      [
        'down',
        { code: 'provider_unavailable', reason: 'provider bedrock disabled' },
      ],
    ]);

    // Act
    const result = filterCandidates(models, makeContext(), external);

    // Assess
    expect(result.eligible.map((m) => m.id)).toEqual(['ok']);
    expect(result.excluded).toEqual([
      {
        modelId: 'killed',
        code: 'kill_switch',
        reason: 'kill switch model/killed is on',
      },
      {
        modelId: 'open',
        code: 'circuit_open',
        reason: 'circuit open after 5 failures',
      },
      {
        modelId: 'down',
        code: 'provider_unavailable',
        reason: 'provider bedrock disabled',
      },
    ]);
  });

  it('reports only the first failing rule, in rule order', () => {
    // Prepare: fails status, region, tools, window and external at once
    const model = makeModel('bad', {
      status: 'deprecated',
      region: 'us',
      capabilities: [],
      contextWindow: 10,
    });
    const ctx = makeContext({ region: 'eu', needsTools: true });
    const external = new Map<string, ExternalExclusion>([
      ['bad', { code: 'kill_switch', reason: 'on' }],
    ]);

    // Act
    const statusFirst = filterCandidates([model], ctx, external);
    const regionNext = filterCandidates(
      [{ ...model, status: 'active' }],
      ctx,
      external
    );

    // Assess
    expect(statusFirst.excluded.map((e) => e.code)).toEqual(['status']);
    expect(regionNext.excluded.map((e) => e.code)).toEqual(['region']);
  });
});
