import * as path from 'node:path';
import { Duration, Lazy, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';
import { REPO_ROOT } from '../paths';
import {
  GatewayFunction,
  type GatewayFunctionNetwork,
} from './gateway-function';
import type { GatewayKey } from './gateway-key';
import type { WarmPoolSettings } from './warm-pool';

/** Props of {@link GatewayWebSocketApi}. */
export interface GatewayWebSocketApiProps {
  /**
   * The router function: the WebSocket function runs the same router app,
   * so it gets the router's environment and IAM statements (its default
   * policy is attached to the WebSocket role too), plus its own.
   */
  readonly router: GatewayFunction;
  /** Holds connection, flight and cancel items (`WSCONN#<id>`); the usage table. */
  readonly table: dynamodb.ITableV2 | dynamodb.ITable;
  /** TTL attribute of `table`. @default 'expiresAt' */
  readonly ttlAttribute?: string;
  readonly apiName: string;
  readonly stageName: string;
  /** Encrypts the function's and the access logs. */
  readonly logKey: GatewayKey;
  readonly logRetention?: logs.RetentionDays;
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Stage throttling (messages and connections per second, per account region share). */
  readonly throttle: {
    readonly rateLimit: number;
    readonly burstLimit: number;
  };
  /** Generations in flight per connection (429 beyond). @default 16 */
  readonly maxInFlight?: number;
  /** Least interval between two cancel checks of a generation. @default Duration.millis(250) */
  readonly cancelPollInterval?: Duration;
  /** Longest generation (the function timeout). @default Duration.minutes(5) */
  readonly timeout?: Duration;
  /** VPC placement (the router's). @default - not in a VPC */
  readonly network?: GatewayFunctionNetwork;
  /**
   * Provisioned concurrency on the function's `live` alias, which the routes
   * then invoke. @default - none: the routes invoke $LATEST
   */
  readonly warmPool?: WarmPoolSettings;
}

/** The Lambda entry of the WebSocket routes. */
export const WS_HANDLER_ENTRY = path.join(
  REPO_ROOT,
  'lambdas',
  'router',
  'ws-handler.ts'
);

/**
 * The WebSocket face of the gateway: an API Gateway WebSocket API whose
 * `$connect`, `$disconnect` and `$default` routes invoke one function
 * running the router app (lambdas/router/ws-handler.ts). `$connect`
 * authenticates in the function (it must echo the `gateway.v1`
 * subprotocol, which an authorizer can't); frames go back through the
 * Management API, which the function may call only on this stage's
 * connections.
 */
export class GatewayWebSocketApi extends Construct {
  /** The WebSocket API. */
  public readonly api: apigwv2.WebSocketApi;
  /** Its stage. */
  public readonly stage: apigwv2.WebSocketStage;
  /** The function behind every route. */
  public readonly handler: GatewayFunction;
  /** The stage's access log group. */
  public readonly accessLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: GatewayWebSocketApiProps) {
    super(scope, id);
    const problems: string[] = [];
    const { rateLimit, burstLimit } = props.throttle;
    if (rateLimit <= 0 || burstLimit < rateLimit) {
      problems.push(
        `throttle needs rateLimit > 0 and burstLimit >= rateLimit, got ${rateLimit} and ${burstLimit}`
      );
    }
    const maxInFlight = props.maxInFlight ?? 16;
    if (
      !Number.isInteger(maxInFlight) ||
      maxInFlight < 1 ||
      maxInFlight > 256
    ) {
      problems.push(
        `maxInFlight must be an integer between 1 and 256, got ${maxInFlight}`
      );
    }
    const pollMs = (
      props.cancelPollInterval ?? Duration.millis(250)
    ).toMilliseconds();
    if (pollMs < 50 || pollMs > 5000) {
      problems.push(
        `cancelPollInterval must be between 50 ms and 5 s, got ${pollMs} ms`
      );
    }
    if (problems.length > 0) {
      throw new Error(`GatewayWebSocketApi ${id}: ${problems.join('; ')}`);
    }

    this.handler = new GatewayFunction(this, 'Handler', {
      entry: WS_HANDLER_ENTRY,
      serviceName: 'ai-gateway-websocket',
      description:
        'OpenAI-compatible router over WebSocket ($connect, $disconnect, $default)',
      logKey: props.logKey,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      memorySize: 1024,
      timeout: props.timeout ?? Duration.minutes(5),
      network: props.network,
      sourceMaps: false,
      environment: {
        WS_MAX_IN_FLIGHT: String(maxInFlight),
        WS_CANCEL_POLL_MS: String(pollMs),
        WS_TTL_ATTRIBUTE: props.ttlAttribute ?? 'expiresAt',
      },
    });
    this.handler.bindTable({
      table: props.table,
      accessMode: 'RW',
      envVarName: 'WS_CONNECTIONS_TABLE',
    });
    this.mirrorRouter(props.router);
    if (props.warmPool) this.handler.addWarmPool(props.warmPool);

    const integration = new WebSocketLambdaIntegration(
      'Integration',
      this.handler.invokeTarget
    );
    this.api = new apigwv2.WebSocketApi(this, 'Resource', {
      apiName: props.apiName,
      description: 'OpenAI-compatible AI gateway, WebSocket streaming',
      connectRouteOptions: { integration },
      disconnectRouteOptions: { integration },
      defaultRouteOptions: { integration },
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogGroup', {
      encryptionKey: props.logKey.allowCloudWatchLogs().key,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    this.stage = new apigwv2.WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName,
      autoDeploy: true,
      throttle: { rateLimit, burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        // No message bodies: frames carry prompts and completions.
        format: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            extendedRequestId: '$context.extendedRequestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            eventType: '$context.eventType',
            connectionId: '$context.connectionId',
            status: '$context.status',
            integrationLatency: '$context.integrationLatency',
            error: '$context.error.message',
          })
        ),
      },
    });

    // PostToConnection (POST @connections/{id}) on this stage only; no
    // GetConnection, no DeleteConnection.
    const stack = Stack.of(this);
    this.handler.addToPolicy({
      sid: 'PostToOwnConnections',
      actions: ['execute-api:ManageConnections'],
      resources: [
        stack.formatArn({
          service: 'execute-api',
          resource: this.api.apiId,
          resourceName: `${props.stageName}/POST/@connections/*`,
        }),
      ],
      wildcardReason:
        'Connection ids are minted by API Gateway at run time; the statement is limited to PostToConnection on this API stage',
    });

    for (const route of ['$connect', '$disconnect', '$default']) {
      const r = this.api.node.tryFindChild(`${route}-Route`);
      if (!r) continue;
      acknowledge(
        r,
        'AwsSolutions-APIG4',
        route === '$connect'
          ? 'The $connect function authenticates the tenant key (Authorization header or bearer.<key> subprotocol) against the tenants table; an authorizer could not echo the gateway.v1 subprotocol'
          : 'API Gateway allows authorizers on $connect only; frames of a connection are trusted because $connect authenticated it, and the router re-checks the stored key hash on every frame'
      );
    }
  }

  /** The `wss://` URL of the stage. */
  public get url(): string {
    return this.stage.url;
  }

  /**
   * Gives the function the router's environment (resolved at synth, so
   * bindings added to the router later are included) and attaches the
   * router's IAM default policy to its role: one router app, one set of
   * permissions, no list to keep in sync.
   */
  private mirrorRouter(router: GatewayFunction): void {
    const own = this.handler;
    const cfn = own.function.node.defaultChild as lambda.CfnFunction;
    cfn.addPropertyOverride(
      'Environment.Variables',
      Lazy.any({
        produce: () => ({
          ...router.environmentVariables(),
          ...own.environmentVariables(),
        }),
      })
    );
    const policy = router.role.node.tryFindChild('DefaultPolicy') as
      | iam.Policy
      | undefined;
    if (!policy) {
      throw new Error('the router role has no default policy to mirror');
    }
    policy.attachToRole(own.role);
  }
}
