import { validatorFor } from '../api/json-schema';
import { ProviderInvalidOutputError } from '../providers/errors';
import type {
  ChatRequest,
  ChatResult,
  JsonSchemaFormat,
  ModelConfig,
  StreamEvent,
} from '../types';

/*
 * Strict structured outputs: the answer of a `json_schema` request with
 * `strict: true` is checked against the schema before it is handed over.
 * Providers constrain decoding natively (Bedrock outputConfig, Gemini
 * responseJsonSchema, vLLM guided decoding) but not every model honours every
 * keyword, and the forced-tool path only asks; the check makes `strict` mean
 * what OpenAI means by it.
 */

/** The first validation errors reported to the client (never the content). */
const MAX_REPORTED_ERRORS = 3;

/** The json_schema format when the request asks for strict validation. */
export function strictSchemaOf(
  request: ChatRequest
): JsonSchemaFormat | undefined {
  const rf = request.responseFormat;
  return rf?.type === 'json_schema' && rf.jsonSchema.strict
    ? rf.jsonSchema
    : undefined;
}

/**
 * Why `content` does not conform to `format`, or undefined when it does. The
 * message names JSON pointers and keywords only, never content values.
 */
export function schemaViolation(
  format: JsonSchemaFormat,
  content: string | null
): string | undefined {
  if (content === null || content.trim().length === 0)
    return 'the answer is empty';
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return 'the answer is not valid JSON';
  }
  const validate = validatorFor(format.schema);
  if (validate(value)) return undefined;
  const errors = (validate.errors ?? []).slice(0, MAX_REPORTED_ERRORS);
  return errors.map((e) => `${e.instancePath || '/'} ${e.keyword}`).join('; ');
}

/**
 * Checks a complete (non-streamed) answer of a strict json_schema request.
 * Throws ProviderInvalidOutputError when it does not conform, before any
 * byte reached the client, so the attempt loop fails over like on any
 * retryable provider failure. A tool-calling answer is not checked: the
 * model chose one of the client's tools instead of answering.
 */
export function checkStructuredResult(
  request: ChatRequest,
  result: ChatResult,
  model: ModelConfig
): void {
  const format = strictSchemaOf(request);
  if (!format || result.toolCalls.length > 0) return;
  if (
    result.finishReason === 'length' ||
    result.finishReason === 'content_filter'
  )
    return;
  const why = schemaViolation(format, result.content);
  if (why !== undefined)
    throw new ProviderInvalidOutputError(
      model.provider,
      `the answer of ${model.id} does not conform to the response_format schema ${format.name}: ${why}`
    );
}

/**
 * Collects a stream's text for the end-of-stream check of a strict
 * json_schema request. Inert (no buffering) for every other request.
 */
export class StreamSchemaCheck {
  private readonly format: JsonSchemaFormat | undefined;
  private readonly parts: string[] = [];
  private sawToolCall = false;
  private finish: string | undefined;

  public constructor(request: ChatRequest) {
    this.format = strictSchemaOf(request);
  }

  /** Observes one provider event (call for every event, in order). */
  public observe(ev: StreamEvent): void {
    if (!this.format) return;
    if (ev.type === 'text') this.parts.push(ev.text);
    else if (ev.type === 'tool_call') this.sawToolCall = true;
    else if (ev.type === 'finish') this.finish = ev.finishReason;
  }

  /** Throws ProviderInvalidOutputError when the finished stream does not conform. */
  public verify(model: ModelConfig): void {
    if (!this.format || this.sawToolCall) return;
    if (this.finish === 'length' || this.finish === 'content_filter') return;
    const why = schemaViolation(this.format, this.parts.join(''));
    if (why !== undefined)
      throw new ProviderInvalidOutputError(
        model.provider,
        `the streamed answer of ${model.id} does not conform to the response_format schema ${this.format.name}: ${why}`
      );
  }
}
