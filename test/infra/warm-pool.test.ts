import { Match, type Template } from 'aws-cdk-lib/assertions';
import { GatewayContextError } from '../../lib/config/gateway-context';
import { checkWarmPool } from '../../lib/constructs/warm-pool';
import { buildTestGateway, templateOf } from './helpers';

const ROUTER_ALIAS_ARN = {
  Ref: Match.stringLikeRegexp('^RouterWarmPoolAlias'),
};

/** Every Lambda integration URI of the REST API's methods, as JSON text. */
function restIntegrationUris(template: Template): string[] {
  return Object.values(template.findResources('AWS::ApiGateway::Method'))
    .map((m) => m.Properties.Integration)
    .filter((i) => i?.Type === 'AWS_PROXY')
    .map((i) => JSON.stringify(i.Uri));
}

describe('Class: WarmPool (router provisioned concurrency)', () => {
  let off: Template;
  let on: Template;

  beforeAll(() => {
    off = templateOf(buildTestGateway({ env: 'dev' }).orchestration);
    on = templateOf(
      buildTestGateway({
        env: 'dev',
        routerProvisionedConcurrency: '5',
        routerProvisionedMax: '20',
        routerProvisionedUtilization: '0.6',
        webSocketProvisionedConcurrency: 2,
      }).orchestration
    );
  });

  it('is off by default: no version, alias or scaling, and the API invokes the function', () => {
    // THEN
    off.resourceCountIs('AWS::Lambda::Alias', 0);
    off.resourceCountIs('AWS::Lambda::Version', 0);
    off.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    for (const uri of restIntegrationUris(off)) {
      expect(uri).not.toContain('WarmPoolAlias');
    }
  });

  it('publishes a version behind the live alias with the provisioned floor', () => {
    // THEN
    on.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      FunctionName: { Ref: Match.stringLikeRegexp('^Router') },
      FunctionVersion: {
        'Fn::GetAtt': [
          Match.stringLikeRegexp('^RouterCurrentVersion'),
          'Version',
        ],
      },
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 5 },
    });
  });

  it('scales the alias between floor and ceiling on utilization', () => {
    // THEN
    on.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 5,
      MaxCapacity: 20,
      ScalableDimension: 'lambda:function:ProvisionedConcurrency',
      ServiceNamespace: 'lambda',
    });
    on.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 0.6,
        PredefinedMetricSpecification: {
          PredefinedMetricType: 'LambdaProvisionedConcurrencyUtilization',
        },
      }),
    });
  });

  it('points every streamed REST integration and its permission at the alias', () => {
    // THEN
    const uris = restIntegrationUris(on);
    const streamed = uris.filter((u) =>
      u.includes('response-streaming-invocations')
    );
    expect(streamed.length).toBeGreaterThanOrEqual(6);
    for (const uri of streamed) {
      expect(uri).toContain('RouterWarmPoolAlias');
    }
    on.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: ROUTER_ALIAS_ARN,
      Principal: 'apigateway.amazonaws.com',
    });
  });

  it('points the WebSocket integration at the WebSocket function alias', () => {
    // THEN
    on.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      FunctionName: { Ref: Match.stringLikeRegexp('^WebSocketHandler') },
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    const integrations = Object.values(
      on.findResources('AWS::ApiGatewayV2::Integration')
    );
    expect(integrations).toHaveLength(1);
    expect(JSON.stringify(integrations[0]!.Properties.IntegrationUri)).toMatch(
      /WebSocketHandlerWarmPoolAlias/
    );
    // Its default ceiling is twice the floor.
    on.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 4,
    });
  });

  it('fails synth on bad floors, ceilings and utilization, naming each problem', () => {
    // WHEN / THEN
    expect(() =>
      buildTestGateway({
        routerProvisionedConcurrency: '2.5',
        webSocketProvisionedConcurrency: 'many',
        routerProvisionedUtilization: 0.95,
      })
    ).toThrow(GatewayContextError);
    try {
      buildTestGateway({
        routerProvisionedConcurrency: 4,
        routerProvisionedMax: 3,
        routerProvisionedUtilization: 0.95,
      });
    } catch (e) {
      const problems = (e as GatewayContextError).problems;
      expect(problems).toEqual([
        'routerProvisionedMax must be an integer of at least routerProvisionedConcurrency (4), got 3',
        'routerProvisionedUtilization must be between 0.1 and 0.9, got 0.95',
      ]);
    }
    expect.assertions(2);
  });

  it('gives the router 512 MB unless -c routerMemorySize says otherwise', () => {
    // GIVEN
    const routerMemory = (t: Template): unknown[] =>
      Object.values(
        t.findResources('AWS::Lambda::Function', {
          Properties: {
            Description: 'OpenAI-compatible router (response streaming)',
          },
        })
      ).map((f) => f.Properties.MemorySize);
    // WHEN
    const custom = templateOf(
      buildTestGateway({ routerMemorySize: '1024' }).orchestration
    );
    // THEN
    expect(routerMemory(off)).toEqual([512]);
    expect(routerMemory(custom)).toEqual([1024]);
    expect(() => buildTestGateway({ routerMemorySize: 100 })).toThrow(
      /routerMemorySize must be an integer between 128 and 10240, got 100/
    );
  });

  it('fails synth on a ceiling without a floor', () => {
    // WHEN / THEN
    expect(() => buildTestGateway({ routerProvisionedMax: 10 })).toThrow(
      /routerProvisionedMax needs routerProvisionedConcurrency of at least 1, got 10/
    );
  });

  it('fails when the ceiling exceeds the reserved concurrency', () => {
    // WHEN / THEN
    expect(() =>
      checkWarmPool('Pool', {
        provisionedConcurrency: 5,
        maxProvisionedConcurrency: 50,
        reservedConcurrency: 20,
      })
    ).toThrow(
      'WarmPool Pool: maxProvisionedConcurrency must not exceed the reserved concurrency 20, got 50'
    );
  });
});
