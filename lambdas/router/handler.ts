/**
 * Router Lambda entry: API Gateway REST proxy event in, streamed HTTP
 * response out (ResponseTransferMode STREAM). Thin: all logic is in core.
 */
import type { RouterApp } from './app';
import { composeAws } from './aws-deps';
import { awsLambdaGlobal, createStreamingHandler } from './lambda-stream';

const aws = awsLambdaGlobal();
const { app, deps, learning } = composeAws();
// A new container starts from what the fleet has learned: the first request
// waits for the first read of the shared state (bounded, never fails).
const warm = learning?.warmUp();
const routed: RouterApp = warm
  ? async (event, sink) => {
      await warm;
      return app(event, sink);
    }
  : app;

/** The streaming handler the runtime invokes. */
export const handler = createStreamingHandler(routed, aws, async () => {
  await Promise.all([
    deps.decisions.flush?.(),
    learning?.sync(),
    deps.experimentHooks?.drain?.(),
  ]);
});
