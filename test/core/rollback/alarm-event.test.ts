import {
  normaliseTimestamp,
  parseAlarmEvent,
} from '../../../lambdas/core/rollback/alarm-event';
import { RollbackEventError } from '../../../lambdas/core/rollback/errors';
import { alarmEvent, modelAlarmEvent } from './helpers';

describe('Function: parseAlarmEvent', () => {
  it('reads a per-model metric-math alarm (the Model dimension of its metrics)', () => {
    // Act
    const alarm = parseAlarmEvent(modelAlarmEvent());

    // Assess
    expect(alarm).toEqual({
      alarmName: 'ai-gateway-prod-model-claude-sonnet-error-rate',
      alarmArn:
        'arn:aws:cloudwatch:eu-central-1:111122223333:alarm:ai-gateway-prod-model-claude-sonnet-error-rate',
      state: 'ALARM',
      previousState: 'OK',
      stateTimestamp: '2026-03-02T10:15:40.985Z',
      stateReason:
        'Threshold Crossed: 3 out of the last 5 datapoints were greater than the threshold (5.0).',
      models: ['claude-sonnet'],
      dryRun: false,
    });
  });

  it('finds no model in a gateway-wide alarm and reads the dry-run flag', () => {
    // Act
    const alarm = parseAlarmEvent(alarmEvent({ dryRun: true }));

    // Assess
    expect(alarm.models).toEqual([]);
    expect(alarm.dryRun).toBe(true);
  });

  it('names every missing field of a malformed event', () => {
    // Act & Assess
    expect(() =>
      parseAlarmEvent({
        'detail-type': 'EC2 Instance State-change Notification',
        resources: [],
        detail: { state: { timestamp: 'yesterday' } },
        dryRun: 'yes',
      })
    ).toThrow(
      new RollbackEventError(
        'invalid alarm event: detail-type must be "CloudWatch Alarm State Change", got "EC2 Instance State-change Notification"; detail.alarmName must be a non-empty string; resources[0] must be the alarm ARN; detail.state.value must be a non-empty string; detail.state.timestamp must be a timestamp; dryRun must be a boolean'
      )
    );
    expect(() => parseAlarmEvent('ALARM')).toThrow(/event must be an object/);
  });
});

describe('Function: normaliseTimestamp', () => {
  it('reads CloudWatch offsets without a colon and ISO times alike', () => {
    // Act & Assess
    expect(normaliseTimestamp('2026-03-02T12:15:40.985+0200')).toBe(
      '2026-03-02T10:15:40.985Z'
    );
    expect(normaliseTimestamp('2026-03-02T10:15:40Z')).toBe(
      '2026-03-02T10:15:40.000Z'
    );
    expect(normaliseTimestamp('not a time')).toBeUndefined();
  });
});
