import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetParameterCommand,
  ParameterNotFound,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { AwsClientStub } from 'aws-sdk-client-mock';

/** The recorded-shape alarm event (per-model error-rate alarm, metric math). */
export function modelAlarmEvent(): Record<string, unknown> {
  return JSON.parse(
    readFileSync(
      join(__dirname, 'fixtures', 'alarm-model-error-rate.json'),
      'utf8'
    )
  ) as Record<string, unknown>;
}

/** Options of {@link alarmEvent}. */
export interface AlarmEventOptions {
  readonly name?: string;
  readonly state?: string;
  /** CloudWatch's format, e.g. `2026-03-02T10:15:40.985+0000`. */
  readonly timestamp?: string;
  /** Model dimension of the single metric; none for a gateway-wide alarm. */
  readonly model?: string;
  readonly dryRun?: boolean;
}

/** A single-metric alarm event (latency p95 alarms look like this). */
export function alarmEvent(
  options: AlarmEventOptions = {}
): Record<string, unknown> {
  const name =
    options.name ??
    (options.model
      ? `ai-gateway-dev-model-${options.model}-latency-p95`
      : 'ai-gateway-dev-slo-latency-p95');
  return {
    version: '0',
    id: '7bf73129-1428-4cd3-a780-95db273d1602',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '111122223333',
    time: '2026-03-02T10:15:40Z',
    region: 'eu-central-1',
    resources: [`arn:aws:cloudwatch:eu-central-1:111122223333:alarm:${name}`],
    ...(options.dryRun === undefined ? {} : { dryRun: options.dryRun }),
    detail: {
      alarmName: name,
      state: {
        value: options.state ?? 'ALARM',
        reason: 'Threshold Crossed',
        timestamp: options.timestamp ?? '2026-03-02T10:15:40.985+0000',
      },
      previousState: {
        value: 'OK',
        reason: 'Threshold Crossed',
        timestamp: '2026-03-01T08:00:12.101+0000',
      },
      configuration: {
        metrics: [
          {
            id: 'm1',
            metricStat: {
              metric: {
                namespace: 'AiGateway',
                name: 'Latency',
                dimensions: {
                  service: 'ai-gateway-router',
                  ...(options.model ? { Model: options.model } : {}),
                },
              },
              period: 300,
              stat: 'p95',
            },
            returnData: true,
          },
        ],
      },
    },
  };
}

/**
 * An SSM parameter store in a Map behind aws-sdk-client-mock: GetParameter
 * (ParameterNotFound when absent) and PutParameter (overwrite).
 */
export function fakeSsm(mock: AwsClientStub<SSMClient>): Map<string, string> {
  const params = new Map<string, string>();
  mock.on(GetParameterCommand).callsFake((input) => {
    const value = params.get(input.Name!);
    if (value === undefined)
      throw new ParameterNotFound({
        $metadata: {},
        message: `ParameterNotFound: ${input.Name}`,
      });
    return {
      Parameter: { Name: input.Name, Value: value, Type: 'String', Version: 1 },
    };
  });
  mock.on(PutParameterCommand).callsFake((input) => {
    params.set(input.Name!, input.Value!);
    return { Version: 1, Tier: 'Standard' };
  });
  return params;
}

/** A Lambda context with a minute left (what the idempotency guard reads). */
export function lambdaContext(
  requestId = 'req-ctx-1'
): Record<string, unknown> {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'ai-gateway-dev-rollback',
    functionVersion: '$LATEST',
    invokedFunctionArn:
      'arn:aws:lambda:eu-central-1:111122223333:function:ai-gateway-dev-rollback',
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/ai-gateway-dev-rollback',
    logStreamName: '2026/03/02/[$LATEST]abc',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
