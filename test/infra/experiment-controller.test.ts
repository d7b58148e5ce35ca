import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ExperimentController } from '../../lib/constructs/experiment-controller';
import { GatewayFunction } from '../../lib/constructs/gateway-function';
import { GatewayKey } from '../../lib/constructs/gateway-key';

function build(sweep?: Duration) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', {
    env: { account: '111111111111', region: 'eu-central-1' },
  });
  const key = new GatewayKey(stack, 'Key', {
    alias: 'test/logs',
    description: 'test',
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const fn = (id: string) =>
    new GatewayFunction(stack, id, {
      entry: require.resolve('./fixtures/echo-handler.ts'),
      serviceName: id.toLowerCase(),
      logKey: key,
    });
  const router = fn('Router');
  const admin = fn('Admin');
  new ExperimentController(stack, 'Controller', {
    router,
    admin,
    ...(sweep ? { sweepInterval: sweep } : {}),
  });
  return Template.fromStack(stack);
}

describe('Construct: ExperimentController', () => {
  it('delivers router evaluation requests and a 5-minute sweep to the admin function', () => {
    // GIVEN / WHEN
    const template = build();
    // THEN
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['ai-gateway.experiments'],
        'detail-type': ['ExperimentEvaluationRequested'],
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Admin'), 'Arn'] },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
    });
  });

  it('lets the router put only its own source on the default bus', () => {
    const template = build();
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^RouterServiceRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'RequestExperimentEvaluation',
            Action: 'events:PutEvents',
            Resource: {
              'Fn::Join': [
                '',
                Match.arrayWith([
                  ':events:eu-central-1:111111111111:event-bus/default',
                ]),
              ],
            },
            Condition: {
              StringEquals: { 'events:source': 'ai-gateway.experiments' },
            },
          }),
        ]),
      },
    });
  });

  it('fails with a sweep shorter than a minute', () => {
    expect(() => build(Duration.seconds(30))).toThrow(
      /sweepInterval must be at least 1 minute, got 30s/
    );
  });
});
