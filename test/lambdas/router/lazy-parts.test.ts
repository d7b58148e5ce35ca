import { randomUUID } from 'node:crypto';
import {
  ApplyGuardrailCommand,
  BedrockRuntimeClient,
} from '@aws-sdk/client-bedrock-runtime';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DynamoBudgetLedger } from '../../../lambdas/core/adapters/aws/dynamo-budget-ledger';
import { budgetLevels } from '../../../lambdas/core/budget/levels';
import { resolveConfig } from '../../../lambdas/core/config/load';
import { resolveGuardrailSettings } from '../../../lambdas/core/guardrails/config';
import { lazyLoad } from '../../../lambdas/core/lazy';
import { lazyAdapter } from '../../../lambdas/core/providers/lazy-adapter';
import {
  createAdapters,
  envCredentials,
} from '../../../lambdas/core/providers/registry';
import {
  budgetLedgerFor,
  lazyBedrockGuardrail,
  preloadLazyChunks,
} from '../../../lambdas/router/aws-deps';
import { useDynamoDbLocal } from '../../helpers/dynamodb-local';

/**
 * The parts of the AWS composition that load on first use (lazy chunks of
 * the router bundle): each works on its first call, through the import.
 */

const USD = 1_000_000_000;

describe('Function: lazyLoad', () => {
  it('loads once for concurrent callers and retries after a failure', async () => {
    // Prepare
    const load = jest
      .fn<Promise<string>, []>()
      .mockRejectedValueOnce(new Error('chunk missing'))
      .mockResolvedValue('module');
    const get = lazyLoad(load);

    // Act
    const failed = await get().catch((e: Error) => e.message);
    const [a, b] = await Promise.all([get(), get()]);

    // Assess
    expect(failed).toBe('chunk missing');
    expect([a, b]).toEqual(['module', 'module']);
    expect(load).toHaveBeenCalledTimes(2);
  });
});

describe('Function: budgetLedgerFor', () => {
  const ddb = useDynamoDbLocal();
  const base = resolveConfig({}, {});

  it('is the DynamoDB ledger itself without leasing', async () => {
    // Act
    const ledger = budgetLedgerFor('usage', ddb.documentClient(), base);

    // Assess
    expect(ledger).toBeInstanceOf(DynamoBudgetLedger);
  });

  it('leases slices from DynamoDB on the first reservation, through the lazily imported ledger', async () => {
    // Prepare
    const tableName = await ddb.createTable('lazy-lease');
    const client = ddb.documentClient();
    const config = {
      ...base,
      budgets: {
        ...base.budgets,
        lease: { ...base.budgets.lease, enabled: true },
      },
    };
    const ledger = budgetLedgerFor(tableName, client, config);
    const tenant = {
      id: `lazy-${randomUUID().slice(0, 6)}`,
      keyHashes: [],
      budgets: { dailyUsd: 1 },
      limits: {},
    };
    const levels = budgetLevels(tenant, undefined, Date.now());

    // Act
    const r = await ledger.reserve({
      id: 'r1',
      tenant: tenant.id,
      levels,
      amountNanos: 0.01 * USD,
      shutdownPct: 100,
      releaseAt: Date.now() + 60_000,
    });
    if (!r.ok) throw new Error('refused');
    await ledger.settle(r.reservation, 0.005 * USD);
    const listed = await ledger.list(tenant.id);
    const stored = await client.send(new ScanCommand({ TableName: tableName }));

    // Assess: a slice was leased (more than this one request) in the table
    expect(listed).toHaveLength(levels.length);
    const [level] = await new DynamoBudgetLedger({
      tableName,
      client,
    }).balances(levels);
    expect(level!.reservedNanos).toBeGreaterThan(0.01 * USD);
    expect(stored.Items?.length).toBeGreaterThan(0);
  });
});

describe('Function: lazyBedrockGuardrail', () => {
  const ssm = mockClient(SSMClient);
  const bedrock = mockClient(BedrockRuntimeClient);
  afterAll(() => {
    ssm.restore();
    bedrock.restore();
  });

  it('loads the Bedrock guardrail on its first check and applies it', async () => {
    // Prepare
    ssm.on(GetParametersByPathCommand).resolves({
      Parameters: [
        {
          Name: '/ai/guardrails/test/general',
          Value: JSON.stringify({ id: 'gr-general', version: '3' }),
        },
      ],
    });
    bedrock.on(ApplyGuardrailCommand).resolves({ action: 'NONE' });
    const guardrail = lazyBedrockGuardrail({
      parameterPrefix: '/ai/guardrails/test',
      settings: resolveGuardrailSettings(undefined),
      client: new BedrockRuntimeClient({ region: 'eu-central-1' }),
      awsSdkV3Client: new SSMClient({ region: 'eu-central-1' }),
    });

    // Act
    const results = await Promise.all([
      guardrail.check({
        stage: 'input',
        domain: 'general',
        texts: [{ text: 'question', kind: 'prompt' }],
      }),
      guardrail.check({
        stage: 'output',
        domain: 'general',
        texts: [{ text: 'answer', kind: 'prompt' }],
      }),
    ]);

    // Assess
    expect(guardrail.name).toBe('bedrock');
    expect(results).toEqual([{ verdict: 'allow' }, { verdict: 'allow' }]);
    expect(bedrock).toHaveReceivedCommandWith(ApplyGuardrailCommand, {
      guardrailIdentifier: 'gr-general',
      guardrailVersion: '3',
    });
  });
});

describe('Function: preloadLazyChunks', () => {
  it('loads the lazy chunks, and the lazily loaded adapters through them', async () => {
    // Prepare
    const config = resolveConfig(
      {
        providers: {
          gemini: { type: 'gemini' },
          llama: { type: 'openai-compatible' },
        },
      },
      { GEMINI_API_KEY: 'k', LLAMA_API_KEY: 'k' }
    );
    const adapters = createAdapters(config.providers, envCredentials({}));
    const loads = [...adapters.values()].map((a) =>
      jest.spyOn(a as ReturnType<typeof lazyAdapter>, 'load')
    );

    // Act
    const failed = await preloadLazyChunks(adapters);

    // Assess
    expect(failed).toEqual([]);
    expect(loads.length).toBeGreaterThanOrEqual(2);
    for (const load of loads) expect(load).toHaveBeenCalledTimes(1);
  });

  it('names what failed to load and never rejects', async () => {
    // Prepare
    const broken = lazyAdapter(
      'broken',
      'gemini',
      async () => {
        throw new Error('chunk missing');
      },
      { embeds: false }
    );

    // Act
    const failed = await preloadLazyChunks(new Map([['broken', broken]]));

    // Assess
    expect(failed).toEqual(['adapter:broken']);
  });
});
