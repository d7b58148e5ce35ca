import { PassThrough } from 'node:stream';
import { clientOf } from '../../lambdas/core/gateway/sink';
import { attemptSignal, Deadline } from '../../lambdas/core/resilience';
import {
  type AwsLambdaGlobal,
  lambdaSink,
} from '../../lambdas/router/lambda-stream';

/** Writes the body straight to the stream (no metadata prelude). */
const aws: AwsLambdaGlobal = {
  streamifyResponse: (handler) => handler,
  HttpResponseStream: { from: (stream) => stream },
};

const deadline = (): Deadline => new Deadline(() => Date.now(), 5_000, 10_000);

describe('Function: lambdaSink (client hang-up)', () => {
  it('aborts a running attempt when the client goes away', () => {
    // Prepare
    const stream = new PassThrough();
    const sink = lambdaSink(stream, aws);
    const scope = attemptSignal(clientOf(sink), deadline(), 5_000);

    // Act
    stream.emit('close');

    // Assess
    expect(scope.reason()).toBe('client');
    expect(scope.signal.aborted).toBe(true);
    expect(clientOf(sink).aborted).toBe(true);
    expect(sink.signal.aborted).toBe(true);
    expect(sink.signal.reason).toBe(scope.signal.reason);
    scope.dispose();
  });

  it('aborts its AbortSignal, read before the hang-up, with the same reason', () => {
    // Prepare
    const stream = new PassThrough();
    const sink = lambdaSink(stream, aws);
    const signal = sink.signal;
    const seen: unknown[] = [];
    signal.addEventListener('abort', () => seen.push(signal.reason));

    // Act
    stream.emit('error', new Error('socket reset'));

    // Assess
    expect(signal.aborted).toBe(true);
    expect(seen).toEqual([new Error('client closed the connection')]);
    expect(clientOf(sink).reason).toBe(signal.reason);
  });

  it('leaves an attempt alone once it disposed, and after the answer ended', () => {
    // Prepare
    const stream = new PassThrough();
    const sink = lambdaSink(stream, aws);
    const first = attemptSignal(clientOf(sink), deadline(), 5_000);
    first.dispose(true);
    const second = attemptSignal(clientOf(sink), deadline(), 5_000);

    // Act
    sink.send(200, { 'content-type': 'application/json' }, '{}');
    stream.emit('close');

    // Assess
    expect(first.signal.aborted).toBe(false);
    expect(second.reason()).toBeUndefined();
    expect(sink.signal.aborted).toBe(false);
    second.dispose();
  });

  it('starts an attempt already aborted when the client left before it', () => {
    // Prepare
    const stream = new PassThrough();
    const sink = lambdaSink(stream, aws);
    stream.emit('close');

    // Act
    const scope = attemptSignal(clientOf(sink), deadline(), 5_000);

    // Assess
    expect(scope.reason()).toBe('client');
    expect(scope.signal.reason).toEqual(
      new Error('client closed the connection')
    );
  });
});
