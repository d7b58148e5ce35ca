import { DynamoModelRegistry } from '../../../lambdas/core/adapters/aws/dynamo-registry';
import {
  registryEntryOf,
  validateRegistryFile,
} from '../../../lambdas/core/registry/schema';
import { versionInput } from '../../core/registry/fixtures';
import { useDynamoDbLocal } from '../../helpers/dynamodb-local';

const ddb = useDynamoDbLocal();

describe('Registry: structured output capability and mode', () => {
  it('keeps structuredOutput and the new capabilities through DynamoDB', async () => {
    // Prepare
    const registry = new DynamoModelRegistry({
      tableName: await ddb.createTable('structured'),
      client: ddb.documentClient(),
    });

    // Act
    await registry.putVersion(
      versionInput('claude', {
        capabilities: ['tools', 'streaming', 'structured_output', 'reasoning'],
        structuredOutput: 'native',
      }),
      0
    );
    await registry.putVersion(versionInput('nova'), 0);
    const latest = await registry.history('claude');
    const plain = await registry.history('nova');

    // Assess
    expect(latest[0]!.config.structuredOutput).toBe('native');
    expect(latest[0]!.config.capabilities).toEqual([
      'tools',
      'streaming',
      'structured_output',
      'reasoning',
    ]);
    // Absent stays absent (the tool path is the default).
    expect(plain[0]!.config).not.toHaveProperty('structuredOutput');
  });

  it('validates the mode in a registry file and round-trips it', () => {
    // Prepare
    const entry = {
      id: 'claude',
      provider: 'bedrock',
      providerModelId: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
      capabilities: ['structured_output'],
      structuredOutput: 'native',
    };

    // Act
    const ok = validateRegistryFile({ models: [entry] });
    const bad = validateRegistryFile({
      models: [{ ...entry, structuredOutput: 'prompt' }],
    });

    // Assess
    expect(ok.ok).toBe(true);
    if (ok.ok)
      expect(registryEntryOf(ok.value[0]!).structuredOutput).toBe('native');
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.problems[0]).toMatch(/^models\[0\]\.structuredOutput:/);
  });
});
