import { dirname } from 'node:path';
import {
  AssetHashType,
  Duration,
  type ILocalBundling,
  type RemovalPolicy,
  Stack,
} from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import { lambdaBuildOptions } from '../bundling';
import { acknowledge, acknowledgeWildcardResources } from '../nag';
import type { GatewayKey } from './gateway-key';
import { WarmPool, type WarmPoolSettings } from './warm-pool';

/** CloudWatch namespace every gateway function publishes EMF metrics to. */
export const METRICS_NAMESPACE = 'AiGateway';

/** Read-only or read-write access granted by the bind methods. */
export type AccessMode = 'R' | 'RW';

/** Powertools log levels. */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/**
 * The esbuild step of every function, run at synth (locally, no Docker):
 * the shared settings of lib/bundling.ts (ESM, `module` entry points first,
 * AWS SDK bundled, the credential providers a Lambda never reaches left out)
 * with code splitting, so the asset is `index.mjs` plus the lazy chunks in
 * `chunks/`. NodejsFunction can't ship that: it passes esbuild a fixed
 * `--outfile`, and splitting needs an output folder. Stacks that skip
 * bundling (`aws:cdk:bundling-stacks: []`, the infra tests) never run it.
 */
export class GatewayEsbuild implements ILocalBundling {
  public constructor(
    private readonly entry: string,
    private readonly sourceMap: boolean
  ) {}

  /** Builds into the asset folder; a failed build fails synth. */
  public tryBundle(outputDir: string): boolean {
    buildSync(
      lambdaBuildOptions({
        entry: this.entry,
        outdir: outputDir,
        sourceMap: this.sourceMap,
      })
    );
    return true;
  }
}

/**
 * The function's code: the output of {@link GatewayEsbuild}, hashed by
 * output so an unchanged bundle is an unchanged asset.
 */
export function gatewayCode(entry: string, sourceMap: boolean): lambda.Code {
  return lambda.Code.fromAsset(dirname(entry), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the type, never used: local bundling always succeeds or throws.
      image: lambda.Runtime.NODEJS_22_X.bundlingImage,
      local: new GatewayEsbuild(entry, sourceMap),
    },
  });
}

/** Where a function runs when the deployment has a VPC. */
export interface GatewayFunctionNetwork {
  /** The VPC. */
  readonly vpc: ec2.IVpc;
  /** Subnets for the function's ENIs (the firewall-inspected private subnets). */
  readonly subnets: readonly ec2.ISubnet[];
  /** Security groups of the function's ENIs. */
  readonly securityGroups: readonly ec2.ISecurityGroup[];
}

/** Function settings a caller may override; the rest is fixed here. */
export type GatewayFunctionOverrides = Pick<
  lambda.FunctionProps,
  'deadLetterQueue' | 'retryAttempts' | 'maxEventAge'
>;

/** Props of {@link GatewayFunction}. */
export interface GatewayFunctionProps {
  /** Path of the TypeScript entry file exporting `handler`. */
  readonly entry: string;
  /** POWERTOOLS_SERVICE_NAME, also the `service` metric dimension. */
  readonly serviceName: string;
  /** Key that encrypts the function's log group. */
  readonly logKey: GatewayKey;
  /** Function description. @default - none */
  readonly description?: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the log group on stack delete. @default - RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default 'INFO' */
  readonly logLevel?: LogLevel;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** Reserved concurrency. @default - unreserved (account pool) */
  readonly reservedConcurrentExecutions?: number;
  /** VPC placement. @default - not in a VPC */
  readonly network?: GatewayFunctionNetwork;
  /** Extra environment variables. @default - none */
  readonly environment?: Record<string, string>;
  /** DLQ and async retry settings. @default - Lambda defaults */
  readonly functionProps?: GatewayFunctionOverrides;
  /**
   * Ship a source map and run with `--enable-source-maps`, so stack traces
   * in logs name TypeScript files and lines. Node parses the whole map when
   * the module loads: about +25 ms of cold start for the router's 3.8 MB map
   * (measured), which is why the router turns it off unless asked.
   * @default true
   */
  readonly sourceMaps?: boolean;
}

/** Arguments of {@link GatewayFunction.bindTable}. */
export interface BindTableOptions {
  /** The table (its KMS key, if any, is granted too). */
  readonly table: dynamodb.ITableV2 | dynamodb.ITable;
  /** R = reads only; RW = reads and item writes. */
  readonly accessMode: AccessMode;
  /** Environment variable that receives the table name. */
  readonly envVarName: string;
}

/** Arguments of {@link GatewayFunction.bindParameterPath}. */
export interface BindParameterPathOptions {
  /** Parameter hierarchy, e.g. `/ai/kill-switches/prod` (no trailing slash). */
  readonly path: string;
  /** R = get and get-by-path; RW = also put under the path. */
  readonly accessMode: AccessMode;
  /** Environment variable that receives the path. */
  readonly envVarName: string;
}

/** Arguments of {@link GatewayFunction.bindParameter}. */
export interface BindParameterOptions {
  /** Full parameter name, e.g. `/ai/routing/prod/active-models`. */
  readonly parameterName: string;
  /** R = get; RW = also put. */
  readonly accessMode: AccessMode;
  /** Environment variable that receives the name. */
  readonly envVarName: string;
}

/** Arguments of {@link GatewayFunction.bindSecret}. */
export interface BindSecretOptions {
  /** The secret (read-only access; its KMS key is granted decrypt). */
  readonly secret: secretsmanager.ISecret;
  /** Environment variable that receives the secret ARN. */
  readonly envVarName: string;
}

/** Arguments of {@link GatewayFunction.addToPolicy}. */
export interface AddToPolicyOptions {
  /** Statement id. @default - none */
  readonly sid?: string;
  /** Exact IAM actions (no wildcards). */
  readonly actions: readonly string[];
  /** Resource ARNs. */
  readonly resources: readonly string[];
  /** Conditions. @default - none */
  readonly conditions?: Record<string, Record<string, unknown>>;
  /**
   * Why a wildcard in `resources` is the narrowest scope possible; required
   * when a resource contains `*`, and recorded as the cdk-nag acknowledgement.
   * @default - resources must be wildcard-free
   */
  readonly wildcardReason?: string;
}

const DYNAMODB_READ = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
const DYNAMODB_WRITE = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];
// Explicit names instead of CDK's `kms:GenerateDataKey*`/`kms:ReEncrypt*`,
// so no action anywhere carries a wildcard.
const KMS_READ = ['kms:Decrypt', 'kms:DescribeKey'];
const KMS_WRITE = ['kms:Encrypt', 'kms:GenerateDataKey'];

const ENV_VAR_PATTERN = /^[A-Z][A-Z0-9_]*$/;

/**
 * The one Lambda construct of the gateway: Node.js 22 on ARM64, ESM bundle,
 * X-Ray active tracing, an explicit KMS-encrypted log group, Powertools
 * environment, and an execution role that starts empty. Access is added with
 * the `bind*` methods, each granting exact actions and setting the env var
 * the runtime reads in the same call.
 */
export class GatewayFunction extends Construct {
  /** The function. */
  public readonly function: lambda.Function;
  /** Its log group. */
  public readonly logGroup: logs.LogGroup;
  /** Its execution role (no managed policies except VPC ENI access). */
  public readonly role: iam.Role;

  /** Its provisioned-concurrency pool, once {@link addWarmPool} made one. */
  public warmPool?: WarmPool;

  private readonly env = new Map<string, string>();
  private readonly reservedConcurrency?: number;

  constructor(scope: Construct, id: string, props: GatewayFunctionProps) {
    super(scope, id);
    const problems: string[] = [];
    if (
      props.memorySize !== undefined &&
      (props.memorySize < 128 || props.memorySize > 10240)
    ) {
      problems.push(
        `memorySize must be between 128 and 10240, got ${props.memorySize}`
      );
    }
    if (
      props.reservedConcurrentExecutions !== undefined &&
      props.reservedConcurrentExecutions < 1
    ) {
      problems.push(
        `reservedConcurrentExecutions must be at least 1, got ${props.reservedConcurrentExecutions}`
      );
    }
    if (props.network && props.network.subnets.length === 0) {
      problems.push('network.subnets must not be empty');
    }
    if (problems.length > 0) {
      throw new Error(`GatewayFunction ${id}: ${problems.join('; ')}`);
    }

    this.reservedConcurrency = props.reservedConcurrentExecutions;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      encryptionKey: props.logKey.allowCloudWatchLogs().key,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy,
    });

    this.role = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.serviceName}`,
    });
    // Scoped to this log group instead of AWSLambdaBasicExecutionRole.
    this.logGroup.grantWrite(this.role);

    const environment: Record<string, string> = {
      ...props.environment,
      POWERTOOLS_SERVICE_NAME: props.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      LOG_LEVEL: props.logLevel ?? 'INFO',
    };
    const sourceMaps = props.sourceMaps ?? true;
    if (sourceMaps) environment.NODE_OPTIONS = '--enable-source-maps';

    this.function = new lambda.Function(this, 'Resource', {
      ...props.functionProps,
      code: gatewayCode(props.entry, sourceMaps),
      handler: 'index.handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      role: this.role,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      vpc: props.network?.vpc,
      vpcSubnets: props.network
        ? { subnets: [...props.network.subnets] }
        : undefined,
      securityGroups: props.network
        ? [...props.network.securityGroups]
        : undefined,
      environment,
    });
    for (const [k, v] of Object.entries(environment)) this.env.set(k, v);

    if (props.network) {
      this.role.addManagedPolicy(
        iam.ManagedPolicy.fromAwsManagedPolicyName(
          'service-role/AWSLambdaVPCAccessExecutionRole'
        )
      );
      acknowledge(
        this,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        'Lambda manages the function ENIs with this AWS-maintained policy; its ec2 network-interface actions do not support resource scoping that Lambda validates at create time'
      );
    }
    acknowledge(
      this,
      'AwsSolutions-IAM5[Resource::*]',
      'xray:PutTraceSegments and xray:PutTelemetryRecords (added for active tracing) support no resource-level permissions'
    );
    acknowledge(
      this,
      'AwsSolutions-L1',
      'Pinned to nodejs22.x on purpose: the bundle targets node22 and the toolchain was verified on it; moving to nodejs24.x is a tested upgrade, not an automatic one'
    );
  }

  /** Its environment variables so far (a copy; later bindings are not in it). */
  public environmentVariables(): Record<string, string> {
    return Object.fromEntries(this.env);
  }

  /**
   * Keeps environments warm: a published version behind the `live` alias
   * with provisioned concurrency and utilization scaling. Integrations
   * should then use {@link invokeTarget}. One pool per function.
   */
  public addWarmPool(settings: WarmPoolSettings): WarmPool {
    if (this.warmPool) {
      throw new Error(`${this.node.id} already has a warm pool`);
    }
    this.warmPool = new WarmPool(this, 'WarmPool', {
      ...settings,
      function: this.function,
      reservedConcurrency: this.reservedConcurrency,
    });
    return this.warmPool;
  }

  /**
   * What APIs should invoke: the warm pool's alias when there is one (an
   * unqualified ARN runs $LATEST, which provisioned concurrency never
   * covers), the function itself otherwise.
   */
  public get invokeTarget(): lambda.IFunction {
    return this.warmPool?.alias ?? this.function;
  }

  /** The function's ARN. */
  public get functionArn(): string {
    return this.function.functionArn;
  }

  /** Sets an environment variable; a second, different value for the same name fails synth. */
  public addEnvironment(name: string, value: string): this {
    if (!ENV_VAR_PATTERN.test(name)) {
      throw new Error(
        `environment variable names must match ${ENV_VAR_PATTERN.source}, got "${name}"`
      );
    }
    const existing = this.env.get(name);
    if (existing !== undefined && existing !== value) {
      throw new Error(`environment variable ${name} is already bound`);
    }
    this.env.set(name, value);
    this.function.addEnvironment(name, value);
    return this;
  }

  /** Grants exact item actions on a table (and its key) and sets `envVarName` to its name. */
  public bindTable(options: BindTableOptions): this {
    const { table, accessMode } = options;
    this.addEnvironment(options.envVarName, table.tableName);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions:
          accessMode === 'RW'
            ? [...DYNAMODB_READ, ...DYNAMODB_WRITE]
            : DYNAMODB_READ,
        resources: [table.tableArn],
      })
    );
    if (table.encryptionKey) {
      const stack = Stack.of(this);
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: accessMode === 'RW' ? [...KMS_READ, ...KMS_WRITE] : KMS_READ,
          resources: [table.encryptionKey.keyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': `dynamodb.${stack.region}.amazonaws.com`,
            },
          },
        })
      );
    }
    return this;
  }

  /**
   * Grants access to every parameter under a path and sets `envVarName` to
   * the path. The wildcard is the path itself: switches such as
   * `model/<id>` are created at run time, so their names are not known here.
   */
  public bindParameterPath(options: BindParameterPathOptions): this {
    const path = checkParameterName(options.path, 'path');
    this.addEnvironment(options.envVarName, path);
    const reason = `Parameters under ${path} are created at run time (per model, route or domain), so the path is the narrowest scope`;
    const read = new iam.PolicyStatement({
      actions: [
        'ssm:GetParameter',
        'ssm:GetParameters',
        'ssm:GetParametersByPath',
      ],
      resources: [this.parameterArn(path), this.parameterArn(`${path}/*`)],
    });
    this.role.addToPrincipalPolicy(read);
    acknowledgeWildcardResources(this, read, reason);
    if (options.accessMode === 'RW') {
      const write = new iam.PolicyStatement({
        actions: ['ssm:PutParameter'],
        resources: [this.parameterArn(`${path}/*`)],
      });
      this.role.addToPrincipalPolicy(write);
      acknowledgeWildcardResources(this, write, reason);
    }
    return this;
  }

  /** Grants access to one parameter and sets `envVarName` to its name. */
  public bindParameter(options: BindParameterOptions): this {
    const name = checkParameterName(options.parameterName, 'parameterName');
    this.addEnvironment(options.envVarName, name);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions:
          options.accessMode === 'RW'
            ? ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:PutParameter']
            : ['ssm:GetParameter', 'ssm:GetParameters'],
        resources: [this.parameterArn(name)],
      })
    );
    return this;
  }

  /** Grants read access to one secret (and decrypt on its key) and sets `envVarName` to its ARN. */
  public bindSecret(options: BindSecretOptions): this {
    const { secret } = options;
    this.addEnvironment(options.envVarName, secret.secretArn);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'secretsmanager:GetSecretValue',
          'secretsmanager:DescribeSecret',
        ],
        resources: [secret.secretArn],
      })
    );
    if (secret.encryptionKey) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [secret.encryptionKey.keyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com`,
            },
          },
        })
      );
    }
    return this;
  }

  /**
   * Adds one statement to the execution role. Actions must be exact; a
   * wildcard resource needs `wildcardReason`, which becomes the cdk-nag
   * acknowledgement of that exact resource.
   */
  public addToPolicy(options: AddToPolicyOptions): this {
    const wildAction = options.actions.find((a) => a.includes('*'));
    if (wildAction) {
      throw new Error(
        `actions must not contain wildcards, got "${wildAction}"`
      );
    }
    const statement = new iam.PolicyStatement({
      sid: options.sid,
      actions: [...options.actions],
      resources: [...options.resources],
      conditions: options.conditions,
    });
    const hasWildcard = options.resources.some((r) => r.includes('*'));
    if (hasWildcard && !options.wildcardReason) {
      throw new Error(
        `a wildcard resource needs wildcardReason, got ${options.resources.join(', ')}`
      );
    }
    this.role.addToPrincipalPolicy(statement);
    if (options.wildcardReason) {
      acknowledgeWildcardResources(this, statement, options.wildcardReason);
    }
    return this;
  }

  private parameterArn(name: string): string {
    return Stack.of(this).formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: name.replace(/^\//, ''),
    });
  }
}

function checkParameterName(name: string, what: string): string {
  if (!/^\/[A-Za-z0-9_.\-/]+[^/]$/.test(name)) {
    throw new Error(
      `${what} must start with / and not end with /, got "${name}"`
    );
  }
  return name;
}
