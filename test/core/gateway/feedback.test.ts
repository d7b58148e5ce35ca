import {
  call,
  echoConfig,
  json,
  startTestGateway,
  TEST_KEY,
} from '../../helpers/gateway';

const OTHER_KEY = 'sk-other-tenant-key-0002';
const ADMIN_KEY = 'admin-key-for-feedback-tests-01';

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;

describe('Endpoint: POST /v1/feedback (local gateway)', () => {
  let gw: Gateway;

  beforeEach(async () => {
    gw = await startTestGateway(
      echoConfig({
        tenants: [
          { id: 'test', apiKeys: [TEST_KEY], tier: 'standard' },
          { id: 'other', apiKeys: [OTHER_KEY], tier: 'standard' },
        ],
      }),
      { env: { GATEWAY_ADMIN_KEY: ADMIN_KEY } }
    );
  });
  afterEach(() => gw.close());

  /** Serves one request and returns its decision id. */
  const serve = async (routing?: Record<string, unknown>): Promise<string> => {
    const res = await call(gw, '/v1/chat/completions', {
      body: {
        model: 'auto',
        messages: [{ role: 'user', content: 'secret prompt text' }],
        ...(routing ? { routing } : {}),
      },
    });
    expect(res.status).toBe(200);
    await res.text();
    return res.headers.get('x-gateway-decision-id')!;
  };

  const feedback = (body: unknown, key = TEST_KEY) =>
    call(gw, '/v1/feedback', { body, key });

  it('records a score: 200, the reward and the bandit arm of the served model', async () => {
    // Arrange
    const id = await serve({ domain: 'legal', budget_tier: 'premium' });
    const before = gw.deps.bandit.get('legal|premium|false', 'echo');

    // Act
    const res = await feedback({ decision_id: id, score: 0.25 });

    // Assess
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toEqual({
      object: 'feedback',
      decision_id: id,
      score: 0.25,
      thumbs: null,
      reward: 0.25,
      recorded_at: expect.any(String),
    });
    const after = gw.deps.bandit.get('legal|premium|false', 'echo');
    expect(after.alpha - before.alpha).toBeCloseTo(0.25);
    expect(after.beta - before.beta).toBeCloseTo(0.75);
    const record = await gw.deps.decisions.get(id);
    expect(record).toEqual(
      expect.objectContaining({
        reward: 0.25,
        feedback: expect.objectContaining({ score: 0.25 }),
      })
    );
  });

  it('answers a replay with the same body and learns only once', async () => {
    // Arrange
    const id = await serve();
    const body = { decision_id: id, thumbs: 'down', comment: 'wrong answer' };
    const first = await (await feedback(body)).text();
    const posterior = gw.deps.bandit.get('general|standard|false', 'echo');

    // Act
    const again = await feedback(body);

    // Assess
    expect(again.status).toBe(200);
    expect(await again.text()).toBe(first);
    expect(JSON.parse(first)).toEqual(
      expect.objectContaining({ score: 0, thumbs: 'down', reward: 0 })
    );
    // Posteriors decay with time (learning.success.halfLifeMs), so compare
    // closely rather than exactly: a second thumbs-down would add 1 to beta.
    const after = gw.deps.bandit.get('general|standard|false', 'echo');
    expect(after.alpha).toBeCloseTo(posterior.alpha, 2);
    expect(after.beta).toBeCloseTo(posterior.beta, 2);
  });

  it('answers 409 feedback_conflict to different feedback on a rated decision', async () => {
    // Arrange
    const id = await serve();
    await feedback({ decision_id: id, thumbs: 'up' });

    // Act
    const res = await feedback({ decision_id: id, thumbs: 'down' });

    // Assess
    expect(res.status).toBe(409);
    expect((await json(res)).error.code).toBe('feedback_conflict');
    expect((await gw.deps.decisions.get(id))?.feedback?.score).toBe(1);
  });

  it('answers 404 for an unknown decision and for another tenant’s, alike', async () => {
    // Arrange
    const id = await serve();

    // Act
    const unknown = await feedback({ decision_id: 'no-such-id', score: 1 });
    const foreign = await feedback({ decision_id: id, score: 1 }, OTHER_KEY);

    // Assess
    expect(unknown.status).toBe(404);
    expect(foreign.status).toBe(404);
    const [a, b] = [await json(unknown), await json(foreign)];
    expect(a.error).toEqual(b.error);
    expect(a.error).toEqual(
      expect.objectContaining({
        type: 'not_found_error',
        code: 'decision_not_found',
        param: 'decision_id',
      })
    );
    expect((await gw.deps.decisions.get(id))?.feedback).toBeUndefined();
  });

  it.each([
    [{ score: 1 }, 'decision_id'],
    [{ decision_id: 'x' }, 'score'],
    [{ decision_id: 'x', score: 1.5 }, 'score'],
    [{ decision_id: 'x', thumbs: 'sideways' }, 'thumbs'],
    [{ decision_id: 'x', score: 1, thumbs: 'up' }, 'thumbs'],
    [{ decision_id: 'x', score: 1, rating: 5 }, 'rating'],
  ])('answers 400 naming the field for %j', async (body, param) => {
    // Act
    const res = await feedback(body);

    // Assess
    expect(res.status).toBe(400);
    const err = (await json(res)).error;
    expect(err.type).toBe('invalid_request_error');
    expect(err.param).toBe(param);
  });

  it('answers 401 without a key and 400 on a body that is not JSON', async () => {
    expect(
      (await call(gw, '/v1/feedback', { body: {}, key: null })).status
    ).toBe(401);
    const res = await call(gw, '/v1/feedback', {
      rawBody: '{nope',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect((await json(res)).error.code).toBe('invalid_json');
  });

  it('never logs the comment or the prompt', async () => {
    // Arrange
    const id = await serve();

    // Act
    await feedback({ decision_id: id, score: 1, comment: 'private remark 42' });

    // Assess
    expect(gw.log.text()).toContain('feedback recorded');
    expect(gw.log.text()).not.toContain('private remark 42');
    expect(gw.log.text()).not.toContain('secret prompt text');
  });

  it('shows the feedback and reward in GET /v1/admin/decisions', async () => {
    // Arrange
    const id = await serve();
    await serve();
    await feedback({ decision_id: id, thumbs: 'up', comment: 'nice' });

    // Act
    const res = await call(gw, '/v1/admin/decisions?tenant=test&limit=1', {
      key: ADMIN_KEY,
    });
    const page = await json(res);
    const next = await json(
      await call(
        gw,
        `/v1/admin/decisions?tenant=test&limit=1&cursor=${page.next_cursor}`,
        { key: ADMIN_KEY }
      )
    );

    // Assess
    expect(res.status).toBe(200);
    expect(page.data).toHaveLength(1);
    expect(page.data[0]).toEqual(
      expect.objectContaining({
        decision_id: id,
        tenant: 'test',
        reward: 1,
        feedback: expect.objectContaining({ thumbs: 'up', comment: 'nice' }),
      })
    );
    expect(next.data).toHaveLength(1);
    expect(next.next_cursor).toBeNull();
    const none = await json(
      await call(gw, '/v1/admin/decisions?tenant=other', { key: ADMIN_KEY })
    );
    expect(none.data).toEqual([]);
  });
});
