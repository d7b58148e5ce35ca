import {
  GetParameterCommand,
  GetParametersByPathCommand,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { awsOpsContext } from '../../scripts/ops/aws';
import { ControlPlaneOpsBackend } from '../../scripts/ops/backend';
import { type OpsIo, runOps } from '../../scripts/ops/cli';
import { LOCAL_AWS, useDynamoDbLocal } from '../helpers/dynamodb-local';

/**
 * AWS mode of the ops CLI: SSM through aws-sdk-client-mock, DynamoDB on the
 * real DynamoDB Local (audit records are really written and read back).
 */
describe('Function: runOps (AWS mode)', () => {
  const ddb = useDynamoDbLocal();
  const ssm = mockClient(SSMClient);
  const saved = { ...process.env };
  let out: string[];
  let err: string[];
  const io: OpsIo = { out: (t) => out.push(t), err: (t) => err.push(t) };

  beforeAll(async () => {
    const [registry, audit, tenants] = await Promise.all([
      ddb.createTable('ops-registry'),
      ddb.createTable('ops-audit'),
      ddb.createTable('ops-tenants'),
    ]);
    Object.assign(process.env, {
      GATEWAY_REGISTRY_TABLE: registry,
      GATEWAY_AUDIT_TABLE: audit,
      GATEWAY_TENANTS_TABLE: tenants,
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint(),
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      GATEWAY_OPS_USER: 'alice@ops-cli',
    });
  });
  afterAll(() => {
    process.env = saved;
    ssm.restore();
  });
  beforeEach(() => {
    out = [];
    err = [];
    ssm.reset();
  });

  const backend = async ({ env }: { env?: string }) => {
    const ctx = await awsOpsContext(env ?? 'dev');
    return new ControlPlaneOpsBackend(ctx.plane, ctx.who, ctx.describe);
  };

  it('engages a kill switch in SSM and audits it in DynamoDB', async () => {
    // Prepare
    ssm
      .on(GetParameterCommand)
      .rejects(new ParameterNotFound({ message: 'missing', $metadata: {} }));
    ssm.on(PutParameterCommand).resolves({ Version: 1 });
    ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
    // Act
    const code = await runOps(
      [
        'kill-switch',
        'set',
        'provider/gemini',
        'on',
        '--reason',
        'quota exhausted',
        '--env',
        'dev',
      ],
      io,
      backend
    );
    // Assess
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: '/ai/kill-switches/dev/provider/gemini',
      Overwrite: true,
    });
    const put = ssm.commandCalls(PutParameterCommand)[0]!.args[0].input;
    expect(JSON.parse(put.Value!)).toEqual(
      expect.objectContaining({
        state: 'on',
        reason: 'quota exhausted',
        by: 'alice@ops-cli',
      })
    );
    out = [];
    expect(await runOps(['audit', '--json', '--env', 'dev'], io, backend)).toBe(
      0
    );
    const records = JSON.parse(out.join('')) as {
      who: string;
      what: string;
      target: string;
    }[];
    expect(records[0]).toEqual(
      expect.objectContaining({
        who: 'alice@ops-cli',
        what: 'kill-switch.set',
        target: 'kill-switch/provider/gemini',
      })
    );
  });

  it('refuses an unknown environment before touching AWS', async () => {
    expect(await runOps(['status', '--env', 'qa'], io, backend)).toBe(1);
    expect(err.join('')).toContain('dev, staging or prod');
    expect(ssm.calls()).toHaveLength(0);
  });
});
