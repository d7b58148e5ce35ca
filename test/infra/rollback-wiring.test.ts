import { Match } from 'aws-cdk-lib/assertions';
import { buildTestGateway, templateOf } from './helpers';

describe('Rollback function wiring (MonitoringStack)', () => {
  it('publishes its summary to the encrypted alert topic with exact actions', () => {
    // GIVEN / WHEN
    const template = templateOf(
      buildTestGateway({ env: 'dev', sloModels: 'claude-sonnet' }).monitoring
    );
    // THEN
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          ROLLBACK_TOPIC_ARN: { Ref: Match.stringLikeRegexp('^AlertTopic') },
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'PublishRollbackSummary',
            Action: 'sns:Publish',
          }),
          Match.objectLike({
            Sid: 'EncryptForAlertTopic',
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
          Match.objectLike({
            Sid: 'ReadAlarmTags',
            Action: 'cloudwatch:ListTagsForResource',
          }),
        ]),
      },
    });
  });

  it('runs in dry-run mode with -c rollbackDryRun=true', () => {
    const template = templateOf(
      buildTestGateway({ env: 'dev', rollbackDryRun: 'true' }).monitoring
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ ROLLBACK_DRY_RUN: 'true' }),
      },
    });
  });
});
