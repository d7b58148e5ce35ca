import {
  GetParameterCommand,
  GetParametersByPathCommand,
  type Parameter,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
  SSMServiceException,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import fc from 'fast-check';
import {
  parameterSuffixToScope,
  SsmKillSwitchStore,
  type SsmKillSwitchStoreProps,
  scopeToParameterSuffix,
} from '../../../lambdas/core/adapters/aws/ssm-kill-switches';
import {
  KillSwitchError,
  KillSwitchStoreError,
  KillSwitchValidationError,
} from '../../../lambdas/core/kill-switches/errors';
import type { Log } from '../../../lambdas/core/ports';

const PREFIX = '/ai/kill-switches/test';
const ssm = mockClient(SSMClient);

function param(suffix: string, value: string): Parameter {
  return { Name: `${PREFIX}/${suffix}`, Value: value, Type: 'String' };
}

function fakeLog(): jest.Mocked<Log> {
  return {
    debug: jest.fn(),
    info: jest.fn(),
    warn: jest.fn(),
    error: jest.fn(),
  };
}

function serviceError(name: string): SSMServiceException {
  return new SSMServiceException({
    name,
    $fault: 'server',
    $metadata: { httpStatusCode: 500 },
    message: `${name} from SSM`,
  });
}

function notFound(): ParameterNotFound {
  return new ParameterNotFound({ message: 'not found', $metadata: {} });
}

/** A store on a hand-driven clock. */
function makeStore(props: Partial<SsmKillSwitchStoreProps> = {}) {
  const time = { now: 1_000_000 };
  const log = fakeLog();
  const onError = jest.fn();
  const store = new SsmKillSwitchStore({
    prefix: PREFIX,
    awsSdkV3Client: new SSMClient({ region: 'eu-central-1' }),
    clock: () => time.now,
    log,
    onError,
    ...props,
  });
  return { store, time, log, onError };
}

describe('Class: SsmKillSwitchStore', () => {
  beforeEach(() => {
    ssm.reset();
  });

  describe('Method: constructor', () => {
    it('builds the prefix from env', () => {
      // Act
      const store = new SsmKillSwitchStore({
        env: 'prod',
        awsSdkV3Client: new SSMClient({ region: 'eu-central-1' }),
      });

      // Assess
      expect(store.prefix).toBe('/ai/kill-switches/prod');
      expect(store.maxAgeMs).toBe(5000);
      expect(store.parameterName('provider/gemini')).toBe(
        '/ai/kill-switches/prod/provider/gemini'
      );
    });

    it('fails on a maxAge above the 5 s bound, naming the value', () => {
      // Act & Assess
      expect(() => makeStore({ maxAgeMs: 5001 })).toThrow(
        /maxAgeMs must be between 0 and 5000, got 5001/
      );
      expect(() => makeStore({ maxAgeMs: -1 })).toThrow(KillSwitchError);
    });

    it('fails without a prefix, with both, or with a trailing slash', () => {
      // Act & Assess
      expect(() => makeStore({ prefix: undefined })).toThrow(
        /prefix or env is required/
      );
      expect(() => makeStore({ env: 'dev' })).toThrow(/not both/);
      expect(() => makeStore({ prefix: '/ai/kill-switches/dev/' })).toThrow(
        /prefix must be an SSM path/
      );
    });
  });

  describe('Method: snapshot', () => {
    it('reads the hierarchy recursively, with keys relative to the prefix', async () => {
      // Prepare
      ssm.on(GetParametersByPathCommand).resolves({
        Parameters: [
          param('global', 'off'),
          param('provider/gemini', '{"state":"on","reason":"5xx storm"}'),
          param('model/eu.anthropic.claude-sonnet-4-v1_3A0', 'ON'),
        ],
      });
      const { store, time } = makeStore();

      // Act
      const snap = await store.snapshot();

      // Assess
      expect(ssm).toHaveReceivedCommandTimes(GetParametersByPathCommand, 1);
      expect(ssm).toHaveReceivedCommandWith(GetParametersByPathCommand, {
        Path: PREFIX,
        Recursive: true,
      });
      expect(snap.known).toBe(true);
      expect(snap.stale).toBeUndefined();
      expect(snap.readAt).toBe(time.now);
      expect(Object.fromEntries(snap.switches)).toEqual({
        global: { state: 'off' },
        'provider/gemini': { state: 'on', reason: '5xx storm' },
        'model/eu.anthropic.claude-sonnet-4-v1:0': { state: 'on' },
      });
    });

    it('makes one GetParametersByPath per maxAge window', async () => {
      // Prepare
      ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
      const { store, time } = makeStore({ maxAgeMs: 5000 });

      // Act
      await store.snapshot();
      time.now += 1000;
      await store.snapshot();
      time.now += 3999;
      await store.snapshot();
      const callsInWindow = ssm.commandCalls(GetParametersByPathCommand).length;
      time.now += 1;
      const refreshed = await store.snapshot();

      // Assess: an empty result is cached too (no call per request).
      expect(callsInWindow).toBe(1);
      expect(ssm).toHaveReceivedCommandTimes(GetParametersByPathCommand, 2);
      expect(refreshed.readAt).toBe(time.now);
    });

    it('shows a change made in SSM no later than maxAge after it', async () => {
      // Prepare
      ssm
        .on(GetParametersByPathCommand)
        .resolvesOnce({ Parameters: [param('global', 'off')] })
        .resolves({ Parameters: [param('global', 'on')] });
      const { store, time } = makeStore({ maxAgeMs: 2000 });
      await store.snapshot();

      // Act: the operator flips the switch right after the first read.
      time.now += 1999;
      const before = await store.snapshot();
      time.now += 1;
      const after = await store.snapshot();

      // Assess
      expect(before.switches.get('global')).toEqual({ state: 'off' });
      expect(after.switches.get('global')).toEqual({ state: 'on' });
    });

    it('follows pagination within one refresh', async () => {
      // Prepare
      ssm
        .on(GetParametersByPathCommand)
        .resolvesOnce({
          Parameters: [param('provider/bedrock', 'off')],
          NextToken: 'page-2',
        })
        .resolvesOnce({ Parameters: [param('route/canary', 'on')] });
      const { store } = makeStore();

      // Act
      const snap = await store.snapshot();

      // Assess
      expect(ssm).toHaveReceivedCommandTimes(GetParametersByPathCommand, 2);
      expect(ssm).toHaveReceivedNthSpecificCommandWith(
        2,
        GetParametersByPathCommand,
        {
          Path: PREFIX,
          NextToken: 'page-2',
        }
      );
      expect([...snap.switches.keys()].sort()).toEqual([
        'provider/bedrock',
        'route/canary',
      ]);
    });

    it('shares one refresh between concurrent callers', async () => {
      // Prepare
      ssm.on(GetParametersByPathCommand).callsFake(async () => {
        await new Promise((resolve) => setImmediate(resolve));
        return { Parameters: [param('global', 'off')] };
      });
      const { store } = makeStore();

      // Act
      const snaps = await Promise.all([
        store.snapshot(),
        store.snapshot(),
        store.snapshot(),
      ]);

      // Assess
      expect(ssm).toHaveReceivedCommandTimes(GetParametersByPathCommand, 1);
      expect(snaps[1]).toBe(snaps[0]);
      expect(snaps[2]).toBe(snaps[0]);
    });

    it('keeps the last known state when SSM fails, without throwing', async () => {
      // Prepare
      ssm
        .on(GetParametersByPathCommand)
        .resolvesOnce({ Parameters: [param('provider/gemini', 'on')] })
        .rejects(serviceError('InternalServerError'));
      const { store, time, log, onError } = makeStore();
      const first = await store.snapshot();

      // Act
      time.now += 5000;
      const stale = await store.snapshot();

      // Assess
      expect(stale.known).toBe(true);
      expect(stale.stale).toBe(true);
      expect(stale.readAt).toBe(first.readAt);
      expect(stale.switches.get('provider/gemini')).toEqual({ state: 'on' });
      expect(onError).toHaveBeenCalledTimes(1);
      expect(onError.mock.calls[0]![0]).toBeInstanceOf(Error);
      expect(log.warn).toHaveBeenCalledWith(
        'kill-switch refresh failed; last known state stays in force',
        expect.objectContaining({ prefix: PREFIX, known: true })
      );
    });

    it('retries a failed refresh once per window, then recovers', async () => {
      // Prepare
      ssm
        .on(GetParametersByPathCommand)
        .resolvesOnce({ Parameters: [param('global', 'off')] })
        .rejectsOnce(serviceError('ThrottlingException'))
        .resolves({ Parameters: [param('global', 'on')] });
      const { store, time, onError } = makeStore();
      await store.snapshot();
      time.now += 5000;
      await store.snapshot();

      // Act
      time.now += 4999;
      const stillStale = await store.snapshot();
      const callsDuringBackoff = ssm.commandCalls(
        GetParametersByPathCommand
      ).length;
      time.now += 1;
      const recovered = await store.snapshot();

      // Assess
      expect(stillStale.stale).toBe(true);
      expect(callsDuringBackoff).toBe(2);
      expect(recovered.stale).toBeUndefined();
      expect(recovered.switches.get('global')).toEqual({ state: 'on' });
      expect(onError).toHaveBeenCalledTimes(1);
    });

    it('reports known=false when SSM fails before any successful read', async () => {
      // Prepare
      ssm.on(GetParametersByPathCommand).rejects(serviceError('AccessDenied'));
      const { store, log, onError } = makeStore();

      // Act
      const snap = await store.snapshot();

      // Assess
      expect(snap.known).toBe(false);
      expect(snap.switches.size).toBe(0);
      expect(onError).toHaveBeenCalledTimes(1);
      expect(log.error).toHaveBeenCalledWith(
        'kill-switch refresh failed and no state was ever read; failing safe',
        expect.objectContaining({ known: false })
      );
    });

    it('survives a throwing onError callback', async () => {
      // Prepare
      ssm.on(GetParametersByPathCommand).rejects(serviceError('Boom'));
      const { store } = makeStore({
        onError: () => {
          throw new Error('metrics broke');
        },
      });

      // Act
      const snap = await store.snapshot();

      // Assess
      expect(snap.known).toBe(false);
    });

    it('reads an unparseable value as engaged and warns once', async () => {
      // Prepare
      ssm
        .on(GetParametersByPathCommand)
        .resolves({ Parameters: [param('provider/gemini', '{"state":"of')] });
      const { store, time, log } = makeStore();

      // Act
      const snap = await store.snapshot();
      time.now += 5000;
      await store.snapshot();

      // Assess
      expect(snap.switches.get('provider/gemini')).toEqual({
        state: 'on',
        reason: 'unparseable value',
      });
      expect(log.warn).toHaveBeenCalledTimes(1);
      expect(log.warn).toHaveBeenCalledWith(
        'unparseable kill-switch value reads as on',
        expect.objectContaining({ parameter: `${PREFIX}/provider/gemini` })
      );
    });

    it('ignores parameters that are not scopes, warning once', async () => {
      // Prepare
      ssm.on(GetParametersByPathCommand).resolves({
        Parameters: [param('Provider/gemini', 'on'), param('global', 'off')],
      });
      const { store, time, log } = makeStore();

      // Act
      const snap = await store.snapshot();
      time.now += 5000;
      await store.snapshot();

      // Assess
      expect([...snap.switches.keys()]).toEqual(['global']);
      expect(log.warn).toHaveBeenCalledTimes(1);
      expect(log.warn).toHaveBeenCalledWith(
        'ignoring parameter that is not a kill-switch scope',
        expect.objectContaining({ parameter: `${PREFIX}/Provider/gemini` })
      );
    });

    it('works with the default clock under jest fake timers', async () => {
      // Prepare
      jest.useFakeTimers({ now: Date.parse('2026-11-23T10:00:00Z') });
      try {
        ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
        const store = new SsmKillSwitchStore({
          prefix: PREFIX,
          awsSdkV3Client: new SSMClient({ region: 'eu-central-1' }),
        });

        // Act
        await store.snapshot();
        jest.advanceTimersByTime(4999);
        await store.snapshot();
        jest.advanceTimersByTime(1);
        const snap = await store.snapshot();

        // Assess
        expect(ssm).toHaveReceivedCommandTimes(GetParametersByPathCommand, 2);
        expect(snap.readAt).toBe(Date.parse('2026-11-23T10:00:05Z'));
      } finally {
        jest.useRealTimers();
      }
    });
  });

  describe('Method: get', () => {
    it('reads one parameter directly, undefined when missing', async () => {
      // Prepare
      ssm
        .on(GetParameterCommand, { Name: `${PREFIX}/model/a_3Ab` })
        .resolves({ Parameter: { Value: 'on' } })
        .on(GetParameterCommand, { Name: `${PREFIX}/global` })
        .rejects(notFound());
      const { store } = makeStore();

      // Act
      const found = await store.get('model/a:b');
      const missing = await store.get('global');

      // Assess
      expect(found).toEqual({ state: 'on' });
      expect(missing).toBeUndefined();
    });

    it('wraps other SSM errors', async () => {
      // Prepare
      ssm.on(GetParameterCommand).rejects(serviceError('AccessDenied'));
      const { store } = makeStore();

      // Act & Assess
      await expect(store.get('global')).rejects.toBeInstanceOf(
        KillSwitchStoreError
      );
    });
  });

  describe('Method: set', () => {
    it('writes the plain word and returns before and after', async () => {
      // Prepare
      ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'off' } });
      ssm.on(PutParameterCommand).resolves({ Version: 2 });
      const { store } = makeStore();

      // Act
      const result = await store.set('provider/gemini', { state: 'on' });

      // Assess
      expect(result).toEqual({
        before: { state: 'off' },
        after: { state: 'on' },
      });
      expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, {
        Name: `${PREFIX}/provider/gemini`,
      });
      expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, {
        Name: `${PREFIX}/provider/gemini`,
        Value: 'on',
        Type: 'String',
        Overwrite: true,
      });
    });

    it('writes JSON when the value has extras, with no before when new', async () => {
      // Prepare
      ssm.on(GetParameterCommand).rejects(notFound());
      ssm.on(PutParameterCommand).resolves({ Version: 1 });
      const { store } = makeStore();
      const value = {
        state: 'on' as const,
        reason: 'brownout',
        by: 'alice',
        percent: 20,
        until: '2026-11-23T12:00:00.000Z',
      };

      // Act
      const result = await store.set('model/eu.meta.llama-v1:0', value);

      // Assess
      expect(result).toEqual({ after: value });
      const put = ssm.commandCalls(PutParameterCommand)[0]!.args[0].input;
      expect(put.Name).toBe(`${PREFIX}/model/eu.meta.llama-v1_3A0`);
      expect(JSON.parse(put.Value!)).toEqual(value);
    });

    it('rejects a bad scope or value without calling SSM', async () => {
      // Prepare
      const { store } = makeStore();

      // Act & Assess
      await expect(store.set('tenant/acme', { state: 'on' })).rejects.toThrow(
        KillSwitchValidationError
      );
      await expect(
        store.set('global', { state: 'on', percent: 140 })
      ).rejects.toThrow(/percent/);
      await expect(store.get('provider/a b')).rejects.toThrow(
        KillSwitchValidationError
      );
      expect(ssm.calls()).toHaveLength(0);
    });

    it('lets the writer see its own write on the next snapshot', async () => {
      // Prepare
      ssm
        .on(GetParametersByPathCommand)
        .resolvesOnce({ Parameters: [param('global', 'off')] })
        .resolves({ Parameters: [param('global', 'on')] });
      ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'off' } });
      ssm.on(PutParameterCommand).resolves({ Version: 2 });
      const { store, time } = makeStore();
      await store.snapshot();

      // Act: well inside the maxAge window.
      time.now += 10;
      await store.set('global', { state: 'on' });
      const snap = await store.snapshot();

      // Assess
      expect(ssm).toHaveReceivedCommandTimes(GetParametersByPathCommand, 2);
      expect(snap.switches.get('global')).toEqual({ state: 'on' });
    });

    it('does not serve a read that started before the write', async () => {
      // Prepare: the first refresh is slow and returns the pre-write value.
      let release!: () => void;
      ssm
        .on(GetParametersByPathCommand)
        .callsFakeOnce(async () => {
          await new Promise<void>((resolve) => {
            release = resolve;
          });
          return { Parameters: [param('global', 'off')] };
        })
        .resolves({ Parameters: [param('global', 'on')] });
      ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'off' } });
      ssm.on(PutParameterCommand).resolves({ Version: 2 });
      const { store } = makeStore();
      const slow = store.snapshot();
      await new Promise((resolve) => setImmediate(resolve));

      // Act
      await store.set('global', { state: 'on' });
      const afterWrite = store.snapshot();
      release();
      const [old, fresh] = await Promise.all([slow, afterWrite]);
      const cached = await store.snapshot();

      // Assess
      expect(old.switches.get('global')).toEqual({ state: 'off' });
      expect(fresh.switches.get('global')).toEqual({ state: 'on' });
      expect(cached).toBe(fresh);
    });

    it('wraps a failed put and still drops the cache', async () => {
      // Prepare
      ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
      ssm.on(GetParameterCommand).rejects(notFound());
      ssm.on(PutParameterCommand).rejects(serviceError('TooManyUpdates'));
      const { store } = makeStore();
      await store.snapshot();

      // Act
      const write = store.set('global', { state: 'on' });

      // Assess
      await expect(write).rejects.toBeInstanceOf(KillSwitchStoreError);
      await store.snapshot();
      expect(ssm).toHaveReceivedCommandTimes(GetParametersByPathCommand, 2);
    });
  });
});

describe('Function: scopeToParameterSuffix', () => {
  it('leaves SSM-safe scopes unchanged', () => {
    // Act & Assess
    for (const scope of [
      'global',
      'provider/openai-compatible',
      'model/my_model.v2',
    ]) {
      expect(scopeToParameterSuffix(scope)).toBe(scope);
    }
  });

  it('escapes : and @ and keeps _ unambiguous', () => {
    // Act & Assess
    expect(scopeToParameterSuffix('model/a:0')).toBe('model/a_3A0');
    expect(scopeToParameterSuffix('model/x@y')).toBe('model/x_40y');
    expect(scopeToParameterSuffix('model/a_3A')).toBe('model/a_5F3A');
  });

  it('round-trips every valid id into SSM-legal characters', () => {
    // Prepare
    const idChar = fc.constantFrom(
      ...'abcAF09._:@-'.split(''),
      '_3',
      '_A',
      '_5F'
    );
    const scopes = fc
      .tuple(
        fc.constantFrom('provider', 'model', 'route'),
        fc.array(idChar, { minLength: 1, maxLength: 40 })
      )
      .map(([kind, parts]) => `${kind}/${parts.join('')}`);

    // Act & Assess
    fc.assert(
      fc.property(scopes, (scope) => {
        const suffix = scopeToParameterSuffix(scope);
        expect(suffix).toMatch(/^[A-Za-z0-9_.\-/]+$/);
        expect(parameterSuffixToScope(suffix)).toBe(scope);
      })
    );
  });
});
