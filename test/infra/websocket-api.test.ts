import { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { GatewayStacks } from '../../lib/gateway-app';
import {
  actionsOf,
  buildTestGateway,
  flattenArn,
  iamStatements,
  resourcesOf,
  statementsOfRole,
  templateOf,
} from './helpers';

const ROLE_DESCRIPTION = 'Execution role of ai-gateway-websocket';

describe('Class: GatewayWebSocketApi (orchestration stack)', () => {
  let app: GatewayStacks;
  let template: Template;
  let wsRoleId: string;

  beforeAll(() => {
    app = buildTestGateway({ env: 'dev' });
    template = templateOf(app.orchestration);
    const ids = Object.keys(
      template.findResources('AWS::IAM::Role', {
        Properties: { Description: ROLE_DESCRIPTION },
      })
    );
    expect(ids).toHaveLength(1);
    wsRoleId = ids[0]!;
  });

  it('creates a WebSocket API routing $connect, $disconnect and $default to one function', () => {
    // THEN
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
    const routes = Object.values(
      template.findResources('AWS::ApiGatewayV2::Route')
    ).map((r) => r.Properties.RouteKey);
    expect(routes.sort()).toEqual(['$connect', '$default', '$disconnect']);
    const integrations = template.findResources(
      'AWS::ApiGatewayV2::Integration'
    );
    expect(Object.keys(integrations)).toHaveLength(1);
    expect(Object.values(integrations)[0]!.Properties.IntegrationType).toBe(
      'AWS_PROXY'
    );
  });

  it('deploys a throttled stage with access logs that never hold message bodies', () => {
    // THEN
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'dev',
      AutoDeploy: true,
      DefaultRouteSettings: Match.objectLike({
        ThrottlingRateLimit: 10,
        ThrottlingBurstLimit: 20,
      }),
      AccessLogSettings: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('connectionId'),
      },
    });
    const stage = Object.values(
      template.findResources('AWS::ApiGatewayV2::Stage')
    )[0]!;
    expect(stage.Properties.AccessLogSettings.Format).not.toMatch(/body/i);
  });

  it('runs the router app: same environment as the router plus its own settings', () => {
    // WHEN
    const fns = template.findResources('AWS::Lambda::Function', {
      Properties: { Handler: 'index.handler' },
    });
    const env = (desc: RegExp) =>
      Object.values(fns).find((f) => desc.test(f.Properties.Description))!
        .Properties.Environment.Variables;
    const router = env(/response streaming/);
    const ws = env(/WebSocket/);
    // THEN
    for (const name of Object.keys(router)) {
      if (name === 'POWERTOOLS_SERVICE_NAME') continue;
      expect([name, ws[name]]).toEqual([name, router[name]]);
    }
    expect(ws).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'ai-gateway-websocket',
      WS_MAX_IN_FLIGHT: '16',
      WS_CANCEL_POLL_MS: '250',
      WS_TTL_ATTRIBUTE: 'expiresAt',
      WS_CONNECTIONS_TABLE: router.USAGE_TABLE,
    });
  });

  it('shares the router policy and may post only to this stage’s connections', () => {
    // WHEN
    const own = statementsOfRole(template, wsRoleId);
    const manage = own.filter((s) =>
      actionsOf(s).includes('execute-api:ManageConnections')
    );
    // THEN
    expect(manage).toHaveLength(1);
    expect(actionsOf(manage[0]!)).toEqual(['execute-api:ManageConnections']);
    const apiId = Stack.of(app.orchestration).resolve(
      app.orchestration.webSocket.api.apiId
    );
    expect(resourcesOf(manage[0]!).map(flattenArn)).toEqual([
      `arn:aws:execute-api:eu-central-1:<AWS::AccountId>:<${apiId.Ref}>/dev/POST/@connections/*`,
    ]);
    // The router's own statements (tables, SSM, secrets, Bedrock) reach the WebSocket role too.
    expect(own.some((s) => actionsOf(s).includes('bedrock:InvokeModel'))).toBe(
      true
    );
    // ...but the router role gets no Management API access.
    const everyManage = iamStatements(template).filter((s) =>
      actionsOf(s).includes('execute-api:ManageConnections')
    );
    expect(everyManage).toHaveLength(1);
  });

  it('outputs the wss URL', () => {
    template.hasOutput('WebSocketUrl', {
      Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
    });
  });

  it('fails on an out-of-range in-flight limit or poll interval', () => {
    // GIVEN
    const { GatewayWebSocketApi } = jest.requireActual(
      '../../lib/constructs/websocket-api'
    ) as typeof import('../../lib/constructs/websocket-api');
    const stack = app.orchestration;
    // WHEN / THEN
    expect(
      () =>
        new GatewayWebSocketApi(stack, 'Bad', {
          router: stack.router,
          table: app.registry.tables.usage,
          apiName: 'x',
          stageName: 'dev',
          logKey: undefined as never,
          throttle: { rateLimit: 0, burstLimit: 1 },
          maxInFlight: 0,
        })
    ).toThrow(
      /throttle needs rateLimit > 0.*; maxInFlight must be an integer between 1 and 256, got 0/
    );
  });
});
