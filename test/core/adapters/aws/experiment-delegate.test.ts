import {
  EventBridgeClient,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { eventBridgeExperimentDelegate } from '../../../../lambdas/core/adapters/aws/experiment-delegate';
import { MemoryLog } from '../../../helpers/gateway';

describe('Function: eventBridgeExperimentDelegate', () => {
  const events = mockClient(EventBridgeClient);
  beforeEach(() => events.reset());

  it('puts one evaluation request per experiment per interval, and asks again after a failure', async () => {
    // Prepare
    let t = 0;
    events
      .on(PutEventsCommand)
      .rejectsOnce(new Error('throttled'))
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    const log = new MemoryLog();
    const ask = eventBridgeExperimentDelegate({
      client: new EventBridgeClient({ region: 'eu-central-1' }),
      log,
      minIntervalMs: 10_000,
      now: () => t,
    });
    const step = { action: 'rollback' as const, reason: 'mSPRT fired' };
    // Act: a failed put, an immediate retry, then a repeat inside the interval
    await ask('exp-1', step);
    await ask('exp-1', step);
    await ask('exp-1', step);
    t = 10_001;
    await ask('exp-1', step);
    // Assess
    expect(events).toHaveReceivedCommandTimes(PutEventsCommand, 3);
    expect(events).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          Source: 'ai-gateway.experiments',
          DetailType: 'ExperimentEvaluationRequested',
          Detail: JSON.stringify({
            experimentId: 'exp-1',
            action: 'rollback',
            reason: 'mSPRT fired',
          }),
        },
      ],
    });
    expect(log.text()).toContain('experiment evaluation request failed');
  });
});
