/** Bedrock Converse / ConverseStream provider adapter. */
export {
  type BedrockAdapterOptions,
  createBedrockAdapter,
  createBedrockClient,
} from './adapter';
export { streamExceptionToProviderError, toProviderError } from './errors';
export {
  type ConverseInputOptions,
  PLACEHOLDER_TEXT,
  parseToolArguments,
  toConverseInput,
  toToolUseId,
} from './request';
export { fromConverseOutput, toFinishReason, toUsage } from './response';
export { ConverseStreamMapper } from './stream';
