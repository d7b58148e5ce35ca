/**
 * The subset of the Gemini REST wire format (Generative Language v1beta and
 * Vertex AI v1, which share the `GenerateContent*` shapes) the adapter reads
 * and writes. Field names are the REST JSON (camelCase) names.
 */

/** One part of a content turn. Only the kinds the gateway uses are typed. */
export interface GeminiPart {
  text?: string;
  /** True on thought-summary parts of thinking models; never shown to clients. */
  thought?: boolean;
  /** Opaque signature thinking models attach to parts (Gemini 2.5 / 3). */
  thoughtSignature?: string;
  functionCall?: GeminiFunctionCall;
  functionResponse?: GeminiFunctionResponse;
  /** An image or document sent inline (base64). */
  inlineData?: { mimeType: string; data: string };
}

/** A function call the model made. `args` is an object, not a JSON string. */
export interface GeminiFunctionCall {
  id?: string;
  name: string;
  args?: Record<string, unknown>;
}

/** A function result sent back. `response` must be a JSON object (proto Struct). */
export interface GeminiFunctionResponse {
  id?: string;
  name: string;
  response: Record<string, unknown>;
}

/** One turn of the conversation. */
export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

/** The OpenAPI 3.0 subset Gemini accepts for function parameters. */
export interface GeminiSchema {
  type?: GeminiSchemaType;
  format?: string;
  title?: string;
  description?: string;
  nullable?: boolean;
  enum?: string[];
  properties?: Record<string, GeminiSchema>;
  required?: string[];
  propertyOrdering?: string[];
  items?: GeminiSchema;
  anyOf?: GeminiSchema[];
  minItems?: string | number;
  maxItems?: string | number;
  minProperties?: string | number;
  maxProperties?: string | number;
  minLength?: string | number;
  maxLength?: string | number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  default?: unknown;
  example?: unknown;
}

/** Gemini's `Type` enum. */
export type GeminiSchemaType =
  | 'STRING'
  | 'NUMBER'
  | 'INTEGER'
  | 'BOOLEAN'
  | 'ARRAY'
  | 'OBJECT';

/** One function the model may call. */
export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  parameters?: GeminiSchema;
}

/** `toolConfig.functionCallingConfig.mode`. */
export type GeminiFunctionCallingMode = 'AUTO' | 'NONE' | 'ANY';

/** Body of `generateContent` / `streamGenerateContent`. */
export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: { text: string }[] };
  /** Per-category block thresholds (the domain's guardrail profile). */
  safetySettings?: { category: string; threshold: string }[];
  tools?: { functionDeclarations: GeminiFunctionDeclaration[] }[];
  toolConfig?: {
    functionCallingConfig: {
      mode: GeminiFunctionCallingMode;
      allowedFunctionNames?: string[];
    };
  };
  generationConfig?: {
    maxOutputTokens?: number;
    temperature?: number;
    topP?: number;
    stopSequences?: string[];
    candidateCount?: number;
    responseMimeType?: string;
    /** Full JSON Schema (unlike `responseSchema`'s OpenAPI subset). */
    responseJsonSchema?: Record<string, unknown>;
    seed?: number;
    thinkingConfig?: {
      /** Gemini 2.5: tokens; 0 turns thinking off (Flash), -1 is dynamic. */
      thinkingBudget?: number;
      /** Gemini 3: `low` | `high` (Flash also `minimal`, `medium`). */
      thinkingLevel?: string;
    };
  };
}

/** Token accounting of a response (every field optional on the wire). */
export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  cachedContentTokenCount?: number;
  totalTokenCount?: number;
}

/** One candidate answer. */
export interface GeminiCandidate {
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: string;
  finishMessage?: string;
  index?: number;
}

/** A `GenerateContentResponse` (also each SSE chunk of a stream). */
export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
}

/** Google's error envelope (`google.rpc.Status` in JSON). */
export interface GoogleErrorBody {
  error: GoogleError;
}

/** The `error` member of Google's error envelope. */
export interface GoogleError {
  code?: number;
  message?: string;
  status?: string;
  details?: readonly Record<string, unknown>[];
}
