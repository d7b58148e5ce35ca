/**
 * The Guardrail port: checks text for one domain profile and returns a
 * verdict as a value. It never throws for a verdict, and a service error or
 * timeout is the verdict `unavailable`: the caller applies the fail mode.
 */

/** Which side of the model the text is on. */
export type GuardStage = 'input' | 'output';

/** One text to check. `context` is retrieved data (RAG, tool results), not instructions. */
export interface GuardText {
  readonly text: string;
  readonly kind: 'prompt' | 'context';
}

/** One check of one or more texts. */
export interface GuardRequest {
  readonly stage: GuardStage;
  /** Request domain; the guardrail picks its profile from it. */
  readonly domain: string;
  readonly texts: readonly GuardText[];
  /** Aborted when the caller stops waiting (timeout, client gone). */
  readonly signal?: AbortSignal;
}

/** What the guardrail decided. */
export type GuardVerdict = 'allow' | 'anonymize' | 'block' | 'unavailable';

/** One span the guardrail found (offsets into `texts[textIndex]`). */
export interface GuardFinding {
  /** Entity type, e.g. `EMAIL`, `CARD`. Never the matched text. */
  readonly type: string;
  readonly textIndex: number;
  readonly start: number;
  readonly end: number;
  readonly action: 'anonymize' | 'block';
}

/** A guardrail's answer. */
export interface GuardResult {
  readonly verdict: GuardVerdict;
  /** What kind of rule decided (`pii`, `blocklist`, `prompt_attack`, `content`, `topic`, `profanity`). */
  readonly category?: string;
  /** Which rule, by type or name; never the matched text. */
  readonly reason?: string;
  /** Index of the text that was blocked. */
  readonly textIndex?: number;
  /** The texts with anonymized spans replaced (verdict `anonymize`). */
  readonly texts?: readonly string[];
  /** Anonymized spans, for callers that must cut text around them (streams). */
  readonly findings?: readonly GuardFinding[];
}

/** A guardrail implementation (local rule engine, Bedrock ApplyGuardrail). */
export interface Guardrail {
  /** Name used in logs and metrics (`local`, `bedrock`). */
  readonly name: string;
  check(request: GuardRequest): Promise<GuardResult>;
}

/** The placeholder an anonymized span is replaced with. */
export function placeholder(type: string): string {
  return `[${type}]`;
}

/** Replaces non-overlapping spans of one text by their placeholders. */
export function applyFindings(
  text: string,
  findings: readonly Pick<GuardFinding, 'type' | 'start' | 'end'>[]
): string {
  if (findings.length === 0) return text;
  const sorted = [...findings].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const f of sorted) {
    if (f.start < at) continue;
    out += text.slice(at, f.start) + placeholder(f.type);
    at = f.end;
  }
  return out + text.slice(at);
}
