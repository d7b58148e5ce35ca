import { Match, type Template } from 'aws-cdk-lib/assertions';
import {
  BUDGET_EVENT_DETAIL_TYPE,
  BUDGET_EVENT_SOURCE,
} from '../../lambdas/core/adapters/aws/budget-alerts';
import {
  BUDGET_ALERT_DETAIL_TYPE,
  BUDGET_ALERT_SOURCE,
} from '../../lib/constructs/budget-alert-rule';
import {
  actionsOf,
  buildTestGateway,
  iamStatements,
  resourcesOf,
  templateOf,
} from './helpers';

describe('Budget alerts wiring', () => {
  let monitoring: Template;
  let orchestration: Template;
  beforeAll(() => {
    const stacks = buildTestGateway({ env: 'dev' });
    monitoring = templateOf(stacks.monitoring);
    orchestration = templateOf(stacks.orchestration);
  });

  it('the rule matches exactly what the router sends', () => {
    expect(BUDGET_ALERT_SOURCE).toBe(BUDGET_EVENT_SOURCE);
    expect(BUDGET_ALERT_DETAIL_TYPE).toBe(BUDGET_EVENT_DETAIL_TYPE);
  });

  it('forwards budget events on the default bus to the alert topic', () => {
    monitoring.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: [BUDGET_ALERT_SOURCE],
        'detail-type': [BUDGET_ALERT_DETAIL_TYPE],
      },
      Targets: [
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('^AlertTopic') },
        }),
      ],
    });
  });

  it('lets the router put budget events on the default bus only, with its own source', () => {
    const found = iamStatements(orchestration).filter(
      (s) =>
        actionsOf(s).includes('events:PutEvents') &&
        (s as { Sid?: string }).Sid === 'PublishBudgetAlerts'
    );
    expect(found).toHaveLength(1);
    expect((found[0] as { Condition?: unknown }).Condition).toEqual({
      StringEquals: { 'events:source': 'ai-gateway.budget' },
    });
    expect(JSON.stringify(resourcesOf(found[0]!))).toMatch(
      /event-bus\/default/
    );
  });
});
