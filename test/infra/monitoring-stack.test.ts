import { Match, type Template } from 'aws-cdk-lib/assertions';
import { buildTestGateway, statementsOfRole, templateOf } from './helpers';

const ALARM = 'AWS::CloudWatch::Alarm';
const TOPIC = { Ref: Match.stringLikeRegexp('^AlertTopic') };
const SERVICE = { Name: 'service', Value: 'ai-gateway-router' };

describe('Class: MonitoringStack', () => {
  let template: Template;
  let plain: Template;

  beforeAll(() => {
    template = templateOf(
      buildTestGateway({
        env: 'dev',
        sloModels: 'claude-sonnet,eu.meta/llama:3',
      }).monitoring
    );
    plain = templateOf(buildTestGateway({ env: 'dev' }).monitoring);
  });

  describe('dashboard', () => {
    it('graphs the contract metrics of the AiGateway namespace', () => {
      // WHEN
      const body = JSON.stringify(
        Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]
          .Properties.DashboardBody
      );

      // THEN
      for (const metric of [
        'Requests',
        'Latency',
        'TimeToFirstToken',
        'Errors',
        'Fallbacks',
        'CacheHits',
        'CacheMisses',
        'CostUsd',
        'BudgetUsedPct',
        'GuardrailBlocks',
        'CircuitOpen',
        'KillSwitchEngaged',
      ]) {
        expect(body).toContain(metric);
      }
      expect(body).toContain('{AiGateway,Model,Provider,service}');
      expect(body).toContain('{AiGateway,service,Tenant}');
      expect(body).toContain('p99');
    });
  });

  describe('SLO alarms', () => {
    it('alarms when p95 generation latency exceeds 1500 ms', () => {
      // THEN
      template.hasResourceProperties(ALARM, {
        Namespace: 'AiGateway',
        MetricName: 'Latency',
        Dimensions: [SERVICE],
        ExtendedStatistic: 'p95',
        Threshold: 1500,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    });

    it('alarms when p95 cached latency exceeds 300 ms', () => {
      // THEN
      template.hasResourceProperties(ALARM, {
        MetricName: 'CachedLatency',
        ExtendedStatistic: 'p95',
        Threshold: 300,
      });
    });

    it('alarms when p95 guardrail latency exceeds 100 ms', () => {
      // THEN
      template.hasResourceProperties(ALARM, {
        MetricName: 'GuardrailLatency',
        ExtendedStatistic: 'p95',
        Threshold: 100,
      });
    });

    it('computes the error rate with metric math', () => {
      // THEN
      template.hasResourceProperties(ALARM, {
        AlarmName: 'ai-gateway-dev-slo-error-rate',
        Threshold: 5,
        Metrics: Match.arrayWith([
          Match.objectLike({
            Expression:
              'IF(errorsWhole > 0, 100 * errorsPart / errorsWhole, 0)',
            ReturnData: true,
          }),
          Match.objectLike({
            Id: 'errorsPart',
            MetricStat: Match.objectLike({
              Metric: {
                Namespace: 'AiGateway',
                MetricName: 'Errors',
                Dimensions: [SERVICE],
              },
              Stat: 'Sum',
            }),
          }),
          Match.objectLike({
            Id: 'errorsWhole',
            MetricStat: Match.objectLike({
              Metric: {
                Namespace: 'AiGateway',
                MetricName: 'Requests',
                Dimensions: [SERVICE],
              },
            }),
          }),
        ]),
      });
    });

    it('creates latency and error-rate alarms carrying the Model dimension per listed model', () => {
      for (const model of ['claude-sonnet', 'eu.meta/llama:3']) {
        // THEN
        template.hasResourceProperties(ALARM, {
          MetricName: 'Latency',
          Dimensions: [{ Name: 'Model', Value: model }, SERVICE],
        });
        template.hasResourceProperties(ALARM, {
          Metrics: Match.arrayWith([
            Match.objectLike({
              MetricStat: Match.objectLike({
                Metric: Match.objectLike({
                  MetricName: 'Errors',
                  Dimensions: [{ Name: 'Model', Value: model }, SERVICE],
                }),
              }),
            }),
          ]),
        });
      }
      template.hasResourceProperties(ALARM, {
        AlarmName: 'ai-gateway-dev-model-eu.meta-llama-3-latency-p95',
      });
    });

    it('creates no per-model alarms without sloModels', () => {
      // THEN
      plain.resourceCountIs(ALARM, 4);
    });

    it('notifies the alert topic on alarm and on recovery', () => {
      // THEN
      template.allResourcesProperties(ALARM, {
        AlarmActions: [TOPIC],
        OKActions: [TOPIC],
      });
    });

    it('encrypts the alert topic and lets CloudWatch (alarms) and EventBridge (budget alerts) publish through the key', () => {
      // THEN
      template.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: {
          'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'],
        },
      });
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: {
                Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'],
              },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            }),
          ]),
        },
      });
    });
  });

  describe('rollback', () => {
    it('starts the rollback function when any gateway alarm enters ALARM', () => {
      // GIVEN
      const alarmIds = Object.keys(template.findResources(ALARM));

      // THEN
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.cloudwatch'],
          'detail-type': ['CloudWatch Alarm State Change'],
          resources: alarmIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
          detail: { state: { value: ['ALARM'] } },
        },
        Targets: [
          Match.objectLike({
            Arn: {
              'Fn::GetAtt': [
                Match.stringLikeRegexp('^RollbackFunction'),
                'Arn',
              ],
            },
          }),
        ],
      });
      expect(alarmIds).toHaveLength(8);
    });

    it('retries the delivery and dead-letters what still fails', () => {
      // THEN
      template.hasResourceProperties('AWS::Events::Rule', {
        Targets: [
          Match.objectLike({
            RetryPolicy: {
              MaximumRetryAttempts: 2,
              MaximumEventAgeInSeconds: 3600,
            },
            DeadLetterConfig: {
              Arn: {
                'Fn::GetAtt': [
                  Match.stringLikeRegexp('^RollbackDeadLetterQueue'),
                  'Arn',
                ],
              },
            },
          }),
        ],
      });
    });

    it('retries failed invocations and dead-letters them to the same queue', () => {
      // THEN
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        DeadLetterConfig: {
          TargetArn: {
            'Fn::GetAtt': [
              Match.stringLikeRegexp('^RollbackDeadLetterQueue'),
              'Arn',
            ],
          },
        },
      });
      template.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
      });
    });

    it('runs the rollback for real with its tables and parameters bound', () => {
      // THEN
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            ROLLBACK_DRY_RUN: 'false',
            GATEWAY_ENV: 'dev',
            IDEMPOTENCY_TABLE: Match.anyValue(),
            MODEL_REGISTRY_TABLE: Match.anyValue(),
            AUDIT_TABLE: Match.anyValue(),
            KILL_SWITCH_PREFIX: '/ai/kill-switches/dev',
            ROUTE_SET_PARAM: '/ai/routing/dev/active-models',
            POWERTOOLS_SERVICE_NAME: 'ai-gateway-rollback',
          }),
        },
      });
    });

    it('gives the rollback function read-write access to the idempotency table', () => {
      // GIVEN
      const [roleId] = Object.keys(
        template.findResources('AWS::IAM::Role', {
          Properties: { Description: 'Execution role of ai-gateway-rollback' },
        })
      );

      // WHEN
      const statements = statementsOfRole(template, roleId);
      const dynamo = statements.find((s) =>
        [s.Action].flat().includes('dynamodb:PutItem')
      );

      // THEN
      expect(JSON.stringify(dynamo?.Resource)).toContain('IdempotencyTable');
      expect([dynamo?.Action].flat()).toEqual(
        expect.arrayContaining([
          'dynamodb:GetItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
        ])
      );
    });
  });
});
