/**
 * Router Lambda entry: API Gateway REST proxy event in, streamed HTTP
 * response out (ResponseTransferMode STREAM). Thin: all logic is in core.
 */
import { composeAws } from './aws-deps';
import { awsLambdaGlobal, createStreamingHandler } from './lambda-stream';

const aws = awsLambdaGlobal();
const { app, deps } = composeAws();

/** The streaming handler the runtime invokes. */
export const handler = createStreamingHandler(app, aws, async () => {
  await Promise.all([
    deps.decisions.flush?.(),
    deps.experimentHooks?.drain?.(),
  ]);
});
