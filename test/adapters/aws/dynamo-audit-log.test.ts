import {
  ConditionalCheckFailedException,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  auditPartitionKey,
  DynamoAuditLog,
  type DynamoAuditLogProps,
} from '../../../lambdas/core/adapters/aws/dynamo-audit-log';
import { AuditLogError } from '../../../lambdas/core/audit/errors';
import { REDACTED } from '../../../lambdas/core/audit/redact';

const TABLE = 'gateway-audit';
const NOW = Date.parse('2026-11-23T10:00:00.000Z');
const ddb = mockClient(DynamoDBDocumentClient);

function makeLog(props: Partial<DynamoAuditLogProps> = {}) {
  let n = 0;
  return new DynamoAuditLog({
    tableName: TABLE,
    client: DynamoDBDocumentClient.from(
      new DynamoDBClient({ region: 'eu-central-1' })
    ),
    clock: () => NOW,
    newId: () => `id-${++n}`,
    ...props,
  });
}

function item(at: string, id: string, target = 'provider/gemini') {
  return {
    pk: auditPartitionKey(at),
    sk: `${at}#${id}`,
    id,
    at,
    who: 'admin-key',
    what: 'kill-switch.set',
    target,
    before: { state: 'off' },
    after: { state: 'on' },
  };
}

describe('Class: DynamoAuditLog', () => {
  beforeEach(() => {
    ddb.reset();
  });

  describe('Method: constructor', () => {
    it('fails on a bad listDays or table name', () => {
      // Act & Assess
      expect(() => makeLog({ listDays: 0 })).toThrow(
        /listDays must be an integer between 1 and 366, got 0/
      );
      expect(() => makeLog({ tableName: '' })).toThrow(AuditLogError);
    });
  });

  describe('Method: write', () => {
    it('puts a day-partitioned item, conditional on a new key', async () => {
      // Prepare
      ddb.on(PutCommand).resolves({});
      const log = makeLog();

      // Act
      const record = await log.write({
        who: 'arn:aws:iam::123456789012:role/Ops',
        what: 'kill-switch.set',
        target: 'provider/gemini',
        before: undefined,
        after: { state: 'on', reason: 'storm' },
        reason: 'storm',
        requestId: 'req-9',
      });

      // Assess
      expect(record.id).toBe('id-1');
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
      expect(ddb).toHaveReceivedCommandWith(PutCommand, {
        TableName: TABLE,
        ConditionExpression: 'attribute_not_exists(pk)',
        Item: {
          pk: 'audit#2026-11-23',
          sk: '2026-11-23T10:00:00.000Z#id-1',
          id: 'id-1',
          at: '2026-11-23T10:00:00.000Z',
          who: 'arn:aws:iam::123456789012:role/Ops',
          what: 'kill-switch.set',
          target: 'provider/gemini',
          after: { state: 'on', reason: 'storm' },
          reason: 'storm',
          requestId: 'req-9',
        },
      });
    });

    it('partitions by the UTC day of a given at', async () => {
      // Prepare
      ddb.on(PutCommand).resolves({});
      const log = makeLog();

      // Act
      await log.write({
        at: '2026-11-24T00:30:00+02:00',
        who: 'cli',
        what: 'model.put',
        target: 'model/x',
        before: null,
        after: null,
      });

      // Assess
      const input = ddb.commandCalls(PutCommand)[0]!.args[0].input;
      expect(input.Item).toMatchObject({
        pk: 'audit#2026-11-23',
        sk: '2026-11-23T22:30:00.000Z#id-1',
      });
    });

    it('redacts secrets before they reach the table', async () => {
      // Prepare
      ddb.on(PutCommand).resolves({});
      const log = makeLog();
      const key = 'AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q';

      // Act
      await log.write({
        who: 'admin-key',
        what: 'provider.put',
        target: 'provider/gemini',
        before: { apiKey: key },
        after: { headers: { authorization: `Bearer ${key}` } },
        reason: `leaked ${key}`,
      });

      // Assess
      const input = ddb.commandCalls(PutCommand)[0]!.args[0].input;
      expect(JSON.stringify(input)).not.toContain(key);
      expect(input.Item).toMatchObject({
        before: { apiKey: REDACTED },
        after: { headers: { authorization: REDACTED } },
        reason: `leaked ${REDACTED}`,
      });
    });

    it('turns a lost condition into an AuditLogError', async () => {
      // Prepare
      ddb.on(PutCommand).rejects(
        new ConditionalCheckFailedException({
          message: 'exists',
          $metadata: {},
        })
      );
      const log = makeLog();

      // Act
      const write = log.write({
        who: 'a',
        what: 'b',
        target: 'c',
        before: 1,
        after: 2,
      });

      // Assess
      await expect(write).rejects.toBeInstanceOf(AuditLogError);
      await expect(write).rejects.toThrow('audit record id-1 already exists');
    });
  });

  describe('Method: list', () => {
    it('queries today first, newest first, and strips the keys', async () => {
      // Prepare
      ddb
        .on(QueryCommand, {
          ExpressionAttributeValues: { ':pk': 'audit#2026-11-23' },
        })
        .resolves({
          Items: [
            item('2026-11-23T09:00:00.000Z', 'b'),
            item('2026-11-23T08:00:00.000Z', 'a'),
          ],
        });
      const log = makeLog({ listDays: 1 });

      // Act
      const records = await log.list();

      // Assess
      expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
        TableName: TABLE,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'pk' },
        ScanIndexForward: false,
        Limit: 100,
      });
      expect(records.map((r) => r.id)).toEqual(['b', 'a']);
      expect(records[0]).not.toHaveProperty('pk');
      expect(records[0]).not.toHaveProperty('sk');
    });

    it('walks back through days and pages until the limit', async () => {
      // Prepare
      ddb
        .on(QueryCommand)
        .resolves({ Items: [] })
        .on(QueryCommand, {
          ExpressionAttributeValues: { ':pk': 'audit#2026-11-23' },
        })
        .resolves({ Items: [item('2026-11-23T01:00:00.000Z', 'today')] })
        .on(QueryCommand, {
          ExpressionAttributeValues: { ':pk': 'audit#2026-11-21' },
          ExclusiveStartKey: undefined,
        })
        .resolves({
          Items: [item('2026-11-21T23:00:00.000Z', 'p1')],
          LastEvaluatedKey: { pk: 'audit#2026-11-21', sk: 'x' },
        })
        .on(QueryCommand, {
          ExpressionAttributeValues: { ':pk': 'audit#2026-11-21' },
          ExclusiveStartKey: { pk: 'audit#2026-11-21', sk: 'x' },
        })
        .resolves({
          Items: [
            item('2026-11-21T22:00:00.000Z', 'p2'),
            item('2026-11-21T21:00:00.000Z', 'p3'),
          ],
          LastEvaluatedKey: { pk: 'audit#2026-11-21', sk: 'y' },
        });
      const log = makeLog({ listDays: 7 });

      // Act
      const records = await log.list({ limit: 3 });

      // Assess: stops mid-page on day 3 without reading further.
      expect(records.map((r) => r.id)).toEqual(['today', 'p1', 'p2']);
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 4);
      expect(ddb).toHaveReceivedNthSpecificCommandWith(4, QueryCommand, {
        Limit: 1,
        ExclusiveStartKey: { pk: 'audit#2026-11-21', sk: 'x' },
      });
    });

    it('filters by target prefix on the server', async () => {
      // Prepare
      ddb.on(QueryCommand).resolves({
        Items: [item('2026-11-23T09:00:00.000Z', 'm', 'model/x')],
      });
      const log = makeLog({ listDays: 2 });

      // Act
      const records = await log.list({ targetPrefix: 'model/', limit: 5 });

      // Assess
      expect(records.map((r) => r.id)).toEqual(['m', 'm']);
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2);
      expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
        FilterExpression: 'begins_with(#target, :prefix)',
        ExpressionAttributeNames: { '#pk': 'pk', '#target': 'target' },
        ExpressionAttributeValues: {
          ':pk': 'audit#2026-11-22',
          ':prefix': 'model/',
        },
      });
    });

    it('wraps query failures', async () => {
      // Prepare
      ddb.on(QueryCommand).rejects(new Error('throttled'));
      const log = makeLog();

      // Act
      const listing = log.list();

      // Assess
      await expect(listing).rejects.toBeInstanceOf(AuditLogError);
      await expect(listing).rejects.toThrow('could not list audit records');
    });
  });
});
