import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';
import type { GatewayKey } from './gateway-key';

/** One client-facing route of the router. */
export interface RouterRoute {
  /** Resource path. */
  readonly path: string;
  /** HTTP method. */
  readonly method: 'GET' | 'POST';
  /** JSON body schema checked at the edge (POST only). */
  readonly body?: apigw.JsonSchema;
}

/** Client routes; all are served by the router, which authenticates them. */
export const CLIENT_ROUTES: readonly RouterRoute[] = [
  {
    path: '/v1/chat/completions',
    method: 'POST',
    body: {
      type: apigw.JsonSchemaType.OBJECT,
      required: ['messages'],
      properties: { messages: { type: apigw.JsonSchemaType.ARRAY } },
    },
  },
  {
    path: '/v1/embeddings',
    method: 'POST',
    body: {
      type: apigw.JsonSchemaType.OBJECT,
      required: ['input'],
    },
  },
  { path: '/v1/models', method: 'GET' },
  {
    path: '/v1/route',
    method: 'POST',
    body: { type: apigw.JsonSchemaType.OBJECT },
  },
  {
    path: '/v1/feedback',
    method: 'POST',
    body: { type: apigw.JsonSchemaType.OBJECT },
  },
  { path: '/v1/stats', method: 'GET' },
  { path: '/health', method: 'GET' },
];

/** Admin API root; everything below it needs SigV4 (IAM). */
export const ADMIN_PATH = '/v1/admin/{proxy+}';

/** Props of {@link RouterApi}. */
export interface RouterApiProps {
  /** API name, e.g. `ai-gateway-prod`. */
  readonly apiName: string;
  /** Stage name (the environment). */
  readonly stageName: string;
  /** The router function (a response-streaming handler). */
  readonly handler: lambda.IFunction;
  /**
   * The admin function behind `/v1/admin/*` (a plain, non-streaming proxy
   * handler), so the router needs no admin write access.
   * @default - the router serves the admin routes too
   */
  readonly adminHandler?: lambda.IFunction;
  /** Key of the access log group. */
  readonly logKey: GatewayKey;
  /** Access log retention. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the access log group on stack delete. */
  readonly logRemovalPolicy: RemovalPolicy;
  /** Stage throttling. */
  readonly throttle: {
    readonly rateLimit: number;
    readonly burstLimit: number;
  };
  /**
   * Integration timeout of the streamed routes (streaming allows up to 15 minutes).
   * @default Duration.minutes(5)
   */
  readonly integrationTimeout?: Duration;
}

// OpenAI-shaped bodies for errors API Gateway produces itself, so clients
// see one error format whether the router or the edge rejected them.
const openAiError = (type: string, code: string): string =>
  `{"error":{"message":$context.error.messageString,"type":"${type}","code":"${code}","param":null}}`;

/**
 * The public REST API. Every route integrates the router with response
 * streaming (`ResponseTransferMode.STREAM`, the
 * `response-streaming-invocations` URI), so SSE chunks reach the client as
 * the model produces them.
 *
 * Authentication: client routes are `NONE` at API Gateway on purpose. The
 * `Authorization: Bearer <key>` header passes through, and the router hashes
 * the key (SHA-256) and looks it up in the tenants table, which also yields
 * the tenant's budgets and limits. API Gateway usage-plan API keys are not
 * used: they are not a security boundary and would duplicate the tenant
 * store. `/v1/admin/*` requires IAM (SigV4) and goes to the admin function
 * when one is given.
 */
export class RouterApi extends Construct {
  /** The API. */
  public readonly api: apigw.RestApi;
  /** Access log group (JSON lines). */
  public readonly accessLogGroup: logs.LogGroup;
  /** Methods by `METHOD path`. */
  public readonly methods: Readonly<Record<string, apigw.Method>>;

  constructor(scope: Construct, id: string, props: RouterApiProps) {
    super(scope, id);
    const { rateLimit, burstLimit } = props.throttle;
    if (rateLimit <= 0 || burstLimit < rateLimit) {
      throw new Error(
        `throttle needs rateLimit > 0 and burstLimit >= rateLimit, got ${rateLimit} and ${burstLimit}`
      );
    }

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogGroup', {
      encryptionKey: props.logKey.allowCloudWatchLogs().key,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });

    this.api = new apigw.RestApi(this, 'Resource', {
      restApiName: props.apiName,
      description: 'OpenAI-compatible AI gateway',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      // The account-level API Gateway logging role is a prerequisite
      // (docs/deploy.md): a per-API role would overwrite the account setting.
      cloudWatchRole: false,
      deployOptions: {
        stageName: props.stageName,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Request/response bodies hold prompts and completions: never log them.
        dataTraceEnabled: false,
        throttlingRateLimit: rateLimit,
        throttlingBurstLimit: burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(
          this.accessLogGroup
        ),
        accessLogFormat: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: apigw.AccessLogField.contextRequestId(),
            extendedRequestId: apigw.AccessLogField.contextExtendedRequestId(),
            ip: apigw.AccessLogField.contextIdentitySourceIp(),
            requestTime: apigw.AccessLogField.contextRequestTime(),
            httpMethod: apigw.AccessLogField.contextHttpMethod(),
            resourcePath: apigw.AccessLogField.contextResourcePath(),
            status: apigw.AccessLogField.contextStatus(),
            protocol: apigw.AccessLogField.contextProtocol(),
            responseLength: apigw.AccessLogField.contextResponseLength(),
            responseLatency: apigw.AccessLogField.contextResponseLatency(),
            integrationLatency:
              apigw.AccessLogField.contextIntegrationLatency(),
            errorMessage: apigw.AccessLogField.contextErrorMessage(),
            xrayTraceId: apigw.AccessLogField.contextXrayTraceId(),
          })
        ),
      },
    });
    acknowledge(
      this.api.deploymentStage,
      'AwsSolutions-APIG3',
      'AWS WAF is out of scope for this release: abuse is limited by stage throttling and per-tenant rate and token limits enforced by the router'
    );

    this.api.addGatewayResponse('BadRequestBody', {
      type: apigw.ResponseType.BAD_REQUEST_BODY,
      templates: {
        'application/json': openAiError(
          'invalid_request_error',
          'invalid_body'
        ),
      },
    });
    this.api.addGatewayResponse('Default4xx', {
      type: apigw.ResponseType.DEFAULT_4XX,
      templates: {
        'application/json': openAiError(
          'invalid_request_error',
          'gateway_rejected'
        ),
      },
    });
    this.api.addGatewayResponse('Default5xx', {
      type: apigw.ResponseType.DEFAULT_5XX,
      templates: {
        'application/json': openAiError('server_error', 'gateway_error'),
      },
    });

    const bodyValidator = this.api.addRequestValidator('BodyValidator', {
      requestValidatorName: 'json-body',
      validateRequestBody: true,
      // No route declares required parameters, so this only satisfies
      // AwsSolutions-APIG2; bodies are what get checked.
      validateRequestParameters: true,
    });

    const integration = new apigw.LambdaIntegration(props.handler, {
      proxy: true,
      responseTransferMode: apigw.ResponseTransferMode.STREAM,
      // Streaming integrations may run up to 15 minutes; match the router's
      // own hard deadline (resilience.hardTimeoutMs, 5 minutes) instead of
      // the 29 s default that would cut long generations.
      timeout: props.integrationTimeout ?? Duration.minutes(5),
      allowTestInvoke: false,
    });

    const methods: Record<string, apigw.Method> = {};
    for (const route of CLIENT_ROUTES) {
      const resource = this.api.root.resourceForPath(route.path);
      const options: apigw.MethodOptions = route.body
        ? {
            requestValidator: bodyValidator,
            requestModels: {
              'application/json': this.api.addModel(modelId(route.path), {
                contentType: 'application/json',
                schema: {
                  schema: apigw.JsonSchemaVersion.DRAFT4,
                  ...route.body,
                },
              }),
            },
          }
        : {};
      const method = resource.addMethod(route.method, integration, {
        ...options,
        authorizationType: apigw.AuthorizationType.NONE,
      });
      acknowledge(
        method,
        'AwsSolutions-APIG4',
        'Client routes are authenticated by the router: the Bearer key is hashed and checked against the tenants table'
      );
      acknowledge(
        method,
        'AwsSolutions-COG4',
        'Clients are machine tenants with API keys, not Cognito users; the router authenticates them'
      );
      methods[`${route.method} ${route.path}`] = method;
    }

    // Admin answers are small JSON: a buffered proxy integration is enough.
    const adminIntegration = props.adminHandler
      ? new apigw.LambdaIntegration(props.adminHandler, {
          proxy: true,
          allowTestInvoke: false,
        })
      : integration;
    const admin = this.api.root
      .resourceForPath(ADMIN_PATH)
      .addMethod('ANY', adminIntegration, {
        authorizationType: apigw.AuthorizationType.IAM,
      });
    acknowledge(
      admin,
      'AwsSolutions-COG4',
      'Admin routes use IAM (SigV4) authorization: operators are IAM principals, not Cognito users'
    );
    methods[`ANY ${ADMIN_PATH}`] = admin;
    this.methods = methods;
  }

  /** Invoke URL of the stage. */
  public get url(): string {
    return this.api.url;
  }
}

function modelId(path: string): string {
  return `${path
    .split(/[^A-Za-z0-9]+/)
    .filter((p) => p.length > 0)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('')}Body`;
}
