/** Bedrock embedding models the router may call through InvokeModel (registry/models.json). */
export const BEDROCK_EMBEDDING_MODEL_IDS: readonly string[] = [
  'amazon.titan-embed-text-v2:0',
  'cohere.embed-english-v3',
  'cohere.embed-multilingual-v3',
];

/**
 * Exact foundation-model ARNs of the embedding models in the deployment
 * region, for `bedrock:InvokeModel` only (embeddings never stream). Exact
 * ARNs, so the grant holds when `bedrockModelArns` narrows the chat grant
 * to a list that names no embedding model.
 */
export function bedrockEmbeddingResources(scope: {
  readonly partition: string;
  readonly region: string;
}): string[] {
  return BEDROCK_EMBEDDING_MODEL_IDS.map(
    (id) =>
      `arn:${scope.partition}:bedrock:${scope.region}::foundation-model/${id}`
  );
}
