import type { Exclusion, RoutingContext } from '../routing/types';
import type { ChatRequest, ModelConfig } from '../types';
import { mediaViolation } from './limits';
import { mediaItems } from './summary';

/** The routing context's `media` field for a request (absent when text-only). */
export function mediaContext(
  request: ChatRequest
): Pick<RoutingContext, 'media'> {
  const items = mediaItems(request);
  return items.length > 0 ? { media: items } : {};
}

/**
 * Why a model can't take the request's media: images need `vision`,
 * documents need `documents`, and the provider family's limits (format,
 * bytes, pixels, count) must hold. The reason names the offending part.
 */
export function mediaExclusion(
  model: ModelConfig,
  media: NonNullable<RoutingContext['media']>
): Exclusion | undefined {
  const caps = model.capabilities;
  const image = media.find((m) => m.kind === 'image');
  if (image && !caps.includes('vision')) {
    return {
      modelId: model.id,
      code: 'capability_vision',
      reason: `${image.param} is an image: needs the vision capability`,
    };
  }
  const doc = media.find((m) => m.kind === 'document');
  if (doc && !caps.includes('documents')) {
    return {
      modelId: model.id,
      code: 'capability_documents',
      reason: `${doc.param} is a document: needs the documents capability`,
    };
  }
  const violation = mediaViolation(media, model.providerType);
  if (violation) {
    return {
      modelId: model.id,
      code: 'media_limits',
      reason: `${violation.param}: ${violation.message} for ${model.providerType}`,
    };
  }
  return undefined;
}

const MEDIA_CODES = new Set([
  'capability_vision',
  'capability_documents',
  'media_limits',
]);

/**
 * When media alone kept every model out, the part to name in the 400
 * (`messages[2].content[1]`); otherwise undefined (the error names `model`).
 */
export function mediaErrorParam(
  excluded: readonly Pick<Exclusion, 'code' | 'reason'>[]
): string | undefined {
  if (excluded.length === 0) return undefined;
  if (!excluded.every((e) => MEDIA_CODES.has(e.code))) return undefined;
  return /^messages\[\d+\]\.content\[\d+\]/.exec(excluded[0]!.reason)?.[0];
}
