/**
 * Router Lambda entry: API Gateway REST proxy event in, streamed HTTP
 * response out (ResponseTransferMode STREAM). Thin: all logic is in core.
 */
import type { RouterApp } from './app';
import { composeAws } from './aws-deps';
import { awsLambdaGlobal, createStreamingHandler } from './lambda-stream';

const aws = awsLambdaGlobal();
const { app, deps, learning, preload } = composeAws();
// A new container starts from what the fleet has learned: the first request
// waits for the first read of the shared state (bounded, never fails). A
// provisioned container inits ahead of its traffic: it also loads the lazy
// chunks then, so no request of its waits for one (never fails either).
const provisioned =
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE === 'provisioned-concurrency';
const warm =
  learning || provisioned
    ? Promise.all([
        learning?.warmUp(),
        provisioned
          ? preload().then((failed) => {
              if (failed.length > 0)
                deps.log.warn('lazy chunks not preloaded', { failed });
            })
          : undefined,
      ])
    : undefined;
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
