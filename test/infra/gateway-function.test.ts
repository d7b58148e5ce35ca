import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  LAMBDA_EXTERNAL_MODULES,
  lambdaBuildOptions,
} from '../../lib/bundling';
import { GatewayFunction } from '../../lib/constructs/gateway-function';
import { GatewayKey } from '../../lib/constructs/gateway-key';
import { CDK_JSON_CONTEXT, createTestApp, iamStatements } from './helpers';

const ENTRY = path.join(__dirname, 'fixtures', 'echo-handler.ts');

const setup = (app: App = createTestApp()) => {
  const stack = new Stack(app, 'Test', { env: { region: 'eu-central-1' } });
  const key = new GatewayKey(stack, 'Key', {
    alias: 'test/key',
    description: 'test',
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const fn = new GatewayFunction(stack, 'Fn', {
    entry: ENTRY,
    serviceName: 'test-service',
    logKey: key,
  });
  return { stack, key, fn };
};

const dataKey = (stack: Stack) => new kms.Key(stack, 'DataKey');

describe('Class: GatewayFunction', () => {
  it('runs Node.js 22 on ARM64 with active tracing', () => {
    // GIVEN
    const { stack } = setup();

    // WHEN
    const template = Template.fromStack(stack);

    // THEN
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
    });
  });

  it('sets the Powertools environment and source maps', () => {
    // GIVEN
    const { stack } = setup();

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          POWERTOOLS_SERVICE_NAME: 'test-service',
          POWERTOOLS_METRICS_NAMESPACE: 'AiGateway',
          LOG_LEVEL: 'INFO',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
  });

  it('runs without --enable-source-maps when source maps are off', () => {
    // GIVEN
    const { stack, key } = setup();

    // WHEN
    new GatewayFunction(stack, 'NoMaps', {
      entry: ENTRY,
      serviceName: 'no-maps',
      logKey: key,
      sourceMaps: false,
    });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'no-maps',
          NODE_OPTIONS: Match.absent(),
        }),
      },
    });
  });

  it('leaves only the credential providers a Lambda never reaches out of the bundle', () => {
    // THEN
    const options = lambdaBuildOptions({
      entry: ENTRY,
      outdir: '/tmp/out',
      sourceMap: true,
    });
    expect(options.external).toEqual([...LAMBDA_EXTERNAL_MODULES]);
    expect(options.external).not.toContain('@aws-sdk/credential-provider-env');
    expect(options.external).not.toContain('@smithy/credential-provider-imds');
    // Splitting into a folder: the handler file plus lazy chunks.
    expect(options).toMatchObject({
      splitting: true,
      format: 'esm',
      outdir: '/tmp/out',
      entryNames: 'index',
      outExtension: { '.js': '.mjs' },
    });
  });

  it('logs to its own KMS-encrypted log group with a retention', () => {
    // GIVEN
    const { stack } = setup();
    const template = Template.fromStack(stack);

    // THEN
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
      RetentionInDays: 30,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: {
        LogGroup: { Ref: Match.stringLikeRegexp('^FnLogGroup') },
      },
    });
  });

  it('starts from a role without managed policies', () => {
    // GIVEN
    const { stack } = setup();

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('attaches the VPC access policy only when placed in a VPC', () => {
    // GIVEN
    const app = createTestApp();
    const { stack, key } = setup(app);
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 1,
      natGateways: 0,
      subnetConfiguration: [
        { name: 'P', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
    });

    // WHEN
    new GatewayFunction(stack, 'InVpc', {
      entry: ENTRY,
      serviceName: 'in-vpc',
      logKey: key,
      network: {
        vpc,
        subnets: vpc.isolatedSubnets,
        securityGroups: [new ec2.SecurityGroup(stack, 'Sg', { vpc })],
      },
    });

    // THEN
    Template.fromStack(stack).resourcePropertiesCountIs(
      'AWS::IAM::Role',
      {
        ManagedPolicyArns: [
          {
            'Fn::Join': [
              '',
              Match.arrayWith([
                Match.stringLikeRegexp('AWSLambdaVPCAccessExecutionRole$'),
              ]),
            ],
          },
        ],
      },
      1
    );
  });

  describe('Method: bindTable', () => {
    it('grants reads only, and decrypt through DynamoDB, for R', () => {
      // GIVEN
      const { stack, fn } = setup();
      const table = new dynamodb.TableV2(stack, 'Table', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        encryption: dynamodb.TableEncryptionV2.customerManagedKey(
          dataKey(stack)
        ),
      });

      // WHEN
      fn.bindTable({ table, accessMode: 'R', envVarName: 'MY_TABLE' });

      // THEN
      const statements = iamStatements(Template.fromStack(stack));
      expect(statements).toEqual(
        expect.arrayContaining([
          {
            Effect: 'Allow',
            Action: [
              'dynamodb:BatchGetItem',
              'dynamodb:ConditionCheckItem',
              'dynamodb:DescribeTable',
              'dynamodb:GetItem',
              'dynamodb:Query',
              'dynamodb:Scan',
            ],
            Resource: {
              'Fn::GetAtt': [expect.stringMatching(/^Table/), 'Arn'],
            },
          },
          {
            Effect: 'Allow',
            Action: ['kms:Decrypt', 'kms:DescribeKey'],
            Resource: {
              'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'],
            },
            Condition: {
              StringEquals: {
                'kms:ViaService': 'dynamodb.eu-central-1.amazonaws.com',
              },
            },
          },
        ])
      );
    });

    it('adds item writes for RW and sets the env var to the table name', () => {
      // GIVEN
      const { stack, fn } = setup();
      const table = new dynamodb.TableV2(stack, 'Table', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      });

      // WHEN
      fn.bindTable({ table, accessMode: 'RW', envVarName: 'MY_TABLE' });

      // THEN
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: Match.arrayWith([
                'dynamodb:DeleteItem',
                'dynamodb:PutItem',
                'dynamodb:UpdateItem',
              ]),
            }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            MY_TABLE: { Ref: Match.stringLikeRegexp('^Table') },
          }),
        },
      });
    });
  });

  describe('Method: bindParameterPath', () => {
    it('grants get and get-by-path on the path and sets the env var', () => {
      // GIVEN
      const { stack, fn } = setup();

      // WHEN
      fn.bindParameterPath({
        path: '/ai/kill-switches/dev',
        accessMode: 'R',
        envVarName: 'PREFIX',
      });

      // THEN
      const template = Template.fromStack(stack);
      const statement = iamStatements(template).find((s) =>
        [s.Action].flat().includes('ssm:GetParametersByPath')
      );
      expect(JSON.stringify(statement?.Resource)).toContain(
        ':parameter/ai/kill-switches/dev"'
      );
      expect(JSON.stringify(statement?.Resource)).toContain(
        ':parameter/ai/kill-switches/dev/*"'
      );
      expect(
        iamStatements(template).flatMap((s) => [s.Action].flat())
      ).not.toContain('ssm:PutParameter');
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({ PREFIX: '/ai/kill-switches/dev' }),
        },
      });
    });

    it('fails on a path with a trailing slash', () => {
      // GIVEN
      const { fn } = setup();

      // WHEN / THEN
      expect(() =>
        fn.bindParameterPath({
          path: '/ai/x/',
          accessMode: 'R',
          envVarName: 'P',
        })
      ).toThrow(/path must start with \/ and not end with \/, got "\/ai\/x\/"/);
    });
  });

  describe('Method: bindSecret', () => {
    it('grants read-only access and decrypt through Secrets Manager', () => {
      // GIVEN
      const { stack, fn } = setup();
      const secret = new secretsmanager.Secret(stack, 'Secret', {
        encryptionKey: dataKey(stack),
      });

      // WHEN
      fn.bindSecret({ secret, envVarName: 'MY_SECRET_ARN' });

      // THEN
      const statements = iamStatements(Template.fromStack(stack));
      expect(statements).toEqual(
        expect.arrayContaining([
          {
            Effect: 'Allow',
            Action: [
              'secretsmanager:DescribeSecret',
              'secretsmanager:GetSecretValue',
            ],
            Resource: { Ref: expect.stringMatching(/^Secret/) },
          },
          expect.objectContaining({
            Action: 'kms:Decrypt',
            Condition: {
              StringEquals: {
                'kms:ViaService': 'secretsmanager.eu-central-1.amazonaws.com',
              },
            },
          }),
        ])
      );
    });
  });

  describe('Method: addToPolicy', () => {
    it('fails on a wildcard action', () => {
      // GIVEN
      const { fn } = setup();

      // WHEN / THEN
      expect(() =>
        fn.addToPolicy({ actions: ['s3:*'], resources: ['arn:aws:s3:::b'] })
      ).toThrow(/actions must not contain wildcards, got "s3:\*"/);
    });

    it('fails on a wildcard resource without a reason', () => {
      // GIVEN
      const { fn } = setup();

      // WHEN / THEN
      expect(() =>
        fn.addToPolicy({
          actions: ['s3:GetObject'],
          resources: ['arn:aws:s3:::b/*'],
        })
      ).toThrow(/a wildcard resource needs wildcardReason/);
    });
  });

  describe('Method: addEnvironment', () => {
    it('fails when a variable is bound twice to different values', () => {
      // GIVEN
      const { fn } = setup();
      fn.addEnvironment('X', 'one');

      // WHEN / THEN
      expect(() => fn.addEnvironment('X', 'two')).toThrow(
        /environment variable X is already bound/
      );
    });
  });

  it('fails on an out-of-range memory size', () => {
    // GIVEN
    const stack = new Stack(createTestApp(), 'Test');
    const key = new GatewayKey(stack, 'Key', {
      alias: 'k',
      description: 'k',
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // WHEN / THEN
    expect(
      () =>
        new GatewayFunction(stack, 'Fn', {
          entry: ENTRY,
          serviceName: 's',
          logKey: key,
          memorySize: 64,
        })
    ).toThrow(/memorySize must be between 128 and 10240, got 64/);
  });

  it('bundles a minified ESM file with the require shim, source maps and lazy chunks', () => {
    // GIVEN an app that really bundles a handler with an import() path
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-fn-'));
    try {
      const app = new App({
        outdir,
        context: CDK_JSON_CONTEXT,
        builtinCloudFormationValidation: false,
      });
      const stack = new Stack(app, 'Test', {
        env: { region: 'eu-central-1' },
      });
      const key = new GatewayKey(stack, 'Key', {
        alias: 'test/key',
        description: 'test',
        removalPolicy: RemovalPolicy.DESTROY,
      });
      new GatewayFunction(stack, 'Fn', {
        entry: path.join(__dirname, 'fixtures', 'lazy-handler.ts'),
        serviceName: 'test-service',
        logKey: key,
      });

      // WHEN
      app.synth();

      // THEN
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.handler',
      });
      const assetDir = fs
        .readdirSync(outdir)
        .map((d) => path.join(outdir, d))
        .find((d) => fs.existsSync(path.join(d, 'index.mjs')));
      expect(assetDir).toBeDefined();
      const code = fs.readFileSync(path.join(assetDir!, 'index.mjs'), 'utf8');
      expect(
        code.startsWith(
          "import { createRequire } from 'module'; const require = createRequire(import.meta.url);"
        )
      ).toBe(true);
      expect(code).toMatch(/export\s*\{/);
      expect(fs.existsSync(path.join(assetDir!, 'index.mjs.map'))).toBe(true);
      // The lazy path is a chunk of the asset, with its own map ...
      const chunks = fs.readdirSync(path.join(assetDir!, 'chunks'));
      expect(chunks.filter((f) => f.endsWith('.mjs'))).toHaveLength(1);
      expect(chunks.filter((f) => f.endsWith('.mjs.map'))).toHaveLength(1);
      expect(code).not.toContain('from the lazy chunk');
      // ... that the deployed handler loads from the asset folder.
      const run = (lazy: boolean) =>
        execFileSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const { handler } = await import(${JSON.stringify(path.join(assetDir!, 'index.mjs'))}); process.stdout.write(await handler({ lazy: ${lazy} }));`,
          ],
          { encoding: 'utf8' }
        );
      expect(run(false)).toBe('eager');
      expect(run(true)).toBe('from the lazy chunk');
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
