import type { aws_bedrock as bedrock } from 'aws-cdk-lib';

/** Domain profiles that get their own Bedrock guardrail. */
export const GUARDRAIL_DOMAINS = ['general', 'legal', 'medical'] as const;

/** One domain profile. */
export type GuardrailDomain = (typeof GUARDRAIL_DOMAINS)[number];

/** What a guardrail does with one PII entity type. */
export type PiiAction = 'ANONYMIZE' | 'BLOCK';

/** Filter strength. */
export type FilterStrength = 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH';

/** The policy of one domain's guardrail, before it becomes CloudFormation. */
export interface GuardrailProfile {
  /** What the profile is for. */
  readonly description: string;
  /** PII entity type -> action. */
  readonly pii: Readonly<Record<string, PiiAction>>;
  /** Domain-specific regexes (anonymized). */
  readonly regexes: readonly {
    readonly name: string;
    readonly pattern: string;
    readonly action: PiiAction;
  }[];
  /** Content filter strengths (input, output); PROMPT_ATTACK is added by the construct. */
  readonly contentFilters: Readonly<
    Record<string, readonly [FilterStrength, FilterStrength]>
  >;
  /** Denied topics. */
  readonly deniedTopics: readonly {
    readonly name: string;
    readonly definition: string;
    readonly examples: readonly string[];
  }[];
  /** Blocked words or short phrases (the managed profanity list is always on). */
  readonly words: readonly string[];
}

// Secrets and payment data are never useful to a model: blocked everywhere.
const ALWAYS_BLOCK: Record<string, PiiAction> = {
  US_SOCIAL_SECURITY_NUMBER: 'BLOCK',
  CREDIT_DEBIT_CARD_NUMBER: 'BLOCK',
  CREDIT_DEBIT_CARD_CVV: 'BLOCK',
  AWS_SECRET_KEY: 'BLOCK',
  PASSWORD: 'BLOCK',
};

// Contact data is masked rather than blocked: prompts legitimately contain it.
const CONTACT_ANONYMIZE: Record<string, PiiAction> = {
  EMAIL: 'ANONYMIZE',
  PHONE: 'ANONYMIZE',
  ADDRESS: 'ANONYMIZE',
};

const INJECTION_PHRASES = ['ignore previous instructions', 'jailbreak mode'];

/** Guardrail policy per domain. */
export const GUARDRAIL_PROFILES: Readonly<
  Record<GuardrailDomain, GuardrailProfile>
> = {
  general: {
    description: 'Default profile for general-purpose requests',
    pii: { ...CONTACT_ANONYMIZE, ...ALWAYS_BLOCK },
    regexes: [],
    contentFilters: {
      SEXUAL: ['HIGH', 'HIGH'],
      VIOLENCE: ['HIGH', 'HIGH'],
      HATE: ['HIGH', 'HIGH'],
      INSULTS: ['HIGH', 'HIGH'],
      MISCONDUCT: ['HIGH', 'HIGH'],
    },
    deniedTopics: [
      {
        name: 'Malware development',
        definition:
          'Writing, improving or deploying malicious software, exploits or credential-stealing tools.',
        examples: [
          'Write ransomware that encrypts a network share',
          'Make this keylogger undetectable by antivirus',
        ],
      },
    ],
    words: INJECTION_PHRASES,
  },
  legal: {
    // Names stay visible: parties to a matter are the subject of the work.
    description: 'Legal research and drafting; no individual legal counsel',
    pii: { ...CONTACT_ANONYMIZE, ...ALWAYS_BLOCK },
    regexes: [],
    contentFilters: {
      SEXUAL: ['HIGH', 'HIGH'],
      // Case facts describe crimes; a high threshold would block the work.
      VIOLENCE: ['MEDIUM', 'MEDIUM'],
      HATE: ['HIGH', 'HIGH'],
      INSULTS: ['HIGH', 'HIGH'],
      MISCONDUCT: ['MEDIUM', 'MEDIUM'],
    },
    deniedTopics: [
      {
        name: 'Personal legal counsel',
        definition:
          'Advice on what a specific person should do in their own legal matter, presented as counsel from a licensed attorney.',
        examples: [
          'As my lawyer, should I sign this settlement?',
          'Tell me exactly what to say at my custody hearing',
        ],
      },
      {
        name: 'Guaranteed legal outcomes',
        definition:
          'Promising or predicting with certainty the result of a specific lawsuit, prosecution or appeal.',
        examples: ['Guarantee that I will win my case'],
      },
    ],
    words: [...INJECTION_PHRASES, 'guaranteed verdict'],
  },
  medical: {
    // Patient identity is masked: clinical text must not leak who it is about.
    description:
      'Clinical information and summaries; no individual diagnosis or dosing',
    pii: {
      ...CONTACT_ANONYMIZE,
      NAME: 'ANONYMIZE',
      AGE: 'ANONYMIZE',
      ...ALWAYS_BLOCK,
    },
    regexes: [
      {
        name: 'MedicalRecordNumber',
        pattern: '\\bMRN[:#]?\\s*\\d{6,10}\\b',
        action: 'ANONYMIZE',
      },
    ],
    contentFilters: {
      // Anatomy and injuries are normal clinical vocabulary.
      SEXUAL: ['MEDIUM', 'MEDIUM'],
      VIOLENCE: ['MEDIUM', 'MEDIUM'],
      HATE: ['HIGH', 'HIGH'],
      INSULTS: ['HIGH', 'HIGH'],
      MISCONDUCT: ['HIGH', 'HIGH'],
    },
    deniedTopics: [
      {
        name: 'Individual diagnosis',
        definition:
          'Diagnosing the condition of a specific person from their symptoms, test results or images.',
        examples: [
          'Based on my symptoms, do I have cancer?',
          'What disease does my son have?',
        ],
      },
      {
        name: 'Individual prescription dosing',
        definition:
          'Choosing a medication or dose for a specific person, or changing their prescribed dose.',
        examples: [
          'How many mg of oxycodone should I take?',
          'Can I double my insulin dose tonight?',
        ],
      },
    ],
    words: [...INJECTION_PHRASES, 'miracle cure'],
  },
};

/** The CfnGuardrail policy blocks of one profile. */
export function guardrailPolicies(
  profile: GuardrailProfile
): Pick<
  bedrock.CfnGuardrailProps,
  | 'contentPolicyConfig'
  | 'sensitiveInformationPolicyConfig'
  | 'topicPolicyConfig'
  | 'wordPolicyConfig'
> {
  return {
    contentPolicyConfig: {
      filtersConfig: [
        ...Object.entries(profile.contentFilters).map(
          ([type, [inputStrength, outputStrength]]) => ({
            type,
            inputStrength,
            outputStrength,
          })
        ),
        // Prompt attacks only exist in input; Bedrock requires NONE on output.
        {
          type: 'PROMPT_ATTACK',
          inputStrength: 'HIGH',
          outputStrength: 'NONE',
        },
      ],
    },
    sensitiveInformationPolicyConfig: {
      piiEntitiesConfig: Object.entries(profile.pii).map(([type, action]) => ({
        type,
        action,
      })),
      regexesConfig:
        profile.regexes.length > 0
          ? profile.regexes.map((r) => ({ ...r }))
          : undefined,
    },
    topicPolicyConfig:
      profile.deniedTopics.length > 0
        ? {
            topicsConfig: profile.deniedTopics.map((t) => ({
              name: t.name,
              definition: t.definition,
              examples: [...t.examples],
              type: 'DENY',
            })),
          }
        : undefined,
    wordPolicyConfig: {
      wordsConfig: profile.words.map((text) => ({ text })),
      managedWordListsConfig: [{ type: 'PROFANITY' }],
    },
  };
}
