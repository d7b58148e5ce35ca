import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DynamoAuditLog } from '../../../lambdas/core/adapters/aws/dynamo-audit-log';
import { DynamoModelRegistry } from '../../../lambdas/core/adapters/aws/dynamo-registry';
import { SsmKillSwitchStore } from '../../../lambdas/core/adapters/aws/ssm-kill-switches';
import { SsmRouteSetStore } from '../../../lambdas/core/adapters/aws/ssm-route-sets';
import { MemoryBanditStore } from '../../../lambdas/core/adapters/local/memory-bandit-store';
import { ControlPlane } from '../../../lambdas/core/control/control-plane';
import { validateScope } from '../../../lambdas/core/kill-switches/value';
import type { ModelStatus } from '../../../lambdas/core/registry/types';
import { DynamoRouteSetInspector } from '../../../lambdas/core/rollback/aws';
import { RollbackIncompleteError } from '../../../lambdas/core/rollback/errors';
import {
  AlarmRollback,
  type AlarmRollbackDeps,
} from '../../../lambdas/core/rollback/rollback';
import { LOCAL_AWS, useDynamoDbLocal } from '../../helpers/dynamodb-local';
import { recordingLog, versionInput } from '../registry/fixtures';
import { alarmEvent, fakeSsm } from './helpers';

const NOW = Date.parse('2026-03-02T10:20:00.000Z');
const MODEL = 'llama-maverick';
const ALARM = `ai-gateway-dev-model-${MODEL}-latency-p95`;
const REASON = `alarm ${ALARM} in ALARM`;
const KILL_PARAM = `/ai/kill-switches/dev/model/${MODEL}`;
const ROUTE_PARAM = '/ai/routing/dev/active-models';

describe('Class: AlarmRollback', () => {
  const ddb = useDynamoDbLocal();
  const ssmMock = mockClient(SSMClient);
  let doc: DynamoDBDocumentClient;
  let params: Map<string, string>;
  let registry: DynamoModelRegistry;
  let routeSets: SsmRouteSetStore;
  let audit: DynamoAuditLog;
  let registryTable: string;
  let notifications: { subject: string; message: string }[];

  beforeAll(() => {
    doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({ ...LOCAL_AWS, endpoint: ddb.endpoint() }),
      { marshallOptions: { removeUndefinedValues: true } }
    );
  });
  afterAll(() => {
    ssmMock.restore();
    doc.destroy();
  });
  beforeEach(async () => {
    ssmMock.reset();
    params = fakeSsm(ssmMock);
    notifications = [];
    registryTable = await ddb.createTable('rollback-registry');
    const auditTable = await ddb.createTable('rollback-audit');
    const ssm = new SSMClient({ region: 'eu-central-1' });
    const log = recordingLog();
    registry = new DynamoModelRegistry({
      tableName: registryTable,
      client: doc,
    });
    routeSets = new SsmRouteSetStore({
      env: 'dev',
      tableName: registryTable,
      client: doc,
      awsSdkV3Client: ssm,
      log,
    });
    audit = new DynamoAuditLog({ tableName: auditTable, client: doc });
  });

  function build(overrides: Partial<AlarmRollbackDeps> = {}): AlarmRollback {
    const log = recordingLog();
    const control = new ControlPlane({
      registry,
      routeSets,
      killSwitches: new SsmKillSwitchStore({
        env: 'dev',
        awsSdkV3Client: new SSMClient({ region: 'eu-central-1' }),
      }),
      audit,
      bandit: new MemoryBanditStore(),
      parseModelEntry: () => {
        throw new Error('not used');
      },
      validateScope,
      log,
    });
    return new AlarmRollback({
      control,
      routeSets: new DynamoRouteSetInspector({
        tableName: registryTable,
        client: doc,
      }),
      alarmTags: async () => ({}),
      notifier: {
        publish: async (subject, message) => {
          notifications.push({ subject, message });
        },
      },
      defaultRouteSet: 'active-models',
      dryRun: false,
      environment: 'dev',
      log,
      now: () => NOW,
      ...overrides,
    });
  }

  async function seedModel(status: ModelStatus): Promise<void> {
    await registry.putVersion(versionInput(MODEL, { status }), 0);
  }

  /** Stores one route-set version per list and activates them in order. */
  async function seedRouteSet(...versions: string[][]): Promise<void> {
    for (const [i, ids] of versions.entries()) {
      await routeSets.put(
        { name: 'active-models', models: ids.map((id) => ({ id })) },
        i
      );
      await routeSets.activate('active-models', i + 1, 'ops');
    }
  }

  it('engages the kill switch, stops the canary and rolls the route set back, auditing each change', async () => {
    // Prepare
    await seedModel('canary');
    await seedRouteSet(['claude-sonnet'], ['claude-sonnet', MODEL]);

    // Act
    const result = await build().handle(alarmEvent({ model: MODEL }), {
      requestId: 'req-1',
    });

    // Assess
    expect(result).toMatchObject({
      status: 'applied',
      dryRun: false,
      models: [MODEL],
      routeSet: 'active-models',
      notified: true,
    });
    expect(result.actions.map((a) => [a.kind, a.outcome, a.detail])).toEqual([
      ['kill-switch', 'done', 'engaged'],
      ['stop-canary', 'done', 'v1 canary -> v2 shadow'],
      ['route-set-rollback', 'done', 'v2 -> v1'],
    ]);
    expect(JSON.parse(params.get(KILL_PARAM)!)).toMatchObject({
      state: 'on',
      reason: REASON,
      by: 'rollback-lambda',
    });
    expect(JSON.parse(params.get(ROUTE_PARAM)!)).toMatchObject({
      version: 1,
      models: [{ id: 'claude-sonnet' }],
    });
    expect((await registry.history(MODEL))[0]!.config.status).toBe('shadow');
    const records = await audit.list({ limit: 10 });
    expect(records.map((r) => r.what).sort()).toEqual(
      [
        'kill-switch.set',
        'model.status',
        'rollback.alarm',
        'route-set.rollback',
      ].sort()
    );
    for (const r of records)
      expect(r).toMatchObject({
        who: 'rollback-lambda',
        reason: REASON,
        requestId: 'req-1',
      });
    expect(records.find((r) => r.what === 'rollback.alarm')).toMatchObject({
      target: `alarm/${ALARM}`,
      after: expect.objectContaining({
        status: 'applied',
        stateTimestamp: '2026-03-02T10:15:40.985Z',
      }),
    });
    expect(notifications).toHaveLength(1);
    expect(notifications[0]!.subject).toBe(
      `[ai-gateway dev] rollback applied: ${ALARM}`
    );
    expect(notifications[0]!.message).toContain(
      '  - [done] route-set-rollback route-set/active-models: v2 -> v1'
    );
    expect(notifications[0]!.message).toContain(
      `  - experiment model/${MODEL}: no experiments backend configured: nothing to stop`
    );
  });

  it('changes nothing in dry run (environment or event flag), but publishes the plan', async () => {
    // Prepare
    await seedModel('canary');
    await seedRouteSet(['claude-sonnet'], ['claude-sonnet', MODEL]);
    const routeBefore = params.get(ROUTE_PARAM);
    ssmMock.resetHistory();

    // Act
    const byEnv = await build({ dryRun: true }).handle(
      alarmEvent({ model: MODEL })
    );
    const byFlag = await build().handle(
      alarmEvent({ model: MODEL, dryRun: true })
    );

    // Assess
    for (const result of [byEnv, byFlag]) {
      expect(result.status).toBe('dry-run');
      expect(result.actions.map((a) => [a.kind, a.outcome, a.detail])).toEqual([
        ['kill-switch', 'planned', 'would engage'],
        ['stop-canary', 'planned', 'would move v1 from canary to shadow'],
        ['route-set-rollback', 'planned', 'would roll back v2 -> v1'],
      ]);
    }
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
    expect(params.get(KILL_PARAM)).toBeUndefined();
    expect(params.get(ROUTE_PARAM)).toBe(routeBefore);
    expect((await registry.history(MODEL)).map((v) => v.config.status)).toEqual(
      ['canary']
    );
    expect(await audit.list()).toEqual([]);
    expect(notifications.map((n) => n.subject)).toEqual([
      `[ai-gateway dev] rollback DRY RUN: ${ALARM}`,
      `[ai-gateway dev] rollback DRY RUN: ${ALARM}`,
    ]);
    expect(notifications[0]!.message).toContain('DRY RUN: nothing was changed');
  });

  it('engages the kill switch when the route set has no earlier version or none at all', async () => {
    // Prepare
    await seedModel('active');
    await seedRouteSet([MODEL]);

    // Act
    const single = await build().handle(alarmEvent({ model: MODEL }));

    // Assess
    expect(single.status).toBe('applied');
    expect(single.actions.map((a) => a.kind)).toEqual(['kill-switch']);
    expect(single.skipped).toContainEqual({
      kind: 'route-set-rollback',
      target: 'route-set/active-models',
      why: 'no earlier activation than v1 to roll back to',
    });

    // Act: a route set that never existed
    const other = await build({ defaultRouteSet: 'never-made' }).handle(
      alarmEvent({ model: 'gemini-flash', name: 'other-alarm' })
    );

    // Assess
    expect(other.actions.map((a) => a.kind)).toEqual(['kill-switch']);
    expect(other.skipped).toContainEqual(
      expect.objectContaining({
        target: 'route-set/never-made',
        why: 'never activated: nothing to roll back',
      })
    );
    expect(other.skipped).toContainEqual(
      expect.objectContaining({
        kind: 'stop-canary',
        why: 'not in the registry',
      })
    );
  });

  it('does not act twice when the same alarm is delivered again without replay protection', async () => {
    // Prepare
    await seedModel('active');
    await seedRouteSet(
      ['claude-sonnet'],
      ['claude-sonnet', 'gemini-flash'],
      ['claude-sonnet', MODEL]
    );
    const rollback = build();
    // The alarm fired a minute before the rollback activated the old version.
    const timestamp = new Date(Date.now() - 60_000)
      .toISOString()
      .replace('Z', '+0000');
    await rollback.handle(alarmEvent({ model: MODEL, timestamp }));

    // Act
    const again = await rollback.handle(
      alarmEvent({ model: MODEL, timestamp })
    );

    // Assess
    expect(again.status).toBe('recorded');
    expect(again.actions).toEqual([]);
    expect(again.skipped).toEqual(
      expect.arrayContaining([
        {
          kind: 'kill-switch',
          target: `model/${MODEL}`,
          why: 'already engaged',
        },
        {
          kind: 'route-set-rollback',
          target: 'route-set/active-models',
          why: 'already rolled back to v2 for this alarm',
        },
      ])
    );
    expect(JSON.parse(params.get(ROUTE_PARAM)!).version).toBe(2);
  });

  it('finds the model from the alarm tag and the route set from its tag', async () => {
    // Prepare
    await seedModel('active');
    await routeSets.put(
      { name: 'legal', models: [{ id: 'claude-sonnet' }] },
      0
    );
    await routeSets.activate('legal', 1, 'ops');
    await routeSets.put(
      {
        name: 'legal',
        models: [{ id: 'claude-sonnet' }, { id: 'gemini-flash' }],
      },
      1
    );
    await routeSets.activate('legal', 2, 'ops');

    // Act
    const result = await build({
      alarmTags: async () => ({
        'ai-gateway:model': MODEL,
        'ai-gateway:route-set': 'legal',
      }),
    }).handle(alarmEvent({ name: 'legal-latency' }));

    // Assess
    expect(result.actions.map((a) => [a.kind, a.target, a.detail])).toEqual([
      ['kill-switch', `model/${MODEL}`, 'engaged'],
      ['route-set-rollback', 'route-set/legal', 'v2 -> v1'],
    ]);
    expect(JSON.parse(params.get('/ai/routing/dev/legal')!).version).toBe(1);
  });

  it('only records a gateway-wide alarm', async () => {
    // Prepare
    await seedRouteSet(['claude-sonnet'], ['claude-sonnet', MODEL]);
    ssmMock.resetHistory();

    // Act
    const result = await build().handle(alarmEvent());

    // Assess
    expect(result).toMatchObject({
      status: 'recorded',
      models: [],
      actions: [],
    });
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
    const records = await audit.list();
    expect(records.map((r) => r.what)).toEqual(['rollback.alarm']);
    expect(notifications[0]!.message).toMatch(
      /gateway-wide alarm: .*recorded only/
    );
  });

  it('ignores transitions other than ALARM', async () => {
    // Act
    const result = await build().handle(
      alarmEvent({ model: MODEL, state: 'OK' })
    );

    // Assess
    expect(result).toMatchObject({
      status: 'ignored',
      state: 'OK',
      actions: [],
    });
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
    expect(await audit.list()).toEqual([]);
    expect(notifications).toEqual([]);
  });

  it('engages the kill switch even when the registry cannot be read, then fails for a retry', async () => {
    // Prepare
    await seedModel('canary');
    const real = registry;
    registry = Object.assign(Object.create(real) as DynamoModelRegistry, {
      history: async () => {
        throw new Error('ProvisionedThroughputExceededException');
      },
    });

    // Act
    const run = build().handle(alarmEvent({ model: MODEL }));

    // Assess
    await expect(run).rejects.toThrow(
      `rollback for alarm ${ALARM} is incomplete: model/${MODEL}: could not read the registry: Error: ProvisionedThroughputExceededException`
    );
    expect(JSON.parse(params.get(KILL_PARAM)!)).toMatchObject({ state: 'on' });
    expect((await real.history(MODEL))[0]!.config.status).toBe('canary');
  });

  it('applies and reports what it can, then fails so the event is retried', async () => {
    // Prepare
    await seedModel('active');
    await seedRouteSet(['claude-sonnet'], ['claude-sonnet', MODEL]);
    ssmMock
      .on(PutParameterCommand, { Name: KILL_PARAM })
      .rejects(new Error('ThrottlingException: Rate exceeded'));

    // Act
    const run = build().handle(alarmEvent({ model: MODEL }));

    // Assess
    await expect(run).rejects.toThrow(RollbackIncompleteError);
    await expect(run).rejects.toThrow(
      `rollback for alarm ${ALARM} is incomplete: kill-switch model/${MODEL}: KillSwitchStoreError: could not write kill switch model/${MODEL}`
    );
    expect(JSON.parse(params.get(ROUTE_PARAM)!).version).toBe(1);
    const summary = (await audit.list()).find(
      (r) => r.what === 'rollback.alarm'
    );
    expect(summary?.after).toMatchObject({ status: 'partial' });
    expect(notifications[0]!.subject).toBe(
      `[ai-gateway dev] rollback INCOMPLETE: ${ALARM}`
    );
  });
});
