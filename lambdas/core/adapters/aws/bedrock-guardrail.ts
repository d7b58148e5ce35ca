import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import {
  ApplyGuardrailCommand,
  type ApplyGuardrailCommandOutput,
  BedrockRuntimeClient,
  type GuardrailAssessment,
} from '@aws-sdk/client-bedrock-runtime';
import type { SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod/mini';
import { type GuardrailSettings, profileFor } from '../../guardrails/config';
import {
  applyFindings,
  type GuardFinding,
  type GuardRequest,
  type GuardResult,
  type Guardrail,
} from '../../guardrails/types';

/** Props of {@link BedrockGuardrail}. */
export interface BedrockGuardrailProps {
  /** SSM path of the guardrail parameters (`GUARDRAIL_PARAM_PREFIX`, `/ai/guardrails/{env}`). */
  readonly parameterPrefix: string;
  /** Resolved guardrail settings (profile -> Bedrock guardrail name). */
  readonly settings: GuardrailSettings;
  /** Bedrock Runtime client (tests pass a mocked one). @default - a new BedrockRuntimeClient */
  readonly client?: BedrockRuntimeClient;
  /** SSM client for the parameters. @default - a new SSMClient */
  readonly awsSdkV3Client?: SSMClient;
  /**
   * How long the guardrail ids are cached, seconds. A new guardrail version
   * reaches every router within this bound.
   * @default 300
   */
  readonly maxAgeSeconds?: number;
}

const idSchema = z.object({
  id: z.string().check(z.minLength(1)),
  version: z.string().check(z.minLength(1)),
});

/** A guardrail's id and published version (the SSM parameter's JSON). */
export type GuardrailRef = z.infer<typeof idSchema>;

/** Maps the blocked assessments of one ApplyGuardrail answer to a category. */
export function blockedCategory(
  assessments: readonly GuardrailAssessment[] | undefined
): { category: string; reason: string } | undefined {
  for (const a of assessments ?? []) {
    for (const f of a.contentPolicy?.filters ?? []) {
      if (f.action === 'BLOCKED') {
        return f.type === 'PROMPT_ATTACK'
          ? { category: 'prompt_attack', reason: 'PROMPT_ATTACK' }
          : { category: 'content', reason: String(f.type) };
      }
    }
    for (const t of a.topicPolicy?.topics ?? [])
      if (t.action === 'BLOCKED')
        return { category: 'topic', reason: String(t.name) };
    for (const w of a.wordPolicy?.customWords ?? [])
      if (w.action === 'BLOCKED')
        return { category: 'blocklist', reason: 'custom word' };
    for (const w of a.wordPolicy?.managedWordLists ?? [])
      if (w.action === 'BLOCKED')
        return { category: 'profanity', reason: String(w.type) };
    const sip = a.sensitiveInformationPolicy;
    for (const p of sip?.piiEntities ?? [])
      if (p.action === 'BLOCKED')
        return { category: 'pii', reason: String(p.type) };
    for (const r of sip?.regexes ?? [])
      if (r.action === 'BLOCKED')
        return { category: 'pii', reason: String(r.name ?? 'regex') };
    for (const g of a.contextualGroundingPolicy?.filters ?? [])
      if (g.action === 'BLOCKED')
        return { category: 'grounding', reason: String(g.type) };
  }
  return undefined;
}

/** Anonymized spans, found by searching each assessment's `match` in the texts. */
export function anonymizedFindings(
  assessments: readonly GuardrailAssessment[] | undefined,
  texts: readonly string[]
): GuardFinding[] {
  const out: GuardFinding[] = [];
  const add = (type: string, match: string | undefined): void => {
    if (!match) return;
    texts.forEach((text, textIndex) => {
      for (
        let at = text.indexOf(match);
        at >= 0;
        at = text.indexOf(match, at + match.length)
      ) {
        const end = at + match.length;
        if (
          out.some(
            (o) => o.textIndex === textIndex && at < o.end && end > o.start
          )
        )
          continue;
        out.push({ type, textIndex, start: at, end, action: 'anonymize' });
      }
    });
  };
  for (const a of assessments ?? []) {
    const sip = a.sensitiveInformationPolicy;
    for (const p of sip?.piiEntities ?? [])
      if (p.action === 'ANONYMIZED') add(String(p.type), p.match);
    for (const r of sip?.regexes ?? [])
      if (r.action === 'ANONYMIZED') add(String(r.name ?? 'REGEX'), r.match);
  }
  return out.sort((x, y) => x.textIndex - y.textIndex || x.start - y.start);
}

/** Maps one ApplyGuardrail answer to a verdict. */
export function toGuardResult(
  output: Pick<
    ApplyGuardrailCommandOutput,
    'action' | 'assessments' | 'outputs'
  >,
  texts: readonly string[]
): GuardResult {
  if (output.action !== 'GUARDRAIL_INTERVENED') return { verdict: 'allow' };
  const blocked = blockedCategory(output.assessments);
  if (blocked) return { verdict: 'block', ...blocked };
  const findings = anonymizedFindings(output.assessments, texts);
  const outputs = output.outputs ?? [];
  // Bedrock's own anonymized text goes on when it maps 1:1 to the inputs.
  const anonymized =
    outputs.length === texts.length &&
    outputs.every((o) => typeof o.text === 'string')
      ? outputs.map((o) => o.text!)
      : texts.map((t, i) =>
          applyFindings(
            t,
            findings.filter((f) => f.textIndex === i)
          )
        );
  return {
    verdict: 'anonymize',
    category: 'pii',
    reason: [...new Set(findings.map((f) => f.type))].join(',') || 'pii',
    findings,
    texts: anonymized,
  };
}

/**
 * The Guardrail port on Bedrock ApplyGuardrail. The guardrail id and version
 * of a profile come from SSM (`<prefix>/<name>` = `{"id", "version"}`, as
 * lib/constructs/domain-guardrail.ts publishes them), read through
 * Powertools Parameters with one GetParametersByPath per `maxAgeSeconds`.
 * Every text is one content block; ApplyGuardrail evaluates each with every
 * policy of the guardrail, PROMPT_ATTACK included, so content marked as
 * retrieved context is screened for injections like the prompt itself.
 * Errors (SSM, Bedrock, abort) come back as `unavailable`, never thrown.
 */
export class BedrockGuardrail implements Guardrail {
  public readonly name = 'bedrock';
  private readonly client: BedrockRuntimeClient;
  private readonly ssm: SSMProvider;
  private readonly maxAge: number;

  public constructor(private readonly props: BedrockGuardrailProps) {
    this.client = props.client ?? new BedrockRuntimeClient({});
    this.ssm = new SSMProvider(
      props.awsSdkV3Client ? { awsSdkV3Client: props.awsSdkV3Client } : {}
    );
    this.maxAge = props.maxAgeSeconds ?? 300;
  }

  /** The id and version of a named guardrail (falls back to `general`). */
  public async ref(name: string): Promise<GuardrailRef> {
    const all =
      (await this.ssm.getMultiple(this.props.parameterPrefix, {
        maxAge: this.maxAge,
      })) ?? {};
    const raw = all[name] ?? all.general;
    if (raw === undefined) {
      throw new Error(
        `no guardrail parameter ${this.props.parameterPrefix}/${name}`
      );
    }
    return idSchema.parse(JSON.parse(String(raw)));
  }

  public async check(request: GuardRequest): Promise<GuardResult> {
    const profile = profileFor(this.props.settings, request.domain);
    const texts = request.texts.map((t) => t.text);
    try {
      const ref = await this.ref(profile.bedrockGuardrail);
      const out = await this.client.send(
        new ApplyGuardrailCommand({
          guardrailIdentifier: ref.id,
          guardrailVersion: ref.version,
          source: request.stage === 'input' ? 'INPUT' : 'OUTPUT',
          content: texts.map((text) => ({ text: { text } })),
          // Every block's text back, not only the intervened ones: keeps
          // outputs aligned with the inputs for anonymization.
          outputScope: 'FULL',
        }),
        { abortSignal: request.signal }
      );
      const result = toGuardResult(out, texts);
      if (result.verdict === 'block' && texts.length === 1)
        return { ...result, textIndex: 0 };
      return result;
    } catch (err) {
      return {
        verdict: 'unavailable',
        reason: err instanceof Error ? err.name : 'error',
      };
    }
  }
}
