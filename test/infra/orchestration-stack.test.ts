import { Match, type Template } from 'aws-cdk-lib/assertions';
import {
  actionsOf,
  buildTestGateway,
  flattenArn,
  iamStatements,
  resourcesOf,
  statementsOfRole,
  type TemplateStatement,
  templateOf,
} from './helpers';

const METHOD = 'AWS::ApiGateway::Method';
const STREAMING_URI = {
  'Fn::Join': [
    '',
    [
      Match.stringLikeRegexp(':lambda:path/2021-11-15/functions/$'),
      { 'Fn::GetAtt': [Match.stringLikeRegexp('^Router'), 'Arn'] },
      '/response-streaming-invocations',
    ],
  ],
};

const bedrockStatement = (template: Template): TemplateStatement => {
  const found = iamStatements(template).filter(
    (s) =>
      actionsOf(s).includes('bedrock:InvokeModel') &&
      s.Sid !== 'InvokeEmbeddingModels'
  );
  expect(found).toHaveLength(1);
  return found[0];
};

describe('Class: OrchestrationStack', () => {
  let template: Template;
  let euTemplate: Template;
  let vpcTemplate: Template;

  beforeAll(() => {
    template = templateOf(
      buildTestGateway({ env: 'dev', openaiCompatibleProviders: 'vllm' })
        .orchestration
    );
    euTemplate = templateOf(
      buildTestGateway({ env: 'dev', euOnly: true, evidently: true })
        .orchestration
    );
    vpcTemplate = templateOf(
      buildTestGateway({ env: 'staging' }).orchestration
    );
  });

  describe('router function', () => {
    it('sets the router environment contract', () => {
      // THEN
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            GATEWAY_ENV: 'dev',
            GATEWAY_EU_ONLY: 'false',
            MODEL_REGISTRY_TABLE: Match.anyValue(),
            TENANTS_TABLE: Match.anyValue(),
            USAGE_TABLE: Match.anyValue(),
            CACHE_TABLE: Match.anyValue(),
            DECISIONS_TABLE: Match.anyValue(),
            AUDIT_TABLE: Match.absent(),
            ROUTE_SET_PARAM: '/ai/routing/dev/active-models',
            KILL_SWITCH_PREFIX: '/ai/kill-switches/dev',
            GUARDRAIL_PARAM_PREFIX: '/ai/guardrails/dev',
            GOOGLE_SECRET_ARN: Match.anyValue(),
            LLAMA_SECRET_ARN: Match.anyValue(),
            PROVIDER_SECRET_ARN_VLLM: Match.anyValue(),
            POWERTOOLS_SERVICE_NAME: 'ai-gateway-router',
            POWERTOOLS_METRICS_NAMESPACE: 'AiGateway',
            LOG_LEVEL: 'INFO',
            // Source maps cost the router about 25 ms of cold start: off by default.
            NODE_OPTIONS: Match.absent(),
          }),
        },
      });
    });

    it('ships source maps only with -c routerSourceMaps=true', () => {
      // GIVEN
      const withMaps = templateOf(
        buildTestGateway({ env: 'dev', routerSourceMaps: 'true' }).orchestration
      );

      // THEN
      withMaps.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            POWERTOOLS_SERVICE_NAME: 'ai-gateway-router',
            NODE_OPTIONS: '--enable-source-maps',
          }),
        },
      });
    });

    it('runs on Node.js 22, ARM64, with active tracing', () => {
      // THEN
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
      });
    });

    it('runs outside a VPC in dev and in the private subnets otherwise', () => {
      // THEN
      template.hasResourceProperties('AWS::Lambda::Function', {
        VpcConfig: Match.absent(),
      });
      vpcTemplate.hasResourceProperties('AWS::Lambda::Function', {
        VpcConfig: {
          SubnetIds: [
            {
              'Fn::GetStackOutput': Match.objectLike({
                OutputName: Match.stringLikeRegexp('PrivateSubnet1Subnet'),
              }),
            },
            {
              'Fn::GetStackOutput': Match.objectLike({
                OutputName: Match.stringLikeRegexp('PrivateSubnet2Subnet'),
              }),
            },
          ],
          SecurityGroupIds: [Match.anyValue()],
        },
      });
    });

    it('tells the router when it is EU-only', () => {
      // THEN
      euTemplate.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({ GATEWAY_EU_ONLY: 'true' }),
        },
      });
    });
  });

  describe('REST API', () => {
    it('integrates the chat route with response streaming', () => {
      // THEN
      template.hasResourceProperties(METHOD, {
        HttpMethod: 'POST',
        ResourceId: { Ref: Match.stringLikeRegexp('^Apiv1chatcompletions') },
        Integration: {
          Type: 'AWS_PROXY',
          ResponseTransferMode: 'STREAM',
          Uri: STREAMING_URI,
        },
      });
    });

    it('streams every client route of the router', () => {
      // THEN
      template.resourceCountIs(METHOD, 8);
      template.resourcePropertiesCountIs(
        METHOD,
        {
          Integration: Match.objectLike({
            ResponseTransferMode: 'STREAM',
            Uri: STREAMING_URI,
          }),
        },
        7
      );
    });

    it('requires IAM on the admin routes and sends them to the admin function', () => {
      // THEN
      template.hasResourceProperties(METHOD, {
        HttpMethod: 'ANY',
        ResourceId: { Ref: Match.stringLikeRegexp('^Apiv1adminproxy') },
        AuthorizationType: 'AWS_IAM',
        Integration: {
          Type: 'AWS_PROXY',
          ResponseTransferMode: Match.absent(),
          Uri: {
            'Fn::Join': [
              '',
              Match.arrayWith([
                {
                  'Fn::GetAtt': [Match.stringLikeRegexp('^Admin'), 'Arn'],
                },
              ]),
            ],
          },
        },
      });
    });

    it('leaves client routes to the router key check, without usage-plan keys', () => {
      // THEN
      template.resourcePropertiesCountIs(
        METHOD,
        { AuthorizationType: 'NONE', ApiKeyRequired: Match.absent() },
        7
      );
      template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
      template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    });

    it('validates JSON bodies of the POST routes', () => {
      // THEN
      template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
        ValidateRequestBody: true,
      });
      template.resourcePropertiesCountIs(
        METHOD,
        {
          HttpMethod: 'POST',
          RequestValidatorId: {
            Ref: Match.stringLikeRegexp('^ApiBodyValidator'),
          },
          RequestModels: { 'application/json': { Ref: Match.anyValue() } },
        },
        4
      );
      template.hasResourceProperties('AWS::ApiGateway::Model', {
        ContentType: 'application/json',
        Schema: Match.objectLike({ type: 'object', required: ['messages'] }),
      });
    });

    it('writes JSON access logs to a KMS-encrypted log group', () => {
      // WHEN
      const stage = Object.values(
        template.findResources('AWS::ApiGateway::Stage')
      )[0];

      // THEN
      const format = JSON.parse(stage.Properties.AccessLogSetting.Format);
      expect(format).toMatchObject({
        requestId: '$context.requestId',
        status: '$context.status',
        integrationLatency: '$context.integrationLatency',
      });
      expect(
        JSON.stringify(stage.Properties.AccessLogSetting.DestinationArn)
      ).toContain('ApiAccessLogGroup');
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
      });
      template.allResourcesProperties('AWS::Logs::LogGroup', {
        KmsKeyId: Match.anyValue(),
        RetentionInDays: 7,
      });
    });

    it('throttles the stage, traces with X-Ray and never logs bodies', () => {
      // THEN
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'dev',
        TracingEnabled: true,
        MethodSettings: [
          Match.objectLike({
            ThrottlingRateLimit: 10,
            ThrottlingBurstLimit: 20,
            DataTraceEnabled: false,
            LoggingLevel: 'ERROR',
          }),
        ],
      });
    });

    it('answers edge errors in the OpenAI error shape', () => {
      for (const type of ['BAD_REQUEST_BODY', 'DEFAULT_4XX', 'DEFAULT_5XX']) {
        // THEN
        template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
          ResponseType: type,
          ResponseTemplates: {
            'application/json': Match.stringLikeRegexp(
              '^\\{"error":\\{"message":'
            ),
          },
        });
      }
    });
  });

  describe('permissions', () => {
    it('scopes Bedrock invoke to foundation models and inference profiles', () => {
      // WHEN
      const statement = bedrockStatement(template);

      // THEN
      expect(actionsOf(statement).sort()).toEqual([
        'bedrock:InvokeModel',
        'bedrock:InvokeModelWithResponseStream',
      ]);
      expect(resourcesOf(statement)).toEqual([
        'arn:aws:bedrock:eu-*::foundation-model/*',
        {
          'Fn::Join': [
            '',
            [
              'arn:aws:bedrock:eu-central-1:',
              { Ref: 'AWS::AccountId' },
              ':inference-profile/*',
            ],
          ],
        },
      ]);
    });

    it('grants InvokeModel (no streaming) on exactly the embedding models, also beside exact bedrockModelArns', () => {
      // GIVEN
      const arn =
        'arn:aws:bedrock:eu-central-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0';
      const narrowed = templateOf(
        buildTestGateway({ env: 'dev', bedrockModelArns: arn }).orchestration
      );

      for (const t of [template, narrowed]) {
        // WHEN
        const statement = iamStatements(t).find(
          (s) => s.Sid === 'InvokeEmbeddingModels'
        );

        // THEN
        expect(actionsOf(statement!)).toEqual(['bedrock:InvokeModel']);
        expect(resourcesOf(statement!).map(flattenArn).sort()).toEqual([
          'arn:aws:bedrock:eu-central-1::foundation-model/amazon.titan-embed-text-v2:0',
          'arn:aws:bedrock:eu-central-1::foundation-model/cohere.embed-english-v3',
          'arn:aws:bedrock:eu-central-1::foundation-model/cohere.embed-multilingual-v3',
        ]);
      }
    });

    it('routes POST /v1/embeddings to the router', () => {
      template.hasResourceProperties(METHOD, {
        HttpMethod: 'POST',
        ResourceId: { Ref: Match.stringLikeRegexp('^Apiv1embeddings') },
        Integration: Match.objectLike({ Uri: STREAMING_URI }),
      });
      const methods = template.findResources('AWS::ApiGateway::Resource', {
        Properties: { PathPart: 'embeddings' },
      });
      expect(Object.keys(methods)).toHaveLength(1);
    });

    it('allows only eu. cross-region profiles when euOnly', () => {
      // WHEN
      const statement = bedrockStatement(euTemplate);

      // THEN
      expect(JSON.stringify(resourcesOf(statement))).toContain(
        ':inference-profile/eu.*'
      );
    });

    it('uses exact bedrockModelArns when given', () => {
      // GIVEN
      const arn =
        'arn:aws:bedrock:eu-central-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0';

      // WHEN
      const statement = bedrockStatement(
        templateOf(
          buildTestGateway({ env: 'dev', bedrockModelArns: arn }).orchestration
        )
      );

      // THEN
      expect(statement.Resource).toBe(arn);
    });

    it('applies only the gateway guardrails and decrypts only their key', () => {
      // WHEN
      const statements = iamStatements(template);
      const apply = statements.find((s) =>
        actionsOf(s).includes('bedrock:ApplyGuardrail')
      );
      const decrypt = statements.find((s) => s.Sid === 'DecryptGuardrails');

      // THEN
      expect(resourcesOf(apply!)).toHaveLength(3);
      for (const resource of resourcesOf(apply!)) {
        expect(JSON.stringify(resource)).toMatch(/GuardrailArn/);
      }
      expect(JSON.stringify(decrypt!.Resource)).toContain(
        'ai-gateway-dev-guardrails'
      );
    });

    it('reads feature flags from the AppConfig profile only', () => {
      // THEN
      template.hasResourceProperties('AWS::AppConfig::ConfigurationProfile', {
        Type: 'AWS.AppConfig.FeatureFlags',
      });
      template.hasResourceProperties('AWS::AppConfig::Deployment', {
        DeploymentStrategyId: 'AppConfig.AllAtOnce',
      });
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'ReadFeatureFlags',
              Action: [
                'appconfig:GetLatestConfiguration',
                'appconfig:StartConfigurationSession',
              ],
              Resource: {
                'Fn::Join': [
                  '',
                  Match.arrayWith([
                    {
                      Ref: Match.stringLikeRegexp(
                        '^ExperimentsFeatureFlagsConfigurationProfile'
                      ),
                    },
                  ]),
                ],
              },
            }),
          ]),
        },
      });
    });
  });

  describe('admin function', () => {
    const roleOf = (service: string): string => {
      const fns = template.findResources('AWS::Lambda::Function', {
        Properties: {
          Environment: {
            Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: service }),
          },
        },
      });
      const [fn] = Object.values(fns);
      expect(Object.keys(fns)).toHaveLength(1);
      return fn!.Properties.Role['Fn::GetAtt'][0] as string;
    };
    const writes = (service: string): string[] =>
      statementsOfRole(template, roleOf(service))
        .flatMap(actionsOf)
        .filter((a) =>
          /^(dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)|ssm:PutParameter)$/.test(
            a
          )
        );

    it('exists with the admin environment contract and no provider secrets', () => {
      // THEN
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs22.x',
        Environment: {
          Variables: Match.objectLike({
            POWERTOOLS_SERVICE_NAME: 'ai-gateway-admin',
            GATEWAY_ENV: 'dev',
            MODEL_REGISTRY_TABLE: Match.anyValue(),
            AUDIT_TABLE: Match.anyValue(),
            DECISIONS_TABLE: Match.anyValue(),
            ROUTE_SET_PARAM: '/ai/routing/dev/active-models',
            KILL_SWITCH_PREFIX: '/ai/kill-switches/dev',
            GOOGLE_SECRET_ARN: Match.absent(),
            LLAMA_SECRET_ARN: Match.absent(),
          }),
        },
      });
    });

    it('holds the registry, audit, route-set and kill-switch writes', () => {
      // WHEN
      const statements = statementsOfRole(template, roleOf('ai-gateway-admin'));
      const put = statements.filter((s) =>
        actionsOf(s).includes('ssm:PutParameter')
      );

      // THEN
      expect(writes('ai-gateway-admin')).toEqual(
        expect.arrayContaining(['dynamodb:PutItem', 'ssm:PutParameter'])
      );
      expect(put.map((s) => flattenArn(resourcesOf(s)[0]))).toEqual(
        expect.arrayContaining([
          expect.stringContaining(':parameter/ai/routing/dev/active-models'),
          expect.stringContaining(':parameter/ai/kill-switches/dev/*'),
        ])
      );
      expect(statements.flatMap(actionsOf)).not.toContain(
        'bedrock:InvokeModel'
      );
    });

    it('leaves the router no admin-only write action', () => {
      // WHEN
      const router = statementsOfRole(template, roleOf('ai-gateway-router'));
      const writeTargets = router
        .filter((s) =>
          actionsOf(s).some((a) =>
            /^(dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)|ssm:PutParameter)$/.test(
              a
            )
          )
        )
        .flatMap((s) => resourcesOf(s).map(flattenArn));

      // THEN: no SSM writes at all; item writes only on its own tables.
      expect(writes('ai-gateway-router')).not.toContain('ssm:PutParameter');
      for (const target of writeTargets) {
        expect(target).not.toMatch(/RegistryTable|AuditTable|TenantsTable/);
      }
      expect(writeTargets.join(' ')).toMatch(/DecisionsTable/);
    });
  });

  describe('legacy Evidently', () => {
    it('adds the Evidently project and feature only with -c evidently=true', () => {
      // THEN
      template.resourceCountIs('AWS::Evidently::Project', 0);
      euTemplate.resourceCountIs('AWS::Evidently::Project', 1);
      euTemplate.hasResourceProperties('AWS::Evidently::Feature', {
        Name: 'routing-policy',
      });
    });
  });
});
