import {
  GetParameterCommand,
  type GetParameterCommandInput,
  ParameterNotFound,
  PutParameterCommand,
  type PutParameterCommandInput,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { SsmRouteSetStore } from '../../../lambdas/core/adapters/aws/ssm-route-sets';
import {
  RegistryConflictError,
  RegistryError,
  RegistryNotFoundError,
  RegistryUnavailableError,
  RegistryValidationError,
} from '../../../lambdas/core/registry/types';
import { describeRouteSetStoreContract } from '../../core/registry/contract';
import { recordingLog } from '../../core/registry/fixtures';
import { useDynamoDbLocal } from '../../helpers/dynamodb-local';

const ddb = useDynamoDbLocal();
const ssmMock = mockClient(SSMClient);
const PARAM = '/ai/routing/dev/active-models';

/** A parameter store in a Map behind the mocked client. */
function fakeParameterStore(): Map<string, string> {
  const params = new Map<string, string>();
  ssmMock
    .on(GetParameterCommand)
    .callsFake((input: GetParameterCommandInput) => {
      const value = params.get(input.Name!);
      if (value === undefined)
        throw new ParameterNotFound({ message: 'not found', $metadata: {} });
      return { Parameter: { Name: input.Name, Value: value, Type: 'String' } };
    });
  ssmMock
    .on(PutParameterCommand)
    .callsFake((input: PutParameterCommandInput) => {
      params.set(input.Name!, input.Value!);
      return { Version: 1 };
    });
  return params;
}

describe('Class: SsmRouteSetStore', () => {
  let tableName: string;
  let params: Map<string, string>;
  let log: ReturnType<typeof recordingLog>;
  let errors: string[];

  function store(maxAgeMs = 5000): SsmRouteSetStore {
    return new SsmRouteSetStore({
      env: 'dev',
      tableName,
      client: ddb.documentClient(),
      awsSdkV3Client: new SSMClient({ region: 'eu-central-1' }),
      maxAgeMs,
      log,
      onError: (kind) => errors.push(kind),
      clock: () => Date.now(),
    });
  }

  beforeEach(async () => {
    ssmMock.reset();
    params = fakeParameterStore();
    tableName = await ddb.createTable('routesets');
    log = recordingLog();
    errors = [];
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  describeRouteSetStoreContract(async () => store(0));

  describe('Constructor', () => {
    it('fails with every bad prop named', () => {
      // Act & Assess
      expect(
        () =>
          new SsmRouteSetStore({
            tableName: '',
            maxAgeMs: 6000,
            log: recordingLog(),
          })
      ).toThrow(
        /maxAgeMs must be between 0 and 5000, got 6000; prefix or env is required; tableName is required/
      );
      expect(
        () =>
          new SsmRouteSetStore({
            prefix: '/ai/routing/dev/',
            tableName: 't',
            log: recordingLog(),
          })
      ).toThrow(RegistryError);
    });
  });

  describe('Method: put', () => {
    it('rejects a bad document with field paths, stores nothing and never reaches SSM', async () => {
      // Prepare
      const routeSets = store();

      // Act
      const put = routeSets.put(
        {
          name: 'active-models',
          models: [{ id: 'a' }, { id: 'a', version: 0 }],
        },
        0
      );

      // Assess
      await expect(put).rejects.toBeInstanceOf(RegistryValidationError);
      await expect(put).rejects.toThrow(/models\[1\]\.version: /);
      expect(await routeSets.versions('active-models')).toEqual([]);
      expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
    });

    it('refuses a lost update', async () => {
      // Prepare
      const routeSets = store();
      await routeSets.put({ name: 'active-models', models: [] }, 0);

      // Act & Assess
      await expect(
        routeSets.put({ name: 'active-models', models: [{ id: 'x' }] }, 0)
      ).rejects.toBeInstanceOf(RegistryConflictError);
    });
  });

  describe('Method: activate', () => {
    it('writes the version into the parameter and returns before/after', async () => {
      // Prepare
      const routeSets = store();
      const v1 = await routeSets.put(
        {
          name: 'active-models',
          models: [{ id: 'claude' }],
          updatedBy: 'alice',
        },
        0
      );
      const v2 = await routeSets.put(
        { name: 'active-models', models: [{ id: 'claude', version: 3 }] },
        1
      );

      // Act
      const first = await routeSets.activate('active-models', 1, 'ops');
      const second = await routeSets.activate('active-models', 2, 'ops');

      // Assess
      expect(first).toEqual([undefined, v1]);
      expect(second).toEqual([v1, v2]);
      expect(ssmMock).toHaveReceivedCommandWith(PutParameterCommand, {
        Name: PARAM,
        Type: 'String',
        Overwrite: true,
        Value: JSON.stringify(v2),
      });
      expect(JSON.parse(params.get(PARAM)!)).toEqual(v2);
      // The writer's own cache is cleared: it sees its write at once.
      expect(await routeSets.active('active-models')).toEqual(v2);
    });

    it('refuses an unknown version', async () => {
      // Act & Assess
      await expect(store().activate('active-models', 7, 'ops')).rejects.toThrow(
        RegistryNotFoundError
      );
      expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
    });

    it('refuses a stored version that went bad in the table, before SSM', async () => {
      // Prepare
      await ddb.documentClient().send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: 'routeset#active-models',
            sk: 'v000001',
            name: 'active-models',
            version: 1,
            models: [{ id: 'auto' }],
          },
        })
      );

      // Act
      const activation = store().activate('active-models', 1, 'ops');

      // Assess
      await expect(activation).rejects.toThrow(/models\[0\]\.id: /);
      expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
    });

    it('reports a failed SSM write as unavailable, after recording the activation', async () => {
      // Prepare
      const routeSets = store();
      await routeSets.put({ name: 'active-models', models: [] }, 0);
      ssmMock.on(PutParameterCommand).rejects(new Error('throttled'));

      // Act & Assess
      await expect(
        routeSets.activate('active-models', 1, 'ops')
      ).rejects.toThrow(RegistryUnavailableError);
    });
  });

  describe('Method: rollback', () => {
    it('walks back through the activation history', async () => {
      // Prepare
      const routeSets = store();
      for (let n = 0; n < 3; n++)
        await routeSets.put(
          { name: 'active-models', models: [{ id: `m${n + 1}` }] },
          n
        );
      await routeSets.activate('active-models', 1, 'ops');
      await routeSets.activate('active-models', 2, 'ops');
      await routeSets.activate('active-models', 3, 'ops');
      await routeSets.activate('active-models', 3, 'ops'); // a retried call

      // Act
      const [from3, to2] = await routeSets.rollback('active-models', 'alarm');
      const [from2, to1] = await routeSets.rollback('active-models', 'alarm');
      const third = routeSets.rollback('active-models', 'alarm');

      // Assess
      expect([from3?.version, to2.version]).toEqual([3, 2]);
      expect([from2?.version, to1.version]).toEqual([2, 1]);
      await expect(third).rejects.toThrow(/no earlier activation/);
      expect(JSON.parse(params.get(PARAM)!).version).toBe(1);
    });

    it('refuses a route set that was never activated', async () => {
      // Act & Assess
      await expect(store().rollback('active-models', 'alarm')).rejects.toThrow(
        /not active/
      );
    });
  });

  describe('Method: active', () => {
    it('reads at most once per maxAge', async () => {
      // Prepare
      jest.useFakeTimers({
        now: new Date('2026-03-01T00:00:00.000Z'),
        doNotFake: [
          'nextTick',
          'setImmediate',
          'setTimeout',
          'setInterval',
          'clearTimeout',
          'clearInterval',
          'queueMicrotask',
        ],
      });
      params.set(
        PARAM,
        JSON.stringify({ name: 'active-models', version: 4, models: [] })
      );
      const routeSets = store(5000);

      // Act
      const first = await routeSets.active('active-models');
      jest.setSystemTime(new Date('2026-03-01T00:00:04.000Z'));
      await routeSets.active('active-models');
      const readsWithinMaxAge =
        ssmMock.commandCalls(GetParameterCommand).length;
      jest.setSystemTime(new Date('2026-03-01T00:00:06.000Z'));
      await routeSets.active('active-models');

      // Assess
      expect(first).toEqual({ name: 'active-models', version: 4, models: [] });
      expect(readsWithinMaxAge).toBe(1);
      expect(ssmMock).toHaveReceivedCommandTimes(GetParameterCommand, 2);
      expect(ssmMock).toHaveReceivedCommandWith(GetParameterCommand, {
        Name: PARAM,
      });
    });

    it('returns undefined for a missing parameter and remembers it for maxAge', async () => {
      // Prepare
      const routeSets = store();

      // Act
      const a = await routeSets.active('active-models');
      const b = await routeSets.active('active-models');

      // Assess
      expect([a, b]).toEqual([undefined, undefined]);
      expect(ssmMock).toHaveReceivedCommandTimes(GetParameterCommand, 1);
    });

    it('keeps the last good document when a corrupt one is written straight into SSM', async () => {
      // Prepare
      const routeSets = store(0);
      await routeSets.put(
        { name: 'active-models', models: [{ id: 'claude' }] },
        0
      );
      const [, good] = await routeSets.activate('active-models', 1, 'ops');
      const reader = store(0);
      expect(await reader.active('active-models')).toEqual(good);

      // Act
      params.set(
        PARAM,
        '{"name":"active-models","version":2,"models":[{"id":5}]}'
      );
      const afterCorruption = await reader.active('active-models');
      const again = await reader.active('active-models');
      params.set(PARAM, '{not json');
      const afterGarbage = await reader.active('active-models');

      // Assess
      expect(afterCorruption).toEqual(good);
      expect(again).toEqual(good);
      expect(afterGarbage).toEqual(good);
      expect(errors).toEqual(['route-set-invalid', 'route-set-invalid']);
      const logged = log.calls.filter((c) => c.level === 'error');
      expect(logged[0]!.message).toMatch(/version 1 stays in force/);
      expect(logged[0]!.attrs[0]).toMatchObject({
        kind: 'route-set-invalid',
        problems: [expect.stringMatching(/^models\[0\]\.id: /)],
      });
      expect(logged[1]!.attrs[0]).toMatchObject({
        problems: [expect.stringMatching(/^<root>: not valid JSON/)],
      });
    });

    it('rejects a document of another route set or without a version', async () => {
      // Prepare
      const routeSets = store(0);
      params.set(
        PARAM,
        JSON.stringify({ name: 'other', version: 1, models: [] })
      );

      // Act & Assess
      await expect(routeSets.active('active-models')).rejects.toThrow(
        /name: expected "active-models", got "other"/
      );
      params.set(PARAM, JSON.stringify({ name: 'active-models', models: [] }));
      await expect(routeSets.active('active-models')).rejects.toThrow(
        /version: required/
      );
      expect(errors).toEqual(['route-set-invalid', 'route-set-invalid']);
    });

    it('serves the last good document through an SSM outage, and fails without one', async () => {
      // Prepare
      const routeSets = store(0);
      params.set(
        PARAM,
        JSON.stringify({ name: 'active-models', version: 1, models: [] })
      );
      const good = await routeSets.active('active-models');
      ssmMock.on(GetParameterCommand).rejects(new Error('network down'));

      // Act
      const during = await routeSets.active('active-models');
      const cold = store(0).active('active-models');

      // Assess
      expect(during).toEqual(good);
      await expect(cold).rejects.toBeInstanceOf(RegistryUnavailableError);
      expect(errors).toEqual(['route-set-read', 'route-set-read']);
    });

    it('refuses a malformed route set name', async () => {
      // Act & Assess
      await expect(store().active('../etc')).rejects.toThrow(
        RegistryValidationError
      );
      expect(ssmMock).not.toHaveReceivedCommand(GetParameterCommand);
    });
  });
});
