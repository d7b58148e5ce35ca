import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  BANDIT_PK_PREFIX,
  DynamoLearningStore,
  LATENCY_PK,
  LEARNING_META_PK,
} from '../../../lambdas/core/adapters/aws/dynamo-learning-store';
import { MemoryAuditLog } from '../../../lambdas/core/adapters/local/jsonl-audit-log';
import type { ControlPlaneDeps } from '../../../lambdas/core/control/control-plane';
import { ControlPlane } from '../../../lambdas/core/control/control-plane';
import {
  DEFAULT_LEARNING_SETTINGS,
  type LearningSettings,
} from '../../../lambdas/core/learning/config';
import type { Log } from '../../../lambdas/core/ports';
import { useDynamoDbLocal } from '../../helpers/dynamodb-local';

const ddb = useDynamoDbLocal();
const CTX = 'legal|premium|false';
const OTHER = 'code|low|true';
const T0 = Date.parse('2026-12-03T08:00:00.000Z');

describe('Class: DynamoLearningStore (DynamoDB Local)', () => {
  let tableName: string;
  let t: number;
  const clock = () => t;
  const settings: LearningSettings = {
    ...DEFAULT_LEARNING_SETTINGS,
    // Cold calls count fully here: the test is about sharing, not discounting.
    latency: { ...DEFAULT_LEARNING_SETTINGS.latency, coldWeight: 1 },
  };
  const store = () =>
    new DynamoLearningStore({
      tableName,
      client: ddb.documentClient(),
      settings,
      now: clock,
    });

  beforeEach(async () => {
    tableName = await ddb.createTable('learning');
    t = T0;
  });

  it("lets B see A's updates after A flushes and B refreshes", async () => {
    // Prepare
    const a = store();
    const b = store();
    for (let i = 0; i < 6; i++) a.bandit.update(CTX, 'claude', 1);
    a.bandit.update(CTX, 'nova', 0);
    for (let i = 0; i < 5; i++) a.latency.observe('claude', 300);

    // Act
    const beforeSync = b.bandit.get(CTX, 'claude');
    await a.flush();
    await b.refresh();

    // Assess
    expect(beforeSync).toEqual({ alpha: 1, beta: 1 });
    const claude = b.bandit.get(CTX, 'claude');
    expect(claude.alpha).toBeCloseTo(7, 9);
    expect(claude.beta).toBeCloseTo(1, 9);
    expect(b.bandit.get(CTX, 'nova').beta).toBeCloseTo(2, 9);
    expect(b.latency.estimate('claude')).toBeCloseTo(300, 6);
    expect(b.latency.count('claude')).toBe(5);
    // A counts its own deltas exactly once, before and after its own refresh.
    expect(a.bandit.get(CTX, 'claude').alpha).toBeCloseTo(7, 9);
    await a.refresh();
    expect(a.bandit.get(CTX, 'claude').alpha).toBeCloseTo(7, 9);
  });

  it('adds concurrent updates from both instances (atomic ADD, nothing lost)', async () => {
    // Prepare
    const a = store();
    const b = store();
    for (let i = 0; i < 10; i++) {
      a.bandit.update(CTX, 'claude', 1);
      b.bandit.update(CTX, 'claude', 0);
    }

    // Act
    await Promise.all([a.flush(), b.flush()]);
    await Promise.all([a.refresh(), b.refresh()]);

    // Assess
    for (const s of [a, b]) {
      const p = s.bandit.get(CTX, 'claude');
      expect(p.alpha).toBeCloseTo(11, 9);
      expect(p.beta).toBeCloseTo(11, 9);
    }
  });

  it('starts a new instance from the fleet state', async () => {
    // Prepare
    const a = store();
    for (let i = 0; i < 4; i++) a.bandit.update(CTX, 'claude', 0.5);
    a.bandit.update(OTHER, 'gemini', 1);
    a.latency.observe('gemini', 800);
    await a.flush();

    // Act
    const fresh = store();
    await fresh.refresh();

    // Assess
    expect(fresh.bandit.get(CTX, 'claude')).toEqual({
      alpha: expect.closeTo(3, 9),
      beta: expect.closeTo(3, 9),
    });
    expect(fresh.bandit.get(OTHER, 'gemini').alpha).toBeCloseTo(2, 9);
    expect(Object.keys(fresh.bandit.snapshot()).sort()).toEqual(
      [CTX, OTHER].sort()
    );
    // An untried model's prior is the fleet median (gemini's 800 ms).
    expect(fresh.latency.estimate('untried')).toBeCloseTo(800, 6);
  });

  it('decays shared evidence with time like the memory store', async () => {
    // Prepare
    const a = store();
    for (let i = 0; i < 8; i++) a.bandit.update(CTX, 'claude', 1);
    await a.flush();
    const b = store();

    // Act: one success half-life later
    t += settings.success.halfLifeMs;
    await b.refresh();

    // Assess
    expect(b.bandit.get(CTX, 'claude').alpha).toBeCloseTo(1 + 4, 6);
  });

  it('resets one context for the whole fleet, leaving the others', async () => {
    // Prepare
    const a = store();
    const b = store();
    a.bandit.update(CTX, 'claude', 1);
    a.bandit.update(OTHER, 'gemini', 1);
    await a.flush();
    await b.refresh();
    b.bandit.update(CTX, 'claude', 1); // B's unflushed delta of the old state

    // Act
    await a.bandit.reset(CTX);
    await b.refresh();
    await b.flush();
    await a.refresh();

    // Assess
    for (const s of [a, b]) {
      expect(s.bandit.get(CTX, 'claude')).toEqual({ alpha: 1, beta: 1 });
      expect(s.bandit.get(OTHER, 'gemini').alpha).toBeCloseTo(2, 9);
    }
  });

  it('resets every context globally via A and B sees it after a refresh', async () => {
    // Prepare
    const a = store();
    const b = store();
    a.bandit.update(CTX, 'claude', 1);
    a.bandit.update(OTHER, 'gemini', 1);
    a.latency.observe('claude', 250);
    await a.flush();
    await b.refresh();
    expect(b.bandit.get(CTX, 'claude').alpha).toBeCloseTo(2, 9);

    // Act
    await a.bandit.reset();
    const beforeRefresh = b.bandit.get(CTX, 'claude').alpha;
    await b.refresh();

    // Assess: bandit state is gone everywhere; latency is not bandit state
    expect(beforeRefresh).toBeCloseTo(2, 9);
    expect(b.bandit.snapshot()).toEqual({});
    expect(a.bandit.get(OTHER, 'gemini')).toEqual({ alpha: 1, beta: 1 });
    expect(b.latency.estimate('claude')).toBeCloseTo(250, 6);
    // New evidence after the reset is shared again.
    b.bandit.update(CTX, 'claude', 1);
    await b.flush();
    await a.refresh();
    expect(a.bandit.get(CTX, 'claude').alpha).toBeCloseTo(2, 9);
  });

  it('writes the documented item layout with a TTL', async () => {
    // Prepare
    const a = store();
    a.bandit.update(CTX, 'claude', 1);
    a.latency.observe('claude', 400);

    // Act
    await a.flush();

    // Assess
    const doc = ddb.documentClient();
    const bandit = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': BANDIT_PK_PREFIX + CTX },
      })
    );
    expect(bandit.Items).toHaveLength(1);
    expect(bandit.Items![0].sk).toMatch(/^G0\.0#E\d+$/);
    expect(bandit.Items![0]).toHaveProperty(['a|claude']);
    expect(bandit.Items![0].expiresAt).toBeGreaterThan(T0 / 1000);
    const latency = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': LATENCY_PK },
      })
    );
    expect(Object.keys(latency.Items![0]).sort()).toEqual(
      ['expiresAt', 'n|claude', 'pk', 's|claude', 'sk', 'w|claude'].sort()
    );
    const meta = await doc.send(
      new GetCommand({
        TableName: tableName,
        Key: { pk: LEARNING_META_PK, sk: 'META' },
      })
    );
    expect([...(meta.Item!.ctxs as Set<string>)]).toEqual([CTX]);
  });

  it('flushes and refreshes on their intervals only (sync)', async () => {
    // Prepare
    const a = store();
    const b = store();
    await b.sync(); // first sync reads at once
    a.bandit.update(CTX, 'claude', 1);
    await a.sync();

    // Act: within B's refresh interval, then after it
    t += settings.shared.refreshMs - 1;
    await b.sync();
    const within = b.bandit.get(CTX, 'claude').alpha;
    t += 1;
    await b.sync();
    const after = b.bandit.get(CTX, 'claude').alpha;

    // Assess
    expect(within).toBe(1);
    // 3 s of decay at a 30 min half-life: 0.9988
    expect(after).toBeCloseTo(2, 2);
  });

  it('keeps deltas whose write failed and never throws from flush or refresh', async () => {
    // Prepare: a table that does not exist
    const broken = new DynamoLearningStore({
      tableName: 'no-such-table',
      client: ddb.documentClient(),
      now: clock,
    });
    broken.bandit.update(CTX, 'claude', 1);

    // Act
    await broken.flush();
    await broken.refresh();

    // Assess
    expect(broken.bandit.get(CTX, 'claude').alpha).toBeCloseTo(2, 9);
  });

  it('resets the shared state through the control plane (admin API) and audits it', async () => {
    // Prepare: only the ports a bandit reset touches
    const a = store();
    const b = store();
    a.bandit.update(CTX, 'claude', 1);
    await a.flush();
    await b.refresh();
    const audit = new MemoryAuditLog();
    const quiet: Log = {
      debug() {},
      info() {},
      warn() {},
      error() {},
    };
    const plane = new ControlPlane({
      audit,
      bandit: a.bandit,
      log: quiet,
    } as unknown as ControlPlaneDeps);

    // Act
    await plane.resetBandit(
      { who: 'arn:aws:iam::111122223333:role/ops', reason: 'bad week' },
      CTX
    );
    await b.refresh();

    // Assess
    expect(b.bandit.get(CTX, 'claude')).toEqual({ alpha: 1, beta: 1 });
    const records = await audit.list({ limit: 10 });
    expect(records[0]).toMatchObject({
      what: 'bandit.reset',
      target: `bandit/${CTX}`,
      who: 'arn:aws:iam::111122223333:role/ops',
      before: { contexts: 1 },
    });
  });
});
