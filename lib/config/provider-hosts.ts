/**
 * Hosts every deployment needs: Google OAuth/STS/IAM for Vertex AI
 * credentials (service-account keys and workload identity federation) and
 * the Meta Llama API.
 */
export const COMMON_PROVIDER_HOSTS: readonly string[] = [
  'oauth2.googleapis.com',
  'sts.googleapis.com',
  'iamcredentials.googleapis.com',
  'iam.googleapis.com',
  'api.llama.com',
];

/**
 * Gemini hosts without residency limits: the Generative Language API, the
 * global Vertex AI endpoint and every regional `<location>-aiplatform` host.
 */
export const GLOBAL_GEMINI_HOSTS: readonly string[] = [
  'generativelanguage.googleapis.com',
  'aiplatform.googleapis.com',
  '.aiplatform.googleapis.com',
];

/**
 * Vertex AI endpoints in EU member states only. The Generative Language API
 * and the global endpoint are left out because they give no EU residency.
 */
export const EU_GEMINI_HOSTS: readonly string[] = [
  'eu-aiplatform.googleapis.com',
  'europe-west1-aiplatform.googleapis.com',
  'europe-west3-aiplatform.googleapis.com',
  'europe-west4-aiplatform.googleapis.com',
  'europe-west8-aiplatform.googleapis.com',
  'europe-west9-aiplatform.googleapis.com',
  'europe-north1-aiplatform.googleapis.com',
  'europe-southwest1-aiplatform.googleapis.com',
  'europe-central2-aiplatform.googleapis.com',
];

/** Options of {@link providerAllowlist}. */
export interface ProviderAllowlistOptions {
  /** Restrict Gemini to EU Vertex AI endpoints. */
  readonly euOnly: boolean;
  /** Operator-supplied hosts (OpenAI-compatible endpoints). */
  readonly extraHosts?: readonly string[];
}

/** The FQDNs the egress firewall lets the gateway reach, without duplicates. */
export function providerAllowlist(options: ProviderAllowlistOptions): string[] {
  const gemini = options.euOnly ? EU_GEMINI_HOSTS : GLOBAL_GEMINI_HOSTS;
  return [
    ...new Set([
      ...gemini,
      ...COMMON_PROVIDER_HOSTS,
      ...(options.extraHosts ?? []),
    ]),
  ];
}
